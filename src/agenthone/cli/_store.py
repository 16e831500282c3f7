"""``hone ingest`` and ``hone info``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Column

from agenthone.cli._app import (
    FileFormat,
    Kind,
    app,
    err,
    fail,
    handles_errors,
    human_bytes,
    key_values,
    markup,
    render,
    table,
    warn,
)

PROGRESS_MIN_BYTES = 8 << 20


@app.command()
@handles_errors
def ingest(
    *,
    paths: list[Path] = typer.Argument(
        None, help="Files to ingest (.jsonl, .json, .csv, .parquet; .gz accepted).", show_default=False
    ),
    kind: Kind | None = typer.Option(None, "--kind", "-k", help="Record kind held by the files.", show_default=False),
    fmt: FileFormat | None = typer.Option(None, "--format", "-f", help="Override the format implied by the extension."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any record was rejected or conflicted."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON document."),
    mlflow_traces: bool = typer.Option(False, "--mlflow-traces", help="Read MLflow traces instead of files."),
    experiment: str | None = typer.Option(None, "--experiment", help="With --mlflow-traces: only this experiment."),
    since: str | None = typer.Option(None, "--since", help="With --mlflow-traces: only newer traces (ISO or 7d)."),
) -> None:
    """Ingest agent logs into the store: validated, idempotent and atomic per file.

    Rejected records go to the quarantine JSONL beside the store with file, line and reason.
    Exit codes: 0 ok, 1 with --strict when anything was refused, 2 when a path is unreadable.
    With --mlflow-traces, MLflow traces become runs and conversations (re-reading them adds nothing).
    """
    from agenthone.workbench import Workbench

    if mlflow_traces:
        from agenthone.cli._service import ingest_traces

        raise typer.Exit(ingest_traces(experiment=experiment, since=since, strict=strict, as_json=as_json))
    if not paths or kind is None:
        raise fail("give the files to ingest and --kind (or --mlflow-traces)")

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
            if as_json or not err.is_terminal:  # no bar shows: DuckDB's progress tracking costs about 7%
                return None
            try:
                size = path.stat().st_size
            except OSError:
                return None
            if size < PROGRESS_MIN_BYTES:
                return None
            task = bar.add_task(escape(path.name), total=size)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=min(done, size))

            return update

        report = wb.ingest(paths, kind.value, format=fmt.value if fmt else None, progress=progress_for)

    def view() -> RenderableType:
        rows: list[list[object]] = []
        for f in report.files:
            if f.unreadable:
                rows.append([markup("[red]{}[/]", f.path), "-", "-", "-", "-", "-"])
                continue
            rows.append(
                [
                    f.path,
                    f"{f.accepted:,}",
                    f"{f.duplicate:,}",
                    markup("[yellow]{:,}[/]", f.conflict) if f.conflict else "0",
                    markup("[red]{:,}[/]", f.rejected) if f.rejected else "0",
                    f"{f.seconds:.2f}",
                ]
            )
        if len(report.files) > 1:
            rows.append(
                [
                    markup("[bold]total"),
                    f"{report.accepted:,}",
                    f"{report.duplicate:,}",
                    f"{report.conflict:,}",
                    f"{report.rejected:,}",
                    "",
                ]
            )
        columns = ("file", "accepted", "duplicate", "conflict", "rejected", "seconds")
        return table(
            [Column(col, justify="left" if col == "file" else "right") for col in columns],
            rows,
            title=f"Ingested {kind.value} records",
        )

    render(report.as_dict(), as_json=as_json, view=view)
    if not as_json:
        for f in report.files:
            if f.unreadable:
                warn("[bold red]cannot read:[/] {}", f.error)
            for example in f.examples:
                warn("  [yellow]{}[/]", example)
            more = f.rejected + f.conflict - len(f.examples)
            if f.examples and more > 0:
                warn("  ... and {:,} more", more)
        if report.rejected or report.conflict:
            warn("Quarantine: {}", report.quarantine)
    raise typer.Exit(report.exit_code(strict=strict))


@app.command()
@handles_errors
def info(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Where the store, MLflow, Optuna and reports live, and how many records the store holds."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        data = wb.info()
    render(
        data.as_dict(),
        as_json=as_json,
        view=lambda: key_values(
            [
                ("workspace", str(data.home)),
                ("store", f"{data.store_path} ({human_bytes(data.store_bytes)})"),
                *((f"  {name}", f"{n:,}") for name, n in data.counts.items()),
                ("ingestions", f"{data.ingestions:,}"),
                ("quarantine", f"{data.quarantine_path} ({data.quarantined:,} entries)"),
                ("spool backlog", f"{data.spool_backlog:,} events waiting for the store"),
                ("mlflow tracking", data.mlflow_tracking_uri),
                ("mlflow artifacts", str(data.mlflow_artifact_root)),
                ("optuna storage", data.optuna_storage),
                ("reports", str(data.reports_dir)),
                ("notebooks", str(data.notebooks_dir)),
            ]
        ),
    )
