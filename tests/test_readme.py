"""The README's quick start and record schema stay true to the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_start_is_two_make_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_schema_section_matches_the_record_specs() -> None:
    spec = importlib.util.spec_from_file_location("schema_markdown", ROOT / "scripts" / "schema_markdown.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() in (ROOT / "README.md").read_text(encoding="utf-8"), (
        "README schema section is stale: run python scripts/schema_markdown.py --write"
    )


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_mlflow_experiments_named_in_the_readme_are_the_ones_the_code_records_into() -> None:
    import re

    from agenthone._mlflow import EXPERIMENTS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(agenthone[-/][a-z_]+)`", text))
    assert named, "the README names no MLflow experiment"
    assert named <= set(EXPERIMENTS.values()), f"README names {sorted(named - set(EXPERIMENTS.values()))}"
