"""Per-edit measures (normalised edit distance, token counts), computed once and cached.

The edit distance is a Python computation (rapidfuzz over word tokens), not SQL, so computing it for 100k
edits on every summary would dominate the query. Each edit's measures are keyed by ``(id, content_hash)``
and kept in a Parquet file beside the store (``<store>.edit_measures.parquet``): outside DuckDB, so it
works when the store is open read-only, and stale entries can never be used for changed content. When the
folder is not writable the cache lives in memory only. Deleting the file is always safe.

Queries read the measures through a temporary view on the store's connection, ``hone_edit_measures``: over
the cache file itself when it holds every edit asked for (DuckDB reads the Parquet file; a fresh process
never loads the measures into pandas), over the in-memory frame otherwise. Comparisons read a temporary
table, ``hone_measured_edits``: every edit without its long texts, with its measures joined
(:func:`ensure_measured`), built once per state of the edits table.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.analytics._query import fetch, store_state
from agenthone.text import normalized_edit_distances, word_tokens

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from agenthone.analytics._window import Window
    from agenthone.store import Store

__all__ = [
    "MEASURED_TABLE",
    "MEASURES_VIEW",
    "cache_path",
    "covered_by_file",
    "edit_measures",
    "edits_fingerprint",
    "edits_with_measures",
    "ensure_measured",
    "file_token",
    "measured_edits_table",
    "measures_table",
    "view_file",
]

MEASURED_TABLE = "hone_measured_edits"
MEASURES_VIEW = "hone_edit_measures"
_COLUMNS = ("id", "content_hash", "edit_distance", "tokens_ai", "tokens_final")
_TEXT_COLUMNS = ("prompt", "ai_output", "final_output", "metadata")
_memory: dict[Path, pd.DataFrame] = {}
_on_disk: dict[Path, pd.DataFrame] = {}
"""The frame of ``_memory`` the cache file holds, when it was read from or written to the file."""
_lock = threading.RLock()


def cache_path(store: Store) -> Path:
    """Where the per-edit measures of ``store`` are cached."""
    return store.path.with_name(store.path.stem + ".edit_measures.parquet")


def _load(path: Path) -> pd.DataFrame:
    import pandas as pd

    cached = _memory.get(path)
    if cached is not None:
        return cached
    if path.exists():
        try:
            df = pd.read_parquet(path)
            if tuple(df.columns) == _COLUMNS:
                _memory[path] = _on_disk[path] = df
                return df
        except (OSError, ValueError):
            pass
    df = pd.DataFrame(
        {
            "id": pd.Series([], dtype="string"),
            "content_hash": pd.Series([], dtype="uint64"),
            "edit_distance": pd.Series([], dtype="float64"),
            "tokens_ai": pd.Series([], dtype="int64"),
            "tokens_final": pd.Series([], dtype="int64"),
        }
    )
    _memory[path] = df
    return df


def _save(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        tmp.replace(path)
        _on_disk[path] = df
    except OSError:
        tmp.unlink(missing_ok=True)
        _on_disk.pop(path, None)


def compute_measures(edits: pd.DataFrame) -> pd.DataFrame:
    """Measures of edits given with ``id, content_hash, ai_output, final_output`` columns."""
    import pandas as pd

    ai = edits["ai_output"].tolist()
    final = edits["final_output"].tolist()
    return pd.DataFrame(
        {
            "id": edits["id"].astype("string").to_numpy(),
            "content_hash": edits["content_hash"].astype("uint64").to_numpy(),
            "edit_distance": normalized_edit_distances(zip(ai, final, strict=True)),
            "tokens_ai": [len(word_tokens(a)) for a in ai],
            "tokens_final": [len(word_tokens(b)) for b in final],
        }
    )


def edit_measures(store: Store, *, window: Window | None = None, since: int | None = None) -> pd.DataFrame:
    """Measures of every edit (in ``window``): ``id, content_hash, edit_distance, tokens_ai, tokens_final``.

    Edits not yet in the cache are computed and added; a repeat call costs one anti-join in DuckDB. With
    ``since`` (an ingestion id), only the edits of later ingestions are looked for.
    """
    import pandas as pd

    path = cache_path(store)
    with _lock:
        cached = _load(path)
        where = []
        if window is not None:
            where.append(
                f"e.timestamp >= {_sql_string(window.start.isoformat())}::TIMESTAMPTZ"
                f" AND e.timestamp < {_sql_string(window.end.isoformat())}::TIMESTAMPTZ"
            )
        if since is not None:
            where.append(f"e.ingest_id > {int(since)}")
        with store.locked() as con:
            con.register("hone_known_measures", cached[["id", "content_hash"]])
            try:
                todo = con.execute(
                    "SELECT e.id, e.content_hash, e.ai_output, e.final_output FROM edits e"
                    " ANTI JOIN hone_known_measures k ON e.id = k.id AND e.content_hash = k.content_hash"
                    + (" WHERE " + " AND ".join(where) if where else "")
                ).df()
            finally:
                con.unregister("hone_known_measures")
        if len(todo):
            fresh = compute_measures(todo)
            cached = pd.concat([cached, fresh], ignore_index=True) if len(cached) else fresh
            _memory[path] = cached
            _save(path, cached)
        elif _on_disk.get(path) is not cached:  # nothing to measure: the file still says so (once)
            _save(path, cached)
    return cached


def _fingerprint(store: Store) -> tuple[Any, ...]:
    """Changes whenever an edit is added, removed or changed (count, xor of content hashes, sum and last of
    the ingestion ids)."""

    def build() -> str:  # SQL, not Ibis: every call asks it first (see agenthone.analytics._query.fetch)
        return (
            "SELECT count(*) AS n, bit_xor(content_hash) AS hashes, CAST(sum(ingest_id) AS BIGINT) AS ingests,"
            " max(ingest_id) AS last FROM edits"
        )

    return tuple(fetch(store, "edits_fingerprint", build).to_pylist()[0].values())


def edits_fingerprint(store: Store) -> tuple[Any, ...]:
    """A value that changes whenever an edit is added, removed or changed."""
    return _fingerprint(store)


def file_token(store: Store) -> tuple[Any, ...] | None:
    """The state of the cache file (modification time and size), None when there is none."""
    try:
        stat = cache_path(store).stat()
    except OSError:
        return None
    return ("file", stat.st_mtime_ns, stat.st_size)


def measured_edits_table(store: Store) -> ir.Table:
    """The measured-edits table of :func:`ensure_measured` as an Ibis table (to build queries on)."""
    return store.ibis.table(MEASURED_TABLE, database=("temp", "main"))


def measures_table(store: Store) -> ir.Table:
    """The per-edit measures (``id, content_hash, edit_distance, tokens_ai, tokens_final``) as an Ibis table.

    A view on the store's connection, current after :func:`ensure_measured` with ``table=False``.
    """
    return store.ibis.table(MEASURES_VIEW, database=("temp", "main"))


def _covers(done: tuple[pd.Timestamp, pd.Timestamp] | None, bounds: tuple[pd.Timestamp, pd.Timestamp] | None) -> bool:
    return done is None or (bounds is not None and done[0] <= bounds[0] and bounds[1] <= done[1])


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_covers(store: Store, path: Path, window: Window | None, since: int | None = None) -> bool:
    """Whether the cache file holds the measures of every edit (of ``window``; of the ingestions after
    ``since``), asked of DuckDB (no pandas)."""
    import duckdb

    where = ""
    if window is not None:
        where = (
            f" WHERE e.timestamp >= {_sql_string(window.start.isoformat())}::TIMESTAMPTZ"
            f" AND e.timestamp < {_sql_string(window.end.isoformat())}::TIMESTAMPTZ"
        )
    if since is not None:
        where += (" AND" if where else " WHERE") + f" e.ingest_id > {int(since)}"
    try:
        row = store.connection.execute(
            f"SELECT count(*) FROM edits e ANTI JOIN read_parquet({_sql_string(str(path))}) m"
            f" USING (id, content_hash){where}"
        ).fetchall()
    except duckdb.Error:  # an unreadable or foreign file: measure through pandas instead
        return False
    return int(row[0][0]) == 0


def _measure(store: Store, window: Window | None, since: int | None = None) -> tuple[Any, ...]:
    """Measure what the window lacks; point the measures view at the cache file or the in-memory frame.

    Returns a token that changes whenever the view's content may have changed.
    """
    path = cache_path(store)
    con = store.connection
    with _lock:
        on_file = path not in _memory and path.is_file()
        if on_file and (
            _append_to_file(store, path, since)  # the edits of new ingestions: measured into the file
            if since is not None and window is None
            else _file_covers(store, path, window, since)
        ):
            frame = None
        else:
            frame = edit_measures(store, window=window, since=since)
            if _on_disk.get(path) is not frame:  # not written (read-only folder): the view reads the frame
                con.register(f"{MEASURES_VIEW}_frame", frame)
                con.execute(f"CREATE OR REPLACE TEMP VIEW {MEASURES_VIEW} AS SELECT * FROM {MEASURES_VIEW}_frame")
                return ("memory", id(frame), len(frame))
        token = file_token(store)
        # DuckDB reads the Parquet file itself, typed as pandas wrote it
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {MEASURES_VIEW} AS SELECT * FROM read_parquet({_sql_string(str(path))})"
        )
        return token or ("file", 0, 0)


def _append_to_file(store: Store, path: Path, since: int) -> bool:
    """Measure the edits of the ingestions after ``since`` missing from the cache file and write the file
    again with them added, by DuckDB (the cached measures never loaded into pandas). False when the file
    could not be read or written (the caller measures through pandas then)."""
    import duckdb

    source = _sql_string(str(path))
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with store.locked() as con:
        try:
            todo = con.execute(
                "SELECT e.id, e.content_hash, e.ai_output, e.final_output FROM edits e"
                f" ANTI JOIN read_parquet({source}) m ON e.id = m.id AND e.content_hash = m.content_hash"
                f" WHERE e.ingest_id > {int(since)}"
            ).df()
            if not len(todo):
                return True
            con.register("hone_fresh_measures", compute_measures(todo))
            try:
                types = zip(_COLUMNS, ("VARCHAR", "UBIGINT", "DOUBLE", "BIGINT", "BIGINT"), strict=True)
                columns = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types)
                con.execute(
                    f"COPY (SELECT {columns} FROM read_parquet({source}) UNION ALL"
                    f" SELECT {columns} FROM hone_fresh_measures) TO {_sql_string(str(tmp))} (FORMAT parquet)"
                )
            finally:
                con.unregister("hone_fresh_measures")
            tmp.replace(path)
        except (duckdb.Error, OSError):
            tmp.unlink(missing_ok=True)
            return False
    _on_disk.pop(path, None)
    return True


def view_file(store: Store) -> tuple[Any, ...] | None:
    """Point the measures view at the cache file as it is, unchecked; its token (None without a file).

    For a caller that checks coverage itself in the query it runs anyway (edits left without a measure by
    the view) and then calls :func:`covered_by_file`, saving the anti-join of :func:`ensure_measured`.
    """
    path = cache_path(store)
    with _lock, store.locked() as con:
        if path in _memory or not path.is_file():
            return None
        token = file_token(store)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {MEASURES_VIEW} AS SELECT * FROM read_parquet({_sql_string(str(path))})"
        )
        return token


def covered_by_file(store: Store, fingerprint: tuple[Any, ...], token: tuple[Any, ...]) -> None:
    """Record that the view of :func:`view_file` (``token``) measures every edit of this ``fingerprint``."""
    memo = store_state(store).setdefault(
        "measured", {"fingerprint": None, "source": None, "covered": [], "table": None}
    )
    memo.update(fingerprint=fingerprint, source=token, covered=[None])


def ensure_measured(
    store: Store, *, window: Window | None = None, table: bool = True, since: int | None = None
) -> None:
    """Make the store's measures current and complete for ``window`` (all edits when None).

    Edits of the window without cached measures are measured (and the cache file updated); the measures
    view (:func:`measures_table`) then holds every edit of the window. With ``table`` (the default), the
    measured-edits table (``temp.main.hone_measured_edits``: every edit without its long texts, with its
    measures joined) is made current too. Both are rebuilt only when the edits change (a one-query
    fingerprint) or new edits were measured: a warm call costs one tiny query. With ``since`` (an ingestion
    id; without ``window`` or ``table``), only the edits of later ingestions are made sure of: the daily
    rollup extended with new data needs no more.
    """
    bounds = None if window is None else (window.start, window.end)
    with store.locked() as con:
        state = store_state(store)
        memo: dict[str, Any] = state.setdefault(
            "measured", {"fingerprint": None, "source": None, "covered": [], "table": None}
        )
        fingerprint = _fingerprint(store)
        if fingerprint != memo["fingerprint"]:
            memo["covered"] = []
            memo["fingerprint"] = fingerprint
        if since is not None and not table and window is None:
            if not any(c is None for c in memo["covered"]):
                memo["source"] = _measure(store, None, since)
            return
        if memo["source"] is None or not any(_covers(c, bounds) for c in memo["covered"]):
            memo["source"] = _measure(store, window)
            memo["covered"].append(bounds)
        if not table or memo["table"] == (fingerprint, memo["source"]):
            return
        kinds = [c for c in store.table("edits").columns if c not in _TEXT_COLUMNS]
        kept = ", ".join(f'e."{c}"' for c in kinds)
        con.execute(f"DROP TABLE IF EXISTS temp.main.{MEASURED_TABLE}")
        con.execute(
            f"CREATE TEMP TABLE {MEASURED_TABLE} AS SELECT {kept}, m.edit_distance, m.tokens_ai, m.tokens_final"
            f" FROM edits e LEFT JOIN temp.main.{MEASURES_VIEW} m ON e.id = m.id AND e.content_hash = m.content_hash"
        )
        memo["table"] = (fingerprint, memo["source"])


def edits_with_measures(store: Store, *, window: Window | None = None) -> ir.Table:
    """The edits (in ``window``), without their long texts, with the cached measures of each."""
    ensure_measured(store, window=window)
    edits = measured_edits_table(store)
    return window.filter(edits) if window is not None else edits
