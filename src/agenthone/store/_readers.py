"""Streaming readers that cut an input file into Arrow chunks with exact line numbers.

Memory stays bounded by the chunk size whatever the file size. Problems that belong to one line
(invalid UTF-8, an over-long line, a CSV row with the wrong number of cells) become *pre-rejects*
carried with the chunk; problems with the whole file raise :class:`FileRejected` or :class:`Unreadable`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, cast

import numpy as np
import pyarrow as pa

from agenthone.errors import HoneError
from agenthone.records import RecordKind

__all__ = [
    "FORMATS",
    "Chunk",
    "FileRejected",
    "PreReject",
    "Unreadable",
    "detect_format",
    "open_reader",
]

Format = Literal["jsonl", "json", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "json", "csv", "parquet")

CHUNK_BYTES = 32 << 20
CHUNK_BYTES_BY_KIND = {"conversation": 8 << 20}
"""Conversations carry several parsed copies of each message list through validation: smaller chunks."""
CHUNK_ROWS = 65_536
MAX_LINE_BYTES = 64 << 20
_BOM = codecs.BOM_UTF8


class Unreadable(HoneError):
    """The path cannot be read at all (missing, a directory, no permission, unknown format)."""


class FileRejected(HoneError):
    """The file is readable but unusable as a whole (a CSV without a required column, a broken JSON array)."""

    def __init__(self, message: str, *, line: int, records: int) -> None:
        super().__init__(message)
        self.line = line
        self.records = records


@dataclass(frozen=True)
class PreReject:
    line: int
    reason: str
    record: str


@dataclass
class Chunk:
    """A slice of a file: ``table`` holds ``line_no`` and either ``raw`` (JSON text) or one column per key."""

    table: pa.Table
    layout: Literal["json", "columnar"]
    position: int
    """Progress after this chunk, in the reader's unit (bytes of the file, or rows)."""
    rejects: list[PreReject] = field(default_factory=list)


class Reader:
    total: int
    unit: str

    def __iter__(self) -> Iterator[Chunk]:  # pragma: no cover - interface
        raise NotImplementedError


def detect_format(path: Path) -> Format:
    """The format implied by the file name (``.gz`` is looked through)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(suffix):
            return fmt  # type: ignore[return-value]
    raise Unreadable(f"{path}: cannot tell the format from the name; pass --format jsonl|json|csv|parquet")


def open_reader(path: Path, fmt: Format, kind: RecordKind) -> Reader:
    """A reader for ``path``; raises :class:`Unreadable` when the path cannot be read."""
    if not path.exists():
        raise Unreadable(f"{path}: no such file")
    if path.is_dir():
        raise Unreadable(f"{path}: is a directory; pass the files inside it (e.g. {path}/*.jsonl)")
    if not os.access(path, os.R_OK):
        raise Unreadable(f"{path}: permission denied")
    if fmt == "parquet":
        if path.name.lower().endswith(".gz"):
            raise Unreadable(f"{path}: Parquet files are compressed internally; gzip is not supported around them")
        return ParquetReader(path)
    if fmt == "csv":
        return CsvReader(path, kind)
    if fmt == "json" and _first_byte(path) == b"[":
        return JsonArrayReader(path)
    return JsonLinesReader(path, chunk_bytes=CHUNK_BYTES_BY_KIND.get(kind.name))


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(stream of decompressed bytes, underlying file for progress)."""
    raw: IO[bytes] = path.open("rb")
    if path.name.lower().endswith(".gz"):
        return cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb")), raw
    return raw, raw


def _first_byte(path: Path) -> bytes:
    stream, raw = _open_binary(path)
    try:
        head = stream.read(4096)
    except (OSError, EOFError) as exc:
        raise Unreadable(f"{path}: {exc}") from None
    finally:
        raw.close()
    head = head.removeprefix(_BOM).lstrip()
    return head[:1]


