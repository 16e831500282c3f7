"""A run log with every common defect, and the verdict the store should reach on each line."""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path
from typing import Any

from agenthone.sample._domains import DOMAINS
from agenthone.sample._grammar import to_formal
from agenthone.sample._plan import DAY, Plan, Timeline
from agenthone.sample._runs import MODEL_NAMES
from agenthone.sample._text import Writer

__all__ = ["write_malformed"]

_VALID = 50


def _valid_record(plan: Plan, i: int, rnd: random.Random, writers: list[Writer]) -> dict[str, Any]:
    a = rnd.randrange(len(plan.agents))
    spec = plan.agents[a]
    w = writers[a]
    ctx = w.context()
    success = rnd.random() < 0.85
    tin = rnd.randint(200, 2500)
    tout = rnd.randint(40, 600)
    model = rnd.choice(spec.model_names)
    rec: dict[str, Any] = {
        "id": f"run-m{i:04d}",
        "timestamp": Timeline.iso(plan.timeline.end - rnd.randrange(plan.timeline.days * DAY)),
        "agent_id": spec.agent_id,
        "agent_name": spec.name,
        "category": spec.category,
        "task_type": rnd.choice(spec.tasks).name,
        "model": model,
        "prompt_version": f"v{rnd.randint(1, spec.versions)}",
        "session_id": f"ses-m{rnd.randrange(16**6):06x}",
        "input": w.request(ctx),
        "output": " ".join(to_formal(s.text) for s in w.answer(ctx, 1)) if success else w.failure(ctx),
        "success": success,
        "score": round(rnd.betavariate(8, 2) if success else rnd.betavariate(2, 5), 3),
        "latency_ms": rnd.randint(300, 9000),
        "tokens_in": tin,
        "tokens_out": tout,
        "cost_usd": round((tin * 0.15 + tout * 0.6) / 1e6, 7),
    }
    assert model in MODEL_NAMES
    return rec


def write_malformed(path: Path, plan: Plan, rnd: random.Random) -> dict[str, Any]:
    """Write the file and return its ground truth (per-line verdicts and the expected totals)."""
    writers = [Writer(DOMAINS[a.domain], a.name, rnd) for a in plan.agents]
    valid = [_valid_record(plan, i + 1, rnd, writers) for i in range(_VALID)]

    def dumps(rec: Any) -> bytes:
        return json.dumps(rec, ensure_ascii=False).encode("utf-8")

    def broken(field: str | None, value: Any = None, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
        rec = dict(_valid_record(plan, 900 + len(bad), rnd, writers))
        for name in drop:
            rec.pop(name, None)
        if field is not None:
            rec[field] = value
        return rec

    bad: list[tuple[bytes, dict[str, Any]]] = []
    truncated = dumps(broken(None))
    bad.append((truncated[: len(truncated) * 3 // 5], {"expected": "rejected", "problem": "invalid JSON"}))
    bad.append(
        (
            dumps(["run-m0990", "2026-10-01T10:00:00Z", "vuln-scanner", True]),
            {"expected": "rejected", "problem": "expected a JSON object"},
        )
    )
    bad.append((b'"run finished without errors"', {"expected": "rejected", "problem": "expected a JSON object"}))
    bad.append((b"42", {"expected": "rejected", "problem": "expected a JSON object"}))
    for field, value in (
        ("score", "high"),
        ("success", "maybe"),
        ("tokens_in", -5),
        ("latency_ms", "fast"),
        ("score", 1.7),
        ("user_feedback", 3),
        ("cost_usd", -0.02),
    ):
        bad.append((dumps(broken(field, value)), {"expected": "rejected", "field": field}))
    for field, drop in (("timestamp", ("timestamp",)), ("agent_name", ("agent_name", "agent_id"))):
        verdict: dict[str, Any] = {
            "expected": "rejected",
            "field": field,
            "problem": f"missing required field {field!r}",
        }
        bad.append((dumps(broken(None, drop=drop)), verdict))
    bad.append((dumps(broken("timestamp", "yesterday")), {"expected": "rejected", "field": "timestamp"}))
    bad.append((dumps(broken("timestamp", "2026-13-45T00:00:00Z")), {"expected": "rejected", "field": "timestamp"}))
    latin1 = dumps(broken(None)).replace(b'"output": "', b'"output": "caf\xe9 cr\xe8me \xff\xfe ', 1)
    bad.append((latin1, {"expected": "rejected", "problem": "invalid UTF-8"}))
    for blank in (b"", b"   ", b"\t"):
        bad.append((blank, {"expected": "blank"}))

    # valid lines first, then defects spliced in at random places (never before line 1, which holds the BOM)
    lines: list[tuple[bytes, dict[str, Any]]] = [(dumps(r), {"expected": "accepted", "id": r["id"]}) for r in valid]
    for item in bad:
        lines.insert(rnd.randint(1, len(lines)), item)
    # a repeat of an earlier valid line, and a line reusing an earlier id with other content
    dup_src = valid[rnd.randrange(5, 20)]
    at = rnd.randint(lines.index(next(x for x in lines if x[1].get("id") == dup_src["id"])) + 1, len(lines))
    lines.insert(at, (dumps(dup_src), {"expected": "duplicate", "id": dup_src["id"]}))
    conflict_src = valid[rnd.randrange(20, 35)]
    other = dict(
        conflict_src,
        score=round(1.0 - float(conflict_src["score"]), 3),
        output="(edited) " + str(conflict_src["output"]),
    )
    at = rnd.randint(lines.index(next(x for x in lines if x[1].get("id") == conflict_src["id"])) + 1, len(lines))
    lines.insert(at, (dumps(other), {"expected": "conflict", "id": conflict_src["id"]}))

    crlf = set(rnd.sample(range(1, len(lines)), 6))
    out = bytearray(codecs.BOM_UTF8)
    verdicts = []
    for number, (raw, verdict) in enumerate(lines, start=1):
        ending = b"\r\n" if number - 1 in crlf and verdict["expected"] in ("accepted", "duplicate") else b"\n"
        if ending == b"\r\n":
            verdict = {**verdict, "crlf": True}
        if number == 1:
            verdict = {**verdict, "bom": True}
        out += raw + ending
        verdicts.append({"line": number, **verdict})
    path.write_bytes(bytes(out))
    counts = {
        k: sum(1 for v in verdicts if v["expected"] == k) for k in ("accepted", "duplicate", "conflict", "rejected")
    }
    return {"file": path.name, "lines": verdicts, "counts": counts}
