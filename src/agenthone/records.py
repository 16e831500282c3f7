"""The three record kinds agenthone understands, defined once.

The store's tables, the ingestion validator and the README's schema section are all derived from these
specs, so a field added here exists everywhere. Field types are *logical*: how a value may be written in
a log (JSON, CSV or Parquet) and what it becomes in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CATEGORIES",
    "CHAT_ROLES",
    "CONVERSATION",
    "EDIT",
    "KINDS",
    "RUN",
    "FieldSpec",
    "FieldType",
    "RecordKind",
    "kind_of",
]

FieldType = Literal[
    "id",  # string (numbers accepted), stored as text; empty means absent
    "text",  # a string; empty means absent
    "content",  # text or any JSON value (stored as compact JSON text)
    "timestamp",  # ISO 8601; naive means UTC
    "bool",  # true/false, also "true"/"false", 1/0, "yes"/"no"
    "unit",  # number in [0, 1]
    "nonneg",  # number >= 0
    "count",  # integer >= 0
    "number",  # any finite number
    "object",  # JSON object
    "array",  # JSON array
    "messages",  # OpenAI chat messages: a non-empty array of {role, content, tool_calls, ...}
    "tags",  # list of strings, or one comma-separated string
]

SQL_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "content": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "bool": "BOOLEAN",
    "unit": "DOUBLE",
    "nonneg": "DOUBLE",
    "count": "BIGINT",
    "number": "DOUBLE",
    "object": "JSON",
    "array": "JSON",
    "messages": "JSON",
    "tags": "VARCHAR[]",
}

CATEGORIES: tuple[str, ...] = (
    "core_security",
    "ai_intelligence",
    "ecommerce",
    "marketing_brand",
    "wordpress_cms",
    "customer_service",
    "specialized",
)
"""The categories agenthone knows by name; any other non-empty string is accepted too."""

CHAT_ROLES: tuple[str, ...] = ("system", "developer", "user", "assistant", "tool", "function")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool = False
    description: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: its name, its table and its fields in storage order."""

    name: Literal["run", "edit", "conversation"]
    table: str
    fields: tuple[FieldSpec, ...]
    description: str
    example: dict[str, Any]
    aliases: tuple[str, ...] = ()
    """Input keys read as a fallback for a missing field (kept in metadata as well)."""

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


_COMMON_TAIL = (
    FieldSpec("metadata", "object", description="free-form JSON object; unknown input fields land here too"),
)

RUN = RecordKind(
    name="run",
    table="runs",
    description="One agent operation: a performance snapshot.",
    fields=(
        FieldSpec("id", "id", description="unique id; a content hash when absent"),
        FieldSpec("timestamp", "timestamp", True, "when the operation happened"),
        FieldSpec("agent_id", "id", description="stable agent identifier"),
        FieldSpec("agent_name", "text", True, "agent name (agent_id is used when absent)"),
        FieldSpec("category", "text", description="core_security, ai_intelligence, ecommerce, ... or any name"),
        FieldSpec("task_type", "text", description="what kind of task the agent did"),
        FieldSpec("model", "text", description="model that served the run"),
        FieldSpec("prompt_version", "id", description="version label of the prompt"),
        FieldSpec("session_id", "id", description="groups runs of one user session"),
        FieldSpec("input", "content", description="text or JSON"),
        FieldSpec("output", "content", description="text or JSON"),
        FieldSpec("success", "bool", description="did the operation succeed"),
        FieldSpec("score", "unit", description="quality score in [0, 1]"),
        FieldSpec("latency_ms", "nonneg", description="wall time in milliseconds"),
        FieldSpec("tokens_in", "count", description="prompt tokens"),
        FieldSpec("tokens_out", "count", description="completion tokens"),
        FieldSpec("cost_usd", "nonneg", description="cost in US dollars"),
        FieldSpec("user_feedback", "unit", description="user rating in [0, 1]"),
        *_COMMON_TAIL,
    ),
    example={
        "id": "run-000042",
        "timestamp": "2026-10-03T14:22:05Z",
        "agent_id": "sec-07",
        "agent_name": "vuln-scanner",
        "category": "core_security",
        "task_type": "dependency_audit",
        "model": "gpt-4o-mini",
        "prompt_version": "v3",
        "session_id": "s-9f2",
        "input": "Audit requirements.txt for known CVEs",
        "output": "Found 2 vulnerable packages: ...",
        "success": True,
        "score": 0.86,
        "latency_ms": 1840,
        "tokens_in": 912,
        "tokens_out": 233,
        "cost_usd": 0.00028,
        "user_feedback": 1.0,
        "region": "eu-west-1",
    },
    aliases=(),
)

