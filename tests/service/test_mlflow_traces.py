"""``hone ingest --mlflow-traces``: traces of ``mlflow.openai.autolog()`` become runs and conversations, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.config import Settings
from agenthone.store import Store

pytestmark = pytest.mark.xdist_group("mlflow-traces")


def _hone(*args: str) -> Any:
    from typer.testing import CliRunner

    from agenthone.cli import app

    return CliRunner().invoke(app, list(args))


def test_autologged_openai_traces_are_ingested_idempotently(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow
    import openai

    from tests.providers.stub_server import stub_server

    settings = Settings.load(workspace)
    settings.ensure_dirs()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.create_experiment("support-bot", artifact_location=str(settings.mlflow_artifact_root / "support-bot"))
    mlflow.set_experiment("support-bot")
    mlflow.openai.autolog()
    try:
        with stub_server() as (url, _):
            client = openai.OpenAI(base_url=url + "/v1", api_key="sk-test-mlflow")
            for question in ("What is the status of order 7?", "Please cancel order 8"):
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.openai.autolog(disable=True)

    first = _hone("ingest", "--mlflow-traces", "--experiment", "support-bot", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["run"]["accepted"], report["conversation"]["accepted"]) == (2, 2)
    again = json.loads(_hone("ingest", "--mlflow-traces", "--json").output)
    assert (again["run"]["accepted"], again["run"]["duplicate"]) == (0, 2)
    assert _hone("ingest", "--mlflow-traces", "--since", "1d", "--json").exit_code == 0
    missing = _hone("ingest", "--mlflow-traces", "--experiment", "nope")
    assert missing.exit_code == 2 and "no MLflow experiment named 'nope'" in missing.output
    bad = _hone("ingest", "--mlflow-traces", "--since", "yesterday-ish")
    assert bad.exit_code == 2 and "--since" in bad.output
    neither = _hone("ingest")
    assert neither.exit_code == 2 and "--mlflow-traces" in neither.output

    store = Store.open(settings, read_only=True)
    try:
        runs = store.sql("SELECT * FROM runs ORDER BY timestamp").to_dict("records")
        conversations = store.sql("SELECT * FROM conversations ORDER BY timestamp").to_dict("records")
    finally:
        store.close()
    assert [r["agent_name"] for r in runs] == ["support-bot", "support-bot"]
    assert all(r["model"] == "gpt-4o-mini" and r["tokens_in"] == 10 and r["tokens_out"] == 10 for r in runs)
    assert all(r["latency_ms"] >= 0 and r["success"] for r in runs)
    messages = json.loads(conversations[0]["messages"])
    assert messages[0] == {"role": "user", "content": "What is the status of order 7?"}
    assert messages[-1]["role"] == "assistant" and "order 7" in messages[-1]["content"]
