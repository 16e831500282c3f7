"""The quality report: documented score formula, distributions, balance, gaps, figures, report notebook."""

from __future__ import annotations

import math
from typing import Any

import pytest
from matplotlib.figure import Figure

from agenthone.datasets import QUALITY_FORMULA
from agenthone.datasets._quality import WEIGHTS


def test_score_follows_its_formula(built: dict[str, Any]) -> None:
    q = built["dataset"].quality()
    m = q.as_dict()
    c = m["score"]["components"]
    assert q.score == pytest.approx(sum(WEIGHTS[k] * v for k, v in c.items()), abs=1e-3)
    assert 0 <= q.score <= 1 and all(0 <= v <= 1 for v in c.values())
    assert c["completeness"] == pytest.approx(sum(m["completeness"]["fields"].values()) / 6, abs=1e-3)
    assert c["uniqueness"] == 1.0  # deduplicated
    assert c["size"] == pytest.approx(min(1.0, math.log10(m["counts"]["splits"]["train"]) / 3), abs=1e-3)
    assert m["score"]["formula"] == QUALITY_FORMULA
    assert "0.25*completeness" in QUALITY_FORMULA


def test_report_contents(built: dict[str, Any]) -> None:
    ds = built["dataset"]
    q = ds.quality()
    m = q.as_dict()
    assert m["counts"]["splits"] == ds.counts
    assert set(m["tokens"]["train"]) == {"min", "max", "mean", "median", "p10", "p90"}
    assert m["turns"]["max"] >= 3  # conversations are multi-turn
    assert m["balance"]["agents"]["values"] >= 15
    assert 0 < m["balance"]["agents"]["largest_share"] < 0.5
    assert m["duplicates"]["exact_removed"] == ds.manifest["cleaning"]["exact_duplicates"] > 0
    assert m["duplicates"]["near_removed"] == ds.manifest["cleaning"]["near_duplicates"] > 0
    assert m["pii"] == ds.manifest["cleaning"]["pii"]
    assert 0 < m["edits"]["acceptance_rate"] < 1
    assert m["edits"]["edit_distance"]["max"] <= 1
    assert 0 < m["diversity"]["distinct_2"] <= 1 and m["diversity"]["clusters"] >= 2
    assert m["readiness"] in ("ready", "ready with warnings")
    frame = q.frame()
    assert {"quality score", "readiness", "exact duplicate ratio"} <= set(frame["metric"])
    figures = q.figures()
    assert {"tokens", "turns", "balance", "cleaning", "clusters", "edit_distance"} <= set(figures)
    assert all(isinstance(f, Figure) for f in figures.values())
    assert len(q.examples) == sum(ds.counts.values())


def test_recommendations_on_a_skewed_small_dataset(sample_workspace: Any) -> None:
    from agenthone.config import Settings
    from agenthone.datasets import DatasetSpec, build_dataset

    settings = Settings.load(sample_workspace)
    spec = DatasetSpec(
        name="tiny",
        sources=("edits",),
        agents=("vuln-scanner",),
        max_samples=30,
        redact_pii=False,
        formats=("openai-chat",),
    )
    q = build_dataset(spec, settings=settings, log_to_mlflow=False).quality()
    text = " ".join(q.recommendations)
    assert "OpenAI suggests starting with 50-100" in text
    assert q.readiness != "ready"
    assert q.as_dict()["balance"]["agents"]["normalised_entropy"] is None  # one agent: no balance to measure


def test_dataset_quality_report_notebook(built: dict[str, Any]) -> None:
    from agenthone.reports import run_report

    result = run_report("dataset_quality", {"dataset": "demo@v1"}, settings=built["settings"])
    assert result.ok, result.error
    html = result.html.read_text(encoding="utf-8") if result.html else ""
    assert "demo@v1" in html and "Quality score" in html and "Recommendations" in html
