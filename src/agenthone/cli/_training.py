"""``hone train``, ``hone jobs ...``, ``hone eval`` and ``hone models ...``: fine-tune, evaluate, register."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from agenthone.cli._app import app, console, err, fail, handles_errors, print_json, sub_app

if TYPE_CHECKING:
    from agenthone.cli._demo import DemoState
    from agenthone.training import Job

jobs_app = sub_app("jobs", "Fine-tuning jobs: list, show, events, watch, cancel.")
models_app = sub_app("models", "The model registry: list, register, alias, deploy, archive.")

_STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "failed_gate": "yellow",
    "cancelled": "dim",
    "running": "cyan",
    "queued": "blue",
    "validating_files": "blue",
}


def _status(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]"


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agenthone.config import Settings
    from agenthone.training import watch_job

    settings = Settings.load()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(job_id, total=None, info="")

        def update(job: Job) -> None:
            details = job.details
            total = details.get("total_steps")
            step = details.get("step") or 0
            info = _status(job.status)
            if "train_loss" in details:
                info += f" loss {details['train_loss']:.3f}"
            bar.update(task, total=total, completed=step, info=info)

        try:
            return watch_job(job_id, settings=settings, on_update=update)
        except KeyboardInterrupt:
            bar.stop()
            err.print(f"stopped watching; job {job_id} goes on in the background (`hone jobs watch {job_id}`)")
            raise typer.Exit(130) from None


def _job_summary(job: Job) -> None:
    console.print(f"job {job.job_id}: {_status(job.status)}", soft_wrap=True)
    if job.fine_tuned_model:
        console.print(f"  model    {job.fine_tuned_model}", soft_wrap=True)
    if job.error:
        err.print(f"  [red]error[/] {job.error}", soft_wrap=True)
    if job.gate and not job.gate.get("passed", True):
        err.print("  [yellow]quality gate failed:[/] " + "; ".join(job.gate.get("reasons") or []), soft_wrap=True)


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
            if as_json:
                print_json(estimate.as_dict())
            else:
                console.print(
                    f"estimated cost ${estimate.usd:,.2f}: {estimate.billed_tokens:,} billed tokens "
                    f"({estimate.dataset_tokens:,} x {estimate.epochs} epochs) for {estimate.base_model}; "
                    f"{estimate.basis}"
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
        )
    if not as_json:
        console.print(
            f"submitted {job.job_id}: {job.provider} {job.method} of {job.base_model} on {job.dataset_ref} "
            f"(estimated ${job.estimated_cost_usd or 0:.2f})",
            soft_wrap=True,
        )
    if not wait:
        if as_json:
            print_json(job.as_dict())
        else:
            console.print(f"follow it with: hone jobs watch {job.job_id}")
        return
    job = _watch(job.job_id, quiet=as_json)
    if as_json:
        print_json(job.as_dict())
    else:
        _job_summary(job)
    raise typer.Exit(_exit_code(job))


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
        err.print("[yellow]the store is open for writing elsewhere: showing jobs as last synced[/]")
        wb, refresh = Workbench.open(read_only=True), False
    with wb:
        jobs = JobManager.open(wb)
        if refresh:
            jobs.refresh_active()
        found = jobs.list(status=status, limit=limit)
    if as_json:
        print_json([j.as_dict() for j in found])
        return
    if not found:
        console.print("no jobs yet; start one with `hone train --dataset NAME`")
        return
    table = Table(title="Fine-tuning jobs", title_justify="left")
    for col in ("job", "status", "provider", "method", "base model", "dataset", "created", "cost $"):
        table.add_column(col, justify="right" if col == "cost $" else "left", no_wrap=col in ("job", "status"))
    for j in found:
        cost = j.cost_usd if j.cost_usd is not None else j.estimated_cost_usd
        table.add_row(
            j.job_id,
            _status(j.status),
            j.provider,
            j.method,
            Path(str(j.base_model)).name if j.provider == "local" else str(j.base_model),
            j.dataset_ref,
            j.created_at.strftime("%Y-%m-%d %H:%M") if j.created_at else "-",
            f"{cost:.2f}" if cost is not None else "-",
        )
    console.print(table)


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
    if as_json:
        print_json({**job.as_dict(), "final_metrics": final, "efficiency": report.as_dict()})
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("job", job.job_id)
    table.add_row(
        "status", _status(job.status) + (f" ({job.provider_status})" if job.provider_status != job.status else "")
    )
    table.add_row("provider", f"{job.provider} (job {job.provider_job_id or '-'})")
    table.add_row("method", job.method)
    table.add_row("base model", str(job.base_model))
    table.add_row("fine-tuned model", str(job.fine_tuned_model or "-"))
    table.add_row("dataset", f"{job.dataset_ref} (digest {str(job.dataset_digest)[:12]})")
    table.add_row("agent / category", f"{job.agent_name or '-'} / {job.category or '-'}")
    table.add_row("hyperparameters", json.dumps(job.hyperparameters))
    cost = f"estimated ${job.estimated_cost_usd or 0:.2f}"
    if job.cost_usd is not None:
        cost += f", actual ${job.cost_usd:.2f}"
    table.add_row("cost", cost)
    if job.trained_tokens:
        table.add_row("trained tokens", f"{job.trained_tokens:,}")
    for key, label in (
        ("train_runtime_s", "runtime s"),
        ("tokens_per_second", "tokens/s"),
        ("peak_rss_mb", "peak RSS MB"),
    ):
        if isinstance(job.details.get(key), (int, float)):
            table.add_row(label, f"{job.details[key]:.1f}")
    table.add_row("mlflow run", str(job.mlflow_run_id or "-"))
    if job.error:
        table.add_row("error", f"[red]{job.error}[/]")
    if job.gate:
        verdict = (
            "[green]passed[/]"
            if job.gate.get("passed")
            else "[yellow]failed[/]: " + "; ".join(job.gate.get("reasons") or [])
        )
        table.add_row("quality gate", verdict)
    console.print(table)
    if final:
        metrics = Table(title="Final metrics", title_justify="left")
        metrics.add_column("metric")
        metrics.add_column("value", justify="right")
        for name, value in sorted(final.items()):
            metrics.add_row(name, _fmt(value))
        console.print(metrics)
    console.print("[bold]Training efficiency[/]")
    for line in report.summary():
        console.print(f"  {line}", soft_wrap=True)


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
    if as_json:
        print_json(json.loads(events.to_json(orient="records", date_format="iso")))
        return
    table = Table(title=f"Events of {job.job_id}", title_justify="left")
    for col in ("time", "level", "message"):
        table.add_column(col)
    for r in events.to_dict("records"):
        style = {"error": "red", "warn": "yellow"}.get(str(r["level"]), "")
        message = f"[{style}]{r['message']}[/]" if style else str(r["message"])
        table.add_row(str(r["created_at"])[:19], str(r["level"]), message)
    console.print(table)


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
    if as_json:
        print_json(job.as_dict())
    else:
        _job_summary(job)
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
    if as_json:
        print_json(job.as_dict())
    else:
        console.print(f"cancel requested for {job.job_id}: now {_status(job.status)}")


# -- hone eval -----------------------------------------------------------------------------------------


def _eval_with_progress(model: str, dataset: str, *, quiet: bool, **kwargs: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agenthone.evaluation import evaluate

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(f"evaluating {model}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return evaluate(model, dataset, progress=progress, **kwargs)


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
                  "settings": settings, "store": store}  # fmt: skip
        result = _eval_with_progress(model, dataset, quiet=as_json, **common)
        other = _eval_with_progress(against, dataset, quiet=as_json, **common) if against else None
    table_cmp = compare_all(result, other, settings=settings, log_to_mlflow=True) if other is not None else None
    if as_json:
        doc: dict[str, Any] = {"model": result.as_dict()}
        if other is not None and table_cmp is not None:
            doc["against"] = other.as_dict()
            doc["comparison"] = json.loads(table_cmp.to_json(orient="records"))
        print_json(doc)
        return
    table = Table(
        title=f"Evaluation on {result.dataset} ({split}, {len(result.examples)} examples)", title_justify="left"
    )
    table.add_column("metric")
    table.add_column(result.model, justify="right")
    if other is not None:
        table.add_column(other.model, justify="right")
        table.add_column("difference [95% CI]", justify="right")
        table.add_column("sign test p", justify="right")
    rows = {r["metric"]: r for r in (table_cmp.to_dict("records") if table_cmp is not None else [])}
    for name in ("exact_match", "edit_similarity", "chrf", "token_f1", "length_ratio", "judge_score"):
        if name not in result.metrics:
            continue
        cells = [name, f"{result.metrics[name]:.4f}"]
        if other is not None:
            cells.append(f"{other.metrics.get(name, float('nan')):.4f}")
            r = rows.get(name)
            if r:
                style = (
                    "green" if r["significant"] and r["mean_difference"] > 0 else ("red" if r["significant"] else "")
                )
                text = f"{r['mean_difference']:+.4f} [{r['ci_low']:+.4f}, {r['ci_high']:+.4f}]"
                cells += [f"[{style}]{text}[/]" if style else text, f"{r['p_value']:.3g}"]
            else:
                cells += ["-", "-"]
        table.add_row(*cells)
    console.print(table)
    console.print(f"{result.examples_per_second:.1f} examples/s; MLflow run {result.run_id}")


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
    if as_json:
        print_json([v.as_dict() for v in versions])
        return
    if not versions:
        console.print("no registered models yet; register a job's model with `hone models register JOB`")
        return
    table = Table(title="Registered models", title_justify="left")
    for col in ("model", "version", "aliases", "job", "provider", "dataset", "edit sim.", "gate", "state"):
        table.add_column(col, no_wrap=col in ("job", "aliases"))
    for v in versions:
        table.add_row(
            v.name,
            v.version,
            ", ".join(v.aliases) or "-",
            v.job_id or "-",
            v.provider or "-",
            v.dataset or "-",
            v.tags.get("eval.edit_similarity", "-"),
            v.tags.get("quality_gate", "-"),
            "[dim]archived[/]" if v.archived else "active",
        )
    console.print(table)


@models_app.command("base")
@handles_errors
def models_base(
    provider: str = typer.Option("local", "--provider", "-p", help="local | openai | anthropic."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Models a provider can fine-tune, with their methods and training price."""
    from dataclasses import asdict

    from agenthone.config import Settings
    from agenthone.providers import NO_FINE_TUNING, get_provider

    found = get_provider(provider, settings=Settings.load()).list_base_models()
    if as_json:
        print_json([asdict(m) for m in found])
        return
    if not found:
        console.print(NO_FINE_TUNING if provider == "anthropic" else f"{provider} lists no fine-tunable models")
        return
    table = Table(title=f"Fine-tunable with {provider}", title_justify="left")
    for col in ("model", "methods", "$ per 1M training tokens", "note"):
        table.add_column(col)
    for m in found:
        price = "-" if m.usd_per_million_training_tokens is None else f"{m.usd_per_million_training_tokens:g}"
        table.add_row(m.id, ", ".join(m.methods), price, m.note)
    console.print(table)


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
    if as_json:
        print_json(info.as_dict())
    else:
        aliases = f" ({', '.join('@' + a for a in info.aliases)})" if info.aliases else ""
        console.print(f"registered {info.name} version {info.version}{aliases} from job {info.job_id}")
        console.print(f"  load it with mlflow.pyfunc.load_model('{info.uri}')")


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
        if as_json:
            print_json({"name": name, "alias": alias, "removed": True})
        else:
            console.print(f"removed {name}@{alias}")
        return
    if version is None:
        raise fail("give the VERSION to point the alias at (or --remove)")
    info = set_alias(name, alias, version, settings=settings)
    if as_json:
        print_json(info.as_dict())
    else:
        console.print(f"{name}@{alias} -> version {info.version}")


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
    if as_json:
        print_json(row.as_dict())
        return
    console.print(f"{agent} now uses {row.model_name} version {row.version} ({row.model_uri})")
    if len(history) > 1:
        prev = history.iloc[1]
        console.print(f"  before: {prev['model_name']} version {prev['version']} since {str(prev['deployed_at'])[:19]}")


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
    if as_json:
        print_json(json.loads(history.to_json(orient="records", date_format="iso")))
        return
    table = Table(title="Deployments", title_justify="left")
    for col in ("agent", "model", "version", "alias", "from", "until"):
        table.add_column(col)
    for r in history.to_dict("records"):
        until = r.get("until")
        table.add_row(
            r["agent_name"], r["model_name"], str(r["version"]), r.get("alias") or "-",
            str(r["deployed_at"])[:19], str(until)[:19] if until is not None and str(until) != "NaT" else "now",
        )  # fmt: skip
    console.print(table)


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
    if as_json:
        print_json(info.as_dict())
    else:
        console.print(f"archived {name} version {info.version}")


