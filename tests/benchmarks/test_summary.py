"""The benchmark summary: figures against targets, and the README table regenerated between its markers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def summary() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_summary", ROOT / "benchmarks" / "summary.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_summary"] = module
    spec.loader.exec_module(module)
    return module


def _save(results: Path, name: str, result: dict[str, object] | None, returncode: int = 0) -> None:
    results.mkdir(parents=True, exist_ok=True)
    record = {"script": f"{name}.py", "command": f"python benchmarks/{name}.py", "finished": "2026-11-30T12:00",
              "returncode": returncode, "result": result}  # fmt: skip
    (results / f"{name}.json").write_text(json.dumps(record))


def test_every_script_is_discovered_but_the_summary(summary: ModuleType) -> None:
    names = [p.stem for p in summary.scripts()]
    assert "ingest" in names and "analytics" in names
    assert "summary" not in names


def test_table_marks_met_and_missed_targets(summary: ModuleType, tmp_path: Path) -> None:
    _save(tmp_path, "ingest", {"summary": [
        {"figure": "JSONL ingest / read_json", "value": 0.85, "op": ">=", "target": 0.8, "unit": "x"},
        {"figure": "JSONL ingest peak RSS", "value": 1500, "op": "<=", "target": 1024, "unit": "MB"},
    ]})  # fmt: skip
    _save(tmp_path, "analytics", {"no": "summary"})
    _save(tmp_path, "datasets", None, returncode=1)
    rows = {(r["benchmark"], r["figure"]): r for r in summary.rows(tmp_path)}
    assert rows["ingest", "JSONL ingest / read_json"]["met"] == "yes"
    assert rows["ingest", "JSONL ingest / read_json"]["value"] == "0.85x"
    assert rows["ingest", "JSONL ingest peak RSS"]["met"] == "NO"
    assert rows["analytics", "—"]["met"] == "no summary"
    assert rows["datasets", "—"]["met"] == "failed"
    assert rows["train_local", "—"]["met"] == "not run"
    text = summary.table(list(rows.values()))
    assert "1 of" in text and "1 do not" in text


def test_a_figure_without_target_is_context_neither_met_nor_missed(summary: ModuleType, tmp_path: Path) -> None:
    _save(tmp_path, "service", {"summary": [
        {"figure": "POST batches / hone ingest", "value": 0.6, "op": ">=", "target": 0.5, "unit": "x"},
        {"figure": "POST batches / Store.ingest in-process", "value": 0.16, "unit": "x"},
    ]})  # fmt: skip
    rows = [r for r in summary.rows(tmp_path) if r["benchmark"] == "service"]
    context = next(r for r in rows if r["figure"].endswith("in-process"))
    assert (context["value"], context["target"], context["met"]) == ("0.16x", "context", "—")
    text = summary.table(rows)
    assert text.endswith("1 of 1 figures meet their target; 0 do not")


def test_write_readme_replaces_only_the_marked_table(summary: ModuleType, tmp_path: Path) -> None:
    _save(tmp_path / "r", "ingest", {"summary": [
        {"figure": "Parquet ingest / read_parquet", "value": 0.9, "op": ">=", "target": 0.8, "unit": "x"},
    ]})  # fmt: skip
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n\n{summary.START}\n| old |\n{summary.END}\n\nafter\n")
    summary.write_readme(summary.rows(tmp_path / "r"), readme)
    text = readme.read_text()
    assert "| old |" not in text
    assert text.startswith("# title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "| Parquet ingest / read_parquet | 0.9x | >= 0.8x | yes |" in text
    readme.write_text("no markers")
    with pytest.raises(SystemExit, match="markers"):
        summary.write_readme([], readme)
