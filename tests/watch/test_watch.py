"""``watch`` on the sample: the steady fleet raises no drift; a planted intent-mix shift is flagged, with a step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.watch import watch


def _steady_agents(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in truth["agents"] if a["healthy"] and not a["experiment"] and len(a["intent_types"]) >= 2]


def test_the_steady_sample_has_no_drift_and_no_new_pattern(sample_workspace: Path) -> None:
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        result = watch(wb.store)
    assert len(result.drift) >= 40  # every agent was tested on several measures
    assert result.drifted.empty, result.drifted.to_dict("records")
    assert result.new_patterns.empty, result.new_patterns.to_dict("records")
    assert result.needs_person  # the sample's planted regression and floor alerts
    assert {s["agent"] for s in result.steps} == set(result.alerts["agent"])


def test_a_planted_intent_mix_shift_is_flagged_and_a_steady_agent_is_not(
    sample_workspace: Path, ground_truth: dict[str, Any]
) -> None:
    from agenthone.workbench import Workbench

    steady_names = {a["agent_name"]: a for a in _steady_agents(ground_truth)}
    with Workbench.open(read_only=True) as wb:  # the busiest steady agents: enough edits in both windows to test
        busy = wb.store.sql(
            "SELECT agent_name FROM edits WHERE timestamp >= '2026-09-28' GROUP BY 1 ORDER BY count(*) DESC, 1"
        )["agent_name"]
    shifted, steady = [steady_names[a] for a in busy if a in steady_names][:2]
    intent = shifted["intent_types"][-1]
    with Workbench.open(read_only=True) as wb:  # the agent's own requests, all of one intent: only the mix moves
        past = wb.store.sql(
            "SELECT prompt, ai_output, final_output FROM edits WHERE agent_name = ? ORDER BY id LIMIT 60",
            [shifted["agent_name"]],
        )
    edits = [
        {
            "timestamp": f"2026-10-{26 + i % 6:02d}T{9 + i % 8:02d}:{i % 60:02d}:00Z",
            "agent_name": shifted["agent_name"],
            "intent_type": intent,
            "prompt": r.prompt,
            "ai_output": r.ai_output,
            "final_output": r.final_output,
        }
        for i, r in enumerate(past.itertuples())
    ]
    with Workbench.open() as wb:
        wb.log_records("edit", edits)
        result = watch(wb.store, registry=wb.prompts)
    flagged = result.drifted
    assert set(flagged["agent"]) == {shifted["agent_name"]}, flagged.to_dict("records")
    row = flagged[flagged["measure"] == "intent_mix"].iloc[0]
    assert intent in row["detail"] and row["effect"] >= 0.15 and row["p_adjusted"] < 0.05
    assert steady["agent_name"] not in set(flagged["agent"])
    step = next(s for s in result.steps if s["agent"] == shifted["agent_name"])
    assert "fine-tune" in step["step"] and "intent_mix" in step["evidence"]
    doc = result.as_dict()
    assert json.dumps(doc) and doc["needs_person"] and doc["drift"][0]["agent"] == shifted["agent_name"]


def test_bad_windows_are_refused(sample_workspace: Path) -> None:
    from agenthone.analytics import AnalyticsError
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb, pytest.raises(AnalyticsError, match="baseline_days"):
        watch(wb.store, recent_days=7, baseline_days=3)
