"""Privacy at capture (redaction before the spool) and retention (``hone store prune``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from agenthone.audit import entries
from agenthone.config import Settings
from agenthone.service import spool_dir
from agenthone.store import Store
from tests.service.conftest import bearer, run_record, wait_flushed

EMAIL = "jane.roe@example.org"
SECRET = "sk-proj-" + "Zx7Qp2Lm9Vt4Rb8Nc1Kd6Hf3Jw5Ys0Ua"


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_redaction_at_capture_leaves_no_planted_value(workspace: Path, keys: dict[str, str]) -> None:
    (workspace / "hone.toml").write_text(
        "[capture]\nredact = true\n\n[service]\nflush_interval_s = 60\n", encoding="utf-8"
    )
    settings = Settings.load(workspace)
    from fastapi.testclient import TestClient

    from agenthone.service import create_app

    h = bearer(keys["collector"])
    with TestClient(create_app(settings)) as client:
        planted = run_record(1, input=f"Mail {EMAIL} please", output=f"use key {SECRET}", metadata={"note": EMAIL})
        assert client.post("/v1/runs", json=planted, headers=h).json()["accepted"] == 1
        bad = json.dumps(run_record(2, score=9, output=EMAIL)) + "\n{broken " + SECRET + "\n"
        out = client.post("/v1/runs", content=bad, headers={**h, "Content-Type": "application/x-ndjson"}).json()
        assert out["rejected"] == 2
        conv = {
            "timestamp": "2026-11-02T10:00:00Z",
            "agent_name": "support-bot",
            "messages": [{"role": "user", "content": f"I am {EMAIL}"}, {"role": "assistant", "content": "Thanks"}],
        }
        assert client.post("/v1/conversations", json=conv, headers=h).json()["accepted"] == 1
        spooled = _all_bytes(spool_dir(settings))
        assert spooled and b"<EMAIL>" in spooled  # the spool holds the events, already redacted
        assert EMAIL.encode() not in spooled and SECRET.encode() not in spooled
        client.app.state.core.flush()
        wait_flushed(client)
    store_bytes = _all_bytes(settings.data_dir)  # the DuckDB file, its WAL, the quarantine
    assert EMAIL.encode() not in store_bytes and SECRET.encode() not in store_bytes
    store = Store.open(settings, read_only=True)
    try:
        run = store.sql("SELECT input, output, metadata FROM runs").iloc[0]
    finally:
        store.close()
    assert run["input"] == "Mail <EMAIL> please" and "<SECRET>" in run["output"]


def test_prune_deletes_old_records_and_their_quarantine_lines(workspace: Path) -> None:
    (workspace / "hone.toml").write_text("[retention]\nruns_days = 30\n", encoding="utf-8")
    settings = Settings.load(workspace)
    now = dt.datetime.now(dt.UTC)
    old, new = (now - dt.timedelta(days=40)).isoformat(), (now - dt.timedelta(days=2)).isoformat()
    logs = workspace / "runs.jsonl"
    rows = [run_record(1, timestamp=old), run_record(2, timestamp=new), {"timestamp": old, "score": 3}]
    rows.append({"timestamp": new, "score": 3})
    logs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = Store.open(settings)
    try:
        store.ingest(logs, "run")
        edit = {"timestamp": old, "agent_name": "a", "ai_output": "x", "final_output": "y"}
        store.insert("edit", [edit])
    finally:
        store.close()
    assert len(settings.quarantine_path.read_text().splitlines()) == 2

    from typer.testing import CliRunner

    from agenthone.cli import app

    dry = CliRunner().invoke(app, ["store", "prune", "--dry-run", "--json"])
    assert json.loads(dry.output)["deleted"] == {"runs": 1}
    done = CliRunner().invoke(app, ["store", "prune", "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["deleted"] == {"runs": 1} and result["quarantine_lines"] == 1
    store = Store.open(settings, read_only=True)
    try:
        assert list(store.sql("SELECT id FROM runs")["id"]) == ["run-2"]
        assert store.counts()["edits"] == 1  # edits have no retention set
    finally:
        store.close()
    (left,) = [json.loads(x) for x in settings.quarantine_path.read_text().splitlines()]
    assert json.loads(left["record"])["timestamp"] == new
    (audited,) = entries(settings, action="retention.")
    assert audited.details is not None and audited.details["deleted"] == {"runs": 1}
    none = CliRunner().invoke(app, ["store", "prune", "--runs-days", "-1"])
    assert none.exit_code == 2 and "days must be >= 0" in none.output


def test_info_shows_the_spool_backlog(workspace: Path, keys: dict[str, str], monkeypatch: Any) -> None:
    settings = Settings.load(workspace)
    folder = spool_dir(settings)
    folder.mkdir(parents=True)
    (folder / "run-000000000001.jsonl").write_text(json.dumps(run_record(1)) + "\n" + json.dumps(run_record(2)) + "\n")
    from typer.testing import CliRunner

    from agenthone.cli import app

    shown = CliRunner().invoke(app, ["info", "--json"])
    assert json.loads(shown.output)["spool_backlog"] == 2
