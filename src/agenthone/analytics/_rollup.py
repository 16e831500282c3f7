"""Daily rollups: runs and edits aggregated per group and UTC day, once per state of the data.

Every window is made of whole UTC days, so the counts and sums behind a summary, a daily trend and the
alerts add up from one small table of per-group, per-day counts and sums (a few thousand rows for 10M
runs) instead of a scan of the runs on every call. The rollup is computed by the store in SQL (one scan of
the runs, one of the edits joined to their measures; plain SQL rather than Ibis, so that a fresh process
never imports or compiles Ibis) and kept in the process, per store and grouping, beside the fingerprint of
what it summarises: the count, xor of content hashes, sum and last of the ingestion ids of the runs and of
the edits, and the state of the edit measures. Any ingestion, live capture or newly measured edit changes
the fingerprint; a warm call costs one scan of two columns of each table for it.

After new data, the rollup is brought up to date rather than rebuilt when the runs and edits it saw are
all still there, unchanged: the rows of ingestions up to its last one have the fingerprint it recorded
(one filtered scan). Then only the rows of later ingestions are aggregated (and their edits measured) and
added to the days they fall in; the daily quantiles of those days are computed again. The result is the
rollup a rebuild gives: the same groups, days, counts and integer sums, float sums equal but for the order
of the additions (last bits). Anything else (records deleted or replaced, live capture adding to an
ingestion already rolled up, the ``category`` grouping, whose edits take the agent's most frequent
category) rebuilds it.

Medians and percentiles do not add up across days: a summary computes them from the runs of its window
(one scan of three columns; from the second window of a process on, from the in-process quantile index of
:mod:`agenthone.analytics._quantile_index`, kept on the rollup and dropped with it) and keeps them with the
rollup (and in its file), for that window, until the data changes. The daily ones of a trend are
computed when a trend first asks for them (never for a summary or the alerts), once per state of the
data, one measure per query (DuckDB's quantile states of two measures at once per group and day outgrow
the default 512 MB memory limit at 10M runs and slow the query twentyfold).

The rollup (with the daily quantiles once computed) is also written beside the store,
``<store>.rollup-<group>.parquet``, with its fingerprint: a fresh process whose data has not changed reads
it instead of scanning the runs, one after new ingestions extends it (when the folder is not writable the
rollup lives in the process only). Deleting the file is always safe.

Sums are exact for counts and integers; a mean is the sum of its day sums over the count, which differs
from a one-pass average only in the last bits of a double.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.analytics._groups import edit_key_sql, run_key_sql
from agenthone.analytics._measures import (
    MEASURES_VIEW,
    covered_by_file,
    edits_fingerprint,
    ensure_measured,
    file_token,
    view_file,
)
from agenthone.analytics._query import MICROS_PER_DAY, fetch, store_state

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    from agenthone.analytics._window import Window
    from agenthone.store import Store

__all__ = [
    "EDIT_SUMS",
    "QUANTILES",
    "RUN_SUMS",
    "Daily",
    "daily",
    "day_aligned",
    "day_number",
    "rollup_path",
    "window_sql",
]

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


def window_sql(window: Window, column: str = "timestamp") -> str:
    """SQL: ``column`` falls in the (day-aligned) window."""
    start, end = (int(ts.value // 1_000_000_000) for ts in (window.start, window.end))
    return f"{column} >= to_timestamp({start}) AND {column} < to_timestamp({end})"


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
    index: Any = field(default=None, repr=False)
    """the in-process quantile index (:mod:`agenthone.analytics._quantile_index`), False when unusable"""
    window_requests: int = 0
    """how many windows' quantiles were asked of DuckDB for this rollup (the second builds the index)"""

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
        return (
            "SELECT count(*) AS n, bit_xor(content_hash) AS hashes, CAST(sum(ingest_id) AS BIGINT) AS ingests,"
            " max(ingest_id) AS last FROM runs"
        )

    return tuple(fetch(store, "runs_fingerprint", build).to_pylist()[0].values())


def _day_sql(column: str) -> str:
    """The UTC day of a timestamp column as Ibis writes :func:`period_index` for days (the same numbers)."""
    return f"CAST(FLOOR((EPOCH_US({column}) - 0) / ({MICROS_PER_DAY})) AS BIGINT)"


def _since(column: str, last: int | None) -> str:
    """SQL: the rows of the ingestions after ``last`` (every row when None)."""
    return "TRUE" if last is None else f"{column} > {int(last)}"


