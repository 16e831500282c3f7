"""The quality gate: thresholds a finished job's validation metrics must meet before its model is registered."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from agenthone.config import Settings
from agenthone.errors import ConfigError
from agenthone.training._job import training_section

__all__ = ["GateResult", "QualityGate"]


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
        section = training_section(settings)
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
