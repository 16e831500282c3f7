"""Watching a job: poll with backoff until it is done, peeking at a local job between full syncs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from agenthone.config import Settings
from agenthone.providers import TERMINAL_STATUSES, FineTuner, get_fine_tuner
from agenthone.training._job import Job, training_section

__all__ = ["peek_job", "watch_job", "watch_loop"]


def watch_job(
    job_id: str | None,
    *,
    settings: Settings,
    interval: float | None = None,
    max_interval: float | None = None,
    timeout: float | None = None,
    on_update: Callable[[Job], None] | None = None,
) -> Job:
    """Like :meth:`JobManager.watch`, but holds the store only while syncing.

    Between polls the store is closed, so a notebook (or another command) can write to it while a
    long job is watched from a terminal. A poll that finds the store locked is simply retried later.
    """
    from agenthone.errors import StoreLockedError
    from agenthone.store import Store
    from agenthone.training._jobs import JobManager

    def poll() -> Job | None:
        try:
            store = Store.open(settings)
        except StoreLockedError:
            return None
        try:
            return JobManager(store, settings).refresh(job_id)
        finally:
            store.close()

    job = poll()
    if job is None:
        raise StoreLockedError(f"store {settings.store_path} is open for writing in another process")
    first = job
    job_id = first.job_id  # a prefix or None resolved once
    options = dict(first.details.get("provider_options") or {})
    provider = get_fine_tuner(first.provider, settings=settings, **options)
    return watch_loop(
        first,
        settings=settings,
        intervals=provider.watch_intervals,
        sync=poll,
        peek=lambda current: peek_job(provider, current),
        interval=interval,
        max_interval=max_interval,
        timeout=timeout,
        on_update=on_update,
    )


def peek_job(provider: FineTuner, job: Job) -> Job:
    """The job with its provider's current status and progress, without touching the store."""
    if job.provider_job_id is None:
        return job
    remote = provider.get_job(job.provider_job_id)
    return dataclasses.replace(job, status=remote.status, details={**job.details, **remote.extra})


def watch_loop(
    job: Job,
    *,
    settings: Settings,
    intervals: tuple[float, float, float],
    sync: Callable[[], Job | None],
    peek: Callable[[Job], Job],
    interval: float | None,
    max_interval: float | None,
    timeout: float | None,
    on_update: Callable[[Job], None] | None,
) -> Job:
    """Sync (or peek at) the job until it is done or ``timeout`` passes, backing off while nothing changes.

    ``intervals`` are the provider's defaults (:attr:`FineTuner.watch_intervals`): seconds between polls,
    between full syncs while peeking (0: every poll syncs) and the back-off ceiling.
    """
    section = training_section(settings)
    default_poll, default_sync, default_ceiling = intervals
    poll_every = float(interval or section.get("poll_interval_s") or default_poll)
    sync_every = float(section.get("sync_interval_s") or default_sync)
    ceiling = float(max_interval or default_ceiling)
    delay = poll_every
    started = last_sync = time.monotonic()
    last_seen: tuple[Any, ...] = ()
    while True:
        if on_update is not None:
            on_update(job)
        if job.done or (timeout is not None and time.monotonic() - started > timeout):
            return job
        seen = (job.status, job.details.get("step"), job.updated_at)
        delay = poll_every if seen != last_seen else min(ceiling, delay * 1.5)
        last_seen = seen
        time.sleep(delay)
        if sync_every <= 0:
            job = sync() or job
            continue
        peeked = peek(job)
        due = time.monotonic() - last_sync >= sync_every
        if due or peeked.status != job.status or peeked.status in TERMINAL_STATUSES:
            job = sync() or peeked
            last_sync = time.monotonic()
        else:
            job = peeked
