"""Comparisons and regression alerts: the planted regression is found, healthy agents stay quiet."""

from __future__ import annotations

from typing import Any

import pytest

from agenthone.analytics import AnalyticsError, alerts, compare
from agenthone.errors import HoneError
from agenthone.store import Store


def test_regressing_agent_is_alerted_and_no_healthy_agent_is(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    regression = ground_truth["effects"]["regression"]
    healthy = {a["agent_name"] for a in ground_truth["agents"] if a["healthy"]}
    found = alerts(sample_store)
    assert regression["agent"] in set(found["agent"])
    assert not (set(found["agent"]) & healthy), found[["agent", "metric", "reason"]]
    mine = found[found["agent"] == regression["agent"]].set_index("metric")
    assert mine.loc["acceptance", "recent_rate"] == pytest.approx(regression["acceptance_after"], abs=0.02)
    assert mine.loc["acceptance", "drop"] > 0.10
    assert found.attrs["thresholds"]["correction"] == "holm"


def test_every_tested_pair_is_reported_with_include_ok(sample_store: Store) -> None:
    checks = alerts(sample_store, include_ok=True)
    assert len(checks) == 2 * checks["agent"].nunique()
    assert checks["p_adjusted"].dropna().ge(checks["p_value"].dropna()).all()  # Holm never lowers a p-value


def test_thresholds_change_the_verdict(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    agent = ground_truth["effects"]["regression"]["agent"]
    # a drop of 50 points is more than the regression's ~30: no drop alert; a floor above everyone alerts all
    assert agent not in set(alerts(sample_store, drop=0.5, floor=None)["agent"])
    everyone = alerts(sample_store, floor=0.99, min_n=5)
    assert everyone["below_floor"].any()
    with pytest.raises(ValueError, match="alert metric"):
        alerts(sample_store, metrics=["latency"])


def test_compare_prompt_versions_of_the_regressing_agent(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    regression = ground_truth["effects"]["regression"]
    new = regression["prompt_version_after"]
    versions = sample_store.sql("SELECT DISTINCT prompt_version FROM edits WHERE agent_name = ?", [regression["agent"]])
    old = sorted(v for v in versions["prompt_version"] if v != new)[0]
    df = compare(sample_store, old, new, by="prompt_version", agent=regression["agent"], range="90d").set_index(
        "metric"
    )
    acc = df.loc["acceptance_rate"]
    assert acc["difference"] < -0.15 and acc["p_value"] < 0.01
    assert acc["ci_low"] < acc["difference"] < acc["ci_high"] < 0
    dist = df.loc["edit_distance"]
    assert dist["difference"] > 0 and dist["test"] == "Mann-Whitney U"
    assert df.attrs["window"]["days"] == 90


def test_compare_two_healthy_agents_and_unknown_names(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    healthy = sorted(a["agent_name"] for a in ground_truth["agents"] if a["healthy"])
    df = compare(sample_store, healthy[0], healthy[1], metrics=["success_rate", "latency_ms"])
    assert list(df["metric"]) == ["success_rate", "latency_ms"]
    assert (df["n_a"] > 0).all() and (df["n_b"] > 0).all()
    with pytest.raises(AnalyticsError, match="no agent named 'nobody'") as raised:
        compare(sample_store, healthy[0], "nobody")
    assert isinstance(raised.value, HoneError) and isinstance(raised.value, ValueError)
