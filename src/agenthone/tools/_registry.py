"""The tool registry: every tool an agent may call, with its schema and how it has fared.

Tools come from the conversations in the store (their ``tools``), from files, or are registered directly;
the registry file (``data/tools/registry.json``) keeps the directly registered ones and output schemas.
Observed performance comes from the store: tool calls in assistant messages and the tool results that
answered them, and runs that name a tool in their metadata (``metadata.tool`` or ``metadata.tools``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.tools._schema import Tool, ToolError, tool_from_schema

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.config import Settings
    from agenthone.store import Store
    from agenthone.tools._select import ToolSelector

__all__ = ["ToolRegistry", "call_failed", "registry_path", "tool_calls_of", "usage_history"]

STATS_COLUMNS = (
    "tool",
    "agents",
    "calls",
    "answered",
    "failures",
    "success_rate",
    "conversations",
    "tokens_per_call",
    "latency_ms_p50",
    "runs",
    "run_success_rate",
    "run_latency_ms_p50",
    "run_tokens",
    "run_cost_usd",
)
"""Columns of :meth:`ToolRegistry.stats`, in order."""

_ERROR_WORDS = ("error", "exception", "traceback", "failed", "failure")


def registry_path(settings: Settings) -> Path:
    """Where a workspace keeps its registered tools and output schemas."""
    return settings.data_dir / "tools" / "registry.json"


def call_failed(result: Any) -> bool:
    """Whether a tool result reports a failure: an ``error`` key, a failed status, or text that starts so."""
    value = result
    if isinstance(result, str):
        text = result.strip()
        try:
            value = json.loads(text) if text[:1] in "{[" else text
        except json.JSONDecodeError:
            value = text
    if isinstance(value, Mapping):
        if value.get("error") not in (None, "", False):
            return True
        status = str(value.get("status") or "").lower()
        return status in ("error", "failed", "failure")
    if isinstance(value, str):
        return value.lower().lstrip("[(").startswith(_ERROR_WORDS)
    return False


def tool_calls_of(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every tool call of a conversation with its result: ``{"id", "name", "arguments", "result", "failed"}``.

    ``result`` is None (and ``failed`` None) when no tool message answered the call.
    """
    calls: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or ():
                fn = call.get("function") if isinstance(call, Mapping) else None
                if not isinstance(fn, Mapping) or not fn.get("name"):
                    continue
                item = {
                    "id": str(call.get("id") or ""),
                    "name": str(fn["name"]),
                    "arguments": fn.get("arguments"),
                    "result": None,
                    "failed": None,
                    "latency_ms": None,
                }
                calls.append(item)
                if item["id"]:
                    by_id[item["id"]] = item
        elif message.get("role") == "tool":
            found = by_id.get(str(message.get("tool_call_id") or ""))
            if found is not None:
                found["result"] = message.get("content")
                found["failed"] = call_failed(message.get("content"))
                for key in ("latency_ms", "duration_ms"):
                    if isinstance(message.get(key), (int, float)):
                        found["latency_ms"] = float(message[key])
    return calls


def _first_user_text(messages: Iterable[Mapping[str, Any]]) -> str:
    for message in messages:
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _conversation_rows(store: Store, agent: str | None) -> list[tuple[str, str, str, str | None]]:
    where, params = ("WHERE agent_name = ?", [agent]) if agent else ("", [])
    with store.locked() as con:
        rows = con.execute(
            f"SELECT id, agent_name, messages::VARCHAR, tools::VARCHAR FROM conversations {where} "
            "ORDER BY timestamp, id",
            params,
        ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]


def _run_rows(store: Store, agent: str | None) -> list[dict[str, Any]]:
    where = "((metadata->>'tool') IS NOT NULL OR (metadata->'tools') IS NOT NULL)"
    params: list[Any] = []
    if agent:
        where += " AND agent_name = ?"
        params.append(agent)
    with store.locked() as con:
        cur = con.execute(
            f"""SELECT agent_name, input::VARCHAR AS input, success, latency_ms, tokens_in, tokens_out, cost_usd,
                       metadata->>'tool' AS tool, (metadata->'tools')::VARCHAR AS tools
                FROM runs WHERE {where} ORDER BY timestamp, id""",
            params,
        )
        columns = [d[0] for d in cur.description or ()]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _run_tools(row: Mapping[str, Any]) -> list[str]:
    names = [str(row["tool"])] if row.get("tool") else []
    if row.get("tools"):
        try:
            value = json.loads(row["tools"])
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list):
            names.extend(str(v.get("name")) if isinstance(v, Mapping) else str(v) for v in value)
    return list(dict.fromkeys(n for n in names if n and n != "None"))


