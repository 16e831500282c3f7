"""``hone ingest`` and ``hone info``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from agenthone.cli._app import FileFormat, Kind, app, console, err, handles_errors, human_bytes, print_json

PROGRESS_MIN_BYTES = 8 << 20


@app.command()
@handles_errors
def ingest(
    paths: list[Path] = typer.Argument(
        ..., help="Files to ingest (.jsonl, .json, .csv, .parquet; .gz accepted).", show_default=False
    ),
    kind: Kind = typer.Option(..., "--kind", "-k", help="Record kind held by the files."),
    fmt: FileFormat | None = typer.Option(None, "--format", "-f", help="Override the format implied by the extension."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any record was rejected or conflicted."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON document."),
) -> None:
    """Ingest agent logs into the store: validated, idempotent and atomic per file.

    Rejected records go to the quarantine JSONL beside the store with file, line and reason.
    Exit codes: 0 ok, 1 with --strict when anything was refused, 2 when a path is unreadable.
    """
    from agenthone.workbench import Workbench

    with (
        Workbench.open() as wb,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=as_json,
        ) as bar,
    ):

        def progress_for(path: Path) -> Callable[[int, int], None] | None:
            try:
                size = path.stat().st_size
            except OSError:
                return None
            if size < PROGRESS_MIN_BYTES:
                return None
            task = bar.add_task(path.name, total=size)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=min(done, size))

            return update

        report = wb.ingest(paths, kind.value, format=fmt.value if fmt else None, progress=progress_for)

    if as_json:
        print_json(report.as_dict())
    else:
        table = Table(title=f"Ingested {kind.value} records", title_justify="left")
        for col in ("file", "accepted", "duplicate", "conflict", "rejected", "seconds"):
            table.add_column(col, justify="left" if col == "file" else "right")
        for f in report.files:
            if f.unreadable:
                table.add_row(f"[red]{f.path}[/]", "-", "-", "-", "-", "-")
                continue
            table.add_row(
                f.path,
                f"{f.accepted:,}",
                f"{f.duplicate:,}",
                f"[yellow]{f.conflict:,}[/]" if f.conflict else "0",
                f"[red]{f.rejected:,}[/]" if f.rejected else "0",
                f"{f.seconds:.2f}",
            )
        if len(report.files) > 1:
            table.add_row(
                "[bold]total",
                f"{report.accepted:,}",
                f"{report.duplicate:,}",
                f"{report.conflict:,}",
                f"{report.rejected:,}",
                "",
            )
        console.print(table)
        for f in report.files:
            if f.unreadable:
                err.print(f"[bold red]cannot read:[/] {f.error}")
            for example in f.examples:
                err.print(f"  [yellow]{example}[/]", soft_wrap=True)
            more = f.rejected + f.conflict - len(f.examples)
            if f.examples and more > 0:
                err.print(f"  ... and {more:,} more")
        if report.rejected or report.conflict:
            err.print(f"Quarantine: {report.quarantine}")
    raise typer.Exit(report.exit_code(strict=strict))


@app.command()
@handles_errors
def info(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Where the store, MLflow, Optuna and reports live, and how many records the store holds."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        data = wb.info()
    if as_json:
        print_json(data.as_dict())
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("workspace", str(data.home))
    table.add_row("store", f"{data.store_path} ({human_bytes(data.store_bytes)})")
    for name, n in data.counts.items():
        table.add_row(f"  {name}", f"{n:,}")
    table.add_row("ingestions", f"{data.ingestions:,}")
    table.add_row("quarantine", f"{data.quarantine_path} ({data.quarantined:,} entries)")
    table.add_row("mlflow tracking", data.mlflow_tracking_uri)
    table.add_row("mlflow artifacts", str(data.mlflow_artifact_root))
    table.add_row("optuna storage", data.optuna_storage)
    table.add_row("reports", str(data.reports_dir))
    table.add_row("notebooks", str(data.notebooks_dir))
    console.print(table)
