"""The ``hone`` Typer application and helpers shared by its commands.

Command modules stay thin: they parse options, call one library function and hand its result to
:func:`render`, which prints it with Rich or, with ``--json``, as one JSON document. Dynamic text is
always escaped (:func:`markup`, :func:`table`, :func:`key_values`), so brackets in names, paths and
messages are printed as written. Heavy imports happen inside the commands so that ``hone --help``
answers at once.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeAlias, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.text import Text

from agenthone._views import key_values, markup, table
from agenthone.errors import HoneError

__all__ = [
    "app",
    "console",
    "err",
    "fail",
    "handles_errors",
    "key_values",
    "markup",
    "print_json",
    "render",
    "say",
    "sub_app",
    "table",
    "warn",
]

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


console = Console(highlight=False, emoji=False, soft_wrap=True, width=_width(sys.stdout))
err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True, width=_width(sys.stderr))

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


def say(template: str, /, *args: Any, **kwargs: Any) -> None:
    """One line on stdout: ``template``'s markup with escaped values (see :func:`markup`)."""
    console.print(markup(template, *args, **kwargs))


def warn(template: str, /, *args: Any, **kwargs: Any) -> None:
    """One line on stderr: ``template``'s markup with escaped values (see :func:`markup`)."""
    err.print(markup(template, *args, **kwargs))


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr (verbatim) and return the exit to raise."""
    warn("[bold red]error:[/] {}", message)
    return typer.Exit(code)


View: TypeAlias = RenderableType | Sequence[RenderableType] | None
"""What a person sees of a result: a renderable (a ``str`` is printed verbatim) or several, in order."""


def render(data: Any, *, as_json: bool, view: View | Callable[[], View] = None) -> None:
    """Print a command's result: with ``--json`` one JSON document of ``data``, else its Rich ``view``.

    ``view`` may be a function, called only when the view is shown. Without a view, a dict is shown as a
    key/value panel and a list of dicts as a table of their keys.
    """
    if as_json:
        print_json(data)
        return
    shown = view() if callable(view) else view
    if shown is None:
        shown = _default_view(data)
    items = [shown] if isinstance(shown, str) or not isinstance(shown, Sequence) else shown
    for item in items:
        console.print(Text(item) if isinstance(item, str) else item)


def _default_view(data: Any) -> RenderableType:
    if isinstance(data, dict):
        return key_values((str(k), v) for k, v in data.items())
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        columns = list(dict.fromkeys(k for r in data for k in r))
        return table(columns, ([r.get(c) for c in columns] for r in data))
    if isinstance(data, list):
        return Text("\n".join(map(str, data)))
    return Text(str(data))


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
