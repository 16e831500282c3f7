"""Tool schemas in one shape: the OpenAI function format, with BFCL's dialect read as well.

A :class:`Tool` holds a function's name, description and JSON Schema of its arguments. Readers accept what
agents and benchmarks write: OpenAI's ``{"type": "function", "function": {...}}``, a bare ``{"name",
"description", "parameters"}``, and the Berkeley Function Calling Leaderboard's dialect (``"type": "dict"``,
``"float"``, ``"tuple"``, ``"any"``), which is turned into standard JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenthone.errors import HoneError

__all__ = [
    "Tool",
    "ToolError",
    "bfcl_relevant",
    "read_bfcl",
    "read_tools",
    "to_json_schema",
    "tool_from_schema",
    "tools_from_schemas",
]


class ToolError(HoneError):
    """A tool schema, a tool file or a tool call that cannot be used."""


_BFCL_TYPES = {
    "dict": "object",
    "float": "number",
    "double": "number",
    "int": "integer",
    "long": "integer",
    "tuple": "array",
    "list": "array",
    "str": "string",
    "bool": "boolean",
    "String": "string",
    "Boolean": "boolean",
    "Array": "array",
    "ArrayList": "array",
    "HashMap": "object",
}
_JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}


def to_json_schema(schema: Any) -> Any:
    """A JSON Schema from an OpenAI or BFCL parameter schema (BFCL's type names mapped, ``optional`` dropped)."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, str):
                mapped = _BFCL_TYPES.get(value, value)
                if mapped == "any":
                    continue
                out[key] = mapped
            else:
                out[key] = [_BFCL_TYPES.get(v, v) for v in value]
        elif key == "optional" and isinstance(value, bool):
            continue
        elif key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, Mapping):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Tool:
    """One function a model may call: its name, description and JSON Schema of arguments."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    idempotent: bool = False
    """Safe to call again after a failure (the executor retries only these)."""
    output_schema: dict[str, Any] | None = None
    """JSON Schema of what the tool returns, when known (structured outputs)."""

    @property
    def properties(self) -> dict[str, Any]:
        props = self.parameters.get("properties")
        return dict(props) if isinstance(props, Mapping) else {}

    @property
    def required(self) -> list[str]:
        req = self.parameters.get("required")
        return [str(r) for r in req] if isinstance(req, list) else []

    def openai(self) -> dict[str, Any]:
        """The tool in OpenAI's function-calling format (what a chat request's ``tools`` holds)."""
        fn: dict[str, Any] = {"name": self.name}
        if self.description:
            fn["description"] = self.description
        fn["parameters"] = self.parameters
        return {"type": "function", "function": fn}

    def as_dict(self) -> dict[str, Any]:
        out = self.openai()
        if self.idempotent:
            out["idempotent"] = True
        if self.output_schema is not None:
            out["output_schema"] = self.output_schema
        return out


def tool_from_schema(schema: Mapping[str, Any], *, idempotent: bool | None = None) -> Tool:
    """A :class:`Tool` from an OpenAI tool, a bare function schema or a BFCL function."""
    if not isinstance(schema, Mapping):
        raise ToolError(f"a tool schema must be a JSON object, got {type(schema).__name__}")
    fn: Mapping[str, Any] = schema
    if isinstance(schema.get("function"), Mapping):
        fn = schema["function"]
    name = fn.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ToolError(f"a tool schema needs a non-empty 'name': {json.dumps(dict(schema), default=str)[:120]}")
    params = fn.get("parameters")
    if params is None:
        params = {"type": "object", "properties": {}}
    if not isinstance(params, Mapping):
        raise ToolError(f"tool {name!r}: 'parameters' must be a JSON object")
    params = to_json_schema(params)
    if "type" not in params:
        params = {"type": "object", **params}
    output = schema.get("output_schema")
    return Tool(
        name=name.strip(),
        description=str(fn.get("description") or "").strip(),
        parameters=dict(params),
        idempotent=bool(schema.get("idempotent", False)) if idempotent is None else idempotent,
        output_schema=dict(output) if isinstance(output, Mapping) else None,
    )


def tools_from_schemas(schemas: Iterable[Mapping[str, Any]]) -> list[Tool]:
    """Tools of a list of schemas, the first of each name kept."""
    seen: dict[str, Tool] = {}
    for schema in schemas:
        tool = tool_from_schema(schema)
        seen.setdefault(tool.name, tool)
    return list(seen.values())


def _json_lines(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ToolError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return list(data)
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if n == 1 and stripped.startswith("{"):
                try:
                    return [json.loads(text)]
                except json.JSONDecodeError:
                    pass
            raise ToolError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
    return out


def read_tools(path: str | Path) -> list[Tool]:
    """Tools of a JSON file (a list of schemas, or ``{"tools": [...]}``) or a JSON Lines file of schemas."""
    p = Path(path)
    if not p.is_file():
        raise ToolError(f"tool file not found: {p}")
    items = _json_lines(p)
    if len(items) == 1 and isinstance(items[0], Mapping) and isinstance(items[0].get("tools"), list):
        items = items[0]["tools"]
    if not items:
        raise ToolError(f"{p}: no tool schemas")
    return tools_from_schemas(items)


def bfcl_relevant(answer: Mapping[str, Any]) -> list[str]:
    """The function names of a BFCL ground truth line (the relevant tools of its question)."""
    names: list[str] = []
    for call in answer.get("ground_truth") or ():
        if isinstance(call, Mapping):
            names.extend(str(k) for k in call)
    return list(dict.fromkeys(names))


def read_bfcl(questions: str | Path, answers: str | Path | None = None) -> tuple[list[dict[str, Any]], list[Tool]]:
    """BFCL questions as ``{"id", "query", "tools", "functions", "ground_truth"?}`` and the pool of every function.

    ``query`` is the user text of the question's first turn; ``tools`` the relevant function names (from
    the answers file, when given); ``functions`` the question's own tools.
    """
    qpath = Path(questions)
    if not qpath.is_file():
        raise ToolError(f"BFCL questions file not found: {qpath}")
    truth: dict[str, Any] = {}
    if answers is not None:
        apath = Path(answers)
        if not apath.is_file():
            raise ToolError(f"BFCL answers file not found: {apath}")
        truth = {str(a.get("id")): a for a in _json_lines(apath) if isinstance(a, Mapping)}
    pool: dict[str, Tool] = {}
    out: list[dict[str, Any]] = []
    for line in _json_lines(qpath):
        if not isinstance(line, Mapping) or "question" not in line or "function" not in line:
            raise ToolError(f"{qpath}: not a BFCL questions file (lines need 'question' and 'function')")
        functions = [tool_from_schema(f) for f in line["function"]]
        for tool in functions:
            pool.setdefault(tool.name, tool)
        turns = line["question"]
        first = turns[0] if turns and isinstance(turns[0], list) else turns
        query = "\n".join(str(m.get("content") or "") for m in first if m.get("role") == "user")
        item: dict[str, Any] = {"id": str(line.get("id")), "query": query, "functions": [t.name for t in functions]}
        answer = truth.get(item["id"])
        if answer is not None:
            item["tools"] = bfcl_relevant(answer)
            item["ground_truth"] = answer.get("ground_truth")
        out.append(item)
    if answers is not None and not any("tools" in q for q in out):
        raise ToolError(f"{answers}: no answer matches a question id of {qpath}")
    return out, list(pool.values())


def as_tools(items: Sequence[Tool | Mapping[str, Any]]) -> list[Tool]:
    """Tools from tools or schemas."""
    return [t if isinstance(t, Tool) else tool_from_schema(t) for t in items]
