"""``hone dataset build|list|show|validate|export`` as a user runs them (real store, MLflow, files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agenthone.cli import app
from tests.conftest import shared_data, write_jsonl

runner = CliRunner()


def test_build_list_show_export_from_a_spec_file(
    sample_workspace: Path, tmp_path: Path, ground_truth: dict[str, Any]
) -> None:
    spec = tmp_path / "support.toml"
    spec.write_text(
        'name = "support"\nsources = ["edits", "conversations"]\n'
        '[filters]\ncategories = ["customer_service", "ecommerce"]\n'
    )
    result = runner.invoke(app, ["dataset", "build", str(spec), "--format", "openai-chat", "--format", "hf-sft"])
    assert result.exit_code == 0, result.output
    assert "support@v1" in result.stdout and "redacted" in result.stdout and "near duplicates" in result.stdout
    doc = json.loads(
        runner.invoke(
            app, ["dataset", "build", str(spec), "--format", "openai-chat", "--format", "hf-sft", "--json"]
        ).stdout
    )
    assert doc["dataset"] == "support@v1" and doc["reused"] is True  # same spec, same data: same digest
    assert sum(doc["counts"].values()) > 100
    listed = json.loads(runner.invoke(app, ["dataset", "list", "--json"]).stdout)
    assert [d["dataset"] for d in listed] == ["support@v1"]
    shown = runner.invoke(app, ["dataset", "show", "support", "--examples", "1"])
    assert shown.exit_code == 0 and "quality score" in shown.stdout and "assistant:" in shown.stdout
    shown_json = json.loads(runner.invoke(app, ["dataset", "show", "support@v1", "--json"]).stdout)
    assert shown_json["quality_report"]["score"]["formula"].startswith("score = ")
    out = tmp_path / "bedrock"
    exported = runner.invoke(app, ["dataset", "export", "support", "--format", "bedrock", "--out", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    files = json.loads(exported.stdout)["files"]
    assert {Path(f["path"]).name for f in files} == {"train.jsonl", "validation.jsonl", "test.jsonl"}
    assert (out / "train.jsonl").read_text().count("\n") == files[0]["examples"]
    valid = runner.invoke(app, ["dataset", "validate", str(out / "train.jsonl"), "--format", "bedrock"])
    assert valid.exit_code == 0, valid.output


def test_build_from_flags_and_min_samples_exit_code(sample_workspace: Path) -> None:
    result = runner.invoke(
        app,
        [
            "dataset",
            "build",
            "--name",
            "sec",
            "--category",
            "core_security",
            "--min-samples",
            "100000",
            "--no-pii",
            "--no-mlflow",
        ],
    )
    assert result.exit_code == 1
    assert "Insufficient data for category core_security: found " in result.output and "need 100000" in result.output
    bad = runner.invoke(app, ["dataset", "build", "--name", "x", "--near-threshold", "2"])
    assert bad.exit_code == 2 and "near_threshold" in bad.output
    missing = runner.invoke(app, ["dataset", "show", "nope"])
    assert missing.exit_code == 2 and "no dataset 'nope'" in missing.output


def test_validate_command(tmp_path: Path) -> None:
    ok = runner.invoke(
        app,
        [
            "dataset",
            "validate",
            str(shared_data("cookbook", "toy_chat_fine_tuning.jsonl")),
            "--model",
            "gpt-3.5-turbo",
            "--json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    assert doc["distributions"]["total_tokens"]["mean"] == 1648.4 and doc["epochs"] == 20
    table = runner.invoke(
        app,
        ["dataset", "validate", str(shared_data("cookbook", "toy_chat_fine_tuning.jsonl")), "--model", "gpt-3.5-turbo"],
    )
    assert "No format errors found" in table.stdout and "missing_system_message" in table.stdout
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}, "not json"])
    result = runner.invoke(app, ["dataset", "validate", str(bad)])
    assert result.exit_code == 1
    assert "example_missing_assistant_message" in result.stdout and "invalid_json" in result.stdout
    missing = runner.invoke(app, ["dataset", "validate", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
