"""Tool-call accuracy: the AST matcher on BFCL's possible answers, parsing, and the harness over a real SDK."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from agenthone import Workbench
from agenthone.evaluation import evaluate
from agenthone.evaluation._toolcalls import (
    ast_match,
    example_call,
    expected_from_calls,
    parse_tool_calls,
    score_tool_calls,
)
from agenthone.tools import read_bfcl
from tests.conftest import shared_data
from tests.providers.stub_server import Stub


def _bfcl(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    questions, pool = read_bfcl(
        shared_data("bfcl", f"BFCL_v4_{name}.json"), shared_data("bfcl", f"possible_answer_BFCL_v4_{name}.json")
    )
    return questions, {t.name: t for t in pool}


def _spoil(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7919
    if isinstance(value, str):
        return value + " zzz"
    if isinstance(value, list):
        return [*value, "zzz"]
    return {"zzz": 1}


def test_ast_matcher_on_bfcl_possible_answers() -> None:
    total = accepted = rejected = spoiled = 0
    for name in ("simple_python", "multiple", "live_simple"):
        questions, pool = _bfcl(name)
        for q in questions:
            calls = [example_call(e) for e in q["ground_truth"]]
            tools = [pool[c["name"]].openai() for c in calls]
            total += 1
            accepted += score_tool_calls(json.dumps(calls), q["ground_truth"], tools=tools)["tool_call_match"] == 1
            wrong_name = [{**calls[0], "name": calls[0]["name"] + "_x"}, *calls[1:]]
            assert score_tool_calls(wrong_name, q["ground_truth"]) == {"tool_name_match": 0, "tool_call_match": 0}
            bad = copy.deepcopy(calls)
            args = bad[0]["arguments"]
            if args:
                key = next(iter(args))
                args[key] = _spoil(args[key])
                spoiled += 1
                rejected += score_tool_calls(bad, q["ground_truth"], tools=tools)["tool_call_match"] == 0
    # 3 of BFCL's 858 answers give a value of another type than the function's schema declares
    assert total == 858 and accepted >= 855
    assert rejected == spoiled > 800


def test_parse_forms_and_parallel_calls_as_a_set() -> None:
    expected = [{"get_weather": {"city": ["Paris", "Paris, France"], "unit": ["", "celsius"]}},
                {"get_time": {"tz": ["CET"]}}]  # fmt: skip
    forms = [
        '[{"name": "get_time", "arguments": {"tz": "CET"}}, {"name": "get_weather", "arguments": {"city": "paris"}}]',
        '<tool_calls>[{"id": "1", "type": "function", "function": {"name": "get_weather", "arguments": '
        '"{\\"city\\": \\"Paris, France\\"}"}}, '
        '{"function": {"name": "get_time", "arguments": "{\\"tz\\": \\"CET\\"}"}}]</tool_calls>',
        "[get_weather(city='Paris', unit='celsius'), get_time(tz='CET')]",
        '```json\n[{"get_time": {"tz": "CET"}}, {"get_weather": {"city": "Paris"}}]\n```',
    ]
    for text in forms:
        assert score_tool_calls(text, expected) == {"tool_name_match": 1.0, "tool_call_match": 1.0}, text
    assert score_tool_calls('[{"name": "get_time", "arguments": {"tz": "CET"}}]', expected)["tool_name_match"] == 0
    wrong_unit = "[get_weather(city='Paris', unit='kelvin'), get_time(tz='CET')]"
    assert score_tool_calls(wrong_unit, expected) == {"tool_name_match": 1.0, "tool_call_match": 0.0}
    assert parse_tool_calls("The weather is fine.") is None
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert ast_match({"name": "f", "arguments": {"n": 2}}, {"f": {"n": [2]}}, tool=schema)
    assert not ast_match({"name": "f", "arguments": {"n": 2.0}}, {"f": {"n": [2]}}, tool=schema)  # type
    assert not ast_match({"name": "f", "arguments": {}}, {"f": {"n": [2]}})  # required argument missing


def _tool_dataset(data_dir: Path) -> None:
    params = {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}
    tools = [{"type": "function", "function": {"name": n, "parameters": params}} for n in ("get_order", "cancel_order")]
    rows = []
    for i in range(6):
        verb, fn = ("Where is", "get_order") if i % 2 == 0 else ("Cancel", "cancel_order")
        call = {"id": f"c{i}", "type": "function",
                "function": {"name": fn, "arguments": json.dumps({"order_id": str(1000 + i)})}}  # fmt: skip
        messages = [
            {"role": "user", "content": f"{verb} order {1000 + i}"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": f"c{i}", "content": '{"ok": true}'},
            {"role": "assistant", "content": "Done."},
        ]
        rows.append({"id": f"conversation:{i}", "messages": messages, "reference": "Done.", "tools": tools,
                     "source": {"kind": "conversation", "id": str(i), "agent_name": "orders"}})  # fmt: skip
    # one example whose reference itself is the tool call
    rows.append({**rows[0], "id": "direct", "messages": rows[0]["messages"][:2], "reference": ""})
    folder = data_dir / "datasets" / "orders" / "v1"
    folder.mkdir(parents=True)
    text = "".join(json.dumps(r) + "\n" for r in rows)
    (folder / "test.jsonl").write_text(text)
    for split in ("train", "validation"):
        (folder / f"{split}.jsonl").write_text("")
    manifest = {"name": "orders", "version": "v1", "digest": hashlib.sha256(text.encode()).hexdigest(),
                "created_at": "2026-11-01T00:00:00+00:00", "spec": {"name": "orders"},
                "counts": {"train": 0, "validation": 0, "test": len(rows)}, "sources": {"conversation": 6},
                "cleaning": {}, "mlflow_run_id": None}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_harness_scores_tool_calls(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        _tool_dataset(wb.settings.data_dir)
        plain = evaluate("openai:gpt-4o-mini", "orders", settings=wb.settings, log_to_mlflow=False)
        turns = evaluate("openai:gpt-4o-mini", "orders", settings=wb.settings, tool_turns=True)
    # without turns only the example whose reference is a call is scored on tool calls
    assert plain.metrics["tool_call_examples"] == 1 and plain.metrics["tool_call_match"] == 1.0
    direct = plain.examples.set_index("id").loc["direct"]
    assert direct["tool_name_match"] == 1.0 and "get_order" in direct["reference"]
    # with turns: 6 more rows; the stub calls get_order for "Cancel order", which is the wrong tool
    frame = turns.examples.set_index("id")
    assert len(frame) == 13 and turns.metrics["tool_call_examples"] == 7
    assert frame.loc["conversation:0#call1", "tool_call_match"] == 1.0
    assert frame.loc["conversation:1#call1", "tool_name_match"] == 0.0
    assert turns.metrics["tool_call_match"] == 4 / 7 and turns.metrics["tool_name_match"] == 4 / 7
    assert turns.run_id is not None
    from agenthone.evaluation import EvaluationResult

    logged = EvaluationResult.from_mlflow(turns.run_id, settings=wb.settings)
    assert logged.metrics["tool_call_match"] == 4 / 7
    # the tools reached the model in a system message, compressed
    bodies = [json.loads(r["body"]) for r in stub.state.calls("POST", "/v1/chat/completions")]
    systems = [m["content"] for b in bodies for m in b["messages"] if m["role"] == "system"]
    assert systems and all('{"n":"cancel_order","p":{"order_id":"str"}}' in text for text in systems)
    assert expected_from_calls([{"function": {"name": "f", "arguments": '{"a": 1}'}}]) == [{"f": {"a": [1]}}]
