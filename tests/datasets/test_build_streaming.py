"""Files written a batch at a time hold what writing each whole split at once gave (the digest included)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.datasets import SPLITS, _export
from agenthone.datasets._build import _dedup_text, _Texts, _write_splits


def _splits(built: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    ds = built["dataset"]
    return {split: list(ds.examples(split)) for split in SPLITS}


def test_split_files_and_digest_as_written_whole(built: dict[str, Any], tmp_path: Path) -> None:
    splits = _splits(built)
    digest = hashlib.sha256()
    for split in SPLITS:  # the format: each split whole, its name and byte length before its bytes
        data = "".join(
            json.dumps(e, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n" for e in splits[split]
        ).encode()
        digest.update(f"{split}\n{len(data)}\n".encode())
        digest.update(data)
    assert _write_splits(tmp_path, splits) == digest.hexdigest() == built["dataset"].digest
    for split in SPLITS:
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (built["dataset"].path / f"{split}.jsonl").read_bytes()


@pytest.mark.parametrize("fmt", ["hf-sft", "hf-dpo", "openai-chat", "bedrock"])
def test_exports_in_small_batches_hold_every_record(
    built: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    import pyarrow.parquet as pq

    splits = _splits(built)
    monkeypatch.setattr(_export, "_PARQUET_BATCH", 7)
    summary = _export.write_export(splits, fmt, tmp_path)
    for split in SPLITS:
        records, skipped = _export.convert(splits[split], fmt)
        assert summary[split]["examples"] == len(records) and summary[split]["skipped"] == dict(skipped)
        path = Path(summary[split]["path"])
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            assert table.to_pylist() == pq.read_table(_whole_parquet(records, fmt, tmp_path)).to_pylist()
            assert pq.ParquetFile(path).metadata.num_row_groups == max(1, -(-len(records) // 7))
        else:
            lines = path.read_text(encoding="utf-8").splitlines()
            assert lines == [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]


def _whole_parquet(records: list[dict[str, Any]], fmt: str, folder: Path) -> Path:
    path = folder / "whole.parquet"
    path.unlink(missing_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_export, "_PARQUET_BATCH", max(1, len(records)))
        _export._write_parquet(iter(records), path, fmt)
    return path


def test_dedup_texts_made_on_demand(built: dict[str, Any]) -> None:
    examples = _splits(built)["train"]
    texts = _Texts(examples)
    assert len(texts) == len(examples)
    assert texts[3:9] == [_dedup_text(e) for e in examples[3:9]] and texts[2] == _dedup_text(examples[2])
