"""Studies of OpenAI jobs against the local stub server: cheap trials for pruning, resume, budgets, robustness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

from agenthone import Workbench
from agenthone.errors import ConfigError
from agenthone.tuning import Tuner
from tests.training.copy_task import write_dataset

FAST = "\n[tuning]\npoll_interval_s = 0.05\nheartbeat_interval_s = 1\ngrace_period_s = 2\n"


@pytest.fixture
def wb(stub: Any, workspace: Path) -> Any:
    toml = workspace / "hone.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + FAST, encoding="utf-8")
    stub.state.scale_losses = True
    with Workbench.open(workspace) as bench:
        write_dataset(bench.settings.data_dir, "copy", n=40)
        yield bench


def _cancelled(stub: Any) -> list[str]:
    return [r["path"].split("/")[-2] for r in stub.state.calls("POST", "/v1/fine_tuning/jobs/") if
            r["path"].endswith("/cancel")]  # fmt: skip


def test_pruned_trial_cancels_its_job_and_children_nest_under_the_parent(wb: Any, stub: Any) -> None:
    from agenthone import _mlflow

    good = {"n_epochs": 2, "learning_rate_multiplier": 1.8, "batch_size": 4}
    bad = {"n_epochs": 2, "learning_rate_multiplier": 0.1, "batch_size": 4}
    result = wb.tuner.run("copy", provider="openai", trials=2, enqueue=[good, bad], study="s1", seed=0)
    assert result.states == {"COMPLETE": 1, "PRUNED": 1}
    study = wb.tuner.load("s1")
    pruned = study.trials[1]
    assert pruned.state == optuna.trial.TrialState.PRUNED
    job = wb.jobs.get(pruned.user_attrs["job_id"])
    assert job.status == "cancelled"
    assert _cancelled(stub) == [job.provider_job_id]
    assert result.best is not None and result.best["number"] == 0
    assert result.best["values"]["valid_loss"] == pytest.approx(2.2 / 3)

    client = _mlflow.client(wb.settings)
    parent = client.get_run(result.parent_run_id)
    assert parent.data.tags["optuna.study_name"] == "s1"
    assert study.user_attrs["mlflow_parent_run_id"] == parent.info.run_id
    for trial in study.trials:
        child = client.get_run(trial.user_attrs["mlflow_run_id"])
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.data.tags["optuna.trial_number"] == str(trial.number)
        assert child.data.tags["optuna.trial_state"] == trial.state.name.lower()
        assert child.info.experiment_id == parent.info.experiment_id
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "figures")}
    assert "figures/optimization_history.png" in artifacts

    # the same study name resumes: trial numbers go on from where they stopped
    again = wb.tuner.run("copy", provider="openai", trials=1, study="s1", seed=1, log_figures=False)
    assert again.trials == 3 and again.new_trials == 1
    assert [t.number for t in wb.tuner.load("s1").trials] == [0, 1, 2]
    shown = wb.tuner.show("s1")
    assert len(shown["trials"]) == 3 and shown["parent_run_id"] == parent.info.run_id


def test_cost_cap_stops_launching_and_reports_the_estimate(wb: Any, stub: Any) -> None:
    estimate = wb.jobs.estimate("copy", provider="openai", epochs=3).usd
    result = wb.tuner.run(
        "copy",
        provider="openai",
        trials=5,
        study="capped",
        log_figures=False,
        max_cost_usd=estimate * 1.5,
        enqueue=[{"n_epochs": 3, "learning_rate_multiplier": 1.8, "batch_size": 4}] * 1,
    )
    study = wb.tuner.load("capped")
    launched = [t for t in study.trials if "job_id" in t.user_attrs]
    assert len(launched) == 1
    last = study.trials[-1]
    assert "not_launched" in last.user_attrs and "would cross the study's cap" in last.user_attrs["not_launched"]
    assert last.user_attrs["estimated_cost_usd"] > 0
    assert result.stopped and "not launched" in result.stopped
    assert len(stub.state.calls("POST", "/v1/fine_tuning/jobs")) == 1


def test_failing_trial_is_recorded_and_the_study_goes_on(wb: Any, stub: Any) -> None:
    stub.state.arm("/v1/fine_tuning/jobs", 400)
    result = wb.tuner.run("copy", provider="openai", trials=2, study="flaky", seed=0, log_figures=False)
    study = wb.tuner.load("flaky")
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    assert "HTTP 400" in study.trials[0].user_attrs["error"]
    assert result.best is not None


def test_interrupt_marks_the_running_trial_and_cancels_its_job(wb: Any, stub: Any) -> None:
    def interrupt(trial: Any, job: Any) -> None:
        if job.status == "running":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wb.tuner.run("copy", provider="openai", trials=3, study="stopped", on_poll=interrupt, log_figures=False)
    study = wb.tuner.load("stopped")
    [trial] = study.trials
    assert trial.state == optuna.trial.TrialState.FAIL and trial.user_attrs["interrupted"] is True
    assert wb.jobs.get(trial.user_attrs["job_id"]).status == "cancelled"


def test_stale_trials_of_a_dead_worker_fail_on_restart(wb: Any, stub: Any) -> None:
    import time

    storage = wb.tuner.storage()
    dead = optuna.create_study(study_name="crashed", storage=storage)
    trial = dead.ask()
    storage.record_heartbeat(trial._trial_id)
    time.sleep(2.5)  # past the grace period: the worker that asked never beats again
    wb.tuner.run("copy", provider="openai", trials=1, study="crashed", log_figures=False)
    states = [t.state.name for t in wb.tuner.load("crashed").trials]
    assert states == ["FAIL", "COMPLETE"]


def test_multi_objective_reports_the_pareto_front(wb: Any) -> None:
    result = wb.tuner.run(
        "copy", provider="openai", trials=2, objective="valid_loss,cost", study="pareto", seed=0, log_figures=False
    )
    assert result.directions == ["minimize", "minimize"]
    assert result.pareto and all(set(p["values"]) == {"valid_loss", "cost"} for p in result.pareto)


def test_bad_input_is_a_clear_error(wb: Any) -> None:
    with pytest.raises(ConfigError, match="unknown objective"):
        wb.tuner.run("copy", provider="openai", objective="loss")
    with pytest.raises(ConfigError, match="unknown pruner"):
        wb.tuner.run("copy", provider="openai", pruner="mean")
    with pytest.raises(ConfigError, match="not in the search space"):
        wb.tuner.run("copy", provider="openai", enqueue=[{"epochs": 2}])
    assert isinstance(wb.tuner, Tuner)


def test_advice_from_past_studies_warm_starts_the_next(wb: Any) -> None:
    from typer.testing import CliRunner

    from agenthone.cli import app

    good = {"n_epochs": 3, "learning_rate_multiplier": 1.8, "batch_size": 4}
    runner = CliRunner()
    args = ["tune", "-d", "copy", "-p", "openai", "-n", "2", "--study", "first", "--json", "--seed", "0"]
    with wb.store.released():  # the command opens the store itself
        result = runner.invoke(app, [*args, "--enqueue", "n_epochs=3,learning_rate_multiplier=1.8,batch_size=4"])
        assert result.exit_code == 0, result.output
        assert '"study_name": "first"' in result.stdout
        shown = runner.invoke(app, ["tune", "show", "first", "--json"])
        assert shown.exit_code == 0 and '"importances"' in shown.stdout
        assert runner.invoke(app, ["tune", "advise", "-d", "nothing"]).exit_code == 2

    advice = wb.tuner.advise("copy", provider="openai")
    assert advice.studies == ["first"] and advice.enqueue[0] == good
    lrm = advice.space["learning_rate_multiplier"]
    assert lrm.low <= 1.8 <= lrm.high and (lrm.low, lrm.high) != (0.1, 4.0)
    warmed = wb.tuner.run("copy", provider="openai", trials=1, study="second", warm_start=True, log_figures=False)
    assert warmed.best is not None and wb.tuner.load("second").trials[0].params == good


def test_monthly_budget_refuses_jobs_and_stops_studies(wb: Any, workspace: Path) -> None:
    from typer.testing import CliRunner

    from agenthone.cli import app

    estimate = wb.jobs.estimate("copy", provider="openai", epochs=3).usd
    wb.close()
    toml = workspace / "hone.toml"
    toml.write_text(f"monthly_training_budget_usd = {estimate * 1.5}\n" + toml.read_text(), encoding="utf-8")
    with Workbench.open(workspace) as bench:
        config = {"n_epochs": 3, "learning_rate_multiplier": 1.8, "batch_size": 4}
        result = bench.tuner.run(
            "copy", provider="openai", trials=3, study="budget", enqueue=[config, config], log_figures=False
        )
        assert result.states == {"COMPLETE": 1, "FAIL": 1}
        assert result.stopped and "monthly training budget" in result.stopped
        spent = bench.jobs.month_spend()
        assert spent > 0
    refused = CliRunner().invoke(app, ["train", "-d", "copy", "-p", "openai", "--epochs", "3", "--no-wait"])
    assert refused.exit_code == 2 and "monthly training budget" in refused.output
    costs = CliRunner().invoke(app, ["jobs", "costs", "--json"])
    assert costs.exit_code == 0, costs.output
    assert '"provider": "openai"' in costs.stdout and '"monthly_budget_usd"' in costs.stdout


def test_evaluation_objective_reports_per_example_scores_to_the_wilcoxon_pruner(wb: Any) -> None:
    result = wb.tuner.run(
        "copy",
        provider="openai",
        trials=1,
        study="wilcoxon",
        objective="edit_similarity",
        pruner="wilcoxon",
        eval_examples=6,
        log_figures=False,
    )
    [trial] = wb.tuner.load("wilcoxon").trials
    assert sorted(trial.intermediate_values) == list(range(6))  # one value per validation example
    assert result.best is not None and 0.9 <= result.best["values"]["edit_similarity"] <= 1.0
    with pytest.raises(ConfigError, match="wilcoxon"):
        wb.tuner.run("copy", provider="openai", pruner="wilcoxon")
