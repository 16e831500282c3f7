"""The embedded event store: one DuckDB file, one table per record kind, read through Ibis."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from agenthone.errors import InvalidRecordError, RecordConflictError, StoreError, StoreLockedError
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
    ) -> None:
        self.path = Path(path)
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
        self._reconnect()

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
        return self._con

    @contextmanager
    def locked(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            yield self._con

    @property
    def ibis(self) -> IbisDuckDB:
        """An Ibis backend over this store's connection."""
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
            return self._con.execute(query, params or []).df()

    def counts(self) -> dict[str, int]:
        """Rows per record table."""
        with self._lock:
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
