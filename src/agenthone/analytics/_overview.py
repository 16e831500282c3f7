"""Workspace overview: how much of each record kind, per agent and per day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agenthone.records import KINDS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.store import Store

__all__ = ["activity", "agents_overview", "plot_activity"]


def agents_overview(store: Store) -> pd.DataFrame:
    """One row per agent: records of each kind, first and last seen."""
    import ibis
    import pandas as pd

    frames = []
    for kind in KINDS.values():
        t = store.table(kind.table)
        expr = (
            t.group_by("agent_name")
            .aggregate(n=t.count(), first_seen=t.timestamp.min(), last_seen=t.timestamp.max())
            .mutate(kind=ibis.literal(kind.table))
        )
        frames.append(expr.to_pandas())
    df = pd.concat(frames, ignore_index=True)
    if df.empty:
        return pd.DataFrame(columns=["agent_name", *[k.table for k in KINDS.values()], "first_seen", "last_seen"])
    wide = df.pivot_table(index="agent_name", columns="kind", values="n", aggfunc="sum", fill_value=0)
    for kind in KINDS.values():
        if kind.table not in wide:
            wide[kind.table] = 0
    span = df.groupby("agent_name").agg(first_seen=("first_seen", "min"), last_seen=("last_seen", "max"))
    out = wide[[k.table for k in KINDS.values()]].join(span).reset_index()
    out.columns.name = None
    return out.sort_values("runs", ascending=False, ignore_index=True)


def activity(store: Store, *, freq: Literal["D", "W"] = "D") -> pd.DataFrame:
    """Records per day (or ISO week) and kind: columns ``period``, ``runs``, ``edits``, ``conversations``."""
    import pandas as pd

    unit = "D" if freq == "D" else "W"
    frames = []
    for kind in KINDS.values():
        t = store.table(kind.table)
        expr = t.group_by(period=t.timestamp.truncate(unit)).aggregate(n=t.count())
        df = expr.to_pandas()
        df["kind"] = kind.table
        frames.append(df)
    long = pd.concat(frames, ignore_index=True)
    if long.empty:
        return pd.DataFrame(columns=["period", *[k.table for k in KINDS.values()]])
    wide = long.pivot_table(index="period", columns="kind", values="n", aggfunc="sum", fill_value=0)
    for kind in KINDS.values():
        if kind.table not in wide:
            wide[kind.table] = 0
    wide = wide[[k.table for k in KINDS.values()]].sort_index()
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="D" if unit == "D" else "7D")
    out = wide.reindex(full, fill_value=0).rename_axis("period").reset_index()
    out.columns.name = None
    return out


def plot_activity(df: pd.DataFrame, *, title: str = "Records per day") -> Figure:
    """Stacked-free line plot of records per period and kind (a Figure, so notebooks show it)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for col in [c for c in df.columns if c != "period"]:
        ax.plot(df["period"], df[col], label=col, linewidth=1.6)
    ax.set_title(title)
    ax.set_ylabel("records")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, ncols=3)
    fig.autofmt_xdate()
    return fig
