"""``Collector``: what an agent process imports to send events to ``hone serve``.

Calls return at once; a background thread sends records in batches (gzip'd JSON arrays), retries with
exponential backoff (honouring ``Retry-After``), and while the service stays unreachable writes each
batch to a local buffer folder, sent first once the service answers again. Every record gets an ``id``
(and a ``timestamp``) on the client, so a batch re-sent after a lost answer is recognised as a
duplicate instead of stored twice.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Collector", "CollectorStats"]

log = logging.getLogger("agenthone.client")
_ROUTES = {"run": "runs", "edit": "edits", "conversation": "conversations"}
_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_TICK: tuple[str, dict[str, Any]] = ("tick", {})
_FLUSH: tuple[str, dict[str, Any]] = ("flush", {})


@dataclass
class CollectorStats:
    """Counts since the collector started."""

    queued: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    refused_batches: int = 0
    """Batches the service refused as a whole (4xx other than 408/429); logged, not retried."""
    retries: int = 0
    buffered_batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Unavailable(Exception):
    pass


class Collector:
    """Send runs, edits and conversations to a collector service from an agent.

    >>> with Collector("http://127.0.0.1:8750", api_key=KEY) as c:
    ...     c.log_run(agent_name="support-bot", success=True, latency_ms=840)
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        buffer_dir: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff: float = 0.25,
        max_backoff: float = 10.0,
        max_queue: int = 100_000,
    ) -> None:
        import httpx

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.url = url.rstrip("/")
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.buffer_dir = Path(buffer_dir or Path.home() / ".cache" / "agenthone" / "collector-buffer").expanduser()
        self.buffer_dir.mkdir(parents=True, exist_ok=True)
        self.stats = CollectorStats()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=timeout, headers=headers)
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=max_queue)
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="hone-collector", daemon=True)
        self._thread.start()

    # -- the agent's side --------------------------------------------------------------------------

    def log(self, kind: str, record: Mapping[str, Any]) -> str:
        """Queue one record of ``kind`` (run, edit, conversation); returns its id."""
        if kind not in _ROUTES:
            raise ValueError(f"unknown record kind {kind!r}; expected run, edit or conversation")
        if self._closed:
            raise RuntimeError("this Collector is closed")
        rec = dict(record)
        rec.setdefault("id", uuid.uuid4().hex)
        if rec.get("timestamp") is None:
            rec["timestamp"] = dt.datetime.now(dt.UTC).isoformat()
        self._idle.clear()
        self._queue.put((kind, rec))
        self.stats.queued += 1
        return str(rec["id"])

    def log_run(self, **fields: Any) -> str:
        return self.log("run", fields)

    def log_edit(self, **fields: Any) -> str:
        return self.log("edit", fields)

    def log_conversation(self, **fields: Any) -> str:
        return self.log("conversation", fields)

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Send now and wait until everything queued was sent or buffered to disk; False on timeout."""
        self._idle.clear()
        self._queue.put(_FLUSH)
        return self._idle.wait(timeout)

    def pending_on_disk(self) -> int:
        """Batches waiting in the local buffer for the service to come back."""
        return sum(1 for _ in self.buffer_dir.glob("*.json"))

    def close(self, timeout: float | None = 30.0) -> None:
        """Send what is queued (buffering what cannot be sent), then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._http.close()

    def __enter__(self) -> Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the background thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        batches: dict[str, list[dict[str, Any]]] = {}
        deadline = time.monotonic() + self.flush_interval
        while True:
            stopping = force = False
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = _TICK
            if item is None:
                stopping = True
                while True:  # whatever was queued before close() still goes out
                    try:
                        late = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if late is not None and late[0] in _ROUTES:
                        batches.setdefault(late[0], []).append(late[1])
            elif item[0] == "flush":
                force = True
            elif item[0] in _ROUTES:
                batches.setdefault(item[0], []).append(item[1])
            full = any(len(b) >= self.batch_size for b in batches.values())
            if full or force or stopping or time.monotonic() >= deadline:
                for kind in list(batches):
                    self._deliver(kind, batches.pop(kind))
                deadline = time.monotonic() + self.flush_interval
                if self._queue.empty():
                    self._drain_buffer(final=stopping)
                    if self._queue.empty():
                        self._idle.set()
            if stopping:
                return

    def _deliver(self, kind: str, records: list[dict[str, Any]]) -> None:
        try:
            self._send(kind, records)
        except _Unavailable:
            self._buffer(kind, records)

    def _send(self, kind: str, records: list[dict[str, Any]], *, retries: int | None = None) -> None:
        import httpx

        body = gzip.compress(json.dumps(records, default=str).encode("utf-8"), compresslevel=5)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        attempts = self.max_retries if retries is None else retries
        delay = self.backoff
        for attempt in range(attempts + 1):
            wait = delay
            try:
                response = self._http.post(f"{self.url}/v1/{_ROUTES[kind]}", content=body, headers=headers)
            except httpx.HTTPError as exc:
                log.debug("collector unreachable (%s)", exc)
            else:
                if response.status_code < 300:
                    answer = response.json()
                    self.stats.accepted += int(answer.get("accepted", 0))
                    self.stats.duplicate += int(answer.get("duplicate", 0))
                    self.stats.rejected += int(answer.get("rejected", 0)) + int(answer.get("conflict", 0))
                    for reason in answer.get("reasons", [])[:3]:
                        log.warning("collector rejected a %s: %s", kind, reason)
                    return
                if response.status_code not in _RETRYABLE:
                    self.stats.refused_batches += 1
                    log.warning("collector refused a batch of %d %ss: %s", len(records), kind, response.text[:300])
                    return
                retry_after = response.headers.get("Retry-After")
                if retry_after and retry_after.isdigit():
                    wait = max(wait, float(retry_after))
            if attempt < attempts:
                self.stats.retries += 1
                time.sleep(min(wait, self.max_backoff))
                delay = min(delay * 2, self.max_backoff)
        raise _Unavailable

    def _buffer(self, kind: str, records: list[dict[str, Any]]) -> None:
        name = f"{time.time_ns():020d}-{kind}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.buffer_dir / (name + ".partial")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump({"kind": kind, "records": records}, fh, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.buffer_dir / name)
        self.stats.buffered_batches += 1

    def _drain_buffer(self, *, final: bool) -> None:
        for path in sorted(self.buffer_dir.glob("*.json")):
            if not final and not self._queue.empty():
                return  # fresh events first; the buffer waits for the next idle moment
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                self._send(saved["kind"], saved["records"], retries=0 if final else 1)
            except _Unavailable:
                return
            except (OSError, ValueError, KeyError):
                log.warning("unreadable collector buffer file %s; left in place", path)
                continue
            path.unlink(missing_ok=True)
