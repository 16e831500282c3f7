"""The dataset contract: one canonical ``Example`` shape that every later stage reads.

Providers, training and evaluation take a built :class:`~agenthone.datasets.Dataset` and read its
examples in this shape; exporters turn it into each provider's file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

__all__ = ["Example", "ExampleSource"]


class ExampleSource(TypedDict):
    """Where an example came from in the store."""

    kind: str
    """``edit``, ``conversation`` or ``run``."""
    id: str
    agent_name: str | None
    category: str | None
    task_type: str | None


class Example(TypedDict):
    """One training or evaluation example in OpenAI chat form.

    ``messages`` ends with the assistant reply to learn (equal to ``reference``). ``rejected`` is the AI
    output a person replaced (a preference pair for DPO); ``weight`` 0 marks a failure kept so that a
    trainer can see it without learning it; ``tools`` are the function schemas the conversation offered.
    """

    id: str
    messages: list[dict[str, Any]]
    source: ExampleSource
    reference: str
    rejected: NotRequired[str]
    weight: NotRequired[int]
    tools: NotRequired[list[dict[str, Any]]]


@dataclass
class CandidateInfo:
    """What the build knows of a candidate example beyond the example itself (never written out)."""

    timestamp: Any = None
    groups: list[str] = field(default_factory=list)
    """Split groups: examples sharing one (a session, a conversation) land in the same split."""
    quality: float | None = None
    failure: bool = False
    accepted: bool | None = None
    edit_distance: float | None = None