# -- demo ----------------------------------------------------------------------------------------------

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


def _demo_train(state: DemoState) -> None:
    from agenthone.training import JobManager

    ref = state.extras.get("dataset")
    if not ref:
        console.print("no demo dataset was built; skipping fine-tuning")
        return
    jobs = JobManager.open(state.wb)
    job = jobs.submit(ref, provider="local", hyperparameters=DEMO_TRAINING, seed=state.seed)
    console.print(f"submitted {job.job_id} (local sft of a small model built from a config) on {ref}")
    state.wb.store.close()  # the watcher opens the store only while it syncs
    try:
        job = _watch(job.job_id, quiet=False)
    finally:
        from agenthone.workbench import Workbench

        state.wb = Workbench.open(state.wb.settings.home)
    jobs = JobManager.open(state.wb)
    _job_summary(job)
    for line in jobs.efficiency(job.job_id).summary():
        console.print(f"  {line}")
    if job.status not in ("succeeded", "failed_gate"):
        state.failures.append(f"demo fine-tuning job {job.job_id} ended {job.status}: {job.error}")
        return
    state.extras["job_id"] = job.job_id


def _demo_evaluate(state: DemoState) -> None:
    from agenthone.evaluation import compare_all

    job_id = state.extras.get("job_id")
    ref = state.extras.get("dataset")
    if not job_id or not ref:
        console.print("no fine-tuned model; skipping evaluation")
        return
    kwargs = {"limit": DEMO_EVAL_EXAMPLES, "max_new_tokens": DEMO_MAX_NEW_TOKENS, "settings": state.wb.settings,
              "store": state.wb.store}  # fmt: skip
    tuned = _eval_with_progress(job_id, ref, quiet=False, **kwargs)
    base = _eval_with_progress(f"baseline:{job_id}", ref, quiet=False, **kwargs)
    table = compare_all(tuned, base, settings=state.wb.settings, log_to_mlflow=True)
    for r in table.to_dict("records"):
        console.print(
            f"  {r['metric']:<16} tuned {r['candidate_mean']:.3f}  untrained {r['baseline_mean']:.3f}  "
            f"diff {r['mean_difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]  p={r['p_value']:.2g}"
        )
    sim = table.set_index("metric").loc["edit_similarity"]
    if not (sim["significant"] and sim["mean_difference"] > 0):
        state.failures.append("the fine-tuned demo model is not better than the untrained baseline on edit similarity")


