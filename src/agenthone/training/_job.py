"""A fine-tuning job as the store records it: the ``Job`` record, its statuses, and row conversion."""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from agenthone._process import pid_alive
from agenthone.config import Settings
from agenthone.errors import HoneError
from agenthone.providers import TERMINAL_STATUSES

__all__ = ["FAILED_GATE", "FINAL_STATUSES", "Job", "JobNotFoundError"]

FAILED_GATE = "failed_gate"
FINAL_STATUSES: frozenset[str] = TERMINAL_STATUSES | {FAILED_GATE}
"""Statuses after which a job changes no more (``failed_gate``: succeeded but missed the quality gate)."""

SUBMISSION_TIMEOUT_S = 6 * 3600.0
"""After this long without a provider job, a job's submission is taken as dead whatever became of its process."""


class JobNotFoundError(HoneError):
    """No job with that id is recorded in the store."""


@dataclass(frozen=True)
class Job:
    """A fine-tuning job as recorded in the store."""

    job_id: str
    provider: str
    provider_job_id: str | None
    status: str
    provider_status: str | None
    method: str
    base_model: str | None
    fine_tuned_model: str | None
    dataset_name: str | None
    dataset_version: str | None
    dataset_digest: str | None
    agent_name: str | None
    category: str | None
    hyperparameters: dict[str, Any]
    files: dict[str, Any]
    cost_estimate: dict[str, Any]
    estimated_cost_usd: float | None
    cost_usd: float | None
    trained_tokens: int | None
    gate: dict[str, Any]
    error: str | None
    mlflow_run_id: str | None
    workdir: str | None
    details: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None
    finalized_at: datetime | None

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES and self.finalized_at is not None

    @property
    def dataset_ref(self) -> str:
        return f"{self.dataset_name}@{self.dataset_version}"

    @property
    def gate_passed(self) -> bool | None:
        return self.gate.get("passed") if self.gate else None

    @property
    def registrable(self) -> bool:
        """Succeeded and met its quality gate (``failed_gate`` needs ``force``)."""
        return self.status == "succeeded" and bool(self.fine_tuned_model)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("created_at", "updated_at", "finished_at", "finalized_at"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


_NAT: Any = object()
_JSON_COLUMNS = ("hyperparameters", "files", "cost_estimate", "gate", "details")


def row_to_job(row: Mapping[str, Any]) -> Job:
    values = dict(row)
    for key in _JSON_COLUMNS:
        raw = values.get(key)
        values[key] = json.loads(raw) if isinstance(raw, str) and raw else (raw or {})
    for key in ("estimated_cost_usd", "cost_usd"):
        if values.get(key) is not None and isinstance(values[key], float) and math.isnan(values[key]):
            values[key] = None
    if values.get("trained_tokens") is not None:
        try:
            values["trained_tokens"] = int(values["trained_tokens"])
        except (TypeError, ValueError):
            values["trained_tokens"] = None
    for key in ("created_at", "updated_at", "finished_at", "finalized_at"):
        value = values.get(key)
        if value is not None and (value is _NAT or str(value) == "NaT"):
            value = None
        if value is not None and hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        if value is not None and not isinstance(value, datetime):
            value = None
        values[key] = value
    names = Job.__dataclass_fields__
    kwargs: dict[str, Any] = {k: (None if _is_nan(values.get(k)) else values.get(k)) for k in names}
    return Job(**kwargs)


def sql_value(key: str, value: Any) -> Any:
    """``value`` as the ``jobs`` column ``key`` stores it (JSON columns as text)."""
    if key in _JSON_COLUMNS:
        return json.dumps(value, default=str) if value is not None else None
    return value


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def training_section(settings: Settings) -> dict[str, Any]:
    """``[training]`` of hone.toml (job defaults, gate thresholds, polling intervals)."""
    section = settings.extra.get("training", {})
    return dict(section) if isinstance(section, dict) else {}


def now() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return f"ftjob-{now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def submitter() -> dict[str, Any]:
    """This process, as recorded on the jobs it submits (so that a watcher can tell a submission that died)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def interrupted_submission(job: Job, *, timeout_s: float = SUBMISSION_TIMEOUT_S) -> str | None:
    """Why ``job`` will never reach its provider (its submission died on the way), or None while it still may."""
    if job.provider_job_id is not None or job.status not in ("validating_files", "queued"):
        return None
    recorded = job.details.get("submitter") or {}
    pid, host = recorded.get("pid"), recorded.get("host")
    if isinstance(pid, int) and host == socket.gethostname() and not pid_alive(pid):
        return f"submission was interrupted: its process {pid} on {host} is gone"
    if job.created_at is not None and (now() - job.created_at).total_seconds() > timeout_s:
        return f"submission was interrupted: no provider job after {timeout_s / 3600:g} h"
    return None
