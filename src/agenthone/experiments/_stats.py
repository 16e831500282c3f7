"""The statistics of an online experiment: tests, power, peeking-safe monitoring, SRM, CUPED, decisions.

- Fixed-horizon tests (valid once, at the planned sample size): the pooled two-proportion z-test and Welch's
  t-test, each with the interval of the absolute difference and a delta-method interval of the relative lift.
- Sequential test (valid at every look, however often): the mixture sequential probability ratio test (mSPRT)
  with a normal mixing distribution, giving an always-valid p-value and a confidence sequence. Neither scipy
  nor statsmodels has one, so it is written here (Johari, Koomen, Pekelis & Walsh, "Always valid inference",
  2017/2022; Robbins 1970).
- Power and sample size in the normal approximation, as statsmodels' ``NormalIndPower`` computes them.
- Sample-ratio mismatch (chi-square goodness of fit), CUPED, Holm and Benjamini-Hochberg adjustments.

Everything is numpy/scipy: statsmodels is only the reference the tests compare against, kept out of the
runtime (its import alone costs more than an analysis).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from agenthone.analytics._stats import holm

__all__ = [
    "HIGHER_IS_BETTER",
    "Decision",
    "SRMResult",
    "TestResult",
    "achieved_power",
    "adjust_pvalues",
    "confidence_sequence_halfwidth",
    "cuped",
    "decide",
    "default_tau",
    "msprt_p_value",
    "proportion_test",
    "required_sample_size",
    "sequential_test",
    "srm_check",
    "welch_test",
]

FloatArray = npt.NDArray[np.float64]

HIGHER_IS_BETTER: dict[str, bool] = {
    "acceptance": True,
    "success": True,
    "score": True,
    "edit_distance": False,
    "latency_ms": False,
    "cost_usd": False,
}
"""Direction of the per-unit metrics; a metric not listed counts as higher-is-better."""

TAU_FALLBACK_SD = 0.1
"""Default tau, in standard deviations of the data, when neither tau nor the planned MDE is given."""


@dataclass(frozen=True)
class TestResult:
    """One metric, one treatment against the control; differences are treatment - control."""

    __test__ = False  # not a pytest test class, whatever its name

    metric: str
    kind: str
    control: str
    treatment: str
    n_control: int
    n_treatment: int
    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    relative_lift: float
    lift_ci_low: float
    lift_ci_high: float
    p_value: float
    method: str

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (NaN stays NaN: callers that need strict JSON map it to null)."""
        return asdict(self)


