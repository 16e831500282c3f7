"""``hone train``, ``hone jobs``, ``hone eval`` and ``hone models`` as a user runs them (OpenAI stub server)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agenthone.cli import app
from tests.providers.stub_server import Stub, stub_server, wire_workspace
from tests.training.copy_task import write_dataset

runner = CliRunner()


@pytest.fixture
def stub(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    with stub_server() as (url, state):
        keys = "sk-test-" + secrets.token_hex(8), "sk-ant-" + secrets.token_hex(8)
        monkeypatch.setenv("OPENAI_API_KEY", keys[0])
        monkeypatch.setenv("ANTHROPIC_API_KEY", keys[1])
        wire_workspace(workspace, url, extra_toml="[training]\npoll_interval_s = 0.01\n")
        write_dataset(workspace / "data", "copy", n=40)
        yield Stub(url, state, *keys)


def hone(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_train_inspect_register_deploy(stub: Stub) -> None:
    code, out, err = hone("train", "--dataset", "copy", "--provider", "openai", "--epochs", "2", "--json")
    assert code == 0, err
    job = json.loads(out)
    assert job["status"] == "succeeded" and job["hyperparameters"]["epochs"] == 2

    code, out, _ = hone("jobs", "list", "--json")
    assert [j["job_id"] for j in json.loads(out)] == [job["job_id"]]
    code, out, _ = hone("jobs", "list")
    assert job["job_id"] in out and "succeeded" in out

    code, out, _ = hone("jobs", "show", "--json")
    shown = json.loads(out)
    assert shown["final_metrics"]["validation_loss"] == pytest.approx(2.2 / 3)
    assert shown["efficiency"]["best_step"] == 3
    code, out, _ = hone("jobs", "show", job["job_id"][:12])
    assert "Training efficiency" in out and "best validation_loss" in out

    code, out, _ = hone("jobs", "events", "--json")
    assert any("successfully completed" in e["message"] for e in json.loads(out))

    code, out, err = hone("models", "register", "--alias", "champion", "--json")
    assert code == 0, err
    assert json.loads(out)["aliases"] == ["champion"]
    code, out, _ = hone("models", "list")
    assert "champion" in out and job["job_id"] in out

    code, out, err = hone("models", "deploy", "product-copywriter", "copy@champion")
    assert code == 0, err
    assert "product-copywriter now uses copy version 1" in out
    code, out, _ = hone("models", "deployments", "--json")
    assert json.loads(out)[0]["model_uri"] == "models:/copy/1"
    code, _, err = hone("models", "archive", "copy", "1")
    assert code == 2 and "deployed to product-copywriter" in err
    code, out, _ = hone("models", "alias", "copy", "challenger", "1")
    assert code == 0 and "copy@challenger -> version 1" in out


def test_refusals_exit_2_with_one_line(stub: Stub) -> None:
    code, _, err = hone("train", "-d", "copy", "-p", "openai", "-m", "gpt-4o-2024-08-06", "--max-cost", "0.0001")
    assert code == 2
    assert "refused: estimated cost $" in err and "exceeds the limit of $0.00" in err
    assert stub.state.requests == []

    code, _, err = hone("train", "-d", "copy", "-p", "anthropic", "-m", "claude-haiku-4-5")
    assert code == 2 and "no public fine-tuning API" in err and "--format bedrock" in err

    code, _, err = hone("train", "-d", "nope")
    assert code == 2 and "no dataset 'nope'" in err

    code, _, err = hone("jobs", "show", "ftjob-missing")
    assert code == 2 and "no fine-tuning jobs yet" in err


def test_quality_gate_exit_codes(stub: Stub) -> None:
    code, _, err = hone("train", "-d", "copy", "-p", "openai", "--min-validation-accuracy", "0.99")
    assert code == 1 and "quality gate failed" in err
    code, _, err = hone("models", "register")
    assert code == 2 and "--force" in err
    code, out, _ = hone("models", "register", "--force")
    assert code == 0 and "registered copy version 1" in out


def test_estimate_and_eval_against(stub: Stub) -> None:
    code, out, _ = hone("train", "-d", "copy", "-p", "openai", "--estimate", "--epochs", "3", "--json")
    estimate = json.loads(out)
    assert code == 0 and estimate["epochs"] == 3 and estimate["billed_tokens"] == 3 * estimate["dataset_tokens"]
    code, out, _ = hone("train", "-d", "copy", "-p", "openai", "--estimate")
    assert code == 0 and "price table (agenthone.datasets, [prices] in hone.toml)" in out  # brackets kept
    assert stub.state.requests == []

    code, out, _ = hone("models", "base", "--provider", "openai", "--json")
    base = {m["id"]: m for m in json.loads(out)}
    assert base["gpt-4o-mini-2024-07-18"]["methods"] == ["sft", "dpo"]
    assert base["gpt-4o-mini-2024-07-18"]["usd_per_million_training_tokens"] == 3.0
    code, out, _ = hone("models", "base")
    assert code == 0 and "scratch" in out

    code, out, err = hone("eval", "--model", "openai:gpt-4o-mini", "-d", "copy", "--against", "openai:other", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"]["metrics"]["edit_similarity"] == 1.0
    rows = {r["metric"]: r for r in doc["comparison"]}
    assert rows["edit_similarity"]["mean_difference"] == 0.0 and rows["edit_similarity"]["ties"] == 6

    code, out, _ = hone("eval", "--model", "openai:gpt-4o-mini", "-d", "copy", "--limit", "3")
    assert code == 0 and "edit_similarity" in out and "3 examples" in out
