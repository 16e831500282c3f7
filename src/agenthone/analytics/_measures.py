"""Per-edit measures (normalised edit distance, token counts), computed once and cached.

The edit distance is a Python computation (rapidfuzz over word tokens), not SQL, so computing it for 100k
edits on every summary would dominate the query. Each edit's measures are keyed by ``(id, content_hash)``
and kept in a Parquet file beside the store (``<store>.edit_measures.parquet``): outside DuckDB, so it
works when the store is open read-only, and stale entries can never be used for changed content. When the
folder is not writable the cache lives in memory only. Deleting the file is always safe.

Queries read the measures from a temporary table on the store's connection, ``hone_measured_edits``: every
edit without its long texts, with its measures joined (:func:`ensure_measured`). It is built once per state
of the edits table, so a summary or a trend scans it instead of joining 100k measures on every call.
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
    "cache_path",
    "edit_measures",
    "edits_with_measures",
    "ensure_measured",
    "measured_edits_table",
]

MEASURED_TABLE = "hone_measured_edits"
_COLUMNS = ("id", "content_hash", "edit_distance", "tokens_ai", "tokens_final")
_TEXT_COLUMNS = ("prompt", "ai_output", "final_output", "metadata")
_memory: dict[Path, pd.DataFrame] = {}
_lock = threading.Lock()


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
                _memory[path] = df
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
    except OSError:
        tmp.unlink(missing_ok=True)


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


def edit_measures(store: Store, *, window: Window | None = None) -> pd.DataFrame:
    """Measures of every edit (in ``window``): ``id, content_hash, edit_distance, tokens_ai, tokens_final``.

    Edits not yet in the cache are computed and added; a repeat call costs one anti-join in DuckDB.
    """
    import ibis
    import pandas as pd

    path = cache_path(store)
    with _lock:
        cached = _load(path)
        edits = store.table("edits")
        if window is not None:
            edits = window.filter(edits)
        known = ibis.memtable(cached[["id", "content_hash"]])
        missing = edits.anti_join(known, ["id", "content_hash"]).select(
            "id", "content_hash", "ai_output", "final_output"
        )
        todo = missing.to_pandas()
        if len(todo):
            fresh = compute_measures(todo)
            cached = pd.concat([cached, fresh], ignore_index=True) if len(cached) else fresh
            _memory[path] = cached
            _save(path, cached)
    return cached


def _fingerprint(store: Store) -> tuple[Any, ...]:
    """Changes whenever an edit is added, removed or changed (count, xor of content hashes, ingestions)."""

    def build() -> ir.Expr:
        t = store.table("edits")
        return t.aggregate(n=t.count(), hashes=t.content_hash.bit_xor(), ingests=t.ingest_id.sum())

    return tuple(fetch(store, "edits_fingerprint", build).to_pylist()[0].values())


def measured_edits_table(store: Store) -> ir.Table:
    """The measured-edits table of :func:`ensure_measured` as an Ibis table (to build queries on)."""
    return store.ibis.table(MEASURED_TABLE, database=("temp", "main"))


def _covers(done: tuple[pd.Timestamp, pd.Timestamp] | None, bounds: tuple[pd.Timestamp, pd.Timestamp] | None) -> bool:
    return done is None or (bounds is not None and done[0] <= bounds[0] and bounds[1] <= done[1])


def ensure_measured(store: Store, *, window: Window | None = None) -> None:
    """Make the store's measured-edits table current and complete for ``window`` (all edits when None).

    The table (``temp.main.hone_measured_edits`` on the store's connection) holds every edit without its
    long texts, with the cached measures joined: queries read it instead of joining 100k measures on every
    call. It is rebuilt only when the edits change (a one-query fingerprint) or new edits were measured;
    a window is measured once per state of the edits, so a warm call costs one tiny query.
    """
    import ibis

    bounds = None if window is None else (window.start, window.end)
    with store.locked() as con:
        state = store_state(store)
        memo: dict[str, Any] = state.setdefault("measured", {"fingerprint": None, "measures": None, "covered": []})
        fingerprint = _fingerprint(store)
        if fingerprint != memo["fingerprint"]:
            memo["covered"] = []
        measures = memo["measures"]
        if not any(_covers(c, bounds) for c in memo["covered"]):
            measures = edit_measures(store, window=window)
            memo["covered"].append(bounds)
        if fingerprint == memo["fingerprint"] and measures is memo["measures"]:
            return
        edits = store.table("edits")
        kept = [c for c in edits.columns if c not in _TEXT_COLUMNS]
        joined = edits.left_join(ibis.memtable(measures), ["id", "content_hash"])
        # raw DDL: Ibis 12's drop_table / create_table(overwrite=True) write an invalid DROP with sqlglot 30
        con.execute(f"DROP TABLE IF EXISTS temp.main.{MEASURED_TABLE}")
        store.ibis.create_table(
            MEASURED_TABLE, joined.select(*kept, "edit_distance", "tokens_ai", "tokens_final"), temp=True
        )
        memo["fingerprint"], memo["measures"] = fingerprint, measures


def edits_with_measures(store: Store, *, window: Window | None = None) -> ir.Table:
    """The edits (in ``window``), without their long texts, with the cached measures of each."""
    ensure_measured(store, window=window)
    edits = measured_edits_table(store)
    return window.filter(edits) if window is not None else edits
