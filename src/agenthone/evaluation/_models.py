"""Model references as users write them, resolved to something that generates.

=============================  ==================================================================
``ftjob-...`` / ``job:ID``     the fine-tuned model of a job (any provider)
``baseline:ID``                the model that job started from (for a scratch job: its untrained model)
``models:/name@alias``         a registered model version (also ``models:/name/3``, ``name@alias``)
``openai:gpt-4o-mini``         a provider's model (``anthropic:claude-...``, ``local:/path/to/model``)
``/path/to/model``             a local model (or LoRA adapter) folder
=============================  ==================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import HoneError
from agenthone.providers import ChatModel, available_providers, get_chat_provider

if TYPE_CHECKING:
    from agenthone.store import Store

__all__ = ["ModelResolutionError", "ResolvedModel", "resolve_model"]


class ModelResolutionError(HoneError):
    """A model reference names nothing that can generate."""


class ResolvedModel:
    """A :class:`ChatModel` plus where it came from (job, registry version), for tags and reports."""

    def __init__(self, model: ChatModel, *, ref: str, job_id: str | None = None, registry: str | None = None) -> None:
        self.model = model
        self.ref = ref
        self.job_id = job_id
        self.registry = registry
        self.name = ref

    def generate(self, prompts: Any, *, max_new_tokens: int = 256, temperature: float = 0.0) -> list[str]:
        return self.model.generate(prompts, max_new_tokens=max_new_tokens, temperature=temperature)

    def usd_per_second(self, settings: Settings) -> float:
        """What a second of generation costs: a model on this machine by its compute time
        (``local_usd_per_hour``); a hosted one is billed per token at prices not known here (NaN)."""
        from agenthone.providers._local_model import LocalChatModel

        return settings.local_usd_per_hour / 3600 if isinstance(self.model, LocalChatModel) else float("nan")

    def __repr__(self) -> str:
        return f"ResolvedModel({self.ref!r})"


def resolve_model(ref: str | ChatModel, *, settings: Settings, store: Store | None = None) -> ResolvedModel:
    """What ``ref`` names, ready to generate (see the module docstring for the accepted forms)."""
    if isinstance(ref, ResolvedModel):
        return ref
    if not isinstance(ref, str):
        return ResolvedModel(ref, ref=str(getattr(ref, "name", repr(ref))))
    text = ref.strip()
    if text.startswith("models:/"):
        return _registered(text, settings)
    prefix, sep, rest = text.partition(":")
    if sep and prefix in ("job", "baseline"):
        return _from_job(rest, settings, store, baseline=prefix == "baseline")
    if sep and rest and prefix in available_providers():
        provider = get_chat_provider(prefix, settings=settings)
        return ResolvedModel(provider.chat_model(rest), ref=text)
    if text.startswith("ftjob-"):
        return _from_job(text, settings, store, baseline=False)
    path = Path(text).expanduser()
    if path.is_dir():
        return ResolvedModel(get_chat_provider("local", settings=settings).chat_model(str(path)), ref=str(path))
    if "@" in text or "/" in text:
        return _registered(f"models:/{text}", settings)
    raise ModelResolutionError(
        f"cannot resolve model {ref!r}: use a job id, baseline:JOB, models:/NAME@ALIAS, openai:MODEL, "
        "anthropic:MODEL or a local model folder"
    )


def _registered(uri: str, settings: Settings) -> ResolvedModel:
    from agenthone.registry import load

    model = load(uri, settings=settings)
    return ResolvedModel(model, ref=uri, job_id=model.job_id, registry=model.uri)


def _from_job(job_id: str, settings: Settings, store: Store | None, *, baseline: bool) -> ResolvedModel:
    from agenthone.training import JobManager

    if store is None:
        from agenthone.store import Store as StoreClass

        with StoreClass.open(settings, read_only=True) as own:
            return _from_job(job_id, settings, own, baseline=baseline)
    jobs = JobManager(store, settings)
    job = jobs.get(job_id or None)
    where = jobs.baseline_model(job.job_id) if baseline else jobs.model_location(job.job_id)
    provider = get_chat_provider(
        str(where["provider"]), settings=settings, **(job.details.get("provider_options") or {})
    )
    label = f"baseline:{job.job_id}" if baseline else job.job_id
    return ResolvedModel(provider.chat_model(str(where["model"])), ref=label, job_id=job.job_id)
