"""The collector's engine, independent of HTTP: validate, deduplicate, spool, flush, audit, rate-limit."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agenthone.audit._log import record_many
from agenthone.errors import StoreLockedError
from agenthone.records import KINDS, kind_of
from agenthone.service._body import BadRequest
from agenthone.service._check import Arrival, Checked, Validator
from agenthone.service._keys import ApiKey, KeyRing
from agenthone.service._spool import FlushResult, Spool, spool_dir
from agenthone.store._ingest import _json_reason

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.datasets._pii import PiiRedactor
    from agenthone.store import Store

__all__ = ["BatchResult", "CollectorCore"]

log = logging.getLogger("agenthone.service")
T = TypeVar("T")

_REASONS_KEPT = 5
_IDLE_S = 0.02
"""A pause this long after the last append, with no request in flight, ends a burst (see ``_flush_due``)."""
_IDLE_MIN_EVENTS = 1_000
"""Fewer events waiting are a trickle, flushed at the configured pace."""
_IDLE_MANY_EVENTS = 10_000
"""So many events waiting are flushed as soon as their burst ends, even right after another flush."""
_KNOWN_MAX = 2_000_000
_PLAIN_FIELDS = frozenset(
    {"id", "timestamp", "agent_id", "agent_name", "model", "run_id", "session_id", "prompt_version", "category"}
)
"""Top-level fields the redactor leaves alone: identifiers and labels, not free text."""


@dataclass
class BatchResult:
    """The answer to one batch: how many records were accepted, recognised as duplicates or rejected."""

    kind: str
    received: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)
    """The first few ``record N: reason`` lines."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, int]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
        }


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float) -> None:
        self.tokens = tokens
        self.stamp = time.monotonic()


