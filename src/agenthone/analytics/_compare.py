"""Comparisons of two agents, prompt versions or models; regression alerts across all agents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._errors import AnalyticsError
from agenthone.analytics._groups import check_by, edit_key, run_key
from agenthone.analytics._measures import edits_with_measures
from agenthone.analytics._query import fetch
from agenthone.analytics._rollup import daily, day_aligned
from agenthone.analytics._stats import (
    bootstrap_mean_diff_ci,
    holm,
    mann_whitney,
    newcombe_diff_ci,
    two_proportion_p_values,
    two_proportion_test,
    wilson_interval,
)
from agenthone.analytics._window import DateLike, RangeLike, Window, resolve_window

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

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
            raise AnalyticsError(f"unknown metric {m!r}; expected one of {', '.join(COMPARE_METRICS)}")
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
            raise AnalyticsError(f"no {by} named {name!r} in the store")


def _window_counts(table: ir.Table, flag: str, recent: Window, baseline: Window) -> ir.Table:
    """Successes and trials of ``flag`` per agent in the recent and the baseline window, in one pass.

    Filtered counts (``COUNT(flag) FILTER (WHERE ...)``): a third cheaper than summing CASE expressions.
    """
    t = table.filter(
        (table.timestamp >= baseline.start.to_pydatetime()) & (table.timestamp < recent.end.to_pydatetime())
    )
    is_recent = t.timestamp >= recent.start.to_pydatetime()
    is_base = t.timestamp < baseline.end.to_pydatetime()
    value = t[flag]
    return t.group_by("agent_name").aggregate(
        recent_k=value.count(where=is_recent & value),
        recent_n=value.count(where=is_recent),
        baseline_k=value.count(where=is_base & value),
        baseline_n=value.count(where=is_base),
    )


def _alert_counts(store: Store, metrics: Sequence[str], recent: Window, baseline: Window) -> pa.Table:
    """The counts of :func:`_window_counts` for every metric (in the order asked).

    Day-aligned windows (always, from :func:`alerts`) add up the daily rollup; others run one query.
    """
    if day_aligned(recent) and day_aligned(baseline):
        return _rolled_alert_counts(store, metrics, recent, baseline)
    return _queried_alert_counts(store, metrics, recent, baseline)


def _rolled_alert_counts(store: Store, metrics: Sequence[str], recent: Window, baseline: Window) -> pa.Table:
    """:func:`_alert_counts` from the per-agent daily rollup: agents with a record in either window, by name."""
    import numpy as np
    import pyarrow as pa

    rollup = daily(store, "agent")
    parts: dict[str, list[Any]] = {c: [] for c in ("agent_name", *_COUNTS, "metric")}
    for metric in metrics:
        present_col, k_col, n_col = ("edits", "accepted", "accepted_n") if metric == "acceptance" else (
            "runs", "successes", "success_n"
        )  # fmt: skip
        totals = {}
        for side, window in (("recent", recent), ("baseline", baseline)):
            present, sums = rollup.totals(rollup.in_window(window))
            for name, col in ((f"{side}_present", present_col), (f"{side}_k", k_col), (f"{side}_n", n_col)):
                full = np.zeros(len(rollup.names), dtype="int64")
                full[present] = sums[col]
                totals[name] = full
        agents = np.flatnonzero((totals["recent_present"] > 0) | (totals["baseline_present"] > 0))
        parts["agent_name"].extend(rollup.names[agents])
        for col in _COUNTS:
            parts[col].append(totals[col][agents])
        parts["metric"].extend([metric] * len(agents))
    columns = {
        "agent_name": pa.array(parts["agent_name"], pa.string()),
        **{c: pa.array(np.concatenate(parts[c]) if parts[c] else [], pa.int64()) for c in _COUNTS},
        "metric": pa.array(parts["metric"], pa.string()),
    }
    return pa.table(columns)


_COUNTS = ("recent_k", "recent_n", "baseline_k", "baseline_n")


def _queried_alert_counts(store: Store, metrics: Sequence[str], recent: Window, baseline: Window) -> pa.Table:
    """:func:`_alert_counts` in one query over the records."""
    import ibis

    def build() -> ir.Table:
        parts = []
        for order, metric in enumerate(metrics):
            table, flag = (
                (store.table("edits"), "accepted") if metric == "acceptance" else (store.table("runs"), "success")
            )
            counts = _window_counts(table, flag, recent, baseline)
            parts.append(counts.mutate(metric=ibis.literal(metric), metric_order=ibis.literal(order)))
        both = ibis.union(*parts, distinct=False)
        return both.order_by(["metric_order", "agent_name"]).drop("metric_order")

    key = ("alert_counts", tuple(metrics), recent.start, recent.end, baseline.start, baseline.end)
    return fetch(store, key, build)


def alerts(
    store: Store,
    *,
    metrics: Sequence[str] = ALERT_METRICS,
    drop: float = 0.10,
    alpha: float = 0.05,
    floor: float | None = 0.70,
    min_n: int = 30,
    floor_min_n: int = 10,
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
    - **floor**: at least ``floor_min_n`` recent records, and even the upper end of the rate's 95% Wilson
      interval is under ``floor``: the rate is under the floor beyond sampling noise, not by a few unlucky
      days. The interval already accounts for small samples (with 10 records it only clears a floor of 0.70
      when at most 3 succeed), so this rule needs fewer records than the drop test.

    Both sides need ``min_n`` records for the drop test. Returns one row per alert (every tested agent and
    metric with ``include_ok=True``): ``agent, metric, recent_rate, recent_n, baseline_rate, baseline_n,
    drop, p_value, p_adjusted, recent_high, below_floor, alert, reason``.
    """
    import numpy as np
    import pandas as pd

    for m in metrics:
        if m not in ALERT_METRICS:
            raise AnalyticsError(f"unknown alert metric {m!r}; expected acceptance or success")
    if not 0 < alpha < 1:
        raise AnalyticsError("alpha must be between 0 and 1")
    recent = resolve_window(store, f"{recent_days}d", as_of=as_of)
    baseline = Window(recent.start - pd.Timedelta(days=baseline_days), recent.start, f"previous {baseline_days}d")
    counts = _alert_counts(store, list(metrics), recent, baseline)
    k1, n1, k0, n0 = (
        counts[c].to_numpy().astype("int64") for c in ("recent_k", "recent_n", "baseline_k", "baseline_n")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        recent_rate = k1 / np.where(n1 > 0, n1, np.nan)
        baseline_rate = k0 / np.where(n0 > 0, n0, np.nan)
    fell = baseline_rate - recent_rate
    testable = (n1 >= min_n) & (n0 >= min_n)
    p_value = np.where(testable, two_proportion_p_values(k1, n1, k0, n0, alternative="smaller"), np.nan)
    p_adjusted = holm(p_value)
    _, recent_high = wilson_interval(k1, n1)
    with np.errstate(invalid="ignore"):
        dropped = testable & (fell > drop) & (p_adjusted < alpha)
        below = (n1 >= floor_min_n) & (recent_high < floor) if floor is not None else np.zeros(len(n1), dtype=bool)
    alert = dropped | below
    # alerts first, then by adjusted p (untested last), then by agent; ties keep the metrics' order
    agent_names = np.asarray(counts["agent_name"].to_pylist(), dtype=object)
    agent_rank = np.unique(agent_names, return_inverse=True)[1] if len(agent_names) else agent_names
    order = np.lexsort((agent_rank, p_adjusted, ~alert))
    if not include_ok:
        order = order[alert[order]]
    metric = np.asarray(counts["metric"].to_pylist(), dtype=object)
    reasons = []
    for i in order:
        parts = []
        if dropped[i]:
            parts.append(
                f"{metric[i]} fell {fell[i] * 100:.1f} points to {recent_rate[i]:.1%} "
                f"(previous {baseline_days} days {baseline_rate[i]:.1%}; Holm p={p_adjusted[i]:.2g})"
            )
        if below[i]:
            parts.append(f"{metric[i]} {recent_rate[i]:.1%} is under the {floor:.0%} floor (n={n1[i]})")
        reasons.append("; ".join(parts))
    df = pd.DataFrame(
        {
            "agent": pd.Series(agent_names[order], dtype="str"),
            "metric": pd.Series(metric[order], dtype="str"),
            "recent_rate": recent_rate[order],
            "recent_n": n1[order],
            "baseline_rate": baseline_rate[order],
            "baseline_n": n0[order],
            "drop": fell[order],
            "p_value": p_value[order],
            "p_adjusted": p_adjusted[order],
            "recent_high": recent_high[order],
            "below_floor": below[order],
            "alert": alert[order],
            "reason": pd.Series(reasons, dtype="str"),
        }
    )
    df.attrs.update(
        {
            "window": recent.as_dict(),
            "baseline": baseline.as_dict(),
            "thresholds": {
                "drop": drop,
                "alpha": alpha,
                "floor": floor,
                "min_n": min_n,
                "floor_min_n": floor_min_n,
                "correction": "holm",
            },
        }
    )
    return df
