"""Runs: numeric columns drawn as NumPy arrays, texts composed per record, written as JSON lines."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agenthone.sample._agents import MODELS
from agenthone.sample._domains import DOMAINS
from agenthone.sample._grammar import render, to_casual, to_formal
from agenthone.sample._pii import pii_sentence, pii_value
from agenthone.sample._plan import DAY, HOUR_P, Plan, stratified_flags
from agenthone.sample._text import FILLER_PHRASE, Writer
from agenthone.sample._vocab import SLOTS, TABLES

__all__ = ["MODEL_NAMES", "RunTable", "build_runs", "write_runs"]

MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1")
_REGION_P = np.array([0.3, 0.15, 0.22, 0.12, 0.08, 0.08, 0.05])
_CLIENTS = ("2.3.1", "2.4.0", "2.4.2", "2.5.0", "2.5.1", "3.0.0-beta.2")
_BATCH = 10_000

Progress = Callable[[str, int, int], None]


@dataclass
class RunTable:
    """All runs, sorted by time; index ``i`` is ``run-{i+1}``."""

    ts: np.ndarray
    agent: np.ndarray
    task: np.ndarray
    model: np.ndarray
    version: np.ndarray
    visit: np.ndarray
    """per run, the code of the user visit it belongs to"""
    success: np.ndarray
    error: np.ndarray
    score: np.ndarray
    latency: np.ndarray
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    cost: np.ndarray
    feedback: np.ndarray
    region: np.ndarray
    client: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    def id(self, i: int) -> str:
        return run_id(i, len(self))


def run_id(i: int, n: int) -> str:
    return f"run-{i + 1:0{max(7, len(str(n)))}d}"


def _cell_counts(plan: Plan, n: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Runs per (agent, day): agent share x weekday pattern x daily noise, exactly ``n`` in total."""
    days = plan.timeline.day_weights() * rng.lognormal(0.0, 0.06, plan.timeline.days)
    cells = np.outer(weights, days) * rng.lognormal(0.0, 0.08, (len(weights), plan.timeline.days))
    return rng.multinomial(n, (cells / cells.sum()).ravel()).reshape(cells.shape)


