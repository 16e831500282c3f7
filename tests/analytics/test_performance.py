"""Performance, trends, week-over-week, best/worst types and distributions on hand-computed cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from agenthone.analytics import (
    best_worst_types,
    distributions,
    edit_measures,
    performance,
    trends,
    week_over_week,
)
from agenthone.analytics._measures import cache_path
from agenthone.analytics._stats import wilson_interval
from agenthone.store import Store
from tests.analytics.conftest import make_store


def _runs() -> list[dict[str, Any]]:
    """Two agents on 2026-10-10 and 2026-10-20; agent a: 3 of 4 succeed, latencies 100..400."""
    rows = []
    for i, (agent, day, ok, latency) in enumerate(
        [
            ("a", 10, True, 100.0),
            ("a", 10, True, 200.0),
            ("a", 20, False, 300.0),
            ("a", 20, True, 400.0),
            ("b", 20, False, 50.0),
            ("b", 20, None, 70.0),
        ]
    ):
        rows.append(
            {
                "id": f"r{i}",
                "timestamp": f"2026-10-{day}T12:00:00Z",
                "agent_name": agent,
                "category": "ecommerce" if agent == "a" else "specialized",
                "task_type": "t1" if i % 2 else "t2",
                "model": "m",
                "success": ok,
                "score": 0.5,
                "latency_ms": latency,
                "tokens_in": 10,
                "tokens_out": 5,
                "cost_usd": 0.25,
            }
        )
    return rows


def _edits() -> list[dict[str, Any]]:
    texts = [
        ("a", "one two three four", "one two three four", 0.0),  # accepted
        ("a", "one two three four", "one two four", 0.25),  # 1 deletion / 4 tokens
        ("b", "hello world", "hello there world !", 0.5),  # 2 insertions / 4 tokens
    ]
    return [
        {
            "id": f"e{i}",
            "timestamp": "2026-10-20T13:00:00Z",
            "agent_name": agent,
            "intent_type": "x",
            "ai_output": ai,
            "final_output": fin,
        }
        for i, (agent, ai, fin, _) in enumerate(texts)
    ]


@pytest.fixture
def small(tmp_path: Path) -> Any:
    store = make_store(tmp_path / "s.duckdb", runs=_runs(), edits=_edits())
    yield store
    store.close()


def test_performance_by_agent_matches_hand_computation(small: Store) -> None:
    df = performance(small, range="all").set_index("agent")
    a, b = df.loc["a"], df.loc["b"]
    assert (a["runs"], a["successes"], a["success_rate"]) == (4, 3, 0.75)
    low, high = wilson_interval([3], [4])
    assert (a["success_low"], a["success_high"]) == pytest.approx((low[0], high[0]))
    assert a["latency_p50"] == pytest.approx(250.0)  # linear interpolation, as numpy/pandas do
    assert a["latency_p95"] == pytest.approx(np.quantile([100, 200, 300, 400], 0.95))
    assert (a["cost_usd"], a["cost_per_run"]) == pytest.approx((1.0, 0.25))
    # b: one success value missing -> rate over the one known run
    assert (b["runs"], b["success_rate"]) == (2, 0.0)
    # edits: a accepted 1 of 2, distances 0 and 0.25; b 0 of 1 with distance 0.5
    assert (a["edits"], a["acceptance_rate"], a["edit_distance_mean"]) == (2, 0.5, pytest.approx(0.125))
    assert (b["edits"], b["acceptance_rate"], b["edit_distance_mean"]) == (1, 0.0, pytest.approx(0.5))
    assert df.attrs["window"]["first_day"] == "2026-10-10"


def test_windows_groupings_and_as_of(small: Store) -> None:
    seven = performance(small, range="7d").set_index("agent")  # 2026-10-14..20: day 10 is out
    assert seven.loc["a", "runs"] == 2
    early = performance(small, range="7d", as_of="2026-10-12").set_index("agent")
    assert list(early.index) == ["a"] and early.loc["a", "edits"] == 0
    cats = performance(small, range="all", by="category").set_index("category")
    assert cats.loc["ecommerce", "runs"] == 4 and cats.loc["ecommerce", "edits"] == 2  # edits get the agent's category
    with pytest.raises(ValueError, match="unknown grouping"):
        performance(small, by="colour")  # type: ignore[arg-type]


def test_trends_have_every_period_and_changes(small: Store) -> None:
    daily = trends(small, range="all", freq="D")
    a = daily[daily["agent"] == "a"]
    assert len(a) == 11  # 2026-10-10 .. 2026-10-20, empty days included
    assert a["runs"].sum() == 4
    day20 = a[a["period"] == pd.Timestamp("2026-10-20", tz="UTC")].iloc[0]
    assert day20["success_rate"] == 0.5 and day20["edits"] == 2
    weekly = trends(small, range="all", freq="W")
    assert set(weekly["period"].dt.day_of_week) == {0}  # ISO weeks start on Monday
    assert weekly.groupby("agent")["runs"].sum().to_dict() == {"a": 4, "b": 2}


def test_week_over_week_and_best_worst(small: Store) -> None:
    wow = week_over_week(small).set_index(["agent", "metric"])
    # last 7 days (14..20): a 1/2 success; the 7 before (7..13): a 2/2
    assert wow.loc[("a", "success"), "this_week"] == 0.5
    assert wow.loc[("a", "success"), "last_week"] == 1.0
    assert wow.loc[("a", "success"), "change"] == pytest.approx(-0.5)
    types = best_worst_types(small, range="all", min_n=1)
    a = types[(types["agent"] == "a") & (types["kind"] == "task_type")].iloc[0]
    assert (a["best"], a["best_rate"], a["worst"], a["worst_rate"]) == ("t1", 1.0, "t2", 0.5)


def test_distributions_quantiles(small: Store) -> None:
    d = distributions(small, metric="latency_ms", range="all").set_index("agent")
    assert d.loc["a", "p25"] == pytest.approx(np.quantile([100, 200, 300, 400], 0.25))
    assert d.loc["b", "n"] == 2


def test_edit_measures_are_cached_beside_the_store_and_work_read_only(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    make_store(path, edits=_edits()).close()
    with Store(path, read_only=True) as store:
        first = edit_measures(store)
        assert cache_path(store).exists()
        assert sorted(first["edit_distance"]) == pytest.approx([0.0, 0.25, 0.5])
    with Store(path) as store:  # a new edit is measured on the next call, the others come from the cache
        store.insert(
            "edit",
            [
                {
                    "id": "e9",
                    "timestamp": "2026-10-21T00:00:00Z",
                    "agent_name": "a",
                    "ai_output": "x y",
                    "final_output": "x",
                }
            ],
        )
    with Store(path, read_only=True) as store:
        again = edit_measures(store)
        assert len(again) == 4
        assert again.set_index("id").loc["e9", "edit_distance"] == 0.5
    cached = pd.read_parquet(cache_path(store))
    assert set(cached["id"]) == {"e0", "e1", "e2", "e9"}


def test_empty_store_gives_empty_frames(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as store:
        assert performance(store).empty
        assert trends(store).empty
