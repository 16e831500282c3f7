"""Assignment of units to variants by hashing: deterministic across processes, balanced, independent per salt."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["BUCKETS", "assign", "bucket"]

BUCKETS = 10_000


def bucket(salt: str, unit: str) -> int:
    """The unit's bucket in ``[0, BUCKETS)``: the first 8 bytes of sha256("salt:unit"), modulo BUCKETS."""
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(salt: str, unit: str, variants: Sequence[str], weights: Sequence[float]) -> str:
    """The variant of ``unit``: its bucket falls in one variant's share of the cumulative (normalised) weights."""
    if not variants or len(variants) != len(weights):
        raise ValueError("variants and weights must be non-empty and of the same length")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("weights must sum to a positive number")
    b = bucket(salt, unit)
    edge = 0.0
    for name, weight in zip(variants, weights, strict=True):
        edge += weight / total * BUCKETS
        if b < edge:
            return name
    return variants[-1]
