"""The embedded event store: one DuckDB file, one table per record kind, read through Ibis."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import math
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from agenthone.errors import HoneError, InvalidRecordError, RecordConflictError, StoreError, StoreLockedError
from agenthone.records import KINDS, RecordKind, kind_of
from agenthone.store._ingest import (
    API_SOURCE,
    FileReport,
    IngestReport,
    ProgressCallback,
    classify_sql,
    ingest_file,
    insert_sql,
)
from agenthone.store._live import plain_record
from agenthone.store._readers import Format
from agenthone.store._schema import ensure_schema
from agenthone.store._validate import json_source

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    from ibis.backends.duckdb import Backend as IbisDuckDB

    from agenthone.config import Settings

__all__ = ["Store"]


class Store:
    """An agenthone event store backed by a DuckDB file.

    Safe to share between threads of one process: every operation holds the store's lock. DuckDB lets
    one process write a file at a time; a second writer gets :class:`StoreLockedError` naming the holder.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        memory_limit: str | None = "512MB",
        threads: int | None = None,
        quarantine: str | os.PathLike[str] | None = None,
        capture_buffer: int = 1000,
        capture_seconds: float = 1.0,
    ) -> None:
        self.path = Path(path)
        self.capture_buffer = capture_buffer
        self.capture_seconds = capture_seconds
        self._pending: list[tuple[RecordKind, str]] = []
        self._pending_ids: dict[tuple[str, str], str] = {}
        self._journal_fd: int | None = None
        self._timer: threading.Timer | None = None
        self.read_only = read_only
        self.quarantine = Path(quarantine) if quarantine else self.path.with_name(self.path.stem + ".quarantine.jsonl")
        self._lock = threading.RLock()
        self._ibis: IbisDuckDB | None = None
        self._api_ingest_id: int | None = None
        self._api_lines = 0
        self._prepared_kinds: set[str] = set()
        self._config: dict[str, Any] = {}
        if memory_limit:
            self._config["memory_limit"] = memory_limit
        if threads:
            self._config["threads"] = int(threads)
        if read_only and not self.path.exists():
            Store(self.path, memory_limit=memory_limit, threads=threads).close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._closed = True
        self._reconnect()
        if not read_only:
            atexit.register(_flush_at_exit, weakref.ref(self))

    def _reconnect(self) -> None:
        self._prepared_kinds = set()  # prepared statements belong to a connection
        try:
            self._con = duckdb.connect(str(self.path), read_only=self.read_only, config=self._config)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                holder = text.split("Conflicting lock is held in", 1)[-1].split(". See also", maxsplit=1)[0].strip()
                raise StoreLockedError(
                    f"store {self.path} is open for writing in another process ({holder}); "
                    "close that process (or its notebook kernel) and try again"
                ) from None
            raise StoreError(f"cannot open store {self.path}: {text.splitlines()[0]}") from None
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {str(exc).splitlines()[0]}") from None
        self._con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws its own progress bar on long queries in a terminal; ours are on stderr already.
        # Inside a Jupyter kernel DuckDB refuses the setting (it wants ipywidgets): nothing to turn off there.
        with contextlib.suppress(duckdb.Error):
            self._con.execute("SET enable_progress_bar = false")
        if not self.read_only:
            with self._lock:
                ensure_schema(self._con)
                self._recover()
        self._closed = False

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Store:
        """The workspace's store, opened the one way every stage opens it.

        Honours ``duckdb_memory_limit``, ``duckdb_threads`` and the quarantine path of ``settings``, and
        creates the workspace folders first.
        """
        settings.ensure_dirs()
        return cls(
            settings.store_path,
            read_only=read_only,
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
            quarantine=settings.quarantine_path,
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self.flush()
            self._closed = True
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
            if self._ibis is not None:
                self._ibis = None
            self._con.close()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Close the file for the duration (so another process, a report's kernel, can open it), then reopen.

        The same ``Store`` object stays valid: code holding it sees the reopened connection afterwards.
        """
        with self._lock:
            self.close()
            try:
                yield
            finally:
                self._reconnect()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Store({str(self.path)!r}, {mode})"

    # -- reading -----------------------------------------------------------------------------------

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw DuckDB connection (hold :meth:`locked` when sharing the store between threads)."""
        if self._pending:
            self.flush()
        return self._con

    @contextmanager
    def locked(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            self.flush()
            yield self._con

    @property
    def ibis(self) -> IbisDuckDB:
        """An Ibis backend over this store's connection."""
        if self._pending:
            self.flush()
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self._con)
        return self._ibis

    def table(self, kind: str) -> ir.Table:
        """The Ibis table of a record kind (``runs``/``run``, ``edits``, ``conversations``)."""
        return self.ibis.table(kind_of(kind).table)

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL on the store and return a DataFrame."""
        with self._lock:
            self.flush()
            return self._con.execute(query, params or []).df()

    def counts(self) -> dict[str, int]:
        """Rows per record table."""
        with self._lock:
            self.flush()
            return {
                k.table: int(self._con.execute(f"SELECT count(*) FROM {k.table}").fetchone()[0])  # type: ignore[index]
                for k in KINDS.values()
            }

    def ingestions(self) -> pd.DataFrame:
        """The ingestion log: one row per file (and per process that logged live records)."""
        live = " + ".join(f"(SELECT count(*) FROM {k.table} t WHERE t.ingest_id = i.ingest_id)" for k in KINDS.values())
        return self.sql(
            f"SELECT * REPLACE (CASE WHEN kind = 'api' THEN {live} ELSE accepted END AS accepted)"
            " FROM ingestions i ORDER BY ingest_id"
        )

    # -- writing -----------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")

    def ingest(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        kind: str,
        *,
        format: Format | None = None,  # noqa: A002 - mirrors the CLI option
        progress: Callable[[Path], ProgressCallback | None] | None = None,
    ) -> IngestReport:
        """Ingest files of one record kind; each file is atomic and re-ingesting adds nothing.

        ``progress`` is called with each path and may return a ``(done, total)`` callback for it.
        """
        self._writable()
        spec = kind_of(kind)
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        reports: list[FileReport] = []
        for raw in paths:
            path = Path(raw)
            with self._lock:
                self.flush()
                reports.append(
                    ingest_file(
                        self._con,
                        path,
                        spec,
                        fmt=format,
                        quarantine=self.quarantine,
                        progress=progress(path) if progress else None,
                    )
                )
        return IngestReport(reports, self.quarantine)

    def insert(self, kind: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Validate and store records given as mappings; returns their ids in order.

        All-or-nothing: if any record is invalid, :class:`InvalidRecordError` is raised and nothing is
        stored. A record identical to a stored one is a no-op; one that reuses a stored id with other
        content raises :class:`RecordConflictError`. Statements are prepared once per kind, so a call
        costs a few milliseconds.
        """
        self._writable()
        spec = kind_of(kind)
        texts = [_to_json(spec, r) for r in records]
        if not texts:
            return []
        with self._lock:
            self.flush()
            return self._insert_texts(spec, texts)

    def capture(self, kind: str, record: Mapping[str, Any]) -> str:
        """Validate and store one record like :meth:`insert`, buffering the write; returns its id.

        An invalid record raises :class:`InvalidRecordError` at the call, and reusing a stored id with other
        content raises :class:`RecordConflictError`, as with :meth:`insert`. A plainly valid record is checked
        in Python, appended to a journal file beside the store (so a crash of the process loses nothing: the
        next writer that opens the store stores it) and written to the store in batches: after
        ``capture_buffer`` records or ``capture_seconds``, before any read through this object, on
        :meth:`flush`, :meth:`close` and at exit. Other records take the :meth:`insert` path at once.
        """
        self._writable()
        spec = kind_of(kind)
        text = _to_json(spec, record)
        if self.capture_buffer <= 0:
            return self.insert(kind, [record])[0]
        plain = plain_record(spec, text)
        with self._lock:
            if plain is not None:
                rec_id, stored = plain
                key = (spec.name, rec_id)
                seen = self._pending_ids.get(key)
                if seen == stored:
                    return rec_id
                if seen is None and (record.get("id") is None or not self._stored(spec, rec_id)):
                    self._buffer(spec, key, stored)
                    return rec_id
            self.flush()
            return self._insert_texts(spec, [text])[0]

    def flush(self) -> None:
        """Write the buffered live captures to the store now."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._pending:
                return
            pending, self._pending = self._pending, []
            ids, self._pending_ids = self._pending_ids, {}
            try:
                self._store_pending(pending)
            except BaseException:  # e.g. out of memory: keep them buffered (and journaled) for a later flush
                self._pending = pending + self._pending
                self._pending_ids = {**ids, **self._pending_ids}
                raise
            if self._journal_fd is not None:
                os.ftruncate(self._journal_fd, 0)

    def _stored(self, kind: RecordKind, rec_id: str) -> bool:
        row = self._con.execute(f"SELECT count(*) FROM {kind.table} WHERE id = ?", [rec_id]).fetchone()
        return bool(row and row[0])

    def _journal(self) -> Path:
        return self.path.with_name(self.path.name + ".pending.jsonl")

    def _buffer(self, kind: RecordKind, key: tuple[str, str], text: str) -> None:
        if self._journal_fd is None:
            self._journal_fd = os.open(self._journal(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        line = json.dumps({"kind": kind.name, "record": text}, ensure_ascii=False) + "\n"
        os.write(self._journal_fd, line.encode("utf-8"))  # in the kernel's hands: survives a kill of the process
        self._pending.append((kind, text))
        self._pending_ids[key] = text
        if len(self._pending) >= self.capture_buffer:
            self.flush()
        elif self._timer is None:
            self._timer = threading.Timer(self.capture_seconds, self._flush_due)
            self._timer.daemon = True
            self._timer.start()

    def _flush_due(self) -> None:
        with self._lock:
            self._timer = None
            with contextlib.suppress(duckdb.Error, StoreError):
                self.flush()

    def _store_pending(self, pending: list[tuple[RecordKind, str]]) -> None:
        """Insert buffered records kind by kind; one the SQL refuses goes to the quarantine, never lost."""
        by_kind: dict[str, tuple[RecordKind, list[str]]] = {}
        for spec, text in pending:
            by_kind.setdefault(spec.name, (spec, []))[1].append(text)
        for spec, texts in by_kind.values():
            try:
                self._insert_texts(spec, texts)
            except (InvalidRecordError, RecordConflictError):
                for text in texts:
                    try:
                        self._insert_texts(spec, [text])
                    except (InvalidRecordError, RecordConflictError) as exc:
                        self._quarantine_capture(spec, text, str(exc))

    def _quarantine_capture(self, kind: RecordKind, text: str, reason: str) -> None:
        entry = {
            "source": f"api:pid={os.getpid()}",
            "line": 0,
            "kind": kind.name,
            "reason": reason,
            "record": text[:2000],
            "ingest_id": self._api_ingest_id,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.quarantine.parent.mkdir(parents=True, exist_ok=True)
        with self.quarantine.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _recover(self) -> None:
        """Store the captures a process buffered and journaled but did not write before it ended."""
        journal = self._journal()
        try:
            data = journal.read_bytes()
        except OSError:
            return
        pending: list[tuple[RecordKind, str]] = []
        for line in data.splitlines():
            try:
                entry = json.loads(line)
                pending.append((kind_of(entry["kind"]), str(entry["record"])))
            except (ValueError, KeyError, TypeError, HoneError):
                continue  # a line torn by the crash: its call had not returned
        if pending:
            self._store_pending(pending)
        journal.unlink(missing_ok=True)

    def _insert_texts(self, spec: RecordKind, texts: list[str]) -> list[str]:
        with self._lock:
            ins, cls = self._prepared(spec)
            ingest_id = self._api_ingest()
            offset = self._api_lines
            self._api_lines += len(texts)
            # the Python API cannot bind parameters of EXECUTE, so values travel as SQL literals
            args = "[" + ", ".join(_sql_text(t) for t in texts) + f"]::VARCHAR[], {int(ingest_id)}, {int(offset)}"
            self._con.execute("BEGIN TRANSACTION")
            try:
                inserted = self._con.execute(f"EXECUTE {ins}({args})").fetchall()
                if len(inserted) == len(texts):  # the common case: all new and valid
                    self._con.execute("COMMIT")
                    return [str(rec_id) for _, rec_id in sorted(inserted)]
                statuses = self._con.execute(f"EXECUTE {cls}({args})").fetchall()
                for line_no, reason, _, _, _ in statuses:
                    if reason is not None:
                        where = f"record {line_no - offset}: " if len(texts) > 1 else ""
                        raise InvalidRecordError(where + reason, kind=spec.name)
                for _, _, rec_id, _, status in statuses:
                    if status == "conflict":
                        raise RecordConflictError(rec_id, kind=spec.name)
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return [str(row[2]) for row in statuses]

    def _prepared(self, kind: RecordKind) -> tuple[str, str]:
        """Names of the prepared insert and classify statements of live captures of ``kind``."""
        ins, cls = f"hone_insert_{kind.name}", f"hone_classify_{kind.name}"
        if kind.name not in self._prepared_kinds:
            source = json_source(kind, API_SOURCE)
            self._con.execute(f"PREPARE {ins} AS {insert_sql(kind, source, '$2')} RETURNING source_line, id")
            self._con.execute(f"PREPARE {cls} AS {classify_sql(kind, source, '$2')}")
            self._prepared_kinds.add(kind.name)
        return ins, cls

    def _api_ingest(self) -> int:
        """The ingestion row that records live captures of this process."""
        if self._api_ingest_id is None:
            ingest_id = int(self._con.execute("SELECT nextval('ingest_seq')").fetchone()[0])  # type: ignore[index]
            self._con.execute(
                "INSERT INTO ingestions VALUES (?, 'api', ?, 'api', now(), NULL, 0, 0, 0, 0, 0)",
                [ingest_id, f"api:pid={os.getpid()}"],
            )
            self._api_ingest_id = ingest_id
        return self._api_ingest_id


def _flush_at_exit(ref: weakref.ref[Store]) -> None:
    store = ref()
    if store is not None and store._pending and not store._closed:
        with contextlib.suppress(Exception):
            store.flush()


def _sql_text(text: str) -> str:
    """A SQL string literal (standard strings: only the quote needs doubling)."""
    return "'" + text.replace("'", "''") + "'"


def _to_json(kind: RecordKind, record: Mapping[str, Any]) -> str:
    if not isinstance(record, Mapping):
        raise InvalidRecordError(
            f"expected a mapping of field names to values, got {type(record).__name__}", kind=kind.name
        )
    try:
        return json.dumps(record, default=_json_default, allow_nan=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(str(exc), kind=kind.name) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            return str(item)
        return item
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"cannot store a value of type {type(value).__name__}")
