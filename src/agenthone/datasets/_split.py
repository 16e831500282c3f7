"""Leak-free, stratified, deterministic train/validation/test splits.

Examples that share a session, a conversation or a near-duplicate cluster are joined into one group
(union-find), and a group goes to one split as a whole. Groups are stratified by (agent, task type):
within a stratum they are ordered by a seeded hash of their key and cut by *systematic sampling* — each
group sits at the midpoint of its examples on a circle of circumference 1 that starts at a random
phase, and falls in train, validation or test by where that point lands (``[0, 0.8)``, ``[0.8, 0.9)``,
``[0.9, 1)`` for 80/10/10). Large strata get the shares exactly (up to one group), and a stratum of a
single group still lands in validation or test with the right probability instead of always in train.
The result depends only on the examples, the shares and the seed, not on input order.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["SPLITS", "assign_splits", "find_leaks"]

SPLITS = ("train", "validation", "test")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def _unit(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_splits(
    examples: Sequence[Mapping[str, Any]],
    groups: Mapping[str, Iterable[str]],
    *,
    shares: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> dict[str, str]:
    """Example id -> split name. ``groups`` maps an example id to the keys it must share a split with."""
    uf = _UnionFind()
    for example in examples:
        eid = str(example["id"])
        uf.find(f"example:{eid}")
        for key in groups.get(eid, ()):
            uf.union(f"example:{eid}", key)
    members: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for example in examples:
        members[uf.find(f"example:{example['id']}")].append(example)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for root, items in members.items():
        counts = Counter(
            (str(e["source"].get("agent_name")), str(e["source"].get("task_type") or e["source"]["kind"]))
            for e in items
        )
        stratum = min(counts, key=lambda k: (-counts[k], k))
        strata[stratum].append(root)
    cut_train = shares[0]
    cut_validation = shares[0] + shares[1]
    out: dict[str, str] = {}
    for stratum in sorted(strata):
        roots = sorted(strata[stratum], key=lambda r: (_unit(seed, r), r))
        total = sum(len(members[r]) for r in roots)
        phase = _unit(seed, f"stratum:{stratum[0]}:{stratum[1]}")
        done = 0
        for root in roots:
            size = len(members[root])
            point = (phase + (done + size / 2) / total) % 1.0
            done += size
            split = "train" if point < cut_train else "validation" if point < cut_validation else "test"
            for example in members[root]:
                out[str(example["id"])] = split
    return out


def find_leaks(split_of: Mapping[str, str], groups: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Group keys whose examples landed in more than one split (empty when the split is leak-free)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for eid, keys in groups.items():
        if eid not in split_of:
            continue
        for key in keys:
            seen[key].add(split_of[eid])
    return {key: splits for key, splits in seen.items() if len(splits) > 1}
