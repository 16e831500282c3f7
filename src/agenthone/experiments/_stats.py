"""Statistics of online experiments: fixed-horizon and sequential tests, power, SRM, CUPED, corrections, decisions.

Pure numpy/scipy. Conventions: ``difference = treatment - control``; ``relative_lift = t / c - 1`` with a
delta-method interval, ``Var(t/c) ~= var_t / c^2 + t^2 var_c / c^4``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "Decision",
    "SRMResult",
    "TestResult",
    "achieved_power",
    "adjust_pvalues",
    "cuped",
    "decide",
    "proportion_test",
    "required_sample_size",
    "sequential_test",
    "srm_check",
    "welch_test",
]

HIGHER_IS_BETTER: dict[str, bool] = {
    "acceptance": True,
    "success": True,
    "score": True,
    "edit_distance": False,
    "latency_ms": False,
    "cost_usd": False,
}


@dataclass(frozen=True)
class TestResult:
    """One metric, one treatment against the control."""

    __test__ = False  # not a pytest class

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
        return asdict(self)


def _lift(c: float, t: float, var_c: float, var_t: float, z: float) -> tuple[float, float, float]:
    if c == 0:
        return math.nan, math.nan, math.nan
    lift = t / c - 1
    se = math.sqrt(max(var_t / c**2 + t**2 * var_c / c**4, 0.0))
    return lift, lift - z * se, lift + z * se


def _result(  # noqa: PLR0917 - one row of fields
    metric: str, kind: str, control: str, treatment: str, n_c: int, n_t: int, c: float, t: float,
    var_c: float, var_t: float, half: float, p: float, method: str, z: float,
) -> TestResult:  # fmt: skip
    lift, lo, hi = _lift(c, t, var_c, var_t, z)
    d = t - c
    return TestResult(metric, kind, control, treatment, n_c, n_t, c, t, d, d - half, d + half, lift, lo, hi, p, method)


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
    """Two-proportion z-test: ``z = (p_t - p_c) / sqrt(p(1-p)(1/n_c + 1/n_t))`` with the pooled ``p``;
    the interval uses the unpooled ``se = sqrt(p_c(1-p_c)/n_c + p_t(1-p_t)/n_t)``."""
    pc, pt = successes_c / n_c, successes_t / n_t
    pooled = (successes_c + successes_t) / (n_c + n_t)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    p = 1.0 if se0 == 0 else float(2 * stats.norm.sf(abs(pt - pc) / se0))
    var_c, var_t = pc * (1 - pc) / n_c, pt * (1 - pt) / n_t
    z = float(stats.norm.ppf(1 - alpha / 2))
    half = z * math.sqrt(var_c + var_t)
    method = "two-proportion z"
    return _result(metric, "proportion", control, treatment, n_c, n_t, pc, pt, var_c, var_t, half, p, method, z)


def welch_test(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    metric: str = "",
    control_name: str = "control",
    treatment_name: str = "treatment",
) -> TestResult:
    """Welch's t-test: ``t = (m_t - m_c) / sqrt(s_t^2/n_t + s_c^2/n_c)``, Welch-Satterthwaite degrees of freedom."""
    x, y = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    n_c, n_t = len(x), len(y)
    c, t = float(x.mean()), float(y.mean())
    var_c, var_t = float(x.var(ddof=1)) / n_c, float(y.var(ddof=1)) / n_t
    se = math.sqrt(var_c + var_t)
    if se == 0:
        return _result(metric, "mean", control_name, treatment_name, n_c, n_t, c, t, 0, 0, 0, 1.0, "welch", 0)
    df = (var_c + var_t) ** 2 / (var_c**2 / (n_c - 1) + var_t**2 / (n_t - 1))
    p = float(2 * stats.t.sf(abs(t - c) / se, df))
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return _result(metric, "mean", control_name, treatment_name, n_c, n_t, c, t, var_c, var_t, q * se, p, "welch", q)


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
) -> TestResult:
    """Mixture SPRT (normal mixing, variance ``tau^2``) on the difference ``d`` with variance ``V``:
    ``Lambda = sqrt(V/(V+tau^2)) exp(tau^2 d^2 / (2V(V+tau^2)))``, always-valid ``p = min(1, 1/Lambda)``;
    the confidence sequence is ``d +- sqrt(V(V+tau^2)/tau^2 (2 log(1/alpha) + log((V+tau^2)/V)))``.
    Default ``tau``: 0.1 pooled standard deviations, tuned for effects of about that size."""
    x, y = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    n_c, n_t = len(x), len(y)
    c, t = float(x.mean()), float(y.mean())
    var_c, var_t = float(x.var(ddof=1)) / n_c, float(y.var(ddof=1)) / n_t
    v = var_c + var_t
    if tau is None:
        tau = 0.1 * math.sqrt(max((x.var(ddof=1) + y.var(ddof=1)) / 2, 1e-12))
    d = t - c
    z = float(stats.norm.ppf(1 - alpha / 2))
    if v == 0:
        return _result(metric, kind, control_name, treatment_name, n_c, n_t, c, t, 0, 0, 0, 1.0, "msprt", z)
    t2 = tau**2
    log_lambda = 0.5 * math.log(v / (v + t2)) + t2 * d**2 / (2 * v * (v + t2))
    p = float(min(1.0, math.exp(-log_lambda)))
    half = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + math.log((v + t2) / v)))
    zs = half / math.sqrt(v)
    return _result(metric, kind, control_name, treatment_name, n_c, n_t, c, t, var_c, var_t, half, p, "msprt", zs)


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
    """Units per arm: ``n = (z_{1-alpha/2} + z_power)^2 (s_c^2 + s_t^2) / delta^2``."""
    delta = baseline * mde if relative else mde
    if kind == "proportion":
        p2 = min(max(baseline + delta, 1e-9), 1 - 1e-9)
        var = baseline * (1 - baseline) + p2 * (1 - p2)
    else:
        if sd is None:
            raise ValueError("sd is required for a mean metric")
        var = 2 * sd**2
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return math.ceil(z**2 * var / delta**2)


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
    """Power of the two-sided z-test at ``n_per_arm``: ``Phi(|delta|/se - z_{1-alpha/2})``."""
    delta = baseline * mde if relative else mde
    if kind == "proportion":
        p2 = min(max(baseline + delta, 1e-9), 1 - 1e-9)
        var = baseline * (1 - baseline) + p2 * (1 - p2)
    else:
        var = 2 * (sd or 0.0) ** 2
    se = math.sqrt(var / max(n_per_arm, 1))
    if se == 0:
        return 1.0
    return float(stats.norm.cdf(abs(delta) / se - stats.norm.ppf(1 - alpha / 2)))