class CollectorCore:
    """State shared by every request of one service process.

    Holds no store connection between flushes: the store is opened for a flush (or a read) and closed
    right after, so notebooks and ``hone`` commands can use it in between.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = settings.service
        self.spool = Spool(spool_dir(settings))
        self.validator = Validator()
        self.keys = KeyRing(settings)
        self._known: dict[str, dict[str, tuple[int | None, int | None]]] = {}
        """Per kind, the ids of records accepted lately: their content hash and key, either of which may be None."""
        self._known_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._bucket_lock = threading.Lock()
        self._audit: list[dict[str, Any]] = []
        self._audit_lock = threading.Lock()
        self._stop = threading.Event()
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self._flush_ended = time.monotonic()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._redactor: PiiRedactor | None = None
        self.started_at = dt.datetime.now(dt.UTC)
        self.totals = {"accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
        self.flushed = {"files": 0, "accepted": 0, "duplicate": 0, "conflict": 0, "rejected": 0}
        self.last_flush_at: str | None = None
        self.last_flush_error: str | None = None
        self.store_busy = False
        if settings.capture.redact:
            from agenthone.datasets._pii import DEFAULT_PII_ENTITIES, PiiRedactor

            self._redactor = PiiRedactor(entities=settings.capture.entities or DEFAULT_PII_ENTITIES)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Flush what a previous run left in the spool, prepare the validation queries, then start the flusher
        and audit writer."""
        self.flush()
        self.validator.prepare(*KINDS.values())  # not at the first request: it would stall the event loop
        for target, name in ((self._flush_loop, "hone-flusher"), (self._audit_loop, "hone-audit")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, *, flush_timeout: float = 60.0) -> FlushResult | None:
        """Stop the background threads, then flush the spool into the store (waiting while it is busy)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        self._write_audit()
        self.spool.close()
        deadline = time.monotonic() + flush_timeout
        result = self.flush()
        while result is None and time.monotonic() < deadline:
            time.sleep(0.5)
            result = self.flush()
        self.validator.close()
        return result

    def _burst_over(self) -> bool:
        """No request in flight and nothing appended for ``_IDLE_S``: the senders have paused."""
        return not self._in_flight and time.monotonic() - self.spool.last_append >= _IDLE_S

    def _flush_due(self, interval: float) -> bool:
        """Whether the flusher should flush now.

        At the configured pace, once ``interval`` has passed since the previous flush ended and since the
        first event that waits (the first events after a quiet spell do not take a flush of their own, in
        case more come); sooner when a burst of sends has ended (no request in flight, nothing appended for
        ``_IDLE_S``, at least ``_IDLE_MIN_EVENTS`` events waiting and half an interval since the previous
        flush, or ``_IDLE_MANY_EVENTS`` waiting): its events need not wait, while a trickle of small requests
        keeps the configured pace. (A burst that ends during a flush is taken by that flush.)
        """
        if not any(self.spool.backlog.values()):
            return False
        now = time.monotonic()
        rested = now - self._flush_ended
        if rested >= interval and (not self.spool.unsealed or now - self.spool.first_append >= interval):
            return True
        waiting = self.spool.unsealed
        if waiting < _IDLE_MIN_EVENTS or (rested < interval / 2 and waiting < _IDLE_MANY_EVENTS):
            return False
        return self._burst_over()

    def _flush_loop(self) -> None:
        interval = max(0.05, float(self.config.flush_interval_s))
        tick = min(interval, _IDLE_S)
        while not self._stop.is_set():
            woken = self._wake.wait(tick)
            self._wake.clear()
            if self._stop.is_set():
                return
            if not (woken and any(self.spool.backlog.values())) and not self._flush_due(interval):
                continue
            try:
                self.flush()
            except Exception as exc:  # keep flushing later; the events stay in the spool
                self.last_flush_error = str(exc).splitlines()[0]
                log.warning("flush failed, events stay in the spool: %s", self.last_flush_error)

    def _audit_loop(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self._write_audit()
            except Exception as exc:  # pragma: no cover - a broken audit file
                log.warning("could not write the audit log: %s", exc)

    # -- the store, briefly ------------------------------------------------------------------------

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store, opened for this block only; raises :class:`StoreLockedError` while another process holds it."""
        from agenthone.store import Store

        with self._store_lock:
            store = Store.open(self.settings)
            try:
                yield store
            finally:
                store.close()

    def read(self, fn: Callable[[Store], T]) -> T:
        with self.store() as store:
            return fn(store)

    def flush(self) -> FlushResult | None:
        """Move the spool into the store; None when the store is busy (the events wait in the spool)."""
        if not sum(self.spool.backlog.values()) and not any(self.spool.folder.glob("*.jsonl")):
            return FlushResult()

        def ingested(report: dict[str, Any]) -> None:  # committed: counted before the store is closed
            self.flushed["files"] += 1
            for key in ("accepted", "duplicate", "conflict", "rejected"):
                self.flushed[key] += int(report.get(key, 0))
            self.last_flush_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        try:
            with self.store() as store:
                self.store_busy = False
                self.last_flush_error = None

                def ingest(path: Path, kind: str) -> dict[str, Any]:
                    return store.ingest(path, kind, format="jsonl").as_dict()

                result = self.spool.flush(ingest, ingested=ingested)
                # a burst that ended while this flush ran: its last events go now, before the store is closed
                while self._burst_over() and self.spool.unsealed:
                    result.add(self.spool.flush(ingest, ingested=ingested))
        except StoreLockedError as exc:
            self.store_busy = True
            self.last_flush_error = str(exc)
            return None
        finally:
            self._flush_ended = time.monotonic()
        return result

    # -- requests ----------------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> ApiKey | None:
        return self.keys.check(token) if token else None

    def allow(self, key: ApiKey) -> float | None:
        """Take one request from the key's token bucket; the seconds to wait when it is empty."""
        rate = float(self.config.rate_per_s)
        burst = float(max(1, self.config.burst))
        with self._bucket_lock:
            bucket = self._buckets.get(key.key_id)
            if bucket is None:
                bucket = self._buckets[key.key_id] = _Bucket(burst)
            now = time.monotonic()
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / rate if rate > 0 else 60.0

    def audit(self, **row: Any) -> None:
        """Queue an audit row; the audit writer appends queued rows every 0.2 s (and at stop)."""
        row.setdefault("at", dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"))
        with self._audit_lock:
            self._audit.append(row)

    def _write_audit(self) -> None:
        with self._audit_lock:
            rows, self._audit = self._audit, []
        if rows:
            record_many(self.settings, rows)

    def redact_texts(self, texts: list[str], parsed: list[Any] | None) -> list[str]:
        """Texts with personal data and secrets replaced (when ``[capture] redact`` is on)."""
        if self._redactor is None:
            return texts
        out = []
        for i, text in enumerate(texts):
            obj: Any
            if parsed is not None:
                obj = parsed[i]
            else:
                try:
                    obj = json.loads(text)
                except (json.JSONDecodeError, RecursionError):
                    out.append(self._redactor.redact_text(text)[0])
                    continue
            out.append(json.dumps(self._redact(obj, top=True), ensure_ascii=False, separators=(",", ":")))
        return out

    def redact_record(self, record: dict[str, Any]) -> dict[str, Any]:
        if self._redactor is None:
            return record
        redacted: dict[str, Any] = self._redact(record, top=True)
        return redacted

    def _redact(self, value: Any, *, top: bool = False) -> Any:
        assert self._redactor is not None
        if isinstance(value, str):
            return self._redactor.redact_text(value)[0]
        if isinstance(value, dict):
            return {k: (v if top and k in _PLAIN_FIELDS else self._redact(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact(v) for v in value]
        return value

    @contextmanager
    def receiving(self, kind_name: str) -> Iterator[Arrival]:
        """The span of one batch request, from before its body is read until it is answered.

        The answer announces the batch to validation (pass it to :meth:`submit`: a query being gathered
        waits a moment for it, see :meth:`Validator.expect`), and while any request is in this span the
        flusher does not take a pause in appends for the end of a burst.
        """
        arrival = self.validator.expect(kind_of(kind_name))
        with self._flight_lock:
            self._in_flight += 1
        try:
            yield arrival
        finally:
            arrival.finish()
            with self._flight_lock:
                self._in_flight -= 1

    def submit(
        self,
        kind_name: str,
        texts: list[str],
        *,
        key: ApiKey | None,
        source: str,
        arrival: Arrival | None = None,
    ) -> BatchResult:
        """Validate, deduplicate and spool one batch; returns once accepted records are on disk."""
        kind = kind_of(kind_name)
        result = BatchResult(kind=kind.name, received=len(texts))
        if len(texts) > self.config.max_batch:
            if arrival is not None:
                arrival.close()
            raise BadRequest(f"batch of {len(texts):,} records; at most {self.config.max_batch:,} per request", 413)
        verdicts = self.validator.check(kind, texts, arrival=arrival)
        reasons, ids = verdicts.reasons, verdicts.ids
        if key is not None and key.agents is not None:
            for reason, agent in zip(reasons, verdicts.agents, strict=True):
                if reason is None and not key.may_send_for(agent):
                    raise BadRequest(f"key {key.name!r} may not send events for agent {agent!r}", 403)
        accepted: list[str] = []
        added: list[str] = []
        quarantined: list[dict[str, Any]] = []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        def refuse(line: int, reason: str, text: str) -> None:
            quarantined.append(
                {
                    "source": source,
                    "line": line,
                    "kind": kind.name,
                    "reason": reason,
                    "record": text[:2000],
                    "ingest_id": None,
                    "at": now,
                }
            )
            if len(result.reasons) < _REASONS_KEPT:
                result.reasons.append(f"record {line}: {reason}")

        hashes = verdicts.hashes
        keys = [None if k is None else int(k[:16], 16) for k in verdicts.keys]
        with self._known_lock:
            known = self._known.setdefault(kind.name, {})
            if len(known) > _KNOWN_MAX:
                known.clear()  # the store's own deduplication still holds
            for i, rec_id in enumerate(ids):
                reason = reasons[i]
                if reason is not None:
                    result.rejected += 1
                    if reason == "invalid JSON":
                        reason = _json_reason(texts[i])
                    refuse(i + 1, reason, texts[i])
                    continue
                assert rec_id is not None
                content = (hashes[i], keys[i])
                seen = known.get(rec_id)
                if seen is None:
                    known[rec_id] = content
                    added.append(rec_id)
                    accepted.append(texts[i])
                    continue
                same = _same_content(seen, content)
                if same is None:  # one checked in Python, the other by SQL without a key: both measures of this one
                    (full,) = self.validator.check_sql(kind, [texts[i]])
                    same = _same_content(seen, _content(full))
                if same:
                    result.duplicate += 1
                else:
                    result.conflict += 1
                    refuse(
                        i + 1,
                        f"conflict: id {rec_id!r} was sent before with different content; kept the first",
                        texts[i],
                    )
        try:
            self.spool.append(kind.name, accepted)
            if quarantined:
                self._quarantine(quarantined)
        except BaseException:
            with self._known_lock:
                for rec_id in added:
                    known.pop(rec_id, None)
            raise
        result.accepted = len(accepted)
        for name in self.totals:
            self.totals[name] += getattr(result, name)
        if len(accepted) >= 50_000:
            self._wake.set()
        return result

    def _quarantine(self, entries: list[dict[str, Any]]) -> None:
        import os

        path: Path = self.settings.quarantine_path
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8")
        with path.open("ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def health(self) -> dict[str, Any]:
        backlog = self.spool.backlog
        return {
            "status": "ok",
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "backlog": backlog,
            "backlog_total": sum(backlog.values()),
            "received": dict(self.totals),
            "flushed": dict(self.flushed),
            "last_flush_at": self.last_flush_at,
            "store_busy": self.store_busy,
            "last_flush_error": self.last_flush_error,
        }


def _content(verdict: Checked) -> tuple[int | None, int | None]:
    key = verdict.content_key
    return verdict.content_hash, (None if key is None else int(key[:16], 16))


def _same_content(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool | None:
    """Whether two accepted records carry the same content: by DuckDB's hash when both have one, else by key;
    None when they share neither."""
    if a[0] is not None and b[0] is not None:
        return a[0] == b[0]
    if a[1] is not None and b[1] is not None:
        return a[1] == b[1]
    return None


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
