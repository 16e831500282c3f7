"""The ``hone`` Typer application and helpers shared by its commands.

Command modules stay thin: they parse options, call one library function and render its result with
Rich (or as one JSON document with ``--json``). Heavy imports happen inside the commands so that
``hone --help`` answers at once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from agenthone.errors import HoneError

__all__ = ["app", "console", "err", "fail", "handles_errors", "print_json", "sub_app"]

app = typer.Typer(
    name="hone",
    help="agenthone: make LLM agents better from their own usage logs.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _width(stream: Any) -> int | None:
    """Rich falls back to 80 columns off a terminal, truncating tables in pipes and logs: allow more."""
    if stream.isatty():
        return None
    return int(os.environ.get("COLUMNS", "160"))


console = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))

P = ParamSpec("P")
R = TypeVar("R")


class Kind(StrEnum):
    run = "run"
    edit = "edit"
    conversation = "conversation"


class FileFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    parquet = "parquet"


def sub_app(name: str, help_text: str) -> typer.Typer:
    sub = typer.Typer(name=name, help=help_text, no_args_is_help=True, rich_markup_mode="rich")
    app.add_typer(sub, name=name)
    return sub


@app.callback()
def _root(
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Workspace root (data/, mlruns/, reports/, hone.toml). Default: $HONE_HOME or the current folder.",
        show_default=False,
    ),
) -> None:
    quiet_library_logs()
    if workspace is not None:
        os.environ["HONE_HOME"] = str(workspace.expanduser().resolve())


def quiet_library_logs() -> None:
    """Keep MLflow's and Alembic's INFO lines (database creation, migrations) off a command's console.

    MLflow sets up its own handler when imported, at the level of ``MLFLOW_LOGGING_LEVEL`` (an explicit
    value wins). A handler on the root logger, showing warnings as Python does by default, keeps migration
    scripts (Optuna's) from installing their own INFO logging setup.
    """
    if "MLFLOW_LOGGING_LEVEL" not in os.environ:
        os.environ["MLFLOW_LOGGING_LEVEL"] = "WARNING"
        logging.getLogger("mlflow").setLevel(logging.WARNING)  # in case MLflow is imported already
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)
    alembic = logging.getLogger("alembic")
    if alembic.level < logging.WARNING:
        alembic.setLevel(logging.WARNING)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn deliberate agenthone errors into a one-line message and exit code 2, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except HoneError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper


def print_json(data: Any) -> None:
    """One JSON document on stdout (for scripts and jq)."""
    sys.stdout.write(json.dumps(data, default=str, indent=2) + "\n")
    sys.stdout.flush()


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
