"""The planted online experiments: a prompt A/B test with a known acceptance lift and an A/A test.

Units are sessions. Runs carry their own session; an edit carries the session of the run it came from (else
a session of its own whose runs were not logged), so a unit sees one variant in runs and edits alike. Variants are
assigned by :func:`agenthone.experiments._assign.assign` (50/50), the same hash a live agent would use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agenthone.experiments._assign import assign
from agenthone.sample._edits import EditDraft
from agenthone.sample._plan import AB_BASE_ACCEPT, Plan, Timeline, stratified_flags
from agenthone.sample._runs import RunTable

__all__ = [
    "AA_EDIT_SHARE",
    "AA_NAME",
    "AB_EDIT_SHARE",
    "AB_LIFT",
    "AB_NAME",
    "PlantedExperiments",
    "experiments_truth",
    "plant_experiments",
    "session_unit",
]

AB_NAME = "prompt-ab"
AA_NAME = "aa-check"
VARIANTS = ("control", "treatment")
WEIGHTS = (0.5, 0.5)
AB_LIFT = 0.18
"""Absolute acceptance lift of the treatment prompt: large enough to be decisive on the small sample."""
AB_EDIT_SHARE = 0.2
"""Share of all edits that the A/B agent receives (teams test on a busy agent)."""
AA_EDIT_SHARE = 0.05
"""Share of all edits that the A/A agent receives."""


def session_unit(visit: int) -> str:
    """The session id of a run's visit code, as written to runs.jsonl."""
    return f"ses-{visit:010x}"


@dataclass
class PlantedExperiments:
    """Which runs and edits belong to which experiment, variant and unit."""

    runs: dict[int, dict[str, str]] = field(default_factory=dict)
    """run index -> metadata entries"""
    rates: dict[str, dict[str, float]] = field(default_factory=dict)
    """experiment -> variant -> planted acceptance"""

    def agent_of(self, plan: Plan) -> dict[str, int]:
        return {AB_NAME: plan.ab_test, AA_NAME: plan.aa_test}


def _arm_rates(plan: Plan) -> dict[str, dict[str, float]]:
    half = AB_LIFT / 2
    aa = float(plan.p_accept[plan.aa_test])
    return {
        AB_NAME: {"control": round(AB_BASE_ACCEPT - half, 4), "treatment": round(AB_BASE_ACCEPT + half, 4)},
        AA_NAME: {"control": aa, "treatment": aa},
    }


def plant_experiments(
    plan: Plan, runs: RunTable, drafts: list[EditDraft], rng: np.random.Generator
) -> PlantedExperiments:
    """Tag the experiment agents' runs and edits in the window, and give each arm its planted acceptance.

    Mutates ``runs.version`` and the drafts (``version``, ``outcome``, ``experiment``, ``variant``, ``unit``):
    the treatment arm of the A/B test runs a new prompt version. Each arm's acceptance is realised week by
    week (as every other rate in the sample), so the A/B agent's overall rate stays what it was.
    """
    out = PlantedExperiments(rates=_arm_rates(plan))
    start = plan.experiment_start
    for name, agent in out.agent_of(plan).items():
        new_version = int(plan.agents[agent].versions) + 1
        mine = np.flatnonzero(runs.agent == agent)
        variant_of: dict[str, str] = {}

        def variant(unit: str, name: str = name, cache: dict[str, str] = variant_of) -> str:
            v = cache.get(unit)
            if v is None:
                v = cache[unit] = assign(name, unit, VARIANTS, WEIGHTS)
            return v

        for i in mine[runs.ts[mine] >= start].tolist():
            unit = session_unit(int(runs.visit[i]))
            v = variant(unit)
            out.runs[i] = {"experiment": name, "variant": v, "unit": unit}
            if name == AB_NAME and v == "treatment":
                runs.version[i] = new_version
        arms: dict[str, list[EditDraft]] = {v: [] for v in VARIANTS}
        for e in drafts:
            if e.agent != agent or e.ts < start:
                continue
            # an edit of a logged run shares its session; any other edit comes from a session with no run logged
            visit = int(runs.visit[e.run]) if e.run >= 0 else int(rng.integers(16**9, 16**10))
            e.unit = session_unit(visit)
            e.experiment = name
            e.variant = variant(e.unit)
            if name == AB_NAME and e.variant == "treatment":
                e.version = new_version
            arms[e.variant].append(e)
        for v, members in arms.items():
            ts = np.array([e.ts for e in members], dtype=np.int64)
            rate = out.rates[name][v]
            flags = stratified_flags(ts, plan.timeline, rate, rate, rng)
            for e, f in zip(members, flags.tolist(), strict=True):
                e.outcome = "accept" if f else "small"
    return out


def experiments_truth(
    plan: Plan, planted: PlantedExperiments, tallies: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    """The ``experiments`` section of ground_truth.json."""
    names = [a.name for a in plan.agents]
    truth: dict[str, Any] = {}
    for name, agent in planted.agent_of(plan).items():
        versions = plan.agents[agent].versions
        current = f"v{versions}"
        treatment = f"v{versions + 1}" if name == AB_NAME else current
        arms: dict[str, dict[str, Any]] = {}
        for v in VARIANTS:
            t = tallies.get((name, v), {"n": 0, "accepted": 0, "units": set()})
            run_units = {m["unit"] for m in planted.runs.values() if m["experiment"] == name and m["variant"] == v}
            arms[v] = {
                "edits": int(t["n"]),
                "accepted": int(t["accepted"]),
                "acceptance": round(t["accepted"] / t["n"], 4) if t["n"] else None,
                "edit_units": len(t["units"]),
                "runs": sum(1 for m in planted.runs.values() if m["experiment"] == name and m["variant"] == v),
                "run_units": len(run_units),
                "units": len(run_units | t["units"]),
            }
        rates = planted.rates[name]
        truth[name] = {
            "agent": names[agent],
            "kind": "A/B" if name == AB_NAME else "A/A",
            "metric": "acceptance",
            "salt": name,
            "unit_kind": "session",
            "variants": [
                {"name": "control", "prompt_version": current, "weight": WEIGHTS[0]},
                {"name": "treatment", "prompt_version": treatment, "weight": WEIGHTS[1]},
            ],
            "control_rate": rates["control"],
            "treatment_rate": rates["treatment"],
            "lift": round(rates["treatment"] - rates["control"], 4),
            "realised": {
                "control_rate": arms["control"]["acceptance"],
                "treatment_rate": arms["treatment"]["acceptance"],
            },
            "start": Timeline.iso(plan.experiment_start),
            "end": Timeline.iso(plan.timeline.end),
            "units": arms["control"]["units"] + arms["treatment"]["units"],
            "arms": arms,
        }
    return truth
