"""Paired comparison: bootstrap CI of the mean difference and the sign test, on known differences."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from agenthone.errors import HoneError
from agenthone.evaluation import EvaluationResult, compare, compare_all, plot_comparison


def _result(model: str, scores: list[float], *, digest: str = "d1") -> EvaluationResult:
    frame = pd.DataFrame({"id": [f"ex-{i}" for i in range(len(scores))], "edit_similarity": scores, "chrf": scores})
    return EvaluationResult(model, "copy@v1", "test", frame, {}, 1.0, dataset_digest=digest)


def test_sign_test_and_interval() -> None:
    base = [0.5] * 10
    cand = [0.6] * 9 + [0.45]
    result = compare(_result("tuned", cand), _result("base", base))
    assert (result.wins, result.losses, result.ties) == (9, 1, 0)
    assert result.p_value == pytest.approx(2 * 11 / 1024)  # two-sided binomial, 1 loss in 10
    assert result.mean_difference == pytest.approx(0.085)
    assert -0.05 <= result.ci_low <= 0.085 <= result.ci_high <= 0.1
    assert result.significant and result.verdict == "candidate better"


def test_ties_and_no_difference() -> None:
    same = compare(_result("a", [0.3, 0.4, 0.5]), _result("b", [0.3, 0.4, 0.5]))
    assert (same.ties, same.p_value, same.ci_low, same.ci_high) == (3, 1.0, 0.0, 0.0)
    assert same.verdict == "no significant difference"


def test_pairs_only_shared_examples_and_refuses_other_data() -> None:
    a = _result("a", [1.0, 1.0, 0.0])
    b = _result("b", [0.0, 0.0])
    assert compare(a, b).n == 2
    with pytest.raises(HoneError, match="evaluated on different data"):
        compare(a, _result("c", [0.0, 0.0, 0.0], digest="d2"))
    with pytest.raises(HoneError, match="no 'judge_score' scores"):
        compare(a, b, metric="judge_score")


def test_compare_all_and_plot() -> None:
    a, b = _result("a", [0.9, 0.8, 0.7, 0.9]), _result("b", [0.1, 0.2, 0.3, 0.1])
    table = compare_all(a, b)
    assert list(table["metric"]) == ["edit_similarity", "chrf"]
    assert table["significant"].all()
    assert isinstance(plot_comparison(a, b), Figure)
