"""``hone sample``: realistic logs with known effects planted in them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agenthone.cli._app import app, err, handles_errors, markup, render


class Scale(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


@app.command()
@handles_errors
def sample(
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder. Default: <workspace>/data/sample."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives identical files."),
    scale: Scale = typer.Option(Scale.small, "--scale", help="small ~20k runs, medium ~200k, large >=1M."),
    ingest: bool = typer.Option(False, "--ingest", help="Ingest the generated runs, edits and conversations."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as one JSON document."),
) -> None:
    """Write sample agent logs for 7 categories and ~20 agents over 90 days, with a ground-truth file."""
    from agenthone.config import Settings
    from agenthone.sample import generate_sample

    settings = Settings.load()
    target = out or settings.data_dir / "sample"
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(escape(stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        manifest = generate_sample(target, seed=seed, scale=scale.value, progress=progress)
    result: dict[str, object] = {
        "out_dir": str(manifest.out_dir),
        "counts": manifest.counts,
        "ground_truth": str(manifest.ground_truth),
        "malformed": str(manifest.malformed),
    }
    ingested: dict[str, dict[str, int]] = {}
    if ingest:
        from agenthone.workbench import Workbench

        with Workbench.open() as wb:
            reports = {
                kind: wb.ingest(path, kind).as_dict()
                for kind, path in (
                    ("run", manifest.runs),
                    ("edit", manifest.edits),
                    ("conversation", manifest.conversations),
                )
            }
        ingested = {k: {n: v[n] for n in ("accepted", "duplicate", "rejected")} for k, v in reports.items()}
        result["ingested"] = ingested
    render(
        result,
        as_json=as_json,
        view=lambda: [
            markup("[green]sample written to[/] {}", manifest.out_dir),
            *(f"  {name:<14} {n:>10,}" for name, n in manifest.counts.items()),
            f"  ground truth   {manifest.ground_truth}",
            f"  malformed      {manifest.malformed}  (for ingestion tests)",
            *(f"  ingested {kind}: {counts}" for kind, counts in ingested.items()),
        ],
    )
