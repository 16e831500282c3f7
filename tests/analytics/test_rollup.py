"""The daily rollup behind summaries, daily trends and alerts: the same numbers as a scan of the records,
current after new data, kept beside the store between processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from agenthone.analytics import alerts, performance, trends
from agenthone.analytics._measures import cache_path
from agenthone.analytics._rollup import daily, rollup_path
from agenthone.analytics._stats import normal_cdf, two_proportion_p_values
from agenthone.store import Store
from tests.analytics.conftest import make_store


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within it, every analytic scans the records (the way they ran before the rollup)."""
    from agenthone.analytics import _compare, _performance

    with monkeypatch.context() as m:
        m.setattr(_performance, "day_aligned", lambda window: False)
        m.setattr(_compare, "day_aligned", lambda window: False)
        yield


def _same(ours: pd.DataFrame, scan: pd.DataFrame) -> None:
    assert list(ours.columns) == list(scan.columns)
    assert len(ours) == len(scan)
    for col in ours.columns:
        a, b = ours[col].to_numpy(), scan[col].to_numpy()
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b.astype(float), rtol=1e-12, atol=1e-15, err_msg=col)
        else:
            assert (a == b).all(), col


@pytest.mark.parametrize("by", ["agent", "category", "model"])
def test_rollup_gives_the_numbers_of_a_scan(sample_store: Any, by: str, request: pytest.FixtureRequest) -> None:
    rolled = {
        "summary": performance(sample_store, range="30d", by=by),  # type: ignore[arg-type]
        "trend": trends(sample_store, range="90d", by=by),  # type: ignore[arg-type]
        "some": trends(sample_store, range="14d", by=by, groups=["(none)", "nobody"]),  # type: ignore[arg-type]
    }
    if by == "agent":
        rolled["alerts"] = alerts(sample_store, include_ok=True)
    request.getfixturevalue("scanned")
    _same(rolled["summary"], performance(sample_store, range="30d", by=by))  # type: ignore[arg-type]
    _same(rolled["trend"], trends(sample_store, range="90d", by=by))  # type: ignore[arg-type]
    _same(rolled["some"], trends(sample_store, range="14d", by=by, groups=["(none)", "nobody"]))  # type: ignore[arg-type]
    assert len(rolled["summary"]) > 1 and rolled["trend"]["runs"].sum() > 0
    if by == "agent":
        scan = alerts(sample_store, include_ok=True)
        _same(rolled["alerts"].drop(columns="reason"), scan.drop(columns="reason"))
        assert rolled["alerts"]["reason"].tolist() == scan["reason"].tolist()
        assert rolled["alerts"]["alert"].any()


def _run(i: int, day: int, agent: str = "a", ok: bool = True) -> dict[str, Any]:
    return {
        "id": f"r{i}",
        "timestamp": f"2026-10-{day:02d}T12:00:00Z",
        "agent_name": agent,
        "success": ok,
        "latency_ms": 100.0 * (i + 1),
    }


