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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import duckdb

from agenthone.records import RecordKind
from agenthone.store._live import plain_check
from agenthone.store._validate import content_key_sql, json_source, validation_sql

__all__ = ["Arrival", "Checked", "Validator", "Verdicts"]

_GATHER = 64
"""Records a lingering leader waits for before it runs the query anyway."""
_GATHER_MAX = 6_000
"""Most records one query takes from the queue: beyond it, the per-record cost dwarfs the query's fixed cost."""
_WAIT_ANNOUNCED = 0.02
"""How long a gatherer waits for announced requests still reading their bodies."""
_GATHER_BATCH = 4_000
_BATCH_LINGER = 0.008
"""While other requests are in the service, a gatherer with fewer than ``_GATHER_BATCH`` records waits this
long for more (a query's fixed cost is that of ~1,500 records)."""
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


class Verdicts(Sequence[Checked]):
    """The verdicts of one request, column by column: record ``i`` (line ``i + 1``) at index ``i``.

    Columns, not one object per record: a batch of thousands is read from DuckDB's answer as Arrow columns
    and walked once by the caller.
    """

    __slots__ = ("agents", "hashes", "ids", "keys", "reasons")

    def __init__(
        self,
        reasons: list[str | None],
        ids: list[str | None],
        hashes: list[int | None],
        agents: list[str | None],
        keys: list[str | None],
    ) -> None:
        self.reasons = reasons
        self.ids = ids
        self.hashes = hashes
        self.agents = agents
        self.keys = keys

    @classmethod
    def of(cls, checked: Iterable[Checked]) -> Verdicts:
        rows = list(checked)
        return cls(
            [c.reason for c in rows],
            [c.id for c in rows],
            [c.content_hash for c in rows],
            [c.agent for c in rows],
            [c.content_key for c in rows],
        )

    def __len__(self) -> int:
        return len(self.reasons)

    @overload
    def __getitem__(self, i: int) -> Checked: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Checked]: ...
    def __getitem__(self, i: int | slice) -> Checked | Sequence[Checked]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return Checked(i + 1, self.reasons[i], self.ids[i], self.hashes[i], self.agents[i], self.keys[i])


class Arrival:
    """A request announced to its kind's lane before its body is read: a gathering query waits for it briefly.

    Closed when the request reaches :meth:`Validator.check` (or fails before): the lane stops waiting for it;
    finished when it is answered: the lane stops counting it among the requests in the service.
    """

    __slots__ = ("_lane", "active", "open")

    def __init__(self, lane: _Lane) -> None:
        self._lane = lane
        self.open = True
        self.active = True

    def close(self) -> None:
        if self.open:
            self._lane.withdraw(self)

    def finish(self) -> None:
        if self.active:
            self._lane.withdraw(self, finished=True)


class Validator:
    """Validates JSON texts of one kind; safe to share between threads.

    DuckDB spends ~8 ms binding and planning the validation query whatever its size, and ~4 us per record,
    so concurrent requests are validated together: the first caller to find the kind idle gathers everything
    queued, waiting a moment for the requests announced (:meth:`expect`) whose bodies are still being read,
    and runs one query for all of them; the others wait for their share of the result.
    """

    def __init__(self) -> None:
        self._con = duckdb.connect(":memory:", config={"threads": 1})
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}

    def _lane(self, kind: RecordKind) -> _Lane:
        with self._lock:
            lane = self._lanes.get(kind.name)
            if lane is None:
                # two cursors: DuckDB validates outside the GIL, so one query runs while the next is gathered
                lane = self._lanes[kind.name] = _Lane(kind, self._con, width=2)
        return lane

    def prepare(self, *kinds: RecordKind) -> None:
        """Prepare the validation queries of ``kinds`` now (a few tens of milliseconds each), not at first use."""
        for kind in kinds:
            self._lane(kind)

    def queries(self, kind: RecordKind) -> int:
        """How many validation queries ``kind`` has run (each checks every request gathered for it)."""
        return self._lane(kind).queries

    def expect(self, kind: RecordKind) -> Arrival:
        """Announce a request of ``kind`` on its way; close the answer if it never reaches :meth:`check`."""
        return self._lane(kind).announce()

    def check(self, kind: RecordKind, texts: list[str], *, arrival: Arrival | None = None) -> Verdicts:
        """One verdict per text, in order: plainly valid records in Python, the others by the SQL query.

        Both paths give the same verdict on a record; the Python one is taken for requests of up to
        ``_PLAIN_MAX`` records, where the query's fixed cost would dominate.
        """
        if arrival is not None:
            arrival.close()
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
        return Verdicts.of(v for v in verdicts if v is not None)

    def check_sql(self, kind: RecordKind, texts: list[str], *, keyed: bool = True) -> Verdicts:
        """One verdict per text by the store's validation query alone (without content keys unless ``keyed``)."""
        if not texts:
            return Verdicts([], [], [], [], [])
        return self._lane(kind).check(texts, keyed=keyed)

    def close(self) -> None:
        self._con.close()


class _Job:
    __slots__ = ("done", "keyed", "result", "taken", "texts")

    def __init__(self, texts: list[str], keyed: bool) -> None:
        self.texts = texts
        self.keyed = keyed
        self.result: Verdicts | BaseException | None = None
        self.done = False
        self.taken = False


