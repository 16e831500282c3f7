"""The training_run and model_comparison reports, executed with papermill like `hone report` does."""

from __future__ import annotations

from pathlib import Path

import nbformat

from agenthone import Workbench
from agenthone.config import Settings
from agenthone.evaluation import evaluate
from agenthone.registry import register
from agenthone.reports import run_report
from agenthone.training import JobManager
from tests.providers.stub_server import Stub
from tests.training.copy_task import write_dataset


def _text(notebook: Path) -> str:
    nb = nbformat.read(str(notebook), as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _has_figure(notebook: Path) -> bool:
    nb = nbformat.read(str(notebook), as_version=4)
    return any("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def test_reports_on_a_real_job(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        jobs = JobManager.open(wb)
        job = jobs.watch(jobs.submit("copy", provider="openai").job_id, interval=0.01)
        evaluate(job.job_id, "copy", settings=wb.settings, store=wb.store)
        evaluate(f"baseline:{job.job_id}", "copy", settings=wb.settings, store=wb.store)
        register(job.job_id, alias="champion", store=wb.store, settings=wb.settings)
    settings = Settings.load(workspace)

    result = run_report("training_run", {"job_id": job.job_id}, settings=settings)
    assert result.ok, result.error
    text = _text(result.notebook)
    assert f"job {job.job_id}: succeeded" in text and "best validation_loss" in text
    assert "successfully completed" in text and _has_figure(result.notebook)

    result = run_report("model_comparison", {}, settings=settings)  # defaults: champion vs its baseline
    assert result.ok, result.error
    text = _text(result.notebook)
    assert "candidate: models:/copy@champion" in text and f"baseline:  baseline:{job.job_id}" in text
    assert "edit_similarity" in text and _has_figure(result.notebook)


def test_reports_run_cleanly_on_a_workspace_without_jobs(sample_workspace: Path) -> None:
    settings = Settings.load(sample_workspace)
    result = run_report("training_run", {}, settings=settings)
    assert result.ok, result.error
    assert "nothing to report: no fine-tuning jobs yet" in _text(result.notebook)
    result = run_report("model_comparison", {}, settings=settings)
    assert result.ok, result.error
    assert "nothing to compare yet" in _text(result.notebook)
