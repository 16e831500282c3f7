"""An LLM judge: a second model grades each output against the reference with a rubric.

The judge answers in JSON (``{"score": 1-5, "reason": "..."}``); scores are rescaled to [0, 1]. An
answer that cannot be parsed scores None and is left out of the mean rather than counted as zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agenthone.providers import ChatModel, Message

__all__ = ["DEFAULT_RUBRIC", "JudgeVerdict", "LLMJudge"]

DEFAULT_RUBRIC = """\
Grade the RESPONSE an assistant gave to the CONVERSATION. The REFERENCE is the answer a human expert
approved. 5: as good as the reference for this user (content, facts, tone, length); 4: minor differences
a user would accept; 3: usable after small edits; 2: needs major edits; 1: wrong, off-task or unusable."""

_PROMPT = """{rubric}

CONVERSATION:
{conversation}

REFERENCE:
{reference}

RESPONSE:
{response}

Answer with JSON only: {{"score": <integer {low}-{high}>, "reason": "<one sentence>"}}"""


@dataclass(frozen=True)
class JudgeVerdict:
    score: float | None
    """The grade rescaled to [0, 1]; None when the judge's answer could not be read."""
    raw: int | None
    reason: str


class LLMJudge:
    """Grades outputs with a chat model (``openai:...`` or ``anthropic:...``) and a rubric."""

    def __init__(self, model: ChatModel, *, rubric: str = DEFAULT_RUBRIC, low: int = 1, high: int = 5) -> None:
        self.model = model
        self.rubric = rubric
        self.low, self.high = low, high
        self.name = getattr(model, "name", "judge")

    def prompt(self, conversation: Sequence[Message], reference: str, response: str) -> list[dict[str, str]]:
        text = "\n".join(f"{m.get('role')}: {m.get('content')}" for m in conversation)
        body = _PROMPT.format(
            rubric=self.rubric, conversation=text, reference=reference, response=response, low=self.low, high=self.high
        )
        return [{"role": "user", "content": body}]

    def judge(
        self, conversations: Sequence[Sequence[Message]], references: Sequence[str], responses: Sequence[str]
    ) -> list[JudgeVerdict]:
        prompts = [self.prompt(c, r, p) for c, r, p in zip(conversations, references, responses, strict=True)]
        answers = self.model.generate(prompts, max_new_tokens=200, temperature=0.0)
        return [self.parse(a) for a in answers]

    def parse(self, answer: str) -> JudgeVerdict:
        raw: int | None = None
        reason = ""
        match = re.search(r"\{.*\}", answer, re.S)
        if match:
            try:
                data: Any = json.loads(match.group(0))
                raw = round(float(data.get("score")))
                reason = str(data.get("reason") or "")
            except (ValueError, TypeError, AttributeError):
                raw = None
        if raw is None:
            found = re.search(r"\b([1-9])\b", answer)
            raw = int(found.group(1)) if found else None
            reason = reason or answer.strip()[:200]
        if raw is None or not self.low <= raw <= self.high:
            return JudgeVerdict(None, raw, reason or answer.strip()[:200])
        return JudgeVerdict((raw - self.low) / (self.high - self.low), raw, reason)
