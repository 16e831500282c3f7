from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from agenthone.tools import ToolError, bench_files, ranking_metrics, read_queries


def test_ranking_metrics() -> None:
    m = ranking_metrics(["a", "b", "c", "d"], ["b", "d"], ks=(1, 3))
    assert m["mrr"] == 0.5 and m["recall@1"] == 0 and m["recall@3"] == 0.5
    assert math.isclose(m["ndcg@3"], (1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ranking_metrics(["a"], ["z"], ks=(1,)) == {"mrr": 0.0, "recall@1": 0.0, "ndcg@1": 0.0}


TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city"}},
    {"type": "function", "function": {"name": "book_flight", "description": "Book a flight between two airports"}},
    {"type": "function", "function": {"name": "track_parcel", "description": "Where a shipment is now"}},
]


def test_bench_files_zero_shot_and_learned(tmp_path: Path) -> None:
    (tmp_path / "tools.json").write_text(json.dumps(TOOLS))
    queries = [{"query": "is it raining in Oslo", "tools": ["get_weather"]},
               {"query": "fly me from JFK to LHR", "tools": ["book_flight"]},
               {"query": "where is my package", "tools": ["track_parcel"]}]  # fmt: skip
    history = [{"query": "where is my package now?", "tools": ["track_parcel"]}] * 3
    history += [{"query": "is it raining in Bergen", "tools": ["get_weather"]}] * 3
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (tmp_path / "h.jsonl").write_text("".join(json.dumps(q) + "\n" for q in history))
    result = bench_files(tmp_path / "q.jsonl", tmp_path / "tools.json", history=tmp_path / "h.jsonl", ks=(1, 3))
    assert result["queries"] == 3 and result["tools"] == 3 and result["history"] == 6
    assert result["learned"]["recall@1"] > result["zero_shot"]["recall@1"]
    assert result["zero_shot"]["recall@3"] == 1.0 and result["zero_shot"]["tokens_ratio@3"] == 1.0
    assert result["zero_shot"]["tokens_ratio@1"] > 2 and result["zero_shot"]["latency_ms_p95"] > 0
    assert result["all_tools_tokens"]["original"] > result["all_tools_tokens"]["lossless"]


def test_bad_query_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "tools": "get_weather"}\n')
    with pytest.raises(ToolError, match=r"bad.jsonl:1: 'tools' must be a list"):
        read_queries(bad)
    bad.write_text('{"query": "x", "tools": ["nope"]}\n')
    (tmp_path / "tools.json").write_text(json.dumps(TOOLS))
    with pytest.raises(ToolError, match="no query names a tool of the pool"):
        bench_files(bad, tmp_path / "tools.json")
