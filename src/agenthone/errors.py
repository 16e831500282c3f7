"""Errors agenthone raises on purpose.

Every message is one line a user can act on: it names the file, line, field or setting at fault.
The CLI prints ``HoneError`` messages without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "HoneError",
    "InvalidRecordError",
    "RecordConflictError",
    "StoreError",
    "StoreLockedError",
]


class HoneError(Exception):
    """Base class of the errors agenthone raises deliberately."""


class ConfigError(HoneError):
    """A setting (environment, hone.toml, argument) is missing or invalid."""


class StoreError(HoneError):
    """The event store cannot be opened or written."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB store open for writing."""


class InvalidRecordError(HoneError, ValueError):
    """A record failed validation; ``reason`` says which field and why."""

    def __init__(self, reason: str, *, kind: str) -> None:
        super().__init__(f"invalid {kind} record: {reason}")
        self.reason = reason
        self.kind = kind


class RecordConflictError(HoneError):
    """A record reuses the id of a stored record whose content differs; the stored one is kept."""

    def __init__(self, record_id: str, *, kind: str) -> None:
        super().__init__(
            f"{kind} id {record_id!r} is already stored with different content; the stored record was kept"
        )
        self.record_id = record_id
        self.kind = kind
