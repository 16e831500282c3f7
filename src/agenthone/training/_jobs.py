"""Tracked fine-tuning jobs: submit (behind a cost guard), poll with backoff, gate, cancel.

Every job is a row in the store's ``jobs`` table and an MLflow run in ``agenthone/training``. Polling
is stateless: whichever process calls :meth:`JobManager.refresh` (the CLI, a notebook, a restarted
watcher) reads what the provider has reported since the last sync, appends it to the store and to the
MLflow run, and finalises the job once it is done. A restart therefore loses nothing.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.audit import record as audit_record
from agenthone.config import Settings
from agenthone.datasets import load
from agenthone.errors import ConfigError, HoneError, StoreError
from agenthone.providers import (
    TERMINAL_STATUSES,
    CostEstimate,
    FineTuner,
    JobRequest,
    Method,
    ProviderError,
    ProviderJob,
    get_fine_tuner,
    redact,
)
from agenthone.training._efficiency import EfficiencyReport, analyze_curves, plot_curves
from agenthone.training._gate import QualityGate
from agenthone.training._job import (
    FAILED_GATE,
    FINAL_STATUSES,
    Job,
    interrupted_submission,
    new_job_id,
    now,
    submitter,
    training_section,
)
from agenthone.training._records import JobRecords
from agenthone.training._runs import finalize_run, log_step_metrics, set_run_tag, start_run
from agenthone.training._watch import peek_job, watch_loop

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.datasets import Dataset
    from agenthone.store import Store

__all__ = ["BudgetError", "CostLimitError", "JobManager"]

_HYPERPARAMETER_KEYS = (
    "epochs", "learning_rate", "learning_rate_multiplier", "batch_size", "beta", "max_length", "peft",
    "lora_r", "lora_alpha", "lora_dropout", "max_steps", "eval_steps", "logging_steps", "warmup_steps",
    "weight_decay", "lr_scheduler", "max_eval_examples", "threads", "activation_checkpointing",
    "early_stopping_patience", "gradient_accumulation_steps", "warmup_ratio",
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


class BudgetError(CostLimitError):
    """A job would take the month's training spend over ``monthly_training_budget_usd``; nothing was created."""

    def __init__(self, estimate: CostEstimate, *, spent: float, budget: float, month: str) -> None:
        HoneError.__init__(
            self,
            f"refused: estimated cost ${estimate.usd:,.2f} on top of ${spent:,.2f} already spent in {month} exceeds "
            f"the monthly training budget of ${budget:,.2f} (monthly_training_budget_usd in hone.toml)",
        )
        self.estimate = estimate
        self.limit = budget
        self.spent = spent


