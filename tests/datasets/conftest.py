"""A dataset built once per test session (per xdist worker) from the small sample, shared read-only."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def built(sample_store_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A workspace holding the small sample and the dataset ``demo`` built from edits and conversations.

    Yields ``{"home", "settings", "dataset"}``; tests must not change the dataset (exports on demand are fine).
    """
    from agenthone.config import Settings
    from agenthone.datasets import DatasetSpec, build_dataset

    home = tmp_path_factory.mktemp("built-ws")
    (home / "data").mkdir()
    shutil.copyfile(sample_store_file, home / "data" / "agenthone.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("HONE_") or name == "MLFLOW_TRACKING_URI":
                mp.delenv(name)
        settings = Settings.load(home)
        ds = build_dataset(DatasetSpec(name="demo", sources=("edits", "conversations")), settings=settings)
        yield {"home": home, "settings": settings, "dataset": ds}


def scan_for(values: list[str], paths: list[Path]) -> list[tuple[str, str]]:
    """(value, file) for every value found verbatim in any of the files."""
    found = []
    for path in paths:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            text = str(pq.read_table(path).to_pylist())
        else:
            text = path.read_text(encoding="utf-8")
        found.extend((v, path.name) for v in values if v in text)
    return found
