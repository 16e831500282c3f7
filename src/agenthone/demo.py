"""The demo: the main job end to end on sample data and the embedded defaults (no server, no network, no key).

:data:`STEPS` lists the steps in the order of the loop: sample logs, ingestion, the workspace, analytics,
a dataset, fine-tuning, evaluation, the registry, and the reports between them. Each step is a function of
the :class:`DemoState` the steps share and a :class:`DemoOutput` to print on; ``hone demo`` runs them in
turn. The demo sits above every stage (it drives them all, reports included), like the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.text import Text

from agenthone._views import (
    dataset_view,
    evaluate_with_progress,
    markup,
    opportunities_view,
    performance_table,
    validation_view,
    working,
)

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.store import Store
    from agenthone.workbench import Workbench

__all__ = [
    "DEMO_DATASET",
    "DEMO_EVAL_EXAMPLES",
    "DEMO_MAX_NEW_TOKENS",
    "DEMO_MODEL_NAME",
    "DEMO_REPLAY_SAMPLE",
    "DEMO_TRAINING",
    "DEMO_VARIANTS",
    "MAX_INSIGHT_AGENTS",
    "STEPS",
    "DemoOutput",
    "DemoState",
    "DemoStep",
    "get_step",
    "insight_agents",
    "run_report_step",
]


@dataclass
class DemoState:
    """What the steps hand each other."""

    wb: Workbench
    sample_dir: Path
    seed: int
    reports: dict[str, Path] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    """Anything a step hands to a later one (a dataset reference, a job id, ...)."""


@dataclass(frozen=True)
class DemoOutput:
    """Where the steps print: results on ``out``; progress, spinners and failures on ``err``."""

    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def say(self, *items: RenderableType) -> None:
        """Print each item on ``out`` (a ``str`` verbatim, without markup)."""
        for item in items:
            self.out.print(Text(item) if isinstance(item, str) else item)


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: ``run(state, output)`` under the heading ``title``."""

    name: str
    title: str
    run: Callable[[DemoState, DemoOutput], None]


# -- foundation ------------------------------------------------------------------------------------


