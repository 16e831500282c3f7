"""Sending records: the accepted formats, answers with counts and reasons, quarantine, limits."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agenthone.config import Settings
from agenthone.store import Store
from tests.service.conftest import Server, bearer, run_record, wait_flushed


def _store_ids(settings: Settings, table: str = "runs") -> list[str]:
    store = Store.open(settings, read_only=True)
    try:
        return list(store.sql(f"SELECT id FROM {table} ORDER BY id")["id"])
    finally:
        store.close()


def test_object_array_ndjson_and_gzip(app_client: Any, keys: dict[str, str], settings: Settings) -> None:
    h = bearer(keys["collector"])
    one = app_client.post("/v1/runs", json=run_record(1), headers=h).json()
    assert one == {
        "kind": "run",
        "received": 1,
        "accepted": 1,
        "duplicate": 0,
        "conflict": 0,
        "rejected": 0,
        "reasons": [],
    }
    many = app_client.post("/v1/runs", json=[run_record(2), run_record(3)], headers=h).json()
    assert many["accepted"] == 2
    ndjson = "\n".join(json.dumps(run_record(i)) for i in (4, 5, 1)) + "\n"
    nd = app_client.post("/v1/runs", content=ndjson, headers={**h, "Content-Type": "application/x-ndjson"}).json()
    assert (nd["accepted"], nd["duplicate"]) == (2, 1)
    body = gzip.compress(json.dumps([run_record(6), run_record(7)]).encode())
    gz = app_client.post(
        "/v1/runs", content=body, headers={**h, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    ).json()
    assert gz["accepted"] == 2
    wait_flushed(app_client)
    assert _store_ids(settings) == [f"run-{i}" for i in range(1, 8)]


def test_rejected_records_are_counted_explained_and_quarantined(
    app_client: Any, keys: dict[str, str], settings: Settings
) -> None:
    h = bearer(keys["collector"])
    lines = [
        json.dumps(run_record(1)),
        "{not json",
        json.dumps(run_record(2, score=7)),
        json.dumps({"agent_name": "x"}),
    ]
    answer = app_client.post(
        "/v1/runs", content="\n".join(lines), headers={**h, "Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 200
    out = answer.json()
    assert (out["accepted"], out["rejected"]) == (1, 3)
    assert out["reasons"][0].startswith("record 2: invalid JSON")
    assert (
        out["reasons"][1] == "record 3: field 'score': expected a number in [0, 1], got '7'"
        or "score" in out["reasons"][1]
    )
    assert "timestamp" in out["reasons"][2]
    conflict = app_client.post("/v1/runs", json=run_record(1, success=False), headers=h).json()
    assert conflict["conflict"] == 1 and "conflict" in conflict["reasons"][0]
    quarantine = [json.loads(x) for x in settings.quarantine_path.read_text().splitlines()]
    assert [q["line"] for q in quarantine] == [2, 3, 4, 1]
    assert all(q["kind"] == "run" and "collector-key" in q["source"] for q in quarantine)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty body"),
        (b"[]", "empty array"),
        (b"42", "got int"),
        (b'{"a": ', "invalid JSON"),
        (b"\xff\xfe", "UTF-8"),
        (b"\x1f\x8b\x08garbage", "gzip"),
    ],
)
def test_bad_bodies_get_a_400_with_one_line(app_client: Any, keys: dict[str, str], body: bytes, words: str) -> None:
    headers = {**bearer(keys["collector"]), "Content-Type": "application/json"}
    answer = app_client.post("/v1/runs", content=body, headers=headers)
    assert answer.status_code == 400
    assert words in answer.json()["detail"] and "\n" not in answer.json()["detail"]


@pytest.fixture
def limited(workspace: Path, keys: dict[str, str]) -> Iterator[Any]:
    (workspace / "hone.toml").write_text(
        "[service]\nmax_body_mb = 0.01\nmax_batch = 5\nrate_per_s = 1\nburst = 3\n", encoding="utf-8"
    )
    from fastapi.testclient import TestClient

    from agenthone.service import create_app

    with TestClient(create_app(Settings.load(workspace))) as client:
        yield client


def test_body_batch_and_rate_limits(limited: Any, keys: dict[str, str]) -> None:
    h = bearer(keys["collector"])
    big = limited.post("/v1/runs", json=[run_record(i, output="x" * 5000) for i in range(3)], headers=h)
    assert big.status_code == 413 and "bytes" in big.json()["detail"]
    bomb = gzip.compress(b"[" + b" " * 200_000 + b"]")
    inflated = limited.post("/v1/runs", content=bomb, headers={**h, "Content-Encoding": "gzip"})
    assert inflated.status_code == 413 and "decompressed" in inflated.json()["detail"]
    batch = limited.post("/v1/runs", json=[run_record(i) for i in range(6)], headers=h)
    assert batch.status_code == 413 and "at most 5" in batch.json()["detail"]
    statuses = [limited.post("/v1/runs", json=run_record(9), headers=h).status_code for _ in range(4)]
    assert statuses[-1] == 429
    last = limited.post("/v1/runs", json=run_record(9), headers=h)
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1


def test_slow_body_times_out_with_408(workspace: Path, keys: dict[str, str]) -> None:
    from tests.service.conftest import start_server

    (workspace / "hone.toml").write_text("[service]\nrequest_timeout_s = 1\n", encoding="utf-8")
    srv: Server = start_server(workspace)
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            head = (
                "POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {keys['collector']}\r\nContent-Length: 100\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"id": ')
            started = time.monotonic()
            reply = sock.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 408"), reply
        assert time.monotonic() - started < 8
    finally:
        assert srv.stop() in (0, -15)  # uvicorn re-raises SIGTERM once it has shut down


def test_a_record_with_an_empty_field_name_is_judged_alone(app_client: Any, keys: dict[str, str]) -> None:
    # found by schemathesis: an empty field name used to break the validation query for the whole batch;
    # now it is an unknown key like any other (kept in metadata) and the record is judged on its own fields
    body = [run_record(1), {"": None}, {**run_record(3), "": "x"}]
    answer = app_client.post("/v1/runs", json=body, headers=bearer(keys["collector"]))
    assert answer.status_code == 200
    out = answer.json()
    assert (out["accepted"], out["rejected"]) == (2, 1)
    assert out["reasons"] == ["record 2: missing required field 'timestamp'"]
