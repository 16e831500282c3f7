"""``hone demo``: the main job end to end on the embedded defaults (no server, no network, no key)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.rule import Rule

from agenthone.cli._app import app, console, err, handles_errors


@dataclass
class DemoState:
    """What the steps hand each other."""

    wb: Any
    sample_dir: Path
    seed: int
    reports: dict[str, Path] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    """Anything a step hands to a later one (a dataset reference, a job id, ...)."""


def _step_sample(state: DemoState) -> None:
    from agenthone.sample import generate_sample

    truth = state.sample_dir / "ground_truth.json"
    if truth.exists():
        console.print(f"sample data already in {state.sample_dir} (deterministic for seed {state.seed}; reused)")
        return
    manifest = generate_sample(state.sample_dir, seed=state.seed, scale="small")
    counts = ", ".join(f"{n:,} {k}" for k, n in manifest.counts.items())
    console.print(f"wrote {counts} to {state.sample_dir}")


def _step_ingest(state: DemoState) -> None:
    for kind, name in (("run", "runs.jsonl"), ("edit", "edits.jsonl"), ("conversation", "conversations.jsonl")):
        report = state.wb.ingest(state.sample_dir / name, kind)
        console.print(
            f"{name:<22} accepted {report.accepted:>7,}  duplicate {report.duplicate:>7,}"
            f"  rejected {report.rejected:>3,}"
        )


def _step_info(state: DemoState) -> None:
    info = state.wb.info()
    console.print(f"store      {info.store_path}")
    console.print("records    " + ", ".join(f"{n:,} {k}" for k, n in info.counts.items()))
    console.print(f"mlflow     {info.mlflow_tracking_uri}")
    console.print(f"optuna     {info.optuna_storage}")


def run_report_step(state: DemoState, name: str, params: dict[str, Any] | None = None) -> None:
    """Run a report notebook from a demo step, releasing the store while its kernel works."""
    from agenthone.reports import run_report

    # the report's kernel opens the store itself: release our write lock while it runs
    state.wb.store.close()
    try:
        result = run_report(name, params or {}, settings=state.wb.settings)
    finally:
        from agenthone.workbench import Workbench

        state.wb = Workbench.open(state.wb.settings.home)
    if result.ok and result.html is not None:
        console.print(f"report {name}: {result.html}")
        state.reports[name] = result.html
    else:
        state.failures.append(f"report {name} failed in cell {result.failed_cell}: {result.error}")
        err.print(f"[red]report {name} failed in cell {result.failed_cell}: {result.error}[/]")


def _step_overview_report(state: DemoState) -> None:
    run_report_step(state, "workspace_overview")


BASE_STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("Sample logs", _step_sample),
    ("Ingest", _step_ingest),
    ("Workspace", _step_info),
    ("Report: workspace overview", _step_overview_report),
]


def demo_steps() -> list[tuple[str, Callable[[DemoState], None]]]:
    """The demo's steps: the foundation's, then each stage module's ``DEMO_STEPS`` in loop order."""
    import sys

    from agenthone.cli import STAGE_MODULES

    steps = list(BASE_STEPS)
    for name in STAGE_MODULES:
        module = sys.modules.get(f"agenthone.cli.{name}")
        steps.extend(getattr(module, "DEMO_STEPS", []))
    return steps


@app.command()
@handles_errors
def demo(
    seed: int = typer.Option(0, "--seed", help="Seed of the sample data."),
) -> None:
    """Run the whole loop on sample data: generate, ingest, analyse, report. Re-running is safe."""
    from agenthone.workbench import Workbench

    started = time.perf_counter()
    wb = Workbench.open()
    state = DemoState(wb=wb, sample_dir=wb.settings.data_dir / "sample", seed=seed)
    try:
        for n, (title, step) in enumerate(demo_steps(), 1):
            console.print(Rule(f"[bold]{n}. {title}", align="left"))
            step(state)
    finally:
        state.wb.close()
    console.print(Rule(align="left"))
    console.print(f"demo finished in {time.perf_counter() - started:.0f} s")
    for name, html in state.reports.items():
        console.print(f"  {name:<22} {html}")
    if state.failures:
        for failure in state.failures:
            err.print(f"[red]{failure}[/]")
        raise typer.Exit(1)
