"""Candidate prompt edits from what people correct: rules from the agent's improvement opportunities, or an LLM.

Both generators read the same findings (:func:`agenthone.analytics.edits.improvement_opportunities`: phrases
deleted and added, tone shifts, intents accepted least) and register each variant as a new version of the
agent's prompt, derived from the base version, with its rationale and the findings it answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agenthone.prompts._registry import PromptError, PromptRegistry, PromptVersion

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.providers import ChatModel
    from agenthone.store import Store

__all__ = ["LLM_INSTRUCTIONS", "Rule", "apply_rules", "generate_variants", "llm_variants", "rules_from_findings"]

RULES_HEADING = "Rules learned from reviewers' edits:"

_TONE_RULES = {
    "shorter": "Keep answers short: say it in fewer sentences.",
    "longer": "Give complete answers with the details reviewers add.",
    "more formal": "Write in a formal, professional register.",
    "less formal": "Write in a conversational register.",
    "more positive": "Use a warmer tone.",
    "more negative": "Keep the tone neutral and factual.",
    "easier to read": "Use short sentences and plain words.",
    "harder to read": "Use precise, specific wording.",
}


@dataclass(frozen=True)
class Rule:
    """One instruction for the prompt, and the finding it answers."""

    text: str
    kind: str
    """remove | add | tone | intent"""
    phrase: str | None
    finding: str
    evidence: str
    share: float
    priority: float

    def as_finding(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "finding": self.finding,
            "evidence": self.evidence,
            "share": round(self.share, 4),
            "rule": self.text,
        }


def _quoted(finding: str) -> str | None:
    m = re.search(r"'(.*)'", finding)
    return m.group(1) if m else None


def _rule(verb: str, phrase: str) -> str:
    """``Do not open with "X".``, without a second full stop when the phrase has one."""
    return f'{verb} "{phrase}"' + ("" if phrase[-1:] in ".!?" else ".")


def rules_from_findings(findings: pd.DataFrame) -> list[Rule]:
    """Prompt rules, one per finding of :func:`improvement_opportunities` (in its priority order)."""
    rules: list[Rule] = []
    for f in findings.to_dict("records"):
        kind = str(f["kind"])
        finding = str(f["finding"])
        recommendation = str(f.get("recommendation") or "")
        phrase = _quoted(finding) if kind in ("remove", "add") else None
        if kind == "remove" and phrase:
            verb = (
                "Do not open with"
                if "open with" in recommendation
                else "Do not end with"
                if "end with" in (recommendation)
                else "Never write"
            )
            text = _rule(verb, phrase)
        elif kind == "add" and phrase:
            text = _rule("Always include", phrase)
        elif kind == "tone":
            m = re.match(r"edits make outputs (.+?) \(", finding)
            text = _TONE_RULES.get(m.group(1) if m else "", "")
        elif kind == "intent":
            intent = _quoted(finding) or "these"
            text = f"For '{intent}' requests, follow the reviewers' house style closely and check every fact."
        else:
            text = ""
        if text and text not in {r.text for r in rules}:
            rules.append(
                Rule(text, kind, phrase, finding, str(f.get("evidence") or ""), float(f["share"]), float(f["priority"]))
            )
    return rules


def apply_rules(template: str, rules: Sequence[Rule]) -> str:
    """``template`` with ``rules`` added under one heading; a line asking for a phrase people delete is dropped."""
    removed = [r.phrase.lower() for r in rules if r.kind == "remove" and r.phrase]
    lines = [ln for ln in template.strip().splitlines() if not any(p in ln.lower() for p in removed)]
    if RULES_HEADING in lines:  # rules of an earlier variant: keep them, add the new ones
        have = set(lines)
        new = [f"- {r.text}" for r in rules if f"- {r.text}" not in have]
        return "\n".join([*lines, *new])
    body = "\n".join(lines).strip()
    return f"{body}\n\n{RULES_HEADING}\n" + "\n".join(f"- {r.text}" for r in rules)


def _rule_sets(rules: Sequence[Rule], n: int) -> list[list[Rule]]:
    """Up to ``n`` rule sets: the top rule, the top two, the top three... then each remaining rule alone."""
    sets: list[list[Rule]] = [list(rules[: k + 1]) for k in range(min(len(rules), 3))]
    sets += [[r] for r in rules[1:]]
    unique: list[list[Rule]] = []
    for s in sets:
        if [r.text for r in s] not in [[r.text for r in u] for u in unique]:
            unique.append(s)
    return unique[:n]


LLM_INSTRUCTIONS = (
    "You improve system prompts of LLM agents from what reviewers correct in the agent's outputs. "
    'Answer with JSON only: a list of {n} objects with keys "prompt" (the full revised system prompt) and '
    '"rationale" (one sentence: which findings it answers and how). Keep what works; change what the findings '
    "show reviewers correct; make each variant different."
)


def llm_variants(model: ChatModel, template: str, rules: Sequence[Rule], n: int) -> list[tuple[str, str]]:
    """(prompt, rationale) pairs written by ``model`` from the current prompt and the findings."""
    findings = "\n".join(f"- {r.finding} ({r.evidence}); suggested rule: {r.text}" for r in rules)
    messages = [
        {"role": "system", "content": LLM_INSTRUCTIONS.format(n=n)},
        {"role": "user", "content": f"Current system prompt:\n<<<\n{template}\n>>>\n\nFindings:\n{findings}"},
    ]
    reply = model.generate([messages], max_new_tokens=2048, temperature=0.0)[0]
    start, end = reply.find("["), reply.rfind("]")
    try:
        items = json.loads(reply[start : end + 1]) if start >= 0 and end > start else None
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list):
        raise PromptError(f"the model's answer is not a JSON list of prompts: {reply[:120]!r}")
    out = []
    for item in items[:n]:
        if isinstance(item, Mapping) and str(item.get("prompt") or "").strip():
            out.append((str(item["prompt"]).strip(), str(item.get("rationale") or "written by the model")))
    if not out:
        raise PromptError("the model wrote no usable prompt variant")
    return out


def generate_variants(
    store: Store,
    registry: PromptRegistry,
    agent: str,
    *,
    n: int = 4,
    generator: Literal["rules", "llm"] = "rules",
    model: str | ChatModel | None = None,
    base: str | int = "production",
    range: str = "90d",  # noqa: A002
    alias: str | None = None,
    settings: Any = None,
) -> list[PromptVersion]:
    """Register up to ``n`` variants of ``agent``'s prompt (derived from ``base``) from its improvement findings.

    ``generator="rules"`` works offline; ``"llm"`` asks ``model`` (``openai:MODEL``, ``anthropic:MODEL``, a job,
    a local folder; see :func:`agenthone.evaluation.resolve_model`). ``base`` is a version, label or alias;
    without a ``production`` alias the latest version is the base. ``alias`` (e.g. ``candidate``) is set on the
    first variant.
    """
    from agenthone.analytics.edits import improvement_opportunities

    if n < 1:
        raise PromptError("n must be at least 1")
    parent = registry.find(agent, base)
    if parent is None:  # no production alias yet: the latest version; any other name must exist
        parent = registry.get(agent) if str(base) == "production" else registry.get(agent, base)
    findings = improvement_opportunities(store, agent, range=range, top=10)
    rules = rules_from_findings(findings)
    if not rules:
        raise PromptError(f"no improvement opportunity found in {agent}'s edits ({range}): nothing to vary")
    made: list[PromptVersion] = []
    known = {v.template: v for v in registry.versions(agent)}
    if generator == "rules":
        for chosen in _rule_sets(rules, n):
            rationale = "; ".join(f"{r.text} ({r.finding}: {r.evidence})" for r in chosen)
            text = apply_rules(parent.template, chosen)
            if text == parent.template or text in {v.template for v in made}:
                continue
            if text in known:  # registered before (an earlier run): the same version, not a copy
                made.append(known[text])
                continue
            made.append(
                registry.register(
                    agent,
                    text,
                    source="rules",
                    parent=parent.version,
                    rationale=rationale,
                    findings=[r.as_finding() for r in chosen],
                )
            )
    elif generator == "llm":
        if model is None:
            raise PromptError("the llm generator needs a model (e.g. openai:gpt-4o-mini)")
        from agenthone.evaluation import resolve_model

        resolved = resolve_model(model, settings=settings or registry.settings, store=store)
        for text, rationale in llm_variants(resolved, parent.template, rules, n):
            made.append(
                registry.register(
                    agent,
                    text,
                    source="llm",
                    parent=parent.version,
                    rationale=f"{rationale} (by {resolved.ref})",
                    findings=[r.as_finding() for r in rules],
                )
            )
    else:
        raise PromptError(f"unknown generator {generator!r}; expected rules or llm")
    if alias and made:
        made[0] = registry.set_alias(agent, alias, made[0].version)
    return made
