"""The statistics behind every rate, comparison and alert.

- Rates carry 95% Wilson score intervals (the interval of ``statsmodels`` ``proportion_confint(method="wilson")``,
  written out here with numpy so a summary does not pay statsmodels' import time): unlike the normal
  approximation it stays inside [0, 1] and behaves at 0 or 100% and for small counts.
- Two rates are compared with the pooled two-proportion z-test; the CI of their difference is Newcombe's
  hybrid score interval (built from the two Wilson intervals).
- Two samples of a continuous measure (edit distance, latency) are compared with the Mann-Whitney U test
  (no normality assumed) and a percentile bootstrap CI of the difference of means.
- Many tests at once (one per agent and metric) are corrected with Holm's step-down method, which controls
  the family-wise error rate: with 20 healthy agents and 2 metrics, the chance that any is flagged stays at
  alpha instead of ~1 - (1 - alpha)^40.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from agenthone.analytics._errors import AnalyticsError

__all__ = [
    "bootstrap_mean_diff_ci",
    "holm",
    "mann_whitney",
    "mean_ci",
    "newcombe_diff_ci",
    "normal_cdf",
    "two_proportion_p_values",
    "two_proportion_test",
    "wilson_interval",
]

Z95 = 1.959963984540054

FloatArray = npt.NDArray[np.float64]


def wilson_interval(successes: Any, n: Any, *, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of ``successes / n`` (elementwise; NaN where n is 0)."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        z2 = z * z
        denom = 1.0 + z2 / m
        centre = (p + z2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z2 / (4 * m * m)) / denom
    low = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def normal_cdf(z: Any) -> Any:
    """The standard normal CDF, elementwise (``scipy.stats.norm.cdf`` without importing scipy.stats: ~1 s).

    ``Phi(z) = erfc(-z / sqrt(2)) / 2``, with the C library's ``erfc``: accurate to a few ulps in both tails.
    """
    values = np.asarray(z, dtype=float)
    out = _erfc(-values / math.sqrt(2)) / 2
    return float(out) if np.ndim(z) == 0 else out.astype(float)


_erfc = np.vectorize(math.erfc, otypes=[float])


def two_proportion_test(
    k1: float, n1: float, k2: float, n2: float, *, alternative: str = "two-sided"
) -> tuple[float, float]:
    """Pooled two-proportion z-test of p1 vs p2: ``(z, p_value)``.

    ``alternative`` is "two-sided", "smaller" (p1 < p2) or "larger" (p1 > p2). NaN when a side is empty or
    both rates are 0 or 1 (nothing to test).
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (p1 - p2) / se
    if alternative == "two-sided":
        p = 2 * normal_cdf(-abs(z))
    elif alternative == "smaller":
        p = normal_cdf(z)
    elif alternative == "larger":
        p = normal_cdf(-z)
    else:
        raise AnalyticsError(f"alternative must be two-sided, smaller or larger, not {alternative!r}")
    return float(z), float(p)


def two_proportion_p_values(k1: Any, n1: Any, k2: Any, n2: Any, *, alternative: str = "two-sided") -> FloatArray:
    """:func:`two_proportion_test` p-values, elementwise over arrays (one call for every agent and metric)."""
    a, m, b, n = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (a + b) / (m + n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / n))
        z = (a / m - b / n) / se
    if alternative == "two-sided":
        p = 2 * normal_cdf(-np.abs(z))
    elif alternative == "smaller":
        p = normal_cdf(z)
    elif alternative == "larger":
        p = normal_cdf(-z)
    else:
        raise AnalyticsError(f"alternative must be two-sided, smaller or larger, not {alternative!r}")
    p = np.where(se == 0, 1.0, p)
    return np.where((m > 0) & (n > 0), p, np.nan).astype(float)


def newcombe_diff_ci(k1: float, n1: float, k2: float, n2: float, *, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``p2 - p1`` (method 10 of Newcombe 1998)."""
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    (l1,), (u1,) = wilson_interval([k1], [n1], z=z)
    (l2,), (u2,) = wilson_interval([k2], [n2], z=z)
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return float(low), float(high)


def mann_whitney(a: Sequence[float] | FloatArray, b: Sequence[float] | FloatArray) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test: ``(U of a, p_value)``; NaN when a side is empty."""
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) == 0 or len(y) == 0:
        return math.nan, math.nan
    if np.all(x == x[0]) and np.all(y == x[0]):
        return float(len(x) * len(y) / 2), 1.0
    res = mannwhitneyu(x, y, alternative="two-sided", method="asymptotic" if len(x) + len(y) > 60 else "auto")
    return float(res.statistic), float(res.pvalue)


def bootstrap_mean_diff_ci(
    a: Sequence[float] | FloatArray,
    b: Sequence[float] | FloatArray,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    max_sample: int = 20_000,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``mean(b) - mean(a)``.

    Samples larger than ``max_sample`` are first subsampled (seeded) to bound the cost; with that many
    values the interval's width is governed by the subsample size, which is documented here rather than
    hidden: widen ``max_sample`` for tighter intervals on huge groups.
    """
    rng = np.random.default_rng(seed)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) == 0 or len(y) == 0:
        return math.nan, math.nan
    if len(x) > max_sample:
        x = rng.choice(x, max_sample, replace=False)
    if len(y) > max_sample:
        y = rng.choice(y, max_sample, replace=False)
    diffs = np.empty(n_boot)
    chunk = max(1, 4_000_000 // max(len(x), len(y)))
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        mx = x[rng.integers(0, len(x), size=(stop - start, len(x)))].mean(axis=1)
        my = y[rng.integers(0, len(y), size=(stop - start, len(y)))].mean(axis=1)
        diffs[start:stop] = my - mx
    tail = (1 - confidence) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    return float(low), float(high)


def mean_ci(values: Sequence[float] | FloatArray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student-t confidence interval: ``(mean, low, high)`` (NaN bounds below two values)."""
    from scipy.stats import t

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    se = float(x.std(ddof=1)) / math.sqrt(len(x))
    half = float(t.ppf(0.5 + confidence / 2, len(x) - 1)) * se
    return mean, mean - half, mean + half


def holm(p_values: Sequence[float] | FloatArray) -> FloatArray:
    """Holm step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out
