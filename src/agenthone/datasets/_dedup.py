"""Exact and near-duplicate detection: MinHash LSH over word 5-gram shingles, vectorised with numpy.

Near duplicates are texts whose sets of word k-grams (shingles, k=5 by default) have a Jaccard
similarity of at least ``threshold`` (0.8 by default). Finding them:

1. every text becomes word ids; k-gram hashes are computed for all texts at once (numpy, 64-bit
   polynomial hash mixed with the MurmurHash3 finalizer);
2. MinHash signatures with ``num_perm`` affine permutations ``a*h+b mod 2^32`` (the scheme datasketch
   calls affine32), minimised per text with ``np.minimum.reduceat`` over chunks;
3. LSH banding with the (bands, rows) that minimise the weighted false positive/negative probability,
   the optimisation datasketch's ``MinHashLSH`` performs, weighted towards recall (false negatives 0.95,
   false positives 0.05: ``MinHashLSH(weights=(0.05, 0.95))``) because every candidate is verified next;
   with datasketch's default even weights a pair right at the threshold is found only 40% of the time;
4. each candidate pair is verified with the *exact* Jaccard of its shingle sets (so no pair below the
   threshold is reported), and verified pairs are joined into clusters (connected components).

Deterministic: word ids follow the order of the texts and the permutations come from ``seed``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["NearDuplicates", "exact_duplicate_keys", "find_near_duplicates", "lsh_params"]

_WORD = re.compile(r"\w+")


def exact_duplicate_keys(texts: Iterable[str]) -> list[str]:
    """A key per text that is equal for texts identical up to case and whitespace.

    The key is the SHA-1 of the text with every run of whitespace made one space, stripped, lower-cased
    (``" ".join(t.split())`` splits where ``\\s+`` matches: both use Unicode's whitespace).
    """
    sha1 = hashlib.sha1
    return [sha1(" ".join(t.split()).lower().encode()).hexdigest() for t in texts]


FP_WEIGHT = 0.05
FN_WEIGHT = 0.95


@cache
def lsh_params(
    threshold: float, num_perm: int, fp_weight: float = FP_WEIGHT, fn_weight: float = FN_WEIGHT
) -> tuple[int, int]:
    """(bands, rows) minimising ``fp_weight*P(false positive) + fn_weight*P(false negative)``."""
    from scipy.integrate import quad

    best = (0, 0)
    least = float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = quad(lambda s, b=b, r=r: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]
            fn = quad(lambda s, b=b, r=r: (1 - s ** float(r)) ** float(b), threshold, 1.0)[0]
            error = fp * fp_weight + fn * fn_weight
            if error < least:
                least = error
                best = (b, r)
    return best


@dataclass
class NearDuplicates:
    """Clusters of near-duplicate texts (indices into the input), and the verified pairs."""

    clusters: list[list[int]]
    """each cluster sorted, clusters sorted by first member; singletons are left out"""
    pairs: list[tuple[int, int, float]] = field(repr=False)
    """verified (i, j, jaccard) pairs, i < j"""
    candidates: int = 0
    """pairs the LSH index proposed (before verification)"""
    bands: int = 0
    rows: int = 0

    def cluster_of(self, n: int) -> list[int]:
        """Cluster id of each of ``n`` texts (-1 for texts without a near duplicate)."""
        labels = [-1] * n
        for cid, members in enumerate(self.clusters):
            for m in members:
                labels[m] = cid
        return labels


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    import numpy as np

    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def shingle_hashes(
    texts: Sequence[str], k: int = 5, *, chunk: int = 8192
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Sorted unique 32-bit hashes of each text's word k-grams, concatenated, and the offsets of each text.

    A text with fewer than k words has one shingle: all its words. Words are lower-cased ``\\w+`` runs.
    Texts are hashed ``chunk`` at a time (the word arrays of a whole corpus would take gigabytes), with one
    vocabulary, so the result does not depend on ``chunk``.
    """
    import numpy as np

    vocab: dict[str, int] = {}
    parts: list[npt.NDArray[np.uint32]] = []
    counts: list[npt.NDArray[np.int64]] = []
    for start in range(0, len(texts), max(1, chunk)):
        values, per_text = _shingle_chunk(texts[start : start + max(1, chunk)], k, vocab)
        parts.append(values)
        counts.append(per_text)
    values = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    per_text = np.concatenate(counts) if counts else np.empty(0, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(per_text))).astype(np.int64)
    return values, offsets


