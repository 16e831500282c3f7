"""What people delete from and add to an agent's outputs: over-represented word n-grams.

For each edit, the word-level diff (:mod:`agenthone.analytics._diff`'s alignment) splits the AI output into
kept and deleted token spans and the final text's new spans into inserted ones. Then, for n = 1..6:

1. **support**: the number of the agent's edits whose deleted (inserted) spans contain the n-gram
   (document frequency; n-grams never cross a span boundary);
2. **log-odds** of the n-gram in deleted (inserted) spans against the text that was kept, with an
   informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eq. 16-22): the prior is
   the n-gram's count in all of the agent's text (deleted + inserted + kept), scaled by ``prior_scale``.
   ``z`` is the log-odds over its standard error; a candidate needs ``z >= min_z`` and at least
   ``min_support`` edits (and ``min_share`` of them);
3. n-grams that sit inside a longer candidate with about the same support (within ``collapse_tolerance``)
   are dropped, and maximal (n = 6) candidates that overlap by five tokens with the same support are chained,
   so a planted sentence shows up once, whole, and not as a dozen of its fragments;
4. patterns are ranked by support (the share of the agent's edits they concern), then by length and z.

Counting runs on integer token ids with numpy (n-grams hashed to 64 bits; a collision needs two of the
agent's n-grams to share a 64-bit hash, odds ~1e-9 for a million distinct n-grams), so mining is bounded
by the diff itself. Matching is case-insensitive; patterns are shown as written in the first example.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from agenthone.analytics._errors import AnalyticsError
from agenthone.text import word_tokens

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_N", "PATTERN_COLUMNS", "EditStreams", "detokenize", "mine_patterns", "split_edits"]

MAX_N = 6
PATTERN_COLUMNS = (
    "kind",
    "pattern",
    "n",
    "edits",
    "share",
    "in_ai_output",
    "rate_when_present",
    "log_odds",
    "z",
    "examples",
    "recommendation",
)
_MULT = np.uint64(0x9E3779B97F4A7C15)
_NO_SPACE_BEFORE = set(".,;:!?%)]}'\"")
_NO_SPACE_AFTER = set("([{$#\"'")


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens back into readable text: no space before closing punctuation or after opening marks."""
    out = ""
    for tok in tokens:
        if out and not (tok in _NO_SPACE_BEFORE or out[-1] in _NO_SPACE_AFTER):
            out += " "
        out += tok
    return out


@dataclass
class _Stream:
    """Token spans of one kind (deleted, inserted or kept) of all edits, flattened."""

    tokens: list[str]
    surface: list[str]
    edit: list[int]
    span_start: list[bool]


@dataclass
class EditStreams:
    """The deleted, inserted and kept token spans of many edits, plus each AI output's tokens."""

    ids: list[str]
    deleted: _Stream
    inserted: _Stream
    kept: _Stream
    before: _Stream

    @property
    def n_edits(self) -> int:
        return len(self.ids)


def _new_stream() -> _Stream:
    return _Stream([], [], [], [])


def _add(stream: _Stream, surface: list[str], lower: list[str], edit: int) -> None:
    if not lower:
        return
    stream.tokens.extend(lower)
    stream.surface.extend(surface)
    stream.edit.extend([edit] * len(lower))
    stream.span_start.append(True)
    stream.span_start.extend([False] * (len(lower) - 1))


def split_edits(
    ids: Sequence[str], ai_outputs: Sequence[str | None], final_outputs: Sequence[str | None]
) -> EditStreams:
    """Diff every edit and collect its deleted, inserted and kept spans (the costly step, done once)."""
    streams = EditStreams(list(map(str, ids)), _new_stream(), _new_stream(), _new_stream(), _new_stream())
    for k, (a, b) in enumerate(zip(ai_outputs, final_outputs, strict=True)):
        ta, tb = word_tokens(a), word_tokens(b)
        la = [t.lower() for t in ta]
        _add(streams.before, ta, la, k)
        if ta == tb:
            _add(streams.kept, ta, la, k)
            continue
        lb = [t.lower() for t in tb]
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
            if tag == "equal":
                _add(streams.kept, ta[i1:i2], la[i1:i2], k)
                continue
            if i2 > i1:
                _add(streams.deleted, ta[i1:i2], la[i1:i2], k)
            if j2 > j1:
                _add(streams.inserted, tb[j1:j2], lb[j1:j2], k)
    return streams


