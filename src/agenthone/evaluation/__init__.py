"""Evaluation: any model that generates, scored against the human-approved references of a test split.

    from agenthone.evaluation import evaluate, compare_all
    tuned = evaluate("ftjob-20261101-120000-ab12", "support-edits")      # a job's model
    base = evaluate("baseline:ftjob-20261101-120000-ab12", "support-edits")
    compare_all(tuned, base)        # bootstrap CI of the paired difference + sign test, per metric

Metrics: exact match, edit similarity (the acceptance proxy), chrF, token F1, length ratio, and an
optional LLM judge (``judge="openai:gpt-4o-mini"`` or ``"anthropic:..."``) with a rubric.
"""

from agenthone.evaluation._compare import Comparison, compare, compare_all, plot_comparison
from agenthone.evaluation._harness import (
    EvaluationResult,
    ProgressCallback,
    evaluate,
    evaluation_of,
    latest_evaluation,
)
from agenthone.evaluation._judge import DEFAULT_RUBRIC, JudgeVerdict, LLMJudge
from agenthone.evaluation._metrics import METRICS, chrf, edit_similarity, exact_match, length_ratio, score, token_f1
from agenthone.evaluation._models import ModelResolutionError, ResolvedModel, resolve_model

__all__ = [
    "DEFAULT_RUBRIC",
    "METRICS",
    "Comparison",
    "EvaluationResult",
    "JudgeVerdict",
    "LLMJudge",
    "ModelResolutionError",
    "ProgressCallback",
    "ResolvedModel",
    "chrf",
    "compare",
    "compare_all",
    "edit_similarity",
    "evaluate",
    "evaluation_of",
    "exact_match",
    "latest_evaluation",
    "length_ratio",
    "plot_comparison",
    "resolve_model",
    "score",
    "token_f1",
]
