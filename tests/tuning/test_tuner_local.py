"""A real search over tiny local models: a losing trial is pruned and its training process is gone."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from agenthone import Workbench
from agenthone._process import pid_alive
from tests.training.copy_task import LOCAL_TOML, write_dataset

TRAINING = {"max_steps": 40, "eval_steps": 8, "logging_steps": 4, "max_eval_examples": 20, "batch_size": 8}


@pytest.mark.slow
@pytest.mark.xdist_group("local-training")
def test_local_search_prunes_a_losing_trial_and_registers_the_best(workspace: Path) -> None:
    from agenthone import _mlflow
    from agenthone.registry import list_versions

    (workspace / "hone.toml").write_text(LOCAL_TOML + "\n[tuning]\npoll_interval_s = 0.3\n", encoding="utf-8")
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=120)
        good = {"learning_rate": 3e-3, "epochs": 1, "gradient_accumulation_steps": 1,
                "warmup_ratio": 0.05}  # fmt: skip
        bad = {**good, "learning_rate": 1e-4}
        result = wb.tuner.run(
            "copy",
            provider="local",
            trials=2,
            fixed=TRAINING,
            enqueue=[good, bad],
            study="local",
            register_best="copy-tuned",
            seed=0,
        )
        assert result.states == {"COMPLETE": 1, "PRUNED": 1}, result.summary()
        study = wb.tuner.load("local")
        pruned = study.trials[1]
        assert pruned.state == optuna.trial.TrialState.PRUNED
        job = wb.jobs.get(pruned.user_attrs["job_id"])
        assert job.status == "cancelled"
        assert not pid_alive(int(job.details["pid"]))  # the training process is stopped and gone
        assert int(job.details.get("step") or 0) < TRAINING["max_steps"]
        assert pruned.user_attrs["cost_usd"] > 0  # costed by compute time, not $0
        assert pruned.user_attrs["compute_s"] > 0

        assert (
            pruned.user_attrs["base_model_dir"]
            == wb.jobs.get(study.trials[0].user_attrs["job_id"]).details["base_model_dir"]
        )  # later trials start from the small model the first one built
        best = study.trials[0]
        assert result.registered is not None and result.registered["aliases"] == ["challenger"]
        [version] = list_versions("copy-tuned", settings=wb.settings)
        assert version.run_id == best.user_attrs["mlflow_run_id"]
        client = _mlflow.client(wb.settings)
        child = client.get_run(best.user_attrs["mlflow_run_id"])
        assert child.data.tags["mlflow.parentRunId"] == result.parent_run_id
        assert child.data.metrics["objective.valid_loss"] == pytest.approx(best.value)
        assert "trained_model" in {a.path for a in client.list_artifacts(child.info.run_id)}