def _norm_ppf(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def _lift(mean_c: ArrayLike, var_mean_c: ArrayLike, mean_t: ArrayLike, var_mean_t: ArrayLike) -> tuple[Any, Any]:
    """Relative lift ``t/c - 1`` and its delta-method variance.

    ``Var(t/c) ~ Var(t)/c^2 + t^2 Var(c)/c^4`` for independent arms (``Var`` of the arm means). NaN when the
    control mean is 0.
    """
    c, t = np.asarray(mean_c, dtype=float), np.asarray(mean_t, dtype=float)
    vc, vt = np.asarray(var_mean_c, dtype=float), np.asarray(var_mean_t, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(c != 0, t / c - 1.0, np.nan)
        var = np.where(c != 0, vt / c**2 + t**2 * vc / c**4, np.nan)
    return lift, var


def _result(
    *,
    metric: str,
    kind: str,
    names: tuple[str, str],
    ns: tuple[int, int],
    means: tuple[float, float],
    interval: tuple[float, float],
    lift: tuple[float, float, float],
    p_value: float,
    method: str,
) -> TestResult:
    return TestResult(
        metric=metric,
        kind=kind,
        control=names[0],
        treatment=names[1],
        n_control=int(ns[0]),
        n_treatment=int(ns[1]),
        control_mean=float(means[0]),
        treatment_mean=float(means[1]),
        difference=float(means[1] - means[0]),
        ci_low=float(interval[0]),
        ci_high=float(interval[1]),
        relative_lift=float(lift[0]),
        lift_ci_low=float(lift[1]),
        lift_ci_high=float(lift[2]),
        p_value=float(p_value),
        method=method,
    )


# -- fixed horizon --------------------------------------------------------------------------------------


def proportion_p_values(k_c: ArrayLike, n_c: ArrayLike, k_t: ArrayLike, n_t: ArrayLike) -> FloatArray:
    """Two-sided pooled two-proportion z-test p-values, elementwise (for simulations of many experiments).

    ``z = (p_t - p_c) / sqrt(p (1 - p) (1/n_c + 1/n_t))`` with the pooled rate ``p = (k_c + k_t)/(n_c + n_t)``;
    1 where both rates are 0 or both 1, NaN where an arm is empty.
    """
    from scipy.stats import norm

    a, m, b, n = (np.asarray(x, dtype=float) for x in (k_c, n_c, k_t, n_t))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (a + b) / (m + n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m + 1 / n))
        p = 2 * norm.sf(np.abs((b / n - a / m) / se))
    p = np.where(se == 0, 1.0, p)
    return np.asarray(np.where((m > 0) & (n > 0), p, np.nan), dtype=float)


def proportion_test(
    successes_c: int,
    n_c: int,
    successes_t: int,
    n_t: int,
    *,
    alpha: float = 0.05,
    metric: str = "",
    control: str = "control",
    treatment: str = "treatment",
) -> TestResult:
    """Two-proportion z-test (fixed horizon): is the treatment's rate different from the control's?

    The p-value uses the pooled standard error (the null says both rates are equal; statsmodels'
    ``proportions_ztest``); the interval of ``p_t - p_c`` the unpooled one, ``sqrt(p_c q_c/n_c + p_t q_t/n_t)``,
    and ``z_{1-alpha/2}``. The lift ``p_t/p_c - 1`` has the delta-method interval (see :func:`_lift`).
    Valid when looked at once, at the planned size: see :func:`sequential_test` for monitoring.
    """
    if not (0 <= successes_c <= n_c and 0 <= successes_t <= n_t):
        raise ValueError("successes must lie between 0 and the number of units")
    names, ns = (control, treatment), (n_c, n_t)
    if n_c == 0 or n_t == 0:
        nan = math.nan
        return _result(
            metric=metric, kind="proportion", names=names, ns=ns, means=(nan, nan), interval=(nan, nan),
            lift=(nan, nan, nan), p_value=nan, method="two-proportion z",
        )  # fmt: skip
    pc, pt = successes_c / n_c, successes_t / n_t
    z = _norm_ppf(1 - alpha / 2)
    vc, vt = pc * (1 - pc) / n_c, pt * (1 - pt) / n_t
    half = z * math.sqrt(vc + vt)
    lift, lift_var = _lift(pc, vc, pt, vt)
    lift_half = z * np.sqrt(lift_var)
    p = float(proportion_p_values(successes_c, n_c, successes_t, n_t))
    return _result(
        metric=metric, kind="proportion", names=names, ns=ns, means=(pc, pt),
        interval=(pt - pc - half, pt - pc + half), lift=(lift, lift - lift_half, lift + lift_half),
        p_value=p, method="two-proportion z",
    )  # fmt: skip


def welch_stats(
    *, mean_c: ArrayLike, var_c: ArrayLike, n_c: ArrayLike, mean_t: ArrayLike, var_t: ArrayLike, n_t: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Welch's test from summary statistics, elementwise: ``(difference, standard error, df)``.

    ``se = sqrt(s_c^2/n_c + s_t^2/n_t)`` (sample variances, ddof 1) and the Welch-Satterthwaite degrees of
    freedom ``se^4 / ((s_c^2/n_c)^2/(n_c-1) + (s_t^2/n_t)^2/(n_t-1))``.
    """
    mc, vc, nc, mt, vt, nt = (np.asarray(x, dtype=float) for x in (mean_c, var_c, n_c, mean_t, var_t, n_t))
    a, b = vc / nc, vt / nt
    se = np.sqrt(a + b)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (a + b) ** 2 / (a**2 / (nc - 1) + b**2 / (nt - 1))
    return mt - mc, se, df


def _t_p_value(diff: FloatArray, se: FloatArray, df: FloatArray) -> FloatArray:
    from scipy.stats import t

    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * t.sf(np.abs(diff / se), df)
    return np.asarray(np.where(se == 0, np.where(diff == 0, 1.0, 0.0), p), dtype=float)


def welch_test(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    metric: str = "",
    control_name: str = "control",
    treatment_name: str = "treatment",
) -> TestResult:
    """Welch's unequal-variance t-test on per-unit values (fixed horizon).

    ``t = (mean_t - mean_c) / se`` against Student's t with Welch-Satterthwaite df (:func:`welch_stats`); the
    interval of the difference is ``diff +- t_{1-alpha/2, df} se`` (statsmodels' ``ttest_ind(usevar="unequal")``
    and ``tconfint_diff``), the lift's the delta-method one with ``z_{1-alpha/2}``. NaN values are dropped;
    fewer than 2 units in an arm gives NaN statistics.
    """
    from scipy.stats import t as student

    c, t = _values(control), _values(treatment)
    names, ns = (control_name, treatment_name), (len(c), len(t))
    if len(c) < 2 or len(t) < 2:
        mc = float(c.mean()) if len(c) else math.nan
        mt = float(t.mean()) if len(t) else math.nan
        nan = math.nan
        return _result(
            metric=metric, kind="mean", names=names, ns=ns, means=(mc, mt), interval=(nan, nan),
            lift=(nan, nan, nan), p_value=nan, method="welch",
        )  # fmt: skip
    mc, mt, vc, vt = float(c.mean()), float(t.mean()), float(c.var(ddof=1)), float(t.var(ddof=1))
    diff, se, df = welch_stats(mean_c=mc, var_c=vc, n_c=len(c), mean_t=mt, var_t=vt, n_t=len(t))
    p = float(_t_p_value(diff, se, df))
    half = float(student.ppf(1 - alpha / 2, df)) * float(se) if se > 0 else 0.0
    lift, lift_var = _lift(mc, vc / len(c), mt, vt / len(t))
    lift_half = _norm_ppf(1 - alpha / 2) * np.sqrt(lift_var)
    return _result(
        metric=metric, kind="mean", names=names, ns=ns, means=(mc, mt),
        interval=(float(diff) - half, float(diff) + half), lift=(lift, lift - lift_half, lift + lift_half),
        p_value=p, method="welch",
    )  # fmt: skip


def _values(x: ArrayLike) -> FloatArray:
    a: FloatArray = np.asarray(x, dtype=float).ravel()
    return a[~np.isnan(a)]


# -- sequential (always valid) ----------------------------------------------------------------------------


def msprt_p_value(difference: ArrayLike, variance: ArrayLike, tau: ArrayLike) -> FloatArray:
    """Always-valid p-value of the normal-mixture SPRT, elementwise: ``min(1, 1/Lambda)``.

    With ``d`` the estimated difference, ``V`` its variance and a ``N(0, tau^2)`` mixture over the true
    difference under the alternative, the mixture likelihood ratio against "no difference" is

        Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 d^2 / (2 V (V + tau^2))).

    Under the null ``1/Lambda`` is a nonnegative martingale, so by Ville's inequality
    ``P(Lambda_n >= 1/alpha for some n) <= alpha``: rejecting at the first look where ``p <= alpha`` keeps
    the error at alpha however many looks are taken. (The running minimum over looks is the always-valid
    p-value of the whole history.) 1 where ``V`` is 0 and ``d`` is 0, 0 where ``V`` is 0 and ``d`` is not.
    """
    d, v, t2 = np.asarray(difference, dtype=float), np.asarray(variance, dtype=float), np.square(tau, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        log_lr = 0.5 * np.log(v / (v + t2)) + t2 * d**2 / (2 * v * (v + t2))
        p = np.minimum(1.0, np.exp(-log_lr))
    p = np.where(v > 0, p, np.where(d == 0, 1.0, 0.0))
    return np.asarray(p, dtype=float)


def confidence_sequence_halfwidth(variance: ArrayLike, tau: ArrayLike, alpha: float) -> FloatArray:
    """Half-width of the mSPRT confidence sequence, elementwise: the differences ``delta`` not rejected.

    Inverting :func:`msprt_p_value` at ``d - delta``:

        |d - delta| < sqrt(V (V + tau^2) / tau^2 * (2 log(1/alpha) + log((V + tau^2) / V))).

    It covers the true difference at every sample size at once with probability >= 1 - alpha, so it may be
    plotted day after day (its running intersection is valid too).
    """
    v, t2 = np.asarray(variance, dtype=float), np.square(tau, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + np.log((v + t2) / v)))
    return np.asarray(np.where(v > 0, width, 0.0), dtype=float)


def default_tau(*, baseline: float, mde: float, relative: bool = True) -> float:
    """The mSPRT mixing scale for a planned minimum detectable effect: tau = the MDE as an absolute difference.

    Why: the boundary ``|d|/sqrt(V) > c(tau^2/V)`` is lowest (about 3.03 for alpha = 0.05) when
    ``tau^2 / V ~ 8``, and at the fixed-horizon size for the MDE (80% power, alpha 0.05)
    ``V = (mde / 2.80)^2``, so ``tau = mde`` gives ``tau^2/V ~ 7.8``: the test is sharpest exactly where the
    experiment was planned to decide, and still valid (only less sharp) anywhere else.
    """
    return abs(baseline * mde) if relative else abs(mde)


def sequential_test(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    tau: float | None = None,
    kind: str = "mean",
    metric: str = "",
    control_name: str = "control",
    treatment_name: str = "treatment",
    mde: float | None = None,
) -> TestResult:
    """Peeking-safe test of per-unit values: mSPRT always-valid p-value and confidence sequence.

    ``d = mean_t - mean_c``, ``V = s_c^2/n_c + s_t^2/n_t`` (``p(1-p)/n`` per arm for ``kind="proportion"``,
    whose arrays are 0/1); p-value from :func:`msprt_p_value`, ``ci_low``/``ci_high`` the confidence sequence
    at the current size (:func:`confidence_sequence_halfwidth`). The lift's interval applies the same
    boundary to the delta-method variance with ``tau / |mean_c|`` (approximate, like the delta method).

    ``tau``: the standard deviation of the effects the test expects (the mixing distribution); fixed before
    the experiment starts. Default: ``mde`` (the planned minimum detectable effect as an absolute difference,
    see :func:`default_tau`); without either, ``0.1`` standard deviation of the pooled data (a small effect
    in Cohen's terms). A tau far from the real effect costs sample size, never validity.
    """
    if kind not in ("mean", "proportion"):
        raise ValueError(f"kind must be 'mean' or 'proportion', not {kind!r}")
    c, t = _values(control), _values(treatment)
    names, ns = (control_name, treatment_name), (len(c), len(t))
    ddof = 0 if kind == "proportion" else 1
    if len(c) <= ddof or len(t) <= ddof:
        mc = float(c.mean()) if len(c) else math.nan
        mt = float(t.mean()) if len(t) else math.nan
        nan = math.nan
        return _result(
            metric=metric, kind=kind, names=names, ns=ns, means=(mc, mt), interval=(nan, nan),
            lift=(nan, nan, nan), p_value=nan, method="msprt",
        )  # fmt: skip
    mc, mt = float(c.mean()), float(t.mean())
    vc, vt = float(c.var(ddof=ddof)) / len(c), float(t.var(ddof=ddof)) / len(t)
    if tau is None and mde is not None:
        tau = abs(mde)
    if tau is None:
        # all values equal gives 0, and then V is 0 too: the p-value is 0 or 1 whatever tau is
        tau = TAU_FALLBACK_SD * float(np.concatenate([c, t]).std()) or 1.0
    if not tau > 0:
        raise ValueError(f"tau must be a positive number, not {tau}")
    diff, v = mt - mc, vc + vt
    p = float(msprt_p_value(diff, v, tau))
    half = float(confidence_sequence_halfwidth(v, tau, alpha))
    lift, lift_var = _lift(mc, vc, mt, vt)
    lift_half = float(confidence_sequence_halfwidth(lift_var, tau / abs(mc), alpha)) if mc != 0 else math.nan
    return _result(
        metric=metric, kind=kind, names=names, ns=ns, means=(mc, mt), interval=(diff - half, diff + half),
        lift=(lift, lift - lift_half, lift + lift_half), p_value=p, method="msprt",
    )  # fmt: skip


# -- power -------------------------------------------------------------------------------------------------


def _effect_size(baseline: float, mde: float, kind: str, sd: float | None, relative: bool) -> float:
    """Standardised effect: Cohen's h for proportions, ``mde / sd`` for means."""
    delta = baseline * mde if relative else mde
    if kind == "proportion":
        p1, p2 = baseline, baseline + delta
        if not (0 < p1 < 1 and 0 < p2 < 1):
            raise ValueError(f"rates must lie in (0, 1): baseline {p1}, with the effect {p2}")
        return abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
    if kind == "mean":
        if sd is None or not sd > 0:
            raise ValueError("a mean metric needs its standard deviation (sd > 0)")
        return abs(delta) / sd
    raise ValueError(f"kind must be 'proportion' or 'mean', not {kind!r}")


def required_sample_size(
    *,
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    kind: str = "proportion",
    sd: float | None = None,
    relative: bool = True,
) -> int:
    """Units per arm for a two-sided fixed-horizon test to detect ``mde`` with ``power``.

    ``n = 2 ((z_{1-alpha/2} + z_{power}) / e)^2`` rounded up, with the standardised effect ``e`` Cohen's
    ``h = |2 asin sqrt(p2) - 2 asin sqrt(p1)|`` for proportions (the arcsine stabilises the variance) or
    ``mde / sd`` for means: statsmodels' ``NormalIndPower`` with equal arms. ``mde`` is relative to
    ``baseline`` (``0.05`` = +5%) unless ``relative=False``.
    """
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must lie in (0, 1)")
    e = _effect_size(baseline, mde, kind, sd, relative)
    if e == 0:
        raise ValueError("the minimum detectable effect must not be 0")
    return math.ceil(2 * ((_norm_ppf(1 - alpha / 2) + _norm_ppf(power)) / e) ** 2)


def achieved_power(
    *,
    baseline: float,
    mde: float,
    n_per_arm: int,
    alpha: float = 0.05,
    kind: str = "proportion",
    sd: float | None = None,
    relative: bool = True,
) -> float:
    """Power of the two-sided fixed-horizon test with ``n_per_arm`` units per arm against ``mde``.

    ``Phi(e sqrt(n/2) - z_{1-alpha/2}) + Phi(-e sqrt(n/2) - z_{1-alpha/2})`` (both tails, as statsmodels).
    """
    from scipy.stats import norm

    e = _effect_size(baseline, mde, kind, sd, relative)
    z = _norm_ppf(1 - alpha / 2)
    shift = e * math.sqrt(n_per_arm / 2)
    return float(norm.cdf(shift - z) + norm.cdf(-shift - z))


# -- sample ratio mismatch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SRMResult:
    """Observed against expected units per variant; ``flagged`` means the split is broken."""

    observed: dict[str, int]
    expected: dict[str, float]
    chi2: float
    p_value: float
    flagged: bool


def srm_check(counts: Mapping[str, int], weights: Mapping[str, float], *, threshold: float = 0.001) -> SRMResult:
    """Sample-ratio mismatch: chi-square goodness of fit of the units per variant to the planned weights.

    ``chi2 = sum (O - E)^2 / E`` with ``E = N w / sum(w)``, ``k - 1`` degrees of freedom. Flagged at
    ``p < threshold`` (0.001: a real assignment bug gives p far below it, while a test run daily for months
    rarely trips it by chance). A flagged experiment's effects cannot be trusted (the arms differ by more
    than the treatment), so :func:`decide` blocks it. A variant with units but weight 0 is flagged outright.
    """
    from scipy.stats import chi2 as chi2_dist

    names = list(dict.fromkeys([*weights, *counts]))
    observed = {v: int(counts.get(v, 0)) for v in names}
    w = np.array([float(weights.get(v, 0.0)) for v in names])
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all 0")
    o = np.array([observed[v] for v in names], dtype=float)
    e = o.sum() * w / w.sum()
    expected = {v: float(x) for v, x in zip(names, e, strict=True)}
    if o.sum() == 0:
        return SRMResult(observed, expected, 0.0, 1.0, False)
    if ((e == 0) & (o > 0)).any():
        return SRMResult(observed, expected, math.inf, 0.0, True)
    live = e > 0
    stat = float((((o - e) ** 2)[live] / e[live]).sum())
    dof = int(live.sum()) - 1
    p = float(chi2_dist.sf(stat, dof)) if dof > 0 else 1.0
    return SRMResult(observed, expected, stat, p, p < threshold)


# -- variance reduction, multiplicity ----------------------------------------------------------------


def cuped(y: ArrayLike, x: ArrayLike) -> tuple[FloatArray, float]:
    """CUPED: ``y - theta (x - mean(x))`` with ``theta = cov(y, x) / var(x)``, pooled over both arms.

    ``x`` is a pre-experiment covariate (the unit's metric before its first exposure), so it cannot depend
    on the arm: ``E[x]`` is the same in both, the adjusted difference of means is still unbiased, and its
    variance shrinks by ``1 - corr(y, x)^2``. Pass ``y`` and ``x`` of both arms together, then split. Units
    without a covariate (NaN ``x``) are left unadjusted and do not enter ``theta``; NaN ``y`` stays NaN.
    """
    ya, xa = np.asarray(y, dtype=float).ravel(), np.asarray(x, dtype=float).ravel()
    if ya.shape != xa.shape:
        raise ValueError(f"y and x differ in length ({len(ya)} vs {len(xa)})")
    both = ~(np.isnan(ya) | np.isnan(xa))
    if both.sum() < 2:
        return ya.copy(), 0.0
    yb, xb = ya[both], xa[both]
    xc = xb - xb.mean()
    var_x = float(xc @ xc)
    theta = float((yb - yb.mean()) @ xc / var_x) if var_x > 0 else 0.0
    x_mean = float(xb.mean())
    adjusted = ya - theta * np.where(np.isnan(xa), 0.0, xa - x_mean)
    return adjusted, theta


def adjust_pvalues(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Multiplicity-adjusted p-values across metrics and variants; NaN stays NaN and is not counted.

    ``"holm"``: Holm's step-down, ``max_{j<=i} min(1, (m - j + 1) p_(j))``, controls the family-wise error
    (the chance of any false alarm). ``"bh"``: Benjamini-Hochberg, ``min_{j>=i} min(1, m p_(j) / j)``,
    controls the false discovery rate (the share of false alarms among the alarms). Written with numpy to
    keep statsmodels out of the runtime; the tests compare with its ``multipletests``.
    """
    p = np.asarray(p_values, dtype=float)
    if method == "holm":
        return [float(x) for x in holm(p)]
    if method != "bh":
        raise ValueError(f"method must be 'holm' or 'bh', not {method!r}")
    out = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m:
        order = valid[np.argsort(p[valid], kind="stable")]
        scaled = p[order] * m / np.arange(1, m + 1)
        out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return [float(x) for x in out]


# -- decision ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What to do with the experiment now, why, and each guardrail's state ("ok", "better" or "worse")."""

    action: str
    reason: str
    guardrails: dict[str, str] = field(default_factory=dict)


def _direction(result: TestResult, alpha: float, higher: Mapping[str, bool]) -> str:
    """ "better", "worse" or "ok" (no significant difference) for the treatment on this metric."""
    if not result.p_value < alpha:  # NaN is not significant
        return "ok"
    up = result.difference > 0
    return "better" if up == higher.get(result.metric, True) else "worse"


def decide(
    primary: TestResult,
    guardrails: Sequence[TestResult],
    *,
    srm: SRMResult,
    alpha: float = 0.05,
    planned_n: int | None = None,
    higher_is_better: Mapping[str, bool] | None = None,
    sequential: bool = True,
) -> Decision:
    """Ship, keep, wait or give up, in this order of precedence.

    - ``blocked``: the SRM check failed: the arms are not comparable, nothing else is read.
    - fixed horizon (``sequential=False``) before ``planned_n`` units per arm: ``not_yet`` whatever the
      p-values, since reading a fixed-horizon test early inflates its false positives.
    - ``keep`` (the control): the primary metric or any guardrail significantly worse.
    - ``ship``: the primary significantly better and no guardrail significantly worse.
    - ``not_yet``: nothing significant and fewer than ``planned_n`` units in the smaller arm (or no plan,
      sequential); ``inconclusive``: nothing significant at or past ``planned_n``.

    Significance is ``p < alpha`` on the p-values as given: adjust them first (:func:`adjust_pvalues`) when
    several variants or primaries are read at once. Guardrails are read unadjusted, on purpose: a missed
    harm costs more than a second look. Directions come from ``higher_is_better`` over
    :data:`HIGHER_IS_BETTER`.
    """
    higher = {**HIGHER_IS_BETTER, **(higher_is_better or {})}
    states = {g.metric or f"guardrail {i}": _direction(g, alpha, higher) for i, g in enumerate(guardrails)}
    if srm.flagged:
        observed = ", ".join(f"{k} {v}" for k, v in srm.observed.items())
        return Decision("blocked", f"sample ratio mismatch (p = {srm.p_value:.2g}; units: {observed})", states)
    n = min(primary.n_control, primary.n_treatment)
    if not sequential and planned_n is not None and n < planned_n:
        return Decision(
            "not_yet", f"fixed-horizon test: {n} of {planned_n} units per arm; reading it early inflates errors", states
        )
    worse = [m for m, s in states.items() if s == "worse"]
    name = primary.metric or "primary metric"
    effect = f"{name} {primary.difference:+.4g} ({primary.relative_lift:+.1%}, p = {primary.p_value:.2g})"
    main = _direction(primary, alpha, higher)
    if main == "worse":
        return Decision("keep", f"{effect}: significantly worse", states)
    if worse:
        return Decision("keep", f"guardrail significantly worse: {', '.join(worse)}", states)
    if main == "better":
        return Decision("ship", f"{effect}: significantly better, no guardrail worse", states)
    if planned_n is None or n < planned_n:
        planned = f" of {planned_n}" if planned_n is not None else ""
        return Decision("not_yet", f"{effect}: not significant yet at {n}{planned} units per arm", states)
    return Decision("inconclusive", f"{effect}: not significant at {n} units per arm (planned {planned_n})", states)
