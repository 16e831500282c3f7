"""``hone agents``, ``hone alerts`` and ``hone edits`` as a user runs them (real store, real commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agenthone.cli import app

runner = CliRunner()


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def test_agents_summary_table_and_json(sample_workspace: Path, ground_truth: dict[str, Any]) -> None:
    result = runner.invoke(app, ["agents", "summary", "--range", "30d"])
    assert result.exit_code == 0, result.output
    assert "Performance per agent" in result.stdout and "2026-10-03 to 2026-11-01" in result.stdout
    doc = _json(["agents", "summary", "--by", "category", "--as-of", "2026-10-15", "--range", "7d"])
    assert doc["window"]["last_day"] == "2026-10-15" and doc["by"] == "category"
    assert {r["category"] for r in doc["rows"]} <= {a["category"] for a in ground_truth["agents"]}
    worst = _json(["agents", "summary"])["rows"][0]  # sorted by acceptance, worst first
    planted = {ground_truth["effects"][k]["agent"] for k in ("filler_phrase", "omission", "tone_shift")}
    assert worst["agent"] in planted and 0 <= worst["acceptance_low"] <= worst["acceptance_rate"]


def test_agents_trend_and_compare(sample_workspace: Path, ground_truth: dict[str, Any]) -> None:
    agent = ground_truth["effects"]["regression"]["agent"]
    result = runner.invoke(app, ["agents", "trend", agent])
    assert result.exit_code == 0, result.output
    assert "weekly trend" in result.stdout and "last 7 days" in result.stdout
    doc = _json(["agents", "trend", agent, "--freq", "D", "--range", "14d"])
    assert len(doc["rows"]) == 14 and {r["agent"] for r in doc["rows"]} == {agent}
    healthy = sorted(a["agent_name"] for a in ground_truth["agents"] if a["healthy"])[:2]
    result = runner.invoke(app, ["agents", "compare", *healthy])
    assert result.exit_code == 0, result.output
    assert "acceptance_rate" in result.stdout and "latency_ms" in result.stdout
    doc = _json(["agents", "compare", "v1", "v2", "--by", "prompt_version", "--agent", agent])
    assert doc["agent"] == agent and len(doc["rows"]) == 4


def test_alerts_exit_code_for_cron(sample_workspace: Path, ground_truth: dict[str, Any]) -> None:
    agent = ground_truth["effects"]["regression"]["agent"]
    result = runner.invoke(app, ["alerts"])
    assert result.exit_code == 3, result.output
    assert f"ALERT {agent}" in result.stdout
    doc = json.loads(runner.invoke(app, ["alerts", "--json"]).stdout)
    healthy = {a["agent_name"] for a in ground_truth["agents"] if a["healthy"]}
    alerted = {r["agent"] for r in doc["rows"]}
    assert doc["alerts"] == len(doc["rows"]) >= 1
    assert agent in alerted and not alerted & healthy, alerted
    # a day before the regression started, and without the floor rule: nothing to report
    quiet = runner.invoke(app, ["alerts", "--as-of", "2026-10-10", "--floor", "0"])
    assert quiet.exit_code == 0, quiet.output
    assert "no alerts" in quiet.stdout


def test_edits_patterns_tone_show(sample_workspace: Path, ground_truth: dict[str, Any]) -> None:
    filler = ground_truth["effects"]["filler_phrase"]
    result = runner.invoke(app, ["edits", "patterns", "--agent", filler["agent"]])
    assert result.exit_code == 0, result.output
    assert filler["phrase"] in result.stdout and "remove it from the prompt" in result.stdout
    doc = _json(["edits", "patterns", "--agent", filler["agent"], "--kind", "deletion", "--range", "all"])
    top = doc["rows"][0]
    assert top["pattern"] == filler["phrase"] and top["examples"]
    shown = runner.invoke(app, ["edits", "show", top["examples"][0], "--sentences"])
    assert shown.exit_code == 0, shown.output
    assert filler["phrase"] in shown.stdout and "deleted" in shown.stdout
    show_doc = _json(["edits", "show", top["examples"][0]])
    assert any(op["op"] == "delete" and op["before"] == filler["phrase"] for op in show_doc["opcodes"])
    tone = ground_truth["effects"]["tone_shift"]
    doc = _json(["edits", "tone", "--agent", tone["agent"]])
    words = next(r for r in doc["rows"] if r["measure"] == "words")
    assert words["significant"] and words["direction"] == "shorter"


def test_edits_opportunities(sample_workspace: Path, ground_truth: dict[str, Any]) -> None:
    omission = ground_truth["effects"]["omission"]
    result = runner.invoke(app, ["edits", "opportunities", "--agent", omission["agent"], "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "informational purposes" in result.stdout


def test_bad_input_is_one_line_with_exit_2(sample_workspace: Path) -> None:
    for args, message in (
        (["agents", "summary", "--range", "30x"], "unknown range '30x'"),
        (["agents", "compare", "nobody", "vuln-scanner"], "no agent named 'nobody'"),
        (["edits", "patterns", "--agent", "nobody"], "no edits of an agent named 'nobody'"),
        (["edits", "show", "edit-nope"], "no edit with id 'edit-nope'"),
        (["agents", "trend", "nobody"], "no runs or edits of agent 'nobody'"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
        assert result.output.strip().splitlines() == [result.output.strip()], result.output


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("a bug")])
def test_bugs_are_not_passed_off_as_bad_input(
    sample_workspace: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    # only deliberate errors (HoneError, such as AnalyticsError) become "error: ..." with exit code 2
    import agenthone.analytics

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(agenthone.analytics, "performance", broken)
    result = runner.invoke(app, ["agents", "summary"])
    assert result.exit_code != 2 and result.exception is error
    assert "error: a bug" not in result.output