@dataclass
class _Grams:
    """All n-grams of one order in one stream: hash keys, the edit they came from and where they start."""

    keys: np.ndarray
    edits: np.ndarray
    starts: np.ndarray


def _ids(streams: EditStreams) -> dict[str, np.ndarray]:
    import pandas as pd

    parts = [streams.deleted.tokens, streams.inserted.tokens, streams.kept.tokens, streams.before.tokens]
    allt = [t for p in parts for t in p]
    codes, _ = pd.factorize(pd.Series(allt, dtype=object), sort=False)
    out: dict[str, np.ndarray] = {}
    pos = 0
    for name, p in zip(("deleted", "inserted", "kept", "before"), parts, strict=True):
        out[name] = codes[pos : pos + len(p)].astype(np.uint64) + np.uint64(1)
        pos += len(p)
    return out


def _grams(ids: np.ndarray, stream: _Stream, n: int) -> _Grams:
    """n-grams that start and end inside one span (hashes with a multiplicative rolling mix)."""
    size = len(ids)
    if size < n:
        empty = np.empty(0, dtype=np.uint64)
        return _Grams(empty, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    starts_flag = np.asarray(stream.span_start, dtype=bool)
    # span id of every token; an n-gram is valid when its first and last token share a span
    span = np.cumsum(starts_flag)
    m = size - n + 1
    with np.errstate(over="ignore"):
        key = ids[:m].copy()
        for j in range(1, n):
            key = key * _MULT + ids[j : j + m]
            key ^= key >> np.uint64(29)
        key = key * np.uint64(n * 2 + 1)
    valid = span[:m] == span[n - 1 : n - 1 + m]
    idx = np.flatnonzero(valid)
    return _Grams(key[idx], np.asarray(stream.edit, dtype=np.int64)[idx], idx)


def _doc_freq(g: _Grams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique keys, the number of distinct edits each occurs in, and the index of its first occurrence."""
    if len(g.keys) == 0:
        e = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.uint64), e, e
    order = np.lexsort((g.edits, g.keys))
    k, e = g.keys[order], g.edits[order]
    new_pair = np.ones(len(k), dtype=bool)
    new_pair[1:] = (k[1:] != k[:-1]) | (e[1:] != e[:-1])
    pk = k[new_pair]
    first_of_key = np.ones(len(pk), dtype=bool)
    first_of_key[1:] = pk[1:] != pk[:-1]
    uniq = pk[first_of_key]
    bounds = np.flatnonzero(first_of_key)
    df = np.diff(np.append(bounds, len(pk)))
    first_pos = order[np.flatnonzero(new_pair)[bounds]]
    return uniq, df, first_pos


def _count(keys: np.ndarray, among: np.ndarray) -> np.ndarray:
    """How often each of ``among`` occurs in ``keys``."""
    if len(keys) == 0 or len(among) == 0:
        return np.zeros(len(among), dtype=np.int64)
    sorted_keys = np.sort(keys)
    lo = np.searchsorted(sorted_keys, among, side="left")
    hi = np.searchsorted(sorted_keys, among, side="right")
    return (hi - lo).astype(np.int64)


@dataclass
class _Candidate:
    kind: str
    tokens: tuple[str, ...]
    surface: tuple[str, ...]
    ids: tuple[int, ...]
    support: int
    edit_set: frozenset[int]
    log_odds: float
    z: float


def _edit_sets(g: _Grams, chosen: np.ndarray) -> dict[int, set[int]]:
    mask = np.isin(g.keys, chosen)
    out: dict[int, set[int]] = {}
    for key, edit in zip(g.keys[mask].tolist(), g.edits[mask].tolist(), strict=True):
        out.setdefault(key, set()).add(edit)
    return out


def _mine_kind(
    streams: EditStreams,
    ids: dict[str, np.ndarray],
    kind: Literal["deletion", "addition"],
    *,
    min_support: int,
    min_z: float,
    prior_scale: float,
    max_n: int,
) -> list[_Candidate]:
    target_name = "deleted" if kind == "deletion" else "inserted"
    target: _Stream = getattr(streams, target_name)
    found: list[_Candidate] = []
    for n in range(1, max_n + 1):
        g_t = _grams(ids[target_name], target, n)
        uniq, df, first = _doc_freq(g_t)
        keep = df >= min_support
        if not keep.any():
            continue
        uniq, df, first = uniq[keep], df[keep], first[keep]
        # frequencies in the target and in the kept text; the prior from all of the agent's text
        y_t = _count(g_t.keys, uniq)
        g_k = _grams(ids["kept"], streams.kept, n)
        y_k = _count(g_k.keys, uniq)
        other = "inserted" if kind == "deletion" else "deleted"
        g_o = _grams(ids[other], getattr(streams, other), n)
        y_o = _count(g_o.keys, uniq)
        n_t, n_k = float(len(g_t.keys)), float(len(g_k.keys))
        total = n_t + n_k + float(len(g_o.keys))
        a_w = prior_scale * (y_t + y_k + y_o).astype(float)
        a_0 = prior_scale * total
        with np.errstate(divide="ignore", invalid="ignore"):
            lo_t = np.log((y_t + a_w) / np.maximum(n_t + a_0 - y_t - a_w, 1e-9))
            lo_k = np.log((y_k + a_w) / np.maximum(n_k + a_0 - y_k - a_w, 1e-9))
            delta = lo_t - lo_k
            z = delta / np.sqrt(1.0 / (y_t + a_w) + 1.0 / (y_k + a_w))
        good = np.flatnonzero((z >= min_z) & (delta > 0))
        if len(good) == 0:
            continue
        sets = _edit_sets(g_t, uniq[good])
        positions = g_t.starts[first[good]]
        for gi, pos in zip(good.tolist(), positions.tolist(), strict=True):
            toks = tuple(target.tokens[pos : pos + n])
            if not any(any(ch.isalnum() for ch in t) for t in toks):
                continue  # punctuation alone is not a pattern
            found.append(
                _Candidate(
                    kind=kind,
                    tokens=toks,
                    surface=tuple(target.surface[pos : pos + n]),
                    ids=tuple(ids[target_name][pos : pos + n].tolist()),
                    support=int(df[gi]),
                    edit_set=frozenset(sets.get(int(uniq[gi]), set())),
                    log_odds=float(delta[gi]),
                    z=float(z[gi]),
                )
            )
    return found


def _contains(long: tuple[str, ...], short: tuple[str, ...]) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _similar(a: int, b: int, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(a, b)


def _chain(cands: list[_Candidate], max_n: int, tolerance: float) -> list[_Candidate]:
    """Chain maximal-length candidates that overlap by ``max_n - 1`` tokens with the same support."""
    full = [c for c in cands if len(c.tokens) == max_n]
    rest = [c for c in cands if len(c.tokens) != max_n]
    by_prefix: dict[tuple[str, ...], list[_Candidate]] = {}
    for c in full:
        by_prefix.setdefault(c.tokens[:-1], []).append(c)
    has_pred = set()
    for c in full:
        for nxt in by_prefix.get(c.tokens[1:], []):
            if nxt is not c and _similar(c.support, nxt.support, tolerance):
                has_pred.add(id(nxt))
    chained: list[_Candidate] = []
    for c in full:
        if id(c) in has_pred:
            continue
        cur = c
        seen = {id(c)}
        tokens, surface, tok_ids = list(c.tokens), list(c.surface), list(c.ids)
        support, edits, z, lo = c.support, c.edit_set, c.z, c.log_odds
        while True:
            nexts = [x for x in by_prefix.get(tuple(tokens[-(max_n - 1) :]), []) if id(x) not in seen]
            nexts = [x for x in nexts if _similar(cur.support, x.support, tolerance)]
            if not nexts:
                break
            cur = max(nexts, key=lambda x: x.support)
            seen.add(id(cur))
            tokens.append(cur.tokens[-1])
            surface.append(cur.surface[-1])
            tok_ids.append(cur.ids[-1])
            edits = edits & cur.edit_set
            support = len(edits)
            z, lo = min(z, cur.z), min(lo, cur.log_odds)
        chained.append(_Candidate(c.kind, tuple(tokens), tuple(surface), tuple(tok_ids), support, edits, lo, z))
    return rest + chained


def _collapse(cands: list[_Candidate], tolerance: float) -> list[_Candidate]:
    """Drop candidates contained in a longer one with about the same support."""
    by_len = sorted(cands, key=lambda c: -len(c.tokens))
    kept: list[_Candidate] = []
    for c in by_len:
        if any(
            len(k.tokens) > len(c.tokens) and _contains(k.tokens, c.tokens) and k.support >= (1 - tolerance) * c.support
            for k in kept
        ):
            continue
        kept.append(c)
    return kept


def _presence(streams: EditStreams, ids: dict[str, np.ndarray], cand: _Candidate) -> int:
    """In how many AI outputs the pattern occurs (whole outputs, not only the deleted spans)."""
    before = ids["before"]
    n = len(cand.ids)
    if len(before) < n:
        return 0
    edits = np.asarray(streams.before.edit, dtype=np.int64)
    pos = np.flatnonzero(before[: len(before) - n + 1] == np.uint64(cand.ids[0]))
    if len(pos) == 0:
        return 0
    windows = np.lib.stride_tricks.sliding_window_view(before, n)[pos]
    match = (windows == np.asarray(cand.ids, dtype=np.uint64)).all(axis=1) & (edits[pos] == edits[pos + n - 1])
    return len(np.unique(edits[pos[match]]))


def _recommend(kind: str, text: str, share: float, rate: float | None, position: str) -> str:
    if kind == "deletion":
        where = f"outputs often {position} '{text}'" if position else f"outputs often contain '{text}'"
        how = f"users delete it in {share:.0%} of edits"
        if rate is not None and not math.isnan(rate):
            how += f" ({rate:.0%} of the outputs that contain it)"
        return f"{where}: {how}; remove it from the prompt or tell the agent not to write it."
    return (
        f"users add '{text}' in {share:.0%} of edits; put it in the prompt (or the agent's template) "
        "so the agent writes it itself."
    )


def _position(streams: EditStreams, cand: _Candidate) -> str:
    """Whether a deleted pattern usually opens or closes the AI output (for the recommendation)."""
    n = len(cand.tokens)
    before = streams.before
    opens = closes = 0
    edits = np.asarray(before.edit)
    if len(edits) == 0:
        return ""
    starts = np.flatnonzero(np.r_[True, edits[1:] != edits[:-1]])
    ends = np.r_[starts[1:], len(edits)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if edits[s] not in cand.edit_set:
            continue
        if tuple(before.tokens[s : s + n]) == cand.tokens:
            opens += 1
        elif tuple(before.tokens[e - n : e]) == cand.tokens:
            closes += 1
    if opens >= 0.5 * cand.support:
        return "open with"
    if closes >= 0.5 * cand.support:
        return "end with"
    return ""


def mine_patterns(
    streams: EditStreams,
    *,
    kinds: Sequence[Literal["deletion", "addition"]] = ("deletion", "addition"),
    top: int | None = 10,
    min_support: int = 3,
    min_share: float = 0.02,
    min_z: float = 3.0,
    prior_scale: float = 1.0,
    max_n: int = MAX_N,
    collapse_tolerance: float = 0.1,
    examples: int = 3,
) -> pd.DataFrame:
    """Deletion and addition patterns of a set of edits (see the module docstring for the method)."""
    import pandas as pd

    if not 1 <= max_n <= 12:
        raise AnalyticsError("max_n must be between 1 and 12")
    n_edits = streams.n_edits
    support = max(min_support, math.ceil(min_share * n_edits))
    ids = _ids(streams) if n_edits else {}
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        if kind not in ("deletion", "addition"):
            raise AnalyticsError(f"unknown pattern kind {kind!r}; expected deletion or addition")
        if not n_edits:
            continue
        cands = _mine_kind(streams, ids, kind, min_support=support, min_z=min_z, prior_scale=prior_scale, max_n=max_n)
        cands = _collapse(_chain(cands, max_n, collapse_tolerance), collapse_tolerance)
        cands = [c for c in cands if c.support >= support]
        cands.sort(key=lambda c: (-c.support, -len(c.tokens), -c.z))
        if top is not None:
            cands = cands[:top]
        for c in cands:
            share = c.support / n_edits
            text = detokenize(c.surface)
            present = _presence(streams, ids, c)
            rate = c.support / present if (kind == "deletion" and present) else math.nan
            position = _position(streams, c) if kind == "deletion" else ""
            rows.append(
                {
                    "kind": kind,
                    "pattern": text,
                    "n": len(c.tokens),
                    "edits": c.support,
                    "share": share,
                    "in_ai_output": present,
                    "rate_when_present": rate,
                    "log_odds": c.log_odds,
                    "z": c.z,
                    "examples": [streams.ids[i] for i in sorted(c.edit_set)[:examples]],
                    "recommendation": _recommend(kind, text, share, rate if kind == "deletion" else None, position),
                }
            )
    df = pd.DataFrame(rows, columns=list(PATTERN_COLUMNS))
    df.attrs["edits"] = n_edits
    return df
