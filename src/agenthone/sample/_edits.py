"""Edits: people accepting or correcting AI suggestions, with the planted edit patterns on top."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agenthone.sample._agents import OMISSION_PHRASES
from agenthone.sample._domains import DOMAINS
from agenthone.sample._grammar import to_casual, to_formal
from agenthone.sample._humans import small_edit
from agenthone.sample._pii import pii_sentence, pii_value
from agenthone.sample._plan import DAY, HOUR_P, Plan, Timeline, stratified_flags
from agenthone.sample._runs import MODEL_NAMES, RunTable
from agenthone.sample._text import FILLER_PHRASE, Sentence, Writer

__all__ = ["EditStats", "plan_edits", "write_edits"]

Progress = Callable[[str, int, int], None]

_PLANTED_SHARE = {"regression": 0.14, "filler_phrase": 0.10, "omission": 0.10, "tone_shift": 0.10}
_LINK_SHARE = 0.4
_BATCH = 10_000
_EDITORS = ("web", "web", "cms-plugin", "api", "slack")

# outcome mixes of the planted agents (share of each outcome, realised exactly)
_FILLER_MIX = (("cut", 0.6), ("cut_small", 0.2), ("accept", 0.12), ("small", 0.08))
_OMISSION_MIX = (("add", 0.6), ("add_small", 0.15), ("accept", 0.17), ("small", 0.08))
_TONE_MIX = (("formal", 0.7), ("accept", 0.22), ("small", 0.08))


@dataclass
class EditDraft:
    agent: int
    ts: int
    run: int
    """index of the run that produced the suggestion, -1 when not logged"""
    model: str
    version: int
    outcome: str = "accept"
    experiment: str | None = None
    variant: str | None = None
    unit: str | None = None


@dataclass
class EditStats:
    """What was realised, for the ground truth."""

    n: int
    per_agent: dict[int, dict[str, float]]
    experiments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(experiment, variant) -> edits, accepted and the set of units"""


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    exact = total * weights / weights.sum()
    counts: np.ndarray = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def _mix(rng: np.random.Generator, n: int, mix: tuple[tuple[str, float], ...]) -> list[str]:
    counts = _largest_remainder(n, np.array([p for _, p in mix]))
    out = [name for (name, _), c in zip(mix, counts, strict=True) for _ in range(int(c))]
    return [out[i] for i in rng.permutation(n)]


def plan_edits(
    plan: Plan, n: int, runs: RunTable, rng: np.random.Generator, *, experiment_shares: tuple[float, float] = (0, 0)
) -> list[EditDraft]:
    """Who edited when, which run it came from, and the outcome of each edit (sorted by time).

    ``experiment_shares`` of all edits go to the agents running the planted A/B and A/A tests (busy
    agents, so the tests have the traffic to decide).
    """
    agents = plan.agents
    tl = plan.timeline
    planted = plan.planted
    share = np.zeros(len(agents))
    healthy = [i for i in range(len(agents)) if plan.healthy(i)]
    for effect, agent in planted.items():
        share[agent] = _PLANTED_SHARE[effect]
    spread = rng.uniform(0.85, 1.15, len(healthy))
    fixed = dict(zip((plan.ab_test, plan.aa_test), experiment_shares, strict=True))
    for agent, agent_share in fixed.items():
        if agent_share:
            spread[healthy.index(agent)] = 0.0
    share[healthy] = (1.0 - sum(_PLANTED_SHARE.values()) - sum(experiment_shares)) * spread / spread.sum()
    for agent, agent_share in fixed.items():
        share[agent] += agent_share
    per_agent = _largest_remainder(n, share)
    day_w = tl.day_weights()

    drafts: list[EditDraft] = []
    for a, spec in enumerate(agents):
        per_day = _largest_remainder(int(per_agent[a]), day_w * rng.lognormal(0.0, 0.1, tl.days))
        ok = np.flatnonzero((runs.agent == a) & runs.success)
        ok_ts = runs.ts[ok]
        used: set[int] = set()
        mw = np.array([w for _, w in spec.models])
        model_names = [m for m, _ in spec.models]
        for d in range(tl.days):
            for _ in range(int(per_day[d])):
                t = tl.start + d * DAY + int(rng.choice(24, p=HOUR_P)) * 3600 + int(rng.integers(0, 3600))
                run = -1
                if rng.random() < _LINK_SHARE and len(ok):
                    j = int(np.searchsorted(ok_ts, t, side="right")) - 1
                    while j >= 0 and int(ok[j]) in used:
                        j -= 1
                    if j >= 0 and t - int(ok_ts[j]) < 8 * 3600:
                        run = int(ok[j])
                        used.add(run)
                if run >= 0:
                    ts = min(tl.end, int(runs.ts[run]) + 20 + int(rng.exponential(480.0)))
                    model = MODEL_NAMES[int(runs.model[run])]
                    version = int(runs.version[run])
                else:
                    ts = t
                    model = model_names[int(rng.choice(len(model_names), p=mw / mw.sum()))]
                    version = 1 + int(np.searchsorted(plan.switches[a], ts, side="right"))
                drafts.append(EditDraft(a, ts, run, model, version))
    drafts.sort(key=lambda e: (e.ts, e.agent))

    for a in range(len(agents)):
        mine = [e for e in drafts if e.agent == a]
        if a == plan.filler:
            outcomes = _mix(rng, len(mine), _FILLER_MIX)
        elif a == plan.omission:
            outcomes = _mix(rng, len(mine), _OMISSION_MIX)
        elif a == plan.tone:
            outcomes = _mix(rng, len(mine), _TONE_MIX)
        else:
            times = np.array([e.ts for e in mine], dtype=np.int64)
            after = plan.accept_after if a == plan.regression else None
            flags = stratified_flags(times, tl, float(plan.p_accept[a]), after, rng)
            outcomes = ["accept" if f else "small" for f in flags.tolist()]
        for e, outcome in zip(mine, outcomes, strict=True):
            e.outcome = outcome
    return drafts


