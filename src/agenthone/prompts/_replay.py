"""Offline replay: past requests sent again through prompt variants, scored against what people kept.

The requests are the prompts of the agent's past edits (the system message, if any, replaced by the
variant's template); the references are the human final outputs. Every variant and the production prompt
answer the same sample, so the evaluation harness's paired comparison (bootstrap interval of the mean
difference and a sign test, per metric) says whether a variant would have needed fewer corrections.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.prompts._registry import PromptError, PromptRegistry, PromptVersion

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.evaluation import EvaluationResult
    from agenthone.experiments._design import Experiment
    from agenthone.experiments._store import Experiments
    from agenthone.providers import ChatModel
    from agenthone.store import Store

__all__ = ["ReplayResult", "historical_requests", "replay"]

PRIMARY = "edit_similarity"


def _messages(prompt: Any) -> list[dict[str, Any]]:
    """An edit's prompt as chat messages (text becomes one user message)."""
    value = prompt
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = prompt
    if isinstance(value, dict):
        value = value.get("messages", [value])
    if isinstance(value, list):
        return [dict(m) for m in value if isinstance(m, dict) and m.get("role") != "system"]
    return [{"role": "user", "content": "" if value is None else str(value)}]


def historical_requests(
    store: Store,
    agent: str,
    *,
    sample: int | None = 50,
    seed: int = 0,
    range: str = "90d",  # noqa: A002
) -> pd.DataFrame:
    """A seeded sample of the agent's past edits with a prompt: id, messages (no system), reference."""
    from agenthone.analytics.edits import edits_frame

    df = edits_frame(
        store,
        agent=agent,
        range=range,
        columns=("id", "timestamp", "intent_type", "prompt", "ai_output", "final_output"),
    )
    df = df[df["prompt"].notna() & df["final_output"].notna()]
    if df.empty:
        raise PromptError(f"{agent} has no edits with a prompt and a final output to replay ({range})")
    if sample is not None and len(df) > sample:
        df = df.sample(n=sample, random_state=seed).sort_values(["timestamp", "id"])
    out = df.reset_index(drop=True)
    out["messages"] = [_messages(p) for p in out["prompt"]]
    out["reference"] = out["final_output"].astype(str)
    return out


@dataclass
class ReplayResult:
    """Scores of each prompt on the same past requests, and each variant paired against the baseline."""

    agent: str
    model: str
    baseline: PromptVersion
    variants: list[PromptVersion]
    results: dict[int, EvaluationResult]
    """by registered version number"""
    comparisons: pd.DataFrame
    """one row per variant and metric: means, mean difference, its interval, wins/losses, p-value"""
    seconds: float
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def ranking(self, metric: str = PRIMARY) -> pd.DataFrame:
        """Variants by the lower end of their interval on ``metric`` against the baseline, best first."""
        rows = self.comparisons[self.comparisons["metric"] == metric].copy()
        return rows.sort_values(["ci_low", "mean_difference"], ascending=False, ignore_index=True)

    @property
    def best(self) -> PromptVersion | None:
        """The variant whose interval on edit similarity is highest and above zero (None when none is)."""
        top = self.ranking()
        if top.empty or not (float(top["ci_low"].iloc[0]) > 0):
            return None
        version = int(top["version"].iloc[0])
        return next(v for v in self.variants if v.version == version)

    def summary(self) -> list[str]:
        n = len(self.results[self.baseline.version].examples)
        lines = [
            f"{self.agent}: {len(self.variants)} variant(s) vs {self.baseline.label} "
            f"(version {self.baseline.version}) on {n} past requests with {self.model}"
        ]
        for r in self.ranking().to_dict("records"):
            verdict = "better" if r["ci_low"] > 0 else "worse" if r["ci_high"] < 0 else "no significant difference"
            lines.append(
                f"  {r['label']} (v{r['version']}): edit similarity {r['candidate_mean']:.3f} vs "
                f"{r['baseline_mean']:.3f}, diff {r['mean_difference']:+.3f} "
                f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]: {verdict}"
            )
        best = self.best
        lines.append(f"best: {best.label} (version {best.version})" if best else "no variant is significantly better")
        return lines

    def as_dict(self) -> dict[str, Any]:
        best = self.best
        return {
            "agent": self.agent,
            "model": self.model,
            "baseline": self.baseline.as_dict(template=False),
            "variants": [v.as_dict(template=False) for v in self.variants],
            "metrics": {str(k): r.metrics for k, r in self.results.items()},
            "comparisons": json.loads(self.comparisons.to_json(orient="records")),
            "best": best.as_dict(template=False) if best else None,
            "seconds": round(self.seconds, 2),
            "mlflow_run_id": self.run_id,
            **self.extra,
        }

    def plot(self, metric: str = PRIMARY) -> Figure:
        """Each variant's mean difference from the baseline with its interval."""
        from matplotlib.figure import Figure

        rows = self.ranking(metric).iloc[::-1]
        fig = Figure(figsize=(8, 0.6 * len(rows) + 1.6), layout="constrained")
        ax = fig.subplots()
        y = range(len(rows))
        diff = rows["mean_difference"].to_numpy()
        err = [diff - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - diff]
        ax.errorbar(diff, list(y), xerr=err, fmt="o", color="#4c72b0", capsize=4)
        ax.axvline(0, color="grey", linewidth=1, linestyle="--")
        ax.set_yticks(list(y), [f"{r.label} (v{r.version})" for r in rows.itertuples()])
        ax.set_xlabel(f"{metric}: variant - {self.baseline.label} (95% CI)")
        ax.set_title(f"{self.agent}: offline replay with {self.model}")
        return fig

    def to_experiment(
        self, experiments: Experiments, *, name: str | None = None, variant: int | None = None, mde: float = 0.1
    ) -> Experiment:
        """Create an online A/B test of the best variant (or ``variant``) against the baseline prompt."""
        chosen = next((v for v in self.variants if v.version == variant), None) if variant else self.best
        if chosen is None:
            raise PromptError("no variant is significantly better than the baseline: name one to test with --variant")
        exp_name = name or f"prompt-{self.agent}-{chosen.label}"
        return experiments.create(
            name=exp_name,
            agent=self.agent,
            variants=[f"control={self.baseline.label}", f"treatment={chosen.label}"],
            primary_metric="acceptance",
            guardrails=("edit_distance",),
            mde=mde,
        )


