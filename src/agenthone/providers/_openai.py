"""The ``openai`` provider: OpenAI fine-tuning (supervised and DPO) through the official SDK.

``base_url`` points it at an OpenAI-compatible fine-tuning service; ``azure_endpoint`` plus
``api_version`` at Azure OpenAI. The key comes only from the environment (``OPENAI_API_KEY``, or
``AZURE_OPENAI_API_KEY`` for Azure). Transient failures (429, 5xx, timeouts, dropped connections) are
retried by the SDK with exponential backoff that honours ``retry-after``; ``max_retries`` bounds it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.providers._base import (
    BaseModelInfo,
    ChatModel,
    ChatProvider,
    Checkpoint,
    CostEstimate,
    FineTuner,
    JobEvent,
    JobRequest,
    Message,
    Method,
    ProviderError,
    ProviderJob,
    StepMetrics,
    TrainingFiles,
    redact,
    utc,
)

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.datasets import Dataset

__all__ = ["FINE_TUNABLE_MODELS", "OpenAIProvider"]

FINE_TUNABLE_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gpt-4.1-2025-04-14", ("sft", "dpo")),
    ("gpt-4.1-mini-2025-04-14", ("sft", "dpo")),
    ("gpt-4.1-nano-2025-04-14", ("sft", "dpo")),
    ("gpt-4o-2024-08-06", ("sft", "dpo")),
    ("gpt-4o-mini-2024-07-18", ("sft", "dpo")),
    ("gpt-3.5-turbo-0125", ("sft",)),
)
"""Models OpenAI documents as fine-tunable (the API has no flag for it)."""

_METRIC_NAMES = {
    "train_loss": "train_loss",
    "valid_loss": "validation_loss",
    "train_mean_token_accuracy": "train_token_accuracy",
    "valid_mean_token_accuracy": "validation_token_accuracy",
    "full_valid_loss": "full_validation_loss",
    "full_valid_mean_token_accuracy": "full_validation_token_accuracy",
}


_FORMATS: dict[str, str] = {"sft": "openai-chat", "dpo": "openai-dpo"}
"""The dataset export each method uploads (written by the datasets stage, the one exporter)."""


class OpenAIProvider(ChatProvider, FineTuner):
    """OpenAI (or a compatible service, or Azure OpenAI) fine-tuning and chat completions."""

    name = "openai"

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> OpenAIProvider:
        return cls(settings=settings, **options)

    def __init__(
        self,
        *,
        settings: Settings,
        base_url: str | None = None,
        azure_endpoint: str | None = None,
        api_version: str | None = None,
        organization: str | None = None,
        max_retries: int = 4,
        timeout: float = 60.0,
        concurrency: int = 4,
        price_usd_per_million_tokens: float | None = None,
    ) -> None:
        self.price_usd_per_million_tokens = price_usd_per_million_tokens
        self.settings = settings
        self.base_url = base_url
        self.azure_endpoint = azure_endpoint
        self.api_version = api_version
        self.organization = organization
        self.max_retries = max_retries
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self._client: Any = None

    @property
    def key_variable(self) -> str:
        return "AZURE_OPENAI_API_KEY" if self.azure_endpoint else "OPENAI_API_KEY"

    @property
    def client(self) -> Any:
        """The SDK client, created on first use with the key from the environment."""
        if self._client is None:
            key = os.environ.get(self.key_variable)
            if not key:
                raise ProviderError(f"set {self.key_variable} in the environment to use the openai provider")
            if self.azure_endpoint:
                from openai import AzureOpenAI

                self._client = AzureOpenAI(
                    api_key=key,
                    azure_endpoint=self.azure_endpoint,
                    api_version=self.api_version,
                    max_retries=self.max_retries,
                    timeout=self.timeout,
                )
            else:
                from openai import OpenAI

                self._client = OpenAI(
                    api_key=key,
                    base_url=self.base_url,
                    organization=self.organization,
                    max_retries=self.max_retries,
                    timeout=self.timeout,
                )
        return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run an SDK call; failures become a one-line ProviderError without any key in it."""
        import openai

        try:
            return fn(*args, **kwargs)
        except openai.APIStatusError as exc:
            detail = _error_detail(exc)
            raise ProviderError(redact(f"openai {what} failed: HTTP {exc.status_code}: {detail}")) from None
        except openai.APITimeoutError:
            raise ProviderError(f"openai {what} timed out after {self.max_retries} retries") from None
        except openai.APIConnectionError as exc:
            where = self.base_url or self.azure_endpoint or "api.openai.com"
            raise ProviderError(redact(f"openai {what}: cannot reach {where} ({exc})")) from None

    # -- files -------------------------------------------------------------------------------------

    def prepare_files(self, dataset: Dataset, *, method: Method, workdir: Path) -> TrainingFiles:
        """Upload the dataset's OpenAI chat (or preference) export of each split with purpose fine-tune."""
        fmt = _FORMATS[method]
        ids: dict[str, str | None] = {}
        counts: dict[str, int] = {}
        for split in ("train", "validation"):
            path = dataset.export_path(fmt, split)
            counts[split] = _count_lines(path)
            if counts[split] == 0:
                ids[split] = None
                continue
            uploaded = self._call("file upload", self.client.files.create, file=path, purpose="fine-tune")
            ids[split] = str(uploaded.id)
        if not ids["train"]:
            raise ProviderError(f"dataset {dataset.ref} has no {fmt} training examples")
        return TrainingFiles(
            training_file=str(ids["train"]),
            validation_file=ids["validation"],
            examples=counts["train"],
            validation_examples=counts["validation"],
            format=fmt,
        )

    # -- jobs --------------------------------------------------------------------------------------

    def create_job(self, request: JobRequest) -> ProviderJob:
        hp = dict(request.hyperparameters)
        params: dict[str, Any] = {}
        for ours, theirs in (("epochs", "n_epochs"), ("batch_size", "batch_size")):
            if hp.get(ours) is not None:
                params[theirs] = int(hp[ours])
        multiplier = hp.get("learning_rate_multiplier") or hp.get("learning_rate")
        if multiplier is not None:
            params["learning_rate_multiplier"] = float(multiplier)
        if request.method == "dpo":
            if hp.get("beta") is not None:
                params["beta"] = float(hp["beta"])
            method = {"type": "dpo", "dpo": {"hyperparameters": params}}
        else:
            method = {"type": "supervised", "supervised": {"hyperparameters": params}}
        kwargs: dict[str, Any] = {
            "model": request.base_model,
            "training_file": request.files.training_file,
            "method": method,
        }
        if request.files.validation_file:
            kwargs["validation_file"] = request.files.validation_file
        if request.suffix:
            kwargs["suffix"] = request.suffix[:64]
        if request.seed is not None:
            kwargs["seed"] = int(request.seed)
        if request.metadata:
            kwargs["metadata"] = {str(k)[:64]: str(v)[:512] for k, v in list(request.metadata.items())[:16]}
        job = self._call("job creation", self.client.fine_tuning.jobs.create, **kwargs)
        return _job(job)

    def get_job(self, job_id: str) -> ProviderJob:
        return _job(self._call("job lookup", self.client.fine_tuning.jobs.retrieve, job_id))

    def list_events(self, job_id: str) -> list[JobEvent]:
        page = self._call("event listing", self.client.fine_tuning.jobs.list_events, job_id, limit=100)
        events = []
        for ev in self._call("event listing", list, page):  # follows the cursor through every page
            events.append(
                JobEvent(
                    id=str(ev.id),
                    created_at=utc(ev.created_at),  # type: ignore[arg-type]
                    level=str(ev.level),
                    message=str(ev.message),
                    type=str(ev.type or "message"),
                    data=ev.data if isinstance(ev.data, Mapping) else None,
                )
            )
        events.sort(key=lambda e: (e.created_at, e.id))
        return events

    def list_metrics(self, job_id: str) -> list[StepMetrics]:
        """Step metrics from the job's ``metrics`` events, plus the full-validation metrics of its checkpoints."""
        by_step: dict[int, dict[str, float]] = {}
        times: dict[int, Any] = {}
        for ev in self.list_events(job_id):
            if ev.type != "metrics" or not ev.data or "step" not in ev.data:
                continue
            step = int(ev.data["step"])
            by_step.setdefault(step, {}).update(_metrics(ev.data))
            times[step] = ev.created_at
        for cp in self.list_checkpoints(job_id):
            by_step.setdefault(cp.step, {}).update(cp.metrics)
            times.setdefault(cp.step, cp.created_at)
        return [StepMetrics(step=s, values=v, time=times.get(s)) for s, v in sorted(by_step.items()) if v]

    def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        page = self._call("checkpoint listing", self.client.fine_tuning.jobs.checkpoints.list, job_id, limit=100)
        out = []
        for cp in self._call("checkpoint listing", list, page):
            metrics = cp.metrics.model_dump(exclude_none=True) if cp.metrics is not None else {}
            out.append(
                Checkpoint(
                    id=str(cp.id),
                    step=int(cp.step_number),
                    model=str(cp.fine_tuned_model_checkpoint),
                    metrics=_metrics(metrics),
                    created_at=utc(cp.created_at),
                )
            )
        return sorted(out, key=lambda c: c.step)

    def cancel(self, job_id: str) -> ProviderJob:
        return _job(self._call("job cancel", self.client.fine_tuning.jobs.cancel, job_id))

    # -- models ------------------------------------------------------------------------------------

    def list_base_models(self) -> list[BaseModelInfo]:
        from agenthone.datasets import model_info

        return [
            BaseModelInfo(model, methods, model_info(model, settings=self.settings).training_usd_per_1m)
            for model, methods in FINE_TUNABLE_MODELS
        ]

    def estimate_cost(self, dataset: Dataset, *, method: Method, base_model: str, epochs: int | None) -> CostEstimate:
        """Billed tokens of the very file :meth:`prepare_files` uploads, counted by ``hone dataset validate``."""
        from agenthone.datasets import validate_file

        fmt = _FORMATS[method]
        report = validate_file(dataset.export_path(fmt, "train"), format=fmt, model=base_model, settings=self.settings)
        price, source = report.model.training_usd_per_1m, "price table (agenthone.datasets, [prices] in hone.toml)"
        if self.price_usd_per_million_tokens is not None:
            price, source = float(self.price_usd_per_million_tokens), "[providers.openai] setting"
        if price is None:
            raise ProviderError(
                f"no training price known for {base_model!r}; add it to hone.toml as "
                f'[prices."{base_model}"] with training_usd_per_1m = ... to estimate its cost'
            )
        n_epochs = int(epochs) if epochs else report.epochs
        billed = report.epoch_tokens * n_epochs
        return CostEstimate(
            provider=self.name,
            base_model=base_model,
            dataset_tokens=report.epoch_tokens,
            epochs=n_epochs,
            billed_tokens=billed,
            usd_per_million_tokens=price,
            usd=billed * price / 1_000_000,
            basis=f"tokens of the uploaded {fmt} file counted with tiktoken {report.model.encoding}; "
            f"price from the {source}" + ("" if epochs else f"; epochs 'auto' = {n_epochs}"),
        )

    def chat_model(self, model: str) -> ChatModel:
        return OpenAIChatModel(self, model)


