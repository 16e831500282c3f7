"""Settings: embedded defaults under the workspace, overridden by hone.toml, then HONE_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.errors import ConfigError


def test_defaults_live_under_the_workspace(workspace: Path) -> None:
    s = Settings.load()
    assert s.home == workspace.resolve()
    assert s.store_path == workspace / "data" / "agenthone.duckdb"
    assert s.mlflow_tracking_uri == f"sqlite:///{workspace / 'mlruns' / 'mlflow.db'}"
    assert s.mlflow_artifact_root == workspace / "mlruns" / "artifacts"
    assert s.optuna_storage == f"sqlite:///{workspace / 'mlruns' / 'optuna.db'}"
    assert s.reports_dir == workspace / "reports"
    assert s.notebooks_dir == workspace / "notebooks"
    assert s.quarantine_path == workspace / "data" / "agenthone.quarantine.jsonl"


def test_hone_toml_then_environment_then_overrides(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "hone.toml").write_text(
        'data_dir = "logs"\nmlflow_tracking_uri = "sqlite:///tracking/ml.db"\nduckdb_memory_limit = "1GB"\n'
        '[prices]\n"gpt-4o-mini" = 3.0\n',
        encoding="utf-8",
    )
    s = Settings.load()
    assert s.store_path == workspace / "logs" / "agenthone.duckdb"
    assert s.mlflow_tracking_uri == f"sqlite:///{workspace / 'tracking' / 'ml.db'}"
    assert s.duckdb_memory_limit == "1GB"
    assert s.extra["prices"] == {"gpt-4o-mini": 3.0}
    monkeypatch.setenv("HONE_STORE_PATH", "elsewhere/x.duckdb")
    monkeypatch.setenv("HONE_DUCKDB_MEMORY_LIMIT", "256MB")
    s = Settings.load()
    assert s.store_path == workspace / "elsewhere" / "x.duckdb"
    assert s.duckdb_memory_limit == "256MB"
    assert Settings.load(duckdb_memory_limit="2GB").duckdb_memory_limit == "2GB"


def test_mlflow_tracking_uri_from_mlflow_environment(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert Settings.load().mlflow_tracking_uri == "http://127.0.0.1:5000"


def test_workspace_is_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HONE_HOME", raising=False)
    (tmp_path / "hone.toml").write_text("", encoding="utf-8")
    sub = tmp_path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert Settings.load().home == tmp_path.resolve()


def test_bad_settings_name_the_setting(workspace: Path) -> None:
    (workspace / "hone.toml").write_text("duckdb_threads = 'many'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="setting 'duckdb_threads'"):
        Settings.load()
    (workspace / "hone.toml").write_text("data_dir = [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hone\.toml"):
        Settings.load()
