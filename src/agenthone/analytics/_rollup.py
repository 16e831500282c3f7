"""Daily rollups: runs and edits aggregated per group and UTC day, once per state of the data.

Every window is made of whole UTC days, so the counts and sums behind a summary, a daily trend and the
alerts add up from one small table of per-group, per-day counts and sums (a few thousand rows for 10M
runs) instead of a scan of the runs on every call. The rollup is computed by the store (Ibis expressions:
one scan of the runs, one of the edits joined to their measures) and kept in the process, per store and
grouping, beside the fingerprint of what it summarises: the count, xor of content hashes and sum of
ingestion ids of the runs and of the edits, and the state of the edit measures. Any ingestion, live
capture or newly measured edit changes the fingerprint, and the next call rebuilds the rollup; a warm
call costs one scan of one column of each table for the fingerprint.

Medians and percentiles do not add up across days: a summary computes them from the runs of its window
(one scan of two columns) and keeps them with the rollup (and in its file), for that window, until the data
changes. The
daily ones of a trend are computed once per state of the data, with the rollup, one measure per query
(DuckDB's quantile states of two measures at once per group and day outgrow the default 512 MB memory
limit at 10M runs and slow the query twentyfold).

The rollup (with the daily quantiles once computed) is also written beside the store,
``<store>.rollup-<group>.parquet``, with its fingerprint: a fresh process whose data has not changed reads
it instead of scanning the runs (when the folder is not writable the rollup lives in the process only).
Deleting the file is always safe.

Sums are exact for counts and integers; a mean is the sum of its day sums over the count, which differs
from a one-pass average only in the last bits of a double.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.analytics._groups import edit_key, run_key
from agenthone.analytics._measures import edits_fingerprint, ensure_measured, file_token, measures_table
from agenthone.analytics._query import MICROS_PER_DAY, fetch, period_index, store_state

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import numpy as np
    import numpy.typing as npt

    from agenthone.analytics._window import Window
    from agenthone.store import Store

__all__ = ["EDIT_SUMS", "QUANTILES", "RUN_SUMS", "Daily", "daily", "day_aligned", "day_number", "rollup_path"]

RUN_SUMS = (
    "runs",
    "successes",
    "success_n",
    "score_sum",
    "score_n",
    "tokens_in_sum",
    "tokens_in_n",
    "tokens_out_sum",
    "tokens_out_n",
    "cost_sum",
    "cost_n",
    "feedback_sum",
    "feedback_n",
)
EDIT_SUMS = ("edits", "accepted", "accepted_n", "edit_distance_sum", "edit_distance_n")
QUANTILES = ("score_median", "latency_p50", "latency_p95")
_SUMS = RUN_SUMS + EDIT_SUMS
_INTEGER_SUMS = frozenset(
    {"runs", "successes", "success_n", "score_n", "tokens_in_n", "tokens_out_n", "cost_n", "feedback_n"}
    | {"edits", "accepted", "accepted_n", "edit_distance_n"}
)


def day_number(ts: Any) -> int:
    """The UTC day of a timestamp (pandas) as days since 1970-01-01."""
    return int(ts.value // 1000 // MICROS_PER_DAY)


def day_aligned(window: Window) -> bool:
    """Whether the window starts and ends at UTC midnights (every window ``resolve_window`` makes does)."""
    return all(ts.value % (MICROS_PER_DAY * 1000) == 0 for ts in (window.start, window.end))


@dataclass
class Daily:
    """Per group and UTC day: the sums of :data:`RUN_SUMS` and :data:`EDIT_SUMS`, rows ordered by group, day."""

    names: npt.NDArray[Any]
    """the groups, sorted (object array of str)"""
    group: npt.NDArray[np.int64]
    """each row's index into ``names``"""
    day: npt.NDArray[np.int64]
    """each row's UTC day (days since 1970-01-01)"""
    sums: dict[str, npt.NDArray[Any]]
    fingerprint: tuple[Any, ...]
    quantiles: dict[str, npt.NDArray[np.float64]] | None = field(default=None)
    """:data:`QUANTILES` of each row's day (NaN without runs), computed on demand"""
    windows: dict[Any, Any] = field(default_factory=dict)
    """results computed from the runs for one window (a summary's quantiles), valid as long as the rollup"""

    def in_window(self, window: Window) -> npt.NDArray[np.bool_]:
        """Which rows fall in the (day-aligned) window."""
        return (self.day >= day_number(window.start)) & (self.day < day_number(window.end))

    def totals(self, rows: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[Any]]]:
        """Per group with any run or edit among ``rows``: its index into ``names`` and every sum over them."""
        import numpy as np

        size = len(self.names)
        group = self.group[rows]
        totals = {}
        for name, values in self.sums.items():
            summed = np.bincount(group, weights=values[rows], minlength=size)
            totals[name] = summed.round().astype("int64") if name in _INTEGER_SUMS else summed
        present = np.flatnonzero((totals["runs"] > 0) | (totals["edits"] > 0))
        return present, {name: values[present] for name, values in totals.items()}