class OpenAIChatModel:
    """Chat completions of one model, a few requests at a time."""

    def __init__(self, provider: OpenAIProvider, model: str) -> None:
        self.provider = provider
        self.model = model
        self.name = f"openai:{model}"

    def generate(
        self, prompts: Sequence[Sequence[Message]], *, max_new_tokens: int = 256, temperature: float = 0.0
    ) -> list[str]:
        client = self.provider.client

        def one(messages: Sequence[Message]) -> str:
            response = self.provider._call(
                "chat completion",
                client.chat.completions.create,
                model=self.model,
                messages=[dict(m) for m in messages],
                max_completion_tokens=max_new_tokens,
                temperature=temperature,
            )
            content = response.choices[0].message.content if response.choices else None
            return str(content or "").strip()

        with ThreadPoolExecutor(max_workers=self.provider.concurrency) as pool:
            return list(pool.map(one, prompts))


def _metrics(data: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in data.items():
        name = _METRIC_NAMES.get(key)
        if name and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _job(job: Any) -> ProviderJob:
    error = None
    if job.error is not None and (job.error.code or job.error.message):
        error = f"{job.error.code}: {job.error.message}" + (f" (param {job.error.param})" if job.error.param else "")
    hp: dict[str, Any] = {}
    method = getattr(job, "method", None)
    detail = getattr(method, method.type, None) if method is not None and method.type else None
    source = getattr(detail, "hyperparameters", None) or job.hyperparameters
    if source is not None:
        hp = source.model_dump(exclude_none=True)
    return ProviderJob(
        id=str(job.id),
        status=job.status,
        base_model=str(job.model),
        fine_tuned_model=job.fine_tuned_model,
        created_at=utc(job.created_at),
        finished_at=utc(job.finished_at),
        trained_tokens=job.trained_tokens,
        error=redact(error) if error else None,
        hyperparameters=hp,
        estimated_finish=utc(job.estimated_finish),
        extra={"result_files": list(job.result_files or []), "method": method.type if method is not None else None},
    )


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])
    message = str(getattr(exc, "message", "") or exc)
    return message.splitlines()[0] if message else type(exc).__name__


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())
