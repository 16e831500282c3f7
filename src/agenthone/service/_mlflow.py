"""MLflow traces (``mlflow.openai.autolog()``, ``@mlflow.trace``) from the tracking store to runs and conversations.

One run per trace (model, tokens, latency, cost, state, request and response previews), one run per
tool span, and one conversation per chat-model span whose inputs hold chat messages. Ids derive from the
trace and span ids, and the records go through the store's file ingestion, so reading the same traces
again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.errors import HoneError
from agenthone.service._body import json_or_text

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.store import IngestReport, Store

__all__ = ["ingest_mlflow_traces", "trace_records"]


def _since(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    text = value.strip()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[:-1].isdigit() and text[-1:] in units:
        return dt.datetime.now(dt.UTC) - dt.timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise HoneError(f"--since {value!r}: give an ISO date/time or a span such as 7d, 12h, 30m") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _output_messages(outputs: Any) -> list[dict[str, Any]]:
    outputs = json_or_text(outputs)
    if isinstance(outputs, dict) and isinstance(outputs.get("choices"), list):
        out = []
        for choice in outputs["choices"]:
            msg = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(msg, dict):
                clean = {"role": msg.get("role") or "assistant", "content": msg.get("content")}
                if msg.get("tool_calls"):
                    clean["tool_calls"] = msg["tool_calls"]
                out.append(clean)
        return out
    if isinstance(outputs, str):
        return [{"role": "assistant", "content": outputs}]
    return []


def trace_records(trace: Any, *, agent: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Runs and conversations of one MLflow ``Trace``."""
    info = trace.info
    trace_id = str(info.trace_id)
    meta = dict(info.trace_metadata or {})
    tags = dict(info.tags or {})
    when = dt.datetime.fromtimestamp(info.request_time / 1000, dt.UTC).isoformat()
    spans = list(trace.data.spans) if trace.data else []
    agent_name = tags.get("agent_name") or meta.get("agent_name") or agent
    usage = info.token_usage or {}
    cost = json_or_text(meta.get("mlflow.trace.cost")) or {}
    model = next((s.model_name for s in spans if getattr(s, "model_name", None)), None)
    state = str(getattr(info.state, "value", info.state))
    run: dict[str, Any] = {
        "id": f"mlflow-{trace_id}",
        "timestamp": when,
        "agent_name": agent_name,
        "task_type": tags.get("mlflow.traceName") or "trace",
        "model": model,
        "session_id": meta.get("mlflow.trace.session") or tags.get("session_id"),
        "input": info.request_preview,
        "output": info.response_preview,
        "success": state == "OK",
        "latency_ms": info.execution_duration,
        "tokens_in": usage.get("input_tokens"),
        "tokens_out": usage.get("output_tokens"),
        "cost_usd": cost.get("total_cost") if isinstance(cost, dict) else None,
        "metadata": {"source": "mlflow", "trace_id": trace_id, "experiment_id": info.experiment_id, "state": state},
    }
    runs = [{k: v for k, v in run.items() if v is not None}]
    conversations = []
    for span in spans:
        span_type = str(span.span_type or "")
        start = span.start_time_ns
        stamp = dt.datetime.fromtimestamp(start / 1e9, dt.UTC).isoformat() if start else when
        latency = (span.end_time_ns - start) / 1e6 if start and span.end_time_ns else None
        if span_type == "TOOL":
            tool = {
                "id": f"mlflow-{trace_id}-{span.span_id}",
                "timestamp": stamp,
                "agent_name": agent_name,
                "task_type": f"execute_tool:{span.name}",
                "input": json.dumps(span.inputs, default=str) if span.inputs is not None else None,
                "output": json.dumps(span.outputs, default=str) if span.outputs is not None else None,
                "success": str(getattr(span.status, "status_code", "OK")).endswith("OK"),
                "latency_ms": latency,
                "metadata": {"source": "mlflow", "trace_id": trace_id, "span_id": span.span_id, "tool_name": span.name},
            }
            runs.append({k: v for k, v in tool.items() if v is not None})
        inputs = json_or_text(span.inputs)
        if span_type in ("CHAT_MODEL", "LLM") and isinstance(inputs, dict) and isinstance(inputs.get("messages"), list):
            messages = [m for m in inputs["messages"] if isinstance(m, dict)] + _output_messages(span.outputs)
            conversation: dict[str, Any] = {
                "id": f"mlflow-{trace_id}-{span.span_id}",
                "timestamp": stamp,
                "agent_name": agent_name,
                "messages": messages,
                "metadata": {
                    "source": "mlflow",
                    "trace_id": trace_id,
                    "span_id": span.span_id,
                    "model": span.model_name,
                },
            }
            if isinstance(inputs.get("tools"), list):
                conversation["tools"] = inputs["tools"]
            conversations.append(conversation)
    return runs, conversations


def ingest_mlflow_traces(
    store: Store,
    settings: Settings,
    *,
    experiment: str | None = None,
    since: str | dt.datetime | None = None,
    max_traces: int | None = None,
) -> dict[str, IngestReport]:
    """Read MLflow traces (of one experiment, or all) into the store; returns the ingestion report per kind."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    client = MlflowClient(tracking_uri=settings.mlflow_tracking_uri)
    if experiment is not None:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise HoneError(f"no MLflow experiment named {experiment!r} in {settings.mlflow_tracking_uri}")
        experiments = [found]
    else:
        experiments = client.search_experiments()
    start = _since(since)
    runs: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    for exp in experiments:
        filter_string = f"trace.timestamp_ms >= {int(start.timestamp() * 1000)}" if start else None
        traces = mlflow.search_traces(
            locations=[exp.experiment_id], filter_string=filter_string, max_results=max_traces, return_type="list"
        )
        for trace in traces:
            r, c = trace_records(trace, agent=exp.name)
            runs.extend(r)
            conversations.extend(c)
    reports: dict[str, IngestReport] = {}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlflow-traces-", dir=settings.data_dir) as tmp:
        for kind, records in (("run", runs), ("conversation", conversations)):
            path = Path(tmp) / f"mlflow-traces-{kind}s.jsonl"
            path.write_text("".join(json.dumps(r, default=str) + "\n" for r in records), encoding="utf-8")
            reports[kind] = store.ingest(path, kind, format="jsonl")
    return reports
