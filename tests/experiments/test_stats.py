"""The experiment statistics, checked against statsmodels and by simulation (fixed seeds, vectorised).

The simulations are the claims of the README: an A/A test read once at its planned size, or the sequential
test read every day, keeps its false positives at alpha; the fixed-horizon test read every day does not; the
planned sample size reaches the planned power.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import chisquare, norm
from scipy.stats import t as student

from agenthone.experiments._stats import (
    SRMResult,
    TestResult,
    achieved_power,
    adjust_pvalues,
    confidence_sequence_halfwidth,
    cuped,
    decide,
    default_tau,
    msprt_p_value,
    proportion_p_values,
    proportion_test,
    required_sample_size,
    sequential_test,
    srm_check,
    welch_stats,
    welch_test,
)

ALPHA = 0.05
BASELINE, MDE = 0.30, 0.10  # acceptance 30%, +10% relative (3 points) planned
EXPERIMENTS = 4000
DAYS = 28


def planned_n() -> int:
    return required_sample_size(baseline=BASELINE, mde=MDE, alpha=ALPHA, power=0.8)


def daily_counts(rng: np.random.Generator, rate_c: float, rate_t: float, per_day: int) -> tuple[np.ndarray, ...]:
    """Cumulative successes of each arm at each daily look: (experiments, days) arrays, and the units."""
    k_c = rng.binomial(per_day, rate_c, size=(EXPERIMENTS, DAYS)).cumsum(axis=1)
    k_t = rng.binomial(per_day, rate_t, size=(EXPERIMENTS, DAYS)).cumsum(axis=1)
    n = per_day * np.arange(1, DAYS + 1)
    return k_c, k_t, np.broadcast_to(n, k_c.shape)


def msprt_proportions(k_c: np.ndarray, k_t: np.ndarray, n: np.ndarray, tau: float) -> np.ndarray:
    """The p-values :func:`sequential_test` gives for 0/1 arms of these counts (same formula, from counts)."""
    pc, pt = k_c / n, k_t / n
    return msprt_p_value(pt - pc, pc * (1 - pc) / n + pt * (1 - pt) / n, tau)


# -- against statsmodels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k_c", "n_c", "k_t", "n_t"), [(300, 1000, 340, 1000), (45, 120, 30, 150), (5, 4000, 12, 3000)]
)
def test_proportion_test_matches_statsmodels(k_c: int, n_c: int, k_t: int, n_t: int) -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    r = proportion_test(k_c, n_c, k_t, n_t)
    _, p = proportions_ztest([k_t, k_c], [n_t, n_c])
    assert r.p_value == pytest.approx(p, rel=1e-10)
    low, high = confint_proportions_2indep(k_t, n_t, k_c, n_c, method="wald", compare="diff")
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert r.difference == pytest.approx(k_t / n_t - k_c / n_c)
    assert r.relative_lift == pytest.approx((k_t / n_t) / (k_c / n_c) - 1)
    assert r.method == "two-proportion z" and r.kind == "proportion"


def test_welch_matches_statsmodels() -> None:
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

    rng = np.random.default_rng(1)
    c, t = rng.lognormal(0, 1, 400), rng.lognormal(0.1, 1.3, 650)
    r = welch_test(c, t, alpha=0.1)
    _stat, p, _df = ttest_ind(t, c, usevar="unequal")
    assert r.p_value == pytest.approx(p, rel=1e-10)
    low, high = CompareMeans(DescrStatsW(t), DescrStatsW(c)).tconfint_diff(alpha=0.1, usevar="unequal")
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert (r.n_control, r.n_treatment) == (400, 650) and r.method == "welch"


@pytest.mark.parametrize(("baseline", "mde", "power"), [(0.3, 0.1, 0.8), (0.05, 0.2, 0.9), (0.6, -0.05, 0.8)])
def test_required_sample_size_matches_statsmodels_for_proportions(baseline: float, mde: float, power: float) -> None:
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    h = proportion_effectsize(baseline * (1 + mde), baseline)
    theirs = NormalIndPower().solve_power(effect_size=abs(h), alpha=ALPHA, power=power, ratio=1.0)
    ours = required_sample_size(baseline=baseline, mde=mde, power=power)
    assert abs(ours - theirs) <= 1
    assert achieved_power(baseline=baseline, mde=mde, n_per_arm=ours) == pytest.approx(
        NormalIndPower().power(effect_size=abs(h), nobs1=ours, alpha=ALPHA, ratio=1.0), rel=1e-9
    )
    assert achieved_power(baseline=baseline, mde=mde, n_per_arm=ours, alpha=ALPHA) >= power


def test_required_sample_size_matches_statsmodels_for_means() -> None:
    from statsmodels.stats.power import zt_ind_solve_power

    theirs = zt_ind_solve_power(effect_size=0.5 / 4.0, alpha=ALPHA, power=0.8)
    assert abs(required_sample_size(baseline=10.0, mde=0.5, kind="mean", sd=4.0, relative=False) - theirs) <= 1
    assert abs(required_sample_size(baseline=10.0, mde=0.05, kind="mean", sd=4.0) - theirs) <= 1  # 5% of 10
    with pytest.raises(ValueError, match="standard deviation"):
        required_sample_size(baseline=10.0, mde=0.05, kind="mean")


def test_holm_and_bh_match_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(2)
    for size in (1, 2, 7, 40):
        p = np.concatenate([rng.uniform(0, 0.05, size // 2), rng.uniform(0, 1, size - size // 2)])
        p[-1] = p[0]  # a tie
        for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
            expected = multipletests(p, method=theirs)[1]
            np.testing.assert_allclose(adjust_pvalues(list(p), ours), expected, rtol=1e-12)
    out = adjust_pvalues([0.01, math.nan, 0.04], "bh")
    assert math.isnan(out[1]) and out[0] == pytest.approx(0.02) and out[2] == pytest.approx(0.04)
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], "bonferroni")


# -- the mSPRT formula -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "v", "tau"), [(0.02, 1e-4, 0.03), (0.0, 4e-4, 0.01), (-0.5, 0.04, 1.0), (0.1, 1e-3, 0.002)]
)
def test_msprt_closed_form_is_the_mixture_likelihood_ratio(d: float, v: float, tau: float) -> None:
    """Lambda = integral of N(d; theta, V) N(theta; 0, tau^2) dtheta / N(d; 0, V), by quadrature."""
    sd = math.sqrt(v)
    mixture, _ = integrate.quad(
        lambda th: norm.pdf(d, th, sd) * norm.pdf(th, 0, tau), -40 * tau, 40 * tau, points=[d], limit=200
    )
    expected = min(1.0, norm.pdf(d, 0, sd) / mixture)
    assert float(msprt_p_value(d, v, tau)) == pytest.approx(expected, rel=1e-6)


def test_confidence_sequence_excludes_zero_exactly_when_p_is_below_alpha() -> None:
    rng = np.random.default_rng(3)
    d, v, tau = rng.normal(0, 0.05, 5000), rng.uniform(1e-5, 1e-3, 5000), rng.uniform(0.005, 0.1, 5000)
    p, half = msprt_p_value(d, v, tau), confidence_sequence_halfwidth(v, tau, ALPHA)
    assert ((p <= ALPHA) == (np.abs(d) >= half)).mean() > 0.9995  # all but float ties at the boundary
    assert 0.05 < (p <= ALPHA).mean() < 0.95


def test_sequential_test_is_the_formula_on_the_units() -> None:
    rng = np.random.default_rng(4)
    c, t = (rng.random(3000) < 0.30).astype(float), (rng.random(3100) < 0.34).astype(float)
    r = sequential_test(c, t, kind="proportion", mde=0.03, metric="acceptance")
    pc, pt = c.mean(), t.mean()
    v = pc * (1 - pc) / 3000 + pt * (1 - pt) / 3100
    assert r.p_value == pytest.approx(float(msprt_p_value(pt - pc, v, 0.03)), rel=1e-12)
    half = float(confidence_sequence_halfwidth(v, 0.03, ALPHA))
    assert (r.ci_low, r.ci_high) == pytest.approx((pt - pc - half, pt - pc + half))
    assert r.method == "msprt" and r.metric == "acceptance"
    assert r.lift_ci_low < r.relative_lift < r.lift_ci_high
    # the confidence sequence is wider than the fixed-horizon interval: the price of looking any time
    fixed = proportion_test(int(c.sum()), 3000, int(t.sum()), 3100)
    assert r.ci_high - r.ci_low > fixed.ci_high - fixed.ci_low
    assert r.p_value > fixed.p_value


def test_default_tau_is_the_mde_in_absolute_terms_and_sharpest_at_the_planned_size() -> None:
    tau = default_tau(baseline=BASELINE, mde=MDE)
    assert tau == pytest.approx(0.03)
    n = planned_n()
    v = 2 * BASELINE * (1 - BASELINE) / n
    taus = tau * np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    widths = confidence_sequence_halfwidth(np.full(5, v), taus, ALPHA)
    assert widths.argmin() == 2


# -- simulations: false positives under peeking ------------------------------------------------------------


def test_aa_fixed_horizon_at_the_planned_size_keeps_alpha() -> None:
    rng = np.random.default_rng(10)
    n = planned_n()
    k_c, k_t = rng.binomial(n, BASELINE, EXPERIMENTS), rng.binomial(n, BASELINE, EXPERIMENTS)
    p = proportion_p_values(k_c, n, k_t, n)
    assert p[0] == pytest.approx(proportion_test(int(k_c[0]), n, int(k_t[0]), n).p_value)
    fpr = (p < ALPHA).mean()
    assert 0.03 <= fpr <= ALPHA + 0.01, fpr


def test_aa_welch_at_the_planned_size_keeps_alpha_on_skewed_data() -> None:
    rng = np.random.default_rng(11)
    n = required_sample_size(baseline=1.0, mde=0.1, kind="mean", sd=math.sqrt(math.e - 1) * math.exp(0.5))
    c = rng.lognormal(0, 1, size=(2000, n))
    t = rng.lognormal(0, 1, size=(2000, n))
    p = np.array([welch_test(a, b).p_value for a, b in zip(c[:200], t[:200], strict=True)])
    diff, se, df = welch_stats(
        mean_c=c.mean(1), var_c=c.var(1, ddof=1), n_c=n, mean_t=t.mean(1), var_t=t.var(1, ddof=1), n_t=n
    )
    all_p = 2 * student.sf(np.abs(diff / se), df)
    np.testing.assert_allclose(all_p[:200], p, rtol=1e-9)
    assert (all_p < ALPHA).mean() <= ALPHA + 0.01


def test_aa_daily_peeking_breaks_the_fixed_horizon_test_but_not_the_sequential_one() -> None:
    """28 daily looks until the planned size: the README's warning, in numbers."""
    rng = np.random.default_rng(12)
    per_day = math.ceil(planned_n() / DAYS)
    k_c, k_t, n = daily_counts(rng, BASELINE, BASELINE, per_day)
    fixed_fpr = (proportion_p_values(k_c, n, k_t, n) < ALPHA).any(axis=1).mean()
    tau = default_tau(baseline=BASELINE, mde=MDE)
    sequential_fpr = (msprt_proportions(k_c, k_t, n, tau) <= ALPHA).any(axis=1).mean()
    once_fpr = (proportion_p_values(k_c[:, -1], n[:, -1], k_t[:, -1], n[:, -1]) < ALPHA).mean()
    assert once_fpr <= ALPHA + 0.01
    assert sequential_fpr <= ALPHA + 0.01, sequential_fpr
    assert fixed_fpr > 3 * ALPHA, fixed_fpr  # 0.28 with this seed: more than five times alpha


