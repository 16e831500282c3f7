"""Evaluation metrics on hand-computed cases."""

from __future__ import annotations

import pytest

from agenthone.evaluation import chrf, edit_similarity, exact_match, length_ratio, score, token_f1


def test_exact_match_ignores_only_whitespace() -> None:
    assert exact_match("The  cat\nsat ", "The cat sat") == 1.0
    assert exact_match("The cat sat.", "The cat sat") == 0.0
    assert exact_match("", "") == 1.0


def test_token_f1() -> None:
    # precision 3/3, recall 3/6 -> F1 = 2 * 1 * 0.5 / 1.5
    assert token_f1("the cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    assert token_f1("The CAT!", "the cat") == 1.0  # case and punctuation do not count
    assert token_f1("dog", "cat") == 0.0
    assert token_f1("", "cat") == 0.0
    assert token_f1("", "") == 1.0


def test_edit_similarity_is_the_project_measure() -> None:
    # 3 word insertions over 6 tokens
    assert edit_similarity("the cat sat", "the cat sat on the mat") == pytest.approx(0.5)
    assert edit_similarity("a b c", "a x c") == pytest.approx(2 / 3)


def test_length_ratio() -> None:
    assert length_ratio("a b", "a b c d") == 0.5
    assert length_ratio("a b c d", "a b") == 2.0
    assert length_ratio("", "a") == 0.0


def test_chrf() -> None:
    assert chrf("The cat sat on the mat.", "The cat sat on the mat.") == pytest.approx(1.0)
    assert chrf("xyz", "abc") == 0.0
    close, far = chrf("The cat sat on a mat.", "The cat sat on the mat."), chrf("A dog ran.", "The cat sat on the mat.")
    assert 0 < far < close < 1


def test_score_has_every_metric() -> None:
    assert set(score("a", "a")) == {"exact_match", "edit_similarity", "chrf", "token_f1", "length_ratio"}
