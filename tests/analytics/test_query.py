"""Queries compiled once per store: periods cut at UTC midnight and Monday, and answers that follow new records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from agenthone.analytics import alerts, performance, trends
from agenthone.store import Store
from tests.analytics.conftest import make_store
from tests.conftest import run_record

# the last microsecond of Sunday 2026-10-11 and the first of Monday 2026-10-12 (UTC), an offset timestamp that
# is still Sunday in UTC, and the end of the next Sunday
STAMPS = (
    "2026-10-11T23:59:59.999999Z",
    "2026-10-12T00:00:00Z",
    "2026-10-12T01:30:00+02:00",
    "2026-10-18T23:59:59Z",
    "2026-10-19T00:00:00Z",
)


def _edit(i: int, timestamp: str, ai: str, final: str) -> dict[str, Any]:
    return {
        "id": f"e{i}",
        "timestamp": timestamp,
        "agent_name": "agent-0",
        "intent_type": "x",
        "ai_output": ai,
        "final_output": final,
    }


def test_periods_start_at_utc_midnight_and_on_monday(tmp_path: Path) -> None:
    runs = [run_record(i, timestamp=ts, agent_name="a") for i, ts in enumerate(STAMPS)]
    with make_store(tmp_path / "p.duckdb", runs=runs) as store:
        daily = trends(store, range="2026-10-11..2026-10-19", freq="D").set_index("period")["runs"]
        day = pd.Timestamp
        assert daily[day("2026-10-11", tz="UTC")] == 2  # 23:59:59.999999Z and 01:30+02:00 (= 23:30Z)
        assert daily[day("2026-10-12", tz="UTC")] == 1
        assert daily[day("2026-10-18", tz="UTC")] == 1 and daily[day("2026-10-19", tz="UTC")] == 1
        assert daily.sum() == len(STAMPS) and len(daily) == 9
        # the same stamps cut by pandas (the reference for "UTC day") agree, day by day
        expected = pd.Series(pd.to_datetime(list(STAMPS), utc=True, format="ISO8601")).dt.floor("D").value_counts()
        assert daily[daily > 0].sort_index().to_dict() == expected.sort_index().to_dict()
        weekly = trends(store, range="2026-10-11..2026-10-19", freq="W").set_index("period")["runs"]
        assert weekly.to_dict() == {
            day("2026-10-05", tz="UTC"): 2,  # Sunday the 11th belongs to the week of Monday the 5th
            day("2026-10-12", tz="UTC"): 2,
            day("2026-10-19", tz="UTC"): 1,
        }


def test_answers_follow_records_added_to_an_open_store(tmp_path: Path) -> None:
    """The compiled queries and the measured-edits table are reused, never stale: a notebook that logs more
    records and asks again sees them, in the same window."""
    runs = [run_record(i, timestamp=f"2026-10-{10 + i % 5:02d}T12:00:00Z", agent_name="agent-0") for i in range(10)]
    edits = [_edit(0, "2026-10-11T12:00:00Z", "a b c d", "a b c d")]
    window = "2026-10-10..2026-10-20"
    with make_store(tmp_path / "live.duckdb", runs=runs, edits=edits) as store:
        before = performance(store, range=window).set_index("agent").loc["agent-0"]
        assert (before["runs"], before["edits"], before["edit_distance_mean"]) == (10, 1, 0.0)
        assert trends(store, range=window)["edits"].sum() == 1
        store.insert("run", [run_record(99, timestamp="2026-10-12T08:00:00Z", agent_name="agent-0", success=False)])
        store.insert("edit", [_edit(1, "2026-10-12T09:00:00Z", "a b c d", "a b")])  # distance 2/4
        after = performance(store, range=window).set_index("agent").loc["agent-0"]
        assert (after["runs"], after["edits"]) == (11, 2)
        assert after["successes"] == before["successes"]
        assert after["edit_distance_mean"] == pytest.approx(0.25)
        daily = trends(store, range=window).set_index("period")
        assert daily.loc[pd.Timestamp("2026-10-12", tz="UTC"), "edits"] == 1
        assert daily["runs"].sum() == 11


def test_answers_survive_the_store_being_released_and_reopened(tmp_path: Path) -> None:
    """A report's kernel gets the file while the store is released; afterwards the same queries run again on the
    new connection (the prepared statements and the measured-edits table of the old one are gone)."""
    runs = [run_record(i, timestamp=f"2026-10-{10 + i % 5:02d}T12:00:00Z", agent_name="agent-0") for i in range(10)]
    edits = [_edit(0, "2026-10-11T12:00:00Z", "a b c d", "a b")]
    window = "2026-10-10..2026-10-20"
    with make_store(tmp_path / "released.duckdb", runs=runs, edits=edits) as store:
        before = performance(store, range=window)
        with store.released():
            pass
        after = performance(store, range=window)
    pd.testing.assert_frame_equal(before, after)


def test_alerts_follow_records_added_to_an_open_store(tmp_path: Path) -> None:
    # four successful runs a day for 20 days, then a week where every run fails: a drop, and under the floor
    base = [
        run_record(i, timestamp=f"2026-09-{5 + i % 20:02d}T10:00:00Z", agent_name="a", success=True) for i in range(80)
    ]
    with make_store(tmp_path / "alerts.duckdb", runs=base) as store:
        assert alerts(store, as_of="2026-10-05", metrics=["success"]).empty
        failing = [
            run_record(100 + i, timestamp=f"2026-10-0{1 + i % 5}T10:00:00Z", agent_name="a", success=False)
            for i in range(40)
        ]
        store.insert("run", failing)
        found = alerts(store, as_of="2026-10-05", metrics=["success"])
        assert list(found["agent"]) == ["a"] and bool(found.loc[0, "below_floor"])
        assert (found.loc[0, "recent_n"], found.loc[0, "recent_rate"], found.loc[0, "baseline_n"]) == (40, 0.0, 80)
        assert "fell 100.0 points" in found.loc[0, "reason"]


def test_a_read_only_store_gets_the_same_answers(tmp_path: Path) -> None:
    runs = [run_record(i) for i in range(30)]
    edits = [_edit(i, f"2026-10-{1 + i:02d}T12:00:00Z", "one two three", "one two") for i in range(5)]
    path = tmp_path / "ro.duckdb"
    with make_store(path, runs=runs, edits=edits) as store:
        writable = trends(store, range="all", freq="W")
    with Store(path, read_only=True) as store:
        pd.testing.assert_frame_equal(trends(store, range="all", freq="W"), writable)