def _runs_fingerprint(store: Store) -> tuple[Any, ...]:
    def build() -> str:  # SQL, not Ibis: every call asks it first (see agenthone.analytics._query.fetch)
        return "SELECT count(*) AS n, bit_xor(content_hash) AS hashes, sum(ingest_id) AS ingests FROM runs"

    return tuple(fetch(store, "runs_fingerprint", build).to_pylist()[0].values())


def _days(table: ir.Table) -> ir.Table:
    import pandas as pd

    return table.mutate(day=period_index(table.timestamp, pd.Timestamp(0, tz="UTC"), MICROS_PER_DAY))


def _build(store: Store, by: str, fingerprint: tuple[Any, ...]) -> Daily:
    import ibis
    import numpy as np
    import pyarrow.compute as pc

    def build() -> ir.Table:
        runs = _days(run_key(store.table("runs"), by))
        edits = store.table("edits")
        measured = edits.left_join(measures_table(store), ["id", "content_hash"]).select(
            *[c for c in edits.columns if c not in ("prompt", "ai_output", "final_output", "metadata")],
            "edit_distance",
        )
        edits = _days(edit_key(measured, by, store))
        keys = ["key", "day"]

        def total(col: ir.NumericColumn, integer: bool = False) -> ir.NumericScalar:
            return col.sum().cast("int64") if integer else col.sum().cast("float64")

        r = runs.group_by(keys).aggregate(
            runs=runs.count(),
            successes=total(runs.success.cast("int64"), True),
            success_n=runs.success.count(),
            score_sum=total(runs.score),
            score_n=runs.score.count(),
            tokens_in_sum=total(runs.tokens_in, True),
            tokens_in_n=runs.tokens_in.count(),
            tokens_out_sum=total(runs.tokens_out, True),
            tokens_out_n=runs.tokens_out.count(),
            cost_sum=total(runs.cost_usd),
            cost_n=runs.cost_usd.count(),
            feedback_sum=total(runs.user_feedback),
            feedback_n=runs.user_feedback.count(),
        )
        e = edits.group_by(keys).aggregate(
            edits=edits.count(),
            accepted=total(edits.accepted.cast("int64"), True),
            accepted_n=edits.accepted.count(),
            edit_distance_sum=total(edits.edit_distance),
            edit_distance_n=edits.edit_distance.count(),
        )
        joined = r.outer_join(e, [r[k] == e[k] for k in keys])
        columns: dict[str, ir.Value] = {k: ibis.coalesce(r[k], e[k]) for k in keys}
        columns.update({c: r[c] for c in RUN_SUMS})
        columns.update({c: e[c] for c in EDIT_SUMS})
        return joined.select(**columns).order_by(keys)

    table = fetch(store, ("rollup", by), build)
    names, group = np.unique(np.asarray(table["key"].to_pylist(), dtype=object), return_inverse=True)
    sums = {}
    for name in RUN_SUMS + EDIT_SUMS:
        column = pc.fill_null(table[name], 0).to_numpy()
        sums[name] = column.astype("int64" if name in _INTEGER_SUMS else "float64")
    return Daily(
        names=names,
        group=group.astype("int64"),
        day=table["day"].to_numpy().astype("int64"),
        sums=sums,
        fingerprint=fingerprint,
    )


def _day_quantiles(store: Store, by: str, rollup: Daily) -> dict[str, npt.NDArray[np.float64]]:
    """The daily medians and percentiles of the runs, aligned to the rollup's rows: one query per measure."""
    import numpy as np
    import pyarrow.compute as pc

    index = {name: i for i, name in enumerate(rollup.names)}
    span = int(rollup.day.max() - rollup.day.min() + 1) if len(rollup.day) else 1
    origin = int(rollup.day.min()) if len(rollup.day) else 0
    codes = rollup.group * span + (rollup.day - origin)  # increasing: rows are ordered by group, day

    def build(measure: str) -> ir.Table:
        runs = _days(run_key(store.table("runs"), by))
        col = runs[measure]
        quantile = col.quantile([0.5, 0.95]) if measure == "latency_ms" else col.quantile(0.5)
        return runs.group_by(["key", "day"]).aggregate(q=quantile)

    out = {name: np.full(len(codes), np.nan) for name in QUANTILES}
    for measure, names in (("score", ("score_median",)), ("latency_ms", ("latency_p50", "latency_p95"))):
        table = fetch(store, ("rollup_quantiles", by, measure), lambda m=measure: build(m))  # type: ignore[misc]
        groups = np.asarray([index[k] for k in table["key"].to_pylist()], dtype="int64")
        rows = np.searchsorted(codes, groups * span + (table["day"].to_numpy().astype("int64") - origin))
        for i, name in enumerate(names):
            values = pc.list_element(table["q"], i) if len(names) > 1 else table["q"]
            out[name][rows] = values.to_numpy(zero_copy_only=False).astype("float64")
    return out


