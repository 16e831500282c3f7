"""The ``hone`` command line: a thin face over the library."""

from __future__ import annotations

import importlib
from pathlib import Path

from agenthone import _env

_env.apply_offline_defaults()

from agenthone.cli._app import app  # noqa: E402

__all__ = ["STAGE_MODULES", "app", "main"]

STAGE_MODULES = ("_store", "_sample", "_reports", "_analytics", "_datasets", "_training", "_demo")
"""Command modules in the order of the loop; each registers its commands (and demo steps) on import."""

_here = Path(__file__).parent
for _name in STAGE_MODULES:
    if (_here / f"{_name}.py").exists():
        importlib.import_module(f"agenthone.cli.{_name}")


def main() -> None:
    app()
