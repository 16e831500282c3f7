"""When a job's submission is known to have died: its process is gone, or it never reached a provider."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

from agenthone.training._job import SUBMISSION_TIMEOUT_S, Job, interrupted_submission, now, row_to_job


def _pending(pid: int, host: str, *, age_s: float = 1.0, **values: Any) -> Job:
    row = {
        "job_id": "ftjob-x",
        "provider": "local",
        "status": "validating_files",
        "method": "sft",
        "details": {"submitter": {"pid": pid, "host": host}},
        "created_at": now() - timedelta(seconds=age_s),
    }
    return row_to_job({**row, **values})


def test_a_submission_is_dead_when_its_process_is_gone() -> None:
    here = socket.gethostname()
    pid = _reaped_pid()
    reason = interrupted_submission(_pending(pid, here))
    assert reason == f"submission was interrupted: its process {pid} on {here} is gone"
    assert interrupted_submission(_pending(os.getpid(), here)) is None  # still submitting
    assert interrupted_submission(_pending(_reaped_pid(), "elsewhere")) is None  # cannot tell from here
    assert interrupted_submission(_pending(_reaped_pid(), here, provider_job_id="ftjob-1")) is None
    assert interrupted_submission(_pending(_reaped_pid(), here, status="failed")) is None


def test_a_submission_is_dead_after_the_timeout_wherever_it_ran() -> None:
    old = SUBMISSION_TIMEOUT_S + 60
    assert interrupted_submission(_pending(os.getpid(), "elsewhere", age_s=old)) == (
        f"submission was interrupted: no provider job after {SUBMISSION_TIMEOUT_S / 3600:g} h"
    )
    assert interrupted_submission(_pending(os.getpid(), "elsewhere", age_s=10), timeout_s=5) is not None
    assert interrupted_submission(row_to_job({"job_id": "j", "status": "queued", "created_at": now()})) is None


def _reaped_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
