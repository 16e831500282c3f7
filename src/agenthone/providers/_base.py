"""Providers by role, and the records they hand back.

A :class:`ChatProvider` generates with its models; a :class:`FineTuner` turns a built dataset into
provider files, starts a fine-tuning job, reports its status, events and step metrics, cancels it and
estimates what it costs. A provider plays the roles it has (Anthropic only chats; OpenAI and the local
trainer do both). The job manager (``agenthone.training``) only talks to these roles, so a job on this
machine and a job at OpenAI are tracked, gated and registered the same way.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, Self, runtime_checkable

from agenthone.errors import HoneError

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.datasets import Dataset

__all__ = [
    "API_KEY_VARIABLES",
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "BaseModelInfo",
    "ChatModel",
    "ChatProvider",
    "Checkpoint",
    "CostEstimate",
    "FineTuner",
    "JobEvent",
    "JobRequest",
    "JobStatus",
    "Message",
    "Method",
    "NotSupportedError",
    "Provider",
    "ProviderError",
    "ProviderJob",
    "Registration",
    "StepMetrics",
    "TrainingFiles",
    "redact",
]

Method = Literal["sft", "dpo"]
JobStatus = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[str, ...] = ("validating_files", "queued", "running", "succeeded", "failed", "cancelled")
TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
Message = Mapping[str, Any]
"""An OpenAI-style chat message: ``{"role": ..., "content": ...}`` (plus ``tool_calls`` and friends)."""

API_KEY_VARIABLES: tuple[str, ...] = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY")
"""Environment variables that hold provider keys; their values never reach a log, a run or a message."""


class ProviderError(HoneError):
    """A provider refused or failed a request (the message never contains an API key)."""


class NotSupportedError(ProviderError):
    """The provider cannot do what was asked (e.g. Anthropic has no public fine-tuning API)."""


def redact(text: str) -> str:
    """``text`` with the value of every provider API key in the environment replaced by ``***``."""
    for name in API_KEY_VARIABLES:
        secret = os.environ.get(name)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class TrainingFiles:
    """Training and validation data as the provider knows it (file ids, or paths for the local provider)."""

    training_file: str
    validation_file: str | None
    examples: int
    validation_examples: int
    format: str


@dataclass(frozen=True)
class JobRequest:
    """Everything a provider needs to start one fine-tuning job."""

    base_model: str
    method: Method
    files: TrainingFiles
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    """A folder owned by this job (the local provider trains in it)."""
    job_id: str | None = None
    """agenthone's own id of the job; the local provider uses it as the provider job id too."""


@dataclass(frozen=True)
class ProviderJob:
    """A snapshot of a job as the provider reports it."""

    id: str
    status: JobStatus
    base_model: str
    fine_tuned_model: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    trained_tokens: int | None = None
    error: str | None = None
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    estimated_finish: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Provider-specific details worth keeping (peak memory, runtime, output folder, ...)."""

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class JobEvent:
    """One line of a job's event log."""

    id: str
    created_at: datetime
    level: str
    message: str
    type: str = "message"
    data: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        return d


@dataclass(frozen=True)
class StepMetrics:
    """Metrics of one training step; names are normalised across providers.

    ``train_loss``, ``validation_loss``, ``train_token_accuracy``, ``validation_token_accuracy``,
    ``learning_rate``, ``grad_norm``, ``tokens_per_second``, ``epoch`` (whichever the provider reports).
    """

    step: int
    values: Mapping[str, float]
    time: datetime | None = None


@dataclass(frozen=True)
class Checkpoint:
    """A usable intermediate model of a job, with the metrics at its step."""

    id: str
    step: int
    model: str
    metrics: Mapping[str, float]
    created_at: datetime | None = None


