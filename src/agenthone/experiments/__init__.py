"""Online experiments: A/B tests of prompts and models on live traffic, analysed without fooling oneself.

from agenthone import Workbench
wb = Workbench.open()
wb.experiments.create(name="prompt-ab", agent="support", variants=["control=v3", "treatment=v4"])
variant = wb.experiments.assign("prompt-ab", user_id)      # deterministic hash; records the exposure
analysis = wb.experiments.analyze("prompt-ab")            # sequential tests, CUPED, Holm, SRM, decision
analysis.decision.action                                  # ship | keep | not_yet | inconclusive | blocked
"""

from agenthone.experiments._analysis import (
    ExperimentAnalysis,
    ExperimentStatus,
    MetricTest,
    analyze,
    experiment_status,
    plot_lift,
    unit_frame,
)
from agenthone.experiments._assign import BUCKETS, assign, bucket
from agenthone.experiments._design import (
    HIGHER_IS_BETTER,
    METRICS,
    UNIT_KINDS,
    DesignError,
    Experiment,
    ExperimentDesign,
    ExperimentNotFoundError,
    Variant,
    parse_variant,
)
from agenthone.experiments._impact import (
    IMPACT_METRICS,
    ImpactError,
    ImpactReport,
    MetricImpact,
    deployment_impact,
    impact,
    latest_deployment,
    model_impact,
)
from agenthone.experiments._stats import (
    Decision,
    SRMResult,
    TestResult,
    achieved_power,
    adjust_pvalues,
    cuped,
    decide,
    proportion_test,
    required_sample_size,
    sequential_test,
    srm_check,
    welch_test,
)
from agenthone.experiments._store import EXPERIMENT_TABLES, Experiments, ensure_experiment_tables

__all__ = [
    "BUCKETS",
    "EXPERIMENT_TABLES",
    "HIGHER_IS_BETTER",
    "IMPACT_METRICS",
    "METRICS",
    "UNIT_KINDS",
    "Decision",
    "DesignError",
    "Experiment",
    "ExperimentAnalysis",
    "ExperimentDesign",
    "ExperimentNotFoundError",
    "ExperimentStatus",
    "Experiments",
    "ImpactError",
    "ImpactReport",
    "MetricImpact",
    "MetricTest",
    "SRMResult",
    "TestResult",
    "Variant",
    "achieved_power",
    "adjust_pvalues",
    "analyze",
    "assign",
    "bucket",
    "cuped",
    "decide",
    "deployment_impact",
    "ensure_experiment_tables",
    "experiment_status",
    "impact",
    "latest_deployment",
    "model_impact",
    "parse_variant",
    "plot_lift",
    "proportion_test",
    "required_sample_size",
    "sequential_test",
    "srm_check",
    "unit_frame",
    "welch_test",
]
