"""The MLflow run of a job (experiment ``agenthone/training``): started at submission, fed step metrics while
the job is synced, and finalised once with its summary metrics, tags, events, efficiency and curves."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.providers import CostEstimate, redact
from agenthone.training._efficiency import analyze_curves, plot_curves
from agenthone.training._gate import QualityGate
from agenthone.training._job import FAILED_GATE, Job, now

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.datasets import Dataset

__all__ = ["finalize_run", "log_step_metrics", "set_run_tag", "start_run"]


def start_run(
    settings: Settings,
    job_id: str,
    ds: Dataset,
    *,
    provider: str,
    method: str,
    base: str,
    hp: Mapping[str, Any],
    estimate: CostEstimate,
    agent: str | None,
    category: str | None,
    gate: QualityGate,
    experiment: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> str:
    """Create the job's run with its parameters; returns the run id.

    ``experiment`` (default ``agenthone/training``) and ``extra_tags`` place it elsewhere, e.g. as the child
    run of a tuning study (``mlflow.parentRunId``).
    """
    from mlflow.entities import Param, RunTag

    from agenthone import _mlflow

    client = _mlflow.client(settings)
    experiment_id = _mlflow.experiment_id(settings, experiment or _mlflow.EXPERIMENTS["training"])
    tags = {
        "agenthone.job_id": job_id,
        "agent": agent or "",
        "category": category or "",
        "provider": provider,
        "method": method,
        "dataset": ds.ref,
        "dataset_digest": ds.digest,
        "status": "validating_files",
        **dict(extra_tags or {}),
    }
    run = client.create_run(experiment_id, run_name=f"{ds.name}-{provider}-{method}-{job_id[-4:]}", tags=tags)
    params = {
        "provider": provider,
        "method": method,
        "base_model": base,
        "dataset": ds.ref,
        "dataset_name": ds.name,
        "dataset_version": ds.version,
        "dataset_digest": ds.digest,
        "train_examples": ds.counts.get("train"),
        "validation_examples": ds.counts.get("validation"),
        "estimated_cost_usd": round(estimate.usd, 4),
        "estimated_billed_tokens": estimate.billed_tokens,
        **{f"hp.{k}": v for k, v in hp.items()},
        **{f"gate.{k}": v for k, v in asdict(gate).items() if v is not None},
    }
    client.log_batch(
        run.info.run_id,
        params=[Param(k, redact(str(v))[:6000]) for k, v in params.items() if v is not None],
        tags=[RunTag("mlflow.note.content", f"fine-tuning job {job_id} on {ds.ref}")],
    )
    return str(run.info.run_id)


def set_run_tag(settings: Settings, job: Job, key: str, value: str) -> None:
    if not job.mlflow_run_id:
        return
    from agenthone import _mlflow

    _mlflow.client(settings).set_tag(job.mlflow_run_id, key, value)


def log_step_metrics(
    settings: Settings, run_id: str, points: Mapping[tuple[int, str], tuple[float, datetime | None]]
) -> None:
    """Log metric points keyed by (step, name), valued (value, time), in batches."""
    from mlflow.entities import Metric

    from agenthone import _mlflow

    client = _mlflow.client(settings)
    metrics = [
        Metric(name, value, int((when or now()).timestamp() * 1000), step)
        for (step, name), (value, when) in points.items()
    ]
    for start in range(0, len(metrics), 900):
        client.log_batch(run_id, metrics=metrics[start : start + 900])


def finalize_run(
    settings: Settings, job: Job, final: Mapping[str, float | None], *, metrics: pd.DataFrame, events: pd.DataFrame
) -> None:
    """Log the finished job's summary metrics, tags and artifacts, and end its run with a matching status."""
    from mlflow.entities import Metric, RunTag

    from agenthone import _mlflow

    client = _mlflow.client(settings)
    run_id = str(job.mlflow_run_id)
    stamp = int(now().timestamp() * 1000)
    summary = {f"final_{k}": v for k, v in final.items() if v is not None and not k.startswith("best_")}
    summary.update({k: v for k, v in final.items() if k.startswith("best_") and v is not None})
    if job.cost_usd is not None:
        summary["cost_usd"] = job.cost_usd
    if job.trained_tokens:
        summary["trained_tokens"] = float(job.trained_tokens)
    for key in ("train_runtime_s", "tokens_per_second", "peak_rss_mb"):
        value = job.details.get(key)
        if isinstance(value, (int, float)):
            summary[key] = float(value)
    report = analyze_curves(metrics, total_steps=job.details.get("total_steps"))
    if report.best_step is not None:
        summary["best_step"] = float(report.best_step)
        summary["compute_after_best"] = report.compute_after_best
    tags = [RunTag("status", job.status)]
    if job.gate:
        tags.append(RunTag("quality_gate", "passed" if job.gate.get("passed") else "failed"))
    if job.fine_tuned_model:
        tags.append(RunTag("fine_tuned_model", redact(job.fine_tuned_model)))
    if job.error:
        tags.append(RunTag("error", redact(job.error)[:5000]))
    client.log_batch(run_id, metrics=[Metric(k, float(v), stamp, 0) for k, v in summary.items()], tags=tags)
    lines = [
        json.dumps(
            {
                "created_at": str(r["created_at"]),
                "level": r["level"],
                "type": r["type"],
                "message": r["message"],
                "data": json.loads(r["data"]) if isinstance(r["data"], str) else None,
            },
            default=str,
        )
        for r in events.to_dict("records")
    ]
    client.log_text(run_id, redact("\n".join(lines) + "\n"), "events.jsonl")
    client.log_text(run_id, redact(json.dumps(job.as_dict(), indent=1, default=str)), "job.json")
    client.log_dict(run_id, report.as_dict(), "efficiency.json")
    if len(metrics) > 0:
        fig = plot_curves(metrics, analyze_curves(metrics), title=f"{job.job_id} ({job.provider} {job.method})")
        client.log_figure(run_id, fig, "curves.png")
    run_status = {"succeeded": "FINISHED", FAILED_GATE: "FINISHED", "cancelled": "KILLED"}.get(job.status, "FAILED")
    client.set_terminated(run_id, status=run_status)
