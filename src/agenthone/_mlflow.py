"""MLflow wired to a workspace: its tracking URI, and artifacts under ``mlruns/artifacts``.

Every stage that records something in MLflow (dataset builds, fine-tuning jobs, evaluations, the model
registry) goes through here, so all of them land in the same store and show up side by side in the UI
(``mlflow ui --backend-store-uri <tracking uri>``). MLflow is imported lazily: it is slow to import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

__all__ = ["EXPERIMENTS", "client", "experiment_id", "start_run", "use_workspace"]

EXPERIMENTS = {
    "datasets": "agenthone/datasets",
    "training": "agenthone/training",
    "evaluation": "agenthone/evaluation",
    "tuning": "agenthone/tuning",
    "prompts": "agenthone/prompts",
}
"""The MLflow experiment each stage records into."""


def use_workspace(settings: Settings) -> str:
    """Point MLflow at the workspace's tracking store (fluent API and new clients alike)."""
    import mlflow

    settings.ensure_dirs()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    return settings.mlflow_tracking_uri


def client(settings: Settings) -> MlflowClient:
    from mlflow import MlflowClient

    use_workspace(settings)
    return MlflowClient(tracking_uri=settings.mlflow_tracking_uri, registry_uri=settings.mlflow_tracking_uri)


def experiment_id(settings: Settings, name: str) -> str:
    """The id of experiment ``name``, created with its artifacts under the workspace when missing."""
    c = client(settings)
    found = c.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            c.restore_experiment(found.experiment_id)
        return str(found.experiment_id)
    location = settings.mlflow_artifact_root / name.replace("/", "_")
    served = settings.mlflow_tracking_uri.startswith(("http://", "https://"))
    if not served:  # a tracking server keeps the artifacts where it was told to (shared by every machine)
        location.mkdir(parents=True, exist_ok=True)
    try:
        if served:
            return str(c.create_experiment(name))
        return str(c.create_experiment(name, artifact_location=location.as_uri()))
    except Exception:  # created concurrently by another process
        again = c.get_experiment_by_name(name)
        if again is None:
            raise
        return str(again.experiment_id)


@contextmanager
def start_run(
    settings: Settings,
    stage: str,
    *,
    run_name: str | None = None,
    tags: dict[str, Any] | None = None,
    nested: bool = False,
) -> Iterator[Run]:
    """An active MLflow run in the stage's experiment (see :data:`EXPERIMENTS`)."""
    import mlflow

    exp = experiment_id(settings, EXPERIMENTS.get(stage, stage))
    str_tags = {k: str(v) for k, v in (tags or {}).items() if v is not None}
    with mlflow.start_run(experiment_id=exp, run_name=run_name, tags=str_tags, nested=nested) as run:
        yield run
