"""Run a model over a dataset split and score it against the human-approved references.

Results are an :class:`EvaluationResult` (per-example table plus means) and an MLflow run in
``agenthone/evaluation`` with the means as metrics and the per-example table (``mlflow.log_table``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import HoneError
from agenthone.evaluation._judge import LLMJudge
from agenthone.evaluation._metrics import METRICS, score
from agenthone.evaluation._models import ResolvedModel, resolve_model
from agenthone.evaluation._toolcalls import (
    TOOL_CALL_METRICS,
    expected_from_calls,
    score_tool_calls,
    tool_call_turns,
    with_tools,
)
from agenthone.providers import ChatModel, redact
from agenthone.providers._base import message_text, prompt_of

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.datasets import Dataset
    from agenthone.store import Store

__all__ = ["EvaluationResult", "ProgressCallback", "evaluate", "evaluation_of", "latest_evaluation"]

ProgressCallback = Callable[[int, int], None]
"""Called with (examples done, examples in total)."""


@dataclass
class EvaluationResult:
    """Scores of one model on one dataset split."""

    model: str
    dataset: str
    split: str
    examples: pd.DataFrame
    """One row per example: id, agent, prompt, reference, prediction, every metric, latency_s and cost_usd."""
    metrics: dict[str, float]
    seconds: float
    run_id: str | None = None
    job_id: str | None = None
    dataset_digest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def examples_per_second(self) -> float:
        return len(self.examples) / self.seconds if self.seconds > 0 else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dataset": self.dataset,
            "split": self.split,
            "n": len(self.examples),
            "metrics": self.metrics,
            "seconds": round(self.seconds, 2),
            "examples_per_second": round(self.examples_per_second, 2),
            "mlflow_run_id": self.run_id,
            "job_id": self.job_id,
        }

    @classmethod
    def from_mlflow(cls, run_id: str, *, settings: Settings) -> EvaluationResult:
        """Load an evaluation logged earlier (its per-example table and metrics) from MLflow."""
        import json
        import tempfile

        import pandas as pd

        from agenthone import _mlflow

        client = _mlflow.client(settings)
        run = client.get_run(run_id)
        with tempfile.TemporaryDirectory() as tmp:
            path = client.download_artifacts(run_id, "examples.json", tmp)
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        table = pd.DataFrame(doc["data"], columns=doc["columns"])
        return cls(
            model=run.data.tags.get("model", ""),
            dataset=run.data.tags.get("dataset", ""),
            split=run.data.tags.get("split", "test"),
            examples=table,
            metrics=dict(run.data.metrics),
            seconds=float(run.data.metrics.get("seconds", 0.0)),
            run_id=run_id,
            job_id=run.data.tags.get("agenthone.job_id") or None,
            dataset_digest=run.data.tags.get("dataset_digest") or None,
        )


def _max_new_tokens(references: Sequence[str]) -> int:
    """Room for the longest reference and a little more (sub-word tokens per word ~1.5), at most 512."""
    from agenthone.text import word_tokens

    longest = max((len(word_tokens(r)) for r in references), default=32)
    return int(min(512, max(32, longest * 2 + 16)))


def evaluate(
    model: str | ChatModel,
    dataset: str | Dataset,
    *,
    split: str = "test",
    limit: int | None = None,
    judge: str | ChatModel | None = None,
    rubric: str | None = None,
    max_new_tokens: int | None = None,
    batch_size: int = 16,
    settings: Settings,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    log_to_mlflow: bool = True,
    tags: dict[str, str] | None = None,
    tool_turns: bool = False,
) -> EvaluationResult:
    """Generate with ``model`` for every example of the split and score it against the reference.

    ``model`` and ``judge`` take the references of :func:`~agenthone.evaluation.resolve_model` (a job id,
    ``baseline:JOB``, ``models:/name@alias``, ``openai:MODEL``, ``anthropic:MODEL``, a folder).

    Tool calls are scored too (``tool_name_match``, ``tool_call_match``): for examples whose reference is
    an assistant message with ``tool_calls``, and, with ``tool_turns``, for every turn of a conversation
    where the assistant called tools (one more row per turn, its id suffixed ``#callN``).
    """
    import pandas as pd

    from agenthone.datasets import load

    ds = load(dataset, settings=settings) if isinstance(dataset, str) else dataset
    resolved: ResolvedModel = resolve_model(model, settings=settings, store=store)
    examples = list(ds.examples(split))
    if limit is not None:
        examples = examples[: max(0, int(limit))]
    if not examples:
        raise HoneError(f"dataset {ds.ref} has no {split!r} examples to evaluate on")
    prompts = [prompt_of(ex) for ex in examples]
    references = [str(ex.get("reference") or "") for ex in examples]
    expected: list[list[Any] | None] = [None] * len(examples)
    for i, ex in enumerate(examples):
        last = (ex.get("messages") or [{}])[-1]
        if last.get("role") == "assistant" and last.get("tool_calls"):
            expected[i] = [*last["tool_calls"]]
            prompts[i] = with_tools(prompts[i], ex.get("tools") or [])
            references[i] = references[i] or message_text(last)
    if tool_turns:
        for ex in list(examples):
            for n, (before, turn_calls) in enumerate(tool_call_turns(ex), 1):
                examples.append({**ex, "id": f"{ex.get('id')}#call{n}"})
                prompts.append(with_tools(before, ex.get("tools") or []))
                references.append(message_text({"tool_calls": turn_calls}))
                expected.append(turn_calls)
    new_tokens = max_new_tokens or _max_new_tokens(references)

    started = time.perf_counter()
    predictions: list[str] = []
    latencies: list[float] = []
    if progress:
        progress(0, len(examples))
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start : start + batch_size]
        began = time.perf_counter()
        predictions.extend(resolved.generate(batch, max_new_tokens=new_tokens, temperature=0.0))
        latencies.extend([(time.perf_counter() - began) / len(batch)] * len(batch))
        if progress:
            progress(len(predictions), len(examples))
    generation_seconds = time.perf_counter() - started
    usd_per_second = resolved.usd_per_second(settings)

    rows = []
    for ex, prompt, ref, pred, calls, latency in zip(
        examples, prompts, references, predictions, expected, latencies, strict=True
    ):
        source = ex.get("source") or {}
        last_user = next((message_text(m) for m in reversed(prompt) if m.get("role") == "user"), "")
        row = {
            "id": str(ex.get("id")),
            "agent_name": source.get("agent_name"),
            "prompt": last_user,
            "reference": ref,
            "prediction": pred,
            **score(pred, ref),
            "latency_s": latency,
            "cost_usd": latency * usd_per_second,
        }
        if calls is not None:
            row.update(score_tool_calls(pred, expected_from_calls(calls), tools=ex.get("tools")))
        rows.append(row)
    frame = pd.DataFrame(rows)
    judge_name = None
    if judge is not None:
        judge_model = resolve_model(judge, settings=settings, store=store)
        judge_name = judge_model.ref
        llm_judge = LLMJudge(judge_model, rubric=rubric) if rubric else LLMJudge(judge_model)
        verdicts = llm_judge.judge(prompts, references, predictions)
        frame["judge_score"] = [v.score for v in verdicts]
        frame["judge_reason"] = [v.reason for v in verdicts]
    seconds = time.perf_counter() - started

    metrics = {name: float(frame[name].mean()) for name in METRICS}
    for name in TOOL_CALL_METRICS:
        if name in frame.columns and frame[name].notna().any():
            metrics[name] = float(frame[name].dropna().mean())
            metrics["tool_call_examples"] = float(frame[name].notna().sum())
    if "judge_score" in frame.columns and frame["judge_score"].notna().any():
        metrics["judge_score"] = float(frame["judge_score"].dropna().mean())
    metrics["examples"] = float(len(frame))
    metrics["seconds"] = seconds
    metrics["examples_per_second"] = len(frame) / generation_seconds if generation_seconds > 0 else 0.0
    metrics["latency_s"] = float(frame["latency_s"].mean())
    if frame["cost_usd"].notna().any():
        metrics["cost_per_example_usd"] = float(frame["cost_usd"].mean())
    result = EvaluationResult(
        model=resolved.ref,
        dataset=ds.ref,
        split=split,
        examples=frame,
        metrics=metrics,
        seconds=seconds,
        job_id=resolved.job_id,
        dataset_digest=ds.digest,
        extra={"judge": judge_name, "registry": resolved.registry, "max_new_tokens": new_tokens},
    )
    if log_to_mlflow:
        result.run_id = _log(result, settings, tags or {})
        _tag_registered_version(result, settings)
    return result


def _log(result: EvaluationResult, settings: Settings, extra_tags: dict[str, str]) -> str:
    import mlflow

    from agenthone import _mlflow

    tags = {
        "model": result.model,
        "dataset": result.dataset,
        "dataset_digest": result.dataset_digest or "",
        "split": result.split,
        "agenthone.job_id": result.job_id or "",
        "registered_model": result.extra.get("registry") or "",
        "judge": result.extra.get("judge") or "",
        **extra_tags,
    }
    with _mlflow.start_run(settings, "evaluation", run_name=f"{result.model} on {result.dataset}", tags=tags) as run:
        mlflow.log_params(
            {"model": redact(result.model), "dataset": result.dataset, "split": result.split,
             "examples": len(result.examples), "max_new_tokens": result.extra.get("max_new_tokens")}
        )  # fmt: skip
        mlflow.log_metrics(result.metrics)
        mlflow.log_table(data=result.examples, artifact_file="examples.json")
        return str(run.info.run_id)


def _tag_registered_version(result: EvaluationResult, settings: Settings) -> None:
    """When the evaluated model is a registry version, record the scores on it as well."""
    uri = result.extra.get("registry")
    if not uri:
        return
    from agenthone.registry import tag_evaluation

    tag_evaluation(str(uri), result.metrics, dataset=result.dataset, run_id=result.run_id, settings=settings)


def latest_evaluation(model: str, *, dataset: str | None = None, settings: Settings) -> EvaluationResult | None:
    """The most recent logged evaluation of ``model`` (a job id, ``baseline:JOB`` or a registry reference)."""
    from agenthone import _mlflow

    client = _mlflow.client(settings)
    exp = client.get_experiment_by_name(_mlflow.EXPERIMENTS["evaluation"])
    if exp is None:
        return None
    filters = [f"tags.model = '{model}'"]
    if model.startswith("models:/") or ("@" in model and ":" not in model):
        from agenthone.registry import load_info

        info = load_info(model, settings=settings)
        filters.insert(0, f"tags.registered_model = '{info.uri}'")
        if info.job_id:
            filters.append(f"tags.model = '{info.job_id}'")
    for condition in filters:
        if dataset:
            op = "=" if "@" in dataset else "LIKE"
            value = dataset if "@" in dataset else f"{dataset}@%"
            condition += f" and tags.dataset {op} '{value}'"
        runs = client.search_runs(
            [exp.experiment_id], filter_string=condition, order_by=["attributes.start_time DESC"], max_results=5
        )
        for run in runs:
            if run.data.tags.get("kind") != "comparison" and run.info.status == "FINISHED":
                return EvaluationResult.from_mlflow(run.info.run_id, settings=settings)
    return None


def evaluation_of(
    model: str,
    dataset: str,
    *,
    settings: Settings,
    store: Store | None = None,
    limit: int | None = None,
    split: str = "test",
) -> EvaluationResult:
    """The latest logged evaluation of ``model`` on ``dataset``, evaluating it now when there is none."""
    found = latest_evaluation(model, dataset=dataset, settings=settings)
    if found is not None and found.split == split:
        return found
    return evaluate(model, dataset, split=split, limit=limit, settings=settings, store=store)
