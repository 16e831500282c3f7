"""The parallel executor: concurrency, isolation, timeouts, retries of idempotent tools, redacted audit log."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from agenthone.tools import ToolError, ToolExecutor, parse_calls


def test_parse_calls_forms() -> None:
    calls = parse_calls(
        [
            {"id": "c1", "type": "function", "function": {"name": "a", "arguments": '{"x": 1}'}},
            {"name": "b", "arguments": {"y": 2}},
        ]
    )
    assert [(c.id, c.name, c.arguments) for c in calls] == [("c1", "a", {"x": 1}), ("call_1", "b", {"y": 2})]
    with pytest.raises(ToolError, match=r"tool call 0 \(a\): arguments are not valid JSON"):
        parse_calls([{"function": {"name": "a", "arguments": "{oops"}}])
    with pytest.raises(ToolError, match="no function name"):
        parse_calls([{"arguments": {}}])


def test_isolation_timeouts_retries_and_audit(tmp_path: Path) -> None:
    attempts = {"flaky": 0, "fragile": 0}

    def flaky(order_id: str) -> dict[str, str]:
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise ConnectionError("upstream reset")
        return {"order_id": order_id, "status": "shipped"}

    def fragile() -> None:
        attempts["fragile"] += 1
        raise ValueError("bad input")

    def slow() -> str:
        time.sleep(2)
        return "late"

    async def fine(email: str) -> str:
        await asyncio.sleep(0.01)
        return f"sent to {email}"

    audit = tmp_path / "audit.jsonl"
    executor = ToolExecutor(
        {"flaky": flaky, "fragile": fragile, "slow": slow, "fine": fine},
        idempotent={"flaky"},
        retries=2,
        backoff=0.001,
        timeout=5.0,
        timeouts={"slow": 0.2},
        audit_log=audit,
        agent="order-assistant",
    )
    results = executor.run(
        [
            {"id": "1", "function": {"name": "flaky", "arguments": '{"order_id": "1042"}'}},
            {"id": "2", "name": "fragile", "arguments": {}},
            {"id": "3", "name": "slow", "arguments": {}},
            {"id": "4", "name": "fine", "arguments": {"email": "jane.doe@example.com"}},
            {"id": "5", "name": "missing", "arguments": {}},
        ]
    )
    by_id = {r.id: r for r in results}
    assert [r.id for r in results] == ["1", "2", "3", "4", "5"]
    assert by_id["1"].ok and by_id["1"].attempts == 3 and by_id["1"].value["status"] == "shipped"
    assert not by_id["2"].ok and by_id["2"].attempts == 1 and attempts["fragile"] == 1  # not idempotent
    assert by_id["2"].error == "ValueError: bad input"
    assert by_id["3"].outcome == "timeout" and "0.2 s" in (by_id["3"].error or "")
    assert by_id["4"].ok and by_id["4"].value == "sent to jane.doe@example.com"
    assert by_id["5"].outcome == "unknown_tool"
    assert json.loads(by_id["2"].message()["content"]) == {"error": "ValueError: bad input"}

    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sorted(line["call_id"] for line in lines) == ["1", "2", "3", "4", "5"]
    fine_line = next(line for line in lines if line["tool"] == "fine")
    assert fine_line["agent"] == "order-assistant" and fine_line["outcome"] == "ok"
    assert "<EMAIL>" in fine_line["arguments"] and "jane.doe" not in audit.read_text()
    assert {"timestamp", "duration_ms", "attempts", "error"} <= set(fine_line)


def test_concurrency_limit() -> None:
    running = peak = 0
    lock = threading.Lock()
    together = threading.Barrier(3, timeout=30)

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        together.wait()  # three calls run at once (whatever the machine's load), never a fourth
        time.sleep(0.01)
        with lock:
            running -= 1
        return i

    typed = ToolExecutor({"work": lambda i: i}, output_schemas={"work": {"type": "string"}})
    [bad] = typed.run([{"name": "work", "arguments": {"i": 4}}])
    assert bad.outcome == "invalid_output" and bad.value == 4 and "$: type: 4 is not of type 'string'" in str(bad.error)

    executor = ToolExecutor({"work": work}, concurrency=3)
    results = executor.run([{"name": "work", "arguments": {"i": i}} for i in range(9)])
    assert [r.value for r in results] == list(range(9)) and peak == 3
    one_by_one = ToolExecutor({"work": lambda i: i}).run_sequential([{"name": "work", "arguments": {"i": 1}}])
    assert [r.value for r in one_by_one] == [1]
    with pytest.raises(ToolError, match="concurrency must be at least 1"):
        ToolExecutor({}, concurrency=0)