def _runs_sql(by: str, where: str = "TRUE") -> str:
    """The run sums per group and day, in one scan of the runs (written in SQL: no Ibis on the cold path)."""
    sums = ", ".join(
        [
            "count(*) AS runs",
            "CAST(sum(CAST(success AS BIGINT)) AS BIGINT) AS successes",
            "count(success) AS success_n",
        ]
        + [
            f"CAST(sum({col}) AS {kind}) AS {name}_sum, count({col}) AS {name}_n"
            for col, name, kind in (
                ("score", "score", "DOUBLE"),
                ("tokens_in", "tokens_in", "BIGINT"),
                ("tokens_out", "tokens_out", "BIGINT"),
                ("cost_usd", "cost", "DOUBLE"),
                ("user_feedback", "feedback", "DOUBLE"),
            )
        ]
    )
    return (
        f"SELECT {run_key_sql(by)} AS key, {_day_sql('timestamp')} AS day, {sums} FROM runs WHERE {where} GROUP BY 1, 2"
    )


def _edits_sql(by: str, where: str = "TRUE") -> str:
    """The edit sums per group and day: one scan of the edits joined to their measures (the view of
    :func:`agenthone.analytics._measures.measures_table`)."""
    key, join = edit_key_sql(by, "e")
    return (
        f"SELECT {key} AS key, {_day_sql('e.timestamp')} AS day, count(*) AS edits,"
        " CAST(sum(CAST(e.accepted AS BIGINT)) AS BIGINT) AS accepted, count(e.accepted) AS accepted_n,"
        " CAST(sum(m.edit_distance) AS DOUBLE) AS edit_distance_sum, count(m.edit_distance) AS edit_distance_n,"
        " count(*) FILTER (WHERE m.id IS NULL) AS unmeasured"
        f" FROM edits e LEFT JOIN temp.main.{MEASURES_VIEW} m ON e.id = m.id AND e.content_hash = m.content_hash"
        f"{join} WHERE {where} GROUP BY 1, 2"
    )


@dataclass
class _Part:
    """Rows of sums per group and day (unordered), from a query or a rollup."""

    keys: npt.NDArray[Any]
    day: npt.NDArray[np.int64]
    sums: dict[str, npt.NDArray[Any]]


def _part(table: pa.Table, names: tuple[str, ...]) -> _Part:
    import numpy as np
    import pyarrow.compute as pc

    sums = {}
    for name in names:
        column = pc.fill_null(table[name], 0).to_numpy()
        sums[name] = column.astype("int64" if name in _INTEGER_SUMS else "float64")
    keys = np.asarray(table["key"].to_pylist(), dtype=object)
    return _Part(keys=keys, day=table["day"].to_numpy().astype("int64"), sums=sums)


def _combine(parts: list[_Part], fingerprint: tuple[Any, ...]) -> tuple[Daily, list[npt.NDArray[np.int64]]]:
    """One rollup of the sums of ``parts`` (added where a group and day is in several), and where each
    part's rows went in it."""
    import numpy as np

    keys = np.concatenate([p.keys for p in parts]) if parts else np.zeros(0, dtype=object)
    days = np.concatenate([p.day for p in parts]).astype("int64") if parts else np.zeros(0, dtype="int64")
    names, group = np.unique(keys.astype(object), return_inverse=True) if len(keys) else (keys, days)
    origin = int(days.min()) if len(days) else 0
    span = int(days.max()) - origin + 1 if len(days) else 1
    codes, rows = np.unique(group.astype("int64") * span + (days - origin), return_inverse=True)
    rows = rows.reshape(-1)
    size = len(codes)
    sums: dict[str, npt.NDArray[Any]] = {}
    for name in _SUMS:
        values = [p.sums.get(name) for p in parts]
        column = (
            np.concatenate(
                [
                    v if v is not None else np.zeros(len(p.day), dtype="int64")
                    for v, p in zip(values, parts, strict=True)
                ]
            )
            if parts
            else np.zeros(0)
        )
        if name in _INTEGER_SUMS:
            out = np.zeros(size, dtype="int64")
            np.add.at(out, rows, column.astype("int64"))
        else:
            out = np.zeros(size, dtype="float64")
            np.add.at(out, rows, column.astype("float64"))
        sums[name] = out
    bounds = np.cumsum([0] + [len(p.day) for p in parts])
    placed = [rows[bounds[i] : bounds[i + 1]] for i in range(len(parts))]
    rollup = Daily(
        names=names,
        group=(codes // span).astype("int64"),
        day=(codes % span + origin).astype("int64"),
        sums=sums,
        fingerprint=fingerprint,
    )
    return rollup, placed


def _build(store: Store, by: str, runs: tuple[Any, ...], edits: tuple[Any, ...]) -> Daily:
    """The rollup from every run and edit: one scan of each, every edit measured.

    When the edit measures are not known to cover every edit, the edits are first aggregated with the
    cache file as it is, counting the edits it leaves without a measure: none (the common case) and the
    check cost nothing more; else the missing edits are measured and the edits aggregated again.
    """
    import duckdb

    state = store_state(store)
    measured = state.get("measured")
    table = None
    if measured is None or measured["fingerprint"] != edits or None not in measured["covered"]:
        token = view_file(store)
        if token is not None:
            try:
                table = _arrow(store, _edits_sql(by))
            except duckdb.Error:  # an unreadable or foreign file: measured through pandas below
                table = None
            if table is not None and int(_column_sum(table["unmeasured"])) == 0:
                covered_by_file(store, edits, token)
            else:
                table = None
    if table is None:
        ensure_measured(store, table=False)
        table = fetch(store, ("rollup_edits", by), lambda: _edits_sql(by))
    source = state["measured"]["source"]
    runs_table = fetch(store, ("rollup_runs", by), lambda: _runs_sql(by))
    return _combine([_part(runs_table, RUN_SUMS), _part(table, EDIT_SUMS)], (runs, edits, source))[0]


def _column_sum(column: Any) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(column).as_py() or 0)


