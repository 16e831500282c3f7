"""Tracked fine-tuning jobs: submit (behind a cost guard), poll with backoff, gate, cancel.

Every job is a row in the store's ``jobs`` table and an MLflow run in ``agenthone/training``. Polling
is stateless: whichever process calls :meth:`JobManager.refresh` (the CLI, a notebook, a restarted
watcher) reads what the provider has reported since the last sync, appends it to the store and to the
MLflow run, and finalises the job once it is done. A restart therefore loses nothing.
"""

from __future__ import annotations

import builtins
import json
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.datasets import load
from agenthone.errors import ConfigError, HoneError, StoreError
from agenthone.providers import (
    SCRATCH,
    TERMINAL_STATUSES,
    CostEstimate,
    JobRequest,
    Provider,
    ProviderError,
    ProviderJob,
    get_provider,
    redact,
)
from agenthone.training._efficiency import EfficiencyReport, analyze_curves, plot_curves
from agenthone.training._tables import ensure_job_tables, job_tables_exist

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.store import Store

__all__ = [
    "DEFAULT_BASE_MODELS",
    "FINAL_STATUSES",
    "CostLimitError",
    "GateResult",
    "Job",
    "JobManager",
    "JobNotFoundError",
    "QualityGate",
    "watch_job",
]

FAILED_GATE = "failed_gate"
FINAL_STATUSES: frozenset[str] = TERMINAL_STATUSES | {FAILED_GATE}
"""Statuses after which a job changes no more (``failed_gate``: succeeded but missed the quality gate)."""

DEFAULT_BASE_MODELS: dict[str, str] = {"local": SCRATCH, "openai": "gpt-4o-mini-2024-07-18"}

_HYPERPARAMETER_KEYS = (
    "epochs", "learning_rate", "learning_rate_multiplier", "batch_size", "beta", "max_length", "peft",
    "lora_r", "lora_alpha", "lora_dropout", "max_steps", "eval_steps", "logging_steps", "warmup_steps",
    "weight_decay", "lr_scheduler", "max_eval_examples", "threads", "activation_checkpointing",
)  # fmt: skip
"""Hyperparameters read from ``[training]`` in hone.toml when not given."""


class CostLimitError(HoneError):
    """A job's estimated cost is above the limit; nothing was uploaded or created."""

    def __init__(self, estimate: CostEstimate, limit: float) -> None:
        price = f"${estimate.usd_per_million_tokens:g}/1M tokens" if estimate.usd_per_million_tokens else "?"
        super().__init__(
            f"refused: estimated cost ${estimate.usd:,.2f} ({estimate.billed_tokens:,} billed tokens = "
            f"{estimate.dataset_tokens:,} tokens x {estimate.epochs} epochs at {price} for {estimate.base_model}) "
            f"exceeds the limit of ${limit:,.2f} (max_training_cost_usd; raise it with --max-cost)"
        )
        self.estimate = estimate
        self.limit = limit


class JobNotFoundError(HoneError):
    """No job with that id is recorded in the store."""


@dataclass(frozen=True)
class GateResult:
    """Whether a finished job met its quality thresholds, and why not."""

    passed: bool
    thresholds: dict[str, float]
    values: dict[str, float | None]
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QualityGate:
    """Thresholds a job's final validation metrics must meet before its model may be registered."""

    min_validation_accuracy: float | None = None
    max_validation_loss: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: float | None) -> QualityGate:
        section = _training_section(settings)
        values: dict[str, float | None] = {}
        for name in ("min_validation_accuracy", "max_validation_loss"):
            value = overrides.get(name)
            if value is None:
                value = section.get(name)
            if value is not None:
                try:
                    values[name] = float(value)
                except (TypeError, ValueError):
                    raise ConfigError(f"[training] {name}: expected a number, got {value!r}") from None
        return cls(**values)

    @property
    def active(self) -> bool:
        return self.min_validation_accuracy is not None or self.max_validation_loss is not None

    def check(self, final: Mapping[str, float | None]) -> GateResult:
        accuracy = _first(
            final, "full_validation_token_accuracy", "validation_token_accuracy", "validation_reward_accuracy"
        )
        loss = _first(final, "full_validation_loss", "validation_loss")
        thresholds = {k: v for k, v in asdict(self).items() if v is not None}
        reasons = []
        if self.min_validation_accuracy is not None:
            if accuracy is None:
                reasons.append("no validation accuracy was reported")
            elif accuracy < self.min_validation_accuracy:
                reasons.append(f"validation accuracy {accuracy:.4f} < minimum {self.min_validation_accuracy:g}")
        if self.max_validation_loss is not None:
            if loss is None:
                reasons.append("no validation loss was reported")
            elif loss > self.max_validation_loss:
                reasons.append(f"validation loss {loss:.4f} > maximum {self.max_validation_loss:g}")
        return GateResult(
            passed=not reasons,
            thresholds=thresholds,
            values={"validation_accuracy": accuracy, "validation_loss": loss},
            reasons=reasons,
        )


