"""Two workers share one study through a real PostgreSQL storage and one real MLflow tracking server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.providers.stub_server import wire_workspace
from tests.training.copy_task import write_dataset
from tests.tuning.postgres import create_database, mlflow_server, postgres_server

TRIALS = 6


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_two_workers_share_a_study_on_postgresql_and_one_mlflow_server(tmp_path: Path, stub: Any) -> None:
    import optuna
    from mlflow import MlflowClient

    stub.state.scale_losses = True
    with postgres_server(tmp_path / "pg") as server:
        _workers_started_together_open_one_new_storage(create_database(server, "race"), tmp_path)
        storage = create_database(server, "optuna")
        backend = create_database(server, "mlflow")
        with mlflow_server(backend, tmp_path / "artifacts", tmp_path / "mlflow.log") as tracking:
            workers = []
            for n in (1, 2):  # two machines: each its own workspace, sharing the storage and the tracking server
                home = tmp_path / f"machine{n}"
                home.mkdir()
                extra = f'[hone]\nmlflow_tracking_uri = "{tracking}"\n\n[tuning]\npoll_interval_s = 0.3\n'
                wire_workspace(home, stub.url, extra_toml=extra)
                write_dataset(home / "data", "copy", n=40)
                env = {**os.environ, "HONE_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
                cmd = [sys.executable, "-m", "agenthone.cli", "tune", "-d", "copy", "-p", "openai",
                       "--study", "shared", "--storage", storage, "--worker", "--trials", str(TRIALS),
                       "--seed", str(n)]  # fmt: skip
                log = (tmp_path / f"worker{n}.log").open("wb")
                workers.append((home, subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)))
            for home, proc in workers:
                assert proc.wait(timeout=400) == 0, (tmp_path / f"worker{home.name[-1]}.log").read_text()[-3000:]

            study = optuna.load_study(study_name="shared", storage=storage)
            trials = study.get_trials()
            assert len(trials) >= TRIALS
            assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}  # none lost, none left running
            assert sorted(t.number for t in trials) == list(range(len(trials)))

            client = MlflowClient(tracking_uri=tracking)
            experiment = client.get_experiment_by_name("agenthone/tuning")
            runs = client.search_runs([experiment.experiment_id], "tags.`optuna.study_name` = 'shared'")
            parents = [r for r in runs if r.data.tags.get("optuna.role") == "study"]
            assert len(parents) == 1
            parent = parents[0]
            assert study.user_attrs["mlflow_parent_run_id"] == parent.info.run_id
            children = [r for r in runs if r.data.tags.get("optuna.role") != "study"]
            assert len(children) == len(trials)  # every trial ran once: one job, one child run
            assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
            by_number = {int(r.data.tags["optuna.trial_number"]): r for r in children}
            for t in trials:
                assert by_number[t.number].info.run_id == t.user_attrs["mlflow_run_id"]
                assert by_number[t.number].data.tags["optuna.trial_state"] == t.state.name.lower()
            # both machines ran trials
            machines = {r.data.tags["agenthone.job_id"] for r in children}
            per_machine = [len(list((home / "data" / "jobs").glob("ftjob-*"))) for home, _ in workers]
            assert sum(per_machine) == len(trials) == len(machines) and min(per_machine) >= 1
            # the study's best agrees with MLflow
            parent = client.get_run(parent.info.run_id)
            assert parent.data.metrics["best.valid_loss"] == pytest.approx(study.best_value)
            assert parent.data.tags["best.run_id"] == study.best_trial.user_attrs["mlflow_run_id"]
            best_child = client.get_run(study.best_trial.user_attrs["mlflow_run_id"])
            assert best_child.data.metrics["objective.valid_loss"] == pytest.approx(study.best_value)


def _workers_started_together_open_one_new_storage(url: str, tmp_path: Path) -> None:
    """Workers started at the same moment on an empty database all open it (one creates the tables, the others
    lose the race to create them and open what it made)."""
    from concurrent.futures import ThreadPoolExecutor

    from agenthone.config import Settings
    from agenthone.tuning import open_storage

    settings = Settings.load(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        storages = list(pool.map(lambda _: open_storage(settings, url), range(4)))
    assert len(storages) == 4 and all(s.get_all_studies() == [] for s in storages)
