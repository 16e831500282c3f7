"""Tool-call accuracy: did the model call the right functions with the right arguments?

Predictions are text (every :class:`~agenthone.providers.ChatModel` returns text), so calls are read from
the forms models write: OpenAI ``tool_calls`` JSON (optionally inside ``<tool_calls>...</tool_calls>``),
``{"name", "arguments"}`` objects or lists of them, BFCL's ``{"func": {"arg": value}}``, and Python call
syntax ``func(a=1)`` / ``[f(a=1), g(b=2)]`` as BFCL prompts ask for.

Matching follows BFCL's AST checker: the function name must be equal; every argument given must be known
to the expected call; every expected argument without ``""`` among its allowed values must be given; each
value must equal one allowed value (strings compared without case, spaces and punctuation, integers
accepted for floats, lists and objects compared element-wise); with the tool's schema, each value must
have the declared type. Parallel calls match as a set: some one-to-one pairing must match every call.

- ``tool_name_match``: the multiset of called function names equals the expected one
- ``tool_call_match``: names and arguments match (the BFCL AST accuracy)
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import permutations
from typing import Any

__all__ = [
    "TOOL_CALL_METRICS",
    "ast_match",
    "example_call",
    "expected_from_calls",
    "parse_tool_calls",
    "score_tool_calls",
]

TOOL_CALL_METRICS = ("tool_name_match", "tool_call_match")
"""Per-example tool-call metrics (1.0 or 0.0), reported for examples whose reference is a tool call."""

Call = dict[str, Any]
"""``{"name": str, "arguments": dict}``"""

_WRAPPED = re.compile(r"<tool_calls?>(.*?)</tool_calls?>", re.S)
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.S)
_PUNCT = re.compile(r"[\s,./\-_*^'\"!?;:()\[\]{}]")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


def _call_from(obj: Any) -> list[Call] | None:
    if isinstance(obj, list):
        calls: list[Call] = []
        for item in obj:
            found = _call_from(item)
            if found is None:
                return None
            calls.extend(found)
        return calls
    if not isinstance(obj, Mapping):
        return None
    if isinstance(obj.get("tool_calls"), list):
        return _call_from(obj["tool_calls"])
    fn: Mapping[str, Any] = obj["function"] if isinstance(obj.get("function"), Mapping) else obj
    if isinstance(fn.get("name"), str):
        args = fn.get("arguments", fn.get("parameters", {}))
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError:
                return None
        return [{"name": fn["name"], "arguments": dict(args)}] if isinstance(args, Mapping) else None
    if len(obj) == 1:
        name, args = next(iter(obj.items()))
        if isinstance(args, Mapping):
            return [{"name": str(name), "arguments": dict(args)}]
    return None


def _literal(node: ast.AST) -> Any:
    return ast.literal_eval(node)


def _python_calls(text: str) -> list[Call] | None:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    body = tree.body
    nodes = body.elts if isinstance(body, (ast.List, ast.Tuple)) else [body]
    calls: list[Call] = []
    for node in nodes:
        if not isinstance(node, ast.Call) or node.args:
            return None
        name = ast.unparse(node.func)
        try:
            args = {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg is not None}
        except (ValueError, SyntaxError):
            return None
        calls.append({"name": name, "arguments": args})
    return calls


def parse_tool_calls(prediction: Any) -> list[Call] | None:
    """The calls in a prediction (text or value), or None when it holds none (see the module docstring)."""
    if not isinstance(prediction, str):
        return _call_from(prediction)
    text = prediction.strip()
    candidates = [m.group(1) for m in _WRAPPED.finditer(text)] + [m.group(1) for m in _FENCE.finditer(text)]
    candidates.append(text)
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        try:
            found = _call_from(json.loads(candidate))
        except json.JSONDecodeError:
            found = _python_calls(candidate)
        if found:
            return found
    return None


def expected_from_calls(calls: Sequence[Any]) -> list[dict[str, dict[str, list[Any]]]]:
    """BFCL-style expected calls (``{name: {arg: [allowed]}}``) from concrete calls, e.g. a reference's
    ``tool_calls``: every argument given is required with exactly its value."""
    parsed = _call_from(list(calls)) or []
    return [{c["name"]: {k: [v] for k, v in c["arguments"].items()}} for c in parsed]


def _concrete(option: Any) -> Any:
    if isinstance(option, Mapping):
        out = {}
        for key, options in option.items():
            opts = [o for o in (options if isinstance(options, list) else [options]) if o != ""]
            if opts:
                out[key] = _concrete(opts[0])
        return out
    if isinstance(option, list):
        return [_concrete(o) for o in option]
    return option


def example_call(expected: Mapping[str, Mapping[str, Sequence[Any]]]) -> Call:
    """One call that an expected call accepts: the first allowed value of each argument, optional ones left out."""
    name, allowed = next(iter(expected.items()))
    args = {}
    for key, options in allowed.items():
        opts = [o for o in options if o != ""]
        if opts:
            args[key] = _concrete(opts[0])
    return {"name": name, "arguments": args}


def _norm_str(value: str) -> str:
    return _PUNCT.sub("", value).lower()


def _equal(value: Any, allowed: Any) -> bool:
    if isinstance(allowed, str) and isinstance(value, str):
        return _norm_str(value) == _norm_str(allowed)
    if isinstance(allowed, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    if isinstance(allowed, (int, float)) and isinstance(value, (int, float)):
        return float(value) == float(allowed)
    if isinstance(allowed, (list, tuple)) and isinstance(value, (list, tuple)):
        return len(allowed) == len(value) and all(_equal(v, a) for v, a in zip(value, allowed, strict=True))
    if isinstance(allowed, Mapping) and isinstance(value, Mapping):
        # BFCL writes nested objects' allowed values as lists too
        for key, options in allowed.items():
            opts = options if isinstance(options, list) else [options]
            if key not in value:
                if "" not in opts:
                    return False
                continue
            if not any(_equal(value[key], o) for o in opts if o != "" or value[key] == ""):
                return False
        return set(value) <= set(allowed)
    return bool(value == allowed)


def _type_ok(value: Any, schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return True
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _JSON_TYPES:
        return True
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if not isinstance(value, _JSON_TYPES[kind]):
        return False
    if kind == "array" and isinstance(schema.get("items"), Mapping) and isinstance(value, (list, tuple)):
        return all(_type_ok(v, schema["items"]) for v in value)
    return True


def ast_match(
    call: Mapping[str, Any],
    expected: Mapping[str, Mapping[str, Sequence[Any]]],
    *,
    tool: Mapping[str, Any] | None = None,
) -> bool:
    """Whether one call matches one expected call (BFCL's possible-answer form) and, if given, the tool's
    JSON Schema of arguments (``tool``: the ``parameters`` object)."""
    if len(expected) != 1:
        return False
    name, allowed = next(iter(expected.items()))
    if call.get("name") != name:
        return False
    args = call.get("arguments") or {}
    if not isinstance(args, Mapping):
        return False
    props = tool.get("properties", {}) if isinstance(tool, Mapping) else {}
    needed = set(tool.get("required") or ()) if isinstance(tool, Mapping) else set()
    for key, value in args.items():
        if key not in allowed:
            return False
        # null for an optional argument means "its default"
        optional = key not in needed or "" in allowed[key]
        if props and not (value is None and optional) and not _type_ok(value, props.get(key)):
            return False
        options = allowed[key]
        if not any(_equal(value, option) for option in options if option != ""):
            return False
    return all(key in args or not options or "" in options for key, options in allowed.items())


def score_tool_calls(
    prediction: Any,
    expected: Sequence[Mapping[str, Mapping[str, Sequence[Any]]]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """``tool_name_match`` and ``tool_call_match`` of a prediction against the expected calls (a set)."""
    calls = parse_tool_calls(prediction) or []
    want = [next(iter(e)) for e in expected if len(e) == 1]
    names_ok = Counter(c["name"] for c in calls) == Counter(want)
    schemas: dict[str, Any] = {}
    for t in tools or ():
        fn = t.get("function") if isinstance(t.get("function"), Mapping) else t
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            from agenthone.tools._schema import to_json_schema

            schemas[fn["name"]] = to_json_schema(fn.get("parameters") or {})
    calls_ok = False
    if names_ok and calls:
        n = len(calls)
        ok = [[ast_match(c, e, tool=schemas.get(c["name"])) for e in expected] for c in calls]
        if n <= 7:
            calls_ok = any(all(ok[i][p[i]] for i in range(n)) for p in permutations(range(n)))
        else:  # greedy pairing for long lists
            free = set(range(n))
            calls_ok = True
            for i in range(n):
                j = next((j for j in sorted(free) if ok[i][j]), None)
                if j is None:
                    calls_ok = False
                    break
                free.discard(j)
    return {"tool_name_match": float(names_ok), "tool_call_match": float(calls_ok)}


_INSTRUCTION = (
    "You can call these tools (one compact JSON object per tool: n name, d description, p parameters; "
    "a parameter ending in ? is optional):\n{tools}\n"
    'To call tools, reply with only a JSON list: [{{"name": "...", "arguments": {{...}}}}].'
)


def with_tools(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The prompt with the tools described in a system message (for models that take text only)."""
    from agenthone.tools._compress import compress_tools

    note = {"role": "system", "content": _INSTRUCTION.format(tools=compress_tools(list(tools), "lossless"))}
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system" and isinstance(out[0].get("content"), str):
        out[0]["content"] = f"{out[0]['content']}\n\n{note['content']}"
        return out
    return [note, *out]


def tool_call_turns(example: Mapping[str, Any]) -> list[tuple[list[dict[str, Any]], list[Any]]]:
    """Each assistant turn of an example that called tools, before the final reply: (messages before it, its
    calls)."""
    messages = list(example.get("messages") or [])
    out = []
    for i, message in enumerate(messages[:-1]):
        if message.get("role") == "assistant" and message.get("tool_calls"):
            out.append(([dict(m) for m in messages[:i]], list(message["tool_calls"])))
    return out
