"""Retention: delete records older than ``[retention] <kind>_days`` and their quarantine lines."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.audit._log import record
from agenthone.records import KINDS

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.store import Store

__all__ = ["prune"]


def _cutoffs(settings: Settings, now: dt.datetime, days: dict[str, int | None] | None) -> dict[str, dt.datetime]:
    chosen = (
        days
        if days is not None
        else {
            "run": settings.retention.runs_days,
            "edit": settings.retention.edits_days,
            "conversation": settings.retention.conversations_days,
        }
    )
    out = {}
    for kind, n in chosen.items():
        if n is not None:
            if n < 0:
                raise ValueError(f"retention for {kind}s: days must be >= 0, got {n}")
            out[kind] = now - dt.timedelta(days=n)
    return out


def _line_time(entry: dict[str, Any]) -> dt.datetime | None:
    texts = []
    try:
        rec = json.loads(entry.get("record") or "")
        if isinstance(rec, dict) and rec.get("timestamp"):
            texts.append(str(rec["timestamp"]))
    except (json.JSONDecodeError, TypeError):
        pass
    if entry.get("at"):
        texts.append(str(entry["at"]))
    for text in texts:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


def prune(
    store: Store,
    settings: Settings,
    *,
    days: dict[str, int | None] | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Delete records (and quarantine lines) older than the retention of their kind; audited.

    ``days`` maps kind (run, edit, conversation) to days kept, overriding ``[retention]``; a kind with
    no retention is kept whole. Returns the cutoffs and how many records and lines went (or would go).
    """
    now = now or dt.datetime.now(dt.UTC)
    cutoffs = _cutoffs(settings, now, days)
    deleted: dict[str, int] = {}
    with store.locked() as con:
        for kind, cutoff in cutoffs.items():
            table = KINDS[kind].table
            n = int(con.execute(f"SELECT count(*) FROM {table} WHERE timestamp < ?", [cutoff]).fetchone()[0])  # type: ignore[index]
            if n and not dry_run:
                con.execute(f"DELETE FROM {table} WHERE timestamp < ?", [cutoff])
            deleted[table] = n
    lines = 0
    path = settings.quarantine_path
    if cutoffs and path.exists():
        kept: list[str] = []
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    kept.append(line)
                    continue
                bound = cutoffs.get(str(entry.get("kind")))
                stamp = _line_time(entry) if bound is not None else None
                if bound is not None and stamp is not None and stamp < bound:
                    lines += 1
                else:
                    kept.append(line)
        if lines and not dry_run:
            fd, tmp = tempfile.mkstemp(prefix=".quarantine-", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.writelines(kept)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(path)
    result = {
        "cutoffs": {k: v.isoformat(timespec="seconds") for k, v in cutoffs.items()},
        "deleted": deleted,
        "quarantine_lines": lines,
        "dry_run": dry_run,
    }
    if not dry_run and cutoffs:
        record(settings, "retention.pruned", target=str(store.path), details=result)
    return result
