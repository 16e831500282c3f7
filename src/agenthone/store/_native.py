"""Files that DuckDB reads itself, as numbered relations for the validation query.

JSON lines go through DuckDB's CSV scanner cut to one VARCHAR cell per line (no delimiter, quote or
escape); Parquet through ``read_parquet(file_row_number = true)``. Reading the file this way and validating
the records in the same statement removes the Python reader and its Arrow chunks from the hot path.

Numbering the lines ``WITH ORDINALITY`` makes DuckDB scan on one thread, and the whole insert with it. So
the insert reads the file in as many stretches of lines as DuckDB has threads, side by side: each stretch
is its own numbered scan (the lines before it are cut and dropped, a ``LIMIT`` ends it), and DuckDB runs
the branches of a ``UNION ALL`` in parallel (``skip`` would hold the lines before in memory). The
stretches' lengths come from the file's size and the length of its lines in a few samples; a poor guess
only makes the stretches uneven, never a line read twice or missed.

DuckDB's line splitting matches the Python reader's only for plain files: a file with a carriage return
(DuckDB also ends lines on a lone one), a NUL byte (DuckDB's cell delimiter here) or gzip is left to the
Python reader, and so is any file that DuckDB refuses while reading it (invalid UTF-8, a line over
:data:`MAX_LINE_BYTES`): the caller rolls back and reads it in Python, which rejects the bad lines one by one.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from agenthone.records import RecordKind
from agenthone.store._validate import columnar_source, json_source

__all__ = ["MAX_LINE_BYTES", "NativeSource", "native_source"]

MAX_LINE_BYTES = 16 << 20
"""Longer lines make DuckDB's scan fail, and the file is read in Python (which takes lines up to 64 MiB)."""
_BUFFER_BYTES = 2 * MAX_LINE_BYTES


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class NativeSource:
    """A file as DuckDB reads it: ``relation`` yields ``line_no`` and the record (raw JSON or columns)."""

    layout: Literal["json", "columnar"]
    relation: str
    """SQL relation of every record of the file with its ``line_no``; blank lines are left out."""
    source: str
    """The validation source (see :mod:`agenthone.store._validate`) over ``relation``."""
    native: frozenset[str]
    """Fields read in their native type (Parquet numbers, booleans, timestamps)."""
    kind: RecordKind
    schema: pa.Schema | None = None
    """The columns of a columnar file, as DuckDB reads them."""
    stretches: str | None = None
    """The validation source the insert reads instead of ``source``: the same records, read in several
    numbered stretches side by side. None when one scan reads the file."""

    def source_of(self, relation: str) -> str:
        """The validation source over another relation of the same shape (a subset of the records)."""
        if self.schema is None:
            return json_source(self.kind, relation)
        return columnar_source(self.kind, relation, self.schema)[0]


_WINDOW = 32 << 20


def _plain_text(path: Path) -> bool:
    """True when DuckDB cuts this file into the same lines as the Python reader (no CR, no NUL).

    Looked for through a sliding memory map (a tenth of a second a GB): mapping the whole file at once
    would count all of it in the process's peak memory.
    """
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        for offset in range(0, size, _WINDOW):
            with mmap.mmap(fh.fileno(), min(_WINDOW, size - offset), offset=offset, access=mmap.ACCESS_READ) as mm:
                if mm.find(b"\r") >= 0 or mm.find(b"\x00") >= 0:
                    return False
    return True


_SAMPLES = 16
_SAMPLE_BYTES = 64 << 10
MIN_STRETCH_LINES = 20_000
"""Shorter stretches are not worth a scan of their own (each cuts the lines before it)."""


def _lines_guess(path: Path) -> int:
    """About how many lines the file has, from the line lengths in a few samples spread through it."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        if size <= _SAMPLES * _SAMPLE_BYTES:
            fh.seek(0)
            return fh.read().count(b"\n") + 1
        newlines = 0
        for i in range(_SAMPLES):
            fh.seek((size - _SAMPLE_BYTES) * i // (_SAMPLES - 1))
            newlines += fh.read(_SAMPLE_BYTES).count(b"\n")
    return size * max(newlines, 1) // (_SAMPLES * _SAMPLE_BYTES) + 1


_CUT_SHARE = 0.05
"""What cutting a line costs against validating and storing it (about 0.4 against 8.5 µs of CPU)."""


def _stretch_starts(lines: int, count: int) -> list[int]:
    """First line (0-based) of each of ``count`` stretches that should take each thread about as long.

    A stretch also cuts the lines before it, so the later ones are shorter: stretch ``i`` of length
    ``t - c * start_i`` (``c`` the cutting share), which sums to ``lines`` for ``t = lines * c / (1 - (1 - c)^count)``.
    """
    c = _CUT_SHARE
    each = lines * c / (1 - (1 - c) ** count)
    starts, start = [], 0.0
    for _ in range(count):
        starts.append(round(start))
        start += each - c * start
    return starts


_ROW_GROUP = 122_880
"""Rows DuckDB gathers per writer before it compresses and writes them (one row group per thread)."""
_UNITS = {"bytes": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}


def _memory_limit(con: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's memory limit in bytes (it shows as ``488.2 MiB``), or None when unknown."""
    text = str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]).strip().lower()
    number, _, unit = text.partition(" ")
    try:
        return int(float(number) * _UNITS[unit or "bytes"])
    except (ValueError, KeyError):
        return None


