"""The in-process quantile index: a window's medians and percentiles equal DuckDB's ``quantile_cont`` to the
last bit, and the index is dropped with the rollup when the data changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from agenthone.analytics import performance
from agenthone.analytics._quantile_index import QuantileIndex
from agenthone.analytics._rollup import QUANTILES, daily
from tests.analytics.conftest import make_store

WINDOWS = (
    "2026-10-01..2026-10-31",
    "2026-10-03..2026-10-17",
    "2026-10-09..2026-10-09",
    "2026-10-16..2026-10-30",
    "2026-09-20..2026-10-05",
)


def _runs(seed: int, first: int, count: int, days: range) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    runs = []
    for i in range(first, first + count):
        day = int(rng.choice(days))
        latency = None if rng.random() < 0.1 else float(np.round(rng.gamma(3.0, 400.0), 1))
        runs.append(
            {
                "id": f"r{i}",
                "timestamp": f"2026-10-{day:02d}T{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}:00Z",
                "agent_name": str(rng.choice(["alpha", "beta", "gamma"])),
                "model": None if rng.random() < 0.2 else str(rng.choice(["m1", "m2"])),
                "success": bool(rng.random() < 0.8),
                "score": None if rng.random() < 0.25 else float(np.round(rng.random(), 3)),
                "latency_ms": latency,
            }
        )
    return runs


def _quantiles(store: Any, window: str, by: str, *, index: bool) -> pd.DataFrame:
    rollup = daily(store, by)
    rollup.windows.clear()
    if index:
        rollup.window_requests = max(rollup.window_requests, 1)  # past the first window: the index is used
    else:
        kept, rollup.index = rollup.index, False  # the index unusable: DuckDB's quantile_cont
    try:
        df = performance(store, range=window, by=by)  # type: ignore[arg-type]
    finally:
        if not index:
            rollup.index = kept
        rollup.windows.clear()
    return df[[by, *QUANTILES]]


def _bit_equal(ours: pd.DataFrame, sql: pd.DataFrame) -> None:
    assert ours.iloc[:, 0].tolist() == sql.iloc[:, 0].tolist()
    for name in QUANTILES:
        a, b = ours[name].to_numpy(dtype="float64"), sql[name].to_numpy(dtype="float64")
        assert np.array_equal(a, b, equal_nan=True), (name, a, b)


@pytest.mark.parametrize("by", ["agent", "model"])
def test_index_quantiles_equal_quantile_cont(tmp_path: Path, by: str) -> None:
    store = make_store(tmp_path / "store.duckdb", runs=_runs(0, 0, 3000, range(1, 29)))
    try:
        for window in WINDOWS:
            sql = _quantiles(store, window, by, index=False)
            ours = _quantiles(store, window, by, index=True)
            assert isinstance(daily(store, by).index, QuantileIndex)
            _bit_equal(ours, sql)
            assert sql[list(QUANTILES)].notna().to_numpy().any()
    finally:
        store.close()


def test_index_is_built_on_the_second_window_and_dropped_after_new_data(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store.duckdb", runs=_runs(1, 0, 1500, range(1, 21)))
    try:
        performance(store, range="2026-10-01..2026-10-31")
        assert daily(store, "agent").index is None  # one window: DuckDB, no index (a cold summary stays cold)
        performance(store, range="2026-10-05..2026-10-12")
        index = daily(store, "agent").index
        assert isinstance(index, QuantileIndex) and index.nbytes > 0
        store.insert("run", _runs(2, 1500, 300, range(15, 26)))
        rollup = daily(store, "agent")
        assert rollup.index is None and not rollup.windows  # new data: the index and window quantiles dropped
        for window in ("2026-10-01..2026-10-31", "2026-10-14..2026-10-24"):
            _bit_equal(_quantiles(store, window, "agent", index=True), _quantiles(store, window, "agent", index=False))
        assert isinstance(daily(store, "agent").index, QuantileIndex)
    finally:
        store.close()
