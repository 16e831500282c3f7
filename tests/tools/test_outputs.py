from __future__ import annotations

from typing import Any

import pytest

from agenthone.store import Store
from agenthone.tools import ToolError, output_failures, validate_output

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "price": {"type": "number"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"qty": {"type": "integer"}}}},
    },
    "required": ["name", "price"],
}


def test_valid_and_invalid_outputs_name_path_rule_and_hint() -> None:
    ok = validate_output('{"name": "kettle", "price": 30}', SCHEMA)
    assert ok.ok and ok.value == {"name": "kettle", "price": 30} and not ok.errors
    assert validate_output({"name": "kettle", "price": 30}, SCHEMA).ok

    nested = validate_output('{"name": "k", "price": 1, "lines": [{"qty": "2"}]}', SCHEMA)
    assert [(e.path, e.rule) for e in nested.errors] == [("$.lines[0].qty", "type")]
    assert nested.errors[0].hint == "give a value of type integer"

    missing = validate_output('{"name": "k"}', SCHEMA)
    assert missing.rules == ["required"] and missing.errors[0].hint == "add the required field 'price'"


def test_common_parse_failures_get_repair_hints() -> None:
    trailing = validate_output('{"name": "k", "price": 1}\nHope this helps!', SCHEMA)
    assert trailing.rules == ["parse"] and "remove the text after the JSON" in trailing.errors[0].hint
    assert trailing.repaired == {"name": "k", "price": 1}

    quotes = validate_output("{'name': 'k'}", SCHEMA)
    assert quotes.rules == ["parse", "required"] and "double quotes" in quotes.errors[0].hint
    assert "add the required field 'price'" in str(quotes.errors[1])

    fenced = validate_output('```json\n{"name": "k", "price": 2}\n```', SCHEMA)
    assert fenced.rules == ["parse"] and "code fence" in fenced.errors[0].hint

    prose = validate_output("Sorry, I cannot do that.", SCHEMA)
    assert prose.rules == ["parse"] and prose.repaired is None
    with pytest.raises(ToolError, match="not a valid JSON Schema"):
        validate_output("{}", {"type": "nonsense"})


def test_failures_counted_over_the_store(store: Store) -> None:
    outputs = ['{"name": "a", "price": 1}', '{"name": "a"}', "{'name': 'a', 'price': 1}", '{"price": 2}']
    store.insert(
        "run",
        [
            {"timestamp": "2026-10-01T00:00:00Z", "agent_name": "pricer", "output": text, "id": f"r{i}"}
            for i, text in enumerate(outputs)
        ],
    )
    frame = output_failures(store, {"pricer": SCHEMA})
    assert set(frame["runs"]) == {4} and set(frame["failed"]) == {3}
    assert dict(zip(frame["rule"], frame["count"], strict=True)) == {"required": 2, "parse": 1}
