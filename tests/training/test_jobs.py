"""Submitting and cancelling jobs."""

from __future__ import annotations

from pathlib import Path

from agenthone import Workbench
from agenthone.training import JobManager
from tests.training.copy_task import LOCAL_TOML, wait_for, write_dataset


def test_cancel_a_running_local_job(workspace: Path) -> None:
    (workspace / "hone.toml").write_text(LOCAL_TOML)
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=60)
        jobs = JobManager.open(wb)
        job = jobs.submit("copy", provider="local", hyperparameters={"max_steps": 5000})
        wait_for(lambda: jobs.refresh(job.job_id).status == "running")
        jobs.cancel(job.job_id)
        job = jobs.watch(job.job_id, interval=0.5)
        assert job.status == "cancelled"
        assert job.details["step"] < 5000
        assert not Path(job.workdir or "", "model").exists()
        from agenthone import _mlflow

        assert _mlflow.client(wb.settings).get_run(job.mlflow_run_id).info.status == "KILLED"
