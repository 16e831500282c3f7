"""Analytics over the store: written as Ibis expressions, results as pandas DataFrames.

Which agents are doing badly, since when, compared to what: :func:`performance` (per group over a
window), :func:`trends`, :func:`week_over_week`, :func:`best_worst_types`, :func:`compare`, :func:`alerts`.
What people change when they correct an agent: :mod:`agenthone.analytics.edits`. Every result carries
the window it covers in ``df.attrs["window"]``; relative ranges ("7d", "30d", "90d", "all") are anchored at
``as_of``, by default the latest timestamp in the data. Bad input (an unknown name, range or option) raises
:class:`AnalyticsError`.
"""

from agenthone.analytics._compare import alerts, compare
from agenthone.analytics._errors import AnalyticsError, UnknownEditError
from agenthone.analytics._measures import edit_measures
from agenthone.analytics._overview import activity, agents_overview, plot_activity
from agenthone.analytics._performance import best_worst_types, distributions, performance, trends, week_over_week
from agenthone.analytics._plots import (
    plot_comparison,
    plot_distribution,
    plot_patterns,
    plot_rates,
    plot_tone,
    plot_trend,
)
from agenthone.analytics._window import Window, resolve_window

__all__ = [
    "AnalyticsError",
    "UnknownEditError",
    "Window",
    "activity",
    "agents_overview",
    "alerts",
    "best_worst_types",
    "compare",
    "distributions",
    "edit_measures",
    "performance",
    "plot_activity",
    "plot_comparison",
    "plot_distribution",
    "plot_patterns",
    "plot_rates",
    "plot_tone",
    "plot_trend",
    "resolve_window",
    "trends",
    "week_over_week",
]
