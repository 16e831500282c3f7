"""``hone report --keep N``: older executions of a report are pruned, anything else is left alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.reports import ReportError, prune_reports, run_report


def test_prune_keeps_the_newest_executions_only(workspace: Path) -> None:
    settings = Settings.load(workspace)
    base = settings.reports_dir / "weekly"
    runs = []
    for i, stamp in enumerate(("2026-11-02T06-15-00Z", "2026-11-09T06-15-00Z", "2026-11-16T06-15-00Z")):
        folder = base / stamp
        folder.mkdir(parents=True)
        (folder / "weekly.ipynb").write_text("{}")
        os.utime(folder / "weekly.ipynb", (1_000_000 + i, 1_000_000 + i))
        runs.append(folder)
    (base / "notes").mkdir()  # not an execution: never removed
    assert prune_reports(settings, "weekly", keep=2) == [runs[0]]
    assert sorted(p.name for p in base.iterdir()) == ["2026-11-09T06-15-00Z", "2026-11-16T06-15-00Z", "notes"]
    assert prune_reports(settings, "weekly", keep=5) == []
    assert prune_reports(settings, "never-run", keep=1) == []
    with pytest.raises(ReportError, match="keep must be at least 1"):
        prune_reports(settings, "weekly", keep=0)
    with pytest.raises(ReportError, match="keep must be at least 1"):
        run_report("weekly", settings=settings, keep=0)
