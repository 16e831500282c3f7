"""``Workbench``: the one door to a workspace for notebooks, scripts and the CLI.

from agenthone import Workbench
wb = Workbench.open()                       # settings from HONE_* variables and ./hone.toml
wb.ingest("logs/runs.jsonl", kind="run")
ds = wb.datasets.build(DatasetSpec(name="support", sources=("edits",)))
job = wb.jobs.watch(wb.jobs.submit(ds.ref, provider="local").job_id)
result = wb.evaluate(job.job_id, ds.ref)
wb.registry.register(job.job_id, alias="challenger")
wb.report("training_run", {"job_id": job.job_id})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone import _env
from agenthone.config import Settings
from agenthone.store import IngestReport, Store
from agenthone.store._ingest import ProgressCallback
from agenthone.store._readers import Format

if TYPE_CHECKING:
    from agenthone.datasets import Dataset, DatasetCatalog
    from agenthone.evaluation import EvaluationResult
    from agenthone.experiments._store import Experiments
    from agenthone.prompts import PromptRegistry
    from agenthone.providers import ChatModel, ChatProvider, FineTuner, Provider
    from agenthone.registry import Registry
    from agenthone.reports import ReportResult
    from agenthone.tools import ToolRegistry
    from agenthone.training import JobManager
    from agenthone.tuning import Tuner

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
    spool_backlog: int = 0
    """Events the collector service acknowledged that are not in the store yet."""

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


class Workbench:
    """Settings, the store and the stage services of one workspace.

    Open it with :meth:`open`; close it (or use ``with``) to release the store's write lock so that
    another process (``hone ingest`` in a terminal) can write. The stages hang off it: :attr:`datasets`,
    :attr:`jobs`, :attr:`registry`, :meth:`provider`, :meth:`evaluate`, :meth:`report`.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    @classmethod
    def open(
        cls, home: str | os.PathLike[str] | None = None, *, read_only: bool = False, **overrides: Any
    ) -> Workbench:
        """Open the workspace at ``home`` (default: ``HONE_HOME``, a parent with hone.toml, or the cwd)."""
        # the libraries a workbench drives (MLflow, Hugging Face) read these when first imported
        _env.apply_offline_defaults()
        settings = Settings.load(home, **overrides)
        return cls(settings, Store.open(settings, read_only=read_only))

    def close(self) -> None:
        if "experiments" in self.__dict__:  # write buffered exposures first
            self.experiments.close()
        self.store.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workbench(home={str(self.settings.home)!r})"

    # -- the stages ----------------------------------------------------------------------------------

    @cached_property
    def datasets(self) -> DatasetCatalog:
        """Build, load and list fine-tuning datasets."""
        from agenthone.datasets import DatasetCatalog

        return DatasetCatalog(settings=self.settings, store=self.store)

    @cached_property
    def jobs(self) -> JobManager:
        """Fine-tuning jobs: estimate, submit, watch, cancel, analyse."""
        from agenthone.training import JobManager

        return JobManager(self.store, self.settings)

    @cached_property
    def registry(self) -> Registry:
        """Model versions, aliases and deployments in MLflow."""
        from agenthone.registry import Registry

        return Registry(settings=self.settings, store=self.store)

    @cached_property
    def experiments(self) -> Experiments:
        """Online experiments: create, assign units, analyse, stop."""
        from agenthone.experiments._store import Experiments

        return Experiments(self.store)

    @cached_property
    def prompts(self) -> PromptRegistry:
        """Agents' system prompts as versions in the MLflow prompt registry."""
        from agenthone.prompts import PromptRegistry

        return PromptRegistry(self.settings)

    @cached_property
    def tools(self) -> ToolRegistry:
        """Registered tools (``data/tools/registry.json``) and every tool offered in the store's conversations."""
        from agenthone.tools import ToolRegistry, registry_path

        registry = ToolRegistry.load(registry_path(self.settings))
        registry.add_from_store(self.store)
        return registry

    @cached_property
    def tuner(self) -> Tuner:
        """Hyperparameter studies over fine-tuning jobs: run, resume, show, advise."""
        from agenthone.tuning import Tuner

        return Tuner(self.store, self.settings)

    def provider(self, name: str, **options: Any) -> Provider:
        """A provider configured from ``[providers.<name>]`` in hone.toml and ``options``."""
        from agenthone.providers import get_provider

        return get_provider(name, settings=self.settings, **options)

    def chat_provider(self, name: str, **options: Any) -> ChatProvider:
        """A provider in its chat role (generation)."""
        from agenthone.providers import get_chat_provider

        return get_chat_provider(name, settings=self.settings, **options)

    def fine_tuner(self, name: str, **options: Any) -> FineTuner:
        """A provider in its fine-tuning role."""
        from agenthone.providers import get_fine_tuner

        return get_fine_tuner(name, settings=self.settings, **options)

    def evaluate(self, model: str | ChatModel, dataset: str | Dataset, **options: Any) -> EvaluationResult:
        """Score ``model`` on a dataset split (see :func:`agenthone.evaluation.evaluate`)."""
        from agenthone.evaluation import evaluate

        return evaluate(model, dataset, settings=self.settings, store=self.store, **options)

    def report(self, name: str, parameters: Mapping[str, Any] | None = None, **options: Any) -> ReportResult:
        """Run a report notebook; the store is released while its kernel (which opens it too) runs."""
        from agenthone.reports import run_report

        with self.store.released():
            return run_report(name, dict(parameters or {}), settings=self.settings, **options)

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
        return self.store.capture("run", _with_now(fields))

    def log_edit(self, **fields: Any) -> str:
        """Record a person accepting or correcting an AI output; returns its id."""
        return self.store.capture("edit", _with_now(fields))

    def log_conversation(self, **fields: Any) -> str:
        """Record a conversation in OpenAI chat format; returns its id."""
        return self.store.capture("conversation", _with_now(fields))

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
        from agenthone.service._spool import spool_backlog

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
            spool_backlog=sum(spool_backlog(s).values()),
        )


def _with_now(fields: dict[str, Any]) -> dict[str, Any]:
    """Live captures default their timestamp to now (UTC)."""
    if fields.get("timestamp") is None:
        from datetime import UTC, datetime

        fields = {**fields, "timestamp": datetime.now(UTC)}
    return fields