@pytest.mark.parametrize("tau_scale", [0.25, 1.0, 4.0])
def test_aa_sequential_keeps_alpha_under_continuous_monitoring_whatever_tau(tau_scale: float) -> None:
    """A look after every 20 units per arm (200 looks) on skewed per-unit values, tau off by 4x either way."""
    rng = np.random.default_rng(13)
    experiments, n, step = 2000, 4000, 20
    looks = np.arange(step, n + 1, step)

    def cumulative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, s2 = x.cumsum(axis=1)[:, looks - 1], (x * x).cumsum(axis=1)[:, looks - 1]
        mean = s / looks
        return mean, (s2 - looks * mean**2) / (looks - 1)

    mc, vc = cumulative(rng.lognormal(0, 1, size=(experiments, n)))
    mt, vt = cumulative(rng.lognormal(0, 1, size=(experiments, n)))
    tau = tau_scale * 0.1 * math.sqrt(math.e - 1) * math.exp(0.5)  # 0.1 sd of the lognormal
    p = msprt_p_value(mt - mc, (vc + vt) / looks, tau)
    assert (p <= ALPHA).any(axis=1).mean() <= ALPHA + 0.01


def test_confidence_sequence_covers_the_true_difference_at_every_look() -> None:
    rng = np.random.default_rng(14)
    per_day = math.ceil(planned_n() / DAYS)
    rate_t = BASELINE * (1 + MDE)
    k_c, k_t, n = daily_counts(rng, BASELINE, rate_t, per_day)
    pc, pt = k_c / n, k_t / n
    half = confidence_sequence_halfwidth(pc * (1 - pc) / n + pt * (1 - pt) / n, 0.03, ALPHA)
    covered = (np.abs(pt - pc - (rate_t - BASELINE)) < half).all(axis=1).mean()
    assert covered >= 1 - ALPHA - 0.01


