"""The quality gate: a job whose validation metrics miss the thresholds cannot be registered without force."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone import Workbench
from agenthone.errors import ConfigError
from agenthone.registry import RegistryError, register
from agenthone.training import JobManager, QualityGate
from tests.providers.stub_server import Stub, wire_workspace
from tests.training.copy_task import write_dataset


def test_missed_gate_blocks_registration_until_forced(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        jobs = JobManager.open(wb)
        job = jobs.submit("copy", provider="openai", min_validation_accuracy=0.9)
        job = jobs.watch(job.job_id, interval=0.01)
        assert job.status == "failed_gate"
        assert job.provider_status == "succeeded"
        assert job.gate["passed"] is False
        assert job.gate["reasons"] == ["validation accuracy 0.8200 < minimum 0.9"]
        with pytest.raises(
            RegistryError, match=r"failed its quality gate \(validation accuracy 0.8200 < minimum 0.9\)"
        ):
            register(job.job_id, store=wb.store, settings=wb.settings)
        forced = register(job.job_id, force=True, store=wb.store, settings=wb.settings)
        assert forced.tags["quality_gate"] == "failed" and forced.tags["registered_despite_gate"] == "true"
        from agenthone import _mlflow

        assert _mlflow.client(wb.settings).get_run(job.mlflow_run_id).data.tags["quality_gate"] == "failed"


def test_gate_from_hone_toml(stub: Stub, workspace: Path) -> None:
    wire_workspace(workspace, stub.url, extra_toml="[training]\nmax_validation_loss = 1.0\n")
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        jobs = JobManager.open(wb)
        job = jobs.watch(jobs.submit("copy", provider="openai").job_id, interval=0.01)
        assert job.status == "succeeded"  # final validation loss 2.3/3 = 0.77 <= 1.0
        assert job.gate["passed"] is True
        assert job.gate["thresholds"] == {"max_validation_loss": 1.0}
        assert register(job.job_id, store=wb.store, settings=wb.settings).tags["quality_gate"] == "passed"


def test_gate_checks() -> None:
    gate = QualityGate(min_validation_accuracy=0.5, max_validation_loss=1.0)
    assert gate.check({"validation_token_accuracy": 0.6, "validation_loss": 0.9}).passed
    result = gate.check({"validation_loss": 1.5})
    assert result.reasons == ["no validation accuracy was reported", "validation loss 1.5000 > maximum 1"]
    # the full-validation figures of a provider take precedence over the sampled ones
    assert gate.check({"validation_loss": 2.0, "full_validation_loss": 0.5, "validation_token_accuracy": 0.9}).passed


def test_bad_gate_setting_is_named(workspace: Path) -> None:
    (workspace / "hone.toml").write_text('[training]\nmin_validation_accuracy = "high"\n')
    from agenthone.config import Settings

    with pytest.raises(ConfigError, match=r"\[training\] min_validation_accuracy: expected a number, got 'high'"):
        QualityGate.from_settings(Settings.load(workspace))
