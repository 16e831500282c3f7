"""The statistics behind rates, comparisons and alerts, against statsmodels and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agenthone.analytics._stats import (
    bootstrap_mean_diff_ci,
    holm,
    mann_whitney,
    mean_ci,
    newcombe_diff_ci,
    two_proportion_p_values,
    two_proportion_test,
    wilson_interval,
)


def test_wilson_matches_statsmodels_and_the_textbook_case() -> None:
    from statsmodels.stats.proportion import proportion_confint

    k = np.array([0, 1, 5, 50, 99, 100, 7])
    n = np.array([10, 10, 10, 100, 100, 100, 0])
    low, high = wilson_interval(k, n)
    ok = n > 0
    ref_low, ref_high = proportion_confint(k[ok], n[ok], method="wilson")
    np.testing.assert_allclose(low[ok], ref_low, atol=1e-12)
    np.testing.assert_allclose(high[ok], ref_high, atol=1e-12)
    assert math.isnan(low[-1]) and math.isnan(high[-1])
    # 0 of 10: the interval starts at 0 and its upper end is z^2 / (n + z^2)
    z2 = 1.959963984540054**2
    assert low[0] == 0.0 and high[0] == pytest.approx(z2 / (10 + z2))


def test_two_proportion_test_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    for alternative, sm_alt in (("two-sided", "two-sided"), ("smaller", "smaller"), ("larger", "larger")):
        z, p = two_proportion_test(30, 100, 45, 100, alternative=alternative)
        ref_z, ref_p = proportions_ztest([30, 45], [100, 100], alternative=sm_alt)
        assert z == pytest.approx(ref_z) and p == pytest.approx(ref_p)
    assert two_proportion_test(1, 0, 1, 1) == (
        pytest.approx(math.nan, nan_ok=True),
        pytest.approx(math.nan, nan_ok=True),
    )


def test_vectorised_p_values_are_the_scalar_test_elementwise() -> None:
    """The alerts test every agent at once; each p-value must be exactly the scalar test's, edge cases included."""
    k1 = np.array([30, 0, 10, 5, 3, 100])
    n1 = np.array([100, 50, 10, 0, 40, 100])
    k2 = np.array([45, 0, 10, 5, 30, 90])
    n2 = np.array([100, 50, 10, 9, 40, 100])  # both rates 0, both 1 (se = 0), an empty side
    for alternative in ("two-sided", "smaller", "larger"):
        got = two_proportion_p_values(k1, n1, k2, n2, alternative=alternative)
        want = [two_proportion_test(*args, alternative=alternative)[1] for args in zip(k1, n1, k2, n2, strict=True)]
        np.testing.assert_array_equal(got, want)
    assert list(two_proportion_p_values(k1, n1, k2, n2)[1:4]) == pytest.approx([1.0, 1.0, math.nan], nan_ok=True)
    with pytest.raises(ValueError, match="alternative"):
        two_proportion_p_values(k1, n1, k2, n2, alternative="less")


def test_newcombe_interval_of_the_difference() -> None:
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80 -> difference 0.2, CI 0.0524 to 0.3339
    low, high = newcombe_diff_ci(48, 80, 56, 70)
    assert low == pytest.approx(0.0524, abs=5e-4) and high == pytest.approx(0.3339, abs=5e-4)


def test_holm_matches_statsmodels_and_skips_nan() -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    ref = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), ref)
    with_nan = holm(np.array([0.01, np.nan, 0.04]))
    assert math.isnan(with_nan[1])
    np.testing.assert_allclose(with_nan[[0, 2]], multipletests([0.01, 0.04], method="holm")[1])


def test_mean_ci_by_hand() -> None:
    mean, low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
    # mean 2.5, sd 1.2910, se 0.6455, t(0.975, 3) = 3.1824
    assert mean == 2.5
    assert low == pytest.approx(2.5 - 3.182446 * 0.645497, abs=1e-4)
    assert high == pytest.approx(2.5 + 3.182446 * 0.645497, abs=1e-4)


def test_bootstrap_ci_covers_the_true_difference_and_mann_whitney_sees_it() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 400)
    b = rng.normal(11, 2, 400)
    low, high = bootstrap_mean_diff_ci(a, b, n_boot=1000, seed=1)
    assert low < 1.0 < high
    assert low > 0.4  # a real difference of 1 with n = 400 is clearly away from 0
    _, p = mann_whitney(a, b)
    _, p_same = mann_whitney(a, a.copy())
    assert p < 1e-6 and p_same > 0.5
