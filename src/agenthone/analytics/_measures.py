"""Per-edit measures (normalised edit distance, token counts), computed once and cached.

The edit distance is a Python computation (rapidfuzz over word tokens), not SQL, so computing it for 100k
edits on every summary would dominate the query. Each edit's measures are keyed by ``(id, content_hash)``
and kept in a Parquet file beside the store (``<store>.edit_measures.parquet``): outside DuckDB, so it
works when the store is open read-only, and stale entries can never be used for changed content. When the
folder is not writable the cache lives in memory only. Deleting the file is always safe.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from agenthone.text import normalized_edit_distances, word_tokens

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from agenthone.analytics._window import Window
    from agenthone.store import Store

__all__ = ["cache_path", "edit_measures", "edits_with_measures"]

_COLUMNS = ("id", "content_hash", "edit_distance", "tokens_ai", "tokens_final")
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


def edits_with_measures(store: Store, *, window: Window | None = None) -> ir.Table:
    """The edits table (in ``window``) with the cached measures joined on ``(id, content_hash)``."""
    import ibis

    measures = edit_measures(store, window=window)
    edits = store.table("edits")
    if window is not None:
        edits = window.filter(edits)
    m = ibis.memtable(measures)
    joined = edits.left_join(m, ["id", "content_hash"])
    return joined.select(*edits.columns, "edit_distance", "tokens_ai", "tokens_final")