def _users(plan: Plan, rnd: random.Random) -> dict[str, tuple[list[str], list[float]]]:
    """A pool of editors per category, a few of them far busier than the rest."""
    pools: dict[str, tuple[list[str], list[float]]] = {}
    taken: set[int] = set()
    for category in dict.fromkeys(a.category for a in plan.agents):
        ids = []
        for _ in range(rnd.randint(6, 20)):
            k = rnd.randint(100, 9999)
            while k in taken:
                k = rnd.randint(100, 9999)
            taken.add(k)
            ids.append(f"u-{k}")
        pools[category] = (ids, [1.0 / (r + 1) ** 0.8 for r in range(len(ids))])
    return pools


def _join(sentences: list[str]) -> str:
    return " ".join(s for s in sentences if s)


def write_edits(
    path: Path,
    plan: Plan,
    *,
    drafts: list[EditDraft],
    runs: RunTable,
    rnd: random.Random,
    pii: list[dict[str, Any]],
    overrides: dict[int, tuple[Any, str]],
    progress: Progress | None,
    pii_rate: float = 0.05,
) -> EditStats:
    """Write edits.jsonl; fills ``overrides`` with the prompt and suggestion of each linked run."""
    agents = plan.agents
    writers = [Writer(DOMAINS[a.domain], a.name, rnd) for a in agents]
    users = _users(plan, rnd)
    n = len(drafts)
    width = max(6, len(str(n)))
    omission_phrase = OMISSION_PHRASES.get(agents[plan.omission].domain, OMISSION_PHRASES["legal"])
    tallies: dict[int, dict[str, float]] = {
        a: {"n": 0, "accepted": 0, "before_n": 0, "before_acc": 0, "after_n": 0, "after_acc": 0, "effect": 0}
        for a in range(len(agents))
    }
    exp_tallies: dict[tuple[str, str], dict[str, Any]] = {}
    lines: list[str] = []
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for k, e in enumerate(drafts):
            a = e.agent
            spec = agents[a]
            w = writers[a]
            eid = f"edit-{k + 1:0{width}d}"
            ctx = w.context()
            request = w.request(ctx)
            pii_found: tuple[str, str] | None = None
            if rnd.random() < pii_rate:
                pii_found = pii_value(rnd)
                request = f"{request} {pii_sentence(rnd, *pii_found)}"
            prompt: Any
            if rnd.random() < 0.55:
                prompt = request
            else:
                prompt = [{"role": "system", "content": w.system_prompt(ctx)}, {"role": "user", "content": request}]
            if pii_found is not None:
                pii.append({"kind": "edit", "id": eid, "field": "prompt", "type": pii_found[0], "value": pii_found[1]})
                if e.run >= 0:
                    pii.append(
                        {
                            "kind": "run",
                            "id": runs.id(e.run),
                            "field": "input",
                            "type": pii_found[0],
                            "value": pii_found[1],
                        }
                    )
            ai_output, final_output = _suggestion_and_final(
                plan, a, e.outcome, w=w, ctx=ctx, rnd=rnd, omission_phrase=omission_phrase
            )
            accepted = ai_output == final_output
            rec: dict[str, Any] = {
                "id": eid,
                "timestamp": Timeline.iso(e.ts),
                "agent_name": spec.name,
                "intent_type": spec.intents[int(rnd.random() * len(spec.intents))],
                "model": e.model,
                "prompt_version": f"v{e.version}",
                "user_id": rnd.choices(*users[spec.category])[0],
            }
            if e.run >= 0:
                rec["run_id"] = runs.id(e.run)
                overrides[e.run] = (prompt, ai_output)
            rec["prompt"] = prompt
            rec["ai_output"] = ai_output
            rec["final_output"] = final_output
            if accepted and rnd.random() < 0.3:
                rec["accepted"] = True
            if rnd.random() < 0.5:
                rec["metadata"] = {"editor": rnd.choice(_EDITORS), "seconds_spent": 3 + int(rnd.expovariate(1 / 40))}
            if e.experiment is not None and e.variant is not None:
                rec.setdefault("metadata", {}).update(experiment=e.experiment, variant=e.variant, unit=e.unit)
                tally = exp_tallies.setdefault((e.experiment, e.variant), {"n": 0, "accepted": 0, "units": set()})
                tally["n"] += 1
                tally["accepted"] += accepted
                tally["units"].add(e.unit)
            lines.append(json.dumps(rec, ensure_ascii=False))
            t = tallies[a]
            t["n"] += 1
            t["accepted"] += accepted
            side = "after" if e.ts >= plan.timeline.since else "before"
            t[side + "_n"] += 1
            t[side + "_acc"] += accepted
            t["effect"] += _effect_seen(plan, a, ai_output, final_output, omission_phrase)
            if len(lines) >= _BATCH:
                fh.write("\n".join(lines) + "\n")
                lines.clear()
                if progress is not None:
                    progress("edits", k + 1, n)
        if lines:
            fh.write("\n".join(lines) + "\n")
    if progress is not None:
        progress("edits", n, n)
    return EditStats(n=n, per_agent=tallies, experiments=exp_tallies)


