"""Ingestion: validated, idempotent, atomic per file, with a quarantine for what is refused.

JSON lines and Parquet files are read by DuckDB itself (:mod:`agenthone.store._native`): one statement
reads the whole file, validates every record and inserts those that are valid and whose id is not stored
yet; a record it does not keep is written as a stub (its line number and nothing else) so that the rows of
the file account for every record. Clean files, the common case, stop there after one cheap check that no
id repeats within the file. Otherwise the stubs and the later copies of a repeated id are deleted, and
only those records are read again, to be told apart as rejected (with the reason), duplicate or conflict.

Other files (CSV, JSON arrays, gzip, lines with a carriage return, and any file DuckDB cannot read, such as
one with invalid UTF-8) go through the Python readers in chunks: for each chunk one DuckDB statement
validates the records, drops those whose id is already stored or repeated earlier in the file, and inserts
the rest; a second query classifies the remainder only when fewer rows went in than the chunk held.

Either way the whole file runs in one transaction: an error or a ``kill -9`` leaves the store as it was
before the file, and the rules (:mod:`agenthone.store._validate`) are the same SQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from agenthone.errors import StoreError
from agenthone.records import RecordKind
from agenthone.store._native import NativeSource, native_source
from agenthone.store._readers import (
    Chunk,
    FileRejected,
    Format,
    JsonLinesReader,
    ParquetReader,
    Unreadable,
    detect_format,
    open_reader,
    record_text,
)
from agenthone.store._schema import record_columns
from agenthone.store._validate import columnar_source, json_source, validation_sql

__all__ = ["FileReport", "IngestReport", "ProgressCallback", "ingest_chunks", "ingest_file"]

ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) in the reader's unit as a file is read."""

_EXAMPLES_KEPT = 5
_CHUNK_VAR = "_hone_chunk"


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    kind: str
    format: str | None = None
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    error: str | None = None
    unreadable: bool = False
    seconds: float = 0.0
    ingest_id: int | None = None
    examples: list[str] = field(default_factory=list)
    """A few ``file:line: reason`` lines, for the terminal."""
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def records(self) -> int:
        return self.accepted + self.duplicate + self.conflict + self.rejected

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "format": self.format,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
            "error": self.error,
            "unreadable": self.unreadable,
            "seconds": round(self.seconds, 3),
            "ingest_id": self.ingest_id,
            "examples": self.examples,
        }


@dataclass
class IngestReport:
    """The outcome of one ingestion call over one or more files."""

    files: list[FileReport]
    quarantine: Path

    def _sum(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def accepted(self) -> int:
        return self._sum("accepted")

    @property
    def duplicate(self) -> int:
        return self._sum("duplicate")

    @property
    def conflict(self) -> int:
        return self._sum("conflict")

    @property
    def rejected(self) -> int:
        return self._sum("rejected")

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.unreadable]

    def exit_code(self, *, strict: bool = False) -> int:
        """0 on success, 2 when a path was unreadable, 1 under ``strict`` when anything was refused."""
        if self.unreadable:
            return 2
        if strict and (self.rejected or self.conflict or any(f.error for f in self.files)):
            return 1
        return 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
            "quarantine": str(self.quarantine),
            "files": [f.as_dict() for f in self.files],
        }