def _stretch_count(lines: int, line_bytes: int, threads: int, memory: int | None) -> int:
    """How many stretches to read side by side: one per thread, as many as fit in DuckDB's memory.

    Each holds its scan buffers and a row group of its rows until written; more than fit would make the
    insert run out of memory (one per thread on eight threads does at 512 MB).
    """
    count = min(threads, lines // MIN_STRETCH_LINES)
    if memory is not None:
        each = 2 * _BUFFER_BYTES + line_bytes * _ROW_GROUP
        count = min(count, memory // each)
    return max(count, 1)


def _json_lines(path: Path, kind: RecordKind, threads: int, memory: int | None) -> NativeSource | None:
    if path.name.lower().endswith(".gz") or not _plain_text(path):
        return None
    lines = (
        f"read_csv({_lit(str(path))}, columns = {{'raw': 'VARCHAR'}}, delim = chr(0), quote = '', escape = '',"
        f" header = false, auto_detect = false, strict_mode = false, comment = '',"
        f" max_line_size = {MAX_LINE_BYTES}, buffer_size = {_BUFFER_BYTES})"
    )
    # blank lines (empty, or a few spaces) are not records; the Python reader looks at lines up to 16 bytes.
    # A CASE, not NOT (a OR (b AND c)): DuckDB then trims only the short lines (4x cheaper)
    record = (
        "CASE WHEN strlen(raw) > 15 THEN true WHEN raw IS NULL THEN false"
        " ELSE trim(raw, ' ' || chr(9) || chr(11) || chr(12)) <> '' END"
    )
    relation = f"(SELECT ordinality AS line_no, raw FROM {lines} WITH ORDINALITY WHERE {record})"
    guess = _lines_guess(path)
    count = _stretch_count(guess, path.stat().st_size // guess, threads, memory)
    stretches = None
    if count > 1:
        starts = _stretch_starts(guess, count)
        parts = []
        for i, start in enumerate(starts):
            # each stretch cuts the lines before it and drops them: read_csv's skip holds them in memory
            scan = f"SELECT ordinality AS line_no, raw FROM {lines} WITH ORDINALITY WHERE ordinality > {start}"
            if i + 1 < count:  # the WHERE keeps the stretch exact; the LIMIT ends its scan there
                end = starts[i + 1]
                scan += f" AND ordinality <= {end} LIMIT {end - start}"
            parts.append(f"(SELECT * FROM ({scan}) WHERE {record})")
        stretches = json_source(kind, "(" + " UNION ALL ".join(parts) + ")")
    return NativeSource("json", relation, json_source(kind, relation), frozenset(), kind, stretches=stretches)


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, kind: RecordKind) -> NativeSource | None:
    scan = f"read_parquet({_lit(str(path))}, file_row_number = true)"
    try:
        empty: pa.Table | None = con.sql(f"SELECT * EXCLUDE (file_row_number) FROM {scan} LIMIT 0").to_arrow_table()
    except duckdb.Error:
        return None
    if empty is None or "line_no" in empty.schema.names:
        return None
    relation = f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS line_no FROM {scan})"
    schema = empty.schema
    source, native = columnar_source(kind, relation, schema)
    return NativeSource("columnar", relation, source, native, kind, schema)


def native_source(
    con: duckdb.DuckDBPyConnection, path: Path, layout: Literal["lines", "parquet"], kind: RecordKind
) -> NativeSource | None:
    """How DuckDB reads ``path`` (JSON lines or Parquet) itself, or None when the Python reader must."""
    if layout == "parquet":
        return _parquet(con, path, kind)
    threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    return _json_lines(path, kind, threads, _memory_limit(con))
