"""Plots of the analytics results: each takes the DataFrame a library function returned and gives a Figure.

Figures are built with :class:`matplotlib.figure.Figure` (never pyplot's global state), so notebooks show
them, reports embed them and nothing leaks between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_comparison", "plot_distribution", "plot_patterns", "plot_rates", "plot_tone", "plot_trend"]

_RATE = {
    "success": ("success_rate", "success_low", "success_high"),
    "acceptance": ("acceptance_rate", "acceptance_low", "acceptance_high"),
}


def _window_note(df: pd.DataFrame) -> str:
    w = df.attrs.get("window")
    return f" ({w['first_day']} to {w['last_day']})" if w else ""


def _empty(ax: Axes, message: str = "no data in this window") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_trend(
    df: pd.DataFrame,
    *,
    metrics: Sequence[Literal["acceptance", "success"]] = ("acceptance", "success"),
    groups: Sequence[str] | None = None,
    max_groups: int = 8,
) -> Figure:
    """Rates over time with their 95% Wilson bands, one panel per metric, one line per group.

    ``df`` is a :func:`~agenthone.analytics.trends` result. Without ``groups``, the ``max_groups`` groups
    with the most records are drawn.
    """
    from matplotlib.figure import Figure

    by = df.attrs.get("by") or next(c for c in df.columns if c != "period")
    fig = Figure(figsize=(10, 3.4 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
    if groups is None:
        sizes = df.groupby(by)[["runs", "edits"]].sum().sum(axis=1).sort_values(ascending=False)
        groups = list(sizes.index[:max_groups])
    for ax, metric in zip(axes, metrics, strict=True):
        rate, low, high = _RATE[metric]
        drawn = 0
        for name in groups:
            g = df[df[by] == name]
            if g[rate].notna().sum() == 0:
                continue
            (line,) = ax.plot(g["period"], g[rate], marker="o", markersize=2.5, linewidth=1.4, label=str(name))
            ax.fill_between(g["period"], g[low], g[high], color=line.get_color(), alpha=0.15, linewidth=0)
            drawn += 1
        if not drawn:
            _empty(ax)
            continue
        ax.set_ylabel(f"{metric} rate")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(
            f"{metric.capitalize()} rate per {'day' if df.attrs.get('freq') == 'D' else 'week'}{_window_note(df)}",
            loc="left",
        )
    axes[0].legend(frameon=False, fontsize=8, ncols=min(4, max(1, len(groups))), loc="lower left")
    fig.autofmt_xdate()
    return fig


def plot_rates(df: pd.DataFrame, *, metric: Literal["acceptance", "success"] = "acceptance") -> Figure:
    """A rate per group as horizontal bars with 95% Wilson intervals (a :func:`performance` result)."""
    import numpy as np
    from matplotlib.figure import Figure

    by = df.attrs.get("by") or df.columns[0]
    rate, low, high = _RATE[metric]
    data = df[df[rate].notna()].sort_values(rate)
    fig = Figure(figsize=(9, 0.32 * max(4, len(data)) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    if data.empty:
        _empty(ax)
        return fig
    y = np.arange(len(data))
    err = np.vstack([data[rate] - data[low], data[high] - data[rate]])
    ax.barh(y, data[rate], xerr=err, color="#4e79a7", alpha=0.85, error_kw={"elinewidth": 1, "capsize": 2})
    ax.set_yticks(y, data[by].astype(str))
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"{metric} rate (95% CI)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{metric.capitalize()} rate per {by}{_window_note(df)}", loc="left")
    return fig


def plot_distribution(df: pd.DataFrame, *, log: bool | None = None) -> Figure:
    """Box plots (whiskers at p5/p95) of a run measure per group (a :func:`distributions` result)."""
    from matplotlib.figure import Figure

    by = df.columns[0]
    metric = df.attrs.get("metric", "value")
    fig = Figure(figsize=(9, 0.32 * max(4, len(df)) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    if df.empty:
        _empty(ax)
        return fig
    data = df.sort_values("p50")
    stats = [
        {
            "label": str(r[by]),
            "whislo": r["p5"],
            "q1": r["p25"],
            "med": r["p50"],
            "q3": r["p75"],
            "whishi": r["p95"],
            "mean": r["mean"],
            "fliers": [],
        }
        for _, r in data.iterrows()
    ]
    ax.bxp(stats, orientation="horizontal", showmeans=True, meanprops={"marker": "D", "markersize": 3})
    if log is None:
        log = bool((data["p95"].max() > 20 * max(data["p5"].min(), 1e-12)) and data["p5"].min() > 0)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(f"{metric} (box p25-p75, whiskers p5-p95, diamond = mean)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{metric} per {by}{_window_note(df)}", loc="left")
    return fig


def plot_comparison(df: pd.DataFrame) -> Figure:
    """Differences (b minus a) of each metric with 95% CIs, one panel per metric (a :func:`compare` result)."""
    from matplotlib.figure import Figure

    a, b = df.attrs.get("a", "a"), df.attrs.get("b", "b")
    fig = Figure(figsize=(3.0 * max(1, len(df)), 3.6), layout="constrained")
    axes = fig.subplots(1, max(1, len(df)), squeeze=False)[0]
    for ax, (_, r) in zip(axes, df.iterrows(), strict=False):
        values = [r["a"], r["b"]]
        colors = ["#9c9c9c", "#e15759" if r.get("significant") else "#4e79a7"]
        ax.bar([str(a), str(b)], values, color=colors, alpha=0.9)
        # the CI of the difference, drawn around b's bar
        if r["ci_low"] == r["ci_low"]:
            ax.errorbar(
                [1],
                [r["a"] + r["difference"]],
                yerr=[[r["difference"] - r["ci_low"]], [r["ci_high"] - r["difference"]]],
                color="black",
                capsize=4,
            )
        ax.set_title(f"{r['metric']}\ndiff {r['difference']:+.3g}, p={r['p_value']:.2g}", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{b} vs {a} (error bar: 95% CI of the difference){_window_note(df)}", fontsize=10)
    return fig


def plot_patterns(df: pd.DataFrame, *, top: int = 8) -> Figure:
    """Top deletion and addition patterns by share of the agent's edits (an :func:`edit_patterns` result)."""
    import textwrap

    from matplotlib.figure import Figure

    kinds = [k for k in ("deletion", "addition") if k in set(df.get("kind", []))] or ["deletion", "addition"]
    fig = Figure(figsize=(10, 1.0 + 0.45 * top * len(kinds)), layout="constrained")
    axes = fig.subplots(len(kinds), 1, squeeze=False)[:, 0]
    for ax, kind in zip(axes, kinds, strict=True):
        part = df[df["kind"] == kind].head(top).iloc[::-1] if len(df) else df
        if part.empty:
            _empty(ax, f"no {kind} pattern stands out")
            ax.set_title(f"{kind.capitalize()} patterns", loc="left")
            continue
        labels = [textwrap.shorten(str(p), 60, placeholder="...") for p in part["pattern"]]
        color = "#e15759" if kind == "deletion" else "#59a14f"
        ax.barh(labels, part["share"], color=color, alpha=0.85)
        for y, (share, n) in enumerate(zip(part["share"], part["edits"], strict=True)):
            ax.text(share, y, f" {share:.0%} ({n})", va="center", fontsize=8)
        ax.set_xlim(0, min(1.0, float(part["share"].max()) * 1.25 + 0.02))
        ax.set_xlabel("share of the agent's edits")
        ax.set_title(f"What users {'delete' if kind == 'deletion' else 'add'}", loc="left")
    agent = df.attrs.get("agent")
    if agent:
        fig.suptitle(f"{agent}{_window_note(df)}", fontsize=10)
    return fig


