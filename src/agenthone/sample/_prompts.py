"""The system prompt of every agent's prompt versions, and one better version nobody has deployed yet.

The filler-phrase agent's prompts ask it to open with the phrase people delete; its extra, undeployed version
replaces that line with a rule against it, so an offline replay (or an experiment) can show the gain against
the answer key. Drawn from a stream of its own: the logs are byte-identical with or without this file.
"""

from __future__ import annotations

from typing import Any

from agenthone.sample._domains import DOMAINS
from agenthone.sample._plan import Plan, py_stream
from agenthone.sample._text import FILLER_PHRASE, Writer

__all__ = ["BETTER_RULE", "FILLER_LINE", "sample_prompts"]

FILLER_LINE = f'Begin every answer with "{FILLER_PHRASE}"'
"""The line of the filler agent's deployed prompts that causes its filler phrase."""
BETTER_RULE = f'Do not open with "{FILLER_PHRASE}"'
"""The rule of the filler agent's better, undeployed prompt version."""


def sample_prompts(plan: Plan) -> dict[str, Any]:
    """``{"prompts": {agent: {label: template}}, "production": {agent: label}, "better": {...}}``."""
    rnd = py_stream(plan.seed, "prompts")
    prompts: dict[str, dict[str, str]] = {}
    production: dict[str, str] = {}
    better: dict[str, Any] = {}
    for i, spec in enumerate(plan.agents):
        writer = Writer(DOMAINS[spec.domain], spec.name, rnd)
        core = writer.system_prompt(writer.context())
        versions = spec.versions + (i == plan.ab_test)
        mine: dict[str, str] = {}
        for k in range(1, versions + 1):
            lines = [core, f"Follow the {spec.category.replace('_', ' ')} style guide, revision {k}."]
            if i == plan.filler:
                lines.append(FILLER_LINE)
            mine[f"v{k}"] = "\n".join(lines)
        production[spec.name] = f"v{spec.versions}"
        if i == plan.filler:
            label = f"v{versions + 1}"
            deployed = mine[f"v{spec.versions}"].splitlines()
            mine[label] = "\n".join([*(ln for ln in deployed if ln != FILLER_LINE), BETTER_RULE])
            better = {"agent": spec.name, "label": label, "baseline": f"v{spec.versions}", "rule": BETTER_RULE,
                      "removes": FILLER_PHRASE}  # fmt: skip
        prompts[spec.name] = mine
    return {"prompts": prompts, "production": production, "better": better}
