"""``hone tune``: hyperparameter search over fine-tuning jobs; ``hone tune show|studies|advise`` read studies back."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import RenderableType
from rich.table import Column

from agenthone.cli._app import app, err, handles_errors, key_values, markup, render, say, table

tune_app = typer.Typer(
    name="tune",
    help="Hyperparameter search with Optuna over fine-tuning jobs (pruning, budgets, MLflow runs, advice).",
    invoke_without_command=True,
    rich_markup_mode="rich",
)
app.add_typer(tune_app, name="tune")


def _parse_config(text: str) -> dict[str, Any]:
    """An enqueued configuration: a JSON object, or ``name=value,name=value``."""
    from agenthone.errors import ConfigError

    text = text.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--enqueue {text!r}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise ConfigError(f"--enqueue {text!r}: expected a JSON object")
        return value
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, raw = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--enqueue {text!r}: write name=value,name=value or a JSON object")
        try:
            out[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[name.strip()] = raw.strip()
    return out


@tune_app.callback()
@handles_errors
def tune(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    dataset: str | None = typer.Option(None, "--dataset", "-d", help="Built dataset: NAME (latest) or NAME@V."),
    provider: str = typer.Option("local", "--provider", "-p", help="local | openai."),
    method: str = typer.Option("sft", "--method", help="sft | dpo."),
    trials: int | None = typer.Option(None, "--trials", "-n", help="Trials to run (with --worker: in the study)."),
    timeout: float | None = typer.Option(None, "--timeout", help="Stop launching trials after this many seconds."),
    max_cost: float | None = typer.Option(
        None, "--max-cost", help="Cap on the study's total cost in USD: a trial that would cross it is not launched."
    ),
    objective: str | None = typer.Option(
        None,
        "--objective",
        help="valid_loss | validation_token_accuracy | edit_similarity | chrf | exact_match | cost | latency; "
        "several, comma-separated, search for the Pareto front.",
    ),
    study: str | None = typer.Option(
        None, "--study", help="Study name (default DATASET-PROVIDER-METHOD); an existing study resumes."
    ),
    spec: Path | None = typer.Option(
        None, "--spec", help="TOML spec file: \\[space.NAME], \\[fixed], objective, pruner."
    ),
    storage: str | None = typer.Option(
        None, "--storage", help="Optuna storage URL (default optuna_storage), e.g. postgresql://USER@HOST/DB."
    ),
    worker: bool = typer.Option(
        False, "--worker", help="Join the study and run trials until it holds --trials (one per machine)."
    ),
    pruner: str | None = typer.Option(
        None, "--pruner", help="median | hyperband | successive_halving | wilcoxon | percentile | none."
    ),
    sampler: str | None = typer.Option(None, "--sampler", help="tpe (default) | random | nsga2 | gp."),
    enqueue: list[str] = typer.Option(
        [], "--enqueue", help="A configuration to try first: name=value,... or JSON (repeatable)."
    ),
    warm_start: bool = typer.Option(
        False, "--warm-start", help="Search the space `hone tune advise` proposes and enqueue its configurations."
    ),
    register_best: str | None = typer.Option(
        None, "--register-best", metavar="NAME", help="Register the best trial's model as NAME@challenger."
    ),
    base_model: str | None = typer.Option(None, "--base-model", "-m", help="Model to fine-tune (default: provider's)."),
    fixed: list[str] = typer.Option(
        [], "--set", help="A hyperparameter every trial shares: name=value (repeatable), e.g. max_steps=200."
    ),
    eval_examples: int | None = typer.Option(
        None, "--eval-examples", help="Validation examples generated per trial for evaluation objectives."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Sampler and training seed."),
    base_url: str | None = typer.Option(None, "--base-url", help="openai: an OpenAI-compatible service's URL."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON document."),
) -> None:
    """Search hyperparameters: each trial is a tracked fine-tuning job nested under the study's MLflow run.

    Losing trials are pruned from their validation curves (a local trial's process is stopped; a remote job
    is cancelled). Exit codes: 0 done; 1 no trial completed; 2 refused (bad option, budget); 130 interrupted.
    """
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        say(ctx.get_help())
        raise typer.Exit(0)
    from agenthone.workbench import Workbench

    options = {"base_url": base_url} if base_url else None
    configs = [_parse_config(e) for e in enqueue]
    shared: dict[str, Any] = {}
    for item in fixed:
        shared.update(_parse_config(item))

    def progress(trial: Any) -> None:
        if as_json:
            return
        values = ", ".join(f"{v:.4g}" for v in (trial.values or []))
        note = trial.user_attrs.get("not_launched") or trial.user_attrs.get("error") or ""
        step = trial.user_attrs.get("pruned_at_step")
        extra = f" at step {step}" if step is not None else ""
        err.print(markup("trial {} {}{} {} {}", trial.number, trial.state.name.lower(), extra, values, note[:160]))

    with Workbench.open() as wb:
        result = wb.tuner.run(
            dataset,
            provider=provider,
            method=method,
            trials=trials,
            timeout=timeout,
            objective=objective,
            study=study,
            spec=spec,
            storage=storage,
            max_cost_usd=max_cost,
            pruner=pruner,
            sampler=sampler,
            enqueue=configs,
            worker=worker,
            warm_start=warm_start,
            register_best=register_best,
            base_model=base_model,
            fixed=shared,
            eval_examples=eval_examples,
            seed=seed,
            provider_options=options,
            on_trial=progress,
        )
    render(result.as_dict(), as_json=as_json, view=lambda: "\n".join(result.summary()))
    raise typer.Exit(0 if result.best is not None or worker else 1)


@tune_app.command("show")
@handles_errors
def tune_show(
    study: str = typer.Argument(..., help="Study name (see `hone tune studies`)."),
    storage: str | None = typer.Option(None, "--storage", help="Optuna storage URL (default optuna_storage)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """A study's trials, best trial, parameter importances and Pareto front."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        report = wb.tuner.show(study, storage=storage)
        url = storage or wb.settings.optuna_storage

    def view() -> list[RenderableType]:
        names = report["objectives"]
        params = sorted({k for t in report["trials"] for k in t if k.startswith("param.")})
        columns = ["trial", "state", *names, *(p.removeprefix("param.") for p in params), "cost $", "compute s", "job"]
        rows = []
        for t in report["trials"]:
            rows.append(
                [t["number"], str(t["state"]).lower(), *(_fmt(t.get(n)) for n in names),
                 *(_fmt(t.get(p)) for p in params), _fmt(t.get("cost_usd")), _fmt(t.get("compute_s")),
                 t.get("job_id") or "-"]
            )  # fmt: skip
        shown: list[RenderableType] = [
            key_values(
                [
                    ("study", report["study"]),
                    ("dataset", str(report["dataset"])),
                    ("objectives", ", ".join(f"{n} ({d})" for n, d in zip(names, report["directions"], strict=False))),
                    ("trials", ", ".join(f"{n} {s.lower()}" for s, n in report["states"].items())),
                    ("total cost", f"${report['total_cost_usd']:.4f} ({report['total_compute_s']:.0f} compute s)"),
                    ("mlflow parent run", str(report["parent_run_id"] or "-")),
                ]
            ),
            table([Column(c, justify="right") if c != "job" else c for c in columns], rows, title="Trials"),
        ]
        best = report["best"]
        if best:
            values = ", ".join(f"{k} {v:.4g}" for k, v in best["values"].items())
            shown.append(markup("best: trial {} ({}), job {}", best["number"], values, best["job_id"]))
        if report["importances"]:
            shown.append(
                table(
                    ["parameter", Column("importance", justify="right")],
                    ([k, f"{v:.3f}"] for k, v in report["importances"].items()),
                    title="Parameter importances",
                )
            )
        if report["pareto"]:
            shown.append(markup("Pareto front: trials {}", ", ".join(str(p["number"]) for p in report["pareto"])))
        shown.append(markup("[dim]live view: optuna-dashboard {}[/]", url))
        return shown

    render(report, as_json=as_json, view=view)


@tune_app.command("studies")
@handles_errors
def tune_studies(
    storage: str | None = typer.Option(None, "--storage", help="Optuna storage URL (default optuna_storage)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Studies in the storage."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        frame = wb.tuner.studies(storage=storage)
    render(json.loads(frame.to_json(orient="records")), as_json=as_json)


@tune_app.command("advise")
@handles_errors
def tune_advise(  # noqa: PLR0917 - Typer options
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset name the new study will tune on."),
    provider: str | None = typer.Option(None, "--provider", "-p", help="Only studies of this provider."),
    method: str | None = typer.Option(None, "--method", help="Only studies of this method."),
    objective: str = typer.Option("valid_loss", "--objective", help="The objective the advice optimises."),
    storage: str | None = typer.Option(None, "--storage", help="Optuna storage URL (default optuna_storage)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """What earlier studies suggest: importances, a narrowed space and configurations to enqueue (--warm-start)."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        advice = wb.tuner.advise(dataset, provider=provider, method=method, objective=objective, storage=storage)
    render(advice.as_dict(), as_json=as_json, view=lambda: "\n".join(advice.summary()))


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
