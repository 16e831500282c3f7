"""The one door to a workspace: ``Workbench.open()`` and ``Store.open(settings)``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agenthone import Workbench
from agenthone.config import Settings
from agenthone.store import Store
from tests.training.copy_task import write_dataset

SRC = Path(__file__).resolve().parents[1] / "src" / "agenthone"


def test_store_open_honours_the_duckdb_settings(workspace: Path) -> None:
    settings = Settings.load(workspace, duckdb_memory_limit="300MB", duckdb_threads=1)
    with Store.open(settings) as store:
        values = dict(store.connection.execute("SELECT name, value FROM duckdb_settings()").fetchall())
        assert values["threads"] == "1"
        assert values["memory_limit"].replace(" ", "") in ("286.1MiB", "300.0MB", "300MB")
        assert store.quarantine == settings.quarantine_path
    with Store.open(settings, read_only=True) as store:
        assert store.read_only


def test_the_workbench_gives_every_stage(workspace: Path) -> None:
    from agenthone.datasets import DatasetCatalog
    from agenthone.providers import ChatProvider, FineTuner
    from agenthone.registry import Registry
    from agenthone.training import JobManager

    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=20)
        assert isinstance(wb.datasets, DatasetCatalog) and isinstance(wb.jobs, JobManager)
        assert isinstance(wb.registry, Registry)
        assert [d.ref for d in wb.datasets.list()] == ["copy@v1"] and wb.datasets.load("copy").ref == "copy@v1"
        assert wb.jobs is wb.jobs  # one manager per workbench
        assert isinstance(wb.fine_tuner("local"), FineTuner) and isinstance(wb.chat_provider("openai"), ChatProvider)
        assert wb.registry.versions() == []


def test_the_store_is_released_while_a_report_kernel_needs_it(sample_workspace: Path) -> None:
    with Workbench.open(sample_workspace) as wb:
        before = wb.store.counts()
        # while released, another process may open the file for writing
        with wb.store.released(), Store.open(wb.settings) as other:
            other.insert("run", [{"agent_name": "elsewhere", "timestamp": "2026-11-01T00:00:00Z"}])
        assert wb.store.counts()["runs"] == before["runs"] + 1  # the same object, reopened
        result = wb.report("workspace_overview")
        assert result.ok and result.html is not None and result.html.exists()
        assert wb.store.counts()["runs"] == before["runs"] + 1


def _settings_loads() -> list[str]:
    """Places in the library (not the faces) that read settings from the current folder themselves."""
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("cli/") or rel in ("workbench.py", "config.py", "registry/_pyfunc.py"):
            continue  # the faces: the CLI, Workbench.open() and a served MLflow model
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "Settings"
            ):
                found.append(f"{rel}:{node.lineno}")
    return found


def test_library_functions_take_their_workspace_and_never_load_settings_themselves() -> None:
    assert _settings_loads() == []


def test_library_code_opens_stores_only_through_store_open() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel == "store/_store.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("Store", "StoreClass")
            ):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize("read_only", [False, True])
def test_workbench_open_sets_the_offline_defaults(
    workspace: Path, read_only: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")  # a user's own choice is kept
    import os

    with Workbench.open(workspace, read_only=read_only):
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "false"
