"""Validation of incoming records by the store's own rules, before anything is spooled.

The store validates inside DuckDB with one compiled query per record kind (:mod:`agenthone.store._validate`);
the service runs the same query on an in-memory DuckDB database, so a record the service accepts is one
``hone ingest`` accepts, and a rejected record gets the same one-line reason. Records whose outcome is
certain in Python (:func:`agenthone.store._live.plain_check`) never reach the query: it costs ~15 ms
whatever its size, which would dominate a one-event request.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from agenthone.records import RecordKind
from agenthone.store._live import plain_check
from agenthone.store._validate import content_key_sql, json_source, validation_sql

__all__ = ["Checked", "Validator"]

_GATHER = 64
"""Records a lingering leader waits for before it runs the query anyway."""
_PLAIN_MAX = 64
"""Largest request checked in Python first: beyond it the query's setup is paid for, and DuckDB validates
outside the GIL, beside the threads reading other requests (Python is the slower path for big batches)."""


@dataclass(frozen=True)
class Checked:
    """One record's verdict: ``reason`` is None for a valid record, which then has its id and content key."""

    line: int
    reason: str | None
    id: str | None
    content_hash: int | None
    """DuckDB's hash of the typed content; None for a record checked in Python."""
    agent: str | None
    content_key: str | None = None
    """The md5 of the content (:func:`~agenthone.store._validate.content_key_sql`), from either path; None
    for a record of a large request checked by SQL alone."""


class Validator:
    """Validates JSON texts of one kind; safe to share between threads.

    DuckDB spends ~15 ms setting up the validation query whatever its size, and ~25 us per record, so
    concurrent requests are validated together: the first caller to find the kind idle runs one query
    for everything queued by then, and the others wait for their share of the result.
    """

    def __init__(self) -> None:
        self._con = duckdb.connect(":memory:", config={"threads": 1})
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}

    def check(self, kind: RecordKind, texts: list[str]) -> list[Checked]:
        """One verdict per text, in order: plainly valid records in Python, the others by the SQL query.

        Both paths give the same verdict on a record; the Python one is taken for requests of up to
        ``_PLAIN_MAX`` records, where the query's fixed cost would dominate.
        """
        if len(texts) > _PLAIN_MAX:
            return self.check_sql(kind, texts, keyed=False)
        verdicts: list[Checked | None] = []
        rest: list[int] = []
        for i, text in enumerate(texts):
            plain = plain_check(kind, text)
            if plain is None:
                rest.append(i)
                verdicts.append(None)
            else:
                verdicts.append(Checked(i + 1, None, plain.id, None, plain.agent, plain.content_key))
        if rest:
            for checked in self.check_sql(kind, [texts[i] for i in rest]):
                i = rest[checked.line - 1]
                verdicts[i] = dataclasses.replace(checked, line=i + 1)
        return [v for v in verdicts if v is not None]

    def check_sql(self, kind: RecordKind, texts: list[str], *, keyed: bool = True) -> list[Checked]:
        """One verdict per text by the store's validation query alone (without content keys unless ``keyed``)."""
        if not texts:
            return []
        with self._lock:
            lane = self._lanes.get(kind.name)
            if lane is None:
                # two cursors: DuckDB validates outside the GIL, so two batches are checked at once
                lane = self._lanes[kind.name] = _Lane(kind, self._con, width=2)
        return lane.check(texts, keyed=keyed)

    def close(self) -> None:
        self._con.close()


class _Job:
    __slots__ = ("done", "keyed", "result", "taken", "texts")

    def __init__(self, texts: list[str], keyed: bool) -> None:
        self.texts = texts
        self.keyed = keyed
        self.result: list[Checked] | BaseException | None = None
        self.done = False
        self.taken = False


