"""Watching jobs: a local job started by a command that exits, monitored by a process that restarts; a job
whose submitting process died ends ``failed`` instead of being watched forever."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from agenthone import Workbench
from agenthone.config import Settings
from agenthone.providers import _local
from agenthone.training import JobManager, watch_job
from tests.training.copy_task import LOCAL_TOML, wait_for, write_dataset


def _hone(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HONE_HOME": str(workspace)}
    return subprocess.run(
        [sys.executable, "-m", "agenthone.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_job_outlives_its_command_and_monitoring_resumes(workspace: Path) -> None:
    (workspace / "hone.toml").write_text(LOCAL_TOML)
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=120)
    done = _hone(workspace, "train", "--dataset", "copy", "--epochs", "4", "--no-wait", "--json")
    assert done.returncode == 0, done.stderr
    job_id = json.loads(done.stdout)["job_id"]

    # a first watcher syncs part of the run, then goes away mid-training
    with Workbench.open(workspace) as wb:
        jobs = JobManager.open(wb)
        wait_for(lambda: len(jobs.refresh(job_id).details) and len(jobs.metrics(job_id)) >= 2)
        partial = len(jobs.metrics(job_id))
        assert jobs.get(job_id).status == "running"

    # a new process (no memory of the worker) picks up where it stopped
    _local._CHILDREN.clear()
    job = watch_job(job_id, settings=Settings.load(workspace), interval=0.5)
    assert job.status == "succeeded", job.error
    job_dir = Path(job.workdir or "")
    lines = [json.loads(x) for x in (job_dir / "metrics.jsonl").read_text().splitlines()]
    expected = {(x["step"], k) for x in lines for k in x if k not in ("step", "time")}
    with Workbench.open(workspace, read_only=True) as wb:
        jobs = JobManager.open(wb)
        frame = jobs.metrics(job_id)
        stored = {
            (int(r["step"]), k) for r in frame.to_dict("records") for k, v in r.items() if k != "step" and pd.notna(v)
        }
        assert stored == expected and len(frame) > partial
        from agenthone import _mlflow

        history = _mlflow.client(wb.settings).get_metric_history(job.mlflow_run_id, "train_loss")
        assert sorted(m.step for m in history) == sorted(x["step"] for x in lines if "train_loss" in x)
        assert jobs.events(job_id)["message"].str.contains("job finished: succeeded").sum() == 1


SUBMIT_AND_HANG = textwrap.dedent(
    """
    import time
    from agenthone import Workbench
    from agenthone.providers._local import LocalProvider
    from agenthone.training import JobManager

    def prepare_files(self, dataset, *, method, workdir):
        print("preparing", flush=True)
        time.sleep(600)

    LocalProvider.prepare_files = prepare_files
    with Workbench.open() as wb:
        JobManager.open(wb).submit("copy", provider="local")
    """
)


def test_watching_a_job_whose_submitting_process_died(workspace: Path) -> None:
    (workspace / "hone.toml").write_text(LOCAL_TOML)
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=20)
    env = {**os.environ, "HONE_HOME": str(workspace)}
    with subprocess.Popen([sys.executable, "-c", SUBMIT_AND_HANG], env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "preparing\n"
        proc.kill()  # as a power cut or `kill -9` would: no handler runs
    with Workbench.open(workspace, read_only=True) as wb:
        assert JobManager.open(wb).get().status == "validating_files"

    started = time.monotonic()
    job = watch_job(None, settings=Settings.load(workspace), interval=0.1, timeout=60)
    assert time.monotonic() - started < 30
    assert job.status == "failed" and job.done
    assert job.error == f"submission was interrupted: its process {proc.pid} on {socket.gethostname()} is gone"
    with Workbench.open(workspace) as wb:
        jobs = JobManager.open(wb)
        assert job.error in jobs.events(job.job_id)["message"].tolist()
        from agenthone import _mlflow

        assert _mlflow.client(wb.settings).get_run(job.mlflow_run_id).info.status == "FAILED"
        assert jobs.watch(job.job_id).status == "failed"  # and returns at once from then on
