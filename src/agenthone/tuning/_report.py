"""A study read back: its trials as a table, its best trial, parameter importances and Pareto front."""

from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Any

from agenthone.tuning._storage import redact_url

if TYPE_CHECKING:
    import optuna
    import pandas as pd

__all__ = ["importances", "study_report", "trials_frame"]


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, objective values, parameters, job, cost, compute seconds, run id."""
    import pandas as pd

    names = list(study.user_attrs.get("objectives") or ["value"])
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        values = list(t.values or [])
        for i, name in enumerate(names):
            row[name] = values[i] if i < len(values) else None
        row.update({f"param.{k}": v for k, v in t.params.items()})
        attrs = t.user_attrs
        row["job_id"] = attrs.get("job_id")
        row["cost_usd"] = attrs.get("cost_usd")
        row["estimated_cost_usd"] = attrs.get("estimated_cost_usd")
        row["compute_s"] = attrs.get("compute_s")
        row["pruned_at_step"] = attrs.get("pruned_at_step")
        row["mlflow_run_id"] = attrs.get("mlflow_run_id")
        row["note"] = attrs.get("not_launched") or attrs.get("error")
        row["duration_s"] = t.duration.total_seconds() if t.duration is not None else None
        rows.append(row)
    return pd.DataFrame(rows)


def importances(study: optuna.Study) -> dict[str, float]:
    """Parameter importances of the first objective (empty until enough trials have completed)."""
    import optuna

    target = (lambda t: t.values[0]) if len(study.directions) > 1 else None
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        return {k: float(v) for k, v in optuna.importance.get_param_importances(study, target=target).items()}
    return {}


def study_report(study: optuna.Study, *, storage: str) -> dict[str, Any]:
    """Everything ``hone tune show`` prints (and ``--json`` returns)."""
    from agenthone.tuning._tuner import _trial_view, best_trial

    names = list(study.user_attrs.get("objectives") or ["value"])
    frame = trials_frame(study)
    best = best_trial(study)
    pareto = [_trial_view(t, names) for t in study.best_trials] if len(study.directions) > 1 else []
    return {
        "study": study.study_name,
        "storage": redact_url(storage),
        "dataset": study.user_attrs.get("dataset"),
        "provider": study.user_attrs.get("provider"),
        "objectives": names,
        "directions": [d.name.lower() for d in study.directions],
        "parent_run_id": study.user_attrs.get("mlflow_parent_run_id"),
        "states": frame["state"].value_counts().to_dict() if len(frame) else {},
        "best": _trial_view(best, names) if best is not None else None,
        "importances": importances(study),
        "pareto": pareto,
        "trials": frame.to_dict("records"),
        "total_cost_usd": float(frame["cost_usd"].fillna(0).sum()) if len(frame) else 0.0,
        "total_compute_s": float(frame["compute_s"].fillna(0).sum()) if len(frame) else 0.0,
    }
