"""Every exploration notebook under notebooks/ and every report notebook shipped with the package runs
cleanly, with its default parameters, on small sample data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.reports import run_report

EXPLORATION = sorted((Path(__file__).resolve().parents[1] / "notebooks").rglob("*.ipynb"))
SHIPPED = sorted(Path(str(resources.files("agenthone.reports") / "notebooks")).glob("*.ipynb"))
NOTEBOOKS = EXPLORATION + SHIPPED


def test_there_are_notebooks() -> None:
    assert "quickstart" in {p.stem for p in EXPLORATION}
    assert "workspace_overview" in {p.stem for p in SHIPPED}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_sample_data(notebook: Path, sample_workspace: Path) -> None:
    settings = Settings.load(sample_workspace)
    result = run_report(notebook.stem, settings=settings, notebook=notebook, timeout=600)
    assert result.ok, f"{notebook.name}: cell {result.failed_cell} failed: {result.error} (see {result.notebook})"
    assert result.html is not None and result.html.stat().st_size > 10_000