def _sample(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.sample import generate_sample

    truth = state.sample_dir / "ground_truth.json"
    if truth.exists():
        ui.say(f"sample data already in {state.sample_dir} (deterministic for seed {state.seed}; reused)")
        return
    manifest = generate_sample(state.sample_dir, seed=state.seed, scale="small")
    counts = ", ".join(f"{n:,} {k}" for k, n in manifest.counts.items())
    ui.say(f"wrote {counts} to {state.sample_dir}")


def _ingest(state: DemoState, ui: DemoOutput) -> None:
    for kind, name in (("run", "runs.jsonl"), ("edit", "edits.jsonl"), ("conversation", "conversations.jsonl")):
        report = state.wb.ingest(state.sample_dir / name, kind)
        ui.say(
            f"{name:<22} accepted {report.accepted:>7,}  duplicate {report.duplicate:>7,}"
            f"  rejected {report.rejected:>3,}"
        )


def _info(state: DemoState, ui: DemoOutput) -> None:
    info = state.wb.info()
    ui.say(
        f"store      {info.store_path}",
        "records    " + ", ".join(f"{n:,} {k}" for k, n in info.counts.items()),
        f"mlflow     {info.mlflow_tracking_uri}",
        f"optuna     {info.optuna_storage}",
    )


def run_report_step(state: DemoState, ui: DemoOutput, name: str, params: dict[str, Any] | None = None) -> None:
    """Run a report notebook from a demo step (the workbench releases the store while its kernel works)."""
    result = state.wb.report(name, params or {})
    if result.ok and result.html is not None:
        ui.say(f"report {name}: {result.html}")
        state.reports[name] = result.html
    else:
        failure = f"report {name} failed in cell {result.failed_cell}: {result.error}"
        state.failures.append(failure)
        ui.err.print(markup("[red]{}[/]", failure))


def _overview_report(state: DemoState, ui: DemoOutput) -> None:
    run_report_step(state, ui, "workspace_overview")


# -- analytics -------------------------------------------------------------------------------------

MAX_INSIGHT_AGENTS = 5
"""At most this many agents get their edits mined in the demo."""


def _lowest_acceptance_first(df: pd.DataFrame) -> pd.DataFrame:
    """Agents with edits, worst acceptance first."""
    out = df[df["edits"] > 0].sort_values("acceptance_rate", ascending=True, na_position="last", ignore_index=True)
    out.attrs = dict(df.attrs)
    return out


def _alerted(store: Store) -> list[str]:
    from agenthone.analytics import alerts

    return list(dict.fromkeys(alerts(store)["agent"]))


def insight_agents(state: DemoState) -> list[str]:
    """The agents to learn from first, found by analytics (a user's logs have no answer key).

    Those with an active alert (a regression, or a rate under the floor), then those whose suggestions
    people accept least; earlier steps' findings are reused when they ran.
    """
    from agenthone.analytics import performance

    alerted: list[str] | None = state.extras.get("alerted_agents")
    if alerted is None:
        alerted = _alerted(state.wb.store)
    worst: list[str] | None = state.extras.get("worst_agents")
    if worst is None:
        worst = _lowest_acceptance_first(performance(state.wb.store, range="30d"))["agent"].head(3).tolist()
    return list(dict.fromkeys([*alerted, *worst]))[:MAX_INSIGHT_AGENTS]


def _summary(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.analytics import performance

    df = performance(state.wb.store, range="30d")
    ranked = _lowest_acceptance_first(df)
    state.extras["worst_agents"] = ranked["agent"].head(3).tolist()
    if len(ranked) > 6:
        ranked = ranked.iloc[[*range(3), *range(len(ranked) - 3, len(ranked))]]
        ranked.attrs = dict(df.attrs)
    ui.say(performance_table(ranked, title="Agents with the lowest and the highest acceptance"))


def _alerts(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.analytics import alerts

    df = alerts(state.wb.store)
    state.extras["alerted_agents"] = list(dict.fromkeys(df["agent"]))
    if df.empty:
        ui.say("no alerts")
        return
    for r in df.itertuples(index=False):
        ui.say(markup("[bold red]ALERT[/] {}: {}", r.agent, r.reason))


def _insights(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.analytics.edits import improvement_opportunities

    agents = insight_agents(state)
    state.extras["insight_agents"] = agents
    if not agents:
        ui.say("no edits to learn from")
        return
    with working(ui.err, "learning from edits"):
        df = improvement_opportunities(state.wb.store, agents, top=3)
    state.extras["opportunities"] = df
    ui.say(opportunities_view(df))


def _performance_report(state: DemoState, ui: DemoOutput) -> None:
    run_report_step(state, ui, "agent_performance", {})


def _edit_report(state: DemoState, ui: DemoOutput) -> None:
    run_report_step(state, ui, "edit_insights", {})


# -- datasets --------------------------------------------------------------------------------------

DEMO_DATASET = "demo"


def _build(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.datasets import DatasetSpec, build_dataset, list_datasets

    spec = DatasetSpec(name=DEMO_DATASET, sources=("edits", "conversations"), seed=state.seed)
    before = {d.ref for d in list_datasets(settings=state.wb.settings)}
    ds = build_dataset(spec, settings=state.wb.settings, store=state.wb.store)
    ui.say(*dataset_view(ds, reused=ds.ref in before))
    removed = ds.removed()
    near = removed[removed["reason"] == "near_duplicate"].head(3)
    for _, row in near.iterrows():
        ui.say(f"  near duplicate {row['id']} (Jaccard {row['jaccard']}) of kept {row['kept']}")
    state.extras["dataset"] = ds.ref


def _validate(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.datasets import load

    ref = state.extras.get("dataset", DEMO_DATASET)
    ds = load(ref, settings=state.wb.settings)
    report = ds.validate("openai-chat", "train", settings=state.wb.settings)
    ui.say(*validation_view(report))
    if not report.ok:
        state.failures.append(f"dataset {ref}: its openai-chat export has format errors")


def _dataset_report(state: DemoState, ui: DemoOutput) -> None:
    run_report_step(state, ui, "dataset_quality", {"dataset": state.extras.get("dataset", DEMO_DATASET)})


# -- training, evaluation, registry ----------------------------------------------------------------

DEMO_TRAINING: dict[str, Any] = {
    "batch_size": 8,
    "max_length": 384,
    "max_steps": 400,
    "eval_steps": 40,
    "max_eval_examples": 48,
}
"""Demo-sized local training: about two minutes on two idle CPU cores."""

DEMO_EVAL_EXAMPLES = 120
DEMO_MAX_NEW_TOKENS = 96
DEMO_MODEL_NAME = "demo-assistant"


DEMO_STUDY = "demo-search"
DEMO_TRIALS = 3
"""Trials of the demo's search: a known-good configuration, a deliberately weak one (pruned early), one sampled."""


def _train(state: DemoState, ui: DemoOutput) -> None:
    """A small hyperparameter search over local fine-tunes; the best trial's job goes on to evaluation."""
    from agenthone.tuning import Param, TuneSpec

    ref = state.extras.get("dataset")
    if not ref:
        ui.say("no demo dataset was built; skipping fine-tuning")
        return
    fixed = {**DEMO_TRAINING, "epochs": 3, "gradient_accumulation_steps": 1, "warmup_ratio": 0.05}
    spec = TuneSpec(space={"learning_rate": Param("learning_rate", "float", 1e-4, 6e-3, log=True)}, fixed=fixed)

    def show(trial: Any) -> None:
        value = f"validation loss {trial.value:.3f}" if trial.value is not None else ""
        step = trial.user_attrs.get("pruned_at_step")
        how = f"pruned at step {step} (its process stopped)" if step is not None else trial.state.name.lower()
        lr = trial.params.get("learning_rate")
        ui.say(f"  trial {trial.number}: lr {lr:.2g} {how} {value} (job {trial.user_attrs.get('job_id')})")

    ui.say(f"searching the learning rate over {DEMO_TRIALS} local fine-tunes of a small model on {ref}")
    with working(ui.err, "tuning"):
        result = state.wb.tuner.run(
            ref,
            provider="local",
            trials=DEMO_TRIALS,
            study=DEMO_STUDY,
            spec=spec,
            enqueue=[{"learning_rate": 2e-3}, {"learning_rate": 1e-4}],
            seed=state.seed,
            on_trial=show,
        )
    for line in result.summary():
        ui.say(line)
    if result.best is None:
        state.failures.append(f"the demo search {result.study_name} completed no trial")
        return
    job = state.wb.jobs.get(str(result.best["job_id"]))
    for line in state.wb.jobs.efficiency(job.job_id).summary():
        ui.say(f"  {line}")
    if job.status not in ("succeeded", "failed_gate"):
        state.failures.append(f"demo fine-tuning job {job.job_id} ended {job.status}: {job.error}")
        return
    state.extras["job_id"] = job.job_id
    state.extras["study"] = result.study_name


def _evaluate(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.evaluation import compare_all

    job_id = state.extras.get("job_id")
    ref = state.extras.get("dataset")
    if not job_id or not ref:
        ui.say("no fine-tuned model; skipping evaluation")
        return
    kwargs = {"limit": DEMO_EVAL_EXAMPLES, "max_new_tokens": DEMO_MAX_NEW_TOKENS, "settings": state.wb.settings,
              "store": state.wb.store}  # fmt: skip
    tuned = evaluate_with_progress(job_id, ref, ui.err, quiet=False, **kwargs)
    base = evaluate_with_progress(f"baseline:{job_id}", ref, ui.err, quiet=False, **kwargs)
    table = compare_all(tuned, base, settings=state.wb.settings, log_to_mlflow=True)
    for r in table.to_dict("records"):
        ui.say(
            f"  {r['metric']:<16} tuned {r['candidate_mean']:.3f}  untrained {r['baseline_mean']:.3f}  "
            f"diff {r['mean_difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]  p={r['p_value']:.2g}"
        )
    sim = table.set_index("metric").loc["edit_similarity"]
    if not (sim["significant"] and sim["mean_difference"] > 0):
        state.failures.append("the fine-tuned demo model is not better than the untrained baseline on edit similarity")


def _register(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.registry import deploy, register
    from agenthone.training import JobManager

    job_id = state.extras.get("job_id")
    if not job_id:
        ui.say("no fine-tuned model; skipping registration")
        return
    info = register(job_id, name=DEMO_MODEL_NAME, alias="champion", store=state.wb.store, settings=state.wb.settings)
    ui.say(f"registered {info.name} version {info.version} as @champion ({info.uri})")
    job = JobManager.open(state.wb).get(job_id)
    agent = job.agent_name or ""
    if agent and "," not in agent:
        row = deploy(agent, f"{info.name}@champion", store=state.wb.store, settings=state.wb.settings, note="hone demo")
        ui.say(f"deployed {row.model_uri} to agent {agent}")
    else:
        ui.say(f"the dataset spans several agents; deploy with `hone models deploy AGENT {info.name}@champion`")
    state.extras["model_version"] = info.uri


DEMO_MDE = 0.15
"""The relative minimum detectable effect the demo declares for the experiments it finds in the logs."""


def _experiments(state: DemoState, ui: DemoOutput) -> None:
    """What ``hone exp analyze`` says of every experiment in the logs (the sample plants an A/B and an A/A test).

    An experiment seen only in the logs' metadata is first declared as a team would with ``hone exp create``:
    its variants as logged, a planned relative effect of :data:`DEMO_MDE`, alpha 0.05, power 0.8.
    """
    import json

    found = state.wb.experiments.list()
    if not found:
        ui.say("no experiments in the logs")
        return
    truth_file = state.sample_dir / "ground_truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8")).get("experiments", {}) if truth_file.exists() else {}
    for experiment in found:
        if experiment.source == "outcomes":
            ui.say(f"{experiment.name}: found in the logs; declared with a planned relative effect of {DEMO_MDE:.0%}")
            state.wb.experiments.create(experiment.design, mde=DEMO_MDE)
        analysis = state.wb.experiments.analyze(experiment.name)
        for n, line in enumerate(analysis.summary()):
            ui.say(("" if n == 0 else "  ") + line)
        planted = truth.get(experiment.name)
        if planted and planted.get("lift") is not None:  # only the sample has an answer key, to check against
            metric = planted.get("metric", "acceptance")
            ui.say(f"  the sample planted a lift of {float(planted['lift']):+.3f} in {metric}")
        state.extras.setdefault("experiments", []).append(experiment.name)


def _experiment_reports(state: DemoState, ui: DemoOutput) -> None:
    for name in state.extras.get("experiments", []):
        run_report_step(state, ui, "experiment", {"experiment": name})


def _training_reports(state: DemoState, ui: DemoOutput) -> None:
    if not state.extras.get("job_id"):
        ui.say("no fine-tuning job; skipping the training reports")
        return
    run_report_step(state, ui, "training_run", {"job_id": state.extras["job_id"]})
    run_report_step(state, ui, "model_comparison", {})
    if state.extras.get("study"):
        run_report_step(state, ui, "tuning_study", {"study": state.extras["study"]})


# -- prompts and the unattended loop -------------------------------------------------------------------

DEMO_REPLAY_SAMPLE = 16
"""Past requests replayed per prompt in the demo (small: the local model answers each one per prompt)."""
DEMO_VARIANTS = 2


def _prompt_agent(state: DemoState) -> str | None:
    """The agent whose prompt to vary: the one with the most widespread phrase people delete or add."""
    from agenthone.analytics.edits import improvement_opportunities

    df = state.extras.get("opportunities")
    if df is None:
        agents = state.extras.get("insight_agents") or insight_agents(state)
        df = improvement_opportunities(state.wb.store, agents, top=3) if agents else None
    if df is None or df.empty:
        return None
    phrases = df[df["kind"].isin(["remove", "add"])].sort_values("priority", ascending=False)
    return str(phrases["agent"].iloc[0]) if len(phrases) else None


def _prompts(state: DemoState, ui: DemoOutput) -> None:
    import json

    from agenthone.prompts import generate_variants

    registry = state.wb.prompts
    source = state.sample_dir / "prompts.json"
    if source.exists():  # the agents' own prompt files: registered once, as a team would import theirs
        doc = json.loads(source.read_text(encoding="utf-8"))
        done = registry.import_prompts(doc["prompts"], production=doc.get("production"))
        ui.say(
            f"{len({(v.agent, v.version) for v in done})} prompt versions of {len(doc['prompts'])} agents in "
            "the MLflow prompt registry (production = the version in the latest logs)"
        )
    agent = _prompt_agent(state)
    if agent is None or registry.find(agent) is None:
        ui.say("no agent with a registered prompt and a phrase to fix; skipping prompt variants")
        return
    with working(ui.err, f"writing prompt variants for {agent}"):
        made = generate_variants(state.wb.store, registry, agent, n=DEMO_VARIANTS)
    for v in made:
        ui.say(
            markup(
                "[bold]{}[/] {} (version {}, from version {}): {}",
                agent,
                v.label,
                v.version,
                v.parent,
                v.rationale[:160],
            )
        )
    state.extras["prompt_agent"] = agent
    state.extras["prompt_variants"] = [v.version for v in made]


def _replay(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.prompts import replay

    agent, variants, job_id = (state.extras.get(k) for k in ("prompt_agent", "prompt_variants", "job_id"))
    if not agent or not variants or not job_id:
        ui.say("no prompt variants or no local model; skipping the replay")
        return
    with working(ui.err, f"replaying {DEMO_REPLAY_SAMPLE} past requests of {agent} per prompt"):
        result = replay(
            state.wb.store,
            agent,
            variants=variants,
            model=job_id,
            settings=state.wb.settings,
            sample=DEMO_REPLAY_SAMPLE,
            max_new_tokens=DEMO_MAX_NEW_TOKENS,
        )
    ui.say(*result.summary())
    ui.say(
        "  (the demo's model is tiny and was fine-tuned on every agent's data for a few minutes: read the "
        "difference, whatever it is, as that model's answer to the prompt, not as the prompt's worth)"
    )


def _watch(state: DemoState, ui: DemoOutput) -> None:
    from agenthone.watch import watch

    result = watch(state.wb.store, registry=state.wb.prompts)
    lines = result.summary()
    ui.say(*lines[:14])
    if len(lines) > 14:
        ui.say(f"  ... and {len(lines) - 14} more lines (hone watch)")
    ui.say(
        f"hone watch would exit {3 if result.needs_person else 0}"
        + (" (something needs a person)" if result.needs_person else "")
    )


def _weekly_report(state: DemoState, ui: DemoOutput) -> None:
    run_report_step(state, ui, "weekly", {})


STEPS: list[DemoStep] = [
    DemoStep("sample", "Sample logs", _sample),
    DemoStep("ingest", "Ingest", _ingest),
    DemoStep("workspace", "Workspace", _info),
    DemoStep("overview-report", "Report: workspace overview", _overview_report),
    DemoStep("summary", "Agent summary (last 30 days)", _summary),
    DemoStep("alerts", "Regression alerts", _alerts),
    DemoStep("insights", "What people change in agents' outputs", _insights),
    DemoStep("performance-report", "Report: agent performance", _performance_report),
    DemoStep("edit-report", "Report: edit insights", _edit_report),
    DemoStep("experiments", "Experiments: the A/B tests in the logs (hone exp analyze)", _experiments),
    DemoStep("experiment-reports", "Reports: experiments", _experiment_reports),
    DemoStep("dataset", "Dataset: build from the sample logs (PII redacted, deduplicated, split)", _build),
    DemoStep("validate", "Dataset: validate its OpenAI chat export", _validate),
    DemoStep("dataset-report", "Report: dataset quality", _dataset_report),
    DemoStep("train", "Hyperparameter search: local fine-tunes, losing trials pruned", _train),
    DemoStep("evaluate", "Evaluate against the untrained baseline", _evaluate),
    DemoStep("register", "Register the champion and deploy it", _register),
    DemoStep("training-reports", "Reports: training run, model comparison and tuning study", _training_reports),
    DemoStep("prompts", "Prompts: registered versions and rule-based variants from edit patterns", _prompts),
    DemoStep("replay", "Prompts: offline replay of past requests with the local model", _replay),
    DemoStep("watch", "Watch: alerts, drift, new failure patterns, next steps (hone watch)", _watch),
    DemoStep("weekly-report", "Report: weekly", _weekly_report),
]
"""The demo, step by step, in the order of the loop."""


def get_step(name: str) -> DemoStep:
    """The step called ``name`` (see :data:`STEPS`)."""
    for step in STEPS:
        if step.name == name:
            return step
    raise KeyError(f"no demo step {name!r}; the steps: {', '.join(s.name for s in STEPS)}")
