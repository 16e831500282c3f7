"""Request bodies: one JSON object, a JSON array of objects, or NDJSON; gzip accepted."""

from __future__ import annotations

import json
import zlib
from typing import Any

__all__ = ["BadRequest", "decompress", "json_or_text", "split_records"]


class BadRequest(Exception):
    """A request the service refuses as a whole; ``status`` is the 4xx answered."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def decompress(body: bytes, encoding: str | None, *, limit: int) -> bytes:
    """Gunzip a body sent with ``Content-Encoding: gzip`` (or starting with gzip's magic bytes), within ``limit``."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity") and not body.startswith(b"\x1f\x8b"):
        return body
    if enc not in ("", "identity", "gzip", "x-gzip"):
        raise BadRequest(f"unsupported Content-Encoding {encoding!r}; send gzip or nothing", 415)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRequest(f"body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BadRequest(f"body is larger than {limit:,} bytes once decompressed", 413)
    return out


def _ndjson(text: str) -> list[str]:
    return [line for line in map(str.strip, text.splitlines()) if line]


def split_records(body: bytes, content_type: str | None) -> tuple[list[str], list[Any] | None]:
    """The records of a body as single-line JSON texts, and the parsed objects when the body was JSON.

    A line of NDJSON that is not valid JSON stays as written: validation rejects it with its line number.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not UTF-8 (byte {exc.start})") from None
    stripped = text.strip()
    if not stripped:
        raise BadRequest("empty body: send a JSON object, a JSON array of objects or NDJSON")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"):
        return _ndjson(stripped), None
    try:
        parsed = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if "\n" in stripped:
            return _ndjson(stripped), None
        raise BadRequest(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest("invalid JSON: nested too deeply") from None
    if isinstance(parsed, dict):
        items: list[Any] = [parsed]
    elif isinstance(parsed, list):
        items = parsed
    else:
        raise BadRequest(f"expected a JSON object, an array of objects or NDJSON, got {type(parsed).__name__}")
    if not items:
        raise BadRequest("empty array: nothing to store")
    return [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items], items


def json_or_text(value: Any) -> Any:
    """The JSON a string attribute carries (trace inputs, GenAI messages), else the value as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
