"""The project-wide normalised edit distance, checked against a plain dynamic-programming Levenshtein."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agenthone.text import edit_similarity, normalized_edit_distance, normalized_edit_distances, word_tokens


def reference_distance(a: str, b: str) -> float:
    ta, tb = re.findall(r"\w+|[^\w\s]", a), re.findall(r"\w+|[^\w\s]", b)
    if not ta and not tb:
        return 0.0
    prev = list(range(len(tb) + 1))
    for i, x in enumerate(ta, 1):
        cur = [i]
        for j, y in enumerate(tb, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1] / max(len(ta), len(tb))


def test_tokens_are_words_and_single_punctuation() -> None:
    assert word_tokens("Let me analyze this. It's fine!") == [
        "Let",
        "me",
        "analyze",
        "this",
        ".",
        "It",
        "'",
        "s",
        "fine",
        "!",
    ]
    assert word_tokens("") == [] and word_tokens(None) == []


def test_known_cases() -> None:
    assert normalized_edit_distance("", "") == 0.0
    assert normalized_edit_distance("a b c", "a b c") == 0.0
    assert normalized_edit_distance("a b c d", "a x c d") == 0.25
    assert normalized_edit_distance("hello", "") == 1.0
    assert normalized_edit_distance("Let me analyze this. The bag is red.", "The bag is red.") == 5 / 10
    assert edit_similarity("a b", "a b") == 1.0


words = st.lists(st.sampled_from(["the", "cat", "sat", ".", ",", "on", "mat", "!", "dog", "éclair"]), max_size=12)


@given(words, words)
def test_matches_dynamic_programming(a: list[str], b: list[str]) -> None:
    ta, tb = " ".join(a), " ".join(b)
    assert abs(normalized_edit_distance(ta, tb) - reference_distance(ta, tb)) < 1e-12
    assert normalized_edit_distances([(ta, tb)]) == [normalized_edit_distance(ta, tb)]
