"""Conversations in OpenAI chat format, with tool calls, and planted exact and near-duplicate clusters."""

from __future__ import annotations

import copy
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenthone.sample._domains import DOMAINS, ToolSpec
from agenthone.sample._grammar import render, to_formal
from agenthone.sample._humans import synonyms_of, with_typo
from agenthone.sample._pii import pii_sentence, pii_value
from agenthone.sample._plan import DAY, HOUR_P, Plan, Timeline
from agenthone.sample._text import Writer
from agenthone.sample._vocab import SLOTS

__all__ = ["ConversationSet", "build_conversations", "conversation_text", "jaccard", "shingles", "write_conversations"]

Progress = Callable[[str, int, int], None]

_TOOL_USE = 0.3
"""share of conversations of tool-capable agents that call a tool"""
_CHANNELS = ("web", "web", "app", "email", "slack", "whatsapp")
_LOCALES = ("en-US", "en-US", "en-GB", "en-CA", "en-AU", "en-IE")
_ALNUM = string.ascii_letters + string.digits
NEAR_MIN_JACCARD = 0.85


@dataclass
class _Conv:
    agent: int
    ts: int
    record: dict[str, Any]
    pii: list[tuple[str, str]] = field(default_factory=list)
    words: int = 0


@dataclass
class ConversationSet:
    records: list[dict[str, Any]]
    exact: list[list[str]]
    near: list[list[str]]
    near_min_jaccard: float
    tool_share: float
    pii: list[tuple[str, str, str]]
    """(conversation id, type, value) of every planted value"""


def conversation_text(messages: list[dict[str, Any]]) -> str:
    """The words of a conversation: every string content, in order."""
    return "\n".join(m["content"] for m in messages if isinstance(m.get("content"), str))


def shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = text.lower().split()
    if len(words) < k:
        return {tuple(words)}
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _call_id(rnd: random.Random) -> str:
    return "call_" + "".join(rnd.choice(_ALNUM) for _ in range(24))


def _tool_round(w: Writer, tools: list[ToolSpec], ctx: dict[str, str], rnd: random.Random) -> list[dict[str, Any]]:
    calls, results = [], []
    for tool in tools:
        cid = _call_id(rnd)
        args = {k: render(t, ctx, rnd, SLOTS) for k, t in tool.args_t.items()}
        result = {k: render(t, ctx, rnd, SLOTS) for k, t in tool.result_t.items()}
        calls.append({"id": cid, "type": "function", "function": {"name": tool.name, "arguments": json.dumps(args)}})
        results.append({"role": "tool", "tool_call_id": cid, "content": json.dumps(result)})
    return [{"role": "assistant", "content": None, "tool_calls": calls}, *results]


def _one(plan: Plan, a: int, ts: int, w: Writer, rnd: random.Random, *, pii_rate: float) -> _Conv:
    spec = plan.agents[a]
    domain = DOMAINS[spec.domain]
    ctx = w.context()
    messages: list[dict[str, Any]] = []
    if rnd.random() < 0.8:
        messages.append({"role": "system", "content": w.system_prompt(ctx)})
    user = w.request(ctx, detail=0.5)
    found: list[tuple[str, str]] = []
    if rnd.random() < pii_rate:
        kind, value = pii_value(rnd)
        user = (
            f"{user} {pii_sentence(rnd, kind, value)}"
            if rnd.random() < 0.7
            else f"{pii_sentence(rnd, kind, value)} {user}"
        )
        found.append((kind, value))
    messages.append({"role": "user", "content": user})
    used_tools = False
    if domain.tools and rnd.random() < _TOOL_USE:
        k = 2 if len(domain.tools) > 1 and rnd.random() < 0.3 else 1
        messages.extend(_tool_round(w, rnd.sample(list(domain.tools), k), ctx, rnd))
        used_tools = True
    messages.append({"role": "assistant", "content": _reply(w, ctx, rnd, first=True)})
    while len(messages) <= 8 and rnd.random() < 0.5:  # at most 10 messages in all
        messages.append({"role": "user", "content": w.followup(ctx)})
        if domain.tools and not used_tools and len(messages) <= 6 and rnd.random() < 0.15:
            messages.extend(_tool_round(w, [rnd.choice(domain.tools)], ctx, rnd))
            used_tools = True
        messages.append({"role": "assistant", "content": _reply(w, ctx, rnd, first=False)})
    rec: dict[str, Any] = {"id": "", "timestamp": "", "agent_name": spec.name, "messages": messages}
    if domain.tools and (used_tools or rnd.random() < 0.25):
        rec["tools"] = [t.schema() for t in domain.tools]
    if rnd.random() < 0.4:
        rec["rating"] = rnd.choices((1, 2, 3, 4, 5), (0.05, 0.08, 0.17, 0.35, 0.35))[0]
    if rnd.random() < 0.5:
        rec["tags"] = rnd.sample(list(domain.tags), rnd.randint(1, min(3, len(domain.tags))))
    if rnd.random() < 0.6:
        rec["metadata"] = {"channel": rnd.choice(_CHANNELS), "locale": rnd.choice(_LOCALES)}
    conv = _Conv(a, ts, rec, found)
    conv.words = len(conversation_text(messages).split())
    return conv