def _first(values: Mapping[str, float | None], *names: str) -> float | None:
    for name in names:
        value = values.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return float(value)
    return None


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


def _row_to_job(row: Mapping[str, Any]) -> Job:
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


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _training_section(settings: Settings) -> dict[str, Any]:
    section = settings.extra.get("training", {})
    return dict(section) if isinstance(section, dict) else {}


def _now() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return f"ftjob-{_now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


class JobManager:
    """Submits, tracks and gates fine-tuning jobs of one workspace.

    Open it over a workbench (``JobManager(wb.store, wb.settings)``); reading works on a read-only
    store, while submitting and polling need a writable one.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._providers: dict[str, Provider] = {}
        if not store.read_only:
            with store.locked() as con:
                ensure_job_tables(con)

    @classmethod
    def open(cls, wb: Any) -> JobManager:
        """The job manager of a :class:`~agenthone.Workbench`."""
        return cls(wb.store, wb.settings)

    # -- providers ---------------------------------------------------------------------------------

    def provider(self, name: str, **options: Any) -> Provider:
        if options:
            return get_provider(name, settings=self.settings, **options)
        if name not in self._providers:
            self._providers[name] = get_provider(name, settings=self.settings)
        return self._providers[name]

    def _provider_for(self, job: Job) -> Provider:
        options = job.details.get("provider_options") or {}
        return self.provider(job.provider, **options) if options else self.provider(job.provider)

    # -- reading -----------------------------------------------------------------------------------

    def _has_tables(self) -> bool:
        with self.store.locked() as con:
            return job_tables_exist(con)

    def get(self, job_id: str | None = None) -> Job:
        """The job ``job_id`` (a unique prefix is enough), or the latest job when None."""
        if not self._has_tables():
            raise JobNotFoundError("no fine-tuning jobs yet (start one with `hone train`)")
        if job_id is None:
            frame = self.store.sql("SELECT * FROM jobs ORDER BY created_at DESC LIMIT 1")
            if frame.empty:
                raise JobNotFoundError("no fine-tuning jobs yet (start one with `hone train`)")
            return _row_to_job(frame.iloc[0].to_dict())
        frame = self.store.sql(
            "SELECT * FROM jobs WHERE job_id = ? OR provider_job_id = ? OR starts_with(job_id, ?) ORDER BY created_at",
            [job_id, job_id, job_id],
        )
        exact = frame[(frame["job_id"] == job_id) | (frame["provider_job_id"] == job_id)]
        if len(exact):
            return _row_to_job(exact.iloc[0].to_dict())
        if len(frame) == 1:
            return _row_to_job(frame.iloc[0].to_dict())
        if len(frame) > 1:
            raise JobNotFoundError(f"job id {job_id!r} is ambiguous: {', '.join(frame['job_id'])}")
        recent = self.store.sql("SELECT job_id FROM jobs ORDER BY created_at DESC LIMIT 5")["job_id"].tolist()
        if not recent:
            raise JobNotFoundError(f"no job {job_id!r}: no fine-tuning jobs yet (start one with `hone train`)")
        raise JobNotFoundError(f"no job {job_id!r} (latest: {', '.join(recent)})")

    def list(self, *, status: str | None = None, limit: int | None = None) -> builtins.list[Job]:
        """Jobs, newest first (optionally only those in one status)."""
        if not self._has_tables():
            return []
        query = "SELECT * FROM jobs"
        params: list[Any] = []
        if status:
            query += " WHERE status = ?"
            params.append(status)
        query += " ORDER BY created_at DESC"
        if limit:
            query += f" LIMIT {int(limit)}"
        return [_row_to_job(r) for r in self.store.sql(query, params).to_dict("records")]

    def events(self, job_id: str | None = None) -> pd.DataFrame:
        """The job's events, oldest first."""
        job = self.get(job_id)
        return self.store.sql(
            "SELECT created_at, level, type, message, data, event_id FROM job_events WHERE job_id = ? "
            "ORDER BY created_at, event_id",
            [job.job_id],
        )

    def metrics(self, job_id: str | None = None) -> pd.DataFrame:
        """The job's step metrics, one row per step and one column per metric."""
        import pandas as pd

        job = self.get(job_id)
        long = self.store.sql("SELECT step, name, value FROM job_metrics WHERE job_id = ? ORDER BY step", [job.job_id])
        if long.empty:
            return pd.DataFrame({"step": pd.Series([], dtype="int64")})
        wide = long.pivot_table(index="step", columns="name", values="value", aggfunc="last").reset_index()
        wide.columns.name = None
        return wide

    def efficiency(self, job_id: str | None = None) -> EfficiencyReport:
        """Training-efficiency analysis of the job's curves (best step, overfitting, wasted compute)."""
        job = self.get(job_id)
        return analyze_curves(self.metrics(job.job_id), total_steps=job.details.get("total_steps"))

    def plot(self, job_id: str | None = None) -> Figure:
        """The job's curves with its best step (and any overfitting) marked."""
        job = self.get(job_id)
        frame = self.metrics(job.job_id)
        return plot_curves(frame, analyze_curves(frame), title=f"{job.job_id} ({job.provider} {job.method})")

    # -- writing -----------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.store.read_only:
            raise StoreError("tracking jobs needs the store open for writing (Workbench.open(read_only=False))")

    def _insert(self, values: Mapping[str, Any]) -> None:
        cols = list(values)
        with self.store.locked() as con:
            con.execute(
                f"INSERT INTO jobs ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [_sql_value(k, values[k]) for k in cols],
            )

    def _update(self, job_id: str, **values: Any) -> None:
        values["updated_at"] = _now()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.store.locked() as con:
            con.execute(
                f"UPDATE jobs SET {sets} WHERE job_id = ?", [*(_sql_value(k, v) for k, v in values.items()), job_id]
            )

    def _add_event(
        self, job_id: str, message: str, *, level: str = "info", data: Mapping[str, Any] | None = None
    ) -> None:
        with self.store.locked() as con:
            n = con.execute(
                "SELECT count(*) FROM job_events WHERE job_id = ? AND starts_with(event_id, 'hone-')", [job_id]
            ).fetchone()[0]  # type: ignore[index]
            con.execute(
                "INSERT OR IGNORE INTO job_events VALUES (?, ?, ?, ?, 'message', ?, ?)",
                [job_id, f"hone-{n + 1:04d}", _now(), level, redact(message), json.dumps(data) if data else None],
            )

    # -- submitting --------------------------------------------------------------------------------

    def estimate(
        self,
        dataset: str | Any,
        *,
        provider: str = "local",
        base_model: str | None = None,
        method: str = "sft",
        epochs: int | None = None,
    ) -> CostEstimate:
        """What the job would cost, without creating anything."""
        ds = load(dataset, settings=self.settings) if isinstance(dataset, str) else dataset
        prov = self.provider(provider)
        base = base_model or _training_section(self.settings).get("base_model") or DEFAULT_BASE_MODELS.get(provider, "")
        return prov.estimate_cost(ds, method=method, base_model=str(base), epochs=epochs)  # type: ignore[arg-type]

    def submit(
        self,
        dataset: str | Any,
        *,
        provider: str = "local",
        base_model: str | None = None,
        method: str = "sft",
        epochs: int | None = None,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        beta: float | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        suffix: str | None = None,
        seed: int | None = None,
        max_cost_usd: float | None = None,
        min_validation_accuracy: float | None = None,
        max_validation_loss: float | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> Job:
        """Start a fine-tuning job on a built dataset; refuses (creating nothing) when it would cost too much.

        ``learning_rate`` is the learning rate for the local provider and the learning-rate multiplier
        for OpenAI. Unset options fall back to ``[training]`` in hone.toml, then the provider's defaults.
        """
        self._writable()
        if method not in ("sft", "dpo"):
            raise ConfigError(f"method must be 'sft' or 'dpo', got {method!r}")
        section = _training_section(self.settings)
        ds = load(dataset, settings=self.settings) if isinstance(dataset, str) else dataset
        prov = self.provider(provider, **dict(provider_options or {}))
        base = base_model or section.get("base_model") or DEFAULT_BASE_MODELS.get(provider)
        if not base:
            raise ConfigError(f"name a base model for the {provider} provider (--base-model)")
        hp: dict[str, Any] = {k: section[k] for k in _HYPERPARAMETER_KEYS if section.get(k) is not None}
        hp.update({k: v for k, v in (hyperparameters or {}).items() if v is not None})
        explicit = {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "beta": beta}
        hp.update({k: v for k, v in explicit.items() if v is not None})
        if method != "dpo":
            hp.pop("beta", None)
        gate = QualityGate.from_settings(
            self.settings, min_validation_accuracy=min_validation_accuracy, max_validation_loss=max_validation_loss
        )

        # the cost guard comes first: nothing is uploaded or created for a job that is refused
        estimate = prov.estimate_cost(ds, method=method, base_model=str(base), epochs=hp.get("epochs"))  # type: ignore[arg-type]
        limit = float(max_cost_usd if max_cost_usd is not None else self.settings.max_training_cost_usd)
        if estimate.usd > limit:
            raise CostLimitError(estimate, limit)

        job_id = new_job_id()
        workdir = self.settings.data_dir / "jobs" / job_id
        workdir.mkdir(parents=True, exist_ok=True)
        agent, category = _dataset_scope(ds)
        created = _now()
        details: dict[str, Any] = {"gate": asdict(gate)}
        if provider_options:
            details["provider_options"] = {k: v for k, v in provider_options.items() if "key" not in k.lower()}
        self._insert(
            {
                "job_id": job_id,
                "provider": provider,
                "status": "validating_files",
                "method": method,
                "base_model": str(base),
                "dataset_name": ds.name,
                "dataset_version": ds.version,
                "dataset_digest": ds.digest,
                "agent_name": agent,
                "category": category,
                "hyperparameters": hp,
                "cost_estimate": estimate.as_dict(),
                "estimated_cost_usd": estimate.usd,
                "workdir": str(workdir),
                "details": details,
                "created_at": created,
                "updated_at": created,
            }
        )
        self._add_event(job_id, f"estimated cost ${estimate.usd:.2f} ({estimate.basis}); limit ${limit:.2f}")
        run_id = self._start_mlflow_run(job_id, ds, provider, method, str(base), hp, estimate, agent, category, gate)
        self._update(job_id, mlflow_run_id=run_id)
        try:
            files = prov.prepare_files(ds, method=method, workdir=workdir)  # type: ignore[arg-type]
            self._update(job_id, files=asdict(files))
            self._add_event(
                job_id, f"prepared {files.examples} training and {files.validation_examples} validation examples"
            )
            request = JobRequest(
                base_model=str(base),
                method=method,  # type: ignore[arg-type]
                files=files,
                hyperparameters=hp,
                suffix=suffix or ds.name[:40],
                seed=seed,
                metadata={"agenthone_job_id": job_id, "dataset": ds.ref},
                workdir=workdir,
                job_id=job_id,
            )
            remote = prov.create_job(request)
        except HoneError as exc:
            message = redact(str(exc))
            self._update(job_id, status="failed", error=message, finished_at=_now())
            self._add_event(job_id, f"job could not be created: {message}", level="error")
            self._finalize(self.get(job_id))
            raise ProviderError(f"job {job_id}: {message}") from None
        self._update(job_id, provider_job_id=remote.id)
        self._add_event(job_id, f"{provider} job {remote.id} created")
        self._apply(self.get(job_id), remote)
        return self.get(job_id)

    def _start_mlflow_run(  # noqa: PLR0917
        self,
        job_id: str,
        ds: Any,
        provider: str,
        method: str,
        base: str,
        hp: Mapping[str, Any],
        estimate: CostEstimate,
        agent: str | None,
        category: str | None,
        gate: QualityGate,
    ) -> str:
        from mlflow.entities import Param, RunTag

        from agenthone import _mlflow

        client = _mlflow.client(self.settings)
        experiment = _mlflow.experiment_id(self.settings, _mlflow.EXPERIMENTS["training"])
        tags = {
            "agenthone.job_id": job_id,
            "agent": agent or "",
            "category": category or "",
            "provider": provider,
            "method": method,
            "dataset": ds.ref,
            "dataset_digest": ds.digest,
            "status": "validating_files",
        }
        run = client.create_run(experiment, run_name=f"{ds.name}-{provider}-{method}-{job_id[-4:]}", tags=tags)
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

    # -- polling -----------------------------------------------------------------------------------

    def refresh(self, job_id: str | None = None) -> Job:
        """Sync the job's status, events and step metrics from its provider; finalise it when done."""
        self._writable()
        job = self.get(job_id)
        if job.done:
            return job
        if job.provider_job_id is None:
            # never reached the provider (creation failed): nothing more will happen
            if job.status in FINAL_STATUSES and job.finalized_at is None:
                self._finalize(job)
            return self.get(job.job_id)
        prov = self._provider_for(job)
        remote = prov.get_job(job.provider_job_id)
        return self._apply(job, remote)

    def refresh_active(self) -> builtins.list[Job]:
        """Refresh every job that is not finished yet (what a restarted watcher does first)."""
        out = []
        for job in self.list():
            if not job.done:
                try:
                    out.append(self.refresh(job.job_id))
                except ProviderError as exc:
                    self._add_event(job.job_id, f"refresh failed: {exc}", level="warn")
                    out.append(self.get(job.job_id))
        return out

    def _apply(self, job: Job, remote: ProviderJob) -> Job:
        prov = self._provider_for(job)
        new_events = self._sync_events(job, prov)
        new_metrics = self._sync_metrics(job, prov)
        details = dict(job.details)
        details.update({k: v for k, v in remote.extra.items() if v is not None})
        updates: dict[str, Any] = {
            "provider_status": remote.status,
            "details": details,
        }
        status = remote.status
        if job.status not in (status, FAILED_GATE):
            updates["status"] = status
        if remote.fine_tuned_model:
            updates["fine_tuned_model"] = remote.fine_tuned_model
        if remote.trained_tokens is not None:
            updates["trained_tokens"] = int(remote.trained_tokens)
        if remote.error:
            updates["error"] = redact(remote.error)
        if remote.finished_at is not None:
            updates["finished_at"] = remote.finished_at
        if status != job.status:
            self._add_event(job.job_id, f"status {job.status} -> {status}")
            self._set_run_tag(job, "status", status)
        if new_events or new_metrics or len(updates) > 2 or status != job.status:
            self._update(job.job_id, **updates)
        job = self.get(job.job_id)
        if status in TERMINAL_STATUSES and job.finalized_at is None:
            self._finalize(job)
            job = self.get(job.job_id)
        return job

    def _sync_events(self, job: Job, prov: Provider) -> int:
        events = prov.list_events(job.provider_job_id or job.job_id)
        if not events:
            return 0
        with self.store.locked() as con:
            known = {
                r[0] for r in con.execute("SELECT event_id FROM job_events WHERE job_id = ?", [job.job_id]).fetchall()
            }
            fresh = [e for e in events if f"p-{e.id}" not in known]
            for e in fresh:
                con.execute(
                    "INSERT OR IGNORE INTO job_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        job.job_id,
                        f"p-{e.id}",
                        e.created_at,
                        e.level,
                        e.type,
                        redact(e.message),
                        json.dumps(dict(e.data), default=str) if e.data else None,
                    ],
                )
        return len(fresh)

    def _sync_metrics(self, job: Job, prov: Provider) -> int:
        rows = prov.list_metrics(job.provider_job_id or job.job_id)
        if not rows:
            return 0
        with self.store.locked() as con:
            known = {
                (int(s), str(n))
                for s, n in con.execute("SELECT step, name FROM job_metrics WHERE job_id = ?", [job.job_id]).fetchall()
            }
        fresh: dict[tuple[int, str], tuple[float, datetime | None]] = {}
        for row in rows:
            for name, value in row.values.items():
                key = (row.step, name)
                if key not in known and value is not None and math.isfinite(value):
                    fresh[key] = (float(value), row.time)
        if not fresh:
            return 0
        # MLflow first: if this process dies in between, a resumed sync logs the points again rather than never
        if job.mlflow_run_id:
            from mlflow.entities import Metric

            from agenthone import _mlflow

            client = _mlflow.client(self.settings)
            metrics = [
                Metric(name, value, int((when or _now()).timestamp() * 1000), step)
                for (step, name), (value, when) in fresh.items()
            ]
            for start in range(0, len(metrics), 900):
                client.log_batch(job.mlflow_run_id, metrics=metrics[start : start + 900])
        with self.store.locked() as con:
            con.executemany(
                "INSERT OR IGNORE INTO job_metrics VALUES (?, ?, ?, ?, ?)",
                [[job.job_id, step, name, value, when] for (step, name), (value, when) in fresh.items()],
            )
        return len(fresh)

    def _set_run_tag(self, job: Job, key: str, value: str) -> None:
        if not job.mlflow_run_id:
            return
        from agenthone import _mlflow

        _mlflow.client(self.settings).set_tag(job.mlflow_run_id, key, value)

    def final_metrics(self, job_id: str | None = None) -> dict[str, float | None]:
        """Last reported value of each metric, plus the best validation loss."""
        frame = self.metrics(job_id)
        out: dict[str, float | None] = {}
        for col in frame.columns:
            if col == "step":
                continue
            series = frame[["step", col]].dropna()
            if len(series):
                out[col] = float(series[col].iloc[-1])
        if "validation_loss" in frame.columns and frame["validation_loss"].notna().any():
            out["best_validation_loss"] = float(frame["validation_loss"].min())
        return out

    def _finalize(self, job: Job) -> None:
        """Once per finished job: quality gate, cost, final metrics and events artifact in MLflow."""
        updates: dict[str, Any] = {"finalized_at": _now()}
        status = job.status
        final = self.final_metrics(job.job_id) if job.provider_job_id else {}
        gate_spec = QualityGate(**(job.details.get("gate") or {}))
        if status == "succeeded" and gate_spec.active:
            result = gate_spec.check(final)
            updates["gate"] = result.as_dict()
            if not result.passed:
                status = FAILED_GATE
                updates["status"] = FAILED_GATE
                self._add_event(job.job_id, "quality gate failed: " + "; ".join(result.reasons), level="warn")
            else:
                self._add_event(job.job_id, "quality gate passed")
        if job.provider == "local":
            updates["cost_usd"] = 0.0
        elif job.trained_tokens and job.cost_estimate.get("usd_per_million_tokens"):
            updates["cost_usd"] = job.trained_tokens * float(job.cost_estimate["usd_per_million_tokens"]) / 1e6
        if not job.finished_at:
            updates["finished_at"] = _now()
        self._update(job.job_id, **updates)
        self._add_event(job.job_id, f"job finished: {status}" + (f" ({job.error})" if job.error else ""))
        job = self.get(job.job_id)
        if job.mlflow_run_id:
            self._finalize_run(job, final)

    def _finalize_run(self, job: Job, final: Mapping[str, float | None]) -> None:
        from mlflow.entities import Metric, RunTag

        from agenthone import _mlflow

        client = _mlflow.client(self.settings)
        run_id = str(job.mlflow_run_id)
        stamp = int(_now().timestamp() * 1000)
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
        report = analyze_curves(self.metrics(job.job_id), total_steps=job.details.get("total_steps"))
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
        events = self.events(job.job_id)
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
        if len(self.metrics(job.job_id)) > 0:
            fig = self.plot(job.job_id)
            client.log_figure(run_id, fig, "curves.png")
        run_status = {"succeeded": "FINISHED", FAILED_GATE: "FINISHED", "cancelled": "KILLED"}.get(job.status, "FAILED")
        client.set_terminated(run_id, status=run_status)

    def watch(
        self,
        job_id: str | None = None,
        *,
        interval: float | None = None,
        max_interval: float | None = None,
        timeout: float | None = None,
        on_update: Callable[[Job], None] | None = None,
    ) -> Job:
        """Poll until the job is finished, backing off while nothing changes; returns the final job.

        ``interval`` (default ``[training] poll_interval_s``, else 1 s for local jobs and 5 s for remote
        ones) grows by half each quiet poll up to ``max_interval`` (10 s local, 60 s remote); any change
        resets it. A local job is only *peeked* at between full syncs (every ``[training]
        sync_interval_s``, default 10 s, and on every status change), so that watching costs the
        training process next to no CPU.
        """
        job = self.refresh(job_id)
        return _watch_loop(
            job,
            settings=self.settings,
            sync=lambda: self.refresh(job.job_id),
            peek=lambda current: _peek(self._provider_for(current), current),
            interval=interval,
            max_interval=max_interval,
            timeout=timeout,
            on_update=on_update,
        )

    def cancel(self, job_id: str | None = None) -> Job:
        """Ask the provider to stop the job; the job ends ``cancelled`` once the provider confirms."""
        self._writable()
        job = self.get(job_id)
        if job.done:
            raise HoneError(f"job {job.job_id} is already {job.status}")
        if job.provider_job_id is None:
            self._update(job.job_id, status="cancelled", finished_at=_now())
            self._finalize(self.get(job.job_id))
            return self.get(job.job_id)
        prov = self._provider_for(job)
        remote = prov.cancel(job.provider_job_id)
        self._add_event(job.job_id, "cancel requested")
        return self._apply(job, remote)

    def model_location(self, job_id: str | None = None) -> dict[str, Any]:
        """Where a finished job's model is: provider, model id, and for local jobs its folders."""
        job = self.get(job_id)
        if not job.fine_tuned_model:
            raise HoneError(f"job {job.job_id} has no fine-tuned model (status {job.status})")
        out: dict[str, Any] = {"provider": job.provider, "model": job.fine_tuned_model, "job_id": job.job_id}
        if job.provider == "local":
            path = Path(job.fine_tuned_model)
            out["path"] = str(path)
            out["peft"] = job.details.get("peft")
            out["base_model_dir"] = job.details.get("base_model_dir")
        return out

    def baseline_model(self, job_id: str | None = None) -> dict[str, Any]:
        """The model a job started from (for a scratch job: the untrained model built for it)."""
        job = self.get(job_id)
        if job.provider == "local":
            base = job.details.get("base_model_dir") or str(Path(job.workdir or "") / "base")
            return {"provider": "local", "model": str(base), "job_id": job.job_id}
        return {"provider": job.provider, "model": job.base_model, "job_id": job.job_id}


