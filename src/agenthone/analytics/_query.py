"""Running the analytics' Ibis expressions on the store: compiled once, executed straight on DuckDB.

Every analytic is an Ibis expression over the store (the expression is the source of truth and stays
portable). Two costs around it are not analytics and are avoided here:

- **Compiling**: turning an expression into SQL costs 20-60 ms of Python, more than DuckDB needs to
  aggregate a million runs, and Ibis recompiles on every ``to_pandas()``; DuckDB then parses and plans the
  SQL text again (1-5 ms). :func:`fetch` compiles each query shape once per store (an LRU keyed by
  everything the expression depends on), prepares it on the store's connection and executes it, returning
  Arrow. On another Ibis backend the same expressions would run with ``expr.to_pyarrow()``.
- **Time-zone arithmetic**: Ibis' portable ``truncate("D")`` and ``epoch_seconds()`` compile to DuckDB
  functions that go through its ICU time-zone code on ``TIMESTAMP WITH TIME ZONE`` columns: ~90 ms per
  million rows. Periods are whole UTC days or weeks, so :func:`period_index` computes them from DuckDB's
  ``epoch_us`` (the stored microseconds, ~3 ms per million rows), declared below as an Ibis builtin: the
  one DuckDB-specific function of the analytics.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

    from agenthone.store import Store

__all__ = ["MICROS_PER_DAY", "fetch", "period_index", "store_state"]

MICROS_PER_DAY = 86_400_000_000
_MAX_QUERIES = 256

_states: weakref.WeakKeyDictionary[Store, dict[str, Any]] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()
_names = itertools.count()
_epoch_us: Any = None


def store_state(store: Store) -> dict[str, Any]:
    """Per-store memo of the analytics (compiled queries, the measured-edits table): dies with the store."""
    con = store.connection
    with _states_lock:
        state = _states.get(store)
        # prepared statements and temp tables live in the connection: a store reopened after ``released()``
        # has a new one, so the memo starts over
        if state is None or state.get("connection") is not con:
            state = {"queries": OrderedDict(), "connection": con}
            _states[store] = state
        return state


def fetch(store: Store, key: Hashable, build: Callable[[], ir.Expr | str]) -> pa.Table:
    """Run the expression ``build()`` on the store; it is compiled and prepared once per store and ``key``.

    ``key`` must name everything the expression depends on (query kind, grouping, window bounds, ...). The
    SQL Ibis compiles becomes a prepared statement on the store's connection (as the store does for live
    inserts): a warm call skips Ibis and DuckDB's parser and planner, and DuckDB re-plans it by itself when
    a table it reads is replaced. ``build`` may return SQL text instead: the bookkeeping queries every call
    runs first (the data's fingerprints, the latest timestamp) are written in SQL, so a fresh process that
    finds its rollup on disk never imports or compiles Ibis (half a second).
    """
    with store.locked() as con:
        queries: OrderedDict[Hashable, tuple[str, str]] = store_state(store)["queries"]
        prepared = queries.get(key)
        if prepared is None:
            built = build()
            sql = built if isinstance(built, str) else str(store.ibis.compile(built))
            prepared = (f"hone_analytics_{next(_names)}", sql)
            con.execute(f"PREPARE {prepared[0]} AS {sql}")
            queries[key] = prepared
            if len(queries) > _MAX_QUERIES:
                con.execute(f"DEALLOCATE {queries.popitem(last=False)[1][0]}")
        else:
            queries.move_to_end(key)
        return con.sql(f"EXECUTE {prepared[0]}").to_arrow_table()


def epoch_us(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Microseconds since 1970-01-01 UTC of a timestamp (DuckDB's ``epoch_us``)."""
    global _epoch_us
    if _epoch_us is None:
        import ibis
        import ibis.expr.datatypes as dt

        def declaration(ts: Any) -> int:  # pragma: no cover - a declaration; DuckDB runs it
            raise NotImplementedError

        _epoch_us = ibis.udf.scalar.builtin(
            declaration, name="epoch_us", signature=((dt.Timestamp(timezone="UTC"),), dt.int64)
        )
    return _epoch_us(ts)  # type: ignore[no-any-return]


def period_index(ts: ir.TimestampValue, origin: pd.Timestamp, step_us: int) -> ir.IntegerValue:
    """Which period of ``step_us`` microseconds from ``origin`` (UTC) a timestamp falls in (0, 1, ...).

    Ibis writes ``//`` as ``FLOOR(a / b)`` in doubles; that is exact for windows under ~180 years, where the
    rounding of the quotient stays smaller than one microsecond's share of a period.
    """
    origin_us = int(origin.value) // 1000
    return (epoch_us(ts) - origin_us) // step_us
