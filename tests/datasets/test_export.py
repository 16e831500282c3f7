"""Exports: DPO from real human corrections (DeFacto), Bedrock and OpenAI files that validate, TRL Parquet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.datasets import SPLITS, DatasetSpec, build_dataset, validate_file
from tests.conftest import shared_data


@pytest.fixture
def defacto_dataset(workspace: Path) -> tuple[Any, list[dict[str, Any]]]:
    from agenthone.workbench import Workbench

    rows = [json.loads(line) for line in shared_data("defacto", "train.jsonl").open(encoding="utf-8")]
    records = [
        {
            "id": f"defacto-{i}",
            "timestamp": "2026-10-01T00:00:00Z",
            "agent_name": "news-summarizer",
            "intent_type": "summary",
            "prompt": [
                {"role": "system", "content": "Summarise the article in one sentence."},
                {"role": "user", "content": r["article"]},
            ],
            "ai_output": r["candidate"],
            "final_output": r["feedback"].get("summary") or r["candidate"],
        }
        for i, r in enumerate(rows)
    ]
    with Workbench.open(workspace) as wb:
        wb.log_records("edit", records)
        spec = DatasetSpec(name="defacto", sources=("edits",), redact_pii=False, formats=("openai-dpo", "hf-dpo"))
        ds = build_dataset(spec, settings=wb.settings, store=wb.store, log_to_mlflow=False)
    return ds, records


def test_dpo_prefers_the_human_correction(defacto_dataset: tuple[Any, list[dict[str, Any]]]) -> None:
    import pandas as pd

    ds, records = defacto_dataset
    by_id = {f"edit:{r['id']}": r for r in records}
    corrected = {k for k, r in by_id.items() if r["final_output"].strip() != r["ai_output"].strip()}
    kept = {e["id"] for s in SPLITS for e in ds.examples(s)}
    pairs = 0
    for split in SPLITS:
        frame = pd.read_parquet(ds.export_path("hf-dpo", split))
        lines = [json.loads(x) for x in ds.export_path("openai-dpo", split).read_text(encoding="utf-8").splitlines()]
        assert len(lines) == len(frame)
        for row, line in zip(frame.itertuples(), lines, strict=True):
            source = by_id[row.id]
            assert row.chosen[0]["content"] == source["final_output"] == line["preferred_output"][0]["content"]
            assert row.rejected[0]["content"] == source["ai_output"] == line["non_preferred_output"][0]["content"]
            assert line["input"]["messages"][-1] == {"role": "user", "content": source["prompt"][1]["content"]}
            assert row.prompt[0]["role"] == "system"
        pairs += len(lines)
        report = validate_file(ds.export_path("openai-dpo", split), format="openai-dpo")
        assert report.ok, report.errors
    assert pairs == len(corrected & kept) and pairs > 600


def test_chat_bedrock_and_sft_exports_of_the_sample(built: dict[str, Any]) -> None:
    import pyarrow.parquet as pq

    ds = built["dataset"]
    chat = validate_file(ds.export_path("openai-chat", "train"), model="gpt-4o-mini")
    assert chat.ok, chat.errors
    assert chat.n_examples == ds.counts["train"]
    with_tools = [
        json.loads(x) for x in ds.export_path("openai-chat", "train").read_text().splitlines() if '"tools"' in x
    ]
    assert with_tools and any(m.get("tool_calls") for e in with_tools for m in e["messages"])
    bedrock = validate_file(ds.export_path("bedrock", "train"), format="bedrock")
    assert bedrock.ok, bedrock.errors
    assert 0 < bedrock.n_examples < ds.counts["train"]  # conversations with tool calls are left out
    table = pq.read_table(ds.export_path("hf-sft", "train"))
    assert table.num_rows == ds.counts["train"]
    assert {"messages", "tools", "agent_name"} <= set(table.column_names)
    first = table.slice(0, 1).to_pylist()[0]["messages"]
    assert first[-1]["role"] == "assistant"


def test_export_to_a_folder(built: dict[str, Any], tmp_path: Path) -> None:
    ds = built["dataset"]
    paths = ds.export("bedrock", tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["test.jsonl", "train.jsonl", "validation.jsonl"]
    lines = paths["train"].read_text().splitlines()
    assert lines and all(json.loads(x)["messages"][0]["role"] == "user" for x in lines)
    from agenthone.datasets import DatasetError

    with pytest.raises(DatasetError, match="unknown export format 'csv'"):
        ds.export_path("csv")