def _effect_seen(plan: Plan, a: int, ai: str, final: str, omission_phrase: str) -> bool:
    """Whether an edit shows its agent's planted pattern, judged from the texts alone."""
    if a == plan.filler:
        return ai.startswith(FILLER_PHRASE) and FILLER_PHRASE not in final
    if a == plan.omission:
        return omission_phrase not in ai and omission_phrase in final
    if a == plan.tone:
        return len(final.split()) < len(ai.split()) and "!" not in final and "!" in ai
    return False


def _suggestion_and_final(
    plan: Plan, a: int, outcome: str, *, w: Writer, ctx: dict[str, str], rnd: random.Random, omission_phrase: str
) -> tuple[str, str]:
    sentences = w.answer(ctx, rnd.randint(2, 4), closer=0.4)
    if a == plan.tone:
        return _tone_texts(outcome, w, ctx, rnd, sentences)
    ai = [to_formal(s.text) for s in sentences]
    final = list(ai)

    def reword(i: int) -> str:
        return to_formal(w.reword(sentences[i], ctx).text)

    if outcome in ("small", "cut_small", "add_small"):
        small_edit(rnd, ai, final, reword)
    if a == plan.filler:
        ai_text = f"{FILLER_PHRASE} {_join(ai)}"
        final_text = _join(final) if outcome.startswith("cut") else f"{FILLER_PHRASE} {_join(final)}"
        return ai_text, final_text
    if a == plan.omission and outcome.startswith("add"):
        return _join(ai), f"{_join(final)} {omission_phrase}"
    return _join(ai), _join(final)


def _tone_texts(
    outcome: str, w: Writer, ctx: dict[str, str], rnd: random.Random, sentences: list[Sentence]
) -> tuple[str, str]:
    """Casual copy from the AI; most people rewrite it shorter and formal."""
    opener, extra = w.casual_extras(ctx)
    marked = [opener, *sentences]
    if extra is not None:
        marked.insert(rnd.randint(2, len(marked)), extra)
    ai = [to_casual(s.text) for s in marked]
    if outcome == "formal":
        formal = [to_formal(s.text) for s in sentences]
        if len(formal) >= 3:
            del formal[rnd.randint(1, len(formal) - 1)]
        return _join(ai), _join(formal)
    final = list(ai)
    if outcome == "small":

        def reword(i: int) -> str:
            s = marked[i]
            return "" if s is opener or s is extra else to_casual(w.reword(s, ctx).text)

        small_edit(rnd, ai, final, reword)
    return _join(ai), _join(final)