def _sql_value(key: str, value: Any) -> Any:
    if key in _JSON_COLUMNS:
        return json.dumps(value, default=str) if value is not None else None
    return value


def _dataset_scope(ds: Any) -> tuple[str | None, str | None]:
    """The agent and category a dataset covers (one name, or a short list)."""
    spec = ds.manifest.get("spec") if isinstance(ds.manifest, dict) else None
    agents: list[str] = []
    categories: list[str] = []
    if isinstance(spec, dict):
        for key in ("agent", "agents", "agent_name"):
            value = spec.get(key)
            if isinstance(value, str):
                agents.append(value)
            elif isinstance(value, list):
                agents.extend(str(v) for v in value)
        for key in ("category", "categories"):
            value = spec.get(key)
            if isinstance(value, str):
                categories.append(value)
            elif isinstance(value, list):
                categories.extend(str(v) for v in value)
    if not agents or not categories:
        seen_agents: dict[str, None] = {}
        seen_categories: dict[str, None] = {}
        for ex in ds.examples("train")[:5000]:
            source = ex.get("source") or {}
            if source.get("agent_name"):
                seen_agents[str(source["agent_name"])] = None
            if source.get("category"):
                seen_categories[str(source["category"])] = None
        agents = agents or list(seen_agents)
        categories = categories or list(seen_categories)

    def name(values: list[str]) -> str | None:
        if not values:
            return None
        return values[0] if len(values) == 1 else ",".join(sorted(values)[:3]) + (",..." if len(values) > 3 else "")

    return name(agents), name(categories)


