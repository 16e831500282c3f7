"""The audit log: hash-chained, append-only, tamper-evident; state changes from the CLI are recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from agenthone.audit import audit_path, entries, record, verify
from agenthone.config import Settings


def _hone(*args: str) -> Any:
    from typer.testing import CliRunner

    from agenthone.cli import app

    return CliRunner().invoke(app, list(args))


def test_chain_verifies_and_names_the_first_edited_row(workspace: Path) -> None:
    settings = Settings.load(workspace)
    for i in range(5):
        record(settings, "dataset.built", target=f"support@v{i}", actor="ana")
    assert verify(settings).ok and verify(settings).rows == 5
    assert _hone("audit", "verify").exit_code == 0
    with sqlite3.connect(audit_path(settings)) as con:
        try:
            con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            raise AssertionError("the log accepted an UPDATE")
        except sqlite3.DatabaseError as exc:
            assert "append-only" in str(exc)
        con.execute("DROP TRIGGER audit_log_no_update")  # what someone editing the file by hand can do
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    result = verify(settings)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    cli = _hone("audit", "verify")
    assert cli.exit_code == 1 and "row 3" in cli.output


def test_deleted_row_is_detected(workspace: Path) -> None:
    settings = Settings.load(workspace)
    for i in range(4):
        record(settings, "job.submitted", target=f"job-{i}")
    with sqlite3.connect(audit_path(settings)) as con:
        con.execute("DROP TRIGGER audit_log_no_delete")
        con.execute("DELETE FROM audit_log WHERE seq = 2")
    result = verify(settings)
    assert not result.ok and result.first_bad_seq == 2


def test_key_commands_are_audited_with_the_acting_user(workspace: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("HONE_ACTOR", "ops-lead")
    made = _hone("keys", "create", "--name", "ingest-bot", "--role", "collector", "--agents", "a,b", "--json")
    assert made.exit_code == 0, made.output
    key = json.loads(made.output)
    assert key["token"].startswith("hone_") and key["agents"] == ["a", "b"]
    listed = _hone("keys", "list", "--json")
    assert key["token"] not in listed.output and key["key_id"] in listed.output
    assert _hone("keys", "revoke", key["key_id"]).exit_code == 0
    again = _hone("keys", "revoke", key["key_id"])
    assert again.exit_code == 2 and "already revoked" in again.output
    bad = _hone("keys", "create", "--name", "x", "--role", "root")
    assert bad.exit_code == 2 and "unknown role" in bad.output
    rows = entries(Settings.load(workspace), limit=None)
    assert [(r.action, r.actor, r.target) for r in rows] == [
        ("key.created", "ops-lead", key["key_id"]),
        ("key.revoked", "ops-lead", key["key_id"]),
    ]
    shown = _hone("audit", "list", "--action", "key.", "--json")
    assert [r["action"] for r in json.loads(shown.output)] == ["key.created", "key.revoked"]