# -- simulations: power, lift interval, CUPED -------------------------------------------------------------------


def test_ab_at_the_planned_size_reaches_the_planned_power() -> None:
    rng = np.random.default_rng(20)
    n = planned_n()
    k_c = rng.binomial(n, BASELINE, EXPERIMENTS)
    k_t = rng.binomial(n, BASELINE * (1 + MDE), EXPERIMENTS)
    power = (proportion_p_values(k_c, n, k_t, n) < ALPHA).mean()
    assert abs(power - 0.8) < 0.025, power  # simulation sd 0.0063
    half = n // 2
    k_c, k_t = rng.binomial(half, BASELINE, EXPERIMENTS), rng.binomial(half, BASELINE * (1 + MDE), EXPERIMENTS)
    short = (proportion_p_values(k_c, half, k_t, half) < ALPHA).mean()
    assert short < 0.6  # half the size is clearly underpowered: the check can fail


def test_welch_at_the_planned_size_reaches_the_planned_power() -> None:
    rng = np.random.default_rng(21)
    sd, mde = 4.0, 0.5
    n = required_sample_size(baseline=10.0, mde=mde, kind="mean", sd=sd, relative=False)
    c = rng.normal(10.0, sd, size=(3000, n))
    t = rng.normal(10.0 + mde, sd, size=(3000, n))
    diff, se, df = welch_stats(
        mean_c=c.mean(1), var_c=c.var(1, ddof=1), n_c=n, mean_t=t.mean(1), var_t=t.var(1, ddof=1), n_t=n
    )
    power = (2 * student.sf(np.abs(diff / se), df) < ALPHA).mean()
    assert abs(power - 0.8) < 0.03, power