def watch_job(
    job_id: str | None,
    *,
    settings: Settings,
    interval: float | None = None,
    max_interval: float | None = None,
    timeout: float | None = None,
    on_update: Callable[[Job], None] | None = None,
) -> Job:
    """Like :meth:`JobManager.watch`, but holds the store only while syncing.

    Between polls the store is closed, so a notebook (or another command) can write to it while a
    long job is watched from a terminal. A poll that finds the store locked is simply retried later.
    """
    from agenthone.errors import StoreLockedError
    from agenthone.store import Store

    def poll() -> Job | None:
        try:
            store = Store.open(settings)
        except StoreLockedError:
            return None
        try:
            return JobManager(store, settings).refresh(job_id)
        finally:
            store.close()

    job = poll()
    if job is None:
        raise StoreLockedError(f"store {settings.store_path} is open for writing in another process")
    first = job
    job_id = first.job_id  # a prefix or None resolved once
    options = dict(first.details.get("provider_options") or {})
    provider = get_provider(first.provider, settings=settings, **options)
    return _watch_loop(
        first,
        settings=settings,
        sync=poll,
        peek=lambda current: _peek(provider, current),
        interval=interval,
        max_interval=max_interval,
        timeout=timeout,
        on_update=on_update,
    )


def _peek(provider: Provider, job: Job) -> Job:
    """The job with its provider's current status and progress, without touching the store."""
    import dataclasses

    if job.provider_job_id is None:
        return job
    remote = provider.get_job(job.provider_job_id)
    return dataclasses.replace(job, status=remote.status, details={**job.details, **remote.extra})


