from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def sample_prompts(sample_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((sample_dir / "prompts.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def filler_agent(ground_truth: dict[str, Any]) -> str:
    return str(ground_truth["effects"]["filler_phrase"]["agent"])
