"""Shared fixtures: every test gets its own workspace; nothing touches the user's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace folder, set as HONE_HOME for the test."""
    home = tmp_path / "ws"
    home.mkdir()
    monkeypatch.setenv("HONE_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name in list(os.environ):
        if name.startswith("HONE_") and name != "HONE_HOME":
            monkeypatch.delenv(name)
    return home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from agenthone.store import Store

    s = Store(tmp_path / "store.duckdb")
    yield s
    s.close()


def write_jsonl(path: Path, records: list[Any], *, newline: str = "\n") -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + newline for r in records), encoding="utf-8")
    return path


def run_record(i: int = 0, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"run-{i:06d}",
        "timestamp": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        "agent_id": f"a{i % 3}",
        "agent_name": f"agent-{i % 3}",
        "category": "ecommerce",
        "task_type": "qa",
        "model": "gpt-4o-mini",
        "prompt_version": "v1",
        "session_id": f"s{i // 4}",
        "input": f"question {i}",
        "output": f"answer {i}",
        "success": i % 5 != 0,
        "score": round((i % 10) / 10, 1),
        "latency_ms": 100 + i,
        "tokens_in": 10 + i,
        "tokens_out": 20 + i,
        "cost_usd": 0.001,
        "user_feedback": None,
    }
    record.update(overrides)
    return record


def shared_data(*parts: str) -> Path:
    """A file of the public data set kept beside the project (``../shared/data``); it must be there."""
    path = SHARED_DATA.joinpath(*parts)
    assert path.exists(), f"public test data missing: {path} (expected ../shared/data beside the project)"
    return path