def usage_history(store: Store, *, agent: str | None = None) -> list[dict[str, Any]]:
    """Past uses as ``{"query", "tools", "agent"}``: a conversation's first user message and the tools it called
    successfully, and the input of each successful run that names its tools."""
    out: list[dict[str, Any]] = []
    for _, agent_name, messages_json, _ in _conversation_rows(store, agent):
        messages = json.loads(messages_json)
        ok = [c["name"] for c in tool_calls_of(messages) if c["failed"] is not True]
        query = _first_user_text(messages)
        if ok and query.strip():
            out.append({"query": query, "tools": list(dict.fromkeys(ok)), "agent": agent_name})
    for row in _run_rows(store, agent):
        names = _run_tools(row)
        if names and row.get("input") and row.get("success") is not False:
            text = row["input"]
            try:
                decoded = json.loads(text)
                text = decoded if isinstance(decoded, str) else text
            except json.JSONDecodeError:
                pass
            out.append({"query": text, "tools": names, "agent": row["agent_name"]})
    return out


def _p50(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class ToolRegistry:
    """Tools by name, each with the agents that offer it.

    ::

        reg = ToolRegistry.from_store(store)          # tools offered in logged conversations
        reg.register({"type": "function", "function": {...}}, agent="support", idempotent=True)
        reg.stats(store)                              # calls, success, latency, tokens per tool
    """

    def __init__(self, tools: Iterable[Tool | Mapping[str, Any]] = (), *, agent: str | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        self._agents: dict[str, set[str]] = defaultdict(set)
        self.output_schemas: dict[str, dict[str, Any]] = {}
        """Output JSON Schemas by ``agent:NAME`` or ``tool:NAME``."""
        for tool in tools:
            self.register(tool, agent=agent)

    # -- contents ------------------------------------------------------------------------------
    def register(
        self,
        tool: Tool | Mapping[str, Any],
        *,
        agent: str | None = None,
        idempotent: bool | None = None,
        output_schema: Mapping[str, Any] | None = None,
        replace: bool = True,
    ) -> Tool:
        """Add (or replace) a tool; ``agent`` records who offers it."""
        t = tool if isinstance(tool, Tool) else tool_from_schema(tool)
        if idempotent is not None or output_schema is not None:
            t = Tool(
                name=t.name,
                description=t.description,
                parameters=t.parameters,
                idempotent=t.idempotent if idempotent is None else idempotent,
                output_schema=dict(output_schema) if output_schema is not None else t.output_schema,
            )
        if replace or t.name not in self._tools:
            self._tools[t.name] = t
        if agent:
            self._agents[t.name].add(agent)
        return self._tools[t.name]

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools)[:8]) or "none registered"
            raise ToolError(f"unknown tool {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({len(self)} tools)"

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def agents_of(self, name: str) -> list[str]:
        return sorted(self._agents.get(name, ()))

    def tools(self, agent: str | None = None) -> list[Tool]:
        """All tools, or those ``agent`` offers."""
        if agent is None:
            return list(self._tools.values())
        return [t for name, t in self._tools.items() if agent in self._agents.get(name, ())]

    def table(self) -> list[dict[str, Any]]:
        """One row per tool: name, agents, parameters, required, idempotent, description."""
        return [
            {
                "tool": t.name,
                "agents": ", ".join(self.agents_of(t.name)),
                "parameters": len(t.properties),
                "required": len(t.required),
                "idempotent": t.idempotent,
                "description": t.description,
            }
            for t in self._tools.values()
        ]

    # -- sources -------------------------------------------------------------------------------
    def add_from_store(self, store: Store, *, agent: str | None = None) -> int:
        """Add every tool offered in the store's conversations (first schema of each name); how many are new."""
        before = len(self)
        for _, agent_name, _, tools_json in _conversation_rows(store, agent):
            if not tools_json:
                continue
            for schema in json.loads(tools_json) or ():
                try:
                    self.register(schema, agent=agent_name, replace=False)
                except ToolError:
                    continue
        return len(self) - before

    @classmethod
    def from_store(cls, store: Store, *, agent: str | None = None) -> ToolRegistry:
        reg = cls()
        reg.add_from_store(store, agent=agent)
        return reg

    @classmethod
    def load(cls, path: str | Path) -> ToolRegistry:
        """A registry saved with :meth:`save` (an empty one when the file does not exist)."""
        reg = cls()
        p = Path(path)
        if not p.exists():
            return reg
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ToolError(f"{p}: not valid JSON ({exc.msg})") from None
        for item in doc.get("tools", ()):
            reg.register(item)
            for agent in item.get("agents", ()):
                reg._agents[reg.get(item["function"]["name"]).name].add(agent)
        reg.output_schemas = dict(doc.get("output_schemas", {}))
        return reg

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "tools": [{**t.as_dict(), "agents": self.agents_of(t.name)} for t in self._tools.values()],
            "output_schemas": self.output_schemas,
        }
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(p)
        return p

    def selector(
        self, store: Store | None = None, *, agent: str | None = None, with_stats: bool = False
    ) -> ToolSelector:
        """A :class:`ToolSelector` over the tools (of ``agent``), trained on the store's usage history."""
        from agenthone.tools._select import ToolSelector

        pool = self.tools(agent)
        if not pool:
            where = f" of agent {agent!r}" if agent else ""
            raise ToolError(
                f"no tools{where} to select from: log conversations with their tools or register tools first"
            )
        history = usage_history(store, agent=agent) if store is not None else None
        stats = self.stats(store, agent=agent) if store is not None and with_stats else None
        return ToolSelector(pool, history=history, stats=stats)

    # -- observed performance ------------------------------------------------------------------
    def stats(self, store: Store, *, agent: str | None = None, encoding: str = "o200k_base") -> pd.DataFrame:
        """Observed performance of each tool (see :data:`STATS_COLUMNS`); tools never called have zeros."""
        import pandas as pd

        from agenthone.datasets import TokenCounter

        counter = TokenCounter(encoding)
        acc: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"agents": set(), "calls": 0, "answered": 0, "failures": 0, "conversations": set(),
                     "tokens": 0, "latency": [], "runs": 0, "run_ok": 0, "run_known": 0, "run_latency": [],
                     "run_tokens": 0, "run_cost": 0.0}
        )  # fmt: skip
        for conv_id, agent_name, messages_json, _ in _conversation_rows(store, agent):
            for call in tool_calls_of(json.loads(messages_json)):
                a = acc[call["name"]]
                a["agents"].add(agent_name)
                a["calls"] += 1
                a["conversations"].add(conv_id)
                a["tokens"] += counter.value_tokens(call["arguments"]) + counter.value_tokens(call["result"])
                if call["failed"] is not None:
                    a["answered"] += 1
                    a["failures"] += int(call["failed"])
                if call["latency_ms"] is not None:
                    a["latency"].append(call["latency_ms"])
        for row in _run_rows(store, agent):
            for name in _run_tools(row):
                a = acc[name]
                a["agents"].add(row["agent_name"])
                a["runs"] += 1
                if row["success"] is not None:
                    a["run_known"] += 1
                    a["run_ok"] += int(bool(row["success"]))
                if row["latency_ms"] is not None:
                    a["run_latency"].append(float(row["latency_ms"]))
                a["run_tokens"] += int(row["tokens_in"] or 0) + int(row["tokens_out"] or 0)
                a["run_cost"] += float(row["cost_usd"] or 0.0)
        names = list(dict.fromkeys([*(t.name for t in self.tools(agent)), *acc]))
        rows = []
        for name in names:
            if name not in acc:
                rows.append({"tool": name, "agents": ", ".join(self.agents_of(name)), "calls": 0, "answered": 0,
                             "failures": 0, "success_rate": math.nan, "conversations": 0,
                             "tokens_per_call": math.nan, "latency_ms_p50": math.nan, "runs": 0,
                             "run_success_rate": math.nan, "run_latency_ms_p50": math.nan, "run_tokens": 0,
                             "run_cost_usd": 0.0})  # fmt: skip
                continue
            a = acc[name]
            rows.append(
                {
                    "tool": name,
                    "agents": ", ".join(sorted(a["agents"] | set(self.agents_of(name)))),
                    "calls": a["calls"],
                    "answered": a["answered"],
                    "failures": a["failures"],
                    "success_rate": 1 - a["failures"] / a["answered"] if a["answered"] else math.nan,
                    "conversations": len(a["conversations"]),
                    "tokens_per_call": a["tokens"] / a["calls"] if a["calls"] else math.nan,
                    "latency_ms_p50": _p50(a["latency"]),
                    "runs": a["runs"],
                    "run_success_rate": a["run_ok"] / a["run_known"] if a["run_known"] else math.nan,
                    "run_latency_ms_p50": _p50(a["run_latency"]),
                    "run_tokens": a["run_tokens"],
                    "run_cost_usd": round(a["run_cost"], 6),
                }
            )
        frame = pd.DataFrame(rows, columns=list(STATS_COLUMNS))
        return frame.sort_values(["calls", "runs", "tool"], ascending=[False, False, True], ignore_index=True)
