"""Performance per group over a time window, daily/weekly trends, week-over-week change, best/worst types.

Everything is an Ibis expression over the store (so it runs where the store runs: DuckDB here, another Ibis
backend at scale); only the final, small per-group result comes back as a pandas DataFrame, with its window
in ``df.attrs["window"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._groups import NONE_LABEL, GroupBy, check_by, edit_key, run_key
from agenthone.analytics._measures import edits_with_measures
from agenthone.analytics._stats import two_proportion_test, wilson_interval
from agenthone.analytics._window import DateLike, RangeLike, Window, resolve_window

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

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


def _run_aggregates(runs: ir.Table, keys: Sequence[str]) -> ir.Table:
    return runs.group_by(list(keys)).aggregate(
        runs=runs.count(),
        successes=runs.success.cast("int64").sum(),
        success_n=runs.success.count(),
        score_mean=runs.score.mean(),
        score_median=runs.score.quantile(0.5),
        latency_p50=runs.latency_ms.quantile(0.5),
        latency_p95=runs.latency_ms.quantile(0.95),
        tokens_in_mean=runs.tokens_in.mean(),
        tokens_out_mean=runs.tokens_out.mean(),
        cost_usd=runs.cost_usd.sum(),
        feedback_mean=runs.user_feedback.mean(),
    )


def _edit_aggregates(edits: ir.Table, keys: Sequence[str]) -> ir.Table:
    return edits.group_by(list(keys)).aggregate(
        edits=edits.count(),
        accepted=edits.accepted.cast("int64").sum(),
        accepted_n=edits.accepted.count(),
        edit_distance_mean=edits.edit_distance.mean(),
    )


def _finish(runs: pd.DataFrame, edits: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Outer-join run and edit aggregates and add the rates with their Wilson intervals."""
    import numpy as np

    df = runs.merge(edits, on=keys, how="outer") if len(keys) else runs.join(edits)
    for col in ("runs", "successes", "success_n", "edits", "accepted", "accepted_n"):
        df[col] = df[col].fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        df["success_rate"] = np.where(
            df["success_n"] > 0, df["successes"] / df["success_n"].where(df["success_n"] > 0), np.nan
        )
        df["acceptance_rate"] = np.where(
            df["accepted_n"] > 0, df["accepted"] / df["accepted_n"].where(df["accepted_n"] > 0), np.nan
        )
        df["cost_per_run"] = np.where(df["runs"] > 0, df["cost_usd"] / df["runs"].where(df["runs"] > 0), np.nan)
    df["success_low"], df["success_high"] = wilson_interval(df["successes"], df["success_n"])
    df["acceptance_low"], df["acceptance_high"] = wilson_interval(df["accepted"], df["accepted_n"])
    return df


def _empty_runs(keys: list[str]) -> pd.DataFrame:
    import pandas as pd

    cols = [*keys, "runs", "successes", "success_n", "score_mean", "score_median", "latency_p50", "latency_p95"]
    cols += ["tokens_in_mean", "tokens_out_mean", "cost_usd", "feedback_mean"]
    return pd.DataFrame({c: pd.Series([], dtype="object" if c in keys else "float64") for c in cols})


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

    runs = run_key(window.filter(store.table("runs")), by)
    edits = edit_key(edits_with_measures(store, window=window), by, store)
    rdf = _run_aggregates(runs, ["key"]).to_pandas()
    edf = _edit_aggregates(edits, ["key"]).to_pandas()
    if rdf.empty:
        rdf = _empty_runs(["key"])
    if edf.empty:
        edf = pd.DataFrame(
            {
                "key": pd.Series([], dtype="object"),
                **{
                    c: pd.Series([], dtype="float64") for c in ("edits", "accepted", "accepted_n", "edit_distance_mean")
                },
            }
        )
    df = _finish(rdf, edf, ["key"])
    df = df.rename(columns={"key": by}).sort_values(by, ignore_index=True)
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
    import pandas as pd

    if freq not in ("D", "W"):
        raise ValueError(f"freq must be 'D' (daily) or 'W' (weekly), not {freq!r}")
    by = check_by(by)  # type: ignore[assignment]
    window = resolve_window(store, range, as_of=as_of)
    runs = run_key(window.filter(store.table("runs")), by)
    edits = edit_key(edits_with_measures(store, window=window), by, store)
    if groups is not None:
        wanted = [str(g) for g in groups]
        runs = runs.filter(runs.key.isin(wanted))
        edits = edits.filter(edits.key.isin(wanted))
    runs = runs.mutate(period=runs.timestamp.truncate(freq))
    edits = edits.mutate(period=edits.timestamp.truncate(freq))
    keys = ["key", "period"]
    rdf = _run_aggregates(runs, keys).to_pandas()
    edf = _edit_aggregates(edits, keys).to_pandas()
    if rdf.empty:
        rdf = _empty_runs(keys)
    if edf.empty:
        edf = pd.DataFrame(
            {
                **{k: pd.Series([], dtype="object") for k in keys},
                **{
                    c: pd.Series([], dtype="float64") for c in ("edits", "accepted", "accepted_n", "edit_distance_mean")
                },
            }
        )
    for frame in (rdf, edf):
        frame["period"] = pd.to_datetime(frame["period"], utc=True)
    df = _finish(rdf, edf, keys)
    # every period of the window, for every group seen
    start = window.start if freq == "D" else window.start - pd.Timedelta(days=window.start.weekday())
    periods = pd.date_range(
        start, window.end - pd.Timedelta(microseconds=1), freq="D" if freq == "D" else "7D", tz="UTC"
    )
    names = sorted(set(df["key"])) if len(df) else (list(groups) if groups else [])
    grid = pd.MultiIndex.from_product([names, periods], names=keys).to_frame(index=False)
    df = grid.merge(df, on=keys, how="left")
    for col in ("runs", "successes", "success_n", "edits", "accepted", "accepted_n"):
        df[col] = df[col].fillna(0).astype("int64")
    df = df.sort_values(keys, ignore_index=True)
    df["success_change"] = df.groupby("key")["success_rate"].diff()
    df["acceptance_change"] = df.groupby("key")["acceptance_rate"].diff()
    df = df.rename(columns={"key": by})
    df = df[["period", by, *RUN_COLUMNS, *EDIT_COLUMNS, "success_change", "acceptance_change"]]
    df.attrs["window"] = window.as_dict()
    df.attrs["by"] = by
    df.attrs["freq"] = freq
    return df


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
        raise ValueError(f"unknown run measure {metric!r}")
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
