"""Tools benchmark: tool selection on BFCL, prompt tokens of the selected tools, and parallel execution.

1. Selection on each shared BFCL file (the pool: every function in the file) and on the three files in one
   pool, side by side:
   - ``bm25_baseline``: plain BM25 as the bm25s library does it out of the box (its tokenizer with English
     stop words) over each tool's name and description;
   - ``zero_shot``: agenthone's selector with no history (BM25 over split identifiers, descriptions and
     parameter names);
   - ``learned``: the selector trained on half of the questions (the even ones) as if they were past
     successful runs, measured with the zero-shot selector on the other half;
   - ``all_tools``: every tool in the prompt (recall 1 by definition; the token ceiling).
   Figures: recall@1/3/5/10, MRR, nDCG@5, prompt tokens of the top 5 (as sent, lossless, lossy) and their
   ratio to all tools, selection latency p50/p95.
2. Schema compression: exact tokens (tiktoken, o200k_base) of every pool as sent and compressed.
3. Parallel execution: 8 tool calls of 100 ms each through the executor (threads), concurrently and one
   after another; the best of ``--repeats`` runs of each.

    python benchmarks/tools.py [--data ../shared/data/bfcl] [--repeats 3]

Progress goes to stderr; the last line of stdout is one JSON object with the figures and a ``summary``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FILES = ("simple_python", "multiple", "live_simple")
KS = (1, 3, 5, 10)
TARGET_RECALL5 = 0.9
TARGET_TOKEN_RATIO = 6.0
TARGET_PARALLEL = 5.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bm25_baseline(queries: list[dict[str, Any]], pool: list[Any]) -> dict[str, float]:
    """Out-of-the-box bm25s over names and descriptions."""
    import bm25s
    import numpy as np

    from agenthone.tools import ranking_metrics

    names = [t.name for t in pool]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([f"{t.name} {t.description}" for t in pool], stopwords="en",
                                   show_progress=False), show_progress=False)  # fmt: skip
    rows = []
    for q in queries:
        tokens = bm25s.tokenize([q["query"]], stopwords="en", show_progress=False)
        vocab = {v: k for k, v in tokens.vocab.items()}
        words = [vocab[i] for i in tokens.ids[0]] if len(tokens.ids[0]) else []
        scores = retriever.get_scores(words) if words else np.zeros(len(pool))
        ranking = [names[int(i)] for i in np.argsort(-np.asarray(scores), kind="stable")]
        rows.append(ranking_metrics(ranking, q["tools"], KS))
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]}


def pick(figures: dict[str, Any]) -> dict[str, Any]:
    keys = [f"recall@{k}" for k in KS] + ["mrr", "ndcg@5", "tokens@5", "tokens@5_lossless", "tokens@5_lossy",
                                          "tokens_ratio@5", "tokens_ratio@5_lossless", "latency_ms_p50",
                                          "latency_ms_p95"]  # fmt: skip
    return {k: figures[k] for k in keys if k in figures}


def selection(queries: list[dict[str, Any]], pool: list[Any]) -> dict[str, Any]:
    from agenthone.tools import bench_selection

    out: dict[str, Any] = {"queries": len(queries), "tools": len(pool)}
    zero = bench_selection(queries, pool, ks=KS)
    out["all_tools_tokens"] = zero["all_tools_tokens"]
    out["zero_shot"] = pick(zero["zero_shot"])
    out["bm25_baseline"] = bm25_baseline(queries, pool)
    out["all_tools"] = {"recall@5": 1.0, "tokens": zero["all_tools_tokens"]["original"], "tokens_ratio": 1.0}
    history, test = queries[0::2], queries[1::2]
    split = bench_selection(test, pool, history=history, ks=KS)
    out["learned_split"] = {
        "history": len(history),
        "test": len(test),
        "zero_shot": pick(split["zero_shot"]),
        "learned": pick(split["learned"]),
    }
    return out


def parallel(repeats: int) -> dict[str, Any]:
    from agenthone.tools import ToolExecutor

    def slow_tool(i: int) -> int:
        time.sleep(0.1)
        return i

    executor = ToolExecutor({"slow": slow_tool}, concurrency=8)
    calls = [{"name": "slow", "arguments": {"i": i}} for i in range(8)]
    executor.run(calls[:1])  # warm the event loop machinery
    par, seq = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        assert all(r.ok for r in executor.run(calls))
        par.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert all(r.ok for r in executor.run_sequential(calls))
        seq.append(time.perf_counter() - started)
    return {"calls": 8, "call_ms": 100, "parallel_s": round(min(par), 4), "sequential_s": round(min(seq), 4),
            "speedup": round(min(seq) / min(par), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from agenthone.tools import read_bfcl, token_savings

    results: dict[str, Any] = {}
    combined_q: list[dict[str, Any]] = []
    combined_pool: dict[str, Any] = {}
    for name in FILES:
        log(f"BFCL {name}")
        items, pool = read_bfcl(args.data / f"BFCL_v4_{name}.json", args.data / f"possible_answer_BFCL_v4_{name}.json")
        queries = [{"query": q["query"], "tools": q["tools"]} for q in items if q.get("tools")]
        results[name] = selection(queries, pool)
        results[name]["compression"] = token_savings(pool).as_dict()
        combined_q.extend(queries)
        for tool in pool:
            combined_pool.setdefault(tool.name, tool)
    log("BFCL: the three files in one pool")
    results["combined"] = selection(combined_q, list(combined_pool.values()))
    results["combined"]["compression"] = token_savings(list(combined_pool.values())).as_dict()

    n = sum(results[f]["queries"] for f in FILES)
    recall5 = sum(results[f]["zero_shot"]["recall@5"] * results[f]["queries"] for f in FILES) / n
    baseline5 = sum(results[f]["bm25_baseline"]["recall@5"] * results[f]["queries"] for f in FILES) / n
    ratio5 = min(results[f]["zero_shot"]["tokens_ratio@5"] for f in FILES)
    log("parallel execution")
    par = parallel(args.repeats)
    out = {
        "benchmark": "tools",
        "bfcl": results,
        "zero_shot_recall@5_over_files": round(recall5, 4),
        "bm25_baseline_recall@5_over_files": round(baseline5, 4),
        "parallel": par,
        "targets": {"recall@5": TARGET_RECALL5, "tokens_ratio@5": TARGET_TOKEN_RATIO, "parallel": TARGET_PARALLEL},
        "targets_met": {
            "recall@5": recall5 >= TARGET_RECALL5,
            "tokens_ratio@5": ratio5 >= TARGET_TOKEN_RATIO,
            "parallel": par["speedup"] >= TARGET_PARALLEL,
        },
        "summary": [
            {
                "figure": "tool recall@5 zero-shot (BFCL)",
                "value": round(recall5, 4),
                "op": ">=",
                "target": TARGET_RECALL5,
                "unit": "",
            },
            {
                "figure": "all-tools tokens / top-5 tokens",
                "value": ratio5,
                "op": ">=",
                "target": TARGET_TOKEN_RATIO,
                "unit": "x",
            },
            {
                "figure": "sequential / parallel, 8 calls of 100 ms",
                "value": par["speedup"],
                "op": ">=",
                "target": TARGET_PARALLEL,
                "unit": "x",
            },
        ],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
