"""``hone report``: execute a report notebook with papermill and render it to HTML."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from agenthone.cli._app import app, console, fail, handles_errors, markup, render, warn


def parse_pairs(args: list[str]) -> dict[str, Any]:
    """``-p KEY VALUE`` (or ``-p KEY=VALUE``) pairs from the command's extra arguments."""
    from agenthone.reports import parse_parameter

    params: dict[str, Any] = {}
    i = 0
    while i < len(args):
        flag = args[i]
        if flag not in ("-p", "--parameter"):
            raise fail(f"unexpected argument {flag!r}; parameters are given as -p KEY VALUE")
        if i + 1 >= len(args):
            raise fail(f"{flag} needs KEY VALUE")
        key = args[i + 1]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 2
        elif i + 2 < len(args):
            value = args[i + 2]
            i += 3
        else:
            raise fail(f"{flag} {key} needs a value")
        params[key] = parse_parameter(value)
    return params


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handles_errors
def report(  # noqa: PLR0917 - Typer options
    ctx: typer.Context,
    name: str | None = typer.Argument(
        None, help="Report name (see --list; notebooks/reports/NAME.ipynb overrides a shipped one).", show_default=False
    ),
    list_reports: bool = typer.Option(False, "--list", help="List the available reports."),
    no_input: bool = typer.Option(False, "--no-input", help="Hide code cells in the HTML."),
    keep: int | None = typer.Option(
        None, "--keep", help="Keep only the N newest executions of this report (older ones are deleted).", min=1
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON document."),
) -> None:
    """Execute a report notebook (parameters: [bold]-p KEY VALUE[/], repeatable) and write notebook + HTML.

    Output goes to reports/NAME/<timestamp>/. A failing cell is reported by number; the partial notebook
    and HTML are kept. Exit code 1 when a cell failed.
    """
    from agenthone.config import Settings
    from agenthone.reports import report_notebooks, run_report

    settings = Settings.load()
    if list_reports or name is None:
        found = report_notebooks(settings)
        width = max((len(r.name) for r in found), default=0)
        lines = [markup("{} [dim]{}[/]", f"{r.name:<{width}} ", r.source) for r in found]
        render([r.as_dict() for r in found], as_json=as_json, view=lines or "no reports found")
        return
    params = parse_pairs(list(ctx.args))
    settings.ensure_dirs()
    with console.status(f"running report [bold]{escape(name)}[/]", spinner="dots") if not as_json else _null():
        result = run_report(name, params, settings=settings, include_input=not no_input, keep=keep)
    if result.ok or as_json:
        render(
            result.as_dict(),
            as_json=as_json,
            view=lambda: [
                markup("[green]report {} written[/] in {:.1f} s", name, result.seconds),
                f"  HTML:     {result.html}",
                f"  notebook: {result.notebook}",
            ],
        )
    else:
        where = f"cell {result.failed_cell}" if result.failed_cell is not None else "a cell"
        warn("[bold red]report {} failed in {}:[/] {}", name, where, result.error)
        warn("  partial HTML:     {}", result.html)
        warn("  partial notebook: {}", result.notebook)
    if not result.ok:
        raise typer.Exit(1)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
