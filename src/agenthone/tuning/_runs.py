"""A study in MLflow: one parent run per study, the trials' job runs nested under it, figures on the parent.

The parent run is found by its study tag, so every worker of a study (on any machine that shares the
tracking server) nests its trials under the same one; the study keeps the parent's run id as a user
attribute and every trial keeps its child run's id, so each side links to the other.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.tuning._storage import redact_url

if TYPE_CHECKING:
    import optuna

    from agenthone.training import Job, JobManager

__all__ = ["finish_parent", "log_trial", "parent_run", "tag_trial"]

STUDY_TAG = "optuna.study_name"


def parent_run(settings: Settings, study: optuna.Study, *, storage_url: str) -> str:
    """The study's parent run (created by the first worker; every other one finds it)."""
    from mlflow.entities import Param, RunStatus

    from agenthone import _mlflow

    client = _mlflow.client(settings)
    experiment = _mlflow.experiment_id(settings, _mlflow.EXPERIMENTS["tuning"])
    known = study.user_attrs.get("mlflow_parent_run_id")
    if known:
        with contextlib.suppress(Exception):
            run = client.get_run(str(known))
            if run.info.lifecycle_stage == "active":
                if run.info.status != RunStatus.to_string(RunStatus.RUNNING):
                    client.update_run(run.info.run_id, status="RUNNING")
                return str(run.info.run_id)
    found = _parents(client, experiment, study.study_name)
    if not found:
        attrs = study.user_attrs
        tags = {
            STUDY_TAG: study.study_name,
            "optuna.storage": redact_url(storage_url),
            "optuna.role": "study",
            "dataset": str(attrs.get("dataset") or ""),
            "provider": str(attrs.get("provider") or ""),
            "method": str(attrs.get("method") or ""),
            "agent": str(attrs.get("agent") or ""),
            "objectives": ",".join(attrs.get("objectives") or []),
            "mlflow.note.content": f"Optuna study {study.study_name}: one nested run per trial",
        }
        created = client.create_run(experiment, run_name=f"study {study.study_name}", tags=tags)
        params = {
            "directions": ",".join(d.name.lower() for d in study.directions),
            "pruner": attrs.get("pruner"),
            "space": json.dumps(attrs.get("space") or {}, sort_keys=True),
        }
        client.log_batch(created.info.run_id, params=[Param(k, str(v)[:6000]) for k, v in params.items() if v])
        found = _parents(client, experiment, study.study_name)
        mine = str(created.info.run_id)
        winner = found[0] if found else mine
        if winner != mine:  # another worker created one at the same moment: keep the earliest
            client.delete_run(mine)
    else:
        winner = found[0]
        client.update_run(winner, status="RUNNING")
    if study.user_attrs.get("mlflow_parent_run_id") != winner:
        study.set_user_attr("mlflow_parent_run_id", winner)
    return winner


def _parents(client: Any, experiment: str, study_name: str) -> list[str]:
    runs = client.search_runs(
        [experiment],
        filter_string=f"tags.`{STUDY_TAG}` = '{study_name}' AND tags.`optuna.role` = 'study'",
        order_by=["attributes.start_time ASC"],
        max_results=50,
    )
    runs = sorted(runs, key=lambda r: (r.info.start_time, r.info.run_id))
    return [str(r.info.run_id) for r in runs]


def log_trial(settings: Settings, job: Job, values: Mapping[str, float], *, log_model: bool, jobs: JobManager) -> None:
    """Objective values (and the trained model's files) on a completed trial's child run."""
    from mlflow.entities import Metric

    from agenthone import _mlflow

    if not job.mlflow_run_id:
        return
    client = _mlflow.client(settings)
    metrics = [Metric(f"objective.{k}", float(v), 0, 0) for k, v in values.items()]
    client.log_batch(job.mlflow_run_id, metrics=metrics)
    if log_model and job.provider == "local" and job.fine_tuned_model:
        folder = Path(job.fine_tuned_model)
        if folder.is_dir():
            with contextlib.suppress(Exception):
                client.log_artifacts(job.mlflow_run_id, str(folder), "trained_model")


def tag_trial(settings: Settings, trial: optuna.trial.FrozenTrial) -> None:
    """Mark the trial's child run with how the trial ended (complete, pruned, failed) and why."""
    from mlflow.entities import RunTag

    from agenthone import _mlflow

    run_id = trial.user_attrs.get("mlflow_run_id")
    if not run_id:
        return
    client = _mlflow.client(settings)
    tags = [RunTag("optuna.trial_state", trial.state.name.lower())]
    if trial.user_attrs.get("pruned_at_step") is not None:
        tags.append(RunTag("optuna.pruned_at_step", str(trial.user_attrs["pruned_at_step"])))
    reason = trial.user_attrs.get("error")
    if reason:
        tags.append(RunTag("optuna.fail_reason", str(reason)[:5000]))
    client.log_batch(str(run_id), tags=tags)


def finish_parent(
    settings: Settings, study: optuna.Study, run_id: str | None, *, interrupted: bool = False, figures: bool = True
) -> None:
    """Best values, the trials table and the study's figures on the parent run, which ends with the search."""
    import matplotlib.pyplot as plt
    from mlflow.entities import Metric, RunTag

    from agenthone import _mlflow
    from agenthone.tuning._report import trials_frame
    from agenthone.tuning._tuner import best_trial, study_figures

    if not run_id:
        return
    client = _mlflow.client(settings)
    names = list(study.user_attrs.get("objectives") or ["value"])
    frame = trials_frame(study)
    metrics: list[Metric] = []
    tags: list[RunTag] = []
    counts = frame["state"].value_counts().to_dict() if len(frame) else {}
    for state, n in counts.items():
        metrics.append(Metric(f"trials_{str(state).lower()}", float(n), 0, 0))
    best = best_trial(study)
    if best is not None:
        for name, value in zip(names, best.values or [], strict=False):
            metrics.append(Metric(f"best.{name}", float(value), 0, 0))
        tags += [RunTag("best.trial", str(best.number)), RunTag("best.job_id", str(best.user_attrs.get("job_id")))]
        tags.append(RunTag("best.run_id", str(best.user_attrs.get("mlflow_run_id"))))
        tags += [RunTag(f"best.{k}", str(v)[:500]) for k, v in best.params.items()]
    client.log_batch(run_id, metrics=metrics, tags=tags)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trials.csv"
        frame.to_csv(path, index=False)
        client.log_artifact(run_id, str(path))
    for key, fig in (study_figures(study) if figures else {}).items():
        with contextlib.suppress(Exception):
            client.log_figure(run_id, fig, f"figures/{key}.png")
        plt.close(fig)
    client.set_terminated(run_id, status="KILLED" if interrupted else "FINISHED")
