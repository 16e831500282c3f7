"""``hone train``, ``hone jobs ...``, ``hone eval`` and ``hone models ...``: fine-tune, evaluate, register."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.console import RenderableType
from rich.table import Column

from agenthone._views import evaluate_with_progress, job_summary, status_text, watch_with_progress
from agenthone.cli._app import app, console, err, fail, handles_errors, key_values, markup, render, say, sub_app, table

if TYPE_CHECKING:
    from agenthone.training import Job
    from agenthone.workbench import Workbench

jobs_app = sub_app("jobs", "Fine-tuning jobs: list, show, events, watch, cancel.")
models_app = sub_app("models", "The model registry: list, register, alias, deploy, impact, archive.")


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _exit_code(job: Job) -> int:
    return 0 if job.status == "succeeded" else 1


def _watch(job_id: str, *, quiet: bool) -> Job:
    """Follow a job with a progress bar until it is done; Ctrl-C detaches (the job goes on)."""
    from agenthone.config import Settings

    try:
        return watch_with_progress(job_id, err, quiet=quiet, settings=Settings.load())
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _job_summary(job: Job) -> None:
    job_summary(job, console, err)


@app.command()
@handles_errors
def train(  # noqa: PLR0917 - Typer options
    dataset: str = typer.Option(..., "--dataset", "-d", help="Built dataset: NAME (latest version) or NAME@V."),
    provider: str = typer.Option("local", "--provider", "-p", help="local | openai."),
    base_model: str | None = typer.Option(
        None, "--base-model", "-m", help="Model to fine-tune: a local model folder, 'scratch', or a provider model id."
    ),
    method: str = typer.Option("sft", "--method", help="sft | dpo."),
    epochs: int | None = typer.Option(
        None, "--epochs", help="Epochs (default: \\[training] in hone.toml, else the provider's)."
    ),
    lr: float | None = typer.Option(None, "--lr", help="Learning rate (local) or learning-rate multiplier (openai)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Batch size."),
    beta: float | None = typer.Option(None, "--beta", help="DPO beta."),
    peft: str | None = typer.Option(None, "--peft", help="local: lora | full | auto (full for scratch, else lora)."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="local: stop after this many steps."),
    early_stopping: int | None = typer.Option(
        None,
        "--early-stopping",
        metavar="PATIENCE",
        help="local: stop once validation loss has not improved for PATIENCE evaluations; keep the best model.",
    ),
    max_cost: float | None = typer.Option(
        None, "--max-cost", help="Refuse above this estimated cost in USD (default: max_training_cost_usd)."
    ),
    min_accuracy: float | None = typer.Option(
        None, "--min-validation-accuracy", help="Quality gate: minimum validation token accuracy."
    ),
    max_loss: float | None = typer.Option(None, "--max-validation-loss", help="Quality gate: maximum validation loss."),
    suffix: str | None = typer.Option(None, "--suffix", help="Suffix of the fine-tuned model name (openai)."),
    seed: int | None = typer.Option(None, "--seed", help="Training seed."),
    base_url: str | None = typer.Option(None, "--base-url", help="openai: an OpenAI-compatible service's URL."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the job with a progress bar (Ctrl-C detaches)."),
    estimate_only: bool = typer.Option(False, "--estimate", help="Only print the cost estimate; create nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the job as one JSON document."),
) -> None:
    """Fine-tune a model on a built dataset; the job is tracked in the store and as an MLflow run.

    The job runs in the background (local: a detached process), so it outlives this command.
    Exit codes: 0 submitted (or, with --wait, succeeded); 1 the job failed, was cancelled or missed its
    quality gate; 2 refused (estimated cost above the limit, unknown dataset, bad option).
    """
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    hp = {k: v for k, v in {"peft": peft, "max_steps": max_steps}.items() if v is not None}
    options = {"base_url": base_url} if base_url else None
    with Workbench.open() as wb:
        jobs = JobManager.open(wb)
        if estimate_only:
            estimate = jobs.estimate(dataset, provider=provider, base_model=base_model, method=method, epochs=epochs)
            render(
                estimate.as_dict(),
                as_json=as_json,
                view=markup(
                    "estimated cost ${:,.2f}: {:,} billed tokens ({:,} x {} epochs) for {}; {}",
                    estimate.usd,
                    estimate.billed_tokens,
                    estimate.dataset_tokens,
                    estimate.epochs,
                    estimate.base_model,
                    estimate.basis,
                ),
            )
            return
        job = jobs.submit(
            dataset,
            provider=provider,
            base_model=base_model,
            method=method,
            epochs=epochs,
            learning_rate=lr,
            batch_size=batch_size,
            beta=beta,
            hyperparameters=hp,
            suffix=suffix,
            seed=seed,
            max_cost_usd=max_cost,
            min_validation_accuracy=min_accuracy,
            max_validation_loss=max_loss,
            provider_options=options,
            early_stopping=early_stopping,
        )
    if not as_json:
        say(
            "submitted {}: {} {} of {} on {} (estimated ${:.2f})",
            job.job_id,
            job.provider,
            job.method,
            job.base_model,
            job.dataset_ref,
            job.estimated_cost_usd or 0,
        )
    if not wait:
        render(job.as_dict(), as_json=as_json, view=f"follow it with: hone jobs watch {job.job_id}")
        return
    job = _watch(job.job_id, quiet=as_json)
    _render_job(job, as_json=as_json)
    raise typer.Exit(_exit_code(job))


def _render_job(job: Job, *, as_json: bool) -> None:
    if as_json:
        render(job.as_dict(), as_json=True)
    else:
        _job_summary(job)


# -- hone jobs -----------------------------------------------------------------------------------------


@jobs_app.command("list")
@handles_errors
def jobs_list(
    status: str | None = typer.Option(None, "--status", help="Only jobs in this status."),
    limit: int = typer.Option(20, "--limit", "-n", help="At most this many jobs."),
    refresh: bool = typer.Option(
        True, "--refresh/--no-refresh", help="Sync unfinished jobs from their providers first."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Fine-tuning jobs, newest first (unfinished ones are synced from their providers first)."""
    from agenthone.errors import StoreLockedError
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    try:
        wb = Workbench.open(read_only=not refresh)
    except StoreLockedError:
        err.print(markup("[yellow]the store is open for writing elsewhere: showing jobs as last synced[/]"))
        wb, refresh = Workbench.open(read_only=True), False
    with wb:
        jobs = JobManager.open(wb)
        if refresh:
            jobs.refresh_active()
        found = jobs.list(status=status, limit=limit)

    def view() -> RenderableType:
        if not found:
            return "no jobs yet; start one with `hone train --dataset NAME`"
        columns = ("job", "status", "provider", "method", "base model", "dataset", "created", "cost $")
        rows = []
        for j in found:
            cost = j.cost_usd if j.cost_usd is not None else j.estimated_cost_usd
            rows.append(
                [
                    j.job_id,
                    status_text(j.status),
                    j.provider,
                    j.method,
                    _display_model(wb, j.provider, str(j.base_model)),
                    j.dataset_ref,
                    j.created_at.strftime("%Y-%m-%d %H:%M") if j.created_at else "-",
                    f"{cost:.2f}" if cost is not None else "-",
                ]
            )
        return table(
            [
                Column(col, justify="right" if col == "cost $" else "left", no_wrap=col in ("job", "status"))
                for col in columns
            ],
            rows,
            title="Fine-tuning jobs",
        )

    render([j.as_dict() for j in found], as_json=as_json, view=view)


