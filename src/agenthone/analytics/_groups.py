"""Grouping keys shared by runs and edits.

Runs and edits carry slightly different fields, so one grouping maps to a column of each:

===============  ==================  =======================================================
``by``           runs                edits
===============  ==================  =======================================================
agent            agent_name          agent_name
category         category            the agent's category (its most frequent one in runs)
task_type        task_type           intent_type (what the user asked for)
intent_type      task_type           intent_type
model            model               model
prompt_version   prompt_version      prompt_version
===============  ==================  =======================================================

Rows whose key is missing fall in the group ``"(none)"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

from agenthone.analytics._errors import AnalyticsError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from agenthone.store import Store

__all__ = ["BY_VALUES", "NONE_LABEL", "GroupBy", "check_by", "edit_key", "edit_key_sql", "run_key", "run_key_sql"]

GroupBy: TypeAlias = Literal["agent", "category", "task_type", "intent_type", "model", "prompt_version"]
BY_VALUES: tuple[str, ...] = ("agent", "category", "task_type", "intent_type", "model", "prompt_version")
NONE_LABEL = "(none)"

_RUN_COLUMN = {
    "agent": "agent_name",
    "category": "category",
    "task_type": "task_type",
    "intent_type": "task_type",
    "model": "model",
    "prompt_version": "prompt_version",
}
_EDIT_COLUMN = {
    "agent": "agent_name",
    "task_type": "intent_type",
    "intent_type": "intent_type",
    "model": "model",
    "prompt_version": "prompt_version",
}


def check_by(by: str) -> str:
    if by not in BY_VALUES:
        raise AnalyticsError(f"unknown grouping {by!r}; expected one of {', '.join(BY_VALUES)}")
    return by


def run_key(runs: ir.Table, by: str) -> ir.Table:
    """``runs`` with a string column ``key`` holding the group of each run."""
    col = runs[_RUN_COLUMN[check_by(by)]]
    return runs.mutate(key=col.cast("string").fill_null(NONE_LABEL))


def edit_key(edits: ir.Table, by: str, store: Store) -> ir.Table:
    """``edits`` with a string column ``key``; categories come from the agent's runs."""
    check_by(by)
    if by == "category":
        runs = store.table("runs")
        cats = runs.group_by(cat_agent="agent_name").aggregate(cat=runs.category.mode())
        joined = edits.left_join(cats, edits.agent_name == cats.cat_agent)
        return joined.mutate(key=joined.cat.cast("string").fill_null(NONE_LABEL)).drop("cat_agent", "cat")
    col = edits[_EDIT_COLUMN[by]]
    return edits.mutate(key=col.cast("string").fill_null(NONE_LABEL))


def run_key_sql(by: str) -> str:
    """The SQL of :func:`run_key`'s ``key`` over the ``runs`` table (for the queries written in SQL)."""
    return f"COALESCE(CAST(\"{_RUN_COLUMN[check_by(by)]}\" AS VARCHAR), '{NONE_LABEL}')"


def edit_key_sql(by: str, alias: str = "e") -> tuple[str, str]:
    """The SQL of :func:`edit_key`'s ``key`` over ``edits`` (as ``alias``), and the join it needs (or "")."""
    if check_by(by) == "category":
        join = (
            " LEFT JOIN (SELECT agent_name AS cat_agent, MODE(category) AS cat FROM runs GROUP BY 1) hone_cats"
            f" ON {alias}.agent_name = hone_cats.cat_agent"
        )
        return f"COALESCE(CAST(hone_cats.cat AS VARCHAR), '{NONE_LABEL}')", join
    return f"COALESCE(CAST({alias}.\"{_EDIT_COLUMN[by]}\" AS VARCHAR), '{NONE_LABEL}')", ""
