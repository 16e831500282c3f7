"""Submitting and cancelling jobs; a submission that dies on the way ends the job ``failed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agenthone import Workbench
from agenthone.providers._local import LocalProvider
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


@pytest.mark.parametrize(
    ("crash", "reason"),
    [
        (OSError(28, "No space left on device"), "OSError: [Errno 28] No space left on device"),
        (KeyboardInterrupt(), "submission was interrupted: KeyboardInterrupt"),
    ],
)
def test_a_submission_that_dies_ends_failed_and_still_raises(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, crash: BaseException, reason: str
) -> None:
    def prepare_files(self: LocalProvider, dataset: Any, *, method: str, workdir: Path) -> Any:
        raise crash

    monkeypatch.setattr(LocalProvider, "prepare_files", prepare_files)
    (workspace / "hone.toml").write_text(LOCAL_TOML)
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=20)
        jobs = JobManager.open(wb)
        with pytest.raises(type(crash)):
            jobs.submit("copy", provider="local")
        job = jobs.get()
        assert job.status == "failed" and job.done
        assert job.error == reason
        assert f"job could not be created: {reason}" in jobs.events(job.job_id)["message"].tolist()
        from agenthone import _mlflow

        run = _mlflow.client(wb.settings).get_run(job.mlflow_run_id)
        assert run.info.status == "FAILED" and run.data.tags["error"] == reason
        assert jobs.watch(job.job_id, timeout=5).status == "failed"