def _arrow(store: Store, sql: str) -> pa.Table:
    with store.locked() as con:
        return con.sql(sql).to_arrow_table()


def _prefix_fingerprint(store: Store, table: str, last: int | None) -> tuple[Any, ...]:
    """The fingerprint of ``table``'s rows of the ingestions up to ``last`` (what a rollup then saw)."""
    where = "FALSE" if last is None else f"ingest_id <= {int(last)}"
    with store.locked() as con:
        row = con.execute(
            f"SELECT count(*), bit_xor(content_hash), CAST(sum(ingest_id) AS BIGINT), max(ingest_id) FROM {table}"
            f" WHERE {where}"
        ).fetchall()[0]
    return tuple(row)


def appended(store: Store, old: tuple[Any, ...], runs: tuple[Any, ...], edits: tuple[Any, ...]) -> bool:
    """Whether the only change to the runs and edits since fingerprint ``old`` is rows of later ingestions."""
    if len(old) != 3 or len(old[0]) != 4 or len(old[1]) != 4 or old[2] is None or old[2][0] != "file":
        return False
    for table, was, now in (("runs", old[0], runs), ("edits", old[1], edits)):
        if tuple(was) == tuple(now):
            continue
        if now[0] < was[0] or _prefix_fingerprint(store, table, was[3]) != tuple(was):
            return False
    return True


def _extend(store: Store, by: str, old: Daily, fingerprint: tuple[Any, ...]) -> Daily | None:
    """``old`` with the runs and edits of the ingestions since added: the days they touch, summed again.

    Exactly the counts and integer sums of a full rebuild (the float sums to the last bits); None when
    the new rows do not add up to the change in counts (then the rollup is built from scratch).
    """
    import numpy as np

    runs_last, edits_last = old.fingerprint[0][3], old.fingerprint[1][3]
    runs_new = edits_new = None
    if tuple(fingerprint[0]) != tuple(old.fingerprint[0]):
        runs_new = _part(_arrow(store, _runs_sql(by, _since("ingest_id", runs_last))), RUN_SUMS)
        if int(runs_new.sums["runs"].sum()) != fingerprint[0][0] - old.fingerprint[0][0]:
            return None
    if tuple(fingerprint[1]) != tuple(old.fingerprint[1]):
        query = _edits_sql(by, _since("e.ingest_id", edits_last))
        edits_new = _part(_arrow(store, query), EDIT_SUMS)
        if int(edits_new.sums["edits"].sum()) != fingerprint[1][0] - old.fingerprint[1][0]:
            return None
    parts = [_Part(keys=old.names[old.group], day=old.day, sums=old.sums)]
    parts += [p for p in (runs_new, edits_new) if p is not None]
    rollup, placed = _combine(parts, fingerprint)
    if old.quantiles is not None:
        # the daily quantiles of the days without new runs stay; those of the days with new runs are redone
        quantiles = {name: np.full(len(rollup.day), np.nan) for name in QUANTILES}
        for name in QUANTILES:
            quantiles[name][placed[0]] = old.quantiles[name]
        if runs_new is not None and len(runs_new.day):
            first, last = int(runs_new.day.min()), int(runs_new.day.max())
            redo = (rollup.day >= first) & (rollup.day <= last)
            fresh = _day_quantiles(store, by, rollup, days=(first, last))
            for name in QUANTILES:
                quantiles[name][redo] = fresh[name][redo]
        rollup.quantiles = quantiles
    return rollup


