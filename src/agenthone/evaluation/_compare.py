"""Paired comparison of two models on the same examples: is the candidate really better?

For each metric the per-example differences (candidate minus baseline) are resampled to a bootstrap
confidence interval of the mean difference, and a sign test (``scipy.stats.binomtest``) asks whether
the candidate wins more examples than it loses. Ties are left out of the sign test, as usual.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import HoneError
from agenthone.evaluation._harness import EvaluationResult
from agenthone.evaluation._metrics import METRICS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Comparison", "compare", "compare_all", "plot_comparison"]

HIGHER_IS_BETTER = {"exact_match", "edit_similarity", "chrf", "token_f1", "judge_score"}


@dataclass(frozen=True)
class Comparison:
    """Candidate versus baseline on one metric, paired by example."""

    metric: str
    candidate: str
    baseline: str
    n: int
    candidate_mean: float
    baseline_mean: float
    mean_difference: float
    ci_low: float
    ci_high: float
    confidence: float
    wins: int
    losses: int
    ties: int
    p_value: float
    """Two-sided sign-test p-value (1.0 when every example ties)."""

    @property
    def significant(self) -> bool:
        """The bootstrap interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "no significant difference"
        better = self.mean_difference > 0
        if self.metric not in HIGHER_IS_BETTER:
            return "longer" if better else "shorter"
        return "candidate better" if better else "baseline better"

    def summary(self) -> str:
        return (
            f"{self.metric}: {self.candidate_mean:.3f} vs {self.baseline_mean:.3f} "
            f"(diff {self.mean_difference:+.3f}, {self.confidence:.0%} CI [{self.ci_low:+.3f}, {self.ci_high:+.3f}]; "
            f"wins {self.wins}, losses {self.losses}, ties {self.ties}, sign test p={self.p_value:.3g}): {self.verdict}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant, "verdict": self.verdict}


def _paired(candidate: EvaluationResult, baseline: EvaluationResult, metric: str) -> pd.DataFrame:
    for result in (candidate, baseline):
        if metric not in result.examples.columns:
            raise HoneError(f"evaluation of {result.model} has no {metric!r} scores")
    if candidate.dataset_digest and baseline.dataset_digest and candidate.dataset_digest != baseline.dataset_digest:
        raise HoneError(
            f"cannot pair {candidate.model} ({candidate.dataset}) with {baseline.model} ({baseline.dataset}): "
            "they were evaluated on different data"
        )
    left = candidate.examples[["id", metric]].rename(columns={metric: "candidate"})
    right = baseline.examples[["id", metric]].rename(columns={metric: "baseline"})
    pairs = left.merge(right, on="id").dropna()
    if pairs.empty:
        raise HoneError(f"{candidate.model} and {baseline.model} share no scored examples")
    return pairs


def compare(
    candidate: EvaluationResult,
    baseline: EvaluationResult,
    *,
    metric: str = "edit_similarity",
    confidence: float = 0.95,
    n_resamples: int = 5000,
    seed: int = 0,
) -> Comparison:
    """Paired bootstrap CI of the mean difference and a sign test, on the examples both models saw."""
    import numpy as np
    from scipy import stats

    pairs = _paired(candidate, baseline, metric)
    diff = (pairs["candidate"] - pairs["baseline"]).to_numpy(dtype=float)
    n = len(diff)
    mean = float(diff.mean())
    if n > 1 and np.ptp(diff) > 0:
        res = stats.bootstrap(
            (diff,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
            method="percentile", random_state=np.random.default_rng(seed),
        )  # fmt: skip
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    else:
        low = high = mean
    eps = 1e-12
    wins, losses = int((diff > eps).sum()), int((diff < -eps).sum())
    ties = n - wins - losses
    p_value = float(stats.binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return Comparison(
        metric=metric,
        candidate=candidate.model,
        baseline=baseline.model,
        n=n,
        candidate_mean=float(pairs["candidate"].mean()),
        baseline_mean=float(pairs["baseline"].mean()),
        mean_difference=mean,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        wins=wins,
        losses=losses,
        ties=ties,
        p_value=p_value,
    )


def compare_all(
    candidate: EvaluationResult,
    baseline: EvaluationResult,
    *,
    confidence: float = 0.95,
    seed: int = 0,
    settings: Settings | None = None,
    log_to_mlflow: bool = False,
) -> pd.DataFrame:
    """:func:`compare` on every metric both evaluations have; logged as an MLflow run of ``settings``' workspace
    when ``log_to_mlflow``."""
    import pandas as pd

    names = [m for m in (*METRICS, "judge_score") if m in candidate.examples and m in baseline.examples]
    rows = [compare(candidate, baseline, metric=m, confidence=confidence, seed=seed).as_dict() for m in names]
    table = pd.DataFrame(rows)
    if log_to_mlflow:
        import mlflow

        if settings is None:
            raise HoneError("compare_all(log_to_mlflow=True) needs the workspace's settings")
        from agenthone import _mlflow

        tags = {
            "candidate": candidate.model,
            "baseline": baseline.model,
            "dataset": candidate.dataset,
            "candidate_run": candidate.run_id or "",
            "baseline_run": baseline.run_id or "",
            "kind": "comparison",
        }
        name = f"{candidate.model} vs {baseline.model}"
        with _mlflow.start_run(settings, "evaluation", run_name=name, tags=tags):
            for row in rows:
                m = row["metric"]
                mlflow.log_metrics(
                    {f"{m}.difference": row["mean_difference"], f"{m}.ci_low": row["ci_low"],
                     f"{m}.ci_high": row["ci_high"], f"{m}.p_value": row["p_value"]}
                )  # fmt: skip
            mlflow.log_table(data=table, artifact_file="comparison.json")
    return table


def plot_comparison(
    candidate: EvaluationResult, baseline: EvaluationResult, *, metric: str = "edit_similarity"
) -> Figure:
    """Per-example scores of both models (paired) and the distribution of their differences."""
    from matplotlib.figure import Figure

    pairs = _paired(candidate, baseline, metric)
    result = compare(candidate, baseline, metric=metric)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.scatter(pairs["baseline"], pairs["candidate"], s=12, alpha=0.6)
    lo = float(min(pairs["baseline"].min(), pairs["candidate"].min()))
    hi = float(max(pairs["baseline"].max(), pairs["candidate"].max()))
    left.plot([lo, hi], [lo, hi], color="grey", linestyle="--", linewidth=1)
    left.set_xlabel(f"{baseline.model}")
    left.set_ylabel(f"{candidate.model}")
    left.set_title(f"{metric} per example (above the line: candidate better)")
    diff = pairs["candidate"] - pairs["baseline"]
    right.hist(diff, bins=30, color="#4c72b0", alpha=0.8)
    right.axvline(0, color="grey", linewidth=1)
    right.axvline(result.mean_difference, color="black", linewidth=1.5, label=f"mean {result.mean_difference:+.3f}")
    right.axvspan(result.ci_low, result.ci_high, color="orange", alpha=0.3, label=f"{result.confidence:.0%} CI")
    right.set_xlabel(f"{metric} difference (candidate - baseline)")
    right.set_ylabel("examples")
    right.legend(fontsize=8)
    right.set_title(f"wins {result.wins} / losses {result.losses} / ties {result.ties}; p={result.p_value:.3g}")
    return fig