class JobManager:
    """Submits, tracks and gates fine-tuning jobs of one workspace.

    Open it over a workbench (``JobManager(wb.store, wb.settings)``); reading works on a read-only
    store, while submitting and polling need a writable one.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.records = JobRecords(store)
        self._providers: dict[str, FineTuner] = {}

    @classmethod
    def open(cls, wb: Any) -> JobManager:
        """The job manager of a :class:`~agenthone.Workbench`."""
        return cls(wb.store, wb.settings)

    # -- providers ---------------------------------------------------------------------------------

    def provider(self, name: str, **options: Any) -> FineTuner:
        """The provider ``name`` in its fine-tuning role (configured from hone.toml and ``options``)."""
        if options:
            return get_fine_tuner(name, settings=self.settings, **options)
        if name not in self._providers:
            self._providers[name] = get_fine_tuner(name, settings=self.settings)
        return self._providers[name]

    def _provider_for(self, job: Job) -> FineTuner:
        options = job.details.get("provider_options") or {}
        return self.provider(job.provider, **options) if options else self.provider(job.provider)

    # -- reading -----------------------------------------------------------------------------------

    def get(self, job_id: str | None = None) -> Job:
        """The job ``job_id`` (a unique prefix is enough), or the latest job when None."""
        return self.records.get(job_id)

    def list(self, *, status: str | None = None, limit: int | None = None) -> builtins.list[Job]:
        """Jobs, newest first (optionally only those in one status)."""
        return self.records.list(status=status, limit=limit)

    def events(self, job_id: str | None = None) -> pd.DataFrame:
        """The job's events, oldest first."""
        return self.records.events(self.get(job_id).job_id)

    def metrics(self, job_id: str | None = None) -> pd.DataFrame:
        """The job's step metrics, one row per step and one column per metric."""
        return self.records.metrics(self.get(job_id).job_id)

    def efficiency(self, job_id: str | None = None) -> EfficiencyReport:
        """Training-efficiency analysis of the job's curves (best step, overfitting, wasted compute)."""
        job = self.get(job_id)
        return analyze_curves(self.metrics(job.job_id), total_steps=job.details.get("total_steps"))

    def plot(self, job_id: str | None = None) -> Figure:
        """The job's curves with its best step (and any overfitting) marked."""
        job = self.get(job_id)
        frame = self.metrics(job.job_id)
        return plot_curves(frame, analyze_curves(frame), title=f"{job.job_id} ({job.provider} {job.method})")

    def _writable(self) -> None:
        if self.store.read_only:
            raise StoreError("tracking jobs needs the store open for writing (Workbench.open(read_only=False))")

    # -- submitting --------------------------------------------------------------------------------

    def _base_model(self, prov: FineTuner, base_model: str | None) -> str:
        """The named base model, else ``[training] base_model``, else the provider's default."""
        return str(
            base_model or training_section(self.settings).get("base_model") or prov.default_base_model(self.settings)
        )

    def estimate(
        self,
        dataset: str | Dataset,
        *,
        provider: str = "local",
        base_model: str | None = None,
        method: str = "sft",
        epochs: int | None = None,
        provider_options: Mapping[str, Any] | None = None,
    ) -> CostEstimate:
        """What the job would cost, without creating anything."""
        ds = load(dataset, settings=self.settings) if isinstance(dataset, str) else dataset
        prov = self.provider(provider, **dict(provider_options or {}))
        return prov.estimate_cost(
            ds, method=_method(method), base_model=self._base_model(prov, base_model), epochs=epochs
        )

    def submit(
        self,
        dataset: str | Dataset,
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
        early_stopping: int | None = None,
        mlflow_experiment: str | None = None,
        mlflow_tags: Mapping[str, str] | None = None,
    ) -> Job:
        """Start a fine-tuning job on a built dataset; refuses (creating nothing) when it would cost too much.

        ``learning_rate`` is the learning rate for the local provider and the learning-rate multiplier
        for OpenAI. Unset options fall back to ``[training]`` in hone.toml, then the provider's defaults.
        ``early_stopping`` (local provider) stops training once the validation loss has not improved for that
        many evaluations and keeps the best model. The cost guard checks both ``max_cost_usd`` and the month's
        ``monthly_training_budget_usd``. ``mlflow_experiment`` and ``mlflow_tags`` place the job's run (a tuning
        study makes it the child of its parent run).
        """
        self._writable()
        _method(method)
        section = training_section(self.settings)
        ds = load(dataset, settings=self.settings) if isinstance(dataset, str) else dataset
        prov = self.provider(provider, **dict(provider_options or {}))
        base = self._base_model(prov, base_model)
        hp: dict[str, Any] = {k: section[k] for k in _HYPERPARAMETER_KEYS if section.get(k) is not None}
        hp.update({k: v for k, v in (hyperparameters or {}).items() if v is not None})
        explicit = {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "beta": beta}
        hp.update({k: v for k, v in explicit.items() if v is not None})
        if early_stopping is not None:
            if early_stopping < 1:
                raise ConfigError(f"early stopping patience must be at least 1 evaluation, got {early_stopping}")
            hp["early_stopping_patience"] = int(early_stopping)
        if hp.get("early_stopping_patience") and provider != "local":
            raise ConfigError(f"early stopping needs the local provider; {provider} jobs run at the provider")
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
        self.check_budget(estimate)

        job_id = new_job_id()
        workdir = self.settings.data_dir / "jobs" / job_id
        workdir.mkdir(parents=True, exist_ok=True)
        agent, category = _dataset_scope(ds)
        created = now()
        details: dict[str, Any] = {"gate": asdict(gate), "submitter": submitter()}
        if provider_options:
            details["provider_options"] = {k: v for k, v in provider_options.items() if "key" not in k.lower()}
        self.records.insert(
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
        try:
            self.records.add_event(job_id, f"estimated cost ${estimate.usd:.2f} ({estimate.basis}); limit ${limit:.2f}")
            run_id = start_run(
                self.settings,
                job_id,
                ds,
                provider=provider,
                method=method,
                base=str(base),
                hp=hp,
                estimate=estimate,
                agent=agent,
                category=category,
                gate=gate,
                experiment=mlflow_experiment,
                extra_tags=mlflow_tags,
            )
            self.records.update(job_id, mlflow_run_id=run_id)
            files = prov.prepare_files(ds, method=method, workdir=workdir)  # type: ignore[arg-type]
            self.records.update(job_id, files=asdict(files))
            self.records.add_event(
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
        except BaseException as exc:
            # whatever stopped it (a provider's refusal, a full disk, Ctrl-C), the job must not stay pending
            message = self._fail_submission(job_id, exc)
            if isinstance(exc, HoneError):
                raise ProviderError(f"job {job_id}: {message}") from None
            raise
        self.records.update(job_id, provider_job_id=remote.id)
        self.records.add_event(job_id, f"{provider} job {remote.id} created")
        self._apply(self.get(job_id), remote)
        audit_record(self.settings, "job.submitted", target=job_id, details={"provider": provider, "dataset": ds.ref})
        return self.get(job_id)

    # -- spend ---------------------------------------------------------------------------------------

    def month_spend(self, month: str | None = None) -> float:
        """Training spend of a calendar month (``YYYY-MM``, default this one, UTC): what finished jobs cost,
        and the estimate of those still running."""
        month = month or now().strftime("%Y-%m")
        if not self.records.has_tables():
            return 0.0
        frame = self.store.sql(
            "SELECT coalesce(sum(coalesce(cost_usd, estimated_cost_usd, 0)), 0) AS usd FROM jobs "
            "WHERE strftime(created_at AT TIME ZONE 'UTC', '%Y-%m') = ?",
            [month],
        )
        return float(frame["usd"].iloc[0] or 0.0)

    def check_budget(self, estimate: CostEstimate | float) -> None:
        """Raise :class:`BudgetError` when ``estimate`` would take this month over the monthly training budget."""
        budget = self.settings.monthly_training_budget_usd
        if budget is None:
            return
        usd = estimate if isinstance(estimate, (int, float)) else estimate.usd
        spent = self.month_spend()
        if spent + usd > budget:
            shown = (
                estimate
                if isinstance(estimate, CostEstimate)
                else CostEstimate("", "", 0, 0, 0, None, float(usd), "estimate")
            )
            raise BudgetError(shown, spent=spent, budget=budget, month=now().strftime("%Y-%m"))

    def costs(self) -> pd.DataFrame:
        """Training spend per month, provider and agent (cost of finished jobs, estimates of unfinished ones)."""
        import pandas as pd

        columns = ["month", "provider", "agent", "jobs", "cost_usd", "estimated_usd"]
        if not self.records.has_tables():
            return pd.DataFrame(columns=columns)
        return self.store.sql(
            "SELECT strftime(created_at AT TIME ZONE 'UTC', '%Y-%m') AS month, provider, "
            "coalesce(agent_name, '') AS agent, count(*) AS jobs, "
            "sum(coalesce(cost_usd, 0)) AS cost_usd, "
            "sum(CASE WHEN cost_usd IS NULL THEN coalesce(estimated_cost_usd, 0) ELSE 0 END) AS estimated_usd "
            "FROM jobs GROUP BY ALL ORDER BY month DESC, cost_usd DESC, provider, agent"
        )

    def _fail_submission(self, job_id: str, exc: BaseException) -> str:
        """End the job ``failed`` with why its submission stopped (error, event, MLflow run); returns the why."""
        if isinstance(exc, HoneError):
            message = redact(str(exc))
        elif not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
            message = f"submission was interrupted: {type(exc).__name__}"
        else:
            message = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        try:
            self.records.update(job_id, status="failed", error=message, finished_at=now())
            self.records.add_event(job_id, f"job could not be created: {message}", level="error")
            self._finalize(self.get(job_id))
        except Exception as inner:  # the original error matters more; a later refresh ends the job
            exc.add_note(f"job {job_id} could not be marked failed: {inner!r}")
        return message

    # -- polling -----------------------------------------------------------------------------------

    def refresh(self, job_id: str | None = None) -> Job:
        """Sync the job's status, events and step metrics from its provider; finalise it when done.

        A job whose submission died before it reached the provider (its process gone, or no provider job
        after six hours) is ended ``failed`` here, so that watching it returns.
        """
        self._writable()
        job = self.get(job_id)
        if job.done:
            return job
        if job.provider_job_id is None:
            # never reached the provider (creation failed, or its submission died): nothing more will happen
            reason = interrupted_submission(job)
            if reason is not None:
                self.records.update(job.job_id, status="failed", error=reason, finished_at=now())
                self.records.add_event(job.job_id, reason, level="error")
                job = self.get(job.job_id)
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
                    self.records.add_event(job.job_id, f"refresh failed: {exc}", level="warn")
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
            self.records.add_event(job.job_id, f"status {job.status} -> {status}")
            set_run_tag(self.settings, job, "status", status)
        if new_events or new_metrics or len(updates) > 2 or status != job.status:
            self.records.update(job.job_id, **updates)
        job = self.get(job.job_id)
        if status in TERMINAL_STATUSES and job.finalized_at is None:
            self._finalize(job)
            job = self.get(job.job_id)
        return job

    def _sync_events(self, job: Job, prov: FineTuner) -> int:
        events = prov.list_events(job.provider_job_id or job.job_id)
        if not events:
            return 0
        return self.records.add_provider_events(job.job_id, events)

    def _sync_metrics(self, job: Job, prov: FineTuner) -> int:
        rows = prov.list_metrics(job.provider_job_id or job.job_id)
        if not rows:
            return 0
        known = self.records.metric_keys(job.job_id)
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
            log_step_metrics(self.settings, job.mlflow_run_id, fresh)
        self.records.add_metrics(job.job_id, fresh)
        return len(fresh)

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
        updates: dict[str, Any] = {"finalized_at": now()}
        status = job.status
        final = self.final_metrics(job.job_id) if job.provider_job_id else {}
        gate_spec = QualityGate(**(job.details.get("gate") or {}))
        if status == "succeeded" and gate_spec.active:
            result = gate_spec.check(final)
            updates["gate"] = result.as_dict()
            if not result.passed:
                status = FAILED_GATE
                updates["status"] = FAILED_GATE
                self.records.add_event(job.job_id, "quality gate failed: " + "; ".join(result.reasons), level="warn")
            else:
                self.records.add_event(job.job_id, "quality gate passed")
        cost = self._provider_for(job).job_cost(
            trained_tokens=job.trained_tokens, estimate=job.cost_estimate, details=job.details
        )
        if cost is not None:
            updates["cost_usd"] = cost
        if not job.finished_at:
            updates["finished_at"] = now()
        self.records.update(job.job_id, **updates)
        self.records.add_event(job.job_id, f"job finished: {status}" + (f" ({job.error})" if job.error else ""))
        job = self.get(job.job_id)
        if job.mlflow_run_id:
            finalize_run(self.settings, job, final, metrics=self.metrics(job.job_id), events=self.events(job.job_id))

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
        return watch_loop(
            job,
            settings=self.settings,
            intervals=self._provider_for(job).watch_intervals,
            sync=lambda: self.refresh(job.job_id),
            peek=lambda current: peek_job(self._provider_for(current), current),
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
        audit_record(self.settings, "job.cancelled", target=job.job_id)
        if job.provider_job_id is None:
            self.records.update(job.job_id, status="cancelled", finished_at=now())
            self._finalize(self.get(job.job_id))
            return self.get(job.job_id)
        prov = self._provider_for(job)
        remote = prov.cancel(job.provider_job_id)
        self.records.add_event(job.job_id, "cancel requested")
        return self._apply(job, remote)

    def model_location(self, job_id: str | None = None) -> dict[str, Any]:
        """Where a finished job's model is: provider, model id, and for local jobs its folders."""
        job = self.get(job_id)
        if not job.fine_tuned_model:
            raise HoneError(f"job {job.job_id} has no fine-tuned model (status {job.status})")
        out: dict[str, Any] = {"provider": job.provider, "model": job.fine_tuned_model, "job_id": job.job_id}
        out.update(self._provider_for(job).model_location(job.fine_tuned_model, details=job.details))
        return out

    def baseline_model(self, job_id: str | None = None) -> dict[str, Any]:
        """The model a job started from (for a scratch job: the untrained model built for it)."""
        job = self.get(job_id)
        workdir = Path(job.workdir) if job.workdir else None
        base = self._provider_for(job).baseline_model(str(job.base_model or ""), details=job.details, workdir=workdir)
        return {"provider": job.provider, "model": base, "job_id": job.job_id}


def _dataset_scope(ds: Dataset) -> tuple[str | None, str | None]:
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


def _method(method: str) -> Method:
    if method not in ("sft", "dpo"):
        raise ConfigError(f"method must be 'sft' or 'dpo', got {method!r}")
    return method  # type: ignore[return-value]