def test_rollup_follows_new_data_and_is_read_back_by_a_fresh_process(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    store = make_store(path, runs=[_run(0, 10), _run(1, 11, ok=False)])
    try:
        first = performance(store, range="2026-10-01..2026-10-31")
        assert first["runs"].tolist() == [2] and first["latency_p50"].tolist() == [150.0]
        saved = rollup_path(store, "agent")
        assert saved.exists()
        store.insert("run", [_run(2, 12, agent="b"), _run(3, 12)])
        again = performance(store, range="2026-10-01..2026-10-31")
        assert again["agent"].tolist() == ["a", "b"]
        assert again["runs"].tolist() == [3, 1] and again["successes"].tolist() == [2, 1]
        assert again["latency_p50"].tolist() == [200.0, 300.0]
        day = trends(store, range="2026-10-10..2026-10-12")
        assert day.loc[day["agent"] == "a", "runs"].tolist() == [1, 1, 1]
    finally:
        store.close()
    # a new process (a new store object) with the data unchanged reads the saved rollup, not the runs
    with Store(path, read_only=True) as reopened:
        read_back = daily(reopened, "agent")
        expected = read_back.sums["runs"].copy()
        # with the quantiles of the windows summarised, for those windows
        (kept,) = [v for k, v in read_back.windows.items() if k[0] == "performance_quantiles"]
        assert kept["latency_p50"].tolist() == [200.0, 300.0]
        assert performance(reopened, range="2026-10-01..2026-10-31").equals(again)
        saved.write_bytes(b"not parquet")
        # a damaged or stale file is ignored: rebuilt from the records
        with Store(path, read_only=True) as fresh:
            assert (daily(fresh, "agent").sums["runs"] == expected).all()
            assert performance(fresh, range="2026-10-01..2026-10-31")["runs"].tolist() == [3, 1]


def test_rollup_of_an_empty_store(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as store:
        assert performance(store).empty
        assert trends(store, range="7d").empty
        assert alerts(store, include_ok=True).empty


def test_normal_cdf_matches_scipy() -> None:
    from scipy.stats import norm

    z = np.concatenate([np.linspace(-30, 30, 2001), [np.nan, np.inf, -np.inf]])
    np.testing.assert_allclose(normal_cdf(z), norm.cdf(z), rtol=1e-12, atol=0)
    assert normal_cdf(0.0) == 0.5
    p = two_proportion_p_values([10, 0], [100, 0], [20, 5], [100, 10], alternative="smaller")
    assert np.isnan(p[1]) and 0 < p[0] < 0.05


def _edit(i: int, day: int, agent: str = "a", final: str = "the answer") -> dict[str, Any]:
    return {
        "id": f"e{i}",
        "timestamp": f"2026-10-{day:02d}T08:00:00Z",
        "agent_name": agent,
        "intent_type": "reply",
        "ai_output": "the answer is here",
        "final_output": final,
        "accepted": final == "the answer is here",
    }


def _rebuilt(path: Path, by: str) -> Any:
    """The rollup of the store at ``path`` built from scratch (its saved file set aside)."""
    with Store(path, read_only=True) as store:
        saved = rollup_path(store, by)
    kept = saved.read_bytes() if saved.exists() else None
    saved.unlink(missing_ok=True)
    try:
        with Store(path, read_only=True) as store:
            return daily(store, by, quantiles=True)
    finally:
        if kept is not None:
            saved.write_bytes(kept)


def _same_rollup(a: Any, b: Any) -> None:
    assert a.names.tolist() == b.names.tolist()
    assert (a.group == b.group).all() and (a.day == b.day).all()
    assert a.fingerprint == b.fingerprint
    for name, values in a.sums.items():
        if values.dtype.kind == "i":
            assert (values == b.sums[name]).all(), name
        else:  # sums of floats: the same up to the order of addition
            np.testing.assert_allclose(values, b.sums[name], rtol=1e-12, err_msg=name)
    for name, values in a.quantiles.items():
        np.testing.assert_array_equal(values, b.quantiles[name], err_msg=name)


@pytest.mark.parametrize("by", ["agent", "model"])
def test_rollup_after_new_ingestions_is_extended_to_what_a_rebuild_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    from agenthone.analytics import _measures, _rollup

    path = tmp_path / "store.duckdb"
    runs = [{**_run(i, 1 + i % 20, agent="ab"[i % 2]), "model": ["m1", None][i % 3 == 0]} for i in range(40)]
    edits = [_edit(i, 1 + i % 20, final=["the answer", "the answer is here"][i % 2]) for i in range(10)]
    make_store(path, runs=runs, edits=edits).close()
    with Store(path, read_only=True) as store:
        daily(store, by, quantiles=True)  # built and saved, daily quantiles included
    # new data: runs on new days and on days already rolled up, a new group, new edits (another ingestion)
    more = [{**_run(100 + i, 18 + i % 6, agent="abc"[i % 3]), "model": "m2"} for i in range(12)]
    make_store(path, runs=more, edits=[_edit(100 + i, 19 + i % 4, agent="c") for i in range(5)]).close()

    _measures._memory.clear()  # as in a fresh process: the measures only in their file
    _measures._on_disk.clear()

    def rebuild(*args: Any) -> None:
        pytest.fail("rebuilt, not extended")

    monkeypatch.setattr(_rollup, "_build", rebuild)
    with Store(path, read_only=True) as store:
        extended = daily(store, by, quantiles=True)
        assert performance(store, range="2026-10-01..2026-10-31", by=by)["runs"].sum() == 52  # type: ignore[arg-type]
    monkeypatch.undo()
    # the new edits' measures were added to the cache file (as pandas writes it, read back by pandas)
    with Store(path, read_only=True) as store:
        cached = pd.read_parquet(cache_path(store))
    assert list(cached.columns) == ["id", "content_hash", "edit_distance", "tokens_ai", "tokens_final"]
    assert sorted(cached["id"]) == sorted([f"e{i}" for i in range(10)] + [f"e{100 + i}" for i in range(5)])
    assert str(cached["content_hash"].dtype) == "uint64" and cached["edit_distance"].notna().all()
    _same_rollup(extended, _rebuilt(path, by))
    with Store(path, read_only=True) as store:  # and saved: a fresh process reads it back
        _same_rollup(daily(store, by, quantiles=True), extended)
    # anything but appended rows (a run deleted) builds the rollup from scratch, the new edit measured
    with Store(path) as store:
        store.connection.execute("DELETE FROM runs WHERE id = 'r3'")
        store.insert("edit", [_edit(200, 5, final="an answer")])
    with Store(path, read_only=True) as store:
        after = daily(store, by, quantiles=True)
        assert after.sums["runs"].sum() == 51
        assert after.sums["edits"].sum() == after.sums["edit_distance_n"].sum() == 16
    _same_rollup(after, _rebuilt(path, by))
