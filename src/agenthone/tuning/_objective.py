"""What a study optimises: named objectives, each knowing its direction and where its value comes from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agenthone.errors import ConfigError

__all__ = ["OBJECTIVES", "Objective", "objectives"]


@dataclass(frozen=True)
class Objective:
    """A value a study optimises.

    ``source``: ``training`` (the job's final validation metrics), ``evaluation`` (the trained model generates
    for validation examples, scored against their references), or ``cost`` (what the trial's job cost).
    """

    name: str
    direction: Literal["minimize", "maximize"]
    source: Literal["training", "evaluation", "cost"]
    metric: str
    description: str


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("valid_loss", "minimize", "training", "validation_loss", "final validation loss"),
        Objective(
            "validation_token_accuracy",
            "maximize",
            "training",
            "validation_token_accuracy",
            "final validation token accuracy",
        ),
        Objective("edit_similarity", "maximize", "evaluation", "edit_similarity", "edit similarity to references"),
        Objective("chrf", "maximize", "evaluation", "chrf", "chrF against the references"),
        Objective("exact_match", "maximize", "evaluation", "exact_match", "share of exact matches"),
        Objective("cost", "minimize", "cost", "cost_usd", "what the trial's job cost (USD)"),
        Objective("latency", "minimize", "evaluation", "latency_s", "seconds per generated reply"),
    )
}
"""Objectives by name (``--objective``); several, comma-separated, make a multi-objective (Pareto) study."""


def objectives(names: str | Sequence[str]) -> list[Objective]:
    """The objectives named (a comma-separated string or a list); unknown names raise :class:`ConfigError`."""
    items = [n.strip() for n in names.split(",")] if isinstance(names, str) else [str(n).strip() for n in names]
    items = [n for n in items if n]
    if not items:
        raise ConfigError("give at least one objective")
    out = []
    for name in items:
        if name not in OBJECTIVES:
            raise ConfigError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
        out.append(OBJECTIVES[name])
    if len({o.name for o in out}) != len(out):
        raise ConfigError(f"objective named twice: {','.join(items)}")
    return out
