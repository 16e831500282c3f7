"""Fixtures of the analytics tests: the small sample opened read-only, and small hand-built stores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def sample_store(sample_store_file: Path) -> Iterator[Any]:
    """The ingested small sample, read-only (analytics never write to the store)."""
    from agenthone.store import Store

    store = Store(sample_store_file, read_only=True)
    yield store
    store.close()


def make_store(path: Path, runs: Sequence[dict[str, Any]] = (), edits: Sequence[dict[str, Any]] = ()) -> Any:
    """A store holding exactly these records (inserted through the public API, validated)."""
    from agenthone.store import Store

    store = Store(path)
    if runs:
        store.insert("run", list(runs))
    if edits:
        store.insert("edit", list(edits))
    return store
