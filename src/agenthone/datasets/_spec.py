"""``DatasetSpec``: what a dataset is built from, declared once (Python, TOML, YAML or CLI flags).

A spec file may group its keys in sections (``[filters]``, ``[cleaning]``, ``[split]``, ``[export]``) or
keep them flat; a ``[dataset]`` table at the top is read as the spec too, so a spec can live in a
larger config file. Every error names the field at fault.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agenthone.datasets._pii import DEFAULT_PII_ENTITIES, NER_ENTITIES, PII_ENTITIES
from agenthone.errors import ConfigError

__all__ = ["EXPORT_FORMATS", "SOURCES", "DatasetSpec", "SpecError"]

SOURCES = ("edits", "conversations", "runs")
EXPORT_FORMATS = ("openai-chat", "openai-dpo", "bedrock", "hf-sft", "hf-dpo")
_SECTIONS = ("filters", "sources_config", "cleaning", "pii", "dedup", "split", "export", "limits")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")

Source = Literal["edits", "conversations", "runs"]
ExportFormat = Literal["openai-chat", "openai-dpo", "bedrock", "hf-sft", "hf-dpo"]


class SpecError(ConfigError):
    """A dataset spec is invalid; the message names the field."""


class DatasetSpec(BaseModel):
    """A declarative recipe for a fine-tuning dataset.

    Sources: ``edits`` become (prompt -> human-approved final_output) examples; ``conversations``
    are used as they are, up to their last assistant message; ``runs`` whose ``score`` is at least
    ``min_score`` (and that succeeded) become (input -> output) examples.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sources: tuple[Source, ...] = ("edits", "conversations")
    # -- filters
    agents: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    task_types: tuple[str, ...] | None = None
    """task_type of runs, intent_type of edits, metadata.task_type of conversations"""
    since: datetime | None = None
    until: datetime | None = None
    min_score: float = Field(default=0.8, ge=0.0, le=1.0)
    """runs: minimum score (runs below it, or that failed, are failures)"""
    min_rating: float | None = None
    """conversations: minimum rating, on the logs' own scale (lower-rated ones are failures)"""
    accepted_only: bool = False
    """edits: keep only suggestions the person accepted unchanged"""
    min_acceptance: float | None = Field(default=None, ge=0.0, le=1.0)
    """edits: minimum edit similarity (1 - normalised edit distance) between ai_output and final_output"""
    failure_share: float = Field(default=0.0, ge=0.0, le=1.0)
    """share of failures kept, marked weight 0 (OpenAI chat keeps them as context; other formats drop them)"""
    min_samples: int = Field(default=0, ge=0)
    """per category when ``categories`` is given, per agent when ``agents`` is given, else overall"""
    max_samples: int | None = Field(default=None, ge=1)
    """cap on examples, sampled stratified by agent and task type"""
    seed: int = 0
    # -- cleaning
    redact_pii: bool = True
    pii_entities: tuple[str, ...] = DEFAULT_PII_ENTITIES
    redact_secrets: bool = True
    nlp_model: str | None = None
    """an installed spaCy model for NER entities (PERSON, ...); never downloaded"""
    dedup_exact: bool = True
    dedup_near: bool = True
    near_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    num_perm: int = Field(default=128, ge=16, le=1024)
    shingle_size: int = Field(default=5, ge=1, le=20)
    min_tokens: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    """per-example cap (default: the model's per-example limit)"""
    model: str | None = None
    """the model the data is for: its tokenizer counts tokens and its limit caps examples (default: the
    workspace's ``default_model``, recorded in the built version's spec)"""
    # -- split and export
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    formats: tuple[ExportFormat, ...] = ("openai-chat", "openai-dpo", "bedrock", "hf-sft", "hf-dpo")
    """exports written at build time (others are written on demand)"""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value) or "@" in value:
            raise ValueError("use letters, digits, '_', '-' or '.', starting with a letter or digit")
        return value

    @field_validator("sources", "formats")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one")
        return tuple(dict.fromkeys(value))

    @field_validator("pii_entities")
    @classmethod
    def _check_entities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = {*PII_ENTITIES, *NER_ENTITIES}
        for entity in value:
            if entity.upper() not in known:
                raise ValueError(f"unknown entity {entity!r}; known: {', '.join(sorted(known))}")
        return tuple(e.upper() for e in value)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("split")
    @classmethod
    def _check_split(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(v < 0 for v in value) or abs(sum(value) - 1.0) > 1e-6 or value[0] <= 0:
            raise ValueError("three shares (train, validation, test) >= 0 summing to 1, train > 0")
        return value

    @model_validator(mode="after")
    def _check_ranges(self) -> DatasetSpec:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        if self.min_tokens is not None and self.max_tokens is not None and self.min_tokens > self.max_tokens:
            raise ValueError("min_tokens must not exceed max_tokens")
        return self

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "spec") -> DatasetSpec:
        """A spec from a mapping whose keys may be grouped in sections; errors name the field."""
        flat = _flatten(data, source)
        try:
            return cls(**flat)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "spec"
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"unknown field (known: {', '.join(cls.model_fields)})"
            raise SpecError(f"{source}: field {where!r}: {message}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **overrides: Any) -> DatasetSpec:
        """A spec from a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file; ``overrides`` win."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"cannot read dataset spec {file}: {exc.strerror}") from None
        suffix = file.suffix.lower()
        try:
            if suffix == ".toml":
                data: Any = tomllib.loads(text)
            elif suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            elif suffix == ".json":
                data = json.loads(text)
            else:
                raise SpecError(f"{file}: unknown spec format {suffix!r}; use .toml, .yaml or .json")
        except SpecError:
            raise
        except Exception as exc:
            raise SpecError(f"{file}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise SpecError(f"{file}: a dataset spec must be a table/mapping")
        if isinstance(data.get("dataset"), dict):
            data = data["dataset"]
        merged = {**_flatten(data, str(file)), **{k: v for k, v in overrides.items() if v is not None}}
        return cls.from_dict(merged, source=str(file))

    def with_options(self, **changes: Any) -> DatasetSpec:
        """A copy with some fields changed (validated)."""
        return DatasetSpec.from_dict({**self.as_dict(), **{k: v for k, v in changes.items() if v is not None}})

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (times as ISO strings)."""
        data: dict[str, Any] = json.loads(self.model_dump_json())
        return data

    def to_toml(self) -> str:
        """The spec as a TOML document (what ``hone dataset build spec.toml`` reads back)."""
        lines = []
        for key, value in self.as_dict().items():
            if value is None:
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _flatten(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SECTIONS and isinstance(value, Mapping):
            for inner, inner_value in value.items():
                if inner in flat:
                    raise SpecError(f"{source}: field {inner!r} is given twice")
                flat[inner] = inner_value
        else:
            if key in flat:
                raise SpecError(f"{source}: field {key!r} is given twice")
            flat[key] = value
    return flat


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))