class _Quarantine:
    """Rejected records of one file, staged in a temp file and published only after the commit."""

    def __init__(self, target: Path, source: str, kind: RecordKind) -> None:
        self.target = target
        self.source = source
        self.kind = kind
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".quarantine-", suffix=".partial", dir=target.parent)
        self.tmp = Path(name)
        self.fh = os.fdopen(fd, "w", encoding="utf-8")
        self.count = 0

    def add(self, line: int, reason: str, record: str, ingest_id: int | None) -> None:
        entry = {
            "source": self.source,
            "line": line,
            "kind": self.kind.name,
            "reason": reason,
            "record": record[:2000],
            "ingest_id": ingest_id,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1

    def publish(self) -> None:
        self.fh.close()
        if self.count:
            with self.tmp.open("rb") as src, self.target.open("ab") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
        self.tmp.unlink(missing_ok=True)

    def discard(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


def _prefetched(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """Read the next chunk in a thread while DuckDB (which releases the GIL) works on the current one."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        box.put(("chunk", chunk), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("done", None))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(("error", exc))

    worker = threading.Thread(target=produce, name="hone-ingest-reader", daemon=True)
    worker.start()
    try:
        while True:
            tag, item = box.get()
            if tag == "chunk":
                yield item
            elif tag == "error":
                raise item
            else:
                return
    finally:
        stop.set()
        while worker.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)


def _json_reason(text: str) -> str:
    """A precise reason for a line DuckDB could not parse."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    return "invalid JSON"


def _source_sql(kind: RecordKind, chunk: Chunk) -> tuple[str, frozenset[str]]:
    if chunk.layout == "json":
        return json_source(kind, _CHUNK_VAR), frozenset()
    return columnar_source(kind, _CHUNK_VAR, chunk.table.schema)


def insert_sql(kind: RecordKind, source: str, ingest_id: int | str, native: frozenset[str] = frozenset()) -> str:
    """Validate the source, skip ids already stored or seen earlier in it, insert the rest.

    ``ingest_id`` is a number, or a SQL expression such as a prepared-statement parameter.
    """
    cols = [name for name, _ in record_columns(kind)]
    quoted = ", ".join(f'"{c}"' for c in cols)
    select = ", ".join(f'ok."{c}"' for c in cols if c not in ("ingest_id", "source_line"))
    return f"""INSERT INTO {kind.table} ({quoted})
WITH v AS MATERIALIZED ({validation_sql(kind, source, native)}),
ok AS (SELECT * FROM v WHERE reason IS NULL),
firsts AS (SELECT id, min(line_no) AS line_no FROM ok GROUP BY id),
ex AS (SELECT t.id FROM {kind.table} t SEMI JOIN ok ON t.id = ok.id)
SELECT {select}, {ingest_id}, ok.line_no FROM ok
SEMI JOIN firsts ON ok.id = firsts.id AND ok.line_no = firsts.line_no
WHERE ok.id NOT IN (SELECT id FROM ex)"""


def classify_sql(kind: RecordKind, source: str, ingest_id: int | str, native: frozenset[str] = frozenset()) -> str:
    """Status of each source record after an insert: rejected, accepted, duplicate, conflict (or new)."""
    return f"""WITH v AS ({validation_sql(kind, source, native)})
SELECT v.line_no, v.reason, v.id, v.content_hash,
  CASE WHEN v.reason IS NOT NULL THEN 'rejected'
       WHEN t.id IS NULL THEN 'new'
       WHEN t.ingest_id = {ingest_id} AND t.source_line = v.line_no THEN 'accepted'
       WHEN t.content_hash = v.content_hash THEN 'duplicate'
       ELSE 'conflict' END AS status
FROM v LEFT JOIN {kind.table} t ON t.id = v.id
ORDER BY v.line_no"""


@dataclass
class ChunkOutcome:
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)


def ingest_chunks(con: duckdb.DuckDBPyConnection, kind: RecordKind, chunk: Chunk, ingest_id: int) -> ChunkOutcome:
    """Insert one chunk inside the caller's transaction and account for every record in it."""
    out = ChunkOutcome()
    n = chunk.table.num_rows
    if n == 0:
        return out
    source, native = _source_sql(kind, chunk)
    _hone_chunk = chunk.table
    row = con.execute(insert_sql(kind, source, ingest_id, native)).fetchone()
    out.accepted = int(row[0]) if row else 0
    if out.accepted == n:
        return out
    for line_no, reason, rec_id, _, status in con.execute(classify_sql(kind, source, ingest_id, native)).fetchall():
        if status == "rejected":
            out.rejected.append((int(line_no), str(reason)))
        elif status == "duplicate":
            out.duplicate += 1
            out.duplicates.append((int(line_no), str(rec_id)))
        elif status == "conflict":
            out.conflict += 1
            out.conflicts.append((int(line_no), str(rec_id)))
    return out


def native_insert_sql(
    kind: RecordKind,
    source: str,
    ingest_id: int,
    native: frozenset[str] = frozenset(),
    *,
    skip_stored: bool = True,
) -> str:
    """Insert every record of the source: the valid ones whose id is not stored yet whole, the others as stubs.

    A stub keeps only ``ingest_id`` and ``source_line`` (its ``id`` is NULL), so that the rows of an ingestion
    account for every record of the file; the caller deletes the stubs before the commit. With
    ``skip_stored=False`` valid records are kept whole even when their id is stored already (no join with
    the table in the insert, which is cheaper); the caller then refuses them (see :func:`_settle_native`).
    """
    cols = [name for name, _ in record_columns(kind)]
    quoted = ", ".join(f'"{c}"' for c in cols)
    values = []
    for c in cols:
        if c == "ingest_id":
            values.append(str(int(ingest_id)))
        elif c == "source_line":
            values.append("line_no")
        else:
            values.append(f'CASE WHEN keep THEN "{c}" END')
    keep = "reason IS NULL"
    if skip_stored:
        keep += f" AND id NOT IN (SELECT id FROM {kind.table} WHERE id IS NOT NULL)"
    return f"""INSERT INTO {kind.table} ({quoted})
SELECT {", ".join(values)} FROM (SELECT *, {keep} AS keep FROM ({validation_sql(kind, source, native)}))"""


def _start(con: duckdb.DuckDBPyConnection, report: FileReport, kind: RecordKind, path: Path) -> None:
    report.ingest_id = int(con.execute("SELECT nextval('ingest_seq')").fetchone()[0])  # type: ignore[index]
    con.execute(
        "INSERT INTO ingestions VALUES (?, ?, ?, ?, now(), NULL, ?, 0, 0, 0, 0)",
        [report.ingest_id, kind.name, str(path.resolve()), report.format, path.stat().st_size],
    )


def _finish(con: duckdb.DuckDBPyConnection, report: FileReport) -> None:
    con.execute(
        "UPDATE ingestions SET finished_at = now(), accepted = ?, duplicate = ?, conflict = ?, rejected = ?"
        " WHERE ingest_id = ?",
        [report.accepted, report.duplicate, report.conflict, report.rejected, report.ingest_id],
    )


def _database_error(path: Path, exc: duckdb.Error) -> StoreError:
    message = str(exc).splitlines()[0]
    hint = ""
    if isinstance(exc, duckdb.OutOfMemoryException):
        hint = " (raise duckdb_memory_limit in hone.toml or HONE_DUCKDB_MEMORY_LIMIT)"
    return StoreError(f"{path}: ingestion failed, nothing from this file was stored: {message}{hint}")


class _Rejecter:
    """Counts refused records of a file and writes them to its quarantine."""

    def __init__(self, path: Path, report: FileReport, q: _Quarantine) -> None:
        self.path = path
        self.report = report
        self.q = q

    def reject(self, line: int, reason: str, record: str) -> None:
        report = self.report
        report.rejected += 1
        report.reasons[reason.split(",", maxsplit=1)[0].split(" at ", maxsplit=1)[0]] += 1
        self.q.add(line, reason, record, report.ingest_id)
        if len(report.examples) < _EXAMPLES_KEPT:
            report.examples.append(f"{self.path}:{line}: {reason}")

    def conflict(self, line: int, rec_id: str, record: str) -> None:
        message = f"conflict: id {rec_id!r} is already stored with different content; kept the stored record"
        self.q.add(line, message, record, self.report.ingest_id)
        if len(self.report.examples) < _EXAMPLES_KEPT:
            self.report.examples.append(f"{self.path}:{line}: {message}")


_AGAIN = "_hone_again"
_STATUS = "_hone_status"
_WANTED = "_hone_wanted"


def _settle_native(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: RecordKind,
    src: NativeSource,
    out: _Rejecter,
    *,
    kept_stored: bool = False,
) -> None:
    """Account for the records of a native insert: drop stubs and repeats, classify them, quarantine.

    ``kept_stored``: the insert kept valid records whose id was stored before (``skip_stored=False``); they
    are refused here, each as a duplicate or a conflict of the stored record.
    """
    report, table, ingest_id = out.report, kind.table, out.report.ingest_id or 0
    mine = f"{table} WHERE ingest_id = {ingest_id}"
    rows, kept, distinct = con.execute(f"SELECT count(*), count(id), count(DISTINCT id) FROM {mine}").fetchone()  # type: ignore[misc]
    earlier = f"(SELECT id, content_hash FROM {table} WHERE ingest_id IS DISTINCT FROM {ingest_id} AND id IS NOT NULL)"
    stored = 0
    if kept_stored and kept:
        stored = int(con.execute(f"SELECT count(*) FROM {mine} AND id IN (SELECT id FROM {earlier})").fetchone()[0])  # type: ignore[index]
    if rows == kept == distinct and not stored:
        report.accepted = int(rows)
        return
    try:
        # stubs (not kept: rejected, or an id stored before), the records whose id was stored before, and
        # later copies of an id repeated in the file (and not stored before)
        prior = (
            f"""UNION ALL
SELECT n.source_line, n.id, n.content_hash = o.content_hash FROM {table} n JOIN {earlier} o ON n.id = o.id
WHERE n.ingest_id = {ingest_id}"""
            if stored
            else ""
        )
        fresh = f" AND id NOT IN (SELECT id FROM {earlier})" if stored else ""
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {_AGAIN} AS
SELECT source_line AS line_no, NULL::VARCHAR AS id, NULL::BOOLEAN AS same FROM {mine} AND id IS NULL
{prior}
UNION ALL
SELECT r.source_line, r.id, r.content_hash = f.first_hash FROM {table} r JOIN (
  SELECT id, min(source_line) AS first, arg_min(content_hash, source_line) AS first_hash
  FROM {mine} AND id IS NOT NULL{fresh} GROUP BY id HAVING count(*) > 1) f ON r.id = f.id
WHERE r.ingest_id = {ingest_id} AND r.source_line <> f.first"""
        )
        con.execute(f"DELETE FROM {mine} AND source_line IN (SELECT line_no FROM {_AGAIN})")
        report.accepted = int(con.execute(f"SELECT count(*) FROM {mine}").fetchone()[0])  # type: ignore[index]
        # the stubs read and validated again (only they), classified against the store
        stubs = f"(SELECT * FROM {src.relation} WHERE line_no IN (SELECT line_no FROM {_AGAIN} WHERE id IS NULL))"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_STATUS} AS SELECT line_no, reason, id, status"
            f" FROM ({classify_sql(kind, src.source_of(stubs), ingest_id, src.native)})"
            f" UNION ALL SELECT line_no, NULL, id, CASE WHEN same THEN 'duplicate' ELSE 'conflict' END"
            f" FROM {_AGAIN} WHERE id IS NOT NULL"
        )
        counts = dict(con.execute(f"SELECT status, count(*) FROM {_STATUS} GROUP BY status").fetchall())
        unexpected = set(counts) - {"rejected", "duplicate", "conflict"}
        if unexpected:  # pragma: no cover - a valid record with a new id is always kept
            raise StoreError(f"{path}: records neither kept nor refused ({', '.join(sorted(unexpected))})")
        report.duplicate += int(counts.get("duplicate", 0))
        report.conflict += int(counts.get("conflict", 0))
        refused = con.execute(
            f"SELECT line_no, reason, id, status FROM {_STATUS} WHERE status <> 'duplicate' ORDER BY line_no"
        ).fetchall()
        texts = _texts(con, path, src, [int(line) for line, *_ in refused])
        for line, reason, _, status in refused:
            if status == "rejected":
                text = texts[line]
                out.reject(line, _json_reason(text) if reason == "invalid JSON" else str(reason), text)
        for line, _, rec_id, status in refused:
            if status == "conflict":
                out.conflict(line, str(rec_id), texts[line])
    finally:
        for name in (_WANTED, _STATUS, _AGAIN):
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _texts(con: duckdb.DuckDBPyConnection, path: Path, src: NativeSource, lines: list[int]) -> dict[int, str]:
    """The input text of some records of a natively read file, as the Python readers show them."""
    if not lines:
        return {}
    if src.schema is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_WANTED} AS SELECT unnest(?::BIGINT[]) AS line_no", [lines])
        found = con.execute(
            f"SELECT line_no, raw FROM {src.relation} WHERE line_no IN (SELECT line_no FROM {_WANTED})"
        ).fetchall()
        return {int(line): str(raw) for line, raw in found}
    import bisect

    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    starts = [0]
    for i in range(pf.metadata.num_row_groups):
        starts.append(starts[-1] + pf.metadata.row_group(i).num_rows)
    by_group: dict[int, list[int]] = {}
    for line in lines:
        by_group.setdefault(bisect.bisect_right(starts, line - 1) - 1, []).append(line)
    texts = {}
    for group, members in by_group.items():
        rows = pf.read_row_group(group).take([line - 1 - starts[group] for line in members]).to_pylist()
        for line, row in zip(members, rows, strict=True):
            texts[line] = json.dumps(row, default=str, ensure_ascii=False)
    return texts


@contextlib.contextmanager
def _statement_progress(
    con: duckdb.DuckDBPyConnection, progress: ProgressCallback | None, total: int
) -> Iterator[None]:
    """Report DuckDB's own progress through a long statement (polled from a thread), then completion."""
    if progress is None:
        yield
        return
    try:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        con.execute("SET progress_bar_time = 0")
    except duckdb.Error:  # a Jupyter kernel refuses the setting (DuckDB wants ipywidgets there)
        yield
        progress(total, total)
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            percent = con.query_progress()
            if percent > 0:
                progress(int(total * min(percent, 100.0) / 100), total)

    poller = threading.Thread(target=poll, name="hone-ingest-progress", daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar = false")
    progress(total, total)


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> Iterator[None]:
    """DuckDB settings changed around a transaction, then set back (an aborted transaction refuses SET)."""
    before = {name: con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0] for name in values}
    for name, value in values.items():
        con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            con.execute(f"SET {name} = {value!s}")


def _ingest_native(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: RecordKind,
    src: NativeSource,
    report: FileReport,
    *,
    quarantine: Path,
    progress: ProgressCallback | None,
    total: int,
) -> bool:
    """Ingest a file DuckDB reads itself; False (nothing stored) when DuckDB cannot read it."""
    # stretches: every row carries its line number, so the rows need not be stored in the file's order (DuckDB
    # would otherwise read the stretches one after another to keep it); one row group buffered per writer
    # instead of five keeps a 1M-line insert under 512 MB (about 440 MB of buffers instead of 730 MB)
    stretched = {"preserve_insertion_order": "false", "write_buffer_row_group_count": "1"}
    with _settings(con, stretched if src.stretches is not None else {}):
        q = _Quarantine(quarantine, str(path), kind)
        con.execute("BEGIN TRANSACTION")
        try:
            _start(con, report, kind, path)
            ingest_id = report.ingest_id or 0
            with _statement_progress(con, progress, total):
                if src.stretches is None:
                    con.execute(native_insert_sql(kind, src.source, ingest_id, src.native))
                else:
                    con.execute(native_insert_sql(kind, src.stretches, ingest_id, src.native, skip_stored=False))
            _settle_native(con, path, kind, src, _Rejecter(path, report, q), kept_stored=src.stretches is not None)
            _finish(con, report)
            con.execute("COMMIT")
        except (duckdb.InvalidInputException, duckdb.ConversionException):
            # the file's bytes (invalid UTF-8, an over-long line, ...): the Python reader rejects them line by line
            con.execute("ROLLBACK")
            q.discard()
            return False
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            q.discard()
            raise _database_error(path, exc) from exc
        except BaseException:
            con.execute("ROLLBACK")
            q.discard()
            raise
        q.publish()
        return True


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: RecordKind,
    *,
    fmt: Format | None,
    quarantine: Path,
    progress: ProgressCallback | None = None,
    native: bool = True,
) -> FileReport:
    """Ingest one file in one transaction; never raises for bad input, reports it instead.

    ``native`` lets DuckDB read JSON lines and Parquet itself where it can (see the module's notes).
    """
    import time

    started = time.perf_counter()
    report = FileReport(path=str(path), kind=kind.name)
    try:
        report.format = fmt or detect_format(path)
        reader = open_reader(path, report.format, kind)  # type: ignore[arg-type]
    except Unreadable as exc:
        report.unreadable = True
        report.error = str(exc)
        return report

    if native and isinstance(reader, (JsonLinesReader, ParquetReader)):
        layout: Literal["lines", "parquet"] = "parquet" if isinstance(reader, ParquetReader) else "lines"
        src = native_source(con, path, layout, kind)
        if src is not None:
            if _ingest_native(
                con, path, kind, src, report, quarantine=quarantine, progress=progress, total=reader.total
            ):
                report.seconds = time.perf_counter() - started
                return report
            report = FileReport(path=str(path), kind=kind.name, format=report.format)

    q = _Quarantine(quarantine, str(path), kind)
    out = _Rejecter(path, report, q)

    con.execute("BEGIN TRANSACTION")
    try:
        _start(con, report, kind, path)
        for chunk in _prefetched(iter(reader)):
            for pre in chunk.rejects:
                out.reject(pre.line, pre.reason, pre.record)
            outcome = ingest_chunks(con, kind, chunk, report.ingest_id)  # type: ignore[arg-type]
            report.accepted += outcome.accepted
            report.duplicate += outcome.duplicate
            report.conflict += outcome.conflict
            for line, reason in outcome.rejected:
                text = record_text(chunk, line)
                if reason == "invalid JSON":
                    reason = _json_reason(text)
                out.reject(line, reason, text)
            for line, rec_id in outcome.conflicts:
                out.conflict(line, rec_id, record_text(chunk, line))
            if progress is not None:
                progress(chunk.position, reader.total)
        _finish(con, report)
        con.execute("COMMIT")
    except FileRejected as exc:
        con.execute("ROLLBACK")
        q.discard()
        q = _Quarantine(quarantine, str(path), kind)
        report.accepted = report.duplicate = report.conflict = 0
        report.rejected = exc.records
        report.error = str(exc)
        report.examples = [str(exc)]
        q.add(exc.line, str(exc), "", None)
        report.ingest_id = None
    except Unreadable as exc:
        con.execute("ROLLBACK")
        q.discard()
        report.accepted = report.duplicate = report.conflict = report.rejected = 0
        report.unreadable = True
        report.error = str(exc)
        report.ingest_id = None
        return report
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        q.discard()
        raise _database_error(path, exc) from exc
    except BaseException:
        con.execute("ROLLBACK")
        q.discard()
        raise
    q.publish()
    report.seconds = time.perf_counter() - started
    return report


API_SOURCE = (
    "(SELECT $3 + i AS line_no, raw"
    " FROM (SELECT unnest($1::VARCHAR[]) AS raw, generate_subscripts($1::VARCHAR[], 1) AS i))"
)
"""Source relation of live captures: $1 the JSON texts, $3 the line offset (unique within the process)."""
