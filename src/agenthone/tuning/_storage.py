"""Optuna storage of a workspace: SQLite under ``mlruns/`` by default, PostgreSQL (or any RDB URL) to share studies."""

from __future__ import annotations

import re
import time
import warnings
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import ConfigError

if TYPE_CHECKING:
    import optuna

__all__ = ["open_storage", "redact_url", "tuning_section"]


def tuning_section(settings: Settings) -> dict[str, Any]:
    """``[tuning]`` of hone.toml (heartbeat, poll interval, default pruner)."""
    section = settings.extra.get("tuning", {})
    return dict(section) if isinstance(section, dict) else {}


def redact_url(url: str) -> str:
    """``url`` without its password (``postgresql://user:***@host/db``)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def open_storage(settings: Settings, url: str | None = None) -> optuna.storages.RDBStorage:
    """The study storage at ``url`` (default ``optuna_storage``), with heartbeats so a dead worker's trials fail.

    A worker records a heartbeat every ``[tuning] heartbeat_interval_s`` (default 10 s) while a trial runs; a
    RUNNING trial whose heartbeat is older than ``grace_period_s`` (default 3 heartbeats) is failed by the
    next worker that starts a trial on the study.
    """
    import optuna

    url = url or settings.optuna_storage
    if not re.match(r"^[a-z0-9+]+://", url):
        raise ConfigError(f"storage {url!r} is not a database URL (sqlite:///PATH or postgresql://USER@HOST/DB)")
    if url.startswith("sqlite:///"):
        settings.ensure_dirs()
    section = tuning_section(settings)
    heartbeat = int(section.get("heartbeat_interval_s", 10))
    grace = int(section.get("grace_period_s", heartbeat * 3))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, heartbeat_interval=heartbeat, grace_period=grace)
        except Exception as exc:  # a driver missing, a server not answering, a bad URL
            if _lost_creation_race(exc) and attempt + 1 < _CREATE_ATTEMPTS:
                time.sleep(0.2 * (attempt + 1))  # the other worker's tables exist now: open them
                continue
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot open the study storage {redact_url(url)}: {message}") from None
    raise AssertionError("unreachable")


_CREATE_ATTEMPTS = 5


def _lost_creation_race(exc: Exception) -> bool:
    """Did another worker create the storage's tables at the same moment (workers started together on an empty
    database: PostgreSQL answers a unique violation on its catalog, or 'already exists')?"""
    text = str(exc).lower()
    return "duplicate key" in text or "already exists" in text or "uniqueviolation" in text
