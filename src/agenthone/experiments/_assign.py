"""Assignment of units to variants by hashing: stateless, so every agent process agrees without a lookup.

A unit (user, session or intent id) lands in one of ``BUCKETS`` buckets by the first 8 bytes of
``sha256(f"{salt}:{unit}")``; the variants own consecutive runs of buckets in proportion to their weights.
SHA-256 rather than Python's ``hash()`` (salted per process) keeps the answer the same across processes,
machines and restarts; the per-experiment salt makes two experiments' assignments independent, so a unit's
arm in one test says nothing about its arm in another.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["BUCKETS", "assign", "bucket"]

BUCKETS = 10_000


def bucket(salt: str, unit: str) -> int:
    """The unit's bucket in ``range(BUCKETS)`` for this salt (the experiment's)."""
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@lru_cache(maxsize=1024)
def _bounds(weights: tuple[float, ...]) -> tuple[float, ...]:
    """Upper bucket bound of each variant: cumulative normalised weights times ``BUCKETS``."""
    if not weights:
        raise ValueError("an experiment needs at least one variant")
    if any(not w >= 0 for w in weights):  # also refuses NaN
        raise ValueError(f"weights must be non-negative numbers, got {list(weights)}")
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must not all be 0")
    bounds, running = [], 0.0
    for w in weights:
        running += w
        bounds.append(running / total * BUCKETS)
    bounds[-1] = float(BUCKETS)  # no bucket falls past the last variant through rounding
    return tuple(bounds)


def assign(salt: str, unit: str, variants: Sequence[str], weights: Sequence[float]) -> str:
    """The variant of ``unit``: weights need not sum to 1 (they are normalised), a weight of 0 gets no units.

    Changing the weights moves only the units at the boundaries between variants, not everyone.
    """
    if len(variants) != len(weights):
        raise ValueError(f"{len(variants)} variants but {len(weights)} weights")
    bounds = _bounds(tuple(weights))
    return variants[bisect_right(bounds, bucket(salt, unit))]
