"""The spool: accepted events made durable on local disk before the service answers.

Events are appended, one JSON text per line, to the current segment file of their kind
(``<store>.spool/<kind>-<seq>.jsonl``). Appends from concurrent requests share their ``fsync`` (group
commit): a request returns only after a sync that covered its bytes. A flush seals the current segments
and ingests each sealed file through the store's idempotent, atomic file ingestion, then deletes it; a
crash between the commit and the delete re-ingests the file at the next flush, which adds nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["FlushResult", "Spool", "spool_backlog", "spool_dir"]

KINDS = ("run", "edit", "conversation")


def spool_dir(settings: Settings) -> Path:
    """The workspace's spool folder, beside the store."""
    return settings.store_path.with_name(settings.store_path.stem + ".spool")


def _segments(folder: Path) -> list[tuple[str, int, Path]]:
    out: list[tuple[str, int, Path]] = []
    if not folder.is_dir():
        return out
    for path in folder.glob("*.jsonl"):
        kind, _, seq = path.stem.rpartition("-")
        if kind in KINDS and seq.isdigit():
            out.append((kind, int(seq), path))
    return sorted(out, key=lambda t: (t[1], t[0]))


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def spool_backlog(settings: Settings) -> dict[str, int]:
    """Events waiting in the spool per kind (read from disk; works while the service runs or not)."""
    counts = dict.fromkeys(KINDS, 0)
    for kind, _, path in _segments(spool_dir(settings)):
        try:
            counts[kind] += _count_lines(path)
        except OSError:
            continue
    return counts


@dataclass
class FlushResult:
    """What one flush moved into the store."""

    files: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    error: str | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: FlushResult) -> None:
        """Count ``other``'s segments in this result."""
        for key in ("files", "accepted", "duplicate", "conflict", "rejected"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.reports.extend(other.reports)


class Spool:
    """Append-only, fsync'd segment files per record kind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._write = threading.Lock()
        self._sync = threading.Lock()
        self._handles: dict[str, IO[bytes]] = {}
        self._dirty: set[int] = set()
        self._written = 0
        self._synced = 0
        self.last_append = 0.0
        """``time.monotonic()`` of the latest append."""
        self.unsealed = 0
        """Events appended since the last seal."""
        self.first_append = 0.0
        """``time.monotonic()`` of the first of them."""
        self._lines: dict[Path, int] = {}
        """Lines in each segment, so that a flush need not count them again."""
        existing = _segments(folder)
        self._seq = max((s for _, s, _ in existing), default=0) + 1
        self._pending = dict.fromkeys(KINDS, 0)
        for kind, _, path in existing:
            self._repair(path)
            self._lines[path] = _count_lines(path)
            self._pending[kind] += self._lines[path]

    @staticmethod
    def _repair(path: Path) -> None:
        """Cut a torn last line (a crash in the middle of an append that was never acknowledged)."""
        size = path.stat().st_size
        if size == 0:
            return
        with path.open("rb+") as fh:
            fh.seek(max(0, size - (1 << 20)))
            tail = fh.read()
            if tail.endswith(b"\n"):
                return
            cut = tail.rfind(b"\n")
            keep = size - len(tail) + cut + 1 if cut >= 0 else (0 if size <= (1 << 20) else size)
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())

    def _sync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @property
    def backlog(self) -> dict[str, int]:
        with self._write:
            return dict(self._pending)

    def append(self, kind: str, lines: list[str]) -> None:
        """Append ``lines`` (single-line JSON texts) and return once they are on disk."""
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with self._write:
            fh = self._handles.get(kind)
            if fh is None:
                fh = self._handles[kind] = (self.folder / f"{kind}-{self._seq:012d}.jsonl").open("ab")
                self._sync_folder()  # the new file's name must survive a power cut too
            fh.write(data)
            path = Path(str(fh.name))
            self._lines[path] = self._lines.get(path, 0) + len(lines)
            fh.flush()
            self._dirty.add(fh.fileno())
            self._written += 1
            ticket = self._written
            self._pending[kind] += len(lines)
            self.last_append = time.monotonic()
            if not self.unsealed:
                self.first_append = self.last_append
            self.unsealed += len(lines)
        self._sync_through(ticket)

    def _sync_through(self, ticket: int) -> None:
        with self._sync:
            if self._synced >= ticket:
                return  # another request's fsync covered these bytes
            with self._write:
                target = self._written
                fds = list(self._dirty)
                self._dirty.clear()
            for fd in fds:
                os.fsync(fd)
            self._synced = target

    def seal(self) -> list[tuple[str, Path]]:
        """Close the current segments (new appends start new ones); every sealed segment, oldest first."""
        with self._sync, self._write:
            for fh in self._handles.values():
                fh.flush()
                os.fsync(fh.fileno())
                self._dirty.discard(fh.fileno())
                fh.close()
            self._handles = {}
            self._seq += 1
            current = self._seq
            self.unsealed = 0
        return [(kind, path) for kind, seq, path in _segments(self.folder) if seq < current]

    def flush(
        self,
        ingest: Callable[[Path, str], dict[str, Any]],
        *,
        ingested: Callable[[dict[str, Any]], None] | None = None,
    ) -> FlushResult:
        """Seal, then hand each sealed segment to ``ingest(path, kind)`` and delete it once ingested.

        ``ingested`` is called with each segment's report once it is out of the spool.
        """
        result = FlushResult()
        for kind, path in self.seal():
            with self._write:
                n = self._lines.pop(path, None)
            if n is None:
                n = _count_lines(path)
            report = ingest(path, kind)
            result.files += 1
            for key in ("accepted", "duplicate", "conflict", "rejected"):
                setattr(result, key, getattr(result, key) + int(report.get(key, 0)))
            result.reports.append(report)
            path.unlink(missing_ok=True)
            with self._write:
                self._pending[kind] = max(0, self._pending[kind] - n)
            if ingested is not None:
                ingested(report)
        return result

    def close(self) -> None:
        with self._sync, self._write:
            for fh in self._handles.values():
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            self._handles = {}