@dataclass(frozen=True)
class SRMResult:
    """Sample-ratio-mismatch check: chi-square of observed units against the planned weights."""

    observed: dict[str, int]
    expected: dict[str, float]
    chi2: float
    p_value: float
    flagged: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def srm_check(counts: Mapping[str, int], weights: Mapping[str, float], *, threshold: float = 0.001) -> SRMResult:
    """``chi2 = sum (O - E)^2 / E`` with ``E = N w / sum(w)``; flagged when ``p < threshold``."""
    names = list(weights)
    observed = {k: int(counts.get(k, 0)) for k in names}
    total = sum(observed.values())
    wsum = float(sum(weights.values()))
    expected = {k: total * float(weights[k]) / wsum for k in names}
    if total == 0:
        return SRMResult(observed, expected, 0.0, 1.0, False)
    chi2, p = stats.chisquare([observed[k] for k in names], [expected[k] for k in names])
    return SRMResult(observed, expected, float(chi2), float(p), bool(p < threshold))


def cuped(y: ArrayLike, x: ArrayLike) -> tuple[np.ndarray, float]:
    """``y' = y - theta (x - mean(x))`` with ``theta = cov(y, x) / var(x)`` pooled over both arms."""
    yy, xx = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    var = float(xx.var(ddof=1)) if len(xx) > 1 else 0.0
    if var == 0:
        return yy.copy(), 0.0
    theta = float(np.cov(yy, xx, ddof=1)[0, 1] / var)
    return yy - theta * (xx - xx.mean()), theta


def adjust_pvalues(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Holm step-down (family-wise error) or Benjamini-Hochberg step-up (false discovery rate)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        raise ValueError(f"unknown correction {method!r}: holm or bh")
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return [float(v) for v in out]


@dataclass(frozen=True)
class Decision:
    """What to do: ship, keep, not_yet, inconclusive or blocked; why; and each guardrail's state."""

    action: str
    reason: str
    guardrails: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    """Blocked on SRM; ship when the primary is significantly better and no guardrail significantly worse;
    keep when the primary or a guardrail is significantly worse; else not_yet (before ``planned_n``) or
    inconclusive."""
    better = {**HIGHER_IS_BETTER, **(higher_is_better or {})}

    def state(r: TestResult) -> str:
        if r.p_value >= alpha:
            return "ok"
        good = (r.difference > 0) == better.get(r.metric, True)
        return "better" if good else "worse"

    guards = {g.metric: state(g) for g in guardrails}
    if srm.flagged:
        return Decision("blocked", f"sample ratio mismatch (p = {srm.p_value:.2g})", guards)
    worse = [m for m, s in guards.items() if s == "worse"]
    verdict = state(primary)
    if verdict == "worse":
        return Decision("keep", f"{primary.metric} is significantly worse", guards)
    if worse:
        return Decision("keep", f"guardrail significantly worse: {', '.join(worse)}", guards)
    if verdict == "better":
        return Decision("ship", f"{primary.metric} is significantly better", guards)
    n = min(primary.n_control, primary.n_treatment)
    if planned_n is not None and n < planned_n:
        return Decision("not_yet", f"no significant difference yet ({n:,} of {planned_n:,} units per arm)", guards)
    return Decision("inconclusive", f"no significant difference on {primary.metric}", guards)
