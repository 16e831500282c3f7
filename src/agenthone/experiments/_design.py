"""``ExperimentDesign``: what an experiment compares, on which units and metrics, and how big it must be.

The first variant is the control. A variant is a prompt version, a registered model (``name@alias``), or
both; an A/A test has two identical variants. The minimum detectable effect is relative by default
(``mde=0.05``: a 5% lift of the baseline), as :func:`required_sample_size` takes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agenthone.errors import ConfigError, HoneError
from agenthone.experiments._stats import HIGHER_IS_BETTER

__all__ = [
    "HIGHER_IS_BETTER",
    "METRICS",
    "UNIT_KINDS",
    "DesignError",
    "Experiment",
    "ExperimentDesign",
    "ExperimentNotFoundError",
    "Variant",
    "metric_kind",
    "parse_variant",
]

METRICS: tuple[str, ...] = ("acceptance", "edit_distance", "success", "score", "latency_ms", "cost_usd")
"""Metrics of the per-unit frame: acceptance and edit_distance from edits; the others from runs."""

EDIT_METRICS = ("acceptance", "edit_distance")
RUN_METRICS = ("success", "score", "latency_ms", "cost_usd")
RATE_METRICS = ("acceptance", "success")

UNIT_KINDS: tuple[str, ...] = ("user", "session", "intent")
UnitKind = Literal["user", "session", "intent"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


class DesignError(ConfigError):
    """An experiment design is invalid; the message names the field."""


class ExperimentNotFoundError(HoneError):
    """No experiment of that name, neither created nor seen in the outcomes' metadata."""


def metric_kind(metric: str) -> str:
    """``proportion`` for rate metrics (acceptance, success), else ``mean`` (the per-unit frame may demote)."""
    return "proportion" if metric in RATE_METRICS else "mean"


class Variant(BaseModel):
    """One arm: a name, what it serves (prompt version and/or ``model@alias``) and its traffic weight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    prompt_version: str | None = None
    model: str | None = None
    """a registered model as ``name@alias`` (or ``name/version``), or a provider's model id"""
    weight: float = Field(default=1.0, gt=0)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a variant name is letters, digits, '.', '_' or '-' (at most 100)")
        return value

    @field_validator("prompt_version", "model")
    @classmethod
    def _non_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    def describe(self) -> str:
        parts = [p for p in (f"prompt {self.prompt_version}" if self.prompt_version else None, self.model) if p]
        return " + ".join(parts) or "(as is)"


def parse_variant(text: str, weight: float = 1.0) -> Variant:
    """A variant from ``NAME=SPEC``: SPEC is comma-separated parts, ``model@alias`` or a prompt version.

    ``treatment=v4``, ``tuned=support-model@champion``, ``both=v4,support-model@champion``, or just ``NAME``.
    """
    name, _, spec = text.partition("=")
    fields: dict[str, Any] = {"name": name.strip(), "weight": weight}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key = "model" if ("@" in part or part.startswith("models:/")) else "prompt_version"
        if key in fields:
            raise DesignError(f"variant {text!r}: two {key.replace('_', ' ')}s")
        fields[key] = part
    try:
        return Variant(**fields)
    except ValidationError as exc:
        raise DesignError(f"variant {text!r}: {_message(exc)}") from None


class ExperimentDesign(BaseModel):
    """An experiment as planned: variants (the first is the control), metrics, effect size, error rates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    agent: str | None = None
    """the agent whose traffic is split (outcomes joined through exposures are this agent's)"""
    variants: tuple[Variant, ...]
    primary_metric: str = "acceptance"
    guardrails: tuple[str, ...] = ()
    mde: float = Field(default=0.05, gt=0)
    """minimum detectable effect: relative lift (0.05 = +5% of the baseline) unless ``relative`` is False"""
    relative: bool = True
    alpha: float = Field(default=0.05, gt=0, lt=1)
    power: float = Field(default=0.8, gt=0, lt=1)
    unit_kind: UnitKind = "user"
    salt: str | None = None
    """the hashing salt; defaults to the name, so two experiments split traffic independently"""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("an experiment name is letters, digits, '.', '_' or '-' (at most 100)")
        return value

    @field_validator("variants", mode="before")
    @classmethod
    def _coerce_variants(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(parse_variant(v) if isinstance(v, str) else v for v in value)
        return value

    @field_validator("primary_metric")
    @classmethod
    def _check_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r} (known: {', '.join(METRICS)})")
        return value

    @field_validator("guardrails", mode="before")
    @classmethod
    def _split_guardrails(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("guardrails")
    @classmethod
    def _check_guardrails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for metric in value:
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
        if len(set(value)) != len(value):
            raise ValueError("a guardrail is listed twice")
        return value

    @model_validator(mode="after")
    def _check(self) -> ExperimentDesign:
        if len(self.variants) < 2:
            raise ValueError("an experiment needs two or more variants")
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique: {', '.join(names)}")
        if self.primary_metric in self.guardrails:
            raise ValueError(f"{self.primary_metric} is the primary metric; it cannot be a guardrail too")
        return self

    @classmethod
    def build(cls, **fields: Any) -> ExperimentDesign:
        """Validate ``fields``; an error is one :class:`DesignError` naming the field."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise DesignError(f"experiment {fields.get('name', '?')!r}: {_message(exc)}") from None

    # -- derived -----------------------------------------------------------------------------------

    @property
    def control(self) -> str:
        return self.variants[0].name

    @property
    def treatments(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variants[1:])

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variants)

    @property
    def weights(self) -> dict[str, float]:
        return {v.name: v.weight for v in self.variants}

    @property
    def hash_salt(self) -> str:
        return self.salt or self.name

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.primary_metric, *self.guardrails)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    def required_sample_size(self, baseline: float, *, sd: float | None = None, kind: str | None = None) -> int:
        """Units per arm for a fixed-horizon test to detect ``mde`` at ``alpha`` with ``power``.

        ``kind`` overrides the primary metric's kind (a rate observed as per-unit means is tested as a mean).
        """
        from agenthone.experiments._stats import required_sample_size

        kind = kind or metric_kind(self.primary_metric)
        return required_sample_size(
            baseline=baseline,
            mde=self.mde,
            alpha=self.alpha,
            power=self.power,
            kind=kind,
            sd=sd,
            relative=self.relative,
        )

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Experiment:
    """A stored experiment: its design, state and plan.

    ``source`` is ``store`` for an experiment created with :meth:`Experiments.create`, ``outcomes`` for one
    known only from the ``experiment`` key in runs' and edits' metadata (its design then inferred).
    """

    design: ExperimentDesign
    status: str = "running"
    created_at: datetime | None = None
    stopped_at: datetime | None = None
    baseline: float | None = None
    sd: float | None = None
    planned_n: int | None = None
    """units per arm the fixed-horizon test needs (from the baseline when the experiment was created)"""
    decision: dict[str, Any] | None = None
    source: Literal["store", "outcomes"] = "store"

    @property
    def name(self) -> str:
        return self.design.name

    @property
    def running(self) -> bool:
        return self.status == "running"

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.design.as_dict(),
            "salt": self.design.hash_salt,
            "status": self.status,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "baseline": self.baseline,
            "sd": self.sd,
            "planned_n": self.planned_n,
            "decision": self.decision,
            "source": self.source,
        }


def _message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
