"""Compressed tool schemas: fewer prompt tokens, the same calls accepted.

A compressed tool is a small JSON object, ``{"n": name, "d": description, "p": {param: spec}}``, where an
optional parameter's name ends with ``?`` and a spec is one string,
``TYPE[ENUM][=DEFAULT][: description]``: ``"str: city name"``, ``"int=3"``, ``"str[\\"c\\",\\"f\\"]"``,
``"arr<num>"``. Types are ``str int num bool obj arr null any`` and ``arr<TYPE>``. A parameter the string
cannot express (nested objects, ``minimum``, ``pattern``, ``anyOf`` ...) keeps its JSON Schema as is, so
nothing that validation depends on is ever dropped.

- ``lossless``: every key is kept: :func:`decompress` gives back the original schema exactly.
- ``lossy``: descriptions are cut to their first sentence and a few words (dropped when they only repeat
  the parameter's name), defaults, titles and examples are dropped. Types, enums, required parameters and
  nested structure stay, so the schema still accepts exactly the same calls.

Token counts are exact, with the tiktoken encodings shipped with agenthone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agenthone.tools._schema import Tool, ToolError, as_tools, tool_from_schema

__all__ = ["CompressionMode", "TokenSavings", "compress", "compress_tools", "decompress", "token_savings"]

CompressionMode = Literal["lossless", "lossy"]

_CODES = {"string": "str", "integer": "int", "number": "num", "boolean": "bool", "object": "obj", "array": "arr"}
_CODES["null"] = "null"
_TYPES = {v: k for k, v in _CODES.items()}
_SIMPLE_KEYS = {"type", "description", "default", "enum", "items"}
_TYPE_RE = re.compile(r"arr<(str|int|num|bool|obj|null|any)>|str|int|num|bool|obj|arr|null|any")
_DECODER = json.JSONDecoder()
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n")
_DEFAULT_NOTE = re.compile(r"\s*[(\[]?\s*(?:the\s+)?default(?:s)?\s*(?:value\s*)?(?:is|:|=|to)\b[^.)\]]*[.)\]]?", re.I)
_WORD = re.compile(r"[A-Za-z0-9]+")
_FILLER = {"the", "a", "an", "of", "to", "for", "in", "on", "and", "or", "is", "be", "which", "that", "this", "it"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _type_code(schema: Mapping[str, Any]) -> str | None:
    """The one-word type of a schema that has nothing but a type (or nothing), else None."""
    kind = schema.get("type")
    if kind is None:
        return "any"
    if not isinstance(kind, str) or kind not in _CODES:
        return None
    if kind == "array" and "items" in schema:
        items = schema["items"]
        if not isinstance(items, Mapping) or set(items) - {"type"}:
            return None
        inner = _type_code(items)
        if inner is None or inner.startswith("arr"):
            return None
        return f"arr<{inner}>"
    return _CODES[kind]


def _spec(schema: Any) -> str | None:
    """The one-string spec of a parameter schema, or None when it needs its JSON Schema."""
    if not isinstance(schema, Mapping) or set(schema) - _SIMPLE_KEYS:
        return None
    if "items" in schema and schema.get("type") != "array":
        return None
    code = _type_code(schema)
    if code is None:
        return None
    out = code
    if "enum" in schema:
        if not isinstance(schema["enum"], list):
            return None
        out += _dumps(schema["enum"])
    if "default" in schema:
        out += "=" + _dumps(schema["default"])
    description = schema.get("description")
    if description is not None:
        if not isinstance(description, str):
            return None
        out += ": " + description
    return out


def _parse_spec(text: str) -> dict[str, Any]:
    match = _TYPE_RE.match(text)
    if match is None:
        raise ToolError(f"not a compressed parameter spec: {text[:60]!r}")
    code = match.group(0)
    out: dict[str, Any] = {}
    if code.startswith("arr<"):
        out["type"] = "array"
        inner = match.group(1)
        out["items"] = {} if inner == "any" else {"type": _TYPES[inner]}
    elif code != "any":
        out["type"] = _TYPES[code]
    pos = match.end()
    try:
        if text.startswith("[", pos):
            out["enum"], pos = _DECODER.raw_decode(text, pos)
        if text.startswith("=", pos):
            out["default"], pos = _DECODER.raw_decode(text, pos + 1)
    except json.JSONDecodeError:
        raise ToolError(f"not a compressed parameter spec: {text[:60]!r}") from None
    if text.startswith(": ", pos):
        out["description"] = text[pos + 2 :]
    elif pos != len(text):
        raise ToolError(f"not a compressed parameter spec: {text[:60]!r}")
    return out


def _shorten(text: str, *, words: int, name: str = "") -> str:
    """The first sentence of ``text``, without a default note, at most ``words`` words ('' if it only repeats
    ``name``)."""
    first = _SENTENCE.split(text.strip(), maxsplit=1)[0] if text.strip() else ""
    first = _DEFAULT_NOTE.sub("", first).strip().rstrip(".").strip()
    tokens = first.split()
    if len(tokens) > words:
        tokens = tokens[:words]
        while len(tokens) > 1 and tokens[-1].lower().strip(",;:") in _FILLER:
            tokens.pop()
        first = " ".join(tokens).rstrip(",;:")
    if name:
        said = {w.lower() for w in _WORD.findall(first)} - _FILLER
        named = {w.lower() for w in _WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " "))}
        if said <= named:
            return ""
    return first


def _lossy_schema(schema: Any, *, words: int, name: str = "") -> Any:
    """A JSON Schema without what validation ignores (defaults, titles, examples), descriptions cut."""
    if isinstance(schema, list):
        return [_lossy_schema(s, words=words) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("default", "title", "examples", "example", "$comment"):
            continue
        if key == "description" and isinstance(value, str):
            short = _shorten(value, words=words, name=name)
            if short:
                out[key] = short
        elif key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(value, Mapping):
            out[key] = {k: _lossy_schema(v, words=words, name=k) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = _lossy_schema(value, words=words)
        else:
            out[key] = value
    return out


def compress(
    tool: Tool | Mapping[str, Any],
    mode: CompressionMode = "lossless",
    *,
    description_words: int = 12,
    parameter_words: int = 8,
) -> dict[str, Any]:
    """The compressed form of one tool (see the module docstring)."""
    if mode not in ("lossless", "lossy"):
        raise ToolError(f"unknown compression mode {mode!r}: use lossless or lossy")
    t = tool if isinstance(tool, Tool) else tool_from_schema(tool)
    params: Any = t.parameters
    description = t.description
    if mode == "lossy":
        params = _lossy_schema(params, words=parameter_words)
        description = _shorten(description, words=description_words)
    out: dict[str, Any] = {"n": t.name}
    if description:
        out["d"] = description
    props = params.get("properties", {})
    extras = {k: v for k, v in params.items() if k not in ("type", "properties", "required")}
    required = params.get("required")
    if (
        params.get("type") != "object"
        or not isinstance(props, Mapping)
        or any(str(k).endswith("?") for k in props)
        or (required is not None and not isinstance(required, list))
    ):
        out["s"] = params
        return out
    req = list(required or [])
    compact: dict[str, Any] = {}
    for key, schema in props.items():
        spec = _spec(schema)
        compact[key if key in req else f"{key}?"] = schema if spec is None else spec
    if compact:
        out["p"] = compact
    in_order = [k for k in props if k in req]
    if req != in_order:
        out["r"] = req
    elif required is not None and not req:
        out["r"] = []
    if "properties" not in params:
        extras["$noprops"] = True
    if extras:
        out["x"] = extras
    return out


def decompress(compact: Mapping[str, Any]) -> Tool:
    """The tool a compressed form stands for, with a standard JSON Schema of its arguments."""
    if not isinstance(compact, Mapping) or not isinstance(compact.get("n"), str):
        raise ToolError("a compressed tool is a JSON object with a name under 'n'")
    description = str(compact.get("d") or "")
    if "s" in compact:
        return Tool(name=compact["n"], description=description, parameters=dict(compact["s"]))
    props: dict[str, Any] = {}
    required: list[str] = []
    for key, spec in (compact.get("p") or {}).items():
        name = key[:-1] if key.endswith("?") else key
        if not key.endswith("?"):
            required.append(name)
        props[name] = _parse_spec(spec) if isinstance(spec, str) else dict(spec)
    extras = dict(compact.get("x") or {})
    params: dict[str, Any] = {"type": "object"}
    if not extras.pop("$noprops", False):
        params["properties"] = props
    if "r" in compact:
        params["required"] = list(compact["r"])
    elif required:
        params["required"] = required
    params.update(extras)
    return Tool(name=compact["n"], description=description, parameters=params)


def compress_tools(tools: Sequence[Tool | Mapping[str, Any]], mode: CompressionMode = "lossless") -> str:
    """The prompt text of compressed tools: one compact JSON object per line."""
    return "\n".join(_dumps(compress(t, mode)) for t in as_tools(tools))


def tools_text(tools: Sequence[Tool | Mapping[str, Any]]) -> str:
    """The tools as a request sends them: a JSON list of OpenAI function schemas."""
    return json.dumps([t.openai() for t in as_tools(tools)], ensure_ascii=False)


@dataclass(frozen=True)
class TokenSavings:
    """Prompt tokens of a set of tools as sent, and compressed."""

    tools: int
    original_tokens: int
    lossless_tokens: int
    lossy_tokens: int
    encoding: str

    @property
    def lossless_ratio(self) -> float:
        """Original tokens per lossless token (2.0: half the tokens)."""
        return self.original_tokens / self.lossless_tokens if self.lossless_tokens else float("nan")

    @property
    def lossy_ratio(self) -> float:
        return self.original_tokens / self.lossy_tokens if self.lossy_tokens else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "tools": self.tools,
            "encoding": self.encoding,
            "original_tokens": self.original_tokens,
            "lossless_tokens": self.lossless_tokens,
            "lossy_tokens": self.lossy_tokens,
            "lossless_ratio": round(self.lossless_ratio, 3),
            "lossy_ratio": round(self.lossy_ratio, 3),
        }


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    """Exact tokens of ``text`` with a shipped tiktoken encoding."""
    from agenthone.datasets import get_encoding

    return len(get_encoding(encoding).encode_ordinary(text)) if text else 0


def token_savings(tools: Sequence[Tool | Mapping[str, Any]], *, encoding: str = "o200k_base") -> TokenSavings:
    """Exact prompt tokens of ``tools`` as sent (OpenAI JSON) and compressed both ways."""
    items = as_tools(tools)
    return TokenSavings(
        tools=len(items),
        original_tokens=count_tokens(tools_text(items), encoding),
        lossless_tokens=count_tokens(compress_tools(items, "lossless"), encoding),
        lossy_tokens=count_tokens(compress_tools(items, "lossy"), encoding),
        encoding=encoding,
    )