class _Lane:
    """One kind's queue and cursors: a caller that finds a cursor free (and nobody gathering) gathers the queue.

    The gatherer waits up to ``linger`` for small requests to add up to ``_GATHER`` records, up to ``wait``
    while requests announced by :meth:`announce` are still on their way, and, while other announced requests
    are in the service, up to ``batch_linger`` for more until it holds ``_GATHER_BATCH`` records (at most
    ``_GATHER_MAX`` records a query). Arrivals while a query runs queue for the next gatherer, which may use
    the other cursor. A lone client is not kept waiting: nobody else is in the service then.
    """

    def __init__(
        self,
        kind: RecordKind,
        con: duckdb.DuckDBPyConnection,
        *,
        width: int = 1,
        linger: float = 0.002,
        wait: float = _WAIT_ANNOUNCED,
        batch_linger: float = _BATCH_LINGER,
    ) -> None:
        self.kind = kind
        self.linger = linger
        self.wait = wait
        self.batch_linger = batch_linger
        lock = threading.Lock()
        self.cond = threading.Condition(lock)
        self.arrived = threading.Condition(lock)
        self.queue: list[_Job] = []
        self.coming = 0
        """Announced requests that have not reached their check yet."""
        self.active = 0
        """Announced requests not answered yet."""
        self.gathering = False
        self.queries = 0
        """Validation queries run so far."""
        self.free = [self._cursor(con) for _ in range(width)]

    def announce(self) -> Arrival:
        with self.cond:
            self.coming += 1
            self.active += 1
        return Arrival(self)

    def withdraw(self, arrival: Arrival, *, finished: bool = False) -> None:
        with self.cond:
            if arrival.open:
                arrival.open = False
                self.coming -= 1
                self.arrived.notify()
            if finished and arrival.active:
                arrival.active = False
                self.active -= 1

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

    def check(self, texts: list[str], *, keyed: bool) -> Verdicts:
        job = _Job(texts, keyed)
        with self.cond:
            self.queue.append(job)
            self.arrived.notify()
            while not job.done and (job.taken or self.gathering or not self.free):
                self.cond.wait()
            if job.done:
                return self._result(job)
            cur = self.free.pop()
            self.gathering = True
            try:
                batch = self._gather()
                self.queries += 1
            finally:
                self.gathering = False
                self.cond.notify_all()
        try:
            self._run(cur, batch)
        finally:
            with self.cond:
                self.free.append(cur)
                self.cond.notify_all()
        return self._result(job)

    def _gather(self) -> list[_Job]:
        """The queued jobs to validate in one query, after waiting for the ones worth waiting for (lock held)."""
        started = time.monotonic()
        while True:
            queued = sum(len(j.texts) for j in self.queue)
            waited = time.monotonic() - started
            if queued >= _GATHER_MAX:
                break
            if queued < _GATHER and waited < self.linger:
                # a query costs the same for 1 record as for 50: give requests in flight a moment to join
                self.arrived.wait(self.linger - waited)
            elif self.coming > 0 and waited < self.wait:
                self.arrived.wait(self.wait - waited)
            elif queued < _GATHER_BATCH and waited < self.batch_linger and self.active > len(self.queue):
                # other requests are in the service (in another query, being answered): their clients send
                # the next ones in a moment
                self.arrived.wait(self.batch_linger - waited)
            else:
                break
        batch, self.queue = self.queue, []
        for queued_job in batch:
            queued_job.taken = True
        return batch

    @staticmethod
    def _result(job: _Job) -> Verdicts:
        if isinstance(job.result, BaseException):
            raise job.result
        assert job.result is not None
        return job.result

    @staticmethod
    def _run(cur: duckdb.DuckDBPyConnection, batch: list[_Job]) -> None:
        import pyarrow as pa

        texts = [t for job in batch for t in job.texts]
        statement = "EXECUTE hone_check_keyed" if any(job.keyed for job in batch) else "EXECUTE hone_check"

        def run(chunk: list[str], first: int) -> list[list[Any]]:
            _hone_batch = pa.table(
                {
                    "line_no": pa.array(range(first, first + len(chunk)), pa.int64()),
                    "raw": pa.array(chunk, pa.string()),
                }
            )
            # one call: every return from DuckDB takes the GIL again, a wait of up to 5 ms on a busy server
            query = f"DELETE FROM _hone_in; INSERT INTO _hone_in SELECT * FROM _hone_batch; {statement}"
            answer = cur.sql(query).to_arrow_table()
            columns = [answer.column(i).to_pylist() for i in range(answer.num_columns)]
            lines = columns[0]
            if lines != list(range(first, first + len(chunk))):  # a projection keeps the order; never rely on it
                order = sorted(range(len(lines)), key=lines.__getitem__)
                columns = [[col[i] for i in order] for col in columns]
            return columns

        try:
            try:
                columns = run(texts, 0)
            except duckdb.Error:
                # one record the query cannot handle must not sink the others: check them one by one
                columns = [[] for _ in range(6)]
                for i, text in enumerate(texts):
                    try:
                        one = run([text], i)
                    except duckdb.Error as exc:
                        reason = f"record could not be validated: {str(exc).splitlines()[0]}"
                        one = [[i], [reason], [None], [None], [None], [None]]
                    for col, value in zip(columns, one, strict=True):
                        col.extend(value)
        except BaseException as exc:
            for job in batch:
                job.result, job.done = exc, True
            return
        _, reasons, ids, hashes, agents, keys = columns
        start = 0
        for job in batch:
            end = start + len(job.texts)
            part = slice(start, end)
            job.result = Verdicts(reasons[part], ids[part], hashes[part], agents[part], keys[part])
            job.done = True
            start = end
