"""The demo's steps: an explicit list in the library, and insights chosen by analytics, not by an answer key."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from agenthone import cli
from agenthone.demo import STEPS, DemoOutput, DemoState, get_step


def _output() -> tuple[DemoOutput, io.StringIO]:
    buffer = io.StringIO()
    return DemoOutput(out=Console(file=buffer, width=200), err=Console(file=io.StringIO(), width=200)), buffer


def test_steps_are_listed_in_the_order_of_the_loop() -> None:
    names = [s.name for s in STEPS]
    assert len(set(names)) == len(names)
    order = ["sample", "ingest", "workspace", "summary", "alerts", "insights"]
    order += ["dataset", "validate", "train", "evaluate", "register"]
    assert [n for n in names if n in order] == order
    # the command modules no longer carry steps of their own
    for module in ("_analytics", "_datasets", "_training", "_demo"):
        assert not hasattr(getattr(cli, module), "DEMO_STEPS")


def test_insights_are_chosen_by_analytics_without_the_answer_key(
    sample_workspace: Path, tmp_path: Path, ground_truth: dict[str, Any]
) -> None:
    from agenthone.workbench import Workbench

    no_answer_key = tmp_path / "user-logs"  # a user's logs: no ground_truth.json anywhere
    no_answer_key.mkdir()
    output, printed = _output()
    with Workbench.open(read_only=True) as wb:
        state = DemoState(wb=wb, sample_dir=no_answer_key, seed=0)
        get_step("insights").run(state, output)
    chosen = state.extras["insight_agents"]
    effects = ground_truth["effects"]
    planted = {effects[k]["agent"] for k in ("filler_phrase", "omission", "tone_shift", "regression")}
    assert planted <= set(chosen), chosen
    text = printed.getvalue()
    assert "Improvement opportunities" in text and effects["filler_phrase"]["agent"] in text


def test_insights_reuse_what_earlier_steps_found(sample_workspace: Path, tmp_path: Path) -> None:
    from agenthone.workbench import Workbench

    output, printed = _output()
    with Workbench.open(read_only=True) as wb:
        state = DemoState(wb=wb, sample_dir=tmp_path, seed=0)
        get_step("summary").run(state, output)
        get_step("alerts").run(state, output)
        assert state.extras["worst_agents"] and state.extras["alerted_agents"]
        state.extras["alerted_agents"] = []
        get_step("insights").run(state, output)
    assert state.extras["insight_agents"] == state.extras["worst_agents"]
    assert "ALERT" in printed.getvalue() and "Agents with the lowest and the highest acceptance" in printed.getvalue()


def test_the_demo_finds_the_planted_experiments_and_decides_as_the_truth_says(
    sample_workspace: Path, ground_truth: dict[str, Any]
) -> None:
    from agenthone.workbench import Workbench

    output, printed = _output()
    with Workbench.open() as wb:
        state = DemoState(wb=wb, sample_dir=sample_workspace / "no-sample-here", seed=0)
        get_step("experiments").run(state, output)
        assert sorted(state.extras["experiments"]) == sorted(ground_truth["experiments"])
        decisions = {name: wb.experiments.analyze(name).decision.action for name in state.extras["experiments"]}
    assert decisions["prompt-ab"] == "ship"  # the planted +18 points
    assert decisions["aa-check"] != "ship"  # two identical arms
    text = printed.getvalue()
    assert "prompt-ab: SHIP" in text and "declared with a planned relative effect of 15%" in text
