"""Fine-tuning providers behind one interface: ``local`` (this machine), ``openai`` and ``anthropic``.

    from agenthone.providers import get_provider
    provider = get_provider("openai")                 # OPENAI_API_KEY from the environment
    provider.list_base_models()
    provider.generate("gpt-4o-mini", [[{"role": "user", "content": "Hi"}]])

Options come from keyword arguments, else from ``[providers.<name>]`` in hone.toml (for example
``base_url`` for an OpenAI-compatible service, or ``azure_endpoint`` and ``api_version`` for Azure
OpenAI). API keys come from the environment only.
"""

from __future__ import annotations

from typing import Any

from agenthone.config import Settings
from agenthone.errors import ConfigError
from agenthone.providers._anthropic import NO_FINE_TUNING, AnthropicProvider
from agenthone.providers._base import (
    API_KEY_VARIABLES,
    JOB_STATUSES,
    TERMINAL_STATUSES,
    BaseModelInfo,
    ChatModel,
    Checkpoint,
    CostEstimate,
    JobEvent,
    JobRequest,
    JobStatus,
    Message,
    Method,
    NotSupportedError,
    Provider,
    ProviderError,
    ProviderJob,
    StepMetrics,
    TrainingFiles,
    redact,
)
from agenthone.providers._local import SCRATCH, LocalProvider
from agenthone.providers._openai import OpenAIProvider

__all__ = [
    "API_KEY_VARIABLES",
    "JOB_STATUSES",
    "NO_FINE_TUNING",
    "PROVIDERS",
    "SCRATCH",
    "TERMINAL_STATUSES",
    "AnthropicProvider",
    "BaseModelInfo",
    "ChatModel",
    "Checkpoint",
    "CostEstimate",
    "JobEvent",
    "JobRequest",
    "JobStatus",
    "LocalProvider",
    "Message",
    "Method",
    "NotSupportedError",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "ProviderJob",
    "StepMetrics",
    "TrainingFiles",
    "get_provider",
    "redact",
]

PROVIDERS: tuple[str, ...] = ("local", "openai", "anthropic")


def get_provider(name: str, *, settings: Settings | None = None, **options: Any) -> Provider:
    """The provider called ``name``, configured from ``options`` and hone.toml's ``[providers.<name>]``."""
    settings = settings or Settings.load()
    configured = settings.extra.get("providers", {})
    section = dict(configured.get(name, {})) if isinstance(configured, dict) else {}
    section.update({k: v for k, v in options.items() if v is not None})
    try:
        if name == "local":
            section.setdefault("jobs_dir", settings.data_dir / "jobs")
            section.setdefault("models_dir", settings.data_dir / "models")
            return LocalProvider(**section)
        if name == "openai":
            section.setdefault("settings", settings)
            return OpenAIProvider(**section)
        if name == "anthropic":
            return AnthropicProvider(**section)
    except TypeError as exc:
        raise ConfigError(f"[providers.{name}]: {exc}") from None
    raise ConfigError(f"unknown provider {name!r} (known: {', '.join(PROVIDERS)})")