def _watch_loop(
    job: Job,
    *,
    settings: Settings,
    sync: Callable[[], Job | None],
    peek: Callable[[Job], Job],
    interval: float | None,
    max_interval: float | None,
    timeout: float | None,
    on_update: Callable[[Job], None] | None,
) -> Job:
    section = _training_section(settings)
    local = job.provider == "local"
    poll_every = float(interval or section.get("poll_interval_s") or (1.0 if local else 5.0))
    sync_every = float(section.get("sync_interval_s") or (10.0 if local else 0.0))
    ceiling = float(max_interval or (10.0 if local else 60.0))
    delay = poll_every
    started = last_sync = time.monotonic()
    last_seen: tuple[Any, ...] = ()
    while True:
        if on_update is not None:
            on_update(job)
        if job.done or (timeout is not None and time.monotonic() - started > timeout):
            return job
        seen = (job.status, job.details.get("step"), job.updated_at)
        delay = poll_every if seen != last_seen else min(ceiling, delay * 1.5)
        last_seen = seen
        time.sleep(delay)
        if sync_every <= 0:
            job = sync() or job
            continue
        peeked = peek(job)
        due = time.monotonic() - last_sync >= sync_every
        if due or peeked.status != job.status or peeked.status in TERMINAL_STATUSES:
            job = sync() or peeked
            last_sync = time.monotonic()
        else:
            job = peeked
