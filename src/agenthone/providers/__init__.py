"""Providers by role: a ``ChatProvider`` generates, a ``FineTuner`` trains; a provider plays the roles it has.

    from agenthone import Workbench
    wb = Workbench.open()
    wb.provider("openai").generate("gpt-4o-mini", [[{"role": "user", "content": "Hi"}]])
    wb.fine_tuner("openai").list_base_models()        # OPENAI_API_KEY from the environment

Shipped: ``local`` (this machine; both roles), ``openai`` (both) and ``anthropic`` (chat only). Another
package adds its own (an OpenAI-compatible service, an in-house trainer) by subclassing the roles and
registering the class in the ``agenthone.providers`` entry-point group::

    [project.entry-points."agenthone.providers"]
    acme = "acme_hone:AcmeProvider"

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
    ChatProvider,
    Checkpoint,
    CostEstimate,
    FineTuner,
    JobEvent,
    JobRequest,
    JobStatus,
    Message,
    Method,
    NotSupportedError,
    Provider,
    ProviderError,
    ProviderJob,
    Registration,
    StepMetrics,
    TrainingFiles,
    redact,
)
from agenthone.providers._local import SCRATCH, LocalProvider
from agenthone.providers._openai import OpenAIProvider

__all__ = [
    "API_KEY_VARIABLES",
    "ENTRY_POINT_GROUP",
    "JOB_STATUSES",
    "NO_FINE_TUNING",
    "PROVIDERS",
    "SCRATCH",
    "TERMINAL_STATUSES",
    "AnthropicProvider",
    "BaseModelInfo",
    "ChatModel",
    "ChatProvider",
    "Checkpoint",
    "CostEstimate",
    "FineTuner",
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
    "Registration",
    "StepMetrics",
    "TrainingFiles",
    "available_providers",
    "get_chat_provider",
    "get_fine_tuner",
    "get_provider",
    "redact",
]

ENTRY_POINT_GROUP = "agenthone.providers"
"""The entry-point group a package registers its providers in (``name = "module:ProviderClass"``)."""

_BUILTIN: dict[str, str] = {
    "local": "agenthone.providers._local:LocalProvider",
    "openai": "agenthone.providers._openai:OpenAIProvider",
    "anthropic": "agenthone.providers._anthropic:AnthropicProvider",
}

PROVIDERS: tuple[str, ...] = tuple(_BUILTIN)
"""The providers that ship with agenthone; :func:`available_providers` adds the registered ones."""


def _registered() -> dict[str, str]:
    """Provider name -> ``module:attribute``: the built-ins, then the entry-point group (a package may override)."""
    from importlib.metadata import entry_points

    found = dict(_BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.value
    return found


def available_providers() -> list[str]:
    """Names of every provider that :func:`get_provider` can build here."""
    return sorted(_registered())


def _provider_class(name: str) -> type[Provider]:
    import importlib

    target = _registered().get(name)
    if target is None:
        raise ConfigError(f"unknown provider {name!r} (known: {', '.join(available_providers())})")
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"provider {name!r}: cannot load {target} ({exc})") from None
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        raise ConfigError(f"provider {name!r}: {target} is not a Provider subclass")
    return obj


def get_provider(name: str, *, settings: Settings, **options: Any) -> Provider:
    """The provider called ``name``, configured from ``options`` and hone.toml's ``[providers.<name>]``."""
    configured = settings.extra.get("providers", {})
    section = dict(configured.get(name, {})) if isinstance(configured, dict) else {}
    section.update({k: v for k, v in options.items() if v is not None})
    cls = _provider_class(name)
    try:
        return cls.from_settings(settings, **section)
    except TypeError as exc:
        raise ConfigError(f"[providers.{name}]: {exc}") from None


def get_chat_provider(name: str, *, settings: Settings, **options: Any) -> ChatProvider:
    """The provider ``name`` in its chat role (an error naming the provider when it has none)."""
    provider = get_provider(name, settings=settings, **options)
    if not isinstance(provider, ChatProvider):
        raise NotSupportedError(f"the {name} provider cannot generate: it is a fine-tuner only")
    return provider


def get_fine_tuner(name: str, *, settings: Settings, **options: Any) -> FineTuner:
    """The provider ``name`` in its fine-tuning role (an error saying what to do instead when it has none)."""
    provider = get_provider(name, settings=settings, **options)
    if not isinstance(provider, FineTuner):
        raise NotSupportedError(provider.fine_tuning_hint or f"the {name} provider cannot fine-tune")
    return provider
