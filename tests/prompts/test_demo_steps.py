"""The demo's prompt steps: the sample's prompts registered, rule-based variants for the agent analytics picks,
the replay skipped without a local model, and the watch."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from agenthone.demo import DemoOutput, DemoState, get_step


def test_prompt_steps_on_the_sample(
    sample_workspace: Path, tmp_path: Path, sample_prompts: dict[str, Any], filler_agent: str
) -> None:
    from agenthone.workbench import Workbench

    logs = tmp_path / "logs"  # the agents' prompt file beside the logs (one agent, to keep the test small)
    logs.mkdir()
    mine = {"prompts": {filler_agent: sample_prompts["prompts"][filler_agent]},
            "production": sample_prompts["production"]}  # fmt: skip
    (logs / "prompts.json").write_text(json.dumps(mine), encoding="utf-8")
    buffer = io.StringIO()
    output = DemoOutput(out=Console(file=buffer, width=200), err=Console(file=io.StringIO(), width=200))
    with Workbench.open() as wb:
        state = DemoState(wb=wb, sample_dir=logs, seed=0)
        state.extras["insight_agents"] = [filler_agent]
        for name in ("prompts", "replay", "watch"):
            get_step(name).run(state, output)
        production = wb.prompts.get(filler_agent, "production")
    text = buffer.getvalue()
    assert state.extras["prompt_agent"] == filler_agent and len(state.extras["prompt_variants"]) == 2
    assert production.label == sample_prompts["production"][filler_agent]
    assert 'Do not open with "Let me analyze this."' in text
    assert "no prompt variants or no local model; skipping the replay" in text
    assert "hone watch would exit 3" in text and not state.failures
