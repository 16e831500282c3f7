"""Who may use which route: the role x route matrix, 401/403 answers, and both audited."""

from __future__ import annotations

import time
from typing import Any

import pytest

from agenthone.audit import entries
from agenthone.config import Settings
from tests.service.conftest import bearer, run_record, wait_flushed

ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/runs", [run_record("m")]),
    (
        "POST",
        "/v1/edits",
        {"timestamp": "2026-11-02T10:00:00Z", "agent_name": "a", "ai_output": "x", "final_output": "y"},
    ),
    (
        "POST",
        "/v1/conversations",
        {"timestamp": "2026-11-02T10:00:00Z", "agent_name": "a", "messages": [{"role": "user", "content": "hi"}]},
    ),
    ("POST", "/v1/traces", {"resourceSpans": []}),
    ("GET", "/v1/agents", None),
    ("GET", "/v1/performance", None),
    ("GET", "/v1/trends", None),
    ("GET", "/v1/alerts", None),
    ("GET", "/v1/edit-patterns?agent=a", None),
    ("GET", "/v1/keys", None),
    ("GET", "/v1/audit", None),
]
ALLOWED = {
    "collector": {"/v1/runs", "/v1/edits", "/v1/conversations", "/v1/traces"},
    "viewer": {"/v1/agents", "/v1/performance", "/v1/trends", "/v1/alerts", "/v1/edit-patterns"},
    "admin": "all",
}
ALLOWED["engineer"] = ALLOWED["collector"] | ALLOWED["viewer"]


def _call(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if method == "POST":
        return client.post(path, json=body, headers=headers)
    return client.get(path, headers=headers)


def test_role_route_matrix(app_client: Any, keys: dict[str, str], settings: Settings) -> None:
    # the edit the viewer's routes read must be in the store first (it waits in the spool until a flush)
    _call(app_client, *ROUTES[1], bearer(keys["collector"]))
    assert wait_flushed(app_client)["backlog_total"] == 0
    for role in ("collector", "viewer", "engineer", "admin"):
        for method, path, body in ROUTES:
            answer = _call(app_client, method, path, body, bearer(keys[role]))
            allowed = ALLOWED[role] == "all" or path.split("?")[0] in ALLOWED[role]
            assert answer.status_code < 500, (role, path, answer.text)
            if allowed:
                assert answer.status_code in (200, 201), (role, path, answer.text)
            else:
                assert answer.status_code == 403, (role, path, answer.text)
                assert role in answer.json()["detail"]
    for method, path, body in ROUTES:
        for headers in ({}, bearer("hone_nothing_here"), bearer("not-a-key")):
            assert _call(app_client, method, path, body, headers).status_code == 401
    time.sleep(0.5)  # the audit writer appends queued rows every 0.2 s
    rows = entries(settings, limit=None)
    denied = [r for r in rows if r.action == "request.denied"]
    assert {r.status for r in denied} == {401, 403}
    assert any(r.role == "viewer" and r.route == "POST /v1/runs" and r.status == 403 for r in denied)
    ok = [r for r in rows if r.action == "request" and r.route == "POST /v1/runs" and r.status == 200]
    assert ok and ok[0].records == {"received": 1, "accepted": 1, "duplicate": 0, "conflict": 0, "rejected": 0}
    assert ok[0].key_name == "collector-key" and ok[0].client


def test_revoked_key_is_refused_at_once_through_the_api(app_client: Any, keys: dict[str, str]) -> None:
    made = app_client.post("/v1/keys", json={"name": "tmp", "role": "collector"}, headers=bearer(keys["admin"]))
    assert made.status_code == 201
    token, key_id = made.json()["token"], made.json()["key_id"]
    assert app_client.post("/v1/runs", json=run_record(1), headers=bearer(token)).status_code == 200
    assert app_client.delete(f"/v1/keys/{key_id}", headers=bearer(keys["admin"])).status_code == 200
    assert app_client.post("/v1/runs", json=run_record(2), headers=bearer(token)).status_code == 401
    listed = {k["key_id"]: k for k in app_client.get("/v1/keys", headers=bearer(keys["admin"])).json()}
    assert listed[key_id]["active"] is False and "hash" not in listed[key_id]


def test_collector_restricted_to_agents(app_client: Any, keys: dict[str, str]) -> None:
    ok = app_client.post("/v1/runs", json=run_record(1), headers=bearer(keys["restricted"]))
    assert ok.status_code == 200
    other = app_client.post(
        "/v1/runs", json=run_record(2, agent_name="billing-bot"), headers=bearer(keys["restricted"])
    )
    assert other.status_code == 403 and "billing-bot" in other.json()["detail"]


def test_key_secrets_are_stored_only_hashed(settings: Settings, keys: dict[str, str]) -> None:
    from agenthone.audit import audit_path

    path = audit_path(settings)
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for token in keys.values():
        secret = token.split("_", 2)[2]
        assert secret.encode() not in raw


@pytest.mark.parametrize("role", ["boss", ""])
def test_unknown_role_is_a_clear_error(settings: Settings, role: str) -> None:
    from agenthone.service import KeyError_, create_key

    with pytest.raises(KeyError_, match="role"):
        create_key(settings, name="x", role=role)
