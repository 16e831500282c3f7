"""Comparisons of two agents, prompt versions or models; regression alerts across all agents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._groups import check_by, edit_key, run_key
from agenthone.analytics._measures import edits_with_measures
from agenthone.analytics._stats import (
    bootstrap_mean_diff_ci,
    holm,
    mann_whitney,
    newcombe_diff_ci,
    two_proportion_test,
    wilson_interval,
)
from agenthone.analytics._window import DateLike, RangeLike, Window, resolve_window

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from agenthone.store import Store

__all__ = ["ALERT_METRICS", "COMPARE_METRICS", "alerts", "compare"]

COMPARE_METRICS = ("success_rate", "acceptance_rate", "edit_distance", "latency_ms")
ALERT_METRICS = ("acceptance", "success")


def compare(
    store: Store,
    a: str,
    b: str,
    *,
    by: Literal["agent", "prompt_version", "model", "category", "task_type", "intent_type"] = "agent",
    range: RangeLike = "30d",  # noqa: A002
    agent: str | None = None,
    metrics: Sequence[str] | None = None,
    as_of: DateLike | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Group ``b`` against group ``a`` (two agents, prompt versions or models) over one window.

    One row per metric with both values, ``difference`` (b minus a), its 95% CI and a p-value:

    - ``success_rate``, ``acceptance_rate``: two-proportion z-test; Newcombe score CI of the difference;
    - ``edit_distance``, ``latency_ms``: Mann-Whitney U test (no normality assumed); percentile bootstrap CI
      of the difference of means (``n_boot`` resamples, seeded).

    ``agent`` restricts both sides to one agent's records: two prompt versions or models *of that agent*.
    A group with no data for a metric gives NaN there rather than an error; an unknown group name is an error.
    """
    import numpy as np
    import pandas as pd

    by = check_by(by)  # type: ignore[assignment]
    chosen = tuple(metrics) if metrics is not None else COMPARE_METRICS
    for m in chosen:
        if m not in COMPARE_METRICS:
            raise ValueError(f"unknown metric {m!r}; expected one of {', '.join(COMPARE_METRICS)}")
    window = resolve_window(store, range, as_of=as_of)
    runs = run_key(window.filter(store.table("runs")), by)
    edits = edit_key(edits_with_measures(store, window=window), by, store)
    names = [str(a), str(b)]
    runs = runs.filter(runs.key.isin(names))
    edits = edits.filter(edits.key.isin(names))
    if agent is not None:
        runs = runs.filter(runs.agent_name == agent)
        edits = edits.filter(edits.agent_name == agent)
    _check_known(store, by, names)
    run_df = runs.select("key", "success", "latency_ms").to_pandas()
    edit_df = edits.select("key", "accepted", "edit_distance").to_pandas()

    def values(frame: pd.DataFrame, name: str, col: str) -> Any:
        s = frame.loc[frame["key"] == name, col].dropna()
        return s.to_numpy(dtype=float)

    rows: list[dict[str, Any]] = []
    for metric in chosen:
        frame, col = {
            "success_rate": (run_df, "success"),
            "acceptance_rate": (edit_df, "accepted"),
            "edit_distance": (edit_df, "edit_distance"),
            "latency_ms": (run_df, "latency_ms"),
        }[metric]
        xa, xb = values(frame, names[0], col), values(frame, names[1], col)
        row: dict[str, Any] = {"metric": metric, "n_a": len(xa), "n_b": len(xb)}
        if metric.endswith("_rate"):
            ka, kb = float(xa.sum()), float(xb.sum())
            row["a"] = ka / len(xa) if len(xa) else math.nan
            row["b"] = kb / len(xb) if len(xb) else math.nan
            row["ci_low"], row["ci_high"] = newcombe_diff_ci(ka, len(xa), kb, len(xb))
            _, row["p_value"] = two_proportion_test(kb, len(xb), ka, len(xa))
            row["test"] = "two-proportion z"
        else:
            row["a"] = float(xa.mean()) if len(xa) else math.nan
            row["b"] = float(xb.mean()) if len(xb) else math.nan
            row["ci_low"], row["ci_high"] = bootstrap_mean_diff_ci(xa, xb, n_boot=n_boot, seed=seed)
            _, row["p_value"] = mann_whitney(xa, xb)
            row["test"] = "Mann-Whitney U"
        row["difference"] = row["b"] - row["a"]
        rows.append(row)
    cols = ["metric", "a", "b", "difference", "ci_low", "ci_high", "p_value", "test", "n_a", "n_b"]
    df = pd.DataFrame(rows, columns=cols)
    df["significant"] = np.asarray(df["p_value"] < 0.05)
    df.attrs.update({"window": window.as_dict(), "by": by, "a": names[0], "b": names[1], "agent": agent})
    return df


def _check_known(store: Store, by: str, names: list[str]) -> None:
    """A name seen nowhere in the store is a typo, not a group without data: say so."""
    runs = run_key(store.table("runs"), by)
    edits = edit_key(store.table("edits"), by, store)
    seen = set(runs.filter(runs.key.isin(names)).key.to_pandas().unique())
    seen |= set(edits.filter(edits.key.isin(names)).key.to_pandas().unique())
    for name in names:
        if name not in seen:
            raise ValueError(f"no {by} named {name!r} in the store")


