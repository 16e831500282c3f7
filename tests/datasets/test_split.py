"""Splits: leak-free across groups, stratified, deterministic for a seed, independent of input order."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from agenthone.datasets import assign_splits, find_leaks


def _examples(n: int) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    rng = random.Random(0)
    examples = []
    groups: dict[str, list[str]] = {}
    for i in range(n):
        agent = f"agent-{i % 7}"
        task = f"task-{i % 3}"
        eid = f"e{i}"
        examples.append({"id": eid, "source": {"kind": "edit", "agent_name": agent, "task_type": task}})
        groups[eid] = [f"session:{rng.randrange(n // 3)}"]
        if i % 300 == 0:
            groups[eid].append("near:shared-cluster")
    return examples, groups


def test_leak_free_stratified_and_deterministic() -> None:
    examples, groups = _examples(3000)
    split_of = assign_splits(examples, groups, seed=1)
    assert find_leaks(split_of, groups) == {}
    counts = Counter(split_of.values())
    assert abs(counts["train"] / 3000 - 0.8) < 0.02
    assert abs(counts["validation"] / 3000 - 0.1) < 0.02
    # stratified: every agent has validation and test examples
    for agent in {e["source"]["agent_name"] for e in examples}:
        got = Counter(split_of[e["id"]] for e in examples if e["source"]["agent_name"] == agent)
        assert got["validation"] > 0 and got["test"] > 0
    assert assign_splits(examples, groups, seed=1) == split_of
    shuffled = examples[:]
    random.Random(5).shuffle(shuffled)
    assert assign_splits(shuffled, groups, seed=1) == split_of
    other = assign_splits(examples, groups, seed=2)
    assert other != split_of and find_leaks(other, groups) == {}


def test_find_leaks_reports_a_spanning_group() -> None:
    split_of = {"a": "train", "b": "test", "c": "train"}
    groups = {"a": ["session:1"], "b": ["session:1"], "c": ["session:2"]}
    assert find_leaks(split_of, groups) == {"session:1": {"train", "test"}}


def test_small_strata_still_reach_validation_and_test() -> None:
    # 300 strata of one example each: a per-stratum rounding would put all of them in train
    examples = [
        {"id": f"e{i}", "source": {"kind": "run", "agent_name": f"a{i}", "task_type": None}} for i in range(300)
    ]
    counts = Counter(assign_splits(examples, {}, seed=0).values())
    assert counts["validation"] > 10 and counts["test"] > 10
