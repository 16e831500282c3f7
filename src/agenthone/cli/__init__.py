"""The ``hone`` command line: a thin face over the library."""

from __future__ import annotations

import importlib

from agenthone import _env

_env.apply_offline_defaults()

from agenthone.cli._app import app  # noqa: E402

__all__ = ["app", "main"]

_COMMAND_MODULES = (
    "_store",
    "_sample",
    "_reports",
    "_analytics",
    "_datasets",
    "_training",
    "_tuning",
    "_experiments",
    "_tools",
    "_service",
    "_prompts",
    "_watch",
    "_demo",
)
"""Command modules in the order of the loop; each registers its commands on import, in ``hone --help`` order."""

for _name in _COMMAND_MODULES:
    importlib.import_module(f"agenthone.cli.{_name}")


def main() -> None:
    app()