def _day_quantiles(
    store: Store, by: str, rollup: Daily, days: tuple[int, int] | None = None
) -> dict[str, npt.NDArray[np.float64]]:
    """The daily medians and percentiles of the runs (of the days ``first..last``), aligned to the rollup's
    rows (NaN elsewhere): one query per measure."""
    import numpy as np
    import pyarrow.compute as pc

    index = {name: i for i, name in enumerate(rollup.names)}
    span = int(rollup.day.max() - rollup.day.min() + 1) if len(rollup.day) else 1
    origin = int(rollup.day.min()) if len(rollup.day) else 0
    codes = rollup.group * span + (rollup.day - origin)  # increasing: rows are ordered by group, day
    where = "TRUE"
    if days is not None:
        where = f"timestamp >= to_timestamp({days[0] * 86_400}) AND timestamp < to_timestamp({(days[1] + 1) * 86_400})"

    def build(measure: str) -> str:
        quantile = "[0.5, 0.95]" if measure == "latency_ms" else "0.5"
        return (
            f"SELECT {run_key_sql(by)} AS key, {_day_sql('timestamp')} AS day,"
            f" QUANTILE_CONT({measure}, {quantile}) AS q FROM runs WHERE {where} GROUP BY 1, 2"
        )

    out = {name: np.full(len(codes), np.nan) for name in QUANTILES}
    for measure, names in (("score", ("score_median",)), ("latency_ms", ("latency_p50", "latency_p95"))):
        if days is None:
            table = fetch(store, ("rollup_quantiles", by, measure), lambda m=measure: build(m))  # type: ignore[misc]
        else:
            table = _arrow(store, build(measure))
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
    metadata = {
        _FINGERPRINT_KEY: json.dumps([list(part) for part in rollup.fingerprint]).encode(),
        _WINDOWS_KEY: json.dumps(windows).encode(),
    }
    table = pa.table(columns).replace_schema_metadata(metadata)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> Daily | None:
    """The rollup saved at ``path`` (with the fingerprint of the data it summarised), None if unreadable."""
    import numpy as np
    import pyarrow.parquet as pq

    try:
        if not path.is_file():
            return None
        table = pq.read_table(path)
        metadata = table.schema.metadata or {}
        fingerprint = tuple(tuple(part) for part in json.loads(metadata[_FINGERPRINT_KEY]))
    except (OSError, ValueError, KeyError, TypeError):
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
        group=group.reshape(-1).astype("int64"),
        day=table["day"].to_numpy().astype("int64"),
        sums={
            c: table[c].to_numpy().astype("int64" if c in _INTEGER_SUMS else "float64") for c in RUN_SUMS + EDIT_SUMS
        },
        fingerprint=fingerprint,
        quantiles={c: table[c].to_numpy().astype("float64") for c in QUANTILES} if has_quantiles else None,
        windows=windows,
    )


def daily(store: Store, by: str, *, quantiles: bool = False) -> Daily:
    """The daily rollup of ``store`` per ``by`` group, current with the data (built or brought up to date).

    A rollup saved beside the store for the same runs, edits and measures file is read instead of built
    (the measures need no check then: it was built after they covered every edit). When the only change
    since a rollup (in the process or saved) is rows of later ingestions (a new file ingested), it is
    extended: the new rows are aggregated (and their edits measured) and added to the days they fall in.
    Anything else (records deleted or replaced, live capture into an ingestion already rolled up, the
    ``category`` grouping, whose edits take the agent's most frequent category) builds it from scratch,
    every edit measured first. With ``quantiles``, the daily medians and percentiles are there too.
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
        current = (runs, edits, source)
        old = rollups.get(by)
        if (old is None or old.fingerprint != current) and source is not None and source[0] == "file":
            saved = _read(path)
            old = saved if saved is not None and (old is None or saved.fingerprint == current) else old
        changed = old is None or old.fingerprint != current
        rollup = None if changed else old
        if old is not None and changed and by != "category" and appended(store, old.fingerprint, runs, edits):
            ensure_measured(store, table=False, since=old.fingerprint[1][3])
            rollup = _extend(store, by, old, (runs, edits, state["measured"]["source"]))
        if rollup is None:
            rollup = _build(store, by, runs, edits)
        rollups[by] = rollup
        if quantiles and rollup.quantiles is None:
            rollup.quantiles = _day_quantiles(store, by, rollup)
            changed = True
        if changed and rollup.fingerprint[2][0] == "file":  # measures held in memory only: so is the rollup
            _save(path, rollup)
        return rollup
