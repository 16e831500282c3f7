"""Built datasets as training and evaluation see them: ``agenthone.datasets.load(ref)``."""

from __future__ import annotations

from typing import Any

from agenthone.config import Settings
from agenthone.datasets import DatasetNotFoundError

__all__ = ["DatasetNotFoundError", "load_dataset"]


def load_dataset(ref: str, *, settings: Settings) -> Any:
    """The built dataset ``ref`` ("name" for the latest version, or "name@v3")."""
    from agenthone.datasets import load

    return load(ref, settings=settings)
