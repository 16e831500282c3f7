"""Every notebook under notebooks/ runs cleanly, with its default parameters, on small sample data."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.reports import run_report

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").rglob("*.ipynb"))


def test_there_are_notebooks() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"quickstart", "workspace_overview"} <= names


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_sample_data(notebook: Path, sample_workspace: Path) -> None:
    settings = Settings.load(sample_workspace)
    result = run_report(notebook.stem, settings=settings, notebook=notebook, timeout=600)
    assert result.ok, f"{notebook.name}: cell {result.failed_cell} failed: {result.error} (see {result.notebook})"
    assert result.html is not None and result.html.stat().st_size > 10_000
