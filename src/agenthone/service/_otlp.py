"""OpenTelemetry traces (OTLP/HTTP, protobuf or JSON) to runs and conversations.

Spans that follow the GenAI semantic conventions (any ``gen_ai.*`` attribute) become runs: the model
(``gen_ai.response.model`` or ``gen_ai.request.model``), tokens (``gen_ai.usage.input_tokens`` /
``output_tokens``, or the older ``prompt_tokens`` / ``completion_tokens``), latency from the span's
times, success from its status, the agent from ``gen_ai.agent.name`` or the resource's ``service.name``.
Tool-call spans (``execute_tool``) become runs too, with the tool's name as task type. When the
instrumentation records messages (``gen_ai.input.messages`` / ``gen_ai.output.messages`` attributes,
or ``gen_ai.*.message`` / ``gen_ai.choice`` span events), a chat span also becomes a conversation in
OpenAI chat format. Ids are derived from the trace and span ids, so a re-sent trace adds nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

from fastapi.responses import JSONResponse, Response

from agenthone.service._body import BadRequest, json_or_text

__all__ = ["otlp_answer", "parse_otlp", "spans_to_records"]

_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_otlp(body: bytes, content_type: str | None) -> dict[str, Any]:
    """An ``ExportTraceServiceRequest`` as a dict in OTLP/JSON shape (camelCase keys, hex ids)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("application/x-protobuf", "application/protobuf", "application/octet-stream"):
        from google.protobuf.json_format import MessageToDict
        from google.protobuf.message import DecodeError
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        try:
            message = ExportTraceServiceRequest.FromString(body)
        except (DecodeError, ValueError) as exc:
            raise BadRequest(f"body is not an OTLP ExportTraceServiceRequest: {exc}") from None
        parsed: dict[str, Any] = MessageToDict(message)
        return parsed
    if ctype in ("application/json", ""):
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise BadRequest(f"invalid JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise BadRequest("expected an OTLP ExportTraceServiceRequest JSON object")
        return payload
    raise BadRequest(f"unsupported Content-Type {content_type!r}; send application/x-protobuf or application/json", 415)


def otlp_answer(content_type: str | None, rejected: int, counts: dict[str, Any]) -> Response:
    """An ``ExportTraceServiceResponse`` in the request's encoding (partial success names rejected spans)."""
    message = f"{rejected} records rejected; see the quarantine" if rejected else ""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/json" or not ctype:
        payload: dict[str, Any] = {"agenthone": counts}
        if rejected:
            payload["partialSuccess"] = {"rejectedSpans": str(rejected), "errorMessage": message}
        return JSONResponse(payload)
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTracePartialSuccess,
        ExportTraceServiceResponse,
    )

    answer = ExportTraceServiceResponse()
    if rejected:
        answer.partial_success.CopyFrom(ExportTracePartialSuccess(rejected_spans=rejected, error_message=message))
    return Response(answer.SerializeToString(), media_type="application/x-protobuf")


def _hex(value: Any) -> str:
    text = str(value or "")
    if not text:
        return ""
    if _HEX.match(text) and len(text) in (16, 32):
        return text.lower()
    try:
        return base64.b64decode(text).hex()
    except (ValueError, TypeError):
        return text


