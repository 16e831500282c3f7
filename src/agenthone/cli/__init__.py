"""The ``hone`` command line: a thin face over the library."""

from __future__ import annotations

from agenthone import _env

_env.apply_offline_defaults()

from agenthone.cli import _demo, _reports, _sample, _store  # noqa: E402,F401  (commands register on import)
from agenthone.cli._app import app  # noqa: E402

__all__ = ["app", "main"]


def main() -> None:
    app()
