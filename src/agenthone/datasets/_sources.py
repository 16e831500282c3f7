"""Turn stored records into candidate examples (the canonical shape of the dataset contract).

Every candidate is a dict with the contract's fields (``id``, ``messages``, ``tools``, ``source``,
``reference``, ``rejected``, ``weight``) plus private bookkeeping under ``_`` keys (timestamp, the
groups that must not be split apart, quality measures) that the build drops before writing.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agenthone.datasets._example import CandidateInfo, Example, ExampleSource
from agenthone.text import normalized_edit_distances

if TYPE_CHECKING:
    from agenthone.datasets._spec import DatasetSpec
    from agenthone.store import Store

__all__ = ["load_candidates"]

_MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id")
_SPACE = re.compile(r"\s+")


def _text(value: Any) -> str | None:
    """A stored content value as text (JSON values as compact JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


Candidate = tuple[Example, CandidateInfo]


def _as_messages(value: str | None) -> list[dict[str, Any]] | None:
    """Chat messages when a stored content value is a JSON list of {role, ...}; else None."""
    if not value or not value.lstrip().startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    if isinstance(parsed, list) and parsed and all(isinstance(m, dict) and "role" in m for m in parsed):
        return [_clean_message(m) for m in parsed]
    return None


def _clean_message(message: dict[str, Any]) -> dict[str, Any]:
    out = {k: message[k] for k in _MESSAGE_KEYS if k in message and message[k] is not None}
    if "content" not in out:
        out["content"] = None
    elif not isinstance(out["content"], str | list):
        out["content"] = _text(out["content"])
    if out.get("role") == "developer":
        out["role"] = "system"
    return out


def _prompt_messages(value: str | None) -> list[dict[str, Any]]:
    parsed = _as_messages(value)
    if parsed is not None:
        return parsed
    return [{"role": "user", "content": value}] if value else []


def _query(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NULL stays None)."""
    with store.locked() as con:
        cursor = con.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _squash(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _where(
    spec: DatasetSpec, *, agent: str, time: str, task: str | None, category: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if spec.agents:
        clauses.append(f"{agent} IN ({', '.join('?' * len(spec.agents))})")
        params.extend(spec.agents)
    if spec.categories and category:
        clauses.append(f"{category} IN ({', '.join('?' * len(spec.categories))})")
        params.extend(spec.categories)
    if spec.task_types and task:
        clauses.append(f"{task} IN ({', '.join('?' * len(spec.task_types))})")
        params.extend(spec.task_types)
    if spec.since:
        clauses.append(f"{time} >= ?")
        params.append(spec.since)
    if spec.until:
        clauses.append(f"{time} < ?")
        params.append(spec.until)
    return (" AND ".join(clauses) or "TRUE"), params


_AGENT_CATEGORIES = """
    agent_categories AS (
        SELECT agent_name, arg_max(category, n) AS category FROM (
            SELECT agent_name, category, count(*) AS n FROM runs
            WHERE category IS NOT NULL GROUP BY agent_name, category
        ) GROUP BY agent_name
    )"""


def _edits(store: Store, spec: DatasetSpec) -> list[Candidate]:
    category = "coalesce(e.metadata->>'category', c.category)"
    where, params = _where(spec, agent="e.agent_name", time="e.timestamp", task="e.intent_type", category=category)
    rows = _query(
        store,
        f"""WITH {_AGENT_CATEGORIES}
        SELECT e.id, e.timestamp, e.agent_name, {category} AS category, e.intent_type AS task_type,
               e.prompt, e.ai_output, e.final_output, e.accepted, e.run_id,
               coalesce(e.metadata->>'session_id', r.session_id) AS session_id
        FROM edits e
        LEFT JOIN agent_categories c ON c.agent_name = e.agent_name
        LEFT JOIN (SELECT id, any_value(session_id) AS session_id FROM runs GROUP BY id) r ON r.id = e.run_id
        WHERE e.final_output IS NOT NULL AND {where}
        ORDER BY e.id""",
        params,
    )
    distances = normalized_edit_distances((r["ai_output"], r["final_output"]) for r in rows)
    out: list[Candidate] = []
    for row, distance in zip(rows, distances, strict=True):
        final = _text(row["final_output"])
        prompt = _prompt_messages(_text(row["prompt"]))
        if not final or not any(m["role"] == "user" for m in prompt):
            continue
        ai = _text(row["ai_output"])
        accepted = row["accepted"]
        if accepted is None:  # missing: unchanged up to whitespace
            accepted = _squash(ai) == _squash(final)
        accepted = bool(accepted)
        if spec.accepted_only and not accepted:
            continue
        if spec.min_acceptance is not None and 1.0 - distance < spec.min_acceptance:
            continue
        example: Example = {
            "id": f"edit:{row['id']}",
            "messages": [*prompt, {"role": "assistant", "content": final}],
            "source": _source("edit", row),
            "reference": final,
        }
        if not accepted and ai and _squash(ai) != _squash(final):
            example["rejected"] = ai
        info = CandidateInfo(
            timestamp=row["timestamp"],
            groups=[f"session:{row['session_id']}"] if row["session_id"] else [],
            quality=1.0 - distance,
            accepted=accepted,
            edit_distance=distance,
        )
        out.append((example, info))
    return out


def _source(kind: str, row: dict[str, Any]) -> ExampleSource:
    return {
        "kind": kind,
        "id": str(row["id"]),
        "agent_name": row.get("agent_name"),
        "category": row.get("category"),
        "task_type": row.get("task_type"),
    }


def _conversations(store: Store, spec: DatasetSpec) -> list[Candidate]:
    category = "coalesce(v.metadata->>'category', c.category)"
    task = "coalesce(v.metadata->>'task_type', v.metadata->>'intent_type')"
    where, params = _where(spec, agent="v.agent_name", time="v.timestamp", task=task, category=category)
    rows = _query(
        store,
        f"""WITH {_AGENT_CATEGORIES}
        SELECT v.id, v.timestamp, v.agent_name, {category} AS category, {task} AS task_type,
               v.messages::VARCHAR AS messages, v.tools::VARCHAR AS tools, v.rating,
               v.metadata->>'session_id' AS session_id
        FROM conversations v LEFT JOIN agent_categories c ON c.agent_name = v.agent_name
        WHERE {where}
        ORDER BY v.id""",
        params,
    )
    out: list[Candidate] = []
    for row in rows:
        messages = [_clean_message(m) for m in json.loads(row["messages"]) if isinstance(m, dict)]
        # the example ends at the last assistant message that says something
        last = max(
            (
                i
                for i, m in enumerate(messages)
                if m["role"] == "assistant" and isinstance(m["content"], str) and m["content"].strip()
            ),
            default=None,
        )
        if last is None or not any(m["role"] == "user" for m in messages[:last]):
            continue
        messages = messages[: last + 1]
        rating = row["rating"]
        rating = None if rating is None else float(rating)
        failure = spec.min_rating is not None and rating is not None and rating < spec.min_rating
        example: Example = {
            "id": f"conversation:{row['id']}",
            "messages": messages,
            "source": _source("conversation", row),
            "reference": messages[-1]["content"],
        }
        tools = json.loads(row["tools"]) if row["tools"] else None
        if tools:
            example["tools"] = tools
        groups = [f"conversation:{row['id']}"]
        if row["session_id"]:
            groups.append(f"session:{row['session_id']}")
        out.append((example, CandidateInfo(timestamp=row["timestamp"], groups=groups, quality=rating, failure=failure)))
    return out


def _runs(store: Store, spec: DatasetSpec) -> list[Candidate]:
    where, params = _where(spec, agent="agent_name", time="timestamp", task="task_type", category="category")
    passing = f"coalesce(success, TRUE) AND coalesce(score, 0) >= {float(spec.min_score)!r}"
    keep = passing if spec.failure_share == 0 else "TRUE"
    rows = _query(
        store,
        f"""SELECT id, timestamp, agent_name, category, task_type, session_id, input, output, score,
                   ({passing}) AS passed
        FROM runs WHERE input IS NOT NULL AND output IS NOT NULL AND ({keep}) AND {where}
        ORDER BY id""",
        params,
    )
    out: list[Candidate] = []
    for row in rows:
        prompt = _prompt_messages(_text(row["input"]))
        output = _text(row["output"])
        if not output or not prompt:
            continue
        example: Example = {
            "id": f"run:{row['id']}",
            "messages": [*prompt, {"role": "assistant", "content": output}],
            "source": _source("run", row),
            "reference": output,
        }
        info = CandidateInfo(
            timestamp=row["timestamp"],
            groups=[f"session:{row['session_id']}"] if row["session_id"] else [],
            quality=row["score"],
            failure=not bool(row["passed"]),
        )
        out.append((example, info))
    return out


def _keep_failures(candidates: list[Candidate], share: float, seed: int) -> tuple[list[Candidate], int]:
    failures = [e for e, info in candidates if info.failure]
    if not failures:
        return candidates, 0
    keep_n = round(len(failures) * share)
    kept = {e["id"] for e in random.Random(seed).sample(failures, keep_n)} if keep_n else set()
    out = []
    for e, info in candidates:
        if info.failure:
            if e["id"] not in kept:
                continue
            e["weight"] = 0
        out.append((e, info))
    return out, len(failures) - keep_n


def load_candidates(store: Store, spec: DatasetSpec) -> tuple[list[Example], dict[str, CandidateInfo], dict[str, Any]]:
    """Candidates of the spec's sources after its filters, what the build knows of each (by id), and counts."""
    loaders = {"edits": _edits, "conversations": _conversations, "runs": _runs}
    candidates: list[Candidate] = []
    read: Counter[str] = Counter()
    for source in spec.sources:
        found = loaders[source](store, spec)
        read[source] = len(found)
        candidates.extend(found)
    candidates, failures_dropped = _keep_failures(candidates, spec.failure_share, spec.seed)
    examples = [e for e, _ in candidates]
    infos = {e["id"]: info for e, info in candidates}
    info = {
        "read": dict(read),
        "failures_dropped": failures_dropped,
        "failures_kept": sum(1 for e in examples if e.get("weight") == 0),
    }
    return examples, infos, info


def example_text(example: Example) -> str:
    """All the text of an example (message contents and tool-call arguments), for deduplication."""
    parts: list[str] = []
    for message in example["messages"]:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif content is not None:
            parts.append(_text(content) or "")
        for call in message.get("tool_calls") or ():
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict):
                parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return "\n".join(parts)


def iter_texts(example: Example) -> Iterable[str]:
    """Every text field of an example that PII redaction must see."""
    for message in example["messages"]:
        if isinstance(message.get("content"), str):
            yield message["content"]
    if example.get("rejected"):
        yield example["rejected"]