@jobs_app.command("costs")
@handles_errors
def jobs_costs(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Training spend per month, provider and agent, against the monthly budget (local jobs: compute time)."""
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        jobs = JobManager.open(wb)
        frame = jobs.costs()
        budget = wb.settings.monthly_training_budget_usd
        spent = jobs.month_spend()
    rows = json.loads(frame.to_json(orient="records"))
    data = {"monthly_budget_usd": budget, "this_month_usd": spent, "costs": rows}

    def view() -> list[RenderableType]:
        shown: list[RenderableType] = []
        if rows:
            shown.append(
                table(
                    [
                        "month",
                        "provider",
                        "agent",
                        Column("jobs", justify="right"),
                        Column("cost $", justify="right"),
                        Column("running est. $", justify="right"),
                    ],
                    (
                        [
                            r["month"],
                            r["provider"],
                            r["agent"] or "-",
                            r["jobs"],
                            f"{r['cost_usd']:.4f}",
                            f"{r['estimated_usd']:.4f}",
                        ]
                        for r in rows
                    ),
                    title="Training spend",
                )
            )
        else:
            shown.append("no fine-tuning jobs yet")
        cap = (
            f" of the ${budget:,.2f} monthly budget" if budget is not None else " (no monthly_training_budget_usd set)"
        )
        shown.append(markup("this month: ${}{}", f"{spent:,.4f}", cap))
        return shown

    render(data, as_json=as_json, view=view)


@jobs_app.command("show")
@handles_errors
def jobs_show(
    job_id: str | None = typer.Argument(None, help="Job id (or a unique prefix); default: the latest job."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """A job's settings, status, final metrics, quality gate and training-efficiency analysis."""
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        jobs = JobManager.open(wb)
        job = jobs.refresh(job_id)
        final = jobs.final_metrics(job.job_id)
        report = jobs.efficiency(job.job_id)

    def view() -> list[RenderableType]:
        pairs: list[tuple[str, Any]] = [
            ("job", job.job_id),
            (
                "status",
                status_text(job.status) + markup(" ({})", job.provider_status)
                if job.provider_status != job.status
                else status_text(job.status),
            ),
            ("provider", f"{job.provider} (job {job.provider_job_id or '-'})"),
            ("method", job.method),
            ("base model", str(job.base_model)),
            ("fine-tuned model", str(job.fine_tuned_model or "-")),
            ("dataset", f"{job.dataset_ref} (digest {str(job.dataset_digest)[:12]})"),
            ("agent / category", f"{job.agent_name or '-'} / {job.category or '-'}"),
            ("hyperparameters", json.dumps(job.hyperparameters)),
        ]
        cost = f"estimated ${job.estimated_cost_usd or 0:.2f}"
        if job.cost_usd is not None:
            cost += f", actual ${job.cost_usd:.2f}"
        pairs.append(("cost", cost))
        if job.trained_tokens:
            pairs.append(("trained tokens", f"{job.trained_tokens:,}"))
        for key, label in (
            ("train_runtime_s", "runtime s"),
            ("tokens_per_second", "tokens/s"),
            ("peak_rss_mb", "peak RSS MB"),
        ):
            if isinstance(job.details.get(key), (int, float)):
                pairs.append((label, f"{job.details[key]:.1f}"))
        pairs.append(("mlflow run", str(job.mlflow_run_id or "-")))
        if job.error:
            pairs.append(("error", markup("[red]{}[/]", job.error)))
        if job.gate:
            verdict = (
                markup("[green]passed[/]")
                if job.gate.get("passed")
                else markup("[yellow]failed[/]: {}", "; ".join(job.gate.get("reasons") or []))
            )
            pairs.append(("quality gate", verdict))
        shown: list[RenderableType] = [key_values(pairs)]
        if final:
            shown.append(
                table(
                    ["metric", Column("value", justify="right")],
                    ([name, _fmt(value)] for name, value in sorted(final.items())),
                    title="Final metrics",
                )
            )
        shown.append(markup("[bold]Training efficiency[/]"))
        shown.extend(f"  {line}" for line in report.summary())
        return shown

    render({**job.as_dict(), "final_metrics": final, "efficiency": report.as_dict()}, as_json=as_json, view=view)


@jobs_app.command("events")
@handles_errors
def jobs_events(
    job_id: str | None = typer.Argument(None, help="Job id (or a unique prefix); default: the latest job."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Only the last N events."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """A job's event log, oldest first."""
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        jobs = JobManager.open(wb)
        job = jobs.refresh(job_id)
        events = jobs.events(job.job_id)
    if limit:
        events = events.tail(limit)

    def row(r: dict[str, Any]) -> list[Any]:
        style = {"error": "red", "warn": "yellow"}.get(str(r["level"]), "")
        message = markup(f"[{style}]{{}}[/]", r["message"]) if style else str(r["message"])
        return [str(r["created_at"])[:19], str(r["level"]), message]

    render(
        json.loads(events.to_json(orient="records", date_format="iso")),
        as_json=as_json,
        view=lambda: table(
            ["time", "level", "message"],
            (row(r) for r in events.to_dict("records")),
            title=f"Events of {job.job_id}",
        ),
    )


@jobs_app.command("watch")
@handles_errors
def jobs_watch(
    job_id: str | None = typer.Argument(None, help="Job id (or a unique prefix); default: the latest job."),
    as_json: bool = typer.Option(False, "--json", help="Print the final job as one JSON document."),
) -> None:
    """Follow a job until it finishes (resumes after any restart). Exit 0 succeeded, 1 otherwise."""
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        resolved = JobManager.open(wb).get(job_id).job_id
    job = _watch(resolved, quiet=as_json)
    _render_job(job, as_json=as_json)
    raise typer.Exit(_exit_code(job))


@jobs_app.command("cancel")
@handles_errors
def jobs_cancel(
    job_id: str = typer.Argument(..., help="Job id (or a unique prefix)."),
    as_json: bool = typer.Option(False, "--json", help="Print the job as one JSON document."),
) -> None:
    """Ask the provider to stop a job (a local job stops after its current step)."""
    from agenthone.training import JobManager
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        job = JobManager.open(wb).cancel(job_id)
    render(
        job.as_dict(),
        as_json=as_json,
        view=lambda: markup("cancel requested for {}: now ", job.job_id) + status_text(job.status),
    )


# -- hone eval -----------------------------------------------------------------------------------------


def _eval_with_progress(model: str, dataset: str, *, quiet: bool, **kwargs: Any) -> Any:
    return evaluate_with_progress(model, dataset, err, quiet=quiet, **kwargs)


@app.command("eval")
@handles_errors
def eval_command(  # noqa: PLR0917 - Typer options
    model: str = typer.Option(
        ..., "--model", "-m", help="Job id, baseline:JOB, NAME@ALIAS, openai:MODEL, anthropic:MODEL or a model folder."
    ),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Built dataset: NAME or NAME@V."),
    against: str | None = typer.Option(None, "--against", help="A second model to compare with, on the same examples."),
    split: str = typer.Option("test", "--split", help="Split to evaluate on."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Only the first N examples."),
    judge: str | None = typer.Option(
        None, "--judge", help="LLM judge, e.g. openai:gpt-4o-mini or anthropic:claude-haiku-4-5."
    ),
    max_new_tokens: int | None = typer.Option(
        None, "--max-new-tokens", help="Generation length (default: from the references)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as one JSON document."),
    tool_turns: bool = typer.Option(
        False, "--tool-turns", help="Also score every turn where the assistant called tools (tool-call accuracy)."
    ),
) -> None:
    """Score a model against the human-approved references of a dataset split (results go to MLflow).

    With --against, both models are scored on the same examples and compared per metric: bootstrap CI
    of the mean difference and a sign test. Exit codes: 0 done; 2 bad model, dataset or option.
    """
    from agenthone.config import Settings
    from agenthone.evaluation import compare_all
    from agenthone.store import Store

    settings = Settings.load()
    with Store.open(settings, read_only=True) as store:
        common = {"split": split, "limit": limit, "judge": judge, "max_new_tokens": max_new_tokens,
                  "settings": settings, "store": store, "tool_turns": tool_turns}  # fmt: skip
        result = _eval_with_progress(model, dataset, quiet=as_json, **common)
        other = _eval_with_progress(against, dataset, quiet=as_json, **common) if against else None
    table_cmp = compare_all(result, other, settings=settings, log_to_mlflow=True) if other is not None else None
    doc: dict[str, Any] = {"model": result.as_dict()}
    if other is not None and table_cmp is not None:
        doc["against"] = other.as_dict()
        doc["comparison"] = json.loads(table_cmp.to_json(orient="records"))

    def view() -> list[RenderableType]:
        columns: list[str | Column] = ["metric", Column(result.model, justify="right")]
        if other is not None:
            columns += [
                Column(other.model, justify="right"),
                Column("difference [95% CI]", justify="right"),
                Column("sign test p", justify="right"),
            ]
        rows = {r["metric"]: r for r in (table_cmp.to_dict("records") if table_cmp is not None else [])}
        cells_by_metric = []
        for name in ("exact_match", "edit_similarity", "chrf", "token_f1", "length_ratio", "judge_score",
                     "tool_name_match", "tool_call_match"):  # fmt: skip
            if name not in result.metrics:
                continue
            cells: list[Any] = [name, f"{result.metrics[name]:.4f}"]
            if other is not None:
                cells.append(f"{other.metrics.get(name, float('nan')):.4f}")
                r = rows.get(name)
                if r:
                    style = (
                        "green"
                        if r["significant"] and r["mean_difference"] > 0
                        else ("red" if r["significant"] else "")
                    )
                    text = f"{r['mean_difference']:+.4f} [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]"
                    cells += [markup(f"[{style}]{{}}[/]", text) if style else text, f"{r['p_value']:.3g}"]
                else:
                    cells += ["-", "-"]
            cells_by_metric.append(cells)
        return [
            table(
                columns,
                cells_by_metric,
                title=f"Evaluation on {result.dataset} ({split}, {len(result.examples)} examples)",
            ),
            f"{result.examples_per_second:.1f} examples/s; MLflow run {result.run_id}",
        ]

    render(doc, as_json=as_json, view=view)


# -- hone models -----------------------------------------------------------------------------------------


@models_app.command("list")
@handles_errors
def models_list(
    name: str | None = typer.Argument(None, help="Only versions of this registered model."),
    include_archived: bool = typer.Option(False, "--all", help="Include archived versions."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Registered model versions with their aliases, source job, dataset and evaluation scores."""
    from agenthone.config import Settings
    from agenthone.registry import list_versions

    versions = list_versions(name, include_archived=include_archived, settings=Settings.load())
    columns = ("model", "version", "aliases", "job", "provider", "dataset", "edit sim.", "gate", "state")
    render(
        [v.as_dict() for v in versions],
        as_json=as_json,
        view=lambda: (
            table(
                [Column(col, no_wrap=col in ("job", "aliases")) for col in columns],
                (
                    [
                        v.name,
                        v.version,
                        ", ".join(v.aliases) or "-",
                        v.job_id or "-",
                        v.provider or "-",
                        v.dataset or "-",
                        v.tags.get("eval.edit_similarity", "-"),
                        v.tags.get("quality_gate", "-"),
                        markup("[dim]archived[/]") if v.archived else "active",
                    ]
                    for v in versions
                ),
                title="Registered models",
            )
            if versions
            else "no registered models yet; register a job's model with `hone models register JOB`"
        ),
    )


@models_app.command("base")
@handles_errors
def models_base(
    provider: str = typer.Option("local", "--provider", "-p", help="local | openai | anthropic."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Models a provider can fine-tune, with their methods and training price."""
    from dataclasses import asdict

    from agenthone.config import Settings
    from agenthone.providers import FineTuner, get_provider

    prov = get_provider(provider, settings=Settings.load())
    found = prov.list_base_models() if isinstance(prov, FineTuner) else []

    def view() -> RenderableType:
        if not found:
            return prov.fine_tuning_hint or f"{provider} lists no fine-tunable models"
        return table(
            ["model", "methods", "$ per 1M training tokens", "note"],
            (
                [
                    m.id,
                    ", ".join(m.methods),
                    "-" if m.usd_per_million_training_tokens is None else f"{m.usd_per_million_training_tokens:g}",
                    m.note,
                ]
                for m in found
            ),
            title=f"Fine-tunable with {provider}",
        )

    render([asdict(m) for m in found], as_json=as_json, view=view)


@models_app.command("register")
@handles_errors
def models_register(
    job_id: str | None = typer.Argument(None, help="Job id (or a unique prefix); default: the latest job."),
    name: str | None = typer.Option(None, "--name", help="Registered model name (default: the dataset's name)."),
    alias: str | None = typer.Option(None, "--alias", help="Also point this alias at the new version (e.g. champion)."),
    force: bool = typer.Option(False, "--force", help="Register even though the job failed its quality gate."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Register a succeeded job's model as a new version (local files, or a remote model id).

    Exit codes: 0 registered; 2 refused (job not succeeded, or failed its quality gate without --force).
    """
    from agenthone.registry import register
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        info = register(job_id, name=name, alias=alias, force=force, store=wb.store, settings=wb.settings)
    aliases = f" ({', '.join('@' + a for a in info.aliases)})" if info.aliases else ""
    render(
        info.as_dict(),
        as_json=as_json,
        view=[
            f"registered {info.name} version {info.version}{aliases} from job {info.job_id}",
            f"  load it with mlflow.pyfunc.load_model('{info.uri}')",
        ],
    )


@models_app.command("alias")
@handles_errors
def models_alias(
    name: str = typer.Argument(..., help="Registered model name."),
    alias: str = typer.Argument(..., help="Alias, e.g. champion or challenger."),
    version: str | None = typer.Argument(None, help="Version to point the alias at."),
    remove: bool = typer.Option(False, "--remove", help="Remove the alias instead."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Point NAME@ALIAS at a version (or remove it with --remove)."""
    from agenthone.config import Settings
    from agenthone.registry import remove_alias, set_alias

    settings = Settings.load()
    if remove:
        remove_alias(name, alias, settings=settings)
        render({"name": name, "alias": alias, "removed": True}, as_json=as_json, view=f"removed {name}@{alias}")
        return
    if version is None:
        raise fail("give the VERSION to point the alias at (or --remove)")
    info = set_alias(name, alias, version, settings=settings)
    render(info.as_dict(), as_json=as_json, view=f"{name}@{alias} -> version {info.version}")


@models_app.command("deploy")
@handles_errors
def models_deploy(
    agent: str = typer.Argument(..., help="Agent that will use the model."),
    model: str = typer.Argument(..., help="NAME@ALIAS or NAME/VERSION."),
    note: str | None = typer.Option(None, "--note", help="Why (kept in the deployment history)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Record that AGENT uses MODEL from now on (the alias is resolved to its version now)."""
    from agenthone.registry import deploy, deployments
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        row = deploy(agent, model, store=wb.store, settings=wb.settings, note=note)
        history = deployments(agent, store=wb.store)
    lines = [f"{agent} now uses {row.model_name} version {row.version} ({row.model_uri})"]
    if len(history) > 1:
        prev = history.iloc[1]
        lines.append(f"  before: {prev['model_name']} version {prev['version']} since {str(prev['deployed_at'])[:19]}")
    render(row.as_dict(), as_json=as_json, view=lines)


@models_app.command("deployments")
@handles_errors
def models_deployments(
    agent: str | None = typer.Argument(None, help="Only this agent."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Which model version each agent used, from when until when."""
    from agenthone.registry import deployments
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        history = deployments(agent, store=wb.store)

    def row(r: dict[str, Any]) -> list[Any]:
        until = r.get("until")
        return [
            r["agent_name"], r["model_name"], str(r["version"]), r.get("alias") or "-",
            str(r["deployed_at"])[:19], str(until)[:19] if until is not None and str(until) != "NaT" else "now",
        ]  # fmt: skip

    render(
        json.loads(history.to_json(orient="records", date_format="iso")),
        as_json=as_json,
        view=lambda: table(
            ["agent", "model", "version", "alias", "from", "until"],
            (row(r) for r in history.to_dict("records")),
            title="Deployments",
        ),
    )


@models_app.command("impact")
@handles_errors
def models_impact(
    name: str = typer.Argument(..., help="Registered model: NAME, NAME/VERSION or NAME@ALIAS."),
    agent: str | None = typer.Option(None, "--agent", "-a", help="Agent (default: the one NAME was last deployed to)."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD: compare around this date, not the deployment."),
    days: int = typer.Option(14, "--days", min=1, help="Days compared on each side."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Did the agent do better after NAME was deployed, net of the agents that changed nothing meanwhile?"""
    from agenthone.experiments._impact import deployment_impact
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        report = deployment_impact(wb.store, name, agent=agent, at=date, days=days)
    render(report.as_dict(), as_json=as_json, view=lambda: _impact_view(report))


def _impact_view(report: Any) -> list[RenderableType]:
    """Per metric: before, after, the change and the DiD with intervals (rates in points, cost per 1k runs)."""
    import math

    from rich import box

    from agenthone._views import pct

    def number(v: float, signed: bool = False) -> str:
        sign = "+" if signed else ""
        return f"{v:{sign},.0f}" if abs(v) >= 100 else f"{v:{sign}.3g}"

    def scale(m: Any) -> float:
        return 1000.0 if m.metric == "cost_usd" else 1.0

    def value(m: Any, v: float) -> str:
        if math.isnan(v):
            return "-"
        return pct(v) if m.kind == "proportion" else number(v * scale(m))

    def interval(m: Any, est: float, low: float, high: float) -> str:
        if math.isnan(est):
            return "-"
        if m.kind == "proportion":
            return f"{est * 100:+.1f} [{low * 100:+.1f}, {high * 100:+.1f}]"
        k = scale(m)
        return f"{number(est * k, True)} [{number(low * k, True)}, {number(high * k, True)}]"

    colours = {"better": "green", "worse": "red"}
    rows = [
        [
            "cost_usd/1k" if m.metric == "cost_usd" else m.metric,
            f"{m.n_before:,}/{m.n_after:,}",
            value(m, m.before),
            value(m, m.after),
            interval(m, m.change, m.change_low, m.change_high),
            interval(m, m.did, m.did_low, m.did_high),
            "-" if math.isnan(m.did_p) else f"{m.did_p:.2g}",
            markup(f"[{colours.get(m.verdict, 'white')}]{{}}[/]", m.verdict),
        ]
        for m in report.metrics
    ]
    title = markup("{} around {}", report.agent, report.at.strftime("%Y-%m-%d %H:%M UTC"))
    if report.deployment:
        d = report.deployment
        title = markup(
            "{}: {} version {} deployed {}", report.agent, d["model_name"], d["version"], d["deployed_at"][:16]
        )
    caption = (
        f"{report.days} days before vs after; DiD = the agent's change minus the mean change of "
        f"{len(report.controls)} unchanged agents ({len(report.excluded)} that changed left out); "
        f"{100 * (1 - report.alpha):.0f}% intervals; rates change in points, cost in $ per 1,000 runs"
    )
    right = {"justify": "right", "no_wrap": True}
    out: list[RenderableType] = [
        table(
            [
                Column("metric", no_wrap=True),
                Column("n", **right),  # type: ignore[arg-type]
                Column("before", **right),  # type: ignore[arg-type]
                Column("after", **right),  # type: ignore[arg-type]
                Column("change [CI]", **right),  # type: ignore[arg-type]
                Column("DiD [CI]", **right),  # type: ignore[arg-type]
                Column("p (DiD)", **right),  # type: ignore[arg-type]
                Column("verdict", no_wrap=True),
            ],
            rows,
            title=title,
            caption=caption,
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
    ]
    out.extend(markup("[yellow]note:[/] {}", note) for note in report.notes)
    return out


@models_app.command("archive")
@handles_errors
def models_archive(
    name: str = typer.Argument(..., help="Registered model name."),
    version: str = typer.Argument(..., help="Version to archive."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Retire a version: its aliases are removed and it can no longer be deployed."""
    from agenthone.registry import archive
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        info = archive(name, version, settings=wb.settings, store=wb.store)
    render(info.as_dict(), as_json=as_json, view=f"archived {name} version {info.version}")


def _display_model(wb: Workbench, provider: str, model: str) -> str:
    """A model as its provider shortens it for tables (a local folder by its name)."""
    from agenthone.errors import HoneError

    try:
        return str(wb.fine_tuner(provider).display_model(model))
    except HoneError:  # a provider no longer installed: show the id as stored
        return model
