"""`hone tools ...` as a user runs it: real processes, exit codes, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from agenthone import Workbench
from tests.cli.test_cli import hone
from tests.conftest import shared_data

TOOLS = [
    {"type": "function", "function": {"name": "get_order", "description": "Look up an order by id",
                                      "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}},
                                                     "required": ["order_id"]}}},
    {"type": "function", "function": {"name": "issue_refund", "description": "Refund an order fully or partly"}},
]  # fmt: skip


def test_list_stats_select_compress_register(workspace: Path, tmp_path: Path) -> None:
    with Workbench.open() as wb:
        wb.log_conversation(
            agent_name="orders",
            tools=TOOLS,
            messages=[
                {"role": "user", "content": "Where is order 7?"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                 "function": {"name": "get_order", "arguments": '{"order_id": "7"}'}}]},
                {"role": "tool", "tool_call_id": "c1", "content": '{"status": "shipped"}'},
                {"role": "assistant", "content": "It has shipped."},
            ],
        )  # fmt: skip
    listed = json.loads(hone("tools", "list", "--json").stdout)
    assert [r["tool"] for r in listed] == ["get_order", "issue_refund"] and listed[0]["agents"] == "orders"
    stats = json.loads(hone("tools", "stats", "--json").stdout)
    assert stats[0]["tool"] == "get_order" and stats[0]["calls"] == 1 and stats[0]["success_rate"] == 1.0

    picked = hone("tools", "select", "please refund my order", "--agent", "orders", "--k", "1")
    assert picked.returncode == 0, picked.stderr
    assert "issue_refund" in picked.stdout and "refund)" in picked.stdout
    doc = json.loads(hone("tools", "select", "where is order 9", "--k", "2", "--json").stdout)
    assert doc["picks"][0]["tool"] == "get_order" and doc["history"] == 1 and doc["pool"] == 2

    compressed = json.loads(hone("tools", "compress", "--mode", "lossy", "--json").stdout)
    assert compressed["savings"]["lossy_ratio"] > 1 and '"n":"get_order"' in compressed["compressed"]
    bad = hone("tools", "compress", "--mode", "zip")
    assert bad.returncode == 2 and "lossless or lossy" in bad.stderr

    (tmp_path / "extra.json").write_text(json.dumps([{"name": "search_kb", "description": "Search articles"}]))
    (tmp_path / "out.json").write_text(json.dumps({"type": "object", "required": ["answer"]}))
    reg = hone("tools", "register", str(tmp_path / "extra.json"), "--agent", "orders", "--idempotent",
               "--output-schema", str(tmp_path / "out.json"), "--json")  # fmt: skip
    assert reg.returncode == 0, reg.stderr and json.loads(reg.stdout)["registered"] == ["search_kb"]
    assert "search_kb" in hone("tools", "list", "--agent", "orders").stdout
    checked = json.loads(hone("tools", "validate", "--agent", "orders", "--json").stdout)
    assert checked == [{"agent": "orders", "runs": 0, "failed": 0, "failure_rate": None, "rule": None, "count": 0}]
    assert "no output schema registered for agent 'x'" in hone("tools", "validate", "--agent", "x").stderr
    missing = hone("tools", "select", "x", "--agent", "nobody")
    assert missing.returncode == 2 and "no tools of agent 'nobody'" in missing.stderr


def test_bench_on_bfcl_and_errors(workspace: Path) -> None:
    questions = shared_data("bfcl", "BFCL_v4_multiple.json")
    answers = shared_data("bfcl", "possible_answer_BFCL_v4_multiple.json")
    run = hone("tools", "bench", "--bfcl", str(questions), "--answers", str(answers), "--k", "1,5", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["queries"] == 200 and result["zero_shot"]["recall@5"] >= 0.94
    assert result["zero_shot"]["tokens_ratio@5"] >= 6
    shown = hone("tools", "bench", "--bfcl", str(questions), "--answers", str(answers))
    assert "recall@5" in shown.stdout and "latency_ms_p95" in shown.stdout
    assert "--bfcl needs --answers" in hone("tools", "bench", "--bfcl", str(questions)).stderr
    bad_k = hone("tools", "bench", "--bfcl", str(questions), "--answers", str(answers), "--k", "0,x")
    assert bad_k.returncode == 2 and "--k takes comma-separated positive integers" in bad_k.stderr
    neither = hone("tools", "bench")
    assert neither.returncode == 2 and "give --queries and --tools" in neither.stderr
