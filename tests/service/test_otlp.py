"""OpenTelemetry GenAI traces to runs and conversations, with the real SDK, exporter and OpenAI instrumentation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agenthone.config import Settings
from agenthone.store import Store
from tests.service.conftest import Server, bearer, wait_flushed


def _rows(settings: Settings, sql: str) -> list[dict[str, Any]]:
    store = Store.open(settings, read_only=True)
    try:
        return list(store.sql(sql).to_dict("records"))
    finally:
        store.close()


@pytest.fixture
def instrumented_openai() -> Iterator[Any]:
    """The official OpenAI instrumentation, on for the test only."""
    import wrapt
    from opentelemetry.instrumentation import openai_v2

    # openai-v2 2.3b0 calls wrap_function_wrapper(module=...), a keyword wrapt 2 renamed to target
    original = wrapt.wrap_function_wrapper

    def compatible(module: str, name: str, wrapper: Any) -> Any:
        return original(module, name, wrapper)

    openai_v2.wrap_function_wrapper = compatible  # type: ignore[attr-defined]
    instrumentor = openai_v2.OpenAIInstrumentor()
    yield instrumentor
    instrumentor.uninstrument()


def test_openai_call_through_the_otlp_exporter_ends_as_a_run(
    server: Server, keys: dict[str, str], settings: Settings, instrumented_openai: Any
) -> None:
    import openai
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from tests.providers.stub_server import stub_server

    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    exporter = OTLPSpanExporter(endpoint=server.url + "/v1/traces", headers=bearer(keys["collector"]))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumented_openai.instrument(tracer_provider=provider)
    with stub_server() as (url, _):
        client = openai.OpenAI(base_url=url + "/v1", api_key="sk-test-otlp")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Where is order 7?"}])
        with provider.get_tracer("agent").start_as_current_span("lookup") as span:  # a span that is not GenAI
            span.set_attribute("order", 7)
    provider.shutdown()
    assert server.stop() in (0, -15)
    runs = _rows(settings, "SELECT * FROM runs")
    assert len(runs) == 1
    run = runs[0]
    assert (run["agent_name"], run["model"], run["task_type"]) == ("support-bot", "gpt-4o-mini", "chat")
    assert (run["tokens_in"], run["tokens_out"], run["success"]) == (10, 10, True)
    assert run["latency_ms"] > 0
    meta = json.loads(run["metadata"])
    assert meta["provider"] == "openai" and run["id"] == f"otel-{meta['trace_id']}-{meta['span_id']}"


def _span(span_id: str, name: str, attrs: dict[str, Any], *, parent: str = "", error: bool = False) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": v if isinstance(v, str) else json.dumps(v)}

    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "startTimeUnixNano": "1793700000000000000",
        "endTimeUnixNano": "1793700001500000000",
        "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
        "status": {"code": 2 if error else 1},
    }


def test_otlp_json_with_messages_and_tool_calls(app_client: Any, keys: dict[str, str], settings: Settings) -> None:
    chat = _span(
        "eee19b7ec3c1b174",
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.agent.name": "order-assistant",
            "gen_ai.usage.input_tokens": 52,
            "gen_ai.usage.output_tokens": 18,
            "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Where is order 1042?"}]}],
            "gen_ai.output.messages": [
                {
                    "role": "assistant",
                    "parts": [{"type": "tool_call", "id": "call_1", "name": "get_order", "arguments": {"id": "1042"}}],
                }
            ],
        },
    )
    tool = _span(
        "0123456789abcdef",
        "execute_tool get_order",
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_order",
            "gen_ai.agent.name": "order-assistant",
        },
        parent="eee19b7ec3c1b174",
        error=True,
    )
    other = _span("1111111111111111", "http GET", {"http.method": "GET"})
    payload = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": [chat, tool, other]}],
            }
        ]
    }
    answer = app_client.post("/v1/traces", json=payload, headers=bearer(keys["collector"]))
    assert answer.status_code == 200, answer.text
    counts = answer.json()["agenthone"]
    assert counts["run"]["accepted"] == 2 and counts["conversation"]["accepted"] == 1 and counts["ignored_spans"] == 1
    again = app_client.post("/v1/traces", json=payload, headers=bearer(keys["collector"])).json()["agenthone"]
    assert again["run"]["duplicate"] == 2
    wait_flushed(app_client)
    runs = {r["task_type"]: r for r in _rows(settings, "SELECT * FROM runs")}
    assert set(runs) == {"chat", "execute_tool:get_order"}
    assert runs["chat"]["latency_ms"] == pytest.approx(1500) and runs["chat"]["tokens_in"] == 52
    assert runs["execute_tool:get_order"]["success"] is False
    (conv,) = _rows(settings, "SELECT * FROM conversations")
    messages = json.loads(conv["messages"])
    assert messages[0] == {"role": "user", "content": "Where is order 1042?"}
    assert messages[1]["tool_calls"][0]["function"]["name"] == "get_order"


def test_bad_otlp_bodies_are_4xx(app_client: Any, keys: dict[str, str]) -> None:
    h = bearer(keys["collector"])
    bad_proto = app_client.post(
        "/v1/traces", content=b"\xff\x00garbage", headers={**h, "Content-Type": "application/x-protobuf"}
    )
    assert bad_proto.status_code == 400 and "OTLP" in bad_proto.json()["detail"]
    assert app_client.post("/v1/traces", content=b"x", headers={**h, "Content-Type": "text/plain"}).status_code == 415
    assert app_client.post("/v1/traces", json={"resourceSpans": 3}, headers=h).status_code == 400