def _reply(w: Writer, ctx: dict[str, str], rnd: random.Random, *, first: bool) -> str:
    if first:
        sentences = w.answer(ctx, rnd.randint(2, 4), closer=0.5)
    else:
        sentences = w.answer(ctx, rnd.randint(1, 2), closer=0.2)[1:]
    return " ".join(to_formal(s.text) for s in sentences)


def _times(plan: Plan, n: int, rnd: random.Random) -> list[int]:
    tl = plan.timeline
    day_w = tl.day_weights().tolist()
    hour_w = HOUR_P.tolist()
    days = rnd.choices(range(tl.days), day_w, k=n)
    hours = rnd.choices(range(24), hour_w, k=n)
    return [tl.start + d * DAY + h * 3600 + rnd.randrange(3600) for d, h in zip(days, hours, strict=True)]


def _cluster_sizes(n: int, rnd: random.Random) -> tuple[list[int], list[int]]:
    clusters = max(min(30, n // 40), round(n * 0.03))
    return [rnd.randint(2, 4) for _ in range(clusters)], [rnd.randint(2, 4) for _ in range(clusters)]


def _tweak(messages: list[dict[str, Any]], rnd: random.Random, words: int) -> list[dict[str, Any]]:
    """A copy with ``words`` words changed in one user or assistant message."""
    out = copy.deepcopy(messages)
    options = [m for m in out if m["role"] in ("user", "assistant") and isinstance(m.get("content"), str)]
    target = max(options, key=lambda m: len(m["content"])) if rnd.random() < 0.6 else rnd.choice(options)
    tokens = target["content"].split(" ")

    def one_word(token: str) -> list[str]:
        return [w for w in synonyms_of(token) if " " not in w]

    swappable = [i for i, t in enumerate(tokens) if i > 0 and one_word(t)]
    typeable = [i for i, t in enumerate(tokens) if i > 0 and t.isalpha() and len(t) >= 6]
    for _ in range(words):
        if swappable and (rnd.random() < 0.7 or not typeable):
            i = swappable.pop(rnd.randrange(len(swappable)))
            tokens[i] = rnd.choice(one_word(tokens[i]))
        elif typeable:  # retyped with a slip of the finger
            i = typeable.pop(rnd.randrange(len(typeable)))
            tokens[i] = with_typo(rnd, tokens[i]) or tokens[i]
    target["content"] = " ".join(tokens)
    return out


def build_conversations(
    plan: Plan, n: int, rnd: random.Random, dup_rnd: random.Random, pii_rate: float = 0.05
) -> ConversationSet:
    """``n`` conversations in all, duplicates included."""
    agents = plan.agents
    writers = [Writer(DOMAINS[a.domain], a.name, rnd) for a in agents]
    exact_sizes, near_sizes = _cluster_sizes(n, dup_rnd)
    copies = sum(s - 1 for s in exact_sizes) + sum(s - 1 for s in near_sizes)
    n_base = n - copies
    chosen = rnd.choices(range(len(agents)), [a.chat_weight for a in agents], k=n_base)
    times = _times(plan, n_base, rnd)
    base = [_one(plan, a, ts, writers[a], rnd, pii_rate=pii_rate) for a, ts in zip(chosen, times, strict=True)]

    clean = [i for i, c in enumerate(base) if not c.pii]
    by_length = sorted(clean, key=lambda i: (-base[i].words, i))
    near_pool = by_length[: len(near_sizes) * 3]  # the longest: a changed word barely moves their shingles
    near_src = dup_rnd.sample(near_pool, len(near_sizes))
    taken = set(near_src)
    rest = [i for i in clean if i not in taken and base[i].words >= 60]
    exact_src = dup_rnd.sample(rest, len(exact_sizes))

    tl = plan.timeline
    extra: list[_Conv] = []
    groups: list[tuple[str, list[_Conv]]] = []
    for src, size in zip(exact_src, exact_sizes, strict=True):
        members = [base[src]]
        for _ in range(size - 1):
            ts = min(tl.end, base[src].ts + dup_rnd.randint(30, 3 * DAY))
            members.append(_Conv(base[src].agent, ts, copy.deepcopy(base[src].record), words=base[src].words))
        extra.extend(members[1:])
        groups.append(("exact", members))
    near_min = 1.0
    for src, size in zip(near_src, near_sizes, strict=True):
        original = base[src]
        members = [original]
        texts = [shingles(conversation_text(original.record["messages"]))]
        n_shingles = len(texts[0])
        for _ in range(size - 1):
            for attempt in range(12):
                # two changed words per copy only where the text is long enough for copies to stay close
                words = 2 if n_shingles >= 280 and attempt < 4 and dup_rnd.random() < 0.5 else 1
                messages = _tweak(original.record["messages"], dup_rnd, words)
                sh = shingles(conversation_text(messages))
                worst = min(jaccard(sh, other) for other in texts)
                if worst >= NEAR_MIN_JACCARD and all(messages != m.record["messages"] for m in members):
                    break
            near_min = min(near_min, worst)
            record = copy.deepcopy(original.record)
            record["messages"] = messages
            ts = min(tl.end, original.ts + dup_rnd.randint(60, 10 * DAY))
            members.append(_Conv(original.agent, ts, record, words=original.words))
            texts.append(sh)
        extra.extend(members[1:])
        groups.append(("near", members))

    every = base + extra
    order = sorted(range(len(every)), key=lambda i: (every[i].ts, every[i].agent, i))
    width = max(5, len(str(len(every))))
    ids: dict[int, str] = {}
    records: list[dict[str, Any]] = []
    for k, i in enumerate(order):
        conv = every[i]
        cid = f"conv-{k + 1:0{width}d}"
        ids[id(conv)] = cid
        conv.record["id"] = cid
        conv.record["timestamp"] = Timeline.iso(conv.ts)
        records.append(conv.record)
    exact = [[ids[id(c)] for c in members] for kind, members in groups if kind == "exact"]
    near = [[ids[id(c)] for c in members] for kind, members in groups if kind == "near"]
    tool_share = sum(1 for c in every if any("tool_calls" in m for m in c.record["messages"])) / len(every)
    pii = [(ids[id(c)], kind, value) for c in base for kind, value in c.pii]
    return ConversationSet(records, exact, near, round(near_min, 4), round(tool_share, 4), pii)


def write_conversations(path: Path, convs: ConversationSet, progress: Progress | None) -> None:
    n = len(convs.records)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for k in range(0, n, 5_000):
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in convs.records[k : k + 5_000]))
            if progress is not None:
                progress("conversations", min(n, k + 5_000), n)
    if progress is not None and n == 0:
        progress("conversations", 0, 0)
