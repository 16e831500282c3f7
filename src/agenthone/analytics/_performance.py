"""Performance per group over a time window, daily/weekly trends, week-over-week change, best/worst types.

Everything is an Ibis expression over the store (so it runs where the store runs: DuckDB here, another Ibis
backend at scale); only the final, small per-group result comes back as a pandas DataFrame, with its window
in ``df.attrs["window"]``. A summary or a trend is one query (runs and edits aggregated and joined in the
store), compiled once per store and query shape (:mod:`agenthone.analytics._query`); the empty periods of a
trend are filled in numpy from the few thousand aggregated rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._errors import AnalyticsError
from agenthone.analytics._groups import NONE_LABEL, GroupBy, check_by, edit_key, run_key, run_key_sql
from agenthone.analytics._measures import ensure_measured, measured_edits_table
from agenthone.analytics._quantile_index import index_quantiles
from agenthone.analytics._query import MICROS_PER_DAY, fetch, period_index
from agenthone.analytics._rollup import QUANTILES, daily, day_aligned, day_number, remember, window_sql
from agenthone.analytics._stats import two_proportion_test, wilson_interval
from agenthone.analytics._window import DateLike, RangeLike, Window, resolve_window

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

    from agenthone.store import Store

__all__ = [
    "EDIT_COLUMNS",
    "RUN_COLUMNS",
    "best_worst_types",
    "distributions",
    "performance",
    "trends",
    "week_over_week",
]

RUN_COLUMNS = (
    "runs",
    "successes",
    "success_rate",
    "success_low",
    "success_high",
    "score_mean",
    "score_median",
    "latency_p50",
    "latency_p95",
    "tokens_in_mean",
    "tokens_out_mean",
    "cost_usd",
    "cost_per_run",
    "feedback_mean",
)
EDIT_COLUMNS = ("edits", "accepted", "acceptance_rate", "acceptance_low", "acceptance_high", "edit_distance_mean")


_COUNT_COLUMNS = ("runs", "successes", "success_n", "edits", "accepted", "accepted_n")
_FLOAT_COLUMNS = (
    "score_mean",
    "score_median",
    "tokens_in_mean",
    "tokens_out_mean",
    "cost_usd",
    "feedback_mean",
    "edit_distance_mean",
)


def _aggregates(runs: ir.Table, edits: ir.Table, keys: list[str]) -> ir.Table:
    """Run and edit aggregates per ``keys``, outer-joined, ordered by the keys: one query.

    The latency quantiles share one sort per group (``quantile([0.5, 0.95])``, a list). Counts are cast
    back to int64 (DuckDB sums integers into HUGEINT).
    """
    import ibis

    r = runs.group_by(keys).aggregate(
        runs=runs.count(),
        successes=runs.success.cast("int64").sum().cast("int64"),
        success_n=runs.success.count(),
        score_mean=runs.score.mean(),
        score_median=runs.score.quantile(0.5),
        latency=runs.latency_ms.quantile([0.5, 0.95]),
        tokens_in_mean=runs.tokens_in.mean(),
        tokens_out_mean=runs.tokens_out.mean(),
        cost_usd=runs.cost_usd.sum(),
        feedback_mean=runs.user_feedback.mean(),
    )
    e = edits.group_by(keys).aggregate(
        edits=edits.count(),
        accepted=edits.accepted.cast("int64").sum().cast("int64"),
        accepted_n=edits.accepted.count(),
        edit_distance_mean=edits.edit_distance.mean(),
    )
    joined = r.outer_join(e, [r[k] == e[k] for k in keys])
    columns: dict[str, ir.Value] = {k: ibis.coalesce(r[k], e[k]) for k in keys}
    columns.update({c: r[c] for c in r.columns if c not in keys})
    columns.update({c: e[c] for c in e.columns if c not in keys})
    return joined.select(**columns).order_by(keys)


def _spread(values: Any, fill: float, rows: Any, size: int) -> Any:
    """``values`` of the selected ``rows`` placed on ``size`` rows, the others ``fill`` (as they are without rows)."""
    import numpy as np

    if rows is None:
        return values
    out = np.full(size, fill, dtype=values.dtype)
    out[rows] = values
    return out


def _columns(table: pa.Table, rows: Any = None, size: int = 0) -> dict[str, Any]:
    """The aggregate columns of ``table`` as numpy arrays, with rates and Wilson intervals.

    With ``rows`` (positions) and ``size``, every column is first spread onto ``size`` rows: zero counts and
    NaN measures where a row has no aggregate (the empty periods of a trend).
    """
    import numpy as np
    import pyarrow.compute as pc

    def spread(values: Any, fill: float) -> Any:
        return _spread(values, fill, rows, size)

    cols: dict[str, Any] = {}
    for name in _COUNT_COLUMNS:
        cols[name] = spread(pc.fill_null(table[name], 0).to_numpy().astype("int64"), 0)
    for name in _FLOAT_COLUMNS:
        cols[name] = spread(table[name].to_numpy(zero_copy_only=False).astype("float64"), np.nan)
    for i, name in enumerate(("latency_p50", "latency_p95")):
        values = pc.list_element(table["latency"], i)
        cols[name] = spread(values.to_numpy(zero_copy_only=False).astype("float64"), np.nan)
    return _rates(cols)


# the means of the summary and trend columns, from the rollup's sums and counts
_MEANS = {
    "score_mean": ("score_sum", "score_n"),
    "tokens_in_mean": ("tokens_in_sum", "tokens_in_n"),
    "tokens_out_mean": ("tokens_out_sum", "tokens_out_n"),
    "cost_usd": ("cost_sum", "cost_n"),  # a total: NaN only when no run has a cost (SQL's SUM)
    "feedback_mean": ("feedback_sum", "feedback_n"),
    "edit_distance_mean": ("edit_distance_sum", "edit_distance_n"),
}


def _rolled_columns(sums: dict[str, Any], quantiles: dict[str, Any], rows: Any = None, size: int = 0) -> dict[str, Any]:
    """The columns of :func:`_columns` from rollup sums (per output row) and the quantiles of each row.

    With ``rows`` and ``size``, spread onto ``size`` rows as :func:`_columns` does.
    """
    import numpy as np

    def spread(values: Any, fill: float) -> Any:
        return _spread(values, fill, rows, size)

    cols: dict[str, Any] = {}
    for name in ("runs", "successes", "success_n", "edits", "accepted", "accepted_n"):
        cols[name] = spread(sums[name], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, (total, n) in _MEANS.items():
            count = sums[n]
            value = sums[total] if name == "cost_usd" else sums[total] / np.where(count > 0, count, 1)
            cols[name] = spread(np.where(count > 0, value, np.nan).astype("float64"), np.nan)
    for name in QUANTILES:
        cols[name] = spread(np.asarray(quantiles[name], dtype="float64"), np.nan)
    return _rates(cols)


def _rates(cols: dict[str, Any]) -> dict[str, Any]:
    """Rates, cost per run and Wilson intervals, added to the count and measure columns."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        n, m = cols["success_n"], cols["accepted_n"]
        cols["success_rate"] = np.where(n > 0, cols["successes"] / np.where(n > 0, n, 1), np.nan)
        cols["acceptance_rate"] = np.where(m > 0, cols["accepted"] / np.where(m > 0, m, 1), np.nan)
        runs = cols["runs"]
        cols["cost_per_run"] = np.where(runs > 0, cols["cost_usd"] / np.where(runs > 0, runs, 1), np.nan)
    cols["success_low"], cols["success_high"] = wilson_interval(cols["successes"], n)
    cols["acceptance_low"], cols["acceptance_high"] = wilson_interval(cols["accepted"], m)
    return cols


