"""Tool-retrieval evaluation on any data: recall@k, MRR, nDCG@k, prompt tokens and selection latency.

Queries are ``{"query": str, "tools": [relevant tool names]}``; the pool is a list of tool schemas. With a
history (same format), the learned ranker is trained as if those had been past successful runs, so one
bench measures zero-shot (BM25 only) and learned selection side by side.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agenthone.tools._compress import compress, count_tokens
from agenthone.tools._schema import Tool, ToolError, as_tools, read_bfcl, read_tools
from agenthone.tools._select import ToolSelector

__all__ = ["bench_bfcl", "bench_files", "bench_selection", "ranking_metrics", "read_queries"]


def read_queries(path: str | Path) -> list[dict[str, Any]]:
    """Queries of a JSON Lines file: one ``{"query": str, "tools": [names]}`` per line."""
    p = Path(path)
    if not p.is_file():
        raise ToolError(f"queries file not found: {p}")
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ToolError(f"{p}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, Mapping) or not isinstance(item.get("query"), str):
            raise ToolError(f'{p}:{n}: expected {{"query": str, "tools": [names]}}')
        tools = item.get("tools")
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            raise ToolError(f"{p}:{n}: 'tools' must be a list of tool names")
        out.append({"query": item["query"], "tools": list(tools)})
    if not out:
        raise ToolError(f"{p}: no queries")
    return out


def ranking_metrics(ranking: Sequence[str], relevant: Iterable[str], ks: Sequence[int]) -> dict[str, float]:
    """recall@k and nDCG@k (binary relevance) for each k, and the reciprocal rank of the first relevant tool."""
    rel = set(relevant)
    out: dict[str, float] = {}
    if not rel:
        return out
    position = {name: i for i, name in enumerate(ranking)}
    ranks = sorted(position[r] + 1 for r in rel if r in position)
    out["mrr"] = 1.0 / ranks[0] if ranks else 0.0
    for k in ks:
        hits = sum(1 for r in ranks if r <= k)
        out[f"recall@{k}"] = hits / len(rel)
        dcg = sum(1.0 / math.log2(r + 1) for r in ranks if r <= k)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(rel))))
        out[f"ndcg@{k}"] = dcg / ideal
    return out


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {k: round(sum(r.get(k, 0.0) for r in rows) / len(rows), 4) for k in keys}


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _evaluate(selector: ToolSelector, queries: Sequence[Mapping[str, Any]], ks: Sequence[int]) -> dict[str, Any]:
    rows = []
    seconds = []
    tops: list[list[str]] = []
    for q in queries:
        started = time.perf_counter()
        selection = selector.select(q["query"], k=max(ks))
        seconds.append(time.perf_counter() - started)
        rows.append(ranking_metrics(selector.rank(q["query"]), q["tools"], ks))
        tops.append(selection.names)
    out: dict[str, Any] = _mean([r for r in rows if r])
    out["latency_ms_p50"] = round(_percentile(seconds, 0.5) * 1e3, 3)
    out["latency_ms_p95"] = round(_percentile(seconds, 0.95) * 1e3, 3)
    out["_tops"] = tops
    return out


def bench_selection(
    queries: Sequence[Mapping[str, Any]],
    tools: Sequence[Tool | Mapping[str, Any]],
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    ks: Sequence[int] = (1, 3, 5, 10),
    encoding: str = "o200k_base",
) -> dict[str, Any]:
    """Selection quality, prompt tokens and latency of zero-shot (and, with ``history``, learned) selection.

    Tokens are exact tiktoken counts of each tool's JSON (as sent, lossless and lossy compressed), summed
    over the tools of the prompt; ``tokens_ratio@k`` is all tools' tokens over the selected top k's.
    """
    pool = as_tools(tools)
    names = {t.name for t in pool}
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ToolError("k values must be positive integers")
    usable = [q for q in queries if q.get("tools") and set(q["tools"]) & names]
    if not usable:
        raise ToolError("no query names a tool of the pool")
    per_tool = {
        t.name: {
            "original": count_tokens(json.dumps(t.openai(), ensure_ascii=False), encoding),
            "lossless": count_tokens(json.dumps(compress(t, "lossless"), ensure_ascii=False, separators=(",", ":")),
                                     encoding),
            "lossy": count_tokens(json.dumps(compress(t, "lossy"), ensure_ascii=False, separators=(",", ":")),
                                  encoding),
        }
        for t in pool
    }  # fmt: skip
    all_tokens = {m: sum(v[m] for v in per_tool.values()) for m in ("original", "lossless", "lossy")}
    result: dict[str, Any] = {
        "queries": len(usable),
        "skipped_queries": len(queries) - len(usable),
        "tools": len(pool),
        "ks": ks,
        "encoding": encoding,
        "all_tools_tokens": all_tokens,
    }
    methods: dict[str, ToolSelector] = {"zero_shot": ToolSelector(pool)}
    if history:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # sklearn: "many classes for few samples"
            methods["learned"] = ToolSelector(pool, history=history)
        result["history"] = methods["learned"].history_size
    for label, selector in methods.items():
        figures = _evaluate(selector, usable, ks)
        tops = figures.pop("_tops")
        for k in ks:
            for mode in ("original", "lossless", "lossy"):
                mean = sum(sum(per_tool[n][mode] for n in top[:k]) for top in tops) / len(tops)
                suffix = "" if mode == "original" else f"_{mode}"
                figures[f"tokens@{k}{suffix}"] = round(mean, 1)
                if mode != "lossy":
                    figures[f"tokens_ratio@{k}{suffix}"] = round(all_tokens["original"] / mean, 2) if mean else None
        result[label] = figures
    return result


def bench_files(
    queries: str | Path,
    tools: str | Path,
    *,
    history: str | Path | None = None,
    ks: Sequence[int] = (1, 3, 5, 10),
    encoding: str = "o200k_base",
) -> dict[str, Any]:
    """:func:`bench_selection` on a queries file, a tool pool file and an optional history file."""
    return bench_selection(
        read_queries(queries),
        read_tools(tools),
        history=read_queries(history) if history is not None else None,
        ks=ks,
        encoding=encoding,
    )


def bench_bfcl(
    questions: str | Path,
    answers: str | Path,
    *,
    history: str | Path | None = None,
    ks: Sequence[int] = (1, 3, 5, 10),
    encoding: str = "o200k_base",
) -> dict[str, Any]:
    """:func:`bench_selection` on a BFCL questions file with its answers (the pool: every function in the file)."""
    items, pool = read_bfcl(questions, answers)
    queries = [{"query": q["query"], "tools": q["tools"]} for q in items if q.get("tools")]
    result = bench_selection(
        queries, pool, history=read_queries(history) if history is not None else None, ks=ks, encoding=encoding
    )
    result["source"] = Path(questions).name
    return result
