"""Text measures shared by every stage: word tokens and the normalised edit distance.

The normalised edit distance is *the* measure of how much a person changed an AI output, used by the
analytics (how much users edit), datasets (edit-distance distributions) and evaluation (edit similarity
of a model's output to the human reference, the acceptance proxy). One definition, here:

    tokens(text)  = the regex ``\\w+|[^\\w\\s]`` over the text (words and single punctuation marks)
    distance(a,b) = Levenshtein distance over the two token sequences / max(len(a), len(b))
                    (0 when both are empty)

rapidfuzz's C++ Levenshtein works on any sequences of hashables, so token lists are compared directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz.distance import Levenshtein

__all__ = ["TOKEN_PATTERN", "edit_similarity", "normalized_edit_distance", "normalized_edit_distances", "word_tokens"]

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")


def word_tokens(text: str | None) -> list[str]:
    """Words and punctuation marks of ``text`` (empty for None)."""
    return TOKEN_PATTERN.findall(text) if text else []


def _distance(a: Sequence[str], b: Sequence[str]) -> float:
    longest = max(len(a), len(b))
    if longest == 0:
        return 0.0
    return Levenshtein.distance(a, b) / longest


def normalized_edit_distance(a: str | None, b: str | None) -> float:
    """Word-level Levenshtein distance of two texts divided by the longer token count, in [0, 1]."""
    return _distance(word_tokens(a), word_tokens(b))


def edit_similarity(a: str | None, b: str | None) -> float:
    """1 minus :func:`normalized_edit_distance`: 1 for identical texts, 0 for nothing in common."""
    return 1.0 - normalized_edit_distance(a, b)


def normalized_edit_distances(pairs: Iterable[tuple[str | None, str | None]]) -> list[float]:
    """:func:`normalized_edit_distance` over many pairs (tokens are hashed once per text)."""
    out = []
    for a, b in pairs:
        ta, tb = word_tokens(a), word_tokens(b)
        if ta == tb:
            out.append(0.0)
        else:
            out.append(_distance(ta, tb))
    return out
