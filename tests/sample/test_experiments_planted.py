"""The planted experiments: tagged runs and edits, hash assignment, and the truth a test can recover."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from agenthone.experiments._assign import assign

VARIANTS = ("control", "treatment")


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def runs(sample_dir: Path) -> list[dict[str, Any]]:
    return _read(sample_dir / "runs.jsonl")


@pytest.fixture(scope="module")
def edits(sample_dir: Path) -> list[dict[str, Any]]:
    return _read(sample_dir / "edits.jsonl")


def _tagged(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in records if (r.get("metadata") or {}).get("experiment") == name]


def _unit_acceptance(edits: list[dict[str, Any]], name: str) -> dict[str, list[float]]:
    """Per variant, each unit's share of accepted edits (the unit is the independent observation)."""
    by_unit: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for e in _tagged(edits, name):
        md = e["metadata"]
        by_unit[(md["variant"], md["unit"])].append(e["ai_output"] == e["final_output"])
    out: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for (variant, _), flags in by_unit.items():
        out[variant].append(sum(flags) / len(flags))
    return out


def _two_proportion(control: list[float], treatment: list[float]) -> tuple[float, float]:
    """(difference, two-sided p) of the pooled two-proportion z test on unit-level acceptance."""
    n_c, n_t = len(control), len(treatment)
    x_c, x_t = sum(control), sum(treatment)
    pooled = (x_c + x_t) / (n_c + n_t)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    diff = x_t / n_t - x_c / n_c
    return diff, float(2 * stats.norm.sf(abs(diff / se)))


def test_ground_truth_describes_both_experiments(ground_truth: dict[str, Any]) -> None:
    exps = ground_truth["experiments"]
    assert set(exps) == {"prompt-ab", "aa-check"}
    ab, aa = exps["prompt-ab"], exps["aa-check"]
    for exp in (ab, aa):
        assert {"agent", "metric", "control_rate", "treatment_rate", "lift", "start", "end", "units"} <= set(exp)
        assert exp["metric"] == "acceptance" and exp["unit_kind"] == "session"
        assert [v["name"] for v in exp["variants"]] == list(VARIANTS)
        assert exp["end"] == ground_truth["end"] and exp["start"] > ground_truth["start"]
    assert ab["agent"] != aa["agent"]
    assert ab["lift"] == pytest.approx(ab["treatment_rate"] - ab["control_rate"]) and ab["lift"] >= 0.1
    assert aa["lift"] == 0.0 and aa["control_rate"] == aa["treatment_rate"]
    agents = {a["agent_name"]: a for a in ground_truth["agents"]}
    planted = {ground_truth["effects"][k]["agent"] for k in ("filler_phrase", "omission", "regression", "tone_shift")}
    assert not planted & {ab["agent"], aa["agent"]}  # experiments run on healthy agents
    assert agents[ab["agent"]]["experiment"] == "prompt-ab" and agents[aa["agent"]]["experiment"] == "aa-check"
    control, treatment = (v["prompt_version"] for v in ab["variants"])
    assert control != treatment and treatment in agents[ab["agent"]]["prompt_versions"]
    assert len({v["prompt_version"] for v in aa["variants"]}) == 1


