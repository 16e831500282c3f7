"""Assignment of units to variants by hashing: stateless, deterministic across processes, balanced."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["BUCKETS", "assign", "bucket"]

BUCKETS = 10_000
"""Traffic is split in steps of 1/BUCKETS."""


def bucket(salt: str, unit: str) -> int:
    """The bucket of ``unit`` in the experiment salted ``salt``: sha256 of ``"salt:unit"``, first 8 bytes, mod BUCKETS.

    A cryptographic hash (not Python's per-process ``hash()``) so every process and restart agrees, and
    different salts give independent splits of the same units.
    """
    digest = hashlib.sha256(f"{salt}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(salt: str, unit: str, variants: Sequence[str], weights: Sequence[float]) -> str:
    """The variant of ``unit``: its bucket falls into the variants' cumulative share of BUCKETS.

    ``weights`` need not sum to 1: they are normalised.
    """
    if not variants or len(variants) != len(weights):
        raise ValueError("give one weight per variant")
    total = float(sum(weights))
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    b = bucket(salt, unit)
    cumulative = 0.0
    for name, w in zip(variants, weights, strict=True):
        cumulative += w / total
        if b < cumulative * BUCKETS:
            return name
    return variants[-1]