class _Lane:
    """One kind's queue and cursors: a caller that finds a cursor free validates everything queued."""

    def __init__(
        self, kind: RecordKind, con: duckdb.DuckDBPyConnection, *, width: int = 1, linger: float = 0.002
    ) -> None:
        self.kind = kind
        self.linger = linger
        lock = threading.Lock()
        self.cond = threading.Condition(lock)
        self.arrived = threading.Condition(lock)
        self.queue: list[_Job] = []
        self.free = [self._cursor(con) for _ in range(width)]

    def _cursor(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        cur = con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        # DuckDB optimises the prepared query again at every EXECUTE, which costs more than running it on a
        # request's records; the plan without the optimiser gives the same rows in half the time
        cur.execute("SET enable_optimizer = false")
        cur.execute("CREATE TEMP TABLE _hone_in (line_no BIGINT, raw VARCHAR)")
        inner = validation_sql(self.kind, json_source(self.kind, "_hone_in"))
        cur.execute(f"PREPARE hone_check AS SELECT line_no, reason, id, content_hash, agent_name, NULL FROM ({inner})")
        # the content key costs ~4 us a record: computed for the small requests that may meet fast-path records
        key = content_key_sql(self.kind)
        cur.execute(
            f"PREPARE hone_check_keyed AS SELECT line_no, reason, id, content_hash, agent_name,"
            f" CASE WHEN reason IS NULL THEN {key} END FROM ({inner})"
        )
        return cur

    def check(self, texts: list[str], *, keyed: bool) -> list[Checked]:
        job = _Job(texts, keyed)
        with self.cond:
            self.queue.append(job)
            self.arrived.notify()
            while not job.done and (job.taken or not self.free):
                self.cond.wait()
            if job.done:
                return self._result(job)
            cur = self.free.pop()
            # a query costs the same for 1 record as for 50: give requests in flight a moment to join
            deadline = time.monotonic() + self.linger
            while sum(len(j.texts) for j in self.queue) < _GATHER and (left := deadline - time.monotonic()) > 0:
                self.arrived.wait(left)
            batch, self.queue = self.queue, []
            for queued in batch:
                queued.taken = True
        try:
            self._run(cur, batch)
        finally:
            with self.cond:
                self.free.append(cur)
                self.cond.notify_all()
        return self._result(job)

    @staticmethod
    def _result(job: _Job) -> list[Checked]:
        if isinstance(job.result, BaseException):
            raise job.result
        assert job.result is not None
        return job.result

    @staticmethod
    def _run(cur: duckdb.DuckDBPyConnection, batch: list[_Job]) -> None:
        import pyarrow as pa

        texts = [t for job in batch for t in job.texts]
        statement = "EXECUTE hone_check_keyed" if any(job.keyed for job in batch) else "EXECUTE hone_check"

        def run(chunk: list[str], first: int) -> list[tuple[Any, ...]]:
            _hone_batch = pa.table(
                {
                    "line_no": pa.array(range(first, first + len(chunk)), pa.int64()),
                    "raw": pa.array(chunk, pa.string()),
                }
            )
            cur.execute("DELETE FROM _hone_in")
            cur.execute("INSERT INTO _hone_in SELECT * FROM _hone_batch")
            return sorted(cur.execute(statement).fetchall())

        try:
            try:
                rows = run(texts, 0)
            except duckdb.Error:
                # one record the query cannot handle must not sink the others: check them one by one
                rows = []
                for i, text in enumerate(texts):
                    try:
                        rows.extend(run([text], i))
                    except duckdb.Error as exc:
                        reason = f"record could not be validated: {str(exc).splitlines()[0]}"
                        rows.append((i, reason, None, None, None, None))
        except BaseException as exc:
            for job in batch:
                job.result, job.done = exc, True
            return
        start = 0
        for job in batch:
            part = rows[start : start + len(job.texts)]
            job.result = [Checked(int(r[0]) - start + 1, r[1], r[2], r[3], r[4], r[5]) for r in part]
            job.done = True
            start += len(job.texts)
