"""``hone watch --notify``: the webhook server receives the summary (generic JSON and Slack), with retries,
a record of what was sent, and no secret in any log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.watch import NotifyError, Webhook, notify, webhooks_from_settings
from tests.watch.hook_server import hook_server

SECRET_PATH = "/hooks/T000/B000/s3cr3t-path-token"


def _hone(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agenthone.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_watch_notify_posts_json_and_slack_with_retries_and_a_record(
    sample_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hook_server() as (url, received):
        received.fail_first = [503]  # the first post fails once: retried
        (sample_workspace / "hone.toml").write_text(
            "[notify]\nbackoff = 0.01\nretries = 2\n"
            f'[[notify.webhooks]]\nname = "ops"\nurl = "{url}{SECRET_PATH}"\n'
            'headers = { Authorization = "env:HOOK_TOKEN" }\n'
            '[[notify.webhooks]]\nname = "team-slack"\nformat = "slack"\nurl_env = "SLACK_HOOK_URL"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "HOOK_TOKEN": "Bearer tok-9f8e7d6c5b4a", "SLACK_HOOK_URL": f"{url}/services/slack-secret"}
        done = _hone("watch", "--notify", env=env)
    assert done.returncode == 3, done.stderr  # the sample's planted alerts need a person
    assert [p["status"] for p in received.posts] == [503, 200, 200]
    generic, slack = received.posts[1], received.posts[2]
    assert generic["path"] == SECRET_PATH and generic["headers"]["Authorization"] == "Bearer tok-9f8e7d6c5b4a"
    body = generic["json"]
    assert body["source"] == "agenthone" and body["data"]["needs_person"] is True
    assert body["title"].startswith("agenthone watch:") and any(line.startswith("ALERT") for line in body["lines"])
    assert slack["json"]["text"] == body["title"]
    assert slack["json"]["blocks"][0]["type"] == "header" and "ALERT" in slack["json"]["blocks"][1]["text"]["text"]
    record = [json.loads(x) for x in (sample_workspace / "data" / "notifications.jsonl").read_text().splitlines()]
    assert [(r["webhook"], r["ok"], r["attempts"]) for r in record] == [("ops", True, 2), ("team-slack", True, 1)]
    for text in (done.stdout, done.stderr, json.dumps(record)):
        assert "s3cr3t" not in text and "tok-9f8e7d6c5b4a" not in text and "slack-secret" not in text


def test_unreachable_webhook_is_reported_without_its_secret(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hook = Webhook(name="down", url=f"http://127.0.0.1:{port}/hook/very-secret-part")
    record = tmp_path / "sent.jsonl"
    [delivery] = notify("t", ["a line"], webhooks=[hook], record=record, retries=1, backoff=0.0, timeout=2)
    assert not delivery.ok and delivery.attempts == 2 and delivery.status is None
    assert "very-secret-part" not in json.dumps(delivery.as_dict()) + record.read_text()
    assert delivery.target.startswith("http://127.0.0.1:")


def test_bad_notify_settings_are_one_line_errors(workspace: Path, sample_workspace: Path) -> None:
    (workspace / "hone.toml").write_text('[[notify.webhooks]]\nurl = "ftp://x"\n', encoding="utf-8")
    with pytest.raises(NotifyError, match="must start with http"):
        webhooks_from_settings(Settings.load(workspace))
    (workspace / "hone.toml").write_text('[[notify.webhooks]]\nurl_env = "NOPE_UNSET_VAR"\n', encoding="utf-8")
    with pytest.raises(NotifyError, match="NOPE_UNSET_VAR is not set"):
        webhooks_from_settings(Settings.load(workspace))
    (workspace / "hone.toml").write_text("", encoding="utf-8")
    done = _hone("watch", "--notify", env=dict(os.environ))
    assert done.returncode == 2 and "no webhook configured" in done.stderr