def _visit_times(start: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Times of ``count`` runs in one day, grouped into visits of a few runs minutes apart."""
    sizes = rng.geometric(0.4, size=count)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), count)) + 1]
    sizes[-1] -= int(sizes.sum()) - count
    n_visits = len(sizes)
    hours = rng.choice(24, size=n_visits, p=HOUR_P)
    starts = start + hours * 3600 + rng.integers(0, 3600, n_visits)
    visit_of = np.repeat(np.arange(n_visits), sizes)
    gaps = rng.exponential(55.0, count).astype(np.int64) + 2
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    offsets = np.cumsum(gaps)
    offsets -= np.repeat(offsets[first], sizes)
    times = np.minimum(starts[visit_of] + offsets, start + DAY - 1)
    return times, visit_of


def build_runs(plan: Plan, n: int, rng: np.random.Generator) -> RunTable:
    """Draw every numeric and categorical column of ``n`` runs."""
    agents = plan.agents
    tl = plan.timeline
    weights = np.array([a.run_weight for a in agents]) * rng.lognormal(0.0, 0.1, len(agents))
    counts = _cell_counts(plan, n, weights, rng)
    ts_parts, agent_parts, visit_parts = [], [], []
    next_visit = 0
    for a in range(len(agents)):
        for d in range(tl.days):
            c = int(counts[a, d])
            if c == 0:
                continue
            times, visit_of = _visit_times(tl.start + d * DAY, c, rng)
            ts_parts.append(times)
            agent_parts.append(np.full(c, a, dtype=np.int32))
            visit_parts.append(visit_of + next_visit)
            next_visit += int(visit_of.max()) + 1
    ts = np.concatenate(ts_parts)
    agent = np.concatenate(agent_parts)
    visit_index = np.concatenate(visit_parts)
    order = np.lexsort((agent, ts))
    ts, agent, visit_index = ts[order], agent[order], visit_index[order]
    visit_codes = rng.integers(16**9, 16**10, next_visit)
    visit = visit_codes[visit_index]

    task = np.zeros(n, dtype=np.int32)
    model = np.zeros(n, dtype=np.int32)
    version = np.ones(n, dtype=np.int32)
    success = np.zeros(n, dtype=bool)
    tin_median = np.zeros(n)
    tout_median = np.zeros(n)
    for a, spec in enumerate(agents):
        idx = np.flatnonzero(agent == a)
        tw = np.array([t.weight for t in spec.tasks])
        task[idx] = rng.choice(len(spec.tasks), size=len(idx), p=tw / tw.sum())
        tin_median[idx] = np.array([t.tokens_in for t in spec.tasks])[task[idx]]
        tout_median[idx] = np.array([t.tokens_out for t in spec.tasks])[task[idx]]
        mw = np.array([w for _, w in spec.models])
        names = np.array([MODEL_NAMES.index(m) for m, _ in spec.models])
        model[idx] = names[rng.choice(len(names), size=len(idx), p=mw / mw.sum())]
        version[idx] = 1 + np.searchsorted(plan.switches[a], ts[idx], side="right")
        after = plan.success_after if a == plan.regression else None
        success[idx] = stratified_flags(ts[idx], tl, float(plan.p_success[a]), after, rng)

    error = ~success & (rng.random(n) < 0.6)
    tokens_in = np.maximum(20, np.rint(tin_median * rng.lognormal(0.0, 0.35, n))).astype(np.int64)
    tokens_out = np.maximum(5, np.rint(tout_median * rng.lognormal(0.0, 0.4, n))).astype(np.int64)
    tokens_out[error] = rng.integers(0, 25, int(error.sum()))
    p50 = np.array([MODELS[m].latency_p50_ms for m in MODEL_NAMES])[model]
    latency = p50 * np.sqrt((tokens_out + 20) / (tout_median + 20)) * rng.lognormal(0.0, 0.45, n)
    tail = rng.random(n) < 0.03
    latency[tail] *= rng.uniform(3.0, 10.0, int(tail.sum()))
    timeout = error & (rng.random(n) < 0.35)
    latency[timeout] = rng.uniform(30_000, 31_500, int(timeout.sum()))
    price_in = np.array([MODELS[m].price_in for m in MODEL_NAMES])[model]
    price_out = np.array([MODELS[m].price_out for m in MODEL_NAMES])[model]
    cost = np.round((tokens_in * price_in + tokens_out * price_out) / 1e6, 7)
    score = np.where(success, rng.beta(8.0, 2.0, n), rng.beta(2.0, 5.0, n))
    weak = (agent == plan.regression) & (ts >= tl.since) & success  # the regressing agent's successes weaken too
    score[weak] = rng.beta(5.0, 3.0, int(weak.sum()))
    score = np.round(score, 3)
    feedback = np.full(n, np.nan)
    has_fb = rng.random(n) < 0.2
    good = rng.choice([1.0, 0.75, 0.5], size=n, p=[0.65, 0.25, 0.1])
    bad = rng.choice([0.0, 0.25, 0.5], size=n, p=[0.6, 0.3, 0.1])
    feedback[has_fb] = np.where(success, good, bad)[has_fb]
    region = np.where(rng.random(n) < 0.4, rng.choice(len(_REGIONS), size=n, p=_REGION_P), -1)
    client = np.where(rng.random(n) < 0.25, rng.integers(0, len(_CLIENTS), n), -1)
    return RunTable(
        ts=ts,
        agent=agent,
        task=task,
        model=model,
        version=version,
        visit=visit,
        success=success,
        error=error,
        score=score,
        latency=np.rint(latency).astype(np.int64),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        feedback=feedback,
        region=region,
        client=client,
    )


def _iso_all(ts: np.ndarray) -> list[str]:
    return [s + "Z" for s in np.datetime_as_string(ts.astype("datetime64[s]"), unit="s").tolist()]


def run_output(plan: Plan, a: int, writer: Writer, ctx: dict[str, str], body: int) -> str:
    """A successful run's text output in the agent's voice (filler and casual agents included)."""
    sentences = writer.answer(ctx, body, closer=0.25)
    if a == plan.tone:
        opener, _ = writer.casual_extras(ctx)
        text = " ".join([to_casual(opener.text)] + [to_casual(s.text) for s in sentences])
    else:
        text = " ".join(to_formal(s.text) for s in sentences)
    if a == plan.filler:
        text = f"{FILLER_PHRASE} {text}"
    return text


def write_runs(
    path: Path,
    plan: Plan,
    table: RunTable,
    *,
    overrides: dict[int, tuple[Any, str]],
    rnd: random.Random,
    pii: list[dict[str, Any]],
    progress: Progress | None,
    pii_rate: float = 0.02,
    experiments: dict[int, dict[str, str]] | None = None,
) -> None:
    """Write runs.jsonl; ``overrides`` maps run index -> (input, output) of runs that fed an edit.

    ``experiments`` maps run index -> the experiment, variant and unit that go into its metadata.
    """
    tagged = experiments or {}
    n = len(table)
    agents = plan.agents
    writers = [Writer(DOMAINS[a.domain], a.name, rnd) for a in agents]
    json_out = [DOMAINS[a.domain].json_output_t for a in agents]
    stamps = _iso_all(table.ts)
    agent = table.agent.tolist()
    task = table.task.tolist()
    model = table.model.tolist()
    version = table.version.tolist()
    visit = table.visit.tolist()
    success = table.success.tolist()
    error = table.error.tolist()
    score = table.score.tolist()
    latency = table.latency.tolist()
    tokens_in = table.tokens_in.tolist()
    tokens_out = table.tokens_out.tolist()
    cost = table.cost.tolist()
    feedback = table.feedback.tolist()
    region = table.region.tolist()
    client = table.client.tolist()
    width = max(7, len(str(n)))
    dumps = json.dumps
    lines: list[str] = []
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            a = agent[i]
            spec = agents[a]
            rid = f"run-{i + 1:0{width}d}"
            inp: Any
            out: Any
            if i in overrides:
                inp, out = overrides[i]
            else:
                w = writers[a]
                ctx = w.context()
                inp = w.request(ctx, detail=0.25)
                if spec.domain == "analytics" and rnd.random() < 0.3:
                    inp = {"question": inp, "tables": [ctx["table"], TABLES[int(rnd.random() * len(TABLES))]]}
                if rnd.random() < pii_rate:
                    kind, value = pii_value(rnd)
                    if isinstance(inp, dict):
                        inp["question"] = f"{inp['question']} {pii_sentence(rnd, kind, value)}"
                    else:
                        inp = f"{inp} {pii_sentence(rnd, kind, value)}"
                    pii.append({"kind": "run", "id": rid, "field": "input", "type": kind, "value": value})
                if error[i]:
                    out = w.failure(ctx)
                elif json_out[a] and rnd.random() < 0.6:
                    out = {k: render(t, ctx, rnd, SLOTS) for k, t in json_out[a].items()}
                else:
                    out = run_output(plan, a, w, ctx, 1 + int(rnd.random() * 3) if success[i] else 0)
            rec: dict[str, Any] = {
                "id": rid,
                "timestamp": stamps[i],
                "agent_id": spec.agent_id,
                "agent_name": spec.name,
                "category": spec.category,
                "task_type": spec.tasks[task[i]].name,
                "model": MODEL_NAMES[model[i]],
                "prompt_version": f"v{version[i]}",
                "session_id": f"ses-{visit[i]:010x}",
                "input": inp,
                "output": out,
                "success": success[i],
                "score": score[i],
                "latency_ms": latency[i],
                "tokens_in": tokens_in[i],
                "tokens_out": tokens_out[i],
                "cost_usd": cost[i],
            }
            if feedback[i] == feedback[i]:  # not NaN
                rec["user_feedback"] = feedback[i]
            if region[i] >= 0:
                rec["region"] = _REGIONS[region[i]]
            if client[i] >= 0:
                rec["metadata"] = {"client_version": _CLIENTS[client[i]], "env": "prod" if i % 17 else "staging"}
            if i in tagged:
                rec.setdefault("metadata", {}).update(tagged[i])
            lines.append(dumps(rec, ensure_ascii=False))
            if len(lines) >= _BATCH:
                fh.write("\n".join(lines) + "\n")
                lines.clear()
                if progress is not None:
                    progress("runs", i + 1, n)
        if lines:
            fh.write("\n".join(lines) + "\n")
    if progress is not None:
        progress("runs", n, n)


def realised_success(plan: Plan, table: RunTable, agent: int) -> tuple[float, float]:
    """(success before the window, success inside it) of one agent."""
    mine = table.agent == agent
    before = mine & (table.ts < plan.timeline.since)
    after = mine & (table.ts >= plan.timeline.since)
    return float(table.success[before].mean()), float(table.success[after].mean())
