"""Live captures validated in Python, so that a plainly valid record costs no SQL planning.

The SQL validation of ingestion stays the authority: a record is taken on the fast path only when every
value is of a shape whose outcome under that SQL is certain (a non-blank string for a text field, a finite
number in range, a real boolean, an ISO 8601 timestamp, ...). Anything else (a missing required field, a
string where a number belongs, a JSON object in a text field, unknown keys) goes through the SQL path,
which raises the exact message ingestion would give.

A record without an id gets the id ingestion would derive from its content (the md5 of the same canonical
text); the fast path writes it into the record, so the stored id is the returned one whatever happens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from agenthone.records import RecordKind

__all__ = ["PlainVerdict", "plain_check", "plain_record"]

_BLANK_OR_JSON = frozenset(" \t\n\r{[")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?")
_SPACES = re.compile(r"[\t\n\f\r ]+")
_ODD_ESCAPES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters DuckDB's JSON writer escapes unlike Python's (``\\u000B`` against ``\\u000b``)."""
_MAX_COUNT = 9e15


class _Unsure(Exception):
    """The value's outcome under the SQL validation is not certain: let SQL decide."""


def _string(value: Any) -> str:
    if type(value) is not str or "\x00" in value:
        raise _Unsure
    return value


def _text(value: Any) -> str:
    s = _string(value)
    if not s or s[0] in _BLANK_OR_JSON:
        raise _Unsure
    return s


def _number(value: Any, low: float | None, high: float | None) -> float:
    if type(value) is int:
        if abs(value) >= 2**53:
            raise _Unsure
        number = float(value)
    elif type(value) is float:
        number = value
    else:
        raise _Unsure
    if not math.isfinite(number) or (low is not None and number < low) or (high is not None and number > high):
        raise _Unsure
    return number


def _timestamp(value: Any) -> str:
    s = _string(value)
    if not _ISO.fullmatch(s):
        raise _Unsure
    try:
        t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise _Unsure from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    try:
        t = t.astimezone(dt.UTC)
    except OverflowError:
        raise _Unsure from None
    if not 1 < t.year < 9999:
        raise _Unsure
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain_json(value: Any, depth: int = 0) -> None:
    """JSON whose text DuckDB's ``json()`` renders exactly as ``json.dumps(..., separators=(",", ":"))``."""
    if depth > 32:
        raise _Unsure
    if value is None or type(value) is bool:
        return
    if type(value) is str:
        if _ODD_ESCAPES.search(value):
            raise _Unsure
        return
    if type(value) is int:
        if abs(value) >= 2**63:
            raise _Unsure
        return
    if type(value) is float:
        r = repr(value)
        if not math.isfinite(value) or "e" in r:
            raise _Unsure
        return
    if type(value) is list:
        for item in value:
            _plain_json(item, depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            _plain_json(key, depth + 1)
            _plain_json(item, depth + 1)
        return
    raise _Unsure


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _canonical_part(ftype: str, value: Any) -> str:
    """The value as ``CAST(t AS VARCHAR)`` renders the typed value in the SQL validation."""
    match ftype:
        case "id" | "text":
            return _text(value)
        case "content":
            if type(value) is str:
                return _string(value)
            if type(value) in (dict, list):  # the JSON text, as DuckDB's json_transform to VARCHAR writes it
                _plain_json(value)
                return _compact(value)
            raise _Unsure
        case "timestamp":
            return _timestamp(value)
        case "bool":
            if type(value) is not bool:
                raise _Unsure
            return "true" if value else "false"
        case "unit":
            return repr(_number(value, 0.0, 1.0))
        case "nonneg":
            return repr(_number(value, 0.0, None))
        case "number":
            return repr(_number(value, None, None))
        case "count":
            if type(value) is not int or not 0 <= value < _MAX_COUNT:
                raise _Unsure
            return str(value)
        case "object":
            if type(value) is not dict:
                raise _Unsure
            _plain_json(value)
            return _compact(value)
        case "array":
            if type(value) is not list:
                raise _Unsure
            _plain_json(value)
            return _compact(value)
    raise _Unsure  # tags, messages: left to SQL


def _same_up_to_whitespace(a: str, b: str) -> bool:
    return _SPACES.sub(" ", a).strip(" ") == _SPACES.sub(" ", b).strip(" ")


@dataclass(frozen=True)
class PlainVerdict:
    """A record the SQL validation certainly accepts, as that validation would describe it."""

    id: str
    """The given id, or the one ingestion derives from the content."""
    text: str
    """The record as JSON, carrying its id."""
    agent: str | None
    """The agent name (``agent_id`` when the name is absent), as the validation reports it."""
    content_key: str
    """The md5 of :func:`~agenthone.store._validate.content_key_sql`'s text for this record."""


_NUMBERS = frozenset({"unit", "nonneg", "number"})


def _key_part(ftype: str, part: str | None) -> str:
    """One field's share of the content key, as ``content_key_sql`` writes it."""
    if part is None:
        return "\\N"
    if ftype in _NUMBERS and part == "-0.0":
        part = "0.0"
    return f"{len(part.encode('utf-8'))}:{part}"


def plain_check(kind: RecordKind, text: str) -> PlainVerdict | None:
    """The verdict of the SQL validation on a record whose outcome is certain, else None (let SQL decide).

    ``text`` is the record as JSON (the form every capture is validated in).
    """
    try:
        values = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(values) is not dict:
        return None
    names = kind.field_names
    if any(key not in names for key in values):
        return None  # unknown keys merge into metadata: SQL's business
    parts: list[str | None] = []
    key_parts: list[str] = []
    agent: str | None = None
    try:
        for spec in kind.fields:
            value = values.get(spec.name)
            if spec.name == "agent_name" and value is None and "agent_id" in names:
                value = values.get("agent_id")
            if spec.name == "accepted" and kind.name == "edit" and value is None:
                ai, final = values.get("ai_output"), values.get("final_output")
                if type(ai) is not str or type(final) is not str:
                    return None
                value = _same_up_to_whitespace(ai, final)
            if value is None:
                if spec.required:
                    return None
                if spec.name != "id":
                    parts.append(None)
                    key_parts.append(_key_part(spec.type, None))
                continue
            part = _canonical_part(spec.type, value)
            if spec.name == "agent_name":
                agent = part
            if spec.name != "id":
                parts.append(part)
                key_parts.append(_key_part(spec.type, part))
    except _Unsure:
        return None
    rec_id = values.get("id")
    if rec_id is None:
        canonical = "\x1f".join("\\N" if p is None else p for p in parts)
        rec_id = hashlib.md5(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()
        text = json.dumps({"id": rec_id, **values}, ensure_ascii=False)
    key = hashlib.md5("\x1f".join(key_parts).encode("utf-8"), usedforsecurity=False).hexdigest()
    return PlainVerdict(str(rec_id), text, agent, key)


def plain_record(kind: RecordKind, text: str) -> tuple[str, str] | None:
    """``(id, JSON text carrying that id)`` for a record the SQL validation certainly accepts, else None.

    ``text`` is the record as JSON (the form every capture is validated in).
    """
    verdict = plain_check(kind, text)
    return None if verdict is None else (verdict.id, verdict.text)
