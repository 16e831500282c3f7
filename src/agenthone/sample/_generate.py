"""``generate_sample``: realistic agent logs with known effects planted in them, and the answer key."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agenthone.sample._agents import OMISSION_PHRASES
from agenthone.sample._conversations import (
    NEAR_MIN_JACCARD,
    ConversationSet,
    build_conversations,
    write_conversations,
)
from agenthone.sample._edits import plan_edits, write_edits
from agenthone.sample._experiments import AA_EDIT_SHARE, AB_EDIT_SHARE, experiments_truth, plant_experiments
from agenthone.sample._malformed import write_malformed
from agenthone.sample._plan import Plan, Timeline, make_plan, np_stream, py_stream
from agenthone.sample._prompts import sample_prompts
from agenthone.sample._runs import RunTable, build_runs, realised_success, write_runs
from agenthone.sample._text import FILLER_PHRASE

__all__ = ["DEFAULT_END", "SCALES", "SampleManifest", "generate_sample"]

Scale = Literal["small", "medium", "large"]

SCALES: dict[str, dict[str, int]] = {
    "small": {"runs": 20_000, "edits": 3_000, "conversations": 1_000},
    "medium": {"runs": 200_000, "edits": 30_000, "conversations": 10_000},
    "large": {"runs": 1_000_000, "edits": 100_000, "conversations": 20_000},
}
"""Record counts written for each scale."""

DEFAULT_END = dt.date(2026, 11, 1)
"""Last day of the sample by default: fixed, so a seed gives the same bytes on any day."""

FILES = {
    "runs": "runs.jsonl",
    "edits": "edits.jsonl",
    "conversations": "conversations.jsonl",
    "malformed": "malformed_runs.jsonl",
    "ground_truth": "ground_truth.json",
    "prompts": "prompts.json",
}


@dataclass(frozen=True)
class SampleManifest:
    """Where a generated sample lives and how many records each file holds."""

    out_dir: Path
    runs: Path
    edits: Path
    conversations: Path
    malformed: Path
    ground_truth: Path
    counts: dict[str, int] = field(default_factory=dict)
    prompts: Path | None = None
    """The system prompt of every agent's prompt versions (``hone prompts import`` registers them)."""

    def load_ground_truth(self) -> dict[str, Any]:
        """The answer key: planted effects, duplicate clusters, PII values, malformed-line verdicts."""
        with self.ground_truth.open(encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
        return data


def generate_sample(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    scale: Scale = "small",
    end: dt.date | None = None,
    days: int = 90,
    progress: Callable[[str, int, int], None] | None = None,
) -> SampleManifest:
    """Write runs, edits and conversations of ~20 agents over ``days`` days, plus a ground-truth file.

    Over the last six weeks one healthy agent runs a prompt A/B test (``prompt-ab``, the treatment's edits
    accepted more often by a known lift) and another an A/A test (``aa-check``); their runs and edits carry
    ``metadata.experiment``, ``variant`` and ``unit`` (a session), and ``ground_truth.json`` records both
    under ``experiments``.

    The same seed, scale and end date always give byte-identical files. ``progress(stage, done, total)``
    is called now and then while writing, for a progress bar.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if days < 14:
        raise ValueError("days must be at least 14 (the last 7 days are the regression window)")
    target = SCALES[scale]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {k: out / v for k, v in FILES.items()}
    timeline = Timeline.ending(end or DEFAULT_END, days)
    plan = make_plan(seed, scale, timeline)

    runs = build_runs(plan, target["runs"], np_stream(seed, "runs"))
    drafts = plan_edits(
        plan, target["edits"], runs, np_stream(seed, "edits"), experiment_shares=(AB_EDIT_SHARE, AA_EDIT_SHARE)
    )
    planted = plant_experiments(plan, runs, drafts, np_stream(seed, "experiments"))
    pii: list[dict[str, Any]] = []
    overrides: dict[int, tuple[Any, str]] = {}
    edit_pii: list[dict[str, Any]] = []
    stats = write_edits(
        paths["edits"],
        plan,
        drafts=drafts,
        runs=runs,
        rnd=py_stream(seed, "edit-text"),
        pii=edit_pii,
        overrides=overrides,
        progress=progress,
    )
    write_runs(
        paths["runs"],
        plan,
        runs,
        overrides=overrides,
        rnd=py_stream(seed, "run-text"),
        pii=pii,
        progress=progress,
        experiments=planted.runs,
    )
    pii.extend(edit_pii)
    convs = build_conversations(
        plan, target["conversations"], py_stream(seed, "conversations"), py_stream(seed, "duplicates")
    )
    write_conversations(paths["conversations"], convs, progress)
    pii.extend(
        {"kind": "conversation", "id": cid, "field": "messages", "type": kind, "value": value}
        for cid, kind, value in convs.pii
    )
    malformed = write_malformed(paths["malformed"], plan, py_stream(seed, "malformed"))
    if progress is not None:
        progress("malformed", 1, 1)

    counts = {"runs": len(runs), "edits": stats.n, "conversations": len(convs.records)}
    truth = _ground_truth(
        plan, counts=counts, runs=runs, tallies=stats.per_agent, convs=convs, pii=pii, malformed=malformed
    )
    truth["experiments"] = experiments_truth(plan, planted, stats.experiments)
    prompts = sample_prompts(plan)
    truth["effects"]["filler_phrase"]["better_prompt"] = prompts["better"]
    with paths["prompts"].open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(prompts, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    with paths["ground_truth"].open("w", encoding="utf-8", newline="\n") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return SampleManifest(
        out_dir=out,
        runs=paths["runs"],
        edits=paths["edits"],
        conversations=paths["conversations"],
        malformed=paths["malformed"],
        ground_truth=paths["ground_truth"],
        counts=counts,
        prompts=paths["prompts"],
    )


def _share(num: float, den: float) -> float:
    return round(num / den, 4) if den else 0.0


def _ground_truth(
    plan: Plan,
    *,
    counts: dict[str, int],
    runs: RunTable,
    tallies: dict[int, dict[str, float]],
    convs: ConversationSet,
    pii: list[dict[str, Any]],
    malformed: dict[str, Any],
) -> dict[str, Any]:
    tl = plan.timeline
    names = [a.name for a in plan.agents]
    agents = []
    for i, a in enumerate(plan.agents):
        t = tallies[i]
        success = runs.success[runs.agent == i]
        agents.append(
            {
                "agent_name": a.name,
                "agent_id": a.agent_id,
                "category": a.category,
                "task_types": [task.name for task in a.tasks],
                "intent_types": list(a.intents),
                "models": a.model_names,
                "prompt_versions": [f"v{k}" for k in range(1, a.versions + 1 + (i == plan.ab_test))],
                "healthy": plan.healthy(i),
                "effect": next((k for k, v in plan.planted.items() if v == i), None),
                "experiment": {plan.ab_test: "prompt-ab", plan.aa_test: "aa-check"}.get(i),
                "runs": len(success),
                "edits": int(t["n"]),
                "success_rate": round(float(success.mean()), 4) if len(success) else None,
                "acceptance_rate": _share(t["accepted"], t["n"]),
            }
        )
    reg = plan.regression
    success_before, success_after = realised_success(plan, runs, reg)
    omission_domain = plan.agents[plan.omission].domain
    return {
        "seed": plan.seed,
        "scale": plan.scale,
        "start": Timeline.iso(tl.start),
        "end": Timeline.iso(tl.end),
        "counts": counts,
        "agents": agents,
        "effects": {
            "filler_phrase": {
                "agent": names[plan.filler],
                "phrase": FILLER_PHRASE,
                "position": "start of ai_output",
                "edits": int(tallies[plan.filler]["n"]),
                "deleted_share": _share(tallies[plan.filler]["effect"], tallies[plan.filler]["n"]),
            },
            "omission": {
                "agent": names[plan.omission],
                "phrase": OMISSION_PHRASES[omission_domain],
                "position": "appended to final_output",
                "edits": int(tallies[plan.omission]["n"]),
                "added_share": _share(tallies[plan.omission]["effect"], tallies[plan.omission]["n"]),
            },
            "regression": {
                "agent": names[reg],
                "since": Timeline.iso(tl.since),
                "until": Timeline.iso(tl.end),
                "acceptance_before": _share(tallies[reg]["before_acc"], tallies[reg]["before_n"]),
                "acceptance_after": _share(tallies[reg]["after_acc"], tallies[reg]["after_n"]),
                "edits_before": int(tallies[reg]["before_n"]),
                "edits_after": int(tallies[reg]["after_n"]),
                "success_before": round(success_before, 4),
                "success_after": round(success_after, 4),
                "prompt_version_after": f"v{plan.agents[reg].versions}",
            },
            "tone_shift": {
                "agent": names[plan.tone],
                "shorter": True,
                "more_formal": True,
                "edits": int(tallies[plan.tone]["n"]),
                "share": _share(tallies[plan.tone]["effect"], tallies[plan.tone]["n"]),
            },
            "duplicates": {
                "exact": convs.exact,
                "near": convs.near,
                "near_min_jaccard": convs.near_min_jaccard,
                "near_threshold": NEAR_MIN_JACCARD,
                "shingles": "word 5-grams of the lower-cased, whitespace-split string contents of all messages",
            },
            "pii": pii,
            "malformed": malformed,
        },
        "notes": {
            "tool_call_share": convs.tool_share,
            "pii_counts": {kind: sum(1 for p in pii if p["kind"] == kind) for kind in ("run", "edit", "conversation")},
        },
    }
