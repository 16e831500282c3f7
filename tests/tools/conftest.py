"""BFCL files (public, beside the project) loaded once per test session."""

from __future__ import annotations

from typing import Any

import pytest

from agenthone.tools import Tool, read_bfcl
from tests.conftest import shared_data

BFCL_FILES = ("simple_python", "multiple", "live_simple")


def bfcl_paths(name: str) -> tuple[Any, Any]:
    return (
        shared_data("bfcl", f"BFCL_v4_{name}.json"),
        shared_data("bfcl", f"possible_answer_BFCL_v4_{name}.json"),
    )


@pytest.fixture(scope="session")
def bfcl() -> dict[str, tuple[list[dict[str, Any]], list[Tool]]]:
    """Each BFCL file's questions (with answers) and its pool of functions."""
    return {name: read_bfcl(*bfcl_paths(name)) for name in BFCL_FILES}
