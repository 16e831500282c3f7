"""`hone exp ...` as a user (or cron) runs it: real processes, exit codes, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from agenthone import Workbench
from tests.cli.test_cli import hone
from tests.experiments.simulate import log_experiment

CREATE = ("--agent", "writer", "--variant", "control=v1", "--variant", "treatment=v2,writer-model@champion")


def test_create_assign_status_analyze_stop_list(workspace: Path) -> None:
    with Workbench.open() as wb:
        log_experiment(wb, "ab", units=400, rates=(0.5, 0.8))
    created = hone("exp", "create", "ab", *CREATE, "--guardrail", "edit_distance,latency_ms", "--json")
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["planned_n"] > 0 and data["variants"][1]["model"] == "writer-model@champion"
    shown = hone("exp", "create", "ab2", *CREATE, "--weights", "9,1")
    assert shown.returncode == 0, shown.stderr
    assert "required sample size" in shown.stdout and "units per arm" in shown.stdout

    one = hone("exp", "assign", "ab", "new-user")
    assert one.returncode == 0 and one.stdout.strip() in ("control", "treatment")
    many = hone("exp", "assign", "ab", "new-user", "other-user", "--json")
    assert json.loads(many.stdout)["new-user"] == one.stdout.strip()

    status = hone("exp", "status", "ab")
    assert status.returncode == 0, status.stderr
    assert "sample ratio" in status.stdout and "ok" in status.stdout
    as_json = json.loads(hone("exp", "status", "ab", "--json").stdout)
    assert sum(as_json["units"].values()) == 402 and sum(as_json["exposures"].values()) == 2

    analyzed = hone("exp", "analyze", "ab")
    assert analyzed.returncode == 0, analyzed.stderr
    assert "SHIP" in analyzed.stdout and "acceptance" in analyzed.stdout
    fixed = json.loads(hone("exp", "analyze", "ab", "--fixed", "--correction", "bh", "--json").stdout)
    assert fixed["method"] == "fixed" and fixed["correction"] == "bh"
    assert fixed["decision"]["action"] in ("ship", "not_yet")  # a fixed-horizon test may wait for its planned size

    stopped = hone("exp", "stop", "ab", "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["decision"]["action"] == "ship"
    listed = json.loads(hone("exp", "list", "--json").stdout)
    assert {e["name"]: e["status"] for e in listed} == {"ab": "stopped", "ab2": "running"}
    assert "ab2" in hone("exp", "list").stdout


def test_status_and_analyze_exit_3_on_a_sample_ratio_mismatch(workspace: Path) -> None:
    with Workbench.open() as wb:
        log_experiment(wb, "skewed", units=1500, share=0.62)
    status = hone("exp", "status", "skewed")
    assert status.returncode == 3
    assert "sample ratio mismatch" in status.stderr
    analyzed = hone("exp", "analyze", "skewed", "--json")
    assert analyzed.returncode == 3
    assert json.loads(analyzed.stdout)["decision"]["action"] == "blocked"


def test_bad_input_is_one_line_and_exit_2(workspace: Path) -> None:
    for args, message in (
        (("exp", "create", "x", "--variant", "only=v1"), "two or more variants"),
        (("exp", "create", "x", *CREATE, "--metric", "happiness"), "unknown metric"),
        (("exp", "create", "x", *CREATE, "--weights", "1,x"), "--weights"),
        (("exp", "create", "x", *CREATE, "--weights", "1,2,3"), "3 values for 2 variants"),
        (("exp", "analyze", "nope"), "no experiment 'nope'"),
        (("exp", "status"), "no experiments yet"),
        (("exp", "assign", "nope", "u1"), "no experiment 'nope'"),
        (("exp", "analyze", "nope", "--correction", "x"), "no experiment"),
    ):
        out = hone(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert message in out.stderr, (args, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    help_text = " ".join(hone("exp", "analyze", "--help").stdout.split())
    assert "3 the sample-ratio-mismatch check failed" in help_text