def _shingle_chunk(
    texts: Sequence[str], k: int, vocab: dict[str, int]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Hashes of some texts (as :func:`shingle_hashes`) and how many each text has."""
    import numpy as np

    findall = _WORD.findall
    per_text = [findall(text.lower()) for text in texts]
    lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
    words = list(chain.from_iterable(per_text))
    del per_text
    # new words get the next ids in the order they first appear (dict.fromkeys keeps that order)
    for word in dict.fromkeys(words):
        if word not in vocab:
            vocab[word] = len(vocab) + 1
    ids = np.fromiter(map(vocab.__getitem__, words), dtype=np.uint64, count=len(words))
    del words
    starts = np.concatenate(([0], np.cumsum(lengths)))[:-1]
    total = len(ids)
    # polynomial hash of the k-gram starting at every word position (wrapping uint64 arithmetic)
    prime = np.uint64(0x100000001B3)
    h = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            shifted = np.zeros(total, dtype=np.uint64)
            shifted[: max(0, total - j)] = ids[j:] if j else ids
            h = h * prime + shifted
        mixed = _fmix64(h)
    # keep k-grams that lie inside one text; short texts keep their first position (all their words)
    position = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    room = np.repeat(lengths, lengths) - position
    keep = (room >= k) | ((position == 0) & (np.repeat(lengths, lengths) < k))
    if keep.any():
        short = (position == 0) & (np.repeat(lengths, lengths) < k)
        if short.any():  # short texts: hash only their own words (positions past the end are zero)
            idx = np.flatnonzero(short)
            n_words = np.repeat(lengths, lengths)[idx]
            hs = np.zeros(len(idx), dtype=np.uint64)
            with np.errstate(over="ignore"):
                for j in range(k):
                    take = j < n_words
                    word = np.where(take, ids[np.minimum(idx + j, total - 1)], np.uint64(0))
                    hs = hs * prime + word
                mixed[idx] = _fmix64(hs)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[keep]
    values = (mixed[keep] >> np.uint64(32)).astype(np.uint32)
    # unique per text: sort by (owner, value) and drop repeats
    order = np.lexsort((values, owner))
    owner, values = owner[order], values[order]
    if len(values):
        distinct = np.ones(len(values), dtype=bool)
        distinct[1:] = (owner[1:] != owner[:-1]) | (values[1:] != values[:-1])
        owner, values = owner[distinct], values[distinct]
    return values, np.bincount(owner, minlength=len(texts)).astype(np.int64)


def minhash_signatures(
    values: npt.NDArray[np.uint32],
    offsets: npt.NDArray[np.int64],
    *,
    num_perm: int = 128,
    seed: int = 1,
    chunk: int = 1 << 16,
) -> npt.NDArray[np.uint32]:
    """(texts, num_perm) MinHash signatures; texts without shingles get all-max rows."""
    import numpy as np

    rng = np.random.RandomState(seed)
    a = (rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64) | np.uint64(1)).astype(np.uint32)[:, None]
    b = rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64).astype(np.uint32)[:, None]
    n = len(offsets) - 1
    sig = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    counts = np.diff(offsets)
    nonempty = np.flatnonzero(counts > 0)
    if not len(nonempty):
        return sig
    buf = np.empty((num_perm, chunk), dtype=np.uint32)
    i = 0
    while i < len(nonempty):
        # a run of texts whose shingles fit in one chunk (a longer text gets a chunk of its own)
        first = nonempty[i]
        lo = offsets[first]
        j = int(np.searchsorted(offsets[nonempty + 1], lo + chunk, side="right"))
        j = max(j, i + 1)
        docs = nonempty[i:j]
        hi = offsets[docs[-1] + 1]
        width = int(hi - lo)
        block = buf[:, :width] if width <= chunk else np.empty((num_perm, width), dtype=np.uint32)
        with np.errstate(over="ignore"):
            np.multiply(a, values[lo:hi][None, :], out=block)
            np.add(block, b, out=block)
        sig[docs] = np.minimum.reduceat(block, offsets[docs] - lo, axis=1).T
        i = j
    return sig


def _band_pairs(
    sig: npt.NDArray[np.uint32], bands: int, rows: int, rows_mask: npt.NDArray[np.bool_]
) -> set[tuple[int, int]]:
    import numpy as np

    rng = np.random.RandomState(7)
    mult = rng.randint(1, 1 << 62, size=rows, dtype=np.uint64) | np.uint64(1)
    idx = np.flatnonzero(rows_mask)
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        part = sig[idx, band * rows : (band + 1) * rows].astype(np.uint64)
        with np.errstate(over="ignore"):
            key = _fmix64((part * mult).sum(axis=1, dtype=np.uint64) + np.uint64(band))
        order = np.argsort(key, kind="stable")
        sorted_keys = key[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
        sizes = np.diff(np.append(starts, len(order)))
        for start, size in zip(starts[sizes >= 2].tolist(), sizes[sizes >= 2].tolist(), strict=True):
            members = np.sort(idx[order[start : start + size]])
            if len(members) <= 64:
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        pairs.add((int(members[x]), int(members[y])))
            else:  # a large bucket: link each member to the first (clusters are transitive anyway)
                head = int(members[0])
                pairs.update((head, int(m)) for m in members[1:])
    return pairs


def find_near_duplicates(
    texts: Sequence[str], *, threshold: float = 0.8, num_perm: int = 128, shingle_size: int = 5, seed: int = 1
) -> NearDuplicates:
    """Clusters of texts whose word ``shingle_size``-gram Jaccard similarity is at least ``threshold``."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    n = len(texts)
    bands, rows = lsh_params(threshold, num_perm)
    if n < 2:
        return NearDuplicates(clusters=[], pairs=[], bands=bands, rows=rows)
    values, offsets = shingle_hashes(texts, shingle_size)
    sig = minhash_signatures(values, offsets, num_perm=num_perm, seed=seed)
    candidates = _band_pairs(sig, bands, rows, np.diff(offsets) > 0)
    verified: list[tuple[int, int, float]] = []
    for i, j in sorted(candidates):
        a = values[offsets[i] : offsets[i + 1]]
        b = values[offsets[j] : offsets[j + 1]]
        inter = len(np.intersect1d(a, b, assume_unique=True))
        jaccard = inter / (len(a) + len(b) - inter)
        if jaccard >= threshold:
            verified.append((i, j, round(float(jaccard), 4)))
    clusters: list[list[int]] = []
    if verified:
        left = np.array([p[0] for p in verified])
        right = np.array([p[1] for p in verified])
        graph = coo_matrix((np.ones(len(verified)), (left, right)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        members: dict[int, list[int]] = {}
        for node in np.unique(np.concatenate([left, right])):
            members.setdefault(int(labels[node]), []).append(int(node))
        clusters = sorted((sorted(m) for m in members.values()), key=lambda m: m[0])
    return NearDuplicates(clusters=clusters, pairs=verified, candidates=len(candidates), bands=bands, rows=rows)