def rollup_path(store: Store, by: str) -> Path:
    """Where the daily rollup of ``store`` per ``by`` group is kept between processes."""
    return store.path.with_name(f"{store.path.stem}.rollup-{by}.parquet")


_FINGERPRINT_KEY = b"agenthone.fingerprint"
_WINDOWS_KEY = b"agenthone.windows"
_WINDOWS_KEPT = 64


def remember(store: Store, by: str, rollup: Daily, key: tuple[Any, ...], values: dict[str, Any]) -> None:
    """Keep ``values`` computed for a window (``key``: JSON-able) with the rollup, and in its file."""
    if key in rollup.windows:
        return
    if len(rollup.windows) >= _WINDOWS_KEPT:
        rollup.windows.pop(next(iter(rollup.windows)))
    rollup.windows[key] = values
    if rollup.fingerprint[2][0] == "file":
        _save(rollup_path(store, by), rollup)


def _save(path: Path, rollup: Daily) -> None:
    """Write the rollup beside the store (atomically); a folder that cannot be written is no error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {"key": pa.array(list(rollup.names[rollup.group]), pa.string()), "day": rollup.day}
    columns.update(rollup.sums)
    if rollup.quantiles is not None:
        columns.update(rollup.quantiles)
    windows = [[list(k), {n: [float(x) for x in v] for n, v in values.items()}] for k, values in rollup.windows.items()]
    metadata = {_FINGERPRINT_KEY: repr(rollup.fingerprint).encode(), _WINDOWS_KEY: json.dumps(windows).encode()}
    table = pa.table(columns).replace_schema_metadata(metadata)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _read(path: Path, fingerprint: tuple[Any, ...]) -> Daily | None:
    """The rollup saved at ``path`` if it summarises data of this fingerprint, else None."""
    import numpy as np
    import pyarrow.parquet as pq

    try:
        if not path.is_file():
            return None
        table = pq.read_table(path)
    except (OSError, ValueError):
        return None
    metadata = table.schema.metadata or {}
    if metadata.get(_FINGERPRINT_KEY) != repr(fingerprint).encode():
        return None
    if not set(RUN_SUMS + EDIT_SUMS + ("key", "day")) <= set(table.column_names):
        return None
    names, group = np.unique(np.asarray(table["key"].to_pylist(), dtype=object), return_inverse=True)
    has_quantiles = set(QUANTILES) <= set(table.column_names)
    try:
        windows = {
            tuple(key): {n: np.asarray(v, dtype="float64") for n, v in values.items()}
            for key, values in json.loads(metadata.get(_WINDOWS_KEY, b"[]"))
        }
    except (ValueError, TypeError):
        windows = {}
    return Daily(
        names=names,
        group=group.astype("int64"),
        day=table["day"].to_numpy().astype("int64"),
        sums={
            c: table[c].to_numpy().astype("int64" if c in _INTEGER_SUMS else "float64") for c in RUN_SUMS + EDIT_SUMS
        },
        fingerprint=fingerprint,
        quantiles={c: table[c].to_numpy().astype("float64") for c in QUANTILES} if has_quantiles else None,
        windows=windows,
    )


def daily(store: Store, by: str, *, quantiles: bool = False) -> Daily:
    """The daily rollup of ``store`` per ``by`` group, current with the data (built or rebuilt as needed).

    Every edit is measured first (once: the measures are cached beside the store). With ``quantiles``, the
    daily medians and percentiles are there too. A rollup saved beside the store for the same runs, edits
    and measures file is read instead of built (the measures need no check then: it was built after they
    covered every edit).
    """
    with store.locked():
        state = store_state(store)
        rollups: dict[str, Daily] = state.setdefault("rollups", {})
        runs, edits = _runs_fingerprint(store), edits_fingerprint(store)
        measured = state.get("measured")
        source = file_token(store)
        if measured is not None and measured["fingerprint"] == edits and (measured["source"] or ("",))[0] == "memory":
            source = measured["source"]
        path = rollup_path(store, by)
        rollup = rollups.get(by)
        if rollup is None or rollup.fingerprint != (runs, edits, source):
            rollup = _read(path, (runs, edits, source)) if source is not None and source[0] == "file" else None
        if rollup is None:
            ensure_measured(store, table=False)
            measured = state["measured"]
            source = measured["source"]
            rollup = _build(store, by, (runs, measured["fingerprint"], source))
            if source[0] == "file" and not quantiles:
                _save(path, rollup)
        rollups[by] = rollup
        if quantiles and rollup.quantiles is None:
            rollup.quantiles = _day_quantiles(store, by, rollup)
            if rollup.fingerprint[2][0] == "file":  # measures held in memory only: so is the rollup
                _save(path, rollup)
        return rollup
