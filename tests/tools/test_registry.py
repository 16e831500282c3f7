"""The registry from the store: tools offered, observed performance, usage history, saved registrations."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from agenthone.store import Store
from agenthone.tools import ToolError, ToolRegistry, call_failed, registry_path, tool_calls_of, usage_history

ORDER_TOOLS = [
    {"type": "function", "function": {"name": "get_order", "description": "Look up an order by id",
                                      "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                                     "required": ["order_id"]}}},
    {"type": "function", "function": {"name": "issue_refund", "description": "Refund an order"}},
]  # fmt: skip


def _conversation(i: int, result: str, latency: float | None = None) -> dict[str, Any]:
    tool_message: dict[str, Any] = {"role": "tool", "tool_call_id": f"c{i}", "content": result}
    if latency is not None:
        tool_message["latency_ms"] = latency
    return {
        "id": f"conv-{i}",
        "timestamp": "2026-10-01T00:00:00Z",
        "agent_name": "order-assistant",
        "tools": ORDER_TOOLS,
        "messages": [
            {"role": "user", "content": f"Where is order {i}?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{i}", "type": "function",
                 "function": {"name": "get_order", "arguments": json.dumps({"order_id": str(i)})}}]},
            tool_message,
            {"role": "assistant", "content": "Here it is."},
        ],
    }  # fmt: skip


@pytest.fixture
def tool_store(store: Store) -> Store:
    store.insert(
        "conversation",
        [
            _conversation(1, '{"status": "shipped"}', 120),
            _conversation(2, '{"error": "order not found"}', 80),
            _conversation(3, "Error: timeout talking to the order service"),
            _conversation(4, '{"status": "packed"}', 100),
        ],
    )
    store.insert(
        "run",
        [
            {"timestamp": "2026-10-01T00:00:00Z", "agent_name": "order-assistant", "input": "refund order 9",
             "success": ok, "latency_ms": 300 + i, "tokens_in": 10, "tokens_out": 5, "cost_usd": 0.001,
             "metadata": {"tool": "issue_refund"}, "id": f"r{i}"}
            for i, ok in enumerate([True, True, False])
        ],
    )  # fmt: skip
    return store


def test_results_that_report_failure() -> None:
    assert call_failed('{"error": "x"}') and call_failed("Error: boom") and call_failed({"status": "failed"})
    assert not call_failed('{"status": "ok", "error": null}') and not call_failed("fine")


def test_tools_and_stats_from_the_store(tool_store: Store) -> None:
    reg = ToolRegistry.from_store(tool_store)
    assert reg.names == ["get_order", "issue_refund"] and reg.agents_of("get_order") == ["order-assistant"]
    assert reg.get("get_order").required == ["order_id"]
    stats = reg.stats(tool_store).set_index("tool")
    order = stats.loc["get_order"]
    assert (order["calls"], order["answered"], order["failures"]) == (4, 4, 2)
    assert order["success_rate"] == 0.5 and order["latency_ms_p50"] == 100.0 and order["tokens_per_call"] > 5
    refund = stats.loc["issue_refund"]
    assert refund["calls"] == 0 and refund["runs"] == 3
    assert math.isclose(refund["run_success_rate"], 2 / 3) and refund["run_latency_ms_p50"] == 301.0
    assert reg.stats(tool_store, agent="nobody").empty


def test_usage_history_and_selector(tool_store: Store) -> None:
    history = usage_history(tool_store)
    # conversations whose call failed are not successful uses; the failed run is left out too
    assert [h["query"] for h in history] == ["Where is order 1?", "Where is order 4?", "refund order 9",
                                             "refund order 9"]  # fmt: skip
    assert history[0]["tools"] == ["get_order"] and history[-1]["tools"] == ["issue_refund"]
    selector = ToolRegistry.from_store(tool_store).selector(tool_store, agent="order-assistant")
    assert selector.history_size == 4 and selector.select("refund please", k=1).names == ["issue_refund"]
    with pytest.raises(ToolError, match="no tools of agent 'x'"):
        ToolRegistry().selector(tool_store, agent="x")


def test_calls_of_a_conversation() -> None:
    calls = tool_calls_of(_conversation(7, '{"status": "ok"}', 12)["messages"])
    assert calls == [{"id": "c7", "name": "get_order", "arguments": '{"order_id": "7"}',
                      "result": '{"status": "ok"}', "failed": False, "latency_ms": 12.0}]  # fmt: skip


def test_register_save_load(tmp_path: Path) -> None:
    reg = ToolRegistry()
    reg.register(ORDER_TOOLS[0], agent="a", idempotent=True)
    reg.output_schemas["agent:a"] = {"type": "object"}
    path = reg.save(tmp_path / "tools" / "registry.json")
    back = ToolRegistry.load(path)
    assert back.get("get_order").idempotent and back.agents_of("get_order") == ["a"]
    assert back.output_schemas == {"agent:a": {"type": "object"}} and len(ToolRegistry.load(tmp_path / "none")) == 0
    with pytest.raises(ToolError, match="unknown tool 'nope'"):
        back.get("nope")
    assert registry_path.__name__ == "registry_path"
