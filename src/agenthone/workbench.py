"""``Workbench``: the one entry point for notebooks, scripts and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenthone.config import Settings
from agenthone.store import IngestReport, Store
from agenthone.store._ingest import ProgressCallback
from agenthone.store._readers import Format

__all__ = ["Workbench", "WorkspaceInfo"]


@dataclass(frozen=True)
class WorkspaceInfo:
    """Where everything of a workspace lives, and how much the store holds."""

    home: Path
    store_path: Path
    store_bytes: int
    counts: dict[str, int]
    ingestions: int
    quarantined: int
    quarantine_path: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: Path
    optuna_storage: str
    reports_dir: Path
    notebooks_dir: Path

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


class Workbench:
    """Settings, the store and the stage services of one workspace.

    Open it with :meth:`open`; close it (or use ``with``) to release the store's write lock so that
    another process (``hone ingest`` in a terminal) can write.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    @classmethod
    def open(
        cls, home: str | os.PathLike[str] | None = None, *, read_only: bool = False, **overrides: Any
    ) -> Workbench:
        """Open the workspace at ``home`` (default: ``HONE_HOME``, a parent with hone.toml, or the cwd)."""
        settings = Settings.load(home, **overrides)
        return cls(settings, Store.open(settings, read_only=read_only))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workbench(home={str(self.settings.home)!r})"

    # -- getting data in ---------------------------------------------------------------------------

    def ingest(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        kind: str,
        *,
        format: Format | None = None,  # noqa: A002 - mirrors the CLI option
        progress: Callable[[Path], ProgressCallback | None] | None = None,
    ) -> IngestReport:
        """Ingest log files of one kind (run, edit, conversation); see :meth:`Store.ingest`."""
        return self.store.ingest(paths, kind, format=format, progress=progress)

    def log_run(self, **fields: Any) -> str:
        """Record one agent run now (validated like ingestion); returns its id."""
        return self.store.insert("run", [_with_now(fields)])[0]

    def log_edit(self, **fields: Any) -> str:
        """Record a person accepting or correcting an AI output; returns its id."""
        return self.store.insert("edit", [_with_now(fields)])[0]

    def log_conversation(self, **fields: Any) -> str:
        """Record a conversation in OpenAI chat format; returns its id."""
        return self.store.insert("conversation", [_with_now(fields)])[0]

    def log_records(self, kind: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Record many records of one kind at once (all or nothing); returns their ids."""
        return self.store.insert(kind, [_with_now(dict(r)) for r in records])

    # -- looking around ----------------------------------------------------------------------------

    def info(self) -> WorkspaceInfo:
        s = self.settings
        quarantined = 0
        if s.quarantine_path.exists():
            with s.quarantine_path.open("rb") as fh:
                quarantined = sum(1 for _ in fh)
        ingestions = self.store.sql("SELECT count(*) AS n FROM ingestions")["n"].iloc[0]
        return WorkspaceInfo(
            home=s.home,
            store_path=s.store_path,
            store_bytes=s.store_path.stat().st_size if s.store_path.exists() else 0,
            counts=self.store.counts(),
            ingestions=int(ingestions),
            quarantined=quarantined,
            quarantine_path=s.quarantine_path,
            mlflow_tracking_uri=s.mlflow_tracking_uri,
            mlflow_artifact_root=s.mlflow_artifact_root,
            optuna_storage=s.optuna_storage,
            reports_dir=s.reports_dir,
            notebooks_dir=s.notebooks_dir,
        )


def _with_now(fields: dict[str, Any]) -> dict[str, Any]:
    """Live captures default their timestamp to now (UTC)."""
    if fields.get("timestamp") is None:
        from datetime import UTC, datetime

        fields = {**fields, "timestamp": datetime.now(UTC)}
    return fields