def _value(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    for name in ("stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value"):
        if name in v:
            return v[name]
    for name in ("intValue", "int_value"):
        if name in v:
            try:
                return int(v[name])
            except (TypeError, ValueError):
                return v[name]
    for name in ("arrayValue", "array_value"):
        if name in v:
            return [_value(x) for x in (v[name] or {}).get("values", [])]
    for name in ("kvlistValue", "kvlist_value"):
        if name in v:
            return _attrs((v[name] or {}).get("values", []))
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def _attrs(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, dict) and "key" in item:
            out[str(item["key"])] = _value(item.get("value"))
    return out


def _nanos(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _chat_message(msg: Any) -> list[dict[str, Any]]:
    """One GenAI semantic-convention message (role + parts) as OpenAI chat messages."""
    if not isinstance(msg, dict):
        return []
    role = str(msg.get("role") or "user")
    if "parts" not in msg:  # already chat-shaped (older instrumentations)
        content = msg.get("content")
        if "message" in msg and isinstance(msg["message"], dict):  # gen_ai.choice events
            return _chat_message({"role": "assistant", **msg["message"]})
        out = {"role": role, "content": content if isinstance(content, str) or content is None else json.dumps(content)}
        if msg.get("tool_calls"):
            out["tool_calls"] = msg["tool_calls"]
        if msg.get("tool_call_id") or (msg.get("id") and role == "tool"):
            out["tool_call_id"] = msg.get("tool_call_id") or msg.get("id")
        return [out]
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in msg.get("parts") or []:
        if not isinstance(part, dict):
            continue
        ptype = part.get("type")
        if ptype == "text":
            texts.append(str(part.get("content", "")))
        elif ptype == "tool_call":
            args = part.get("arguments")
            calls.append(
                {
                    "id": str(part.get("id") or f"call_{len(calls)}"),
                    "type": "function",
                    "function": {
                        "name": str(part.get("name") or "tool"),
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
            )
        elif ptype == "tool_call_response":
            response = part.get("response", part.get("result"))
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": str(part.get("id") or ""),
                    "content": response if isinstance(response, str) else json.dumps(response),
                }
            )
    if results and not texts and not calls:
        return results
    out_msg: dict[str, Any] = {"role": role, "content": "\n".join(texts) if texts else None}
    if calls:
        out_msg["tool_calls"] = calls
    return [out_msg, *results]


def _messages(attrs: dict[str, Any], events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    system = json_or_text(attrs.get("gen_ai.system_instructions"))
    if isinstance(system, list):
        text = "\n".join(str(p.get("content", "")) for p in system if isinstance(p, dict))
        inputs.append({"role": "system", "content": text})
    for raw in json_or_text(attrs.get("gen_ai.input.messages")) or []:
        inputs.extend(_chat_message(raw))
    for raw in json_or_text(attrs.get("gen_ai.output.messages")) or []:
        outputs.extend(_chat_message(raw))
    for event in events:
        name = str(event.get("name") or "")
        eattrs = _attrs(event.get("attributes"))
        if name == "gen_ai.choice":
            body = json_or_text(eattrs.get("message")) or {"content": eattrs.get("content")}
            outputs.extend(_chat_message({"role": "assistant", **(body if isinstance(body, dict) else {})}))
        elif name.startswith("gen_ai.") and name.endswith(".message"):
            role = name.removeprefix("gen_ai.").removesuffix(".message")
            inputs.extend(_chat_message({"role": role, "content": eattrs.get("content"), "id": eattrs.get("id")}))
        elif name in ("gen_ai.content.prompt", "gen_ai.content.completion"):
            said = eattrs.get("gen_ai.prompt") or eattrs.get("gen_ai.completion")
            if said:
                (inputs if name.endswith("prompt") else outputs).append(
                    {"role": "user" if name.endswith("prompt") else "assistant", "content": str(said)}
                )
    return inputs, outputs


def _text_of(messages: list[dict[str, Any]], *, last_user: bool) -> str | None:
    for msg in reversed(messages):
        if (not last_user or msg.get("role") == "user") and isinstance(msg.get("content"), str):
            return str(msg["content"])
    return None


def spans_to_records(payload: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Runs and conversations from the GenAI spans of an OTLP trace export, and how many spans were not GenAI."""
    runs: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    ignored = 0
    resource_spans = payload.get("resourceSpans", payload.get("resource_spans")) or []
    if not isinstance(resource_spans, list):
        raise BadRequest("resourceSpans must be a list")
    for rs in resource_spans:
        if not isinstance(rs, dict):
            continue
        resource = _attrs((rs.get("resource") or {}).get("attributes"))
        for ss in rs.get("scopeSpans", rs.get("scope_spans")) or []:
            if not isinstance(ss, dict):
                continue
            scope = (ss.get("scope") or {}).get("name")
            for span in ss.get("spans") or []:
                if not isinstance(span, dict):
                    continue
                attrs = _attrs(span.get("attributes"))
                if not any(k.startswith("gen_ai.") for k in attrs):
                    ignored += 1
                    continue
                run, conversation = _span_records(span, attrs, resource, scope)
                runs.append(run)
                if conversation is not None:
                    conversations.append(conversation)
    return runs, conversations, ignored


def _span_records(
    span: dict[str, Any], attrs: dict[str, Any], resource: dict[str, Any], scope: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    trace_id = _hex(span.get("traceId", span.get("trace_id")))
    span_id = _hex(span.get("spanId", span.get("span_id")))
    start = _nanos(span.get("startTimeUnixNano", span.get("start_time_unix_nano")))
    end = _nanos(span.get("endTimeUnixNano", span.get("end_time_unix_nano")))
    when = dt.datetime.fromtimestamp(start / 1e9, dt.UTC).isoformat() if start else None
    status = span.get("status") or {}
    code = status.get("code")
    failed = code in (2, "2", "STATUS_CODE_ERROR") or attrs.get("error.type") is not None
    operation = str(attrs.get("gen_ai.operation.name") or span.get("name") or "")
    tool = attrs.get("gen_ai.tool.name")
    agent = attrs.get("gen_ai.agent.name") or resource.get("service.name") or "unknown"
    tokens_in = _int(attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens")))
    tokens_out = _int(attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens")))
    events = [e for e in span.get("events") or [] if isinstance(e, dict)]
    inputs, outputs = _messages(attrs, events)
    metadata = {
        "source": "otlp",
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": _hex(span.get("parentSpanId", span.get("parent_span_id"))) or None,
        "span_name": span.get("name"),
        "operation": operation,
        "provider": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system"),
        "scope": scope,
        "tool_name": tool,
        "tool_call_id": attrs.get("gen_ai.tool.call.id"),
        "response_id": attrs.get("gen_ai.response.id"),
        "finish_reasons": attrs.get("gen_ai.response.finish_reasons"),
        "error_type": attrs.get("error.type"),
        "status_message": status.get("message") or None,
    }
    metadata = {k: v for k, v in metadata.items() if v not in (None, "", [])}
    output_text = _text_of(outputs, last_user=False)
    if output_text is None and tool is not None:
        output_text = attrs.get("gen_ai.tool.call.result")
    run: dict[str, Any] = {
        "id": f"otel-{trace_id}-{span_id}",
        "timestamp": when,
        "agent_name": str(agent),
        "task_type": f"{operation}:{tool}" if tool else operation,
        "model": attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
        "session_id": attrs.get("gen_ai.conversation.id") or trace_id or None,
        "input": _text_of(inputs, last_user=True) or (attrs.get("gen_ai.tool.call.arguments") if tool else None),
        "output": output_text,
        "success": not failed,
        "latency_ms": (end - start) / 1e6 if start and end and end >= start else None,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "metadata": metadata,
    }
    run = {k: v for k, v in run.items() if v is not None}
    conversation = None
    if inputs or outputs:
        conversation = {
            "id": f"otel-{trace_id}-{span_id}",
            "timestamp": when,
            "agent_name": str(agent),
            "messages": inputs + outputs,
            "metadata": {**metadata, "model": run.get("model")},
        }
    return run, conversation
