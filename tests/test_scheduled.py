"""The scheduled loop runs exactly as the shipped crontab line runs it: its variables, then its command through
/bin/sh with cron's bare environment, on sample data; nothing is installed system-wide."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.watch.hook_server import hook_server


def _crontab() -> tuple[dict[str, str], str]:
    """The variables and the one command line of scripts/crontab."""
    variables: dict[str, str] = {}
    commands = []
    for line in (ROOT / "scripts" / "crontab").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if sep and " " not in name.strip():
            variables[name.strip()] = value.strip()
        else:
            commands.append(line.split(None, 5)[5])  # minute hour day month weekday command
    assert len(commands) == 1, commands
    return variables, commands[0]


def test_the_cron_line_runs_watch_notify_and_the_weekly_report(sample_workspace: Path) -> None:
    variables, command = _crontab()
    assert set(variables) == {"HONE_HOME", "HONE"}
    (sample_workspace / "scripts").symlink_to(ROOT / "scripts")  # the workspace is the project's checkout
    (sample_workspace / "reports").mkdir()
    # cron's environment: only what the crontab sets, plus HOME, LOGNAME, SHELL and a bare PATH; the values
    # point at this test's workspace and interpreter (PYTHONPATH for a source checkout, as the tests run)
    hone = f"{shlex.quote(sys.executable)} -m agenthone.cli"
    env = {"HOME": str(sample_workspace), "LOGNAME": "cron", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin",
           **variables, "HONE_HOME": str(sample_workspace), "HONE": hone}  # fmt: skip
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    with hook_server() as (url, received):
        (sample_workspace / "hone.toml").write_text(
            f'[notify]\nbackoff = 0.01\n[[notify.webhooks]]\nname = "team"\nformat = "slack"\nurl = "{url}/hook"\n',
            encoding="utf-8",
        )
        done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=600)
    log = (sample_workspace / "reports" / "scheduled.log").read_text(encoding="utf-8")
    assert done.returncode == 3, log  # the sample's planted regression needs a person
    assert "ALERT" in log and "report weekly written" in log, log
    assert len(received.posts) == 1 and received.posts[0]["json"]["text"].startswith("agenthone watch:")
    [run] = list((sample_workspace / "reports" / "weekly").iterdir())
    html = (run / "weekly.html").read_text(encoding="utf-8")
    assert "Weekly report" in html and "wb = Workbench.open" not in html  # --no-input: findings only
    sent = [json.loads(x) for x in (sample_workspace / "data" / "notifications.jsonl").read_text().splitlines()]
    assert sent[0]["ok"] and sent[0]["webhook"] == "team"