def _strings(values: Any) -> pd.Series:
    import pandas as pd

    return pd.Series(values, dtype="str")


def performance(
    store: Store,
    *,
    range: RangeLike = "30d",  # noqa: A002 - the user's word for it
    by: GroupBy = "agent",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """One row per group (agent by default) over the window: runs and edits side by side.

    Runs: count, success rate (Wilson 95% CI), mean/median score, latency p50/p95 (ms), mean tokens in/out,
    total cost and cost per run, mean user feedback. Edits: count, acceptance rate (Wilson 95% CI), mean
    normalised edit distance between ``ai_output`` and ``final_output`` (see :mod:`agenthone.text`).
    The first column is named after ``by``; ``df.attrs["window"]`` says which days it covers.
    """
    window = resolve_window(store, range, as_of=as_of)
    df = _performance(store, window, check_by(by))
    df.attrs["window"] = window.as_dict()
    df.attrs["by"] = by
    return df


def _performance(store: Store, window: Window, by: str) -> pd.DataFrame:
    import pandas as pd

    if day_aligned(window):
        return _rolled_performance(store, window, by)
    ensure_measured(store, window=window)

    def build() -> ir.Table:
        runs = run_key(window.filter(store.table("runs")), by)
        edits = edit_key(window.filter(measured_edits_table(store)), by, store)
        return _aggregates(runs, edits, ["key"])

    table = fetch(store, ("performance", by, window.start, window.end), build)
    cols = _columns(table)
    df = pd.DataFrame({by: _strings(table["key"].to_pylist()), **cols})
    return df[[by, *RUN_COLUMNS, *EDIT_COLUMNS]]


def trends(
    store: Store,
    *,
    range: RangeLike = "90d",  # noqa: A002
    by: GroupBy = "agent",
    freq: Literal["D", "W"] = "D",
    groups: Sequence[str] | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Daily (``freq="D"``) or weekly (``"W"``, ISO weeks from Monday) series per group.

    One row per group and period, every period of the window present (zero counts, NaN rates where a
    group had nothing): ``period``, the group column, the run and edit columns of :func:`performance`,
    and ``success_change`` / ``acceptance_change``: the change of each rate from the group's previous period
    (for ``freq="W"``, the week-over-week change in rate points).
    """
    import numpy as np
    import pandas as pd

    if freq not in ("D", "W"):
        raise AnalyticsError(f"freq must be 'D' (daily) or 'W' (weekly), not {freq!r}")
    by = check_by(by)  # type: ignore[assignment]
    window = resolve_window(store, range, as_of=as_of)
    # periods: UTC days from the window's start, or ISO weeks from the Monday on or before it
    origin = window.start if freq == "D" else window.start - pd.Timedelta(days=window.start.weekday())
    step_us = MICROS_PER_DAY * (1 if freq == "D" else 7)
    last_us = (window.end.value - origin.value) // 1000 - 1
    n_periods = int(last_us // step_us) + 1
    wanted = None if groups is None else tuple(str(g) for g in groups)
    if freq == "D" and day_aligned(window):
        df = _rolled_trends(store, window, by, wanted, n_periods)
        df.attrs["window"] = window.as_dict()
        df.attrs["by"] = by
        df.attrs["freq"] = freq
        return df
    ensure_measured(store, window=window)

    def build() -> ir.Table:
        runs = run_key(window.filter(store.table("runs")), by)
        edits = edit_key(window.filter(measured_edits_table(store)), by, store)
        if wanted is not None:
            runs = runs.filter(runs.key.isin(list(wanted)))
            edits = edits.filter(edits.key.isin(list(wanted)))
        runs = runs.mutate(p=period_index(runs.timestamp, origin, step_us))
        edits = edits.mutate(p=period_index(edits.timestamp, origin, step_us))
        return _aggregates(runs, edits, ["key", "p"])

    table = fetch(store, ("trends", by, freq, wanted, window.start, window.end), build)
    # every period of the window for every group seen (the rows come ordered by group and period)
    keys = np.asarray(table["key"].to_pylist(), dtype=object)
    first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)
    names = list(keys[first]) if len(keys) else sorted(wanted or ())
    rows = (np.cumsum(first) - 1) * n_periods + table["p"].to_numpy()
    cols = _columns(table, rows, len(names) * n_periods)
    df = _trend_frame(cols, names, by, origin=origin, step_us=step_us, n_periods=n_periods)
    df.attrs["window"] = window.as_dict()
    df.attrs["by"] = by
    df.attrs["freq"] = freq
    return df


def _trend_frame(
    cols: dict[str, Any], names: list[str], by: str, *, origin: pd.Timestamp, step_us: int, n_periods: int
) -> pd.DataFrame:
    """The trend's frame: ``n_periods`` rows per group (in ``names`` order), the changes of each rate."""
    import numpy as np
    import pandas as pd

    changes = {}
    for rate, change in (("success_rate", "success_change"), ("acceptance_rate", "acceptance_change")):
        series = cols[rate].reshape(len(names), n_periods)
        diff = np.full_like(series, np.nan)
        diff[:, 1:] = series[:, 1:] - series[:, :-1]
        changes[change] = diff.reshape(-1)
    periods = pd.date_range(origin, periods=n_periods, freq=f"{step_us // MICROS_PER_DAY}D", unit="us")
    df = pd.DataFrame(
        {
            "period": pd.DatetimeIndex(np.tile(periods.tz_localize(None).to_numpy(), len(names))).tz_localize("UTC"),
            by: _strings(np.repeat(np.asarray(names, dtype=object), n_periods)),
            **cols,
            **changes,
        }
    )
    return df[["period", by, *RUN_COLUMNS, *EDIT_COLUMNS, "success_change", "acceptance_change"]]


def _rolled_performance(store: Store, window: Window, by: str) -> pd.DataFrame:
    """:func:`performance` of a day-aligned window: sums from the daily rollup, quantiles from one scan."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    rollup = daily(store, by)
    present, sums = rollup.totals(rollup.in_window(window))
    names = rollup.names[present]

    def build() -> str:  # SQL, not Ibis: the first summary after new data needs no Ibis (see window_sql)
        return (
            f"SELECT {run_key_sql(by)} AS key, QUANTILE_CONT(score, 0.5) AS score_median,"
            f" QUANTILE_CONT(latency_ms, [0.5, 0.95]) AS latency FROM runs WHERE {window_sql(window)} GROUP BY 1"
        )

    # the window's quantiles: computed once per state of the data (they live and die with the rollup)
    memo = ("performance_quantiles", int(window.start.value), int(window.end.value))
    quantiles = rollup.windows.get(memo)
    if quantiles is None:
        quantiles = index_quantiles(store, by, rollup, window, names)
        if quantiles is not None:
            remember(store, by, rollup, memo, quantiles)
    if quantiles is None:
        table = fetch(store, ("performance_quantiles", by, window.start, window.end), build)
        # groups with runs in the window, in the order of ``names`` (a group with edits only has none)
        rows = np.searchsorted(names, np.asarray(table["key"].to_pylist(), dtype=object))
        quantiles = {name: np.full(len(names), np.nan) for name in QUANTILES}
        quantiles["score_median"][rows] = table["score_median"].to_numpy(zero_copy_only=False).astype("float64")
        for i, name in enumerate(("latency_p50", "latency_p95")):
            values = pc.list_element(table["latency"], i).to_numpy(zero_copy_only=False)
            quantiles[name][rows] = values.astype("float64")
        remember(store, by, rollup, memo, quantiles)
    cols = _rolled_columns(sums, quantiles)
    df = pd.DataFrame({by: _strings(list(names)), **cols})
    return df[[by, *RUN_COLUMNS, *EDIT_COLUMNS]]


def _rolled_trends(
    store: Store, window: Window, by: str, wanted: tuple[str, ...] | None, n_periods: int
) -> pd.DataFrame:
    """:func:`trends` by day over a day-aligned window: the rollup's rows, every day of every group."""
    import numpy as np

    rollup = daily(store, by, quantiles=True)
    assert rollup.quantiles is not None
    selected = rollup.in_window(window)
    if wanted is not None:
        selected &= np.isin(rollup.names, np.asarray(wanted, dtype=object))[rollup.group]
    group = rollup.group[selected]
    seen = np.unique(group)
    names = list(rollup.names[seen]) if len(seen) else sorted(wanted or ())
    rows = np.searchsorted(seen, group) * n_periods + (rollup.day[selected] - day_number(window.start))
    sums = {name: values[selected] for name, values in rollup.sums.items()}
    quantiles = {name: values[selected] for name, values in rollup.quantiles.items()}
    cols = _rolled_columns(sums, quantiles, rows, len(names) * n_periods)
    return _trend_frame(cols, names, by, origin=window.start, step_us=MICROS_PER_DAY, n_periods=n_periods)


def week_over_week(
    store: Store,
    *,
    by: GroupBy = "agent",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Last 7 days against the 7 before, per group: rates, change in points and a two-sided p-value.

    Columns: the group, ``metric`` (success/acceptance), ``this_week`` / ``last_week`` rates and counts,
    ``change`` (this minus last) and ``p_value`` (two-proportion z-test; not corrected for the many groups:
    use :func:`alerts` for a decision).
    """
    import pandas as pd

    by = check_by(by)  # type: ignore[assignment]
    this = resolve_window(store, "7d", as_of=as_of)
    last = this.shift(7)
    cur, prev = _performance(store, this, by), _performance(store, last, by)
    merged = cur.merge(prev, on=by, how="outer", suffixes=("", "_prev"))
    rows: list[dict[str, Any]] = []
    for _, r in merged.iterrows():
        for metric, k, n in (("success", "successes", "runs"), ("acceptance", "accepted", "edits")):
            rate = f"{metric}_rate"
            k1, n1 = _num(r.get(k)), _num(r.get(n))
            k0, n0 = _num(r.get(f"{k}_prev")), _num(r.get(f"{n}_prev"))
            _, p = two_proportion_test(k1, n1, k0, n0)
            rows.append(
                {
                    by: r[by],
                    "metric": metric,
                    "this_week": r.get(rate),
                    "this_week_n": int(n1),
                    "last_week": r.get(f"{rate}_prev"),
                    "last_week_n": int(n0),
                    "change": _num(r.get(rate), nan=True) - _num(r.get(f"{rate}_prev"), nan=True),
                    "p_value": p,
                }
            )
    df = pd.DataFrame(
        rows, columns=[by, "metric", "this_week", "this_week_n", "last_week", "last_week_n", "change", "p_value"]
    )
    df.attrs["window"] = this.as_dict()
    df.attrs["previous_window"] = last.as_dict()
    return df


def _num(value: Any, *, nan: bool = False) -> float:
    import math

    try:
        f = float(value)
    except (TypeError, ValueError):
        return math.nan if nan else 0.0
    if math.isnan(f) and not nan:
        return 0.0
    return f


def best_worst_types(
    store: Store,
    *,
    range: RangeLike = "30d",  # noqa: A002
    agents: Sequence[str] | None = None,
    min_n: int = 20,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Per agent, its best and worst task types (runs: success rate) and intent types (edits: acceptance).

    Types with fewer than ``min_n`` records in the window are left out, so a type seen twice cannot top the
    list by luck. Columns: ``agent, kind, metric, best, best_rate, best_n, worst, worst_rate, worst_n``.
    """
    import pandas as pd

    window = resolve_window(store, range, as_of=as_of)
    runs = window.filter(store.table("runs"))
    edits = window.filter(store.table("edits"))
    if agents is not None:
        runs = runs.filter(runs.agent_name.isin(list(agents)))
        edits = edits.filter(edits.agent_name.isin(list(agents)))
    rt = runs.mutate(type=runs.task_type.fill_null(NONE_LABEL))
    et = edits.mutate(type=edits.intent_type.fill_null(NONE_LABEL))
    r = (
        rt.group_by(["agent_name", "type"])
        .aggregate(n=rt.success.count(), k=rt.success.cast("int64").sum())
        .to_pandas()
    )
    e = (
        et.group_by(["agent_name", "type"])
        .aggregate(n=et.accepted.count(), k=et.accepted.cast("int64").sum())
        .to_pandas()
    )
    rows = []
    for kind, metric, frame in (("task_type", "success_rate", r), ("intent_type", "acceptance_rate", e)):
        frame = frame[frame["n"] >= min_n].copy()
        frame["rate"] = frame["k"] / frame["n"]
        for agent, g in frame.groupby("agent_name", sort=True):
            g = g.sort_values(["rate", "n"], ascending=[False, False])
            best, worst = g.iloc[0], g.iloc[-1]
            rows.append(
                {
                    "agent": agent,
                    "kind": kind,
                    "metric": metric,
                    "types": len(g),
                    "best": best["type"],
                    "best_rate": float(best["rate"]),
                    "best_n": int(best["n"]),
                    "worst": worst["type"],
                    "worst_rate": float(worst["rate"]),
                    "worst_n": int(worst["n"]),
                }
            )
    cols = ["agent", "kind", "metric", "types", "best", "best_rate", "best_n", "worst", "worst_rate", "worst_n"]
    df = pd.DataFrame(rows, columns=cols)
    df.attrs["window"] = window.as_dict()
    return df


def distributions(
    store: Store,
    *,
    metric: Literal["latency_ms", "cost_usd", "tokens_in", "tokens_out", "score"] = "latency_ms",
    range: RangeLike = "30d",  # noqa: A002
    by: GroupBy = "agent",
    groups: Sequence[str] | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Quantiles (p5, p25, p50, p75, p95), mean and count of a run measure per group, computed in the store.

    Enough to draw box plots of millions of runs without moving them (see :func:`plot_distribution`).
    """
    if metric not in ("latency_ms", "cost_usd", "tokens_in", "tokens_out", "score"):
        raise AnalyticsError(f"unknown run measure {metric!r}")
    window = resolve_window(store, range, as_of=as_of)
    runs = run_key(window.filter(store.table("runs")), check_by(by))
    if groups is not None:
        runs = runs.filter(runs.key.isin([str(g) for g in groups]))
    col = runs[metric]
    expr = (
        runs.filter(col.notnull())
        .group_by("key")
        .aggregate(
            n=col.count(),
            mean=col.mean(),
            p5=col.quantile(0.05),
            p25=col.quantile(0.25),
            p50=col.quantile(0.5),
            p75=col.quantile(0.75),
            p95=col.quantile(0.95),
        )
    )
    df = expr.to_pandas().rename(columns={"key": by}).sort_values(by, ignore_index=True)
    df.attrs["window"] = window.as_dict()
    df.attrs["metric"] = metric
    return df