def plot_tone(df: pd.DataFrame, *, agent: str | None = None) -> Figure:
    """Mean change per tone measure with its 95% CI, relative to the AI output (a :func:`tone_shift` result)."""
    from matplotlib.figure import Figure

    data = df if agent is None else df[df["agent"] == agent]
    measures = list(dict.fromkeys(data["measure"])) if len(data) else []
    fig = Figure(figsize=(3.0 * max(1, len(measures)), 3.4), layout="constrained")
    axes = fig.subplots(1, max(1, len(measures)), squeeze=False)[0]
    if not measures:
        _empty(axes[0])
        return fig
    for ax, measure in zip(axes, measures, strict=True):
        part = data[data["measure"] == measure]
        names = part["agent"].astype(str).tolist()
        colors = ["#e15759" if s else "#9c9c9c" for s in part["significant"]]
        err = [(part["change"] - part["ci_low"]).fillna(0), (part["ci_high"] - part["change"]).fillna(0)]
        ax.barh(names, part["change"], xerr=err, color=colors, alpha=0.9, error_kw={"capsize": 3, "elinewidth": 1})
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(measure, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        if ax is not axes[0]:
            ax.set_yticks([])
    fig.suptitle(f"Change that edits make (final - AI output; red: significant){_window_note(df)}", fontsize=10)
    return fig
