"""Structured outputs: validate what a model returned against the JSON Schema registered for it.

Schemas are registered per agent (``agent:NAME``) or per tool (``tool:NAME``) in the tool registry.
:func:`validate_output` parses the output (text or a value) and checks it with ``jsonschema``; every
problem names the path (``$.items[0].price``), the rule that failed (``type``, ``required``, ``parse``
...) and, for the common failures, a repair hint: text after the JSON, single quotes, a Markdown fence,
a missing required field. :func:`output_failures` counts the failures over the runs in the store.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.tools._schema import ToolError

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.store import Store
    from agenthone.tools._registry import ToolRegistry

__all__ = ["OutputError", "OutputValidation", "output_failures", "validate_output"]

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.S)
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class OutputError:
    """One reason an output does not conform."""

    path: str
    rule: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.rule}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


@dataclass
class OutputValidation:
    """The outcome of validating one output; ``value`` is the parsed output (None when it did not parse)."""

    ok: bool
    value: Any = None
    errors: list[OutputError] = field(default_factory=list)
    repaired: Any = None
    """A parsed value recovered by applying the hints (trailing text cut, quotes fixed), when one was found."""

    @property
    def rules(self) -> list[str]:
        return [e.rule for e in self.errors]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": [{"path": e.path, "rule": e.rule, "message": e.message, "hint": e.hint} for e in self.errors],
        }


def _path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _parse(text: str) -> tuple[Any, list[OutputError], Any]:
    """(value, parse errors, repaired value) of an output text."""
    try:
        return json.loads(text), [], None
    except json.JSONDecodeError as exc:
        first = exc
    stripped = text.strip()
    fence = _FENCE.match(stripped)
    if fence:
        try:
            value = json.loads(fence.group(1))
            hint = "drop the Markdown code fence around the JSON"
            return None, [OutputError("$", "parse", "the JSON is wrapped in a code fence", hint)], value
        except json.JSONDecodeError:
            stripped = fence.group(1).strip()
    start = min((i for i in (stripped.find("{"), stripped.find("[")) if i >= 0), default=-1)
    if start >= 0:
        try:
            value, end = _DECODER.raw_decode(stripped, start)
            extra = (stripped[:start] + " " + stripped[end:]).strip()
            if extra:
                where = "after" if stripped[end:].strip() else "before"
                hint = f"remove the text {where} the JSON value ({extra[:40]!r})"
                return None, [OutputError("$", "parse", f"text {where} the JSON value", hint)], value
        except json.JSONDecodeError:
            pass
        try:
            value = ast.literal_eval(stripped[start:])
            json.dumps(value)
            hint = "use double quotes for strings and keys (JSON), not single quotes"
            return None, [OutputError("$", "parse", "single-quoted strings are not JSON", hint)], value
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    message = f"not valid JSON: {first.msg} at line {first.lineno} column {first.colno}"
    hint = "return one JSON value and nothing else" if start < 0 else ""
    return None, [OutputError("$", "parse", message, hint)], None


def _hint(error: Any) -> str:
    rule = error.validator
    if rule == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return f"add the required field {missing[0]!r}" if missing else "add the missing field"
    if rule == "type":
        return f"give a value of type {error.validator_value}"
    if rule == "enum":
        return f"use one of {error.validator_value}"
    if rule == "additionalProperties":
        return "remove the fields the schema does not list"
    return ""


def _schema_errors(value: Any, schema: Mapping[str, Any]) -> list[OutputError]:
    import jsonschema

    try:
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ToolError(f"not a valid JSON Schema: {exc.message}") from None
    validator = validator_cls(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: (list(e.absolute_path), e.validator))
    return [OutputError(_path(e.absolute_path), str(e.validator), e.message, _hint(e)) for e in errors]


def validate_output(output: Any, schema: Mapping[str, Any]) -> OutputValidation:
    """Validate a model output (JSON text, or an already parsed value) against a JSON Schema."""
    if isinstance(output, (bytes, bytearray)):
        output = output.decode("utf-8", "replace")
    if isinstance(output, str):
        value, errors, repaired = _parse(output)
        if errors:
            if repaired is not None:
                # also say what else the recovered value would fail, so one round of repair is enough
                errors = errors + _schema_errors(repaired, schema)
            return OutputValidation(False, None, errors, repaired)
    else:
        value = output
    errors = _schema_errors(value, schema)
    return OutputValidation(not errors, value, errors)


def schema_for(registry: ToolRegistry, *, agent: str | None = None, tool: str | None = None) -> dict[str, Any]:
    """The output schema registered for an agent or a tool."""
    key = f"agent:{agent}" if agent else f"tool:{tool}"
    if key in registry.output_schemas:
        return registry.output_schemas[key]
    if tool and tool in registry and registry.get(tool).output_schema is not None:
        return dict(registry.get(tool).output_schema or {})
    raise ToolError(f"no output schema registered for {key.replace(':', ' ')}")


def output_failures(store: Store, schemas: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Validation of the stored outputs of runs of each agent that has a schema (``{agent: schema}``).

    One row per agent and rule: ``agent``, ``runs`` checked, ``failed`` runs, ``failure_rate`` and the
    ``rule`` (``parse``, ``required``, ``type`` ...) with how many runs broke it (``count``).
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for agent, schema in schemas.items():
        with store.locked() as con:
            outputs = con.execute(
                "SELECT output::VARCHAR FROM runs WHERE agent_name = ? AND output IS NOT NULL", [agent]
            ).fetchall()
        rules: dict[str, int] = {}
        failed = 0
        for (text,) in outputs:
            raw = text
            try:
                decoded = json.loads(text)
                raw = decoded if isinstance(decoded, str) else text
            except json.JSONDecodeError:
                pass
            result = validate_output(raw, schema)
            if not result.ok:
                failed += 1
                for rule in dict.fromkeys(result.rules):
                    rules[rule] = rules.get(rule, 0) + 1
        base = {"agent": agent, "runs": len(outputs), "failed": failed,
                "failure_rate": failed / len(outputs) if outputs else float("nan")}  # fmt: skip
        if not rules:
            rows.append({**base, "rule": None, "count": 0})
        for rule, count in sorted(rules.items(), key=lambda kv: -kv[1]):
            rows.append({**base, "rule": rule, "count": count})
    return pd.DataFrame(rows, columns=["agent", "runs", "failed", "failure_rate", "rule", "count"])
