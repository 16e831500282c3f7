from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.tools import Tool, ToolError, read_bfcl, read_tools, to_json_schema, tool_from_schema
from tests.tools.conftest import bfcl_paths


def test_bfcl_dialect_becomes_json_schema() -> None:
    schema = {
        "type": "dict",
        "properties": {
            "x": {"type": "float", "optional": True},
            "pts": {"type": "tuple", "items": {"type": "integer"}},
            "v": {"type": "any"},
        },
        "required": ["pts"],
    }
    assert to_json_schema(schema) == {
        "type": "object",
        "properties": {"x": {"type": "number"}, "pts": {"type": "array", "items": {"type": "integer"}}, "v": {}},
        "required": ["pts"],
    }


def test_openai_and_bare_formats() -> None:
    fn = {"name": "get_order", "description": "Look up", "parameters": {"properties": {"id": {"type": "string"}}}}
    a = tool_from_schema({"type": "function", "function": fn})
    b = tool_from_schema(fn)
    assert a == b and a.parameters["type"] == "object" and a.properties == {"id": {"type": "string"}}
    assert a.openai() == {"type": "function", "function": {**fn, "parameters": {"type": "object", **fn["parameters"]}}}
    with pytest.raises(ToolError, match="non-empty 'name'"):
        tool_from_schema({"function": {"description": "nameless"}})
    with pytest.raises(ToolError, match="'parameters' must be a JSON object"):
        tool_from_schema({"name": "x", "parameters": [1]})


def test_read_tools_files(tmp_path: Path) -> None:
    tools: list[dict[str, Any]] = [{"type": "function", "function": {"name": n}} for n in ("a", "b", "a")]
    (tmp_path / "t.json").write_text(json.dumps(tools))
    (tmp_path / "wrapped.json").write_text(json.dumps({"tools": tools}))
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(t) for t in tools))
    for name in ("t.json", "wrapped.json", "t.jsonl"):
        assert [t.name for t in read_tools(tmp_path / name)] == ["a", "b"]
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(ToolError, match="not valid JSON"):
        read_tools(tmp_path / "bad.json")
    with pytest.raises(ToolError, match="not found"):
        read_tools(tmp_path / "missing.json")


def test_read_bfcl_questions_answers_and_pool() -> None:
    questions, pool = read_bfcl(*bfcl_paths("multiple"))
    assert len(questions) == 200 and all(isinstance(t, Tool) for t in pool)
    first = questions[0]
    assert first["tools"] == ["triangle_properties.get"] and "triangle" in first["query"]
    assert set(first["functions"]) <= {t.name for t in pool}
    assert len(pool) == len({t.name for t in pool}) > 200
    assert all(t.parameters["type"] == "object" for t in pool)
    with pytest.raises(ToolError, match="no answer matches"):
        read_bfcl(bfcl_paths("multiple")[0], bfcl_paths("simple_python")[1])