def test_lift_delta_method_interval_covers_at_its_level() -> None:
    rng = np.random.default_rng(22)
    n, rate_t = 20_000, BASELINE * (1 + MDE)
    k_c, k_t = rng.binomial(n, BASELINE, 2000), rng.binomial(n, rate_t, 2000)
    results = [proportion_test(int(a), n, int(b), n) for a, b in zip(k_c, k_t, strict=True)]
    coverage = np.mean([r.lift_ci_low < MDE < r.lift_ci_high for r in results])
    assert 0.935 <= coverage <= 0.965, coverage


def test_cuped_reduces_variance_and_leaves_the_difference_unbiased() -> None:
    rng = np.random.default_rng(23)
    experiments, n, effect = 2000, 400, 0.1
    x = rng.normal(0, 1, size=(experiments, 2 * n))
    arm = np.zeros(2 * n, dtype=bool)
    arm[n:] = True
    y = 1.0 + 0.8 * x + rng.normal(0, 0.6, size=x.shape) + effect * arm
    raw, adjusted, thetas = [], [], []
    for yi, xi in zip(y, x, strict=True):
        ya, theta = cuped(yi, xi)
        raw.append(yi[arm].mean() - yi[~arm].mean())
        adjusted.append(ya[arm].mean() - ya[~arm].mean())
        thetas.append(theta)
    raw_a, adj_a = np.array(raw), np.array(adjusted)
    assert abs(adj_a.mean() - effect) < 3 * adj_a.std() / math.sqrt(experiments)
    assert adj_a.var() < 0.5 * raw_a.var()  # theory: 1 - rho^2 = 0.36
    assert np.mean(thetas) == pytest.approx(0.8, abs=0.01)


