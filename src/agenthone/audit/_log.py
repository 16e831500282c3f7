"""The audit log: an append-only SQLite table whose rows are hash-chained.

Each row stores the SHA-256 of the previous row's hash and its own content, so editing, deleting or
reordering a row breaks the chain from that row on; :func:`verify` names the first row that no longer
fits. Triggers refuse UPDATE and DELETE, so only someone who edits the file by hand can break it.

The log lives in its own SQLite file beside the store (``<store>.audit.sqlite``), not in DuckDB: the
collector service must record requests while notebooks and ``hone`` commands hold the store, and
SQLite serialises writers from several processes on its own.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["AuditEntry", "AuditVerification", "audit_path", "connect", "entries", "record", "record_many", "verify"]

GENESIS = "0" * 64
_COLUMNS = (
    "at",
    "actor",
    "action",
    "target",
    "key_id",
    "key_name",
    "role",
    "route",
    "status",
    "records",
    "client",
    "details",
)
_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    target: str | None
    key_id: str | None
    key_name: str | None
    role: str | None
    route: str | None
    status: int | None
    records: dict[str, int] | None
    client: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of :func:`verify`: ``ok``, rows checked, and the first row that breaks the chain."""

    ok: bool
    rows: int
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def audit_path(settings: Settings) -> Path:
    """The workspace's audit (and API key) database, beside the store."""
    return settings.store_path.with_name(settings.store_path.stem + ".audit.sqlite")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT,
    key_id TEXT, key_name TEXT, role TEXT, route TEXT, status INTEGER, records TEXT, client TEXT, details TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, agents TEXT, salt TEXT NOT NULL,
    hash TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT);
"""


@contextmanager
def connect(settings: Settings | Path) -> Iterator[sqlite3.Connection]:
    """A connection to the audit database (created on first use), closed afterwards."""
    path = settings if isinstance(settings, Path) else audit_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    with closing(con):
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.executescript(_SCHEMA)
        yield con


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _actor() -> str:
    explicit = os.environ.get("HONE_ACTOR")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _digest(prev: str, row: Mapping[str, Any]) -> str:
    body = json.dumps([row.get(c) for c in _COLUMNS], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def _row(
    action: str,
    *,
    actor: str | None = None,
    target: str | None = None,
    key_id: str | None = None,
    key_name: str | None = None,
    role: str | None = None,
    route: str | None = None,
    status: int | None = None,
    records: Mapping[str, int] | None = None,
    client: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at or _now(),
        "actor": actor or (f"key:{key_name}" if key_name else _actor()),
        "action": action,
        "target": target,
        "key_id": key_id,
        "key_name": key_name,
        "role": role,
        "route": route,
        "status": status,
        "records": json.dumps(dict(records), sort_keys=True) if records is not None else None,
        "client": client,
        "details": json.dumps(dict(details), sort_keys=True, default=str) if details is not None else None,
    }


def record_many(settings: Settings | Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append rows (as built by :func:`record`'s keywords) in one transaction, chaining each to the last."""
    if not rows:
        return
    with _lock, connect(settings) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            last = con.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            prev = last[0] if last else GENESIS
            for raw in rows:
                row = _row(**raw)
                digest = _digest(prev, row)
                con.execute(
                    f"INSERT INTO audit_log ({', '.join(_COLUMNS)}, prev_hash, hash)"
                    f" VALUES ({', '.join('?' * (len(_COLUMNS) + 2))})",
                    [*(row[c] for c in _COLUMNS), prev, digest],
                )
                prev = digest
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def record(
    settings: Settings | Path,
    action: str,
    *,
    actor: str | None = None,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    **fields: Any,
) -> None:
    """Append one state change (``dataset.built``, ``job.submitted``, ``alias.moved`` ...) to the audit log.

    ``actor`` defaults to ``$HONE_ACTOR`` or the login name. Never raises: auditing must not break the
    operation it records, so a failure is reported as a warning instead.
    """
    try:
        record_many(settings, [{"action": action, "actor": actor, "target": target, "details": details, **fields}])
    except Exception as exc:  # pragma: no cover - a full disk or a broken file
        import warnings

        warnings.warn(f"could not write the audit log: {exc}", RuntimeWarning, stacklevel=2)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> AuditEntry:
    values = list(row)
    seq, at, actor, action, target, key_id, key_name, role, route, status, records, client, details, prev, h = values
    return AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        key_id=key_id,
        key_name=key_name,
        role=role,
        route=route,
        status=status,
        records=json.loads(records) if records else None,
        client=client,
        details=json.loads(details) if details else None,
        prev_hash=prev,
        hash=h,
    )


def entries(
    settings: Settings | Path,
    *,
    limit: int | None = 100,
    action: str | None = None,
    actor: str | None = None,
    since: str | None = None,
) -> list[AuditEntry]:
    """The latest audit rows (oldest first), optionally only one action (prefix) or actor, or since a time."""
    where, params = [], []
    if action:
        where.append("action LIKE ?")
        params.append(action + "%")
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if since:
        where.append("at >= ?")
        params.append(since)
    sql = f"SELECT seq, {', '.join(_COLUMNS)}, prev_hash, hash FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connect(settings) as con:
        rows = con.execute(sql, params).fetchall()
    return [_entry(r) for r in reversed(rows)]


def verify(settings: Settings | Path) -> AuditVerification:
    """Recompute the chain; the first row whose hash or link does not match is named."""
    with connect(settings) as con:
        cursor = con.execute(f"SELECT seq, {', '.join(_COLUMNS)}, prev_hash, hash FROM audit_log ORDER BY seq")
        prev = GENESIS
        n = 0
        expected_seq: int | None = None
        for raw in cursor:
            n += 1
            seq = raw[0]
            row = dict(zip(_COLUMNS, raw[1:-2], strict=True))
            stored_prev, stored = raw[-2], raw[-1]
            if expected_seq is not None and seq != expected_seq:
                return AuditVerification(False, n, expected_seq, f"row {expected_seq} is missing")
            if stored_prev != prev:
                return AuditVerification(False, n, seq, f"row {seq} does not link to the row before it")
            if _digest(prev, row) != stored:
                return AuditVerification(False, n, seq, f"row {seq} was changed after it was written")
            prev = stored
            expected_seq = seq + 1
    return AuditVerification(True, n)
