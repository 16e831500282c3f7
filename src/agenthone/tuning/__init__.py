"""Hyperparameter search with Optuna over fine-tuning jobs: pruning, budgets, MLflow parent/child runs, advice.

    from agenthone import Workbench

    wb = Workbench.open()
    result = wb.tuner.run("support-edits", provider="local", trials=8, objective="valid_loss", max_cost_usd=2)
    print("\\n".join(result.summary()))
    wb.tuner.show(result.study_name)["importances"]
    wb.tuner.advise("support-edits").summary()

One trial is one tracked fine-tuning job (``agenthone.training``) whose MLflow run is nested under the
study's parent run in ``agenthone/tuning``. Studies live in the Optuna storage (``optuna_storage``:
SQLite under ``mlruns/`` by default; PostgreSQL to share a study between workers on several machines).
"""

from agenthone.tuning._advise import Advice, advise
from agenthone.tuning._objective import OBJECTIVES, Objective, objectives
from agenthone.tuning._report import importances, study_report, trials_frame
from agenthone.tuning._space import Param, SearchSpace, TuneSpec, default_space, load_spec
from agenthone.tuning._storage import open_storage
from agenthone.tuning._tuner import PRUNERS, TrialFailedError, Tuner, TuneResult, best_trial, spend, study_figures

__all__ = [
    "OBJECTIVES",
    "PRUNERS",
    "Advice",
    "Objective",
    "Param",
    "SearchSpace",
    "TrialFailedError",
    "TuneResult",
    "TuneSpec",
    "Tuner",
    "advise",
    "best_trial",
    "default_space",
    "importances",
    "load_spec",
    "objectives",
    "open_storage",
    "spend",
    "study_figures",
    "study_report",
    "trials_frame",
]