@dataclass(frozen=True)
class CostEstimate:
    """What a job will cost: billed training tokens times the price per token."""

    provider: str
    base_model: str
    dataset_tokens: int
    epochs: int
    billed_tokens: int
    usd_per_million_tokens: float | None
    usd: float
    basis: str
    """How the figure was obtained (token counter, price source), shown with the estimate."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BaseModelInfo:
    """A model that this provider can fine-tune."""

    id: str
    methods: tuple[str, ...]
    usd_per_million_training_tokens: float | None = None
    note: str = ""


@runtime_checkable
class ChatModel(Protocol):
    """Anything that turns chat prompts into assistant replies: the common ground of evaluation and registry."""

    name: str

    def generate(
        self, prompts: Sequence[Sequence[Message]], *, max_new_tokens: int = 256, temperature: float = 0.0
    ) -> list[str]: ...


class Provider(ABC):  # noqa: B024 - a common base of the roles, not an interface of its own
    """A service (or this machine) known by name; it plays one role or both: :class:`ChatProvider`, :class:`FineTuner`.

    ``get_provider(name, settings=...)`` builds it with :meth:`from_settings` from hone.toml's
    ``[providers.<name>]`` table and keyword options. Third-party providers register a subclass in the
    ``agenthone.providers`` entry-point group.
    """

    name: ClassVar[str] = ""
    fine_tuning_hint: ClassVar[str] = ""
    """For a provider that cannot fine-tune: what to do instead (shown when someone asks it to)."""

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """The provider configured for a workspace (options already merged with its hone.toml table)."""
        return cls(**options)


class ChatProvider(Provider):
    """The chat role: generates replies with any of its models (evaluation, judging, registered models)."""

    @abstractmethod
    def chat_model(self, model: str) -> ChatModel:
        """A :class:`ChatModel` that generates with ``model`` (a base or fine-tuned model id)."""

    def generate(
        self,
        model: str,
        prompts: Sequence[Sequence[Message]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
    ) -> list[str]:
        """Replies of ``model`` to each prompt (a list of chat messages)."""
        return self.chat_model(model).generate(prompts, max_new_tokens=max_new_tokens, temperature=temperature)

    def registered_model(self, config: Mapping[str, Any], artifacts: Mapping[str, str]) -> ChatModel:
        """The chat model of a registered version, from its MLflow model config and artifact paths."""
        return self.chat_model(str(config["model"]))


class FineTuner(Provider):
    """The fine-tuning role: turns a built dataset into provider files and runs, reports and prices jobs."""

    hosts_models: ClassVar[bool] = True
    """True when fine-tuned models live at the provider (their ids are secrets of the account)."""
    watch_intervals: ClassVar[tuple[float, float, float]] = (5.0, 0.0, 60.0)
    """Seconds between polls, between full syncs while peeking (0: every poll syncs), and the back-off ceiling."""

    def default_base_model(self, settings: Settings) -> str:
        """The base model a job uses when none is named."""
        return settings.default_model

    @abstractmethod
    def prepare_files(self, dataset: Dataset, *, method: Method, workdir: Path) -> TrainingFiles:
        """Write the dataset's train/validation splits in the provider's format and upload them if remote."""

    @abstractmethod
    def create_job(self, request: JobRequest) -> ProviderJob:
        """Start a fine-tuning job."""

    @abstractmethod
    def get_job(self, job_id: str) -> ProviderJob:
        """The job's current state."""

    @abstractmethod
    def list_events(self, job_id: str) -> list[JobEvent]:
        """The job's events, oldest first."""

    @abstractmethod
    def list_metrics(self, job_id: str) -> list[StepMetrics]:
        """Step metrics reported so far, by step."""

    def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        """Intermediate models kept by the provider (none by default)."""
        return []

    @abstractmethod
    def cancel(self, job_id: str) -> ProviderJob:
        """Ask the provider to stop the job."""

    @abstractmethod
    def list_base_models(self) -> list[BaseModelInfo]:
        """Models this provider can fine-tune."""

    @abstractmethod
    def estimate_cost(self, dataset: Dataset, *, method: Method, base_model: str, epochs: int | None) -> CostEstimate:
        """What fine-tuning ``base_model`` on ``dataset`` would cost."""

    def job_cost(
        self, *, trained_tokens: int | None, estimate: Mapping[str, Any], details: Mapping[str, Any] | None = None
    ) -> float | None:
        """What a finished job cost: its billed tokens at the estimate's price (None when unknown).

        ``details`` are what the provider reported of the job (a local job is costed by its compute time).
        """
        price = estimate.get("usd_per_million_tokens")
        if trained_tokens and price:
            return trained_tokens * float(price) / 1e6
        return None

    def model_location(self, model: str, *, details: Mapping[str, Any]) -> dict[str, Any]:
        """Where a job's fine-tuned ``model`` lives beyond its id (local folders, adapters...)."""
        return {}

    def baseline_model(self, base_model: str, *, details: Mapping[str, Any], workdir: Path | None) -> str:
        """The model a job started from, as :meth:`ChatProvider.chat_model` takes it."""
        return base_model

    def registration(
        self, location: Mapping[str, Any], *, details: Mapping[str, Any], workdir: Path | None
    ) -> Registration:
        """What a registered version of a job's model carries: its config, artifacts and requirements."""
        options = dict(details.get("provider_options") or {})
        config: dict[str, Any] = {"provider_options": options} if options else {}
        return Registration(config=config, artifacts={}, requirements=[self.name])

    def display_model(self, model: str) -> str:
        """A short name of a base or fine-tuned model for tables."""
        return model


@dataclass(frozen=True)
class Registration:
    """The parts of an MLflow model version that depend on the provider that trained it."""

    config: dict[str, Any]
    artifacts: dict[str, str]
    requirements: list[str]


def utc(ts: float | int | None) -> datetime | None:
    """A UTC datetime from a Unix timestamp (None stays None)."""
    return None if ts is None else datetime.fromtimestamp(float(ts), UTC)


def now() -> datetime:
    return datetime.now(UTC)


def prompt_of(example: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The messages a model sees for a canonical example: every message before the final assistant reply."""
    messages = list(example.get("messages") or [])
    if messages and messages[-1].get("role") == "assistant":
        messages = messages[:-1]
    return [dict(m) for m in messages]


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a message: string content, text parts joined, tool calls as JSON."""
    import json

    content = message.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = "".join(str(p.get("text", "")) if isinstance(p, Mapping) else str(p) for p in content)
    elif content is None:
        text = ""
    else:
        text = json.dumps(content, ensure_ascii=False)
    calls = message.get("tool_calls")
    if calls:
        rendered = json.dumps(list(calls), ensure_ascii=False, default=str)
        text = f"{text}\n<tool_calls>{rendered}</tool_calls>" if text else f"<tool_calls>{rendered}</tool_calls>"
    return text


def read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    """Objects of a JSON Lines file; a bad line raises a ProviderError naming file and line."""
    import json

    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ProviderError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise ProviderError(f"{path}:{n}: expected a JSON object, got {type(obj).__name__}")
            yield obj