EDIT = RecordKind(
    name="edit",
    table="edits",
    description="A person settling an AI suggestion: accepted as is, or corrected.",
    fields=(
        FieldSpec("id", "id", description="unique id; a content hash when absent"),
        FieldSpec("timestamp", "timestamp", True, "when the person settled the suggestion"),
        FieldSpec("agent_name", "text", True, "agent that made the suggestion (agent_id is used when absent)"),
        FieldSpec("intent_type", "text", description="what the user wanted (e.g. product_description)"),
        FieldSpec("model", "text", description="model that wrote ai_output"),
        FieldSpec("prompt_version", "id", description="version label of the prompt"),
        FieldSpec("user_id", "id", description="who edited"),
        FieldSpec("run_id", "id", description="the run that produced ai_output, if logged"),
        FieldSpec("prompt", "content", description="the intent/context: text or chat messages"),
        FieldSpec("ai_output", "content", True, "what the AI proposed"),
        FieldSpec("final_output", "content", True, "what the person kept"),
        FieldSpec("accepted", "bool", description="when absent: final_output equals ai_output up to whitespace"),
        *_COMMON_TAIL,
    ),
    example={
        "id": "edit-1187",
        "timestamp": "2026-10-03T14:25:11+02:00",
        "agent_name": "product-copywriter",
        "intent_type": "product_description",
        "model": "gpt-4o-mini",
        "prompt_version": "v2",
        "user_id": "u-381",
        "run_id": "run-000057",
        "prompt": [{"role": "user", "content": "Describe the Trailblazer 40L backpack"}],
        "ai_output": "Let me analyze this. The Trailblazer 40L is a backpack.",
        "final_output": "The Trailblazer 40L carries a weekend's gear in a waterproof shell.",
    },
    aliases=("agent_id",),
)

CONVERSATION = RecordKind(
    name="conversation",
    table="conversations",
    description="A whole chat in OpenAI chat format, tool calls included.",
    fields=(
        FieldSpec("id", "id", description="unique id; a content hash when absent"),
        FieldSpec("timestamp", "timestamp", True, "when the conversation started"),
        FieldSpec("agent_name", "text", True, "agent that took part (agent_id is used when absent)"),
        FieldSpec("messages", "messages", True, "OpenAI chat messages, incl. tool_calls and tool results"),
        FieldSpec("tools", "array", description="tool (function) schemas offered to the model"),
        FieldSpec("rating", "number", description="rating of the conversation, any scale"),
        FieldSpec("tags", "tags", description="list of strings (or one comma-separated string)"),
        *_COMMON_TAIL,
    ),
    example={
        "id": "conv-311",
        "timestamp": "2026-10-03T09:12:44Z",
        "agent_name": "order-assistant",
        "messages": [
            {"role": "system", "content": "You help customers with orders."},
            {"role": "user", "content": "Where is order 1042?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_order", "arguments": '{"order_id": "1042"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
            {"role": "assistant", "content": "Order 1042 has shipped."},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_order",
                    "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
                },
            }
        ],
        "rating": 5,
        "tags": ["orders", "resolved"],
    },
    aliases=("agent_id",),
)

KINDS: dict[str, RecordKind] = {k.name: k for k in (RUN, EDIT, CONVERSATION)}


def kind_of(name: str) -> RecordKind:
    """The record kind called ``name`` (run, edit, conversation; plurals accepted)."""
    key = name.strip().lower()
    key = {"runs": "run", "edits": "edit", "conversations": "conversation"}.get(key, key)
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown record kind {name!r}; expected run, edit or conversation") from None
