"""``watch``: the unattended check of every agent, for cron: alerts, drift, new failure patterns, next steps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.watch._drift import input_drift, new_failure_patterns

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.analytics import Window
    from agenthone.prompts import PromptRegistry
    from agenthone.store import Store

__all__ = ["NEEDS_PERSON_EXIT", "WatchResult", "next_steps", "watch"]

NEEDS_PERSON_EXIT = 3
"""Exit code of ``hone watch`` when something needs a person (an alert, drift or a new failure pattern)."""


@dataclass
class WatchResult:
    """What ``watch`` found over the recent window, against the baseline window before it."""

    recent: Window
    baseline: Window
    alerts: pd.DataFrame
    drift: pd.DataFrame
    """every test run (see ``drift`` column for the flagged ones)"""
    patterns: pd.DataFrame
    """every recent pattern tested (see ``new`` column for the new ones)"""
    steps: list[dict[str, Any]] = field(default_factory=list)
    """per agent with a finding: the suggested next step, the command and the evidence"""

    @property
    def drifted(self) -> pd.DataFrame:
        return self.drift[self.drift["drift"]] if len(self.drift) else self.drift

    @property
    def new_patterns(self) -> pd.DataFrame:
        return self.patterns[self.patterns["new"]] if len(self.patterns) else self.patterns

    @property
    def needs_person(self) -> bool:
        return bool(len(self.alerts) or len(self.drifted) or len(self.new_patterns))

    @property
    def title(self) -> str:
        if not self.needs_person:
            return f"agenthone watch: all quiet ({self.recent.start.date()} to {self.recent.last_day})"
        agents = sorted({s["agent"] for s in self.steps})
        return f"agenthone watch: {len(agents)} agent(s) need a look ({', '.join(agents[:5])})"

    def summary(self) -> list[str]:
        lines = [
            self.title,
            f"recent {self.recent.start.date()}..{self.recent.last_day} vs the {self.baseline.days} days before",
        ]
        for r in self.alerts.to_dict("records"):
            lines.append(f"ALERT {r['agent']}: {r['reason']}")
        for r in self.drifted.to_dict("records"):
            lines.append(f"DRIFT {r['agent']}: {r['measure']} ({r['detail']}; Holm p={r['p_adjusted']:.2g})")
        for r in self.new_patterns.to_dict("records"):
            verb = "deleting" if r["kind"] == "deletion" else "adding"
            lines.append(
                f"NEW PATTERN {r['agent']}: people started {verb} '{r['pattern']}' "
                f"({r['baseline_share']:.0%} -> {r['recent_share']:.0%} of edits; "
                f"Holm p={r['p_adjusted']:.2g})"
            )
        for s in self.steps:
            lines.append(f"NEXT {s['agent']}: {s['step']} ({s['evidence']}): {s['command']}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return list(json.loads(df.to_json(orient="records", date_format="iso")))

        return {
            "needs_person": self.needs_person,
            "title": self.title,
            "recent": self.recent.as_dict(),
            "baseline": self.baseline.as_dict(),
            "alerts": records(self.alerts),
            "drift": records(self.drifted),
            "new_patterns": records(self.new_patterns),
            "next_steps": self.steps,
        }


def next_steps(
    alerts: pd.DataFrame, drift: pd.DataFrame, patterns: pd.DataFrame, *, registry: PromptRegistry | None = None
) -> list[dict[str, Any]]:
    """One suggested next step per agent with a finding, most urgent finding first.

    A regression: compare the prompt versions around it and test a fix (or roll the prompt back); a new or
    growing failure pattern: a prompt variant, replayed offline; inputs that drifted: new training data and a
    fine-tune, since the prompt was written for other requests; a candidate prompt already registered: an
    online experiment.
    """
    steps: dict[str, dict[str, Any]] = {}

    def add(agent: str, step: str, command: str, evidence: str) -> None:
        steps.setdefault(agent, {"agent": agent, "step": step, "command": command, "evidence": evidence})

    for r in alerts.to_dict("records"):
        a = str(r["agent"])
        add(
            a,
            "find what changed, then try a prompt fix",
            f"hone agents trend {a}; hone prompts performance {a}; hone prompts variants --agent {a}",
            str(r["reason"]),
        )
    for r in patterns.to_dict("records") if len(patterns) else []:
        if r["new"]:
            a = str(r["agent"])
            verb = "deleted" if r["kind"] == "deletion" else "added"
            add(
                a,
                "a prompt variant",
                f"hone prompts variants --agent {a} -n 4",
                f"'{r['pattern']}' {verb} in {r['recent_share']:.0%} of last week's edits "
                f"vs {r['baseline_share']:.0%} before",
            )
    for r in drift.to_dict("records") if len(drift) else []:
        if r["drift"]:
            a = str(r["agent"])
            add(
                a,
                "a fine-tune on recent data (its inputs changed)",
                f"hone dataset build --name {a}-recent --agent {a}; hone train --dataset {a}-recent",
                f"{r['measure']}: {r['detail']}",
            )
    if registry is not None:
        for a, s in steps.items():
            candidate = registry.find(a, "candidate")
            production = registry.find(a, "production")
            if candidate is not None and production is not None and candidate.version != production.version:
                s.update(
                    step="an online experiment of the candidate prompt",
                    command=f"hone exp create prompt-{a} --agent {a} --variant control={production.label} "
                    f"--variant treatment={candidate.label}",
                )
    return list(steps.values())


def watch(
    store: Store,
    *,
    as_of: Any = None,
    recent_days: int = 7,
    baseline_days: int = 28,
    alpha: float = 0.05,
    registry: PromptRegistry | None = None,
) -> WatchResult:
    """Run the alerts, the drift tests and the new-pattern search over the recent window, and suggest next steps."""
    import pandas as pd

    from agenthone.analytics import Window, resolve_window
    from agenthone.analytics import alerts as find_alerts
    from agenthone.analytics._errors import AnalyticsError

    if recent_days < 1 or baseline_days < recent_days:
        raise AnalyticsError("recent_days must be at least 1 and baseline_days at least recent_days")
    recent = resolve_window(store, f"{recent_days}d", as_of=as_of)
    baseline = Window(recent.start - pd.Timedelta(days=baseline_days), recent.start, f"{baseline_days}d before")
    found = find_alerts(store, alpha=alpha, recent_days=recent_days, baseline_days=baseline_days, as_of=as_of)
    drift = input_drift(store, recent, baseline, alpha=alpha)
    patterns = new_failure_patterns(store, recent, baseline, alpha=alpha)
    result = WatchResult(recent=recent, baseline=baseline, alerts=found, drift=drift, patterns=patterns)
    result.steps = next_steps(found, drift, patterns, registry=registry)
    return result
