"""Analytics over the store: written as Ibis expressions, results as pandas DataFrames."""

from agenthone.analytics._overview import activity, agents_overview, plot_activity

__all__ = ["activity", "agents_overview", "plot_activity"]