def test_cuped_leaves_units_without_a_covariate_alone() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    x = np.array([1.0, 2.0, math.nan, 4.0, 5.0])
    adjusted, theta = cuped(y, x)
    assert theta == pytest.approx(1.0)
    assert adjusted[2] == 3.0 and adjusted[0] == pytest.approx(3.0)
    same, zero = cuped(y, np.ones(5))
    assert zero == 0.0 and np.array_equal(same, y)


# -- SRM ------------------------------------------------------------------------------------------------------------


def test_srm_fires_on_52_48_of_20000_units_and_not_on_50_50() -> None:
    bad = srm_check({"control": 10_400, "treatment": 9_600}, {"control": 0.5, "treatment": 0.5})
    assert bad.flagged and bad.p_value < 1e-6
    assert bad.chi2 == pytest.approx(chisquare([10_400, 9_600]).statistic)
    good = srm_check({"control": 10_000, "treatment": 10_000}, {"control": 0.5, "treatment": 0.5})
    assert not good.flagged and good.p_value == pytest.approx(1.0)
    slight = srm_check({"control": 10_080, "treatment": 9_920}, {"control": 1, "treatment": 1})
    assert not slight.flagged  # 50.4/49.6 is chance at this size (p ~ 0.26)


def test_srm_with_uneven_weights_and_three_arms_matches_scipy() -> None:
    counts, weights = {"a": 5100, "b": 2400, "c": 2500}, {"a": 2.0, "b": 1.0, "c": 1.0}
    r = srm_check(counts, weights)
    expected = chisquare([5100, 2400, 2500], [5000, 2500, 2500])
    assert r.chi2 == pytest.approx(expected.statistic) and r.p_value == pytest.approx(expected.pvalue)
    assert r.expected == {"a": 5000.0, "b": 2500.0, "c": 2500.0}
    stray = srm_check({"a": 100, "b": 100, "ghost": 1}, {"a": 1, "b": 1})
    assert stray.flagged and stray.observed["ghost"] == 1


def test_srm_false_alarm_rate_is_its_threshold() -> None:
    from scipy.stats import chi2

    rng = np.random.default_rng(30)
    treatment = rng.binomial(20_000, 0.5, 200_000)
    stat = (treatment - 10_000) ** 2 / 10_000 * 2
    rate = (chi2.sf(stat, 1) < 0.001).mean()
    assert rate < 0.002
    checked = [srm_check({"c": 20_000 - int(k), "t": int(k)}, {"c": 1, "t": 1}).flagged for k in treatment[:2000]]
    assert checked == list(chi2.sf(stat[:2000], 1) < 0.001)


