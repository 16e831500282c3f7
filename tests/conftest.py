"""Shared fixtures: every test gets its own workspace; nothing touches the user's."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _tiktoken_encodings() -> None:
    """The shipped encodings where tiktoken looks: tests use tiktoken itself as the reference, offline."""
    from agenthone.datasets._tokens import ensure_encodings

    ensure_encodings()


@pytest.fixture(autouse=True)
def _no_mlflow_state_between_tests() -> Iterator[None]:
    """``mlflow.set_experiment`` exports its experiment id for subprocesses; one test's must not reach the next's."""
    yield
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        os.environ.pop(name, None)


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
def stub(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The OpenAI/Anthropic stub server, the workspace pointed at it, and secret keys in the environment."""
    from tests.providers.stub_server import Stub, stub_server, wire_workspace

    with stub_server() as (url, state):
        openai_key = "sk-test-" + secrets.token_hex(16)
        anthropic_key = "sk-ant-test-" + secrets.token_hex(16)
        monkeypatch.setenv("OPENAI_API_KEY", openai_key)
        monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_key)
        wire_workspace(workspace, url)
        yield Stub(url, state, openai_key, anthropic_key)


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


# -- sample data shared by the whole test session -------------------------------------------------
# Generated once per test session even under pytest-xdist (a file lock guards the shared folder);
# tests get their own copy of the store so nothing they write leaks into another test.


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small sample logs (seed 0) with their ground truth; read-only for tests."""
    from filelock import FileLock

    from agenthone.sample import generate_sample

    root = _shared_root(tmp_path_factory)
    target = root / "sample-small-seed0"
    with FileLock(str(root / "sample-small-seed0.lock")):
        if not (target / "ground_truth.json").exists():
            generate_sample(target, seed=0, scale="small")
    return target


@pytest.fixture(scope="session")
def sample_store_file(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB store with the small sample ingested (copy it before writing)."""
    from filelock import FileLock

    from agenthone.store import Store

    root = _shared_root(tmp_path_factory)
    db = root / "sample-small-seed0.duckdb"
    with FileLock(str(root / "sample-small-seed0-store.lock")):
        if not (root / "sample-small-seed0.done").exists():
            db.unlink(missing_ok=True)
            with Store(db) as store:
                for kind, name in (
                    ("run", "runs.jsonl"),
                    ("edit", "edits.jsonl"),
                    ("conversation", "conversations.jsonl"),
                ):
                    report = store.ingest(sample_dir / name, kind)
                    assert report.rejected == 0, report.as_dict()
            (root / "sample-small-seed0.done").write_text("ok")
    return db


@pytest.fixture
def sample_workspace(workspace: Path, sample_store_file: Path) -> Path:
    """A fresh workspace (HONE_HOME) whose store holds the small sample."""
    import shutil

    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_store_file, data / "agenthone.duckdb")
    return workspace


@pytest.fixture
def ground_truth(sample_dir: Path) -> dict[str, Any]:
    return json.loads((sample_dir / "ground_truth.json").read_text(encoding="utf-8"))
