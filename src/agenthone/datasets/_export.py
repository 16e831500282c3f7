"""Write canonical examples in the formats providers and trainers take.

- ``openai-chat``: ``{"messages", "tools"?}``; failures kept with weight 0 carry ``"weight": 0`` on their
  last assistant message (earlier assistant turns ``"weight": 1``); a failure with no earlier assistant
  turn teaches nothing and is left out.
- ``openai-dpo``: examples whose AI output a person changed: ``input`` = the prompt messages,
  ``preferred_output`` = the human final output, ``non_preferred_output`` = the AI output.
- ``bedrock``: Anthropic Claude on Bedrock: ``{"system"?, "messages"}`` with alternating user/assistant
  text turns, first user, last assistant; consecutive turns of one role are joined; examples with tool
  calls are left out (Bedrock fine-tuning takes text only).
- ``hf-sft``: Parquet with a ``messages`` column (role, content, tool_calls, tool_call_id, name), ``tools``
  as JSON text, and the source columns; ready for TRL's ``SFTTrainer``.
- ``hf-dpo``: Parquet with ``prompt`` (messages), ``chosen`` and ``rejected`` (one assistant message each):
  TRL's conversational preference format.

Weight-0 examples go to ``openai-chat`` only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

__all__ = ["EXPORT_EXTENSIONS", "convert", "write_export"]

EXPORT_EXTENSIONS = {
    "openai-chat": "jsonl",
    "openai-dpo": "jsonl",
    "bedrock": "jsonl",
    "hf-sft": "parquet",
    "hf-dpo": "parquet",
}


def _openai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message["role"]}
    for key in ("name", "content", "tool_calls", "tool_call_id"):
        if key in message and (message[key] is not None or key == "content"):
            out[key] = message[key]
    return out


def _openai_chat(example: Mapping[str, Any]) -> dict[str, Any] | str:
    messages = [_openai_message(m) for m in example["messages"]]
    if example.get("weight") == 0:
        if not any(m["role"] == "assistant" for m in messages[:-1]):
            return "failure without an earlier assistant turn"
        for m in messages:
            if m["role"] == "assistant":
                m["weight"] = 1
        messages[-1]["weight"] = 0
    out: dict[str, Any] = {"messages": messages}
    if example.get("tools"):
        out["tools"] = example["tools"]
    return out


def _openai_dpo(example: Mapping[str, Any]) -> dict[str, Any] | str:
    if example.get("weight") == 0:
        return "failure (weight 0)"
    if not example.get("rejected"):
        return "no rejected output"
    inp: dict[str, Any] = {"messages": [_openai_message(m) for m in example["messages"][:-1]]}
    if example.get("tools"):
        inp["tools"] = example["tools"]
    return {
        "input": inp,
        "preferred_output": [{"role": "assistant", "content": example["reference"]}],
        "non_preferred_output": [{"role": "assistant", "content": example["rejected"]}],
    }


def _bedrock(example: Mapping[str, Any]) -> dict[str, Any] | str:
    if example.get("weight") == 0:
        return "failure (weight 0)"
    system: list[str] = []
    turns: list[dict[str, str]] = []
    for m in example["messages"]:
        role = m["role"]
        if role == "tool" or m.get("tool_calls"):
            return "tool calls (Bedrock fine-tuning takes text only)"
        content = m.get("content")
        if not isinstance(content, str):
            return "non-text content"
        if role in ("system", "developer"):
            system.append(content)
            continue
        if role not in ("user", "assistant"):
            return f"role {role}"
        if not content.strip():
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + content
        else:
            turns.append({"role": role, "content": content})
    if not turns or turns[0]["role"] != "user" or turns[-1]["role"] != "assistant":
        return "does not start with user and end with assistant"
    out: dict[str, Any] = {}
    if system:
        out["system"] = "\n\n".join(system)
    out["messages"] = turns
    return out


_MESSAGE_COLUMNS = ("role", "content", "tool_calls", "tool_call_id", "name")


def _hf_message(message: Mapping[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    return {
        "role": message["role"],
        "content": content if isinstance(content, str) or content is None else json.dumps(content, ensure_ascii=False),
        "tool_calls": [
            {
                "id": c.get("id"),
                "type": c.get("type", "function"),
                "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]},
            }
            for c in message.get("tool_calls") or []
        ]
        or None,
        "tool_call_id": message.get("tool_call_id"),
        "name": message.get("name"),
    }


def _hf_sft(example: Mapping[str, Any]) -> dict[str, Any] | str:
    if example.get("weight") == 0:
        return "failure (weight 0)"
    src = example["source"]
    return {
        "id": example["id"],
        "messages": [_hf_message(m) for m in example["messages"]],
        "tools": json.dumps(example["tools"], ensure_ascii=False) if example.get("tools") else None,
        "source_kind": src["kind"],
        "agent_name": src.get("agent_name"),
        "category": src.get("category"),
        "task_type": src.get("task_type"),
    }


def _hf_dpo(example: Mapping[str, Any]) -> dict[str, Any] | str:
    if example.get("weight") == 0:
        return "failure (weight 0)"
    if not example.get("rejected"):
        return "no rejected output"
    return {
        "id": example["id"],
        "prompt": [_hf_message(m) for m in example["messages"][:-1]],
        "chosen": [_hf_message({"role": "assistant", "content": example["reference"]})],
        "rejected": [_hf_message({"role": "assistant", "content": example["rejected"]})],
    }


_CONVERTERS = {
    "openai-chat": _openai_chat,
    "openai-dpo": _openai_dpo,
    "bedrock": _bedrock,
    "hf-sft": _hf_sft,
    "hf-dpo": _hf_dpo,
}


def convert(examples: Iterable[Mapping[str, Any]], format: str) -> tuple[list[dict[str, Any]], Counter[str]]:  # noqa: A002
    """Records in ``format`` and why the examples left out were left out."""
    skipped: Counter[str] = Counter()
    return list(_converted(examples, format, skipped)), skipped


def _converted(
    examples: Iterable[Mapping[str, Any]],
    format: str,  # noqa: A002
    skipped: Counter[str],
) -> Iterator[dict[str, Any]]:
    """Records in ``format``, one at a time; why the examples left out were left out goes to ``skipped``."""
    try:
        converter = _CONVERTERS[format]
    except KeyError:
        raise ValueError(f"unknown export format {format!r}; expected one of {', '.join(_CONVERTERS)}") from None
    for example in examples:
        out = converter(example)
        if isinstance(out, str):
            skipped[out] += 1
        else:
            yield out


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items (the last one shorter), as ``itertools.batched`` in Python 3.12."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


_PARQUET_BATCH = 8192
"""Records converted to Arrow at a time (the whole split is never held as Python records)."""


def _write_parquet(records: Iterable[dict[str, Any]], path: Path, format: str) -> int:  # noqa: A002
    """Write ``records`` to one Parquet file, a row group per ``_PARQUET_BATCH`` records; returns how many."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    message = pa.struct(
        [
            ("role", pa.string()),
            ("content", pa.string()),
            (
                "tool_calls",
                pa.list_(
                    pa.struct(
                        [
                            ("id", pa.string()),
                            ("type", pa.string()),
                            ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
                        ]
                    )
                ),
            ),
            ("tool_call_id", pa.string()),
            ("name", pa.string()),
        ]
    )
    if format == "hf-sft":
        schema = pa.schema(
            [
                ("id", pa.string()),
                ("messages", pa.list_(message)),
                ("tools", pa.string()),
                ("source_kind", pa.string()),
                ("agent_name", pa.string()),
                ("category", pa.string()),
                ("task_type", pa.string()),
            ]
        )
    else:
        schema = pa.schema(
            [
                ("id", pa.string()),
                ("prompt", pa.list_(message)),
                ("chosen", pa.list_(message)),
                ("rejected", pa.list_(message)),
            ]
        )
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in batched(records, _PARQUET_BATCH):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
        if not n:
            writer.write_table(schema.empty_table())
    return n


def write_export(
    splits: Mapping[str, Sequence[Mapping[str, Any]]],
    format: str,  # noqa: A002 - the CLI option's name
    folder: Path,
) -> dict[str, Any]:
    """Write ``folder/<split>.<ext>`` for each split; returns counts and skip reasons per split."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = EXPORT_EXTENSIONS[format]
    summary: dict[str, Any] = {}
    for split, examples in splits.items():
        skipped: Counter[str] = Counter()
        records = _converted(examples, format, skipped)
        path = folder / f"{split}.{ext}"
        tmp = path.with_suffix(f".{ext}.tmp")
        n = 0
        if ext == "jsonl":
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            with tmp.open("w", encoding="utf-8") as fh:
                for batch in batched(records, 4096):
                    fh.write("".join([dumps(record) + "\n" for record in batch]))
                    n += len(batch)
        else:
            n = _write_parquet(records, tmp, format)
        tmp.replace(path)
        summary[split] = {"path": str(path), "examples": n, "skipped": dict(skipped)}
    return summary