def _digest(ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _run(
    model: ChatModel,
    prompt: PromptVersion,
    requests: pd.DataFrame,
    *,
    model_ref: str,
    digest: str,
    max_new_tokens: int,
    batch_size: int,
    usd_per_second: float,
    progress: Callable[[int, int], None] | None,
) -> EvaluationResult:
    import pandas as pd

    from agenthone.evaluation import METRICS, EvaluationResult, score
    from agenthone.text import word_tokens

    conversations = [[{"role": "system", "content": prompt.template}, *m] for m in requests["messages"]]
    predictions: list[str] = []
    latency: list[float] = []
    started = time.perf_counter()
    for start in range(0, len(conversations), batch_size):
        batch = conversations[start : start + batch_size]
        t0 = time.perf_counter()
        predictions.extend(model.generate(batch, max_new_tokens=max_new_tokens, temperature=0.0))
        latency.extend([(time.perf_counter() - t0) * 1000 / len(batch)] * len(batch))
        if progress:
            progress(len(predictions), len(conversations))
    seconds = time.perf_counter() - started
    rows = []
    for rid, conv, ref, pred, ms in zip(
        requests["id"], conversations, requests["reference"], predictions, latency, strict=True
    ):
        prompt_words = sum(len(word_tokens(str(m.get("content") or ""))) for m in conv)
        rows.append(
            {
                "id": str(rid),
                "agent_name": prompt.agent,
                "prompt": str(conv[-1].get("content") or ""),
                "reference": ref,
                "prediction": pred,
                **score(pred, ref),
                "latency_ms": ms,
                "cost_usd": ms / 1000 * usd_per_second,
                "prompt_words": prompt_words,
                "output_words": len(word_tokens(pred)),
            }
        )
    frame = pd.DataFrame(rows)
    metrics = {m: float(frame[m].mean()) for m in (*METRICS, "latency_ms", "prompt_words", "output_words")}
    if frame["cost_usd"].notna().any():
        metrics["cost_per_example_usd"] = float(frame["cost_usd"].mean())
    return EvaluationResult(
        model=f"{prompt.label} (v{prompt.version})",
        dataset=f"replay:{prompt.agent}",
        split="history",
        examples=frame,
        metrics=metrics,
        seconds=seconds,
        dataset_digest=digest,
        extra={"prompt_uri": prompt.uri, "model": model_ref},
    )


def replay(
    store: Store,
    agent: str,
    *,
    variants: Sequence[int | str],
    model: str | ChatModel,
    settings: Settings,
    baseline: int | str = "production",
    sample: int | None = 50,
    seed: int = 0,
    range: str = "90d",  # noqa: A002
    judge: str | ChatModel | None = None,
    max_new_tokens: int | None = None,
    batch_size: int = 16,
    log_to_mlflow: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReplayResult:
    """Replay ``sample`` past requests of ``agent`` through the ``baseline`` prompt and each variant with ``model``.

    ``variants`` and ``baseline`` are versions, labels or aliases of the agent's registered prompt (without a
    ``production`` alias, the baseline is the version the first variant derives from, else the oldest).
    ``model`` is any reference :func:`agenthone.evaluation.resolve_model` takes.
    """
    import pandas as pd

    from agenthone.evaluation import METRICS, LLMJudge, compare, resolve_model
    from agenthone.text import word_tokens

    registry = PromptRegistry(settings)
    chosen = [registry.get(agent, v) for v in variants]
    base = registry.find(agent, baseline)
    if base is None:  # no production alias yet: what the first variant derives from, else the oldest version
        if str(baseline) != "production":
            base = registry.get(agent, baseline)
        else:
            parent = next((v.parent for v in chosen if v.parent is not None), None)
            base = registry.get(agent, parent) if parent is not None else registry.versions(agent)[0]
    chosen = list({v.version: v for v in chosen if v.version != base.version}.values())
    if not chosen:
        raise PromptError("name at least one variant other than the baseline to replay")
    requests = historical_requests(store, agent, sample=sample, seed=seed, range=range)
    resolved = resolve_model(model, settings=settings, store=store)
    digest = _digest(list(requests["id"].astype(str)))
    # room for the longest reference and a little more (sub-word tokens per word ~1.5), as evaluation does
    longest = max((len(word_tokens(r)) for r in requests["reference"]), default=32)
    new_tokens = max_new_tokens or int(min(512, max(32, longest * 2 + 16)))
    started = time.perf_counter()
    results: dict[int, EvaluationResult] = {}
    judge_model = LLMJudge(resolve_model(judge, settings=settings, store=store)) if judge is not None else None
    for prompt in [base, *chosen]:
        report = (lambda done, total, label=prompt.label: progress(label, done, total)) if progress else None
        result = _run(
            resolved,
            prompt,
            requests,
            model_ref=resolved.ref,
            digest=digest,
            usd_per_second=resolved.usd_per_second(settings),
            max_new_tokens=new_tokens,
            batch_size=batch_size,
            progress=report,
        )
        if judge_model is not None:
            convs = [[{"role": "system", "content": prompt.template}, *m] for m in requests["messages"]]
            verdicts = judge_model.judge(convs, list(requests["reference"]), list(result.examples["prediction"]))
            result.examples["judge_score"] = [v.score for v in verdicts]
            result.metrics["judge_score"] = float(result.examples["judge_score"].dropna().mean())
        results[prompt.version] = result
    rows = []
    metrics = [
        m
        for m in (*METRICS, "judge_score", "latency_ms", "cost_usd", "prompt_words")
        if m in results[base.version].examples and results[base.version].examples[m].notna().any()
    ]
    for v in chosen:
        for metric in metrics:
            c = compare(results[v.version], results[base.version], metric=metric, seed=seed)
            rows.append({"version": v.version, "label": v.label, "source": v.source, **c.as_dict()})
    comparisons = pd.DataFrame(rows)
    out = ReplayResult(
        agent=agent,
        model=resolved.ref,
        baseline=base,
        variants=chosen,
        results=results,
        comparisons=comparisons,
        seconds=time.perf_counter() - started,
        extra={"sample": len(requests), "seed": seed, "range": range},
    )
    if log_to_mlflow:
        out.run_id = _log(out, settings)
    return out


def _log(result: ReplayResult, settings: Settings) -> str:
    import mlflow

    from agenthone import _mlflow
    from agenthone.providers import redact

    tags = {"agent": result.agent, "model": redact(result.model), "baseline": result.baseline.uri, "kind": "replay"}
    name = f"replay {result.agent}: {len(result.variants)} variant(s) vs {result.baseline.label}"
    with _mlflow.start_run(settings, "prompts", run_name=name, tags=tags) as run:
        mlflow.log_params(
            {
                "agent": result.agent,
                "model": redact(result.model),
                "sample": result.extra["sample"],
                "seed": result.extra["seed"],
                "baseline": result.baseline.label,
                "variants": ",".join(v.label for v in result.variants),
            }
        )
        for version, r in result.results.items():
            mlflow.log_metrics({f"v{version}.{k}": float(v) for k, v in r.metrics.items()})
        best = result.best
        mlflow.set_tag("best", best.uri if best else "")
        mlflow.log_table(data=result.comparisons, artifact_file="comparisons.json")
        return str(run.info.run_id)
