"""Schemathesis against the service's OpenAPI schema: whatever it sends, no 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from agenthone.config import Settings

pytestmark = pytest.mark.xdist_group("service-schema")


def test_no_server_errors_on_any_operation(workspace: Path) -> None:
    from agenthone.service import create_app, create_key

    ws = Settings.load(workspace)
    _, token = create_key(ws, name="fuzz", role="admin")
    app = create_app(ws)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        check()
    app.state.core.validator.close()
    assert "POST /v1/runs" in seen and "POST /v1/traces" in seen and "GET /v1/performance" in seen
    assert not failures, failures[:5]