# -- decision -----------------------------------------------------------------------------------------------------


def result(metric: str, difference: float, p: float, n: int = 5000) -> TestResult:
    return TestResult(
        metric=metric, kind="mean", control="control", treatment="treatment", n_control=n, n_treatment=n,
        control_mean=1.0, treatment_mean=1.0 + difference, difference=difference, ci_low=difference - 0.1,
        ci_high=difference + 0.1, relative_lift=difference, lift_ci_low=difference - 0.1,
        lift_ci_high=difference + 0.1, p_value=p, method="msprt",
    )  # fmt: skip


OK_SRM = SRMResult({"control": 5000, "treatment": 5000}, {"control": 5000.0, "treatment": 5000.0}, 0.0, 1.0, False)
BAD_SRM = SRMResult({"control": 5400, "treatment": 4600}, {"control": 5000.0, "treatment": 5000.0}, 64.0, 1e-15, True)


def test_decide() -> None:
    good, flat = result("acceptance", 0.03, 0.001), result("acceptance", 0.001, 0.6)
    slower, faster = result("latency_ms", 50.0, 0.001), result("latency_ms", -50.0, 0.001)
    quiet = result("cost_usd", 0.0001, 0.7)
    assert decide(good, [quiet], srm=BAD_SRM).action == "blocked"
    shipped = decide(good, [faster, quiet], srm=OK_SRM, planned_n=4000)
    assert shipped.action == "ship" and shipped.guardrails == {"latency_ms": "better", "cost_usd": "ok"}
    kept = decide(good, [slower], srm=OK_SRM)
    assert kept.action == "keep" and kept.guardrails == {"latency_ms": "worse"} and "latency_ms" in kept.reason
    assert decide(result("acceptance", -0.03, 0.001), [], srm=OK_SRM).action == "keep"
    assert decide(flat, [], srm=OK_SRM, planned_n=8000).action == "not_yet"
    assert decide(flat, [], srm=OK_SRM).action == "not_yet"
    assert decide(flat, [], srm=OK_SRM, planned_n=4000).action == "inconclusive"
    early = decide(good, [], srm=OK_SRM, planned_n=8000, sequential=False)
    assert early.action == "not_yet" and "early" in early.reason
    assert decide(good, [], srm=OK_SRM, planned_n=4000, sequential=False).action == "ship"
    # lower is better for the primary: a significant drop in edit distance ships
    assert decide(result("edit_distance", -0.05, 0.001), [], srm=OK_SRM).action == "ship"
    assert decide(result("custom", -0.05, 0.001), [], srm=OK_SRM, higher_is_better={"custom": False}).action == "ship"


def test_empty_arms_give_nan_and_no_decision() -> None:
    r = welch_test([], [1.0, 2.0])
    assert math.isnan(r.p_value) and r.n_control == 0
    s = sequential_test([1.0], [2.0, 3.0], tau=0.1)
    assert math.isnan(s.p_value)
    assert math.isnan(proportion_test(0, 0, 3, 10).p_value)
    assert decide(r, [], srm=OK_SRM, planned_n=100).action == "not_yet"
    assert set(r.as_dict()) >= {"metric", "p_value", "lift_ci_low", "method"}


def test_identical_constant_arms_are_not_different() -> None:
    r = sequential_test(np.ones(50), np.ones(60), kind="proportion")
    assert r.p_value == 1.0 and r.ci_low == r.ci_high == 0.0
    assert welch_test(np.ones(50), np.ones(60)).p_value == 1.0
    assert sequential_test(np.zeros(50), np.ones(60), kind="proportion").p_value == 0.0
