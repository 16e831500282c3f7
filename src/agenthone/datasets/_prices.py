"""Fine-tuning models: token encoding, per-example limit and training price.

The table ships as ``prices.toml`` beside this module; a workspace overrides or extends it with a
``[prices."<model>"]`` table in hone.toml (keys as in the shipped file), since prices change faster than
releases.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from agenthone.datasets._tokens import EncodingUnavailableError, encoding_for_model
from agenthone.errors import ConfigError

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["BEDROCK_DEFAULT_MODEL", "ModelInfo", "default_model_for", "model_info", "price_table"]

BEDROCK_DEFAULT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
"""The model assumed for Bedrock files when none is given (OpenAI formats use the workspace's default_model)."""


def default_model_for(format: str, settings: Settings | None = None) -> str:  # noqa: A002 - the CLI option's name
    """The model assumed for a file format when none is given (without a workspace: the settings' default)."""
    if format == "bedrock":
        return BEDROCK_DEFAULT_MODEL
    if settings is not None:
        return settings.default_model
    from agenthone.config import Settings

    return str(Settings.model_fields["default_model"].default)


@dataclass(frozen=True)
class ModelInfo:
    """What validation and cost estimates need to know about a fine-tunable model."""

    model: str
    provider: str | None
    encoding: str
    max_tokens_per_example: int | None
    training_usd_per_1m: float | None
    approximate: bool = False
    """True when the provider's tokenizer is not the encoding used here (counts are estimates)."""

    def cost_usd(self, billed_tokens: int) -> float | None:
        if self.training_usd_per_1m is None:
            return None
        return billed_tokens * self.training_usd_per_1m / 1_000_000

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@cache
def _shipped() -> dict[str, Any]:
    text = resources.files("agenthone.datasets").joinpath("prices.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def price_table(settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """Model name -> entry, the shipped table updated by the workspace's ``[prices]`` in hone.toml."""
    table: dict[str, dict[str, Any]] = {name: dict(entry) for name, entry in _shipped()["models"].items()}
    overrides = (settings.extra.get("prices") if settings is not None else None) or {}
    if not isinstance(overrides, dict):
        raise ConfigError("setting 'prices' must be a table of models, e.g. [prices.\"gpt-4o-mini\"]")
    for name, entry in overrides.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"setting 'prices.{name}' must be a table (training_usd_per_1m = ...)")
        target = _resolve_name(table, name) or name
        table.setdefault(target, {}).update(entry)
    return table


def _resolve_name(table: dict[str, dict[str, Any]], model: str) -> str | None:
    if model in table:
        return model
    for name, entry in table.items():
        if model in entry.get("aliases", ()):
            return name
    base = model.removeprefix("ft:").split(":", 1)[0] if model.startswith("ft:") else None
    if base:
        return _resolve_name(table, base)
    # a newer snapshot of a known family ("gpt-4o-mini-2025-..."): priced like the family's longest match
    families = [(alias, name) for name, entry in table.items() for alias in (name, *entry.get("aliases", ()))]
    matches = [(alias, name) for alias, name in families if model.startswith(alias + "-")]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else None


def model_info(model: str, *, settings: Settings | None = None) -> ModelInfo:
    """The encoding, limit and price of ``model`` (aliases and ``ft:`` ids resolve to their base)."""
    table = price_table(settings)
    name = _resolve_name(table, model)
    entry = table.get(name, {}) if name else {}
    encoding = entry.get("encoding")
    if encoding is None:
        try:
            encoding = encoding_for_model(model)
        except EncodingUnavailableError:
            raise EncodingUnavailableError(
                f"unknown model {model!r}: known models are {', '.join(sorted(table))}; "
                f'add it to hone.toml as [prices."{model}"] with encoding = "o200k_base" (or cl100k_base)'
            ) from None
    limit = entry.get("max_tokens_per_example")
    price = entry.get("training_usd_per_1m")
    return ModelInfo(
        model=name or model,
        provider=entry.get("provider"),
        encoding=str(encoding),
        max_tokens_per_example=int(limit) if limit is not None else None,
        training_usd_per_1m=float(price) if price is not None else None,
        approximate=bool(entry.get("approximate", False)),
    )
