"""``hone demo``: the main job end to end on the embedded defaults (no server, no network, no key)."""

from __future__ import annotations

import time

import typer
from rich.rule import Rule

from agenthone.cli._app import app, console, err, handles_errors, markup, say, warn


@app.command()
@handles_errors
def demo(
    seed: int = typer.Option(0, "--seed", help="Seed of the sample data."),
) -> None:
    """Run the whole loop on sample data: generate, ingest, analyse, report. Re-running is safe."""
    from agenthone.demo import STEPS, DemoOutput, DemoState
    from agenthone.workbench import Workbench

    started = time.perf_counter()
    wb = Workbench.open()
    state = DemoState(wb=wb, sample_dir=wb.settings.data_dir / "sample", seed=seed)
    output = DemoOutput(out=console, err=err)
    try:
        for n, step in enumerate(STEPS, 1):
            console.print(Rule(markup("[bold]{}. {}", n, step.title), align="left"))
            step.run(state, output)
    finally:
        state.wb.close()
    console.print(Rule(align="left"))
    say("demo finished in {:.0f} s", time.perf_counter() - started)
    for name, html in state.reports.items():
        say("  {:<22} {}", name, html)
    if state.failures:
        for failure in state.failures:
            warn("[red]{}[/]", failure)
        raise typer.Exit(1)
