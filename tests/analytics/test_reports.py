"""Both report notebooks run on the sample workspace with their default parameters, and with parameters."""

from __future__ import annotations

from pathlib import Path

from agenthone.config import Settings
from agenthone.reports import run_report


def test_agent_performance_report(sample_workspace: Path) -> None:
    result = run_report("agent_performance", {}, settings=Settings.load(sample_workspace))
    assert result.ok, result.error
    html = result.html.read_text(encoding="utf-8") if result.html else ""
    assert "Regression alerts" in html and "ALERT" in html and "<img" in html


def test_edit_insights_report(sample_workspace: Path) -> None:
    result = run_report("edit_insights", {"agent": "meeting-summarizer"}, settings=Settings.load(sample_workspace))
    assert result.ok, result.error
    html = result.html.read_text(encoding="utf-8") if result.html else ""
    assert "Let me analyze this." in html and "<del" in html