class JsonLinesReader(Reader):
    """One JSON object per line; BOM, CRLF and blank lines tolerated."""

    unit = "bytes"

    def __init__(self, path: Path, *, chunk_bytes: int | None = None, max_line: int | None = None) -> None:
        self.path = path
        self.total = path.stat().st_size
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        self.max_line = max_line or MAX_LINE_BYTES

    def __iter__(self) -> Iterator[Chunk]:
        stream, raw = _open_binary(self.path)
        try:
            yield from self._chunks(stream, raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise Unreadable(f"{self.path}: {exc}") from None
        finally:
            raw.close()

    def _chunks(self, stream: IO[bytes], raw: IO[bytes]) -> Iterator[Chunk]:
        line0 = 1
        first = True
        while True:
            buf = stream.read(self.chunk_bytes)
            if not buf:
                return
            if first:
                buf = buf.removeprefix(_BOM)
                first = False
            rejects: list[PreReject] = []
            cut = 0
            if not buf.endswith(b"\n"):
                tail = stream.readline(self.max_line)
                buf += tail
                if tail and not tail.endswith(b"\n") and len(tail) >= self.max_line:
                    # the last line is too long: cut it off, reject it and skip to its end
                    start = buf.rfind(b"\n") + 1
                    lines_before = buf.count(b"\n", 0, start)
                    head = buf[start : start + 200].decode("utf-8", "replace")
                    buf = buf[:start]
                    while True:
                        more = stream.readline(self.max_line)
                        if not more or more.endswith(b"\n"):
                            break
                    rejects.append(PreReject(line0 + lines_before, f"line longer than {self.max_line >> 20} MiB", head))
                    cut = 1
            table, n_lines, bad = _lines_to_table(buf, line0)
            rejects.extend(bad)
            rejects.sort(key=lambda r: r.line)
            line0 += n_lines + cut
            yield Chunk(table, "json", raw.tell(), rejects)


def _lines_to_table(buf: bytes, line0: int) -> tuple[pa.Table, int, list[PreReject]]:
    """Split a buffer of whole lines into ``(line_no, raw)`` without a Python object per line."""
    data = np.frombuffer(buf, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    offsets = np.empty(len(ends) + 2, dtype=np.int64)
    offsets[0] = 0
    offsets[1 : len(ends) + 1] = ends + 1
    offsets[-1] = len(buf)
    if offsets[-1] == offsets[-2]:
        offsets = offsets[:-1]
    n = int(len(offsets) - 1)
    lengths = np.diff(offsets)
    line_no = np.arange(line0, line0 + n, dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    for short in np.flatnonzero(lengths <= 16):  # blank lines are short: look at short lines only
        if not buf[offsets[short] : offsets[short + 1]].strip():
            keep[short] = False
    rejects: list[PreReject] = []
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(buf))
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        texts: list[str | None] = []
        for i in range(n):
            line = buf[offsets[i] : offsets[i + 1]]
            try:
                texts.append(line.decode("utf-8"))
            except UnicodeDecodeError as exc:
                keep[i] = False
                rejects.append(
                    PreReject(
                        int(line_no[i]),
                        f"invalid UTF-8 at byte {exc.start + 1} of the line",
                        line[:200].decode("utf-8", "replace").rstrip("\r\n"),
                    )
                )
                texts.append(None)
        array = pa.array(texts, pa.large_string())
    table = pa.table({"line_no": line_no, "raw": array})
    if not keep.all():
        table = table.filter(pa.array(keep))
    return _batched(table), n, rejects


def _batched(table: pa.Table) -> pa.Table:
    """Small record batches let DuckDB scan the chunk with all its threads."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=2048), schema=table.schema)


class JsonArrayReader(Reader):
    """A JSON document holding an array of objects, streamed by DuckDB; positions are item numbers."""

    unit = "items"

    def __init__(self, path: Path, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = path
        self.total = 0
        self.chunk_rows = chunk_rows

    def __iter__(self) -> Iterator[Chunk]:
        import duckdb

        con = duckdb.connect()
        try:
            rel = con.sql(
                "SELECT row_number() OVER () AS line_no, json::VARCHAR AS raw "
                "FROM read_json_objects(?, format = 'array')",
                params=[str(self.path)],
            )
            reader = rel.to_arrow_reader(self.chunk_rows)
            done = 0
            for batch in reader:
                done += batch.num_rows
                yield Chunk(_batched(pa.Table.from_batches([batch])), "json", done)
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            message = str(exc).splitlines()[0].removeprefix("Invalid Input Error: ")
            raise FileRejected(
                f"{self.path}: not a valid JSON array of records ({message})", line=1, records=0
            ) from None
        finally:
            con.close()


class CsvReader(Reader):
    """CSV with a header row; empty cells are absent values; cells holding JSON are parsed as JSON."""

    unit = "bytes"

    def __init__(self, path: Path, kind: RecordKind, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = path
        self.kind = kind
        self.total = path.stat().st_size
        self.chunk_rows = chunk_rows

    def __iter__(self) -> Iterator[Chunk]:
        stream, raw = _open_binary(self.path)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            yield from self._chunks(text, raw)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise Unreadable(f"{self.path}: {exc}") from None
        except csv.Error as exc:
            raise FileRejected(f"{self.path}: malformed CSV ({exc})", line=0, records=0) from None
        finally:
            raw.close()

    def _check_header(self, header: list[str], rows_after: int) -> None:
        missing = []
        for spec in self.kind.fields:
            if not spec.required or spec.name in header:
                continue
            if spec.name == "agent_name" and ("agent_id" in header):
                continue
            missing.append(spec.name)
        dupes = sorted({h for h in header if header.count(h) > 1})
        if missing:
            names = ", ".join(repr(m) for m in missing)
            raise FileRejected(f"{self.path}:1: CSV header lacks required column {names}", line=1, records=rows_after)
        if dupes:
            raise FileRejected(f"{self.path}:1: CSV header repeats column {dupes[0]!r}", line=1, records=rows_after)

    def _chunks(self, text: io.TextIOWrapper, raw: IO[bytes]) -> Iterator[Chunk]:
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        try:
            self._check_header(header, 0)
        except FileRejected as exc:
            rows = sum(1 for row in reader if any(cell.strip() for cell in row))
            raise FileRejected(str(exc), line=1, records=rows) from None
        width = len(header)
        columns: dict[str, list[str | None]] = {h: [] for h in header}
        line_nos: list[int] = []
        rejects: list[PreReject] = []
        last_line = reader.line_num
        for row in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            shown = ",".join(row)[:200]
            if len(row) != width:
                rejects.append(PreReject(start, f"expected {width} cells as in the header, got {len(row)}", shown))
                continue
            if any(_has_surrogates(cell) for cell in row):
                rejects.append(PreReject(start, "invalid UTF-8", shown.encode("utf-8", "replace").decode()))
                continue
            line_nos.append(start)
            for name, cell in zip(header, row, strict=True):
                columns[name].append(cell if cell != "" else None)
            if len(line_nos) >= self.chunk_rows:
                yield self._emit(columns, line_nos, rejects, raw)
                columns = {h: [] for h in header}
                line_nos, rejects = [], []
        if line_nos or rejects:
            yield self._emit(columns, line_nos, rejects, raw)

    def _emit(
        self, columns: dict[str, list[str | None]], line_nos: list[int], rejects: list[PreReject], raw: IO[bytes]
    ) -> Chunk:
        arrays = {"line_no": pa.array(line_nos, pa.int64())}
        arrays.update({name: pa.array(values, pa.string()) for name, values in columns.items()})
        return Chunk(_batched(pa.table(arrays)), "columnar", raw.tell(), list(rejects))


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class ParquetReader(Reader):
    """Parquet row groups streamed as Arrow batches; positions are row numbers."""

    unit = "rows"

    def __init__(self, path: Path, *, chunk_rows: int = CHUNK_ROWS) -> None:
        import pyarrow.parquet as pq

        self.path = path
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise Unreadable(f"{path}: not a Parquet file ({exc})") from None
        self.total = self.file.metadata.num_rows
        self.chunk_rows = chunk_rows

    def __iter__(self) -> Iterator[Chunk]:
        done = 0
        for batch in self.file.iter_batches(batch_size=self.chunk_rows):
            line_no = pa.array(np.arange(done + 1, done + 1 + batch.num_rows, dtype=np.int64))
            table = pa.Table.from_batches([batch]).append_column("line_no", line_no)
            done += batch.num_rows
            yield Chunk(_batched(table), "columnar", done)


def record_text(chunk: Chunk, line: int) -> str:
    """The input text of one record of a chunk, for the quarantine."""
    lines = chunk.table.column("line_no").to_numpy()
    idx = int(np.searchsorted(lines, line))
    if chunk.layout == "json":
        return str(chunk.table.column("raw")[idx].as_py()).rstrip("\r\n")
    row = chunk.table.slice(idx, 1).to_pylist()[0]
    row.pop("line_no", None)
    return json.dumps(row, default=str, ensure_ascii=False)