def test_runs_and_edits_carry_experiment_variant_and_unit(
    ground_truth: dict[str, Any], runs: list[dict[str, Any]], edits: list[dict[str, Any]]
) -> None:
    exps = ground_truth["experiments"]
    agent_of = {name: exp["agent"] for name, exp in exps.items()}
    start = exps["prompt-ab"]["start"]
    for records in (runs, edits):
        for r in records:
            md = r.get("metadata") or {}
            name = md.get("experiment")
            mine = r["agent_name"] in agent_of.values() and r["timestamp"] >= start
            assert mine == (name is not None), r["id"]
            if name is None:
                continue
            assert agent_of[name] == r["agent_name"]
            assert md["variant"] == assign(name, md["unit"], VARIANTS, [0.5, 0.5])
    # units are sessions, consistent between runs and edits
    run_by_id = {r["id"]: r for r in runs}
    variant_of: dict[tuple[str, str], str] = {}
    for r in _tagged(runs, "prompt-ab") + _tagged(runs, "aa-check"):
        assert r["metadata"]["unit"] == r["session_id"]
    linked = 0
    for e in _tagged(edits, "prompt-ab") + _tagged(edits, "aa-check"):
        md = e["metadata"]
        assert variant_of.setdefault((md["experiment"], md["unit"]), md["variant"]) == md["variant"]
        if "run_id" in e:
            run = run_by_id[e["run_id"]]
            assert run["metadata"]["unit"] == md["unit"] and run["metadata"]["variant"] == md["variant"]
            linked += 1
    assert linked > 20
    # the treatment arm of the A/B test runs the new prompt version, the control arm the current one
    ab = exps["prompt-ab"]
    version = {v["name"]: v["prompt_version"] for v in ab["variants"]}
    for r in _tagged(runs, "prompt-ab") + _tagged(edits, "prompt-ab"):
        assert r["prompt_version"] == version[r["metadata"]["variant"]], r["id"]


def test_assignment_is_balanced(ground_truth: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    for name, exp in ground_truth["experiments"].items():
        arms = exp["arms"]
        assert exp["units"] == arms["control"]["units"] + arms["treatment"]["units"]
        assert stats.binomtest(arms["treatment"]["units"], exp["units"], 0.5).pvalue > 0.001, name
        sessions = {r["metadata"]["unit"] for r in _tagged(runs, name)}
        assert len(sessions) == arms["control"]["run_units"] + arms["treatment"]["run_units"]


def test_ab_test_is_clearly_significant_and_recovers_the_planted_lift(
    ground_truth: dict[str, Any], edits: list[dict[str, Any]]
) -> None:
    ab = ground_truth["experiments"]["prompt-ab"]
    units = _unit_acceptance(edits, "prompt-ab")
    diff, p = _two_proportion(units["control"], units["treatment"])
    assert p < 0.001, (diff, p)
    assert diff == pytest.approx(ab["lift"], abs=0.04)
    assert np.mean(units["control"]) == pytest.approx(ab["control_rate"], abs=0.03)
    assert np.mean(units["treatment"]) == pytest.approx(ab["treatment_rate"], abs=0.03)
    assert stats.ttest_ind(units["treatment"], units["control"], equal_var=False).pvalue < 0.001
    assert min(len(units["control"]), len(units["treatment"])) >= 100
    # edit-level realised rates in the truth match the files
    tagged = _tagged(edits, "prompt-ab")
    for variant in VARIANTS:
        mine = [e for e in tagged if e["metadata"]["variant"] == variant]
        rate = sum(e["ai_output"] == e["final_output"] for e in mine) / len(mine)
        assert ab["realised"][f"{variant}_rate"] == pytest.approx(rate, abs=1e-4)
        assert ab["arms"][variant]["edits"] == len(mine)


def test_aa_test_is_not_significant(ground_truth: dict[str, Any], edits: list[dict[str, Any]]) -> None:
    units = _unit_acceptance(edits, "aa-check")
    diff, p = _two_proportion(units["control"], units["treatment"])
    assert p > 0.2, (diff, p)
    assert min(len(units["control"]), len(units["treatment"])) >= 25


def test_the_ab_agent_looks_stable_overall(ground_truth: dict[str, Any], edits: list[dict[str, Any]]) -> None:
    """The two arms sit either side of the agent's usual rate, so aggregate analytics see no shift."""
    ab = ground_truth["experiments"]["prompt-ab"]
    mine = [e for e in edits if e["agent_name"] == ab["agent"]]
    before = [e["ai_output"] == e["final_output"] for e in mine if e["timestamp"] < ab["start"]]
    during = [e["ai_output"] == e["final_output"] for e in mine if e["timestamp"] >= ab["start"]]
    assert abs(sum(during) / len(during) - sum(before) / len(before)) < 0.04