def _window_counts(table: ir.Table, flag: str, recent: Window, baseline: Window) -> ir.Table:
    """Successes and trials of ``flag`` per agent in the recent and the baseline window, in one pass."""
    import ibis

    t = table.filter(
        (table.timestamp >= baseline.start.to_pydatetime()) & (table.timestamp < recent.end.to_pydatetime())
    )
    is_recent = t.timestamp >= recent.start.to_pydatetime()
    is_base = t.timestamp < baseline.end.to_pydatetime()
    value = t[flag]
    one = value.notnull().cast("int64")
    hit = value.cast("int64").fill_null(0)
    return t.group_by("agent_name").aggregate(
        recent_k=ibis.ifelse(is_recent, hit, 0).sum(),
        recent_n=ibis.ifelse(is_recent, one, 0).sum(),
        baseline_k=ibis.ifelse(is_base, hit, 0).sum(),
        baseline_n=ibis.ifelse(is_base, one, 0).sum(),
    )


def alerts(
    store: Store,
    *,
    metrics: Sequence[str] = ALERT_METRICS,
    drop: float = 0.10,
    alpha: float = 0.05,
    floor: float | None = 0.70,
    min_n: int = 30,
    recent_days: int = 7,
    baseline_days: int = 28,
    as_of: DateLike | None = None,
    include_ok: bool = False,
) -> pd.DataFrame:
    """Agents whose acceptance or success rate regressed or sits under a floor.

    For each agent and metric, the rate over the last ``recent_days`` (ending on the ``as_of`` day) is set
    against the ``baseline_days`` before them. An agent is alerted when

    - **drop**: the rate fell by more than ``drop`` (absolute points, 0.10 = 10 points) *and* the fall is
      significant: one-sided two-proportion z-test, p-values Holm-adjusted across every agent and metric
      tested, adjusted p < ``alpha``. Without the correction, 20 healthy agents x 2 metrics at alpha = 0.05
      would raise a false alarm most days; Holm keeps the chance of *any* false alarm at alpha.
    - **floor**: at least ``min_n`` recent records, and even the upper end of the rate's 95% Wilson interval
      is under ``floor``: the rate is under the floor beyond sampling noise, not by a few unlucky days.

    Both sides need ``min_n`` records for the drop test. Returns one row per alert (every tested agent and
    metric with ``include_ok=True``): ``agent, metric, recent_rate, recent_n, baseline_rate, baseline_n,
    drop, p_value, p_adjusted, recent_high, below_floor, alert, reason``.
    """
    import numpy as np
    import pandas as pd

    for m in metrics:
        if m not in ALERT_METRICS:
            raise ValueError(f"unknown alert metric {m!r}; expected acceptance or success")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    recent = resolve_window(store, f"{recent_days}d", as_of=as_of)
    baseline = Window(recent.start - pd.Timedelta(days=baseline_days), recent.start, f"previous {baseline_days}d")
    frames = []
    for metric in metrics:
        table, flag = (store.table("edits"), "accepted") if metric == "acceptance" else (store.table("runs"), "success")
        counts = _window_counts(table, flag, recent, baseline).to_pandas()
        counts["metric"] = metric
        frames.append(counts)
    df = pd.concat(frames, ignore_index=True).rename(columns={"agent_name": "agent"})
    for col in ("recent_k", "recent_n", "baseline_k", "baseline_n"):
        df[col] = df[col].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        df["recent_rate"] = df["recent_k"] / df["recent_n"].where(df["recent_n"] > 0)
        df["baseline_rate"] = df["baseline_k"] / df["baseline_n"].where(df["baseline_n"] > 0)
    df["drop"] = df["baseline_rate"] - df["recent_rate"]
    testable = (df["recent_n"] >= min_n) & (df["baseline_n"] >= min_n)
    p_values = [
        two_proportion_test(r.recent_k, r.recent_n, r.baseline_k, r.baseline_n, alternative="smaller")[1]
        if ok
        else math.nan
        for r, ok in zip(df.itertuples(), testable, strict=True)
    ]
    df["p_value"] = p_values
    df["p_adjusted"] = holm(df["p_value"].to_numpy(dtype=float))
    _, df["recent_high"] = wilson_interval(df["recent_k"], df["recent_n"])
    dropped = testable & (df["drop"] > drop) & (df["p_adjusted"] < alpha)
    below = (
        (df["recent_n"] >= min_n) & (df["recent_high"] < floor)
        if floor is not None
        else pd.Series(False, index=df.index)
    )
    df["below_floor"] = below.astype(bool)
    df["alert"] = (dropped | below).astype(bool)
    reasons = []
    for r, d, f in zip(df.itertuples(), dropped, below, strict=True):
        parts = []
        if d:
            parts.append(
                f"{r.metric} fell {r.drop * 100:.1f} points to {r.recent_rate:.1%} "
                f"(previous {baseline_days} days {r.baseline_rate:.1%}; Holm p={r.p_adjusted:.2g})"
            )
        if f:
            parts.append(f"{r.metric} {r.recent_rate:.1%} is under the {floor:.0%} floor (n={r.recent_n})")
        reasons.append("; ".join(parts))
    df["reason"] = reasons
    cols = ["agent", "metric", "recent_rate", "recent_n", "baseline_rate", "baseline_n", "drop", "p_value"]
    cols += ["p_adjusted", "recent_high", "below_floor", "alert", "reason"]
    df = df[cols].sort_values(["alert", "p_adjusted", "agent"], ascending=[False, True, True], ignore_index=True)
    if not include_ok:
        df = df[df["alert"]].reset_index(drop=True)
    df.attrs.update(
        {
            "window": recent.as_dict(),
            "baseline": baseline.as_dict(),
            "thresholds": {"drop": drop, "alpha": alpha, "floor": floor, "min_n": min_n, "correction": "holm"},
        }
    )
    return df
