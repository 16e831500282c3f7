"""API keys: a random secret shown once, stored only as a salted SHA-256 hash, with a role.

A key reads ``hone_<key id>_<secret>``; the id finds the row, the secret is checked against the hash in
constant time. The secrets are 256 random bits, so one round of SHA-256 is enough (a password hash such
as scrypt protects guessable secrets and would cost every request tens of milliseconds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agenthone.audit._log import _actor, audit_path, connect, record
from agenthone.errors import HoneError

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["ROLES", "ApiKey", "KeyError_", "KeyRing", "create_key", "list_keys", "revoke_key"]

Role = Literal["collector", "viewer", "engineer", "admin"]
ROLES: tuple[Role, ...] = ("collector", "viewer", "engineer", "admin")
"""collector sends events; viewer reads analytics; engineer does both; admin also manages keys and reads the audit."""

_PREFIX = "hone_"


class KeyError_(HoneError):
    """A key cannot be created, found or revoked."""


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never its secret)."""

    key_id: str
    name: str
    role: Role
    agents: tuple[str, ...] | None
    created_at: str
    created_by: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_send_for(self, agent: str | None) -> bool:
        return self.agents is None or agent in self.agents

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["agents"] = list(self.agents) if self.agents is not None else None
        out["active"] = self.active
        return out


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def _row_key(row: tuple[Any, ...]) -> ApiKey:
    key_id, name, role, agents, created_at, created_by, revoked_at = row
    return ApiKey(
        key_id=key_id,
        name=name,
        role=role,
        agents=tuple(json.loads(agents)) if agents else None,
        created_at=created_at,
        created_by=created_by,
        revoked_at=revoked_at,
    )


_SELECT = "SELECT key_id, name, role, agents, created_at, created_by, revoked_at FROM api_keys"


def create_key(
    settings: Settings | Path,
    *,
    name: str,
    role: str,
    agents: list[str] | tuple[str, ...] | None = None,
    actor: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it and its secret token (shown this once, never stored)."""
    if role not in ROLES:
        raise KeyError_(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not name.strip():
        raise KeyError_("a key needs a name")
    cleaned = tuple(a.strip() for a in agents if a.strip()) if agents else None
    if cleaned is not None and role != "collector":
        raise KeyError_("--agents restricts what a collector key may send; other roles cannot take it")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    who = actor or _actor()
    with connect(settings) as con:
        con.execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            [key_id, name, role, json.dumps(list(cleaned)) if cleaned else None, salt, _hash(salt, secret), now, who],
        )
    record(settings, "key.created", actor=who, target=key_id, details={"name": name, "role": role})
    key = ApiKey(key_id, name, role, cleaned, now, who)  # type: ignore[arg-type]
    return key, f"{_PREFIX}{key_id}_{secret}"


def list_keys(settings: Settings | Path, *, include_revoked: bool = True) -> list[ApiKey]:
    with connect(settings) as con:
        rows = con.execute(_SELECT + " ORDER BY created_at, key_id").fetchall()
    keys = [_row_key(r) for r in rows]
    return keys if include_revoked else [k for k in keys if k.active]


def revoke_key(settings: Settings | Path, key: str, *, actor: str | None = None) -> ApiKey:
    """Revoke a key given by id or by name (a name must be unambiguous among active keys)."""
    who = actor or _actor()
    with connect(settings) as con:
        rows = con.execute(_SELECT + " WHERE key_id = ? OR (name = ? AND revoked_at IS NULL)", [key, key]).fetchall()
        if not rows:
            raise KeyError_(f"no key with id or name {key!r}")
        if len(rows) > 1:
            raise KeyError_(f"several active keys are named {key!r}; revoke one by its id")
        found = _row_key(rows[0])
        if not found.active:
            raise KeyError_(f"key {found.key_id} ({found.name}) is already revoked")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        con.execute("UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE key_id = ?", [now, who, found.key_id])
    record(settings, "key.revoked", actor=who, target=found.key_id, details={"name": found.name})
    return ApiKey(**{**asdict(found), "revoked_at": now})


class KeyRing:
    """Checks bearer tokens against the key table, re-reading it at most every ``ttl`` seconds.

    A key revoked from the CLI stops working within ``ttl``; one revoked through the service's API at once.
    """

    def __init__(self, settings: Settings | Path, *, ttl: float = 1.0) -> None:
        self.path = settings if isinstance(settings, Path) else audit_path(settings)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[ApiKey, str, str]] = {}
        self._loaded = 0.0

    def _refresh(self) -> None:
        with connect(self.path) as con:
            rows = con.execute(
                "SELECT key_id, name, role, agents, created_at, created_by, revoked_at, salt, hash FROM api_keys"
            ).fetchall()
        self._rows = {r[0]: (_row_key(r[:7]), r[7], r[8]) for r in rows}
        self._loaded = time.monotonic()

    def invalidate(self) -> None:
        with self._lock:
            self._loaded = 0.0

    def check(self, token: str) -> ApiKey | None:
        """The active key a token belongs to, or None (unknown, malformed, wrong secret or revoked)."""
        if not token.startswith(_PREFIX):
            return None
        key_id, _, secret = token[len(_PREFIX) :].partition("_")
        if not key_id or not secret:
            return None
        with self._lock:
            if time.monotonic() - self._loaded > (self.ttl if key_id in self._rows else 0.1):
                self._refresh()
            entry = self._rows.get(key_id)
        if entry is None:
            return None
        key, salt, digest = entry
        if not hmac.compare_digest(_hash(salt, secret), digest):
            return None
        return key if key.active else None