def _demo_register(state: DemoState) -> None:
    from agenthone.registry import deploy, register
    from agenthone.training import JobManager

    job_id = state.extras.get("job_id")
    if not job_id:
        console.print("no fine-tuned model; skipping registration")
        return
    info = register(job_id, name=DEMO_MODEL_NAME, alias="champion", store=state.wb.store, settings=state.wb.settings)
    console.print(f"registered {info.name} version {info.version} as @champion ({info.uri})")
    job = JobManager.open(state.wb).get(job_id)
    agent = job.agent_name or ""
    if agent and "," not in agent:
        row = deploy(agent, f"{info.name}@champion", store=state.wb.store, settings=state.wb.settings, note="hone demo")
        console.print(f"deployed {row.model_uri} to agent {agent}")
    else:
        console.print(f"the dataset spans several agents; deploy with `hone models deploy AGENT {info.name}@champion`")
    state.extras["model_version"] = info.uri


def _demo_reports(state: DemoState) -> None:
    from agenthone.cli._demo import run_report_step

    if not state.extras.get("job_id"):
        console.print("no fine-tuning job; skipping the training reports")
        return
    run_report_step(state, "training_run", {"job_id": state.extras["job_id"]})
    run_report_step(state, "model_comparison", {})


DEMO_STEPS = [
    ("Fine-tune a local model", _demo_train),
    ("Evaluate against the untrained baseline", _demo_evaluate),
    ("Register the champion and deploy it", _demo_register),
    ("Reports: training run and model comparison", _demo_reports),
]
