"""Near-duplicate detection: planted clusters found, threshold respected, same LSH layout as datasketch."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from agenthone.datasets import exact_duplicate_keys, find_near_duplicates
from agenthone.datasets._dedup import lsh_params, shingle_hashes


def _conversation_text(record: dict[str, Any]) -> str:
    parts = []
    for m in record["messages"]:
        if m.get("content"):
            parts.append(m["content"])
        for call in m.get("tool_calls") or []:
            parts.append(call["function"]["arguments"])
    return "\n".join(parts)


def test_planted_near_duplicates_found_with_precision_and_recall(
    sample_dir: Path, ground_truth: dict[str, Any]
) -> None:
    records = [json.loads(line) for line in (sample_dir / "conversations.jsonl").open()]
    ids = [r["id"] for r in records]
    found = find_near_duplicates([_conversation_text(r) for r in records])
    planted = ground_truth["effects"]["duplicates"]
    truth = {p for group in planted["exact"] + planted["near"] for p in itertools.combinations(sorted(group), 2)}
    predicted = {p for cluster in found.clusters for p in itertools.combinations(sorted(ids[i] for i in cluster), 2)}
    hits = len(truth & predicted)
    assert len(truth) >= 30
    assert hits / len(predicted) >= 0.9, "precision"
    assert hits / len(truth) >= 0.9, "recall"


def test_every_reported_pair_meets_the_threshold() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(2000)]
    base = [" ".join(rng.choice(words) for _ in range(60)) for _ in range(200)]
    texts = list(base)
    for text in base[:50]:  # one changed word each: Jaccard of 5-grams about 0.85
        tokens = text.split()
        tokens[rng.randrange(len(tokens))] = "changed"
        texts.append(" ".join(tokens))
    found = find_near_duplicates(texts, threshold=0.8)
    values, offsets = shingle_hashes(texts)
    for i, j, jaccard in found.pairs:
        a = set(values[offsets[i] : offsets[i + 1]].tolist())
        b = set(values[offsets[j] : offsets[j + 1]].tolist())
        assert jaccard == pytest.approx(len(a & b) / len(a | b), abs=1e-4)
        assert jaccard >= 0.8
    pairs = {(i, j) for i, j, _ in found.pairs}
    assert sum((k, 200 + k) in pairs for k in range(50)) >= 45
    assert all(j >= 200 for _, j in pairs)  # unrelated texts are never paired
    # a stricter threshold finds fewer
    assert len(find_near_duplicates(texts, threshold=0.95).pairs) < len(found.pairs)


def test_short_texts_and_deterministic() -> None:
    texts = ["refund please", "Refund  please", "totally different words here now", "", "refund please"]
    first = find_near_duplicates(texts)
    assert first.clusters == [[0, 1, 4]]
    assert find_near_duplicates(texts).pairs == first.pairs
    keys = exact_duplicate_keys(texts)
    assert keys[0] == keys[1] == keys[4] and keys[0] != keys[2]


def test_lsh_layout_matches_datasketch() -> None:
    from datasketch import MinHashLSH

    from agenthone.datasets._dedup import FN_WEIGHT, FP_WEIGHT

    for threshold, num_perm in ((0.8, 128), (0.5, 64), (0.9, 256)):
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(FP_WEIGHT, FN_WEIGHT))
        assert lsh_params(threshold, num_perm) == (lsh.b, lsh.r)
        even = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert lsh_params(threshold, num_perm, 0.5, 0.5) == (even.b, even.r)


def test_bad_threshold() -> None:
    with pytest.raises(ValueError, match="threshold must be in"):
        find_near_duplicates(["a", "b"], threshold=0)


def test_shingle_hashes_do_not_depend_on_the_chunk_size() -> None:
    rng = random.Random(5)
    words = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 30))) for _ in range(101)]
    whole_values, whole_offsets = shingle_hashes(texts, chunk=len(texts))
    for chunk in (1, 7, 50):
        values, offsets = shingle_hashes(texts, chunk=chunk)
        assert values.tolist() == whole_values.tolist()
        assert offsets.tolist() == whole_offsets.tolist()
    assert shingle_hashes([])[1].tolist() == [0]
