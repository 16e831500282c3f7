"""Prompts: agents' system prompts as versions in the MLflow prompt registry, variants from what people
correct, and offline replay of past requests before any live test.

    from agenthone import Workbench
    wb = Workbench.open()
    wb.prompts.register("support-responder", open("prompt.txt").read(), label="v3", alias="production")
    variants = generate_variants(wb.store, wb.prompts, "support-responder", n=4)          # rule-based, offline
    result = replay(wb.store, "support-responder", variants=[v.version for v in variants],
                    model="openai:gpt-4o-mini", settings=wb.settings, sample=50)
    result.summary(); result.best; result.to_experiment(wb.experiments)
"""

from agenthone.prompts._registry import PromptError, PromptRegistry, PromptVersion, prompt_name, prompt_performance
from agenthone.prompts._replay import ReplayResult, historical_requests, replay
from agenthone.prompts._variants import Rule, apply_rules, generate_variants, llm_variants, rules_from_findings

__all__ = [
    "PromptError",
    "PromptRegistry",
    "PromptVersion",
    "ReplayResult",
    "Rule",
    "apply_rules",
    "generate_variants",
    "historical_requests",
    "llm_variants",
    "prompt_name",
    "prompt_performance",
    "replay",
    "rules_from_findings",
]
