"""The job rows in the store: lookup by id, prefix or provider id; events and step metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenthone.providers import JobEvent
from agenthone.training import JobNotFoundError
from agenthone.training._records import JobRecords

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _row(job_id: str, minutes: int, **values: Any) -> dict[str, Any]:
    created = T0 + timedelta(minutes=minutes)
    return {
        "job_id": job_id,
        "provider": "openai",
        "status": "running",
        "method": "sft",
        "hyperparameters": {"epochs": 3},
        "details": {"step": 2},
        "created_at": created,
        "updated_at": created,
        **values,
    }


def test_jobs_are_found_by_id_prefix_or_provider_id(store: Any) -> None:
    records = JobRecords(store)
    with pytest.raises(JobNotFoundError, match="no fine-tuning jobs yet"):
        records.get()
    records.insert(_row("ftjob-a1", 0, provider_job_id="ftjob-remote-9", status="succeeded", cost_usd=float("nan")))
    records.insert(_row("ftjob-a2", 1))
    assert records.get().job_id == "ftjob-a2"  # the latest
    first = records.get("ftjob-remote-9")
    assert first.job_id == "ftjob-a1" and first.hyperparameters == {"epochs": 3} and first.cost_usd is None
    assert first.created_at == T0 and first.finished_at is None
    assert records.get("ftjob-a2").details == {"step": 2}
    with pytest.raises(JobNotFoundError, match=r"ambiguous: ftjob-a1, ftjob-a2"):
        records.get("ftjob-a")
    with pytest.raises(JobNotFoundError, match=r"no job 'nope' \(latest: ftjob-a2, ftjob-a1\)"):
        records.get("nope")
    assert [j.job_id for j in records.list(status="succeeded")] == ["ftjob-a1"]
    records.update("ftjob-a2", status="failed", details={"step": 5})
    assert [j.job_id for j in records.list(status="failed", limit=1)] == ["ftjob-a2"]
    assert records.get("ftjob-a2").details == {"step": 5}


def test_events_and_metrics_are_recorded_once(store: Any) -> None:
    records = JobRecords(store)
    records.insert(_row("ftjob-b1", 0))
    records.add_event("ftjob-b1", "first")
    records.add_event("ftjob-b1", "second", level="warn", data={"n": 1})
    provider_events = [JobEvent(f"ev-{i}", T0 + timedelta(seconds=i), "info", f"step {i}") for i in range(3)]
    assert records.add_provider_events("ftjob-b1", provider_events) == 3
    assert records.add_provider_events("ftjob-b1", provider_events) == 0
    events = records.events("ftjob-b1")
    assert sorted(events["event_id"]) == ["hone-0001", "hone-0002", "p-ev-0", "p-ev-1", "p-ev-2"]

    points = {(0, "validation_loss"): (2.0, T0), (1, "train_loss"): (1.5, None), (2, "validation_loss"): (1.0, None)}
    records.add_metrics("ftjob-b1", points)
    records.add_metrics("ftjob-b1", {(0, "validation_loss"): (9.0, T0)})  # already recorded: kept as it was
    assert records.metric_keys("ftjob-b1") == set(points)
    wide = records.metrics("ftjob-b1")
    assert wide["step"].tolist() == [0, 1, 2]
    assert wide["validation_loss"].dropna().tolist() == [2.0, 1.0]
    assert records.metrics("ftjob-other").columns.tolist() == ["step"]
