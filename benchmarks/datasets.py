"""Datasets stage benchmark: validation, near-duplicate detection and a full build, each beside its peer.

1. Validation of 100,000 OpenAI chat examples (taken from the large sample's edits and conversations, 1% of
   lines broken on purpose) by ``validate_file`` and by a straightforward port of the OpenAI cookbook's
   per-example loop with the same (current-API) rules: examples/s of each, the ratio, and an assertion that
   both find exactly the same errors, warnings, distributions, over-limit lines, epochs and billed tokens.
   Beside it, in turns (``--repeat`` rounds, each side keeping its best time), the tokenizer floor: every
   distinct text of the file token-counted once by the fastest exact way at hand on all cores.
   Then the same comparison on chat files of other shapes made from the public data beside the project
   (``--data``, skipped when it is not there): long texts (DeFacto articles and their summaries), tool
   calling (BFCL questions with their tools, calls and results) and very short texts. The target is on the
   first file; these show how the distance to the floor depends on the shape (reading and decoding every
   line is work the floor does not do).
2. Near-duplicate detection on 100,000 texts with 1,000 planted near duplicates: ``find_near_duplicates``
   beside datasketch's ``MinHash.bulk`` + ``MinHashLSH`` at the same threshold (0.8) and num_perm (128), on
   the same word 5-gram shingles: texts/s, the ratio, and recall/precision on the planted pairs.
3. A full ``build_dataset`` from the large sample (edits + conversations, default spec) in a fresh process:
   seconds and peak memory (its own peak RSS, or its RSS plus the private memory of the PII worker
   processes it starts, sampled, whichever is larger).

Usage::

    python benchmarks/datasets.py [--work DIR] [--skip-build | --only-build] [--examples N] [--repeat N]
                                  [--data ../shared/data | --no-shapes]

Progress goes to stderr; the last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- data ------------------------------------------------------------------------------------------


def large_sample(work: Path) -> Path:
    from agenthone.sample import generate_sample

    folder = work / "sample-large-seed0"
    if not (folder / "ground_truth.json").exists():
        log("generating the large sample (once; kept in --work)")
        started = time.perf_counter()
        generate_sample(folder, seed=0, scale="large")
        log(f"  {time.perf_counter() - started:.0f} s")
    return folder


def chat_examples(sample: Path, n: int) -> list[dict[str, Any]]:
    """OpenAI chat examples from the sample's edits (prompt -> final output) and conversations."""
    out: list[dict[str, Any]] = []
    with (sample / "conversations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            example: dict[str, Any] = {"messages": record["messages"]}
            if record.get("tools"):
                example["tools"] = record["tools"]
            out.append(example)
    with (sample / "edits.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if len(out) >= n:
                break
            record = json.loads(line)
            prompt = record.get("prompt")
            messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
            out.append({"messages": [*messages, {"role": "assistant", "content": record["final_output"]}]})
    random.Random(0).shuffle(out)
    return out[:n]


def break_some(examples: list[dict[str, Any]], share: float = 0.01) -> list[str]:
    """JSONL lines, with ``share`` of them broken in one of the ways the validator must catch."""
    rng = random.Random(1)
    breakers = [
        lambda e: "{not json",
        lambda e: "[1, 2]",
        lambda e: json.dumps({"messages": []}),
        lambda e: json.dumps({"messages": [*e["messages"][:-1], {"role": "assistant"}]}),
        lambda e: json.dumps({"messages": [{"role": "robot", "content": "x"}, *e["messages"]]}),
        lambda e: json.dumps({"messages": [*e["messages"][:-1], {**e["messages"][-1], "content": ""}]}),
        lambda e: json.dumps({"messages": e["messages"][:-1]}),
        lambda e: json.dumps({"messages": [*e["messages"][:-1], {**e["messages"][-1], "mood": 1}]}),
        lambda e: json.dumps({"messages": [*e["messages"][:-1], {**e["messages"][-1], "weight": 2}]}),
        lambda e: json.dumps({"messages": [m for m in e["messages"] if m["role"] != "system"]}),
    ]
    too_long = set(rng.sample(range(len(examples)), 10))  # a few over the 65,536-token limit
    lines = []
    for i, example in enumerate(examples):
        if i in too_long:
            lines.append(
                json.dumps({"messages": [*example["messages"], {"role": "assistant", "content": "word " * 70000}]})
            )
        elif rng.random() < share:
            lines.append(rng.choice(breakers)(example))
        else:
            lines.append(json.dumps(example, ensure_ascii=False))
    return lines


# -- 1. validation: the cookbook's loop, ported --------------------------------------------------

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
KEYS = ("role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id")


def cookbook_validate(path: Path, encoding: Any, limit: int) -> dict[str, Any]:
    """The cookbook notebook's loops (load, format checks, warnings and token counts), one example at a time,
    with the current API's roles/keys; tokens via ``encoding.encode`` of every value as the cookbook does."""
    dataset: list[tuple[int, Any]] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                dataset.append((n, json.loads(line)))
            except json.JSONDecodeError:
                dataset.append((n, None))
    errors: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)

    def err(name: str, n: int) -> None:
        if not errors[name] or errors[name][-1] != n:
            errors[name].append(n)
        counts[name] += 1

    valid: list[tuple[int, list[dict[str, Any]], Any]] = []
    for n, ex in dataset:
        if ex is None:
            err("invalid_json", n)
            continue
        if not isinstance(ex, dict):
            err("data_type", n)
            continue
        messages = ex.get("messages", None)
        if not messages:
            err("missing_messages_list", n)
            continue
        for message in messages:
            role = message.get("role", None)
            calls = message.get("tool_calls", None)
            function_call = message.get("function_call", None)
            calls_instead = role == "assistant" and (calls is not None or function_call is not None)
            if "role" not in message or ("content" not in message and not calls_instead):
                err("message_missing_key", n)
            if any(k not in KEYS for k in message):
                err("message_unrecognized_key", n)
            if role not in ROLES:
                err("unrecognized_role", n)
            content = message.get("content", None)
            if (not content or not isinstance(content, str)) and not (calls_instead and content is None):
                err("missing_content", n)
            if "weight" in message and (role != "assistant" or message["weight"] not in (0, 1)):
                err("invalid_weight", n)
            if role == "tool" and not isinstance(message.get("tool_call_id"), str):
                err("missing_tool_call_id", n)
        if not any(message.get("role", None) == "assistant" for message in messages):
            err("example_missing_assistant_message", n)
        valid.append((n, messages, ex.get("tools")))

    def num_tokens_from_messages(
        messages: list[dict[str, Any]], tokens_per_message: int = 3, tokens_per_name: int = 1
    ) -> int:
        num_tokens = 0
        for message in messages:
            num_tokens += tokens_per_message
            for key, value in message.items():
                if key == "weight":
                    continue
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                num_tokens += len(encoding.encode(text, disallowed_special=()))
                if key == "name":
                    num_tokens += tokens_per_name
        num_tokens += 3
        return num_tokens

    def num_assistant_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        num_tokens = 0
        for message in messages:
            if message["role"] == "assistant" and message.get("content"):
                num_tokens += len(encoding.encode(message["content"], disallowed_special=()))
        return num_tokens

    warnings: dict[str, list[int]] = defaultdict(list)
    n_messages, convo_lens, assistant_message_lens = [], [], []
    for n, messages, tools in valid:
        if not any(message.get("role") in ("system", "developer") for message in messages):
            warnings["missing_system_message"].append(n)
        if not any(message.get("role") == "user" for message in messages):
            warnings["missing_user_message"].append(n)
        n_messages.append(len(messages))
        total = num_tokens_from_messages(messages)
        if isinstance(tools, list):
            total += len(
                encoding.encode(json.dumps(tools, ensure_ascii=False, separators=(",", ":")), disallowed_special=())
            )
        convo_lens.append(total)
        assistant_message_lens.append(num_assistant_tokens_from_messages(messages))
        if total > limit:
            warnings["over_token_limit"].append(n)
    n_epochs = 3
    n_train = len(dataset)
    if n_train * 3 < 100:
        n_epochs = min(25, 100 // n_train)
    elif n_train * 3 > 25000:
        n_epochs = max(1, 25000 // n_train)
    billed = sum(min(limit, length) for length in convo_lens) * n_epochs

    def dist(values: list[int]) -> list[float]:
        return [
            float(np.min(values)),
            float(np.max(values)),
            float(np.mean(values)),
            float(np.median(values)),
            float(np.quantile(values, 0.1)),
            float(np.quantile(values, 0.9)),
        ]

    return {
        "errors": dict(errors),
        "counts": dict(counts),
        "warnings": dict(warnings),
        "distributions": {
            "messages": dist(n_messages),
            "total_tokens": dist(convo_lens),
            "assistant_tokens": dist(assistant_message_lens),
        },
        "epochs": n_epochs,
        "billed_tokens": billed,
    }


def bench_validation(sample: Path, work: Path, n: int, repeat: int = 5) -> dict[str, Any]:
    from agenthone.datasets import get_encoding, model_info, validate_file

    path = work / f"chat-{n}.jsonl"
    if not path.exists():
        log(f"writing {n:,} chat examples")
        path.write_text("\n".join(break_some(chat_examples(sample, n))) + "\n", encoding="utf-8")
    info = model_info("gpt-4o-mini")
    encoding = get_encoding(info.encoding)
    limit = info.max_tokens_per_example or 0
    log("validation: cookbook loop")
    started = time.perf_counter()
    peer = cookbook_validate(path, encoding, limit)
    peer_s = time.perf_counter() - started
    log(f"  {peer_s:.1f} s")
    # validation and the tokenizer floor in turns, `repeat` times: the machine is shared, so each side keeps
    # its best time and every round's ratio is reported
    texts = distinct_texts(path)
    ours_times: list[float] = []
    floors: list[dict[str, Any]] = []
    for round_ in range(1, repeat + 1):
        log(f"validation: validate_file (round {round_}/{repeat})")
        started = time.perf_counter()
        ours = validate_file(path, model="gpt-4o-mini")
        ours_times.append(time.perf_counter() - started)
        log(f"  {ours_times[-1]:.2f} s")
        floors.append(tokenizer_floor(texts, info.encoding))
        log(f"  tokenizer floor: {floors[-1]['seconds']:.2f} s ({floors[-1]['tokenizer']}); {floors[-1]['candidates']}")
    # identical findings
    assert ours.errors == peer["errors"], (ours.errors.keys(), peer["errors"].keys())
    assert ours.counts == peer["counts"]
    relevant = {
        k: v
        for k, v in ours.warnings.items()
        if k in ("missing_system_message", "missing_user_message", "over_token_limit")
    }
    assert relevant == peer["warnings"]
    for name, values in peer["distributions"].items():
        d = ours.distributions[name]
        assert d is not None
        assert [d.min, d.max, d.mean, d.median, d.p10, d.p90] == values, name
    assert (ours.epochs, ours.billed_tokens) == (peer["epochs"], peer["billed_tokens"])
    log("  identical findings: errors, counts, warnings, distributions, epochs, billed tokens")
    ours_s = min(ours_times)
    floor = min(floors, key=lambda f: f["seconds"])
    return {
        "tokenizer_floor": floor,
        "ratio_to_floor": round(ours_s / floor["seconds"], 2),
        "ratio_to_floor_rounds": [round(o / f["seconds"], 2) for o, f in zip(ours_times, floors, strict=True)],
        "rounds": repeat,
        "examples": ours.n_examples,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "error_lines": sum(len(v) for v in ours.errors.values()),
        "ours_seconds": round(ours_s, 2),
        "ours_seconds_rounds": [round(t, 2) for t in ours_times],
        "ours_examples_per_s": round(ours.n_examples / ours_s),
        "cookbook_seconds": round(peer_s, 2),
        "cookbook_examples_per_s": round(ours.n_examples / peer_s),
        "speedup": round(peer_s / ours_s, 1),
        "identical_findings": True,
    }


def distinct_texts(path: Path) -> list[str]:
    """Every distinct text validation must token-count in a chat file, as it counts them: each field of each
    message of an example with a messages list (text as is, other values as compact JSON; None and ``weight``
    are not counted) and the example's ``tools`` list; longest first."""
    texts: dict[str, None] = {}

    def as_text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                example = json.loads(line)
            except json.JSONDecodeError:
                continue
            messages = example.get("messages") if isinstance(example, dict) else None
            if not messages or not isinstance(messages, list):
                continue
            for message in messages:
                for key, value in message.items() if isinstance(message, dict) else ():
                    if key != "weight" and value is not None:
                        texts[as_text(value)] = None
            if isinstance(example.get("tools"), list):
                texts[as_text(example["tools"])] = None
    texts.pop("", None)
    return sorted(texts, key=len, reverse=True)


_FLOOR_TEXTS: list[str] = []


def _floor_share(encoding_name: str, index: int, workers: int) -> int:
    """A forked worker's share of the floor: every ``workers``-th text (they are inherited, not sent)."""
    from agenthone.datasets._tokens import fast_counter

    count, _ = fast_counter(encoding_name)
    return sum(map(count, _FLOOR_TEXTS[index::workers]))


def tokenizer_floor(texts: list[str], encoding_name: str) -> dict[str, Any]:
    """The least any exact validation can cost: each distinct text of the file token-counted once, by the
    fastest exact way at hand on this machine's cores; reading and parsing the file are not counted.

    The candidates: tiktoken on one thread per core, each encoding every n-th text (its encoder releases
    the GIL; its ``encode_ordinary_batch`` makes one task per text, slower for many short texts), and
    bpe-openai's ``count`` (which holds the GIL) in one process and in one forked process per core, each
    counting every n-th text (inherited, not sent). The floor is the fastest; every candidate's time is
    reported."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    from agenthone.datasets import get_encoding
    from agenthone.datasets._tokens import fast_counter

    cores = max(1, min(8, len(os.sched_getaffinity(0))))
    times: dict[str, float] = {}
    tokens: dict[str, int] = {}

    encode = get_encoding(encoding_name).encode_ordinary

    def count_share(index: int) -> int:
        return sum(len(encode(t)) for t in texts[index::cores])

    started = time.perf_counter()
    with ThreadPoolExecutor(cores) as threads:
        tokens["tiktoken"] = sum(threads.map(count_share, range(cores)))
    times[f"tiktoken, {cores} threads"] = time.perf_counter() - started

    count, tokenizer = fast_counter(encoding_name)
    if tokenizer == "bpe-openai":
        started = time.perf_counter()
        tokens["bpe-openai"] = sum(map(count, texts))
        times["bpe-openai, 1 process"] = time.perf_counter() - started
        if cores > 1:
            _FLOOR_TEXTS[:] = texts
            started = time.perf_counter()
            with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
                shares = [pool.submit(_floor_share, encoding_name, i, cores) for i in range(cores)]
                tokens["bpe-openai pool"] = sum(f.result() for f in shares)
            times[f"bpe-openai, {cores} processes"] = time.perf_counter() - started
            _FLOOR_TEXTS.clear()
    assert len(set(tokens.values())) == 1, f"tokenizers disagree: {tokens}"
    best = min(times, key=lambda k: times[k])
    return {
        "tokenizer": best,
        "seconds": round(times[best], 3),
        "candidates": {k: round(v, 3) for k, v in times.items()},
        "tokens": tokens["tiktoken"],
        "distinct_texts": len(texts),
        "cores": cores,
    }


def shape_examples(data: Path, shape: str, n: int) -> list[dict[str, Any]]:
    """``n`` chat examples of one shape from the public data (each text made distinct by its number)."""
    rng = random.Random(3)
    if shape == "long texts":
        records = [
            json.loads(line) for name in ("train", "val") for line in (data / "defacto" / f"{name}.jsonl").open()
        ]
        return [
            {
                "messages": [
                    {"role": "system", "content": "Summarise the article in one sentence."},
                    {"role": "user", "content": f"{r['article']} [{i}]"},
                    {"role": "assistant", "content": f"{r['candidate']} ({i})"},
                ]
            }
            for i, r in ((i, records[i % len(records)]) for i in range(n))
        ]
    if shape == "tool calling":
        bfcl = data / "bfcl"
        questions = [
            json.loads(line)
            for name in ("multiple", "simple_python")
            for line in (bfcl / f"BFCL_v4_{name}.json").open()
        ]
        answers = {}
        for name in ("multiple", "simple_python"):
            for line in (bfcl / f"possible_answer_BFCL_v4_{name}.json").open():
                answer = json.loads(line)
                answers[answer["id"]] = answer["ground_truth"]
        out = []
        for i in range(n):
            q = questions[i % len(questions)]
            tools = [
                {"type": "function", "function": {**fn, "parameters": {**fn["parameters"], "type": "object"}}}
                for fn in q["function"]
            ]
            calls = [
                {
                    "id": f"call_{i}_{j}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps({k: v[0] for k, v in args.items()})},
                }
                for j, (name, args) in enumerate(next(iter(call.items())) for call in answers[q["id"]])
            ]
            messages = [
                {"role": "user", "content": f"{q['question'][0][0]['content']} ({i})"},
                {"role": "assistant", "content": None, "tool_calls": calls},
                *({"role": "tool", "tool_call_id": c["id"], "content": json.dumps({"result": i})} for c in calls),
                {"role": "assistant", "content": f"Done: result {i}."},
            ]
            out.append({"messages": messages, "tools": tools})
        return out
    words = ["yes", "no", "ok", "refund", "order", "shipped", "cancel", "thanks", "hello", "help", "where", "when"]
    return [
        {
            "messages": [
                {"role": "user", "content": f"{rng.choice(words)} {i}"},
                {"role": "assistant", "content": f"{rng.choice(words)} {rng.choice(words)} {i % 997}"},
            ]
        }
        for i in range(n)
    ]


SHAPES = {"long texts": 30_000, "tool calling": 100_000, "very short texts": 300_000}
"""Examples of each shape: files of 30 to 140 MB."""


def bench_shapes(data: Path, work: Path, repeat: int) -> dict[str, Any]:
    """Validation beside the tokenizer floor on chat files of other shapes (see the module's docstring)."""
    from agenthone.datasets import model_info, validate_file

    info = model_info("gpt-4o-mini")
    figures: dict[str, Any] = {}
    for shape, n in SHAPES.items():
        path = work / f"chat-{shape.replace(' ', '-')}-{n}.jsonl"
        if not path.exists():
            log(f"writing {n:,} chat examples: {shape}")
            path.write_text("".join(json.dumps(e) + "\n" for e in shape_examples(data, shape, n)), encoding="utf-8")
        texts = distinct_texts(path)
        ours: list[float] = []
        floors: list[float] = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = validate_file(path, model="gpt-4o-mini")
            ours.append(time.perf_counter() - started)
            floors.append(tokenizer_floor(texts, info.encoding)["seconds"])
        assert report.ok, report.errors
        figures[shape] = {
            "examples": n,
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "distinct_texts": len(texts),
            "ours_seconds": round(min(ours), 2),
            "floor_seconds": round(min(floors), 2),
            "ratio_to_floor": round(min(ours) / min(floors), 2),
            "ratio_to_floor_rounds": [round(o / f, 2) for o, f in zip(ours, floors, strict=True)],
        }
        log(f"  {shape}: {figures[shape]['ratio_to_floor']}x the floor ({min(ours):.2f} s, floor {min(floors):.2f} s)")
    return figures


# -- 2. near duplicates --------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def shingles_of(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def jaccard(a: str, b: str) -> float:
    x, y = shingles_of(a), shingles_of(b)
    return len(x & y) / len(x | y)


def dedup_texts(sample: Path, n: int, planted: int) -> tuple[list[str], set[tuple[int, int]]]:
    """Unique texts from the sample plus ``planted`` copies with one or two words changed; the truth is the
    planted pairs whose exact Jaccard is at least 0.8 (those a detector at threshold 0.8 must find)."""
    texts: list[str] = []
    with (sample / "edits.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            prompt = record.get("prompt")
            prompt_text = prompt if isinstance(prompt, str) else " ".join(m.get("content") or "" for m in prompt)
            texts.append(f"{prompt_text}\n{record['final_output']}")
    with (sample / "conversations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            texts.append("\n".join(m.get("content") or "" for m in json.loads(line)["messages"]))
    rng = random.Random(2)
    unique = list(dict.fromkeys(texts))
    rng.shuffle(unique)
    base = [t for t in unique if len(_WORD.findall(t)) >= 60][: n - planted]
    pairs: set[tuple[int, int]] = set()
    for i in rng.sample(range(len(base)), planted):
        words = base[i].split(" ")
        for _ in range(rng.randint(1, 2)):
            words[rng.randrange(len(words))] = rng.choice(["quickly", "the", "refund", "Tuesday", "approved"])
        base.append(" ".join(words))
        if jaccard(base[i], base[-1]) >= 0.8:
            pairs.add((i, len(base) - 1))
    return base, pairs


def bench_near_duplicates(sample: Path, n: int, planted: int) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    from agenthone.datasets import find_near_duplicates
    from agenthone.datasets._dedup import FN_WEIGHT, FP_WEIGHT

    texts, truth = dedup_texts(sample, n, planted)
    log(f"near duplicates: {len(texts):,} texts, {len(truth):,} planted pairs with Jaccard >= 0.8")
    started = time.perf_counter()
    found = find_near_duplicates(texts, threshold=0.8, num_perm=128)
    ours_s = time.perf_counter() - started
    ours_pairs = {(i, j) for i, j, _ in found.pairs}
    log(f"  ours {ours_s:.1f} s, {len(ours_pairs):,} pairs")

    def datasketch_pairs(weights: tuple[float, float]) -> tuple[set[tuple[int, int]], float]:
        started = time.perf_counter()
        shingles = []
        for text in texts:
            words = _WORD.findall(text.lower())
            grams = {" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))}
            shingles.append(list(grams))
        minhashes = MinHash.bulk(shingles, num_perm=128, scheme="affine32")
        lsh = MinHashLSH(threshold=0.8, num_perm=128, weights=weights)
        for i, m in enumerate(minhashes):
            lsh.insert(i, m)
        pairs = set()
        for i, m in enumerate(minhashes):
            for j in lsh.query(m):
                if j > i:
                    pairs.add((i, j))
        return pairs, time.perf_counter() - started

    peer_pairs, peer_s = datasketch_pairs((0.5, 0.5))
    log(f"  datasketch (default weights) {peer_s:.1f} s, {len(peer_pairs):,} candidate pairs")
    tuned_pairs, tuned_s = datasketch_pairs((FP_WEIGHT, FN_WEIGHT))
    log(f"  datasketch (recall weights) {tuned_s:.1f} s, {len(tuned_pairs):,} candidate pairs")

    def recall(pairs: set[tuple[int, int]]) -> float:
        return round(len(pairs & truth) / len(truth), 4)

    def precision(pairs: set[tuple[int, int]]) -> float:
        """Share of reported pairs that really are near duplicates (exact Jaccard >= 0.8)."""
        if not pairs:
            return 0.0
        return round(sum(jaccard(texts[i], texts[j]) >= 0.8 for i, j in pairs) / len(pairs), 4)

    result = {
        "texts": len(texts),
        "planted_pairs_jaccard_ge_0_8": len(truth),
        "threshold": 0.8,
        "num_perm": 128,
        "ours_seconds": round(ours_s, 2),
        "ours_texts_per_s": round(len(texts) / ours_s),
        "ours_recall": recall(ours_pairs),
        "ours_precision": precision(ours_pairs),
        "ours_bands_rows": [found.bands, found.rows],
        "datasketch_seconds": round(peer_s, 2),
        "datasketch_texts_per_s": round(len(texts) / peer_s),
        "datasketch_recall": recall(peer_pairs),
        "datasketch_precision": precision(peer_pairs),
        "throughput_ratio": round(peer_s / ours_s, 2),
        "datasketch_recall_weights_seconds": round(tuned_s, 2),
        "datasketch_recall_weights_recall": recall(tuned_pairs),
        "throughput_ratio_recall_weights": round(tuned_s / ours_s, 2),
    }
    assert recall(ours_pairs) >= recall(peer_pairs)
    return result


# -- 3. full build ----------------------------------------------------------------------------------

BUILD_SCRIPT = textwrap.dedent(
    """
    import json, os, resource, sys, threading, time
    from pathlib import Path
    from agenthone.config import Settings
    from agenthone.datasets import DatasetSpec, build_dataset

    def private_kb(pid):
        # memory a process holds alone (its pages shared with the build are counted once, in the build's RSS)
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            return 0
        return sum(int(line.split()[1]) for line in lines if line.startswith(("Private_Clean", "Private_Dirty")))

    def children(pid):
        out = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                out += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
        return out + [g for c in out for g in children(c)]

    tree = {"kb": 0}
    def watch():  # the build and any worker processes it starts, together
        me = os.getpid()
        while True:
            rss = int(Path(f"/proc/{me}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
            tree["kb"] = max(tree["kb"], rss + sum(private_kb(c) for c in children(me)))
            time.sleep(0.05)
    if Path("/proc/self/smaps_rollup").exists():
        threading.Thread(target=watch, daemon=True).start()
    settings = Settings.load(sys.argv[1])
    started = time.perf_counter()
    def say(message):
        print(f"  {time.perf_counter() - started:6.1f} s {message}", file=sys.stderr, flush=True)
    ds = build_dataset(DatasetSpec(name="large"), settings=settings, progress=say)
    seconds = time.perf_counter() - started
    # VmHWM is this process's own peak; ru_maxrss would carry over the peak of the (large) benchmark process
    # that started it, which Linux keeps across exec.
    status = Path("/proc/self/status")
    lines = status.read_text().splitlines() if status.exists() else []
    hwm = [line.split()[1] for line in lines if line.startswith("VmHWM:")]
    own = round(int(hwm[0]) / 1024) if hwm else round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    workers = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    cpu = os.times()
    print(json.dumps({"seconds": round(seconds, 1), "dataset": ds.ref, "counts": ds.counts,
                      "cpu_seconds": round(cpu.user + cpu.system + cpu.children_user + cpu.children_system, 1),
                      "cleaning": ds.manifest["cleaning"], "digest": ds.manifest["digest"],
                      "peak_rss_mb": max(own, round(tree["kb"] / 1024)), "peak_rss_mb_build_process": own,
                      "peak_rss_mb_largest_worker": workers}))
    """
)
"""The build's peak memory: the larger of its own peak RSS and the peak, sampled every 50 ms, of its RSS plus
the private memory of every process it started (PII workers), so work moved to other processes counts."""


def bench_build(sample: Path, work: Path) -> dict[str, Any]:
    from agenthone.store import Store

    home = work / "large-workspace"
    store_path = home / "data" / "agenthone.duckdb"
    if not (home / "ingested").exists():
        log("ingesting the large sample into a workspace (once; kept in --work)")
        home.mkdir(parents=True, exist_ok=True)
        with Store(store_path, memory_limit="4GB") as store:
            for kind, name in (("run", "runs.jsonl"), ("edit", "edits.jsonl"), ("conversation", "conversations.jsonl")):
                store.ingest(sample / name, kind)
        (home / "ingested").write_text("ok")
    import shutil

    shutil.rmtree(home / "data" / "datasets", ignore_errors=True)
    shutil.rmtree(home / "mlruns", ignore_errors=True)
    log("full build from the large sample (fresh process)")
    out = subprocess.run(
        [sys.executable, "-c", BUILD_SCRIPT, str(home)],
        capture_output=False,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    with Store(store_path, read_only=True) as store:
        result["store_records"] = store.counts()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "agenthone-bench-datasets")
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=1_000)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of validation beside the tokenizer floor")
    parser.add_argument("--only-build", action="store_true", help="only the full build (no validation, no dedup)")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(__file__).resolve().parents[1].parent / "shared" / "data",
        help="the public data, for validation on files of other shapes",
    )
    parser.add_argument("--no-shapes", action="store_true", help="no validation on files of other shapes")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(args.work / "tiktoken"))
    sample = large_sample(args.work)
    figures: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    if not args.only_build:
        figures["validation"] = bench_validation(sample, args.work, args.examples, args.repeat)
        if args.no_shapes:
            pass
        elif (args.data / "bfcl").is_dir() and (args.data / "defacto").is_dir():
            figures["validation_shapes"] = bench_shapes(args.data, args.work, args.repeat)
        else:
            log(f"validation on other shapes skipped: no public data in {args.data}")
        figures["near_duplicates"] = bench_near_duplicates(sample, args.examples, args.planted)
    if not args.skip_build:
        figures["build"] = bench_build(sample, args.work)
    figures["peak_rss_mb_benchmark_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["summary"] = build_summary(figures) if args.only_build else summary(figures)
    print(json.dumps(figures))


def summary(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures the issues target, for ``benchmarks/summary.py``."""
    v, nd = figures["validation"], figures["near_duplicates"]
    out: list[dict[str, Any]] = [
        {"figure": "validation / tokenizer floor", "value": v["ratio_to_floor"], "op": "<=", "target": 1.3,
         "unit": "x"},
        {"figure": "validation vs cookbook", "value": v["speedup"], "op": ">=", "target": 1.0, "unit": "x"},
        {"figure": "near duplicates vs datasketch", "value": nd["throughput_ratio"], "op": ">=", "target": 1.0,
         "unit": "x"},
        {"figure": "near-duplicate recall - datasketch's", "value": round(nd["ours_recall"] - nd["datasketch_recall"],
         3), "op": ">=", "target": 0.0, "unit": ""},
    ]  # fmt: skip
    for shape, figure in figures.get("validation_shapes", {}).items():  # context: the target is on the sample
        out.append({"figure": f"validation / tokenizer floor, {shape}", "value": figure["ratio_to_floor"], "unit": "x"})
    out.extend(build_summary(figures))
    return out


def build_summary(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The full build's figures (none when it was skipped)."""
    if "build" not in figures:
        return []
    b = figures["build"]
    return [
        {"figure": "build from the large sample", "value": b["seconds"], "op": "<=", "target": 100.0, "unit": "s"},
        {"figure": "build peak RSS", "value": b["peak_rss_mb"], "op": "<=", "target": 1024, "unit": "MB"},
    ]


if __name__ == "__main__":
    main()
