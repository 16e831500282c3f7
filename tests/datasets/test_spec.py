"""Dataset specs from Python, TOML, YAML and JSON; errors name the field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agenthone.datasets import DatasetSpec, SpecError


def test_toml_with_sections_equals_python(tmp_path: Path) -> None:
    path = tmp_path / "support.toml"
    path.write_text(
        """
name = "support"
sources = ["edits", "conversations"]
[filters]
categories = ["customer_service"]
since = 2026-09-01
min_samples = 50
[cleaning]
near_threshold = 0.85
pii_entities = ["email", "PHONE"]
[split]
split = [0.7, 0.15, 0.15]
"""
    )
    spec = DatasetSpec.from_file(path)
    assert spec == DatasetSpec(
        name="support",
        sources=("edits", "conversations"),
        categories=("customer_service",),
        since=datetime(2026, 9, 1, tzinfo=UTC),
        min_samples=50,
        near_threshold=0.85,
        pii_entities=("EMAIL", "PHONE"),
        split=(0.7, 0.15, 0.15),
    )
    assert DatasetSpec.from_file(path, min_samples=10).min_samples == 10


def test_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "s.yaml"
    yaml_file.write_text("dataset:\n  name: y\n  sources: [runs]\n  min_score: 0.9\n")
    assert DatasetSpec.from_file(yaml_file) == DatasetSpec(name="y", sources=("runs",), min_score=0.9)
    json_file = tmp_path / "s.json"
    json_file.write_text('{"name": "j", "max_samples": 10}')
    assert DatasetSpec.from_file(json_file).max_samples == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\nnear_threshold = 1.5', "field 'near_threshold': Input should be less than or equal to 1"),
        ('name = "x"\nsources = ["emails"]', "field 'sources.0'"),
        ('name = "x"\nsplitt = [0.8, 0.1, 0.1]', "field 'splitt': unknown field"),
        ('name = "x"\nsplit = [0.5, 0.1, 0.1]', "field 'split': three shares"),
        ('name = "bad name!"', "field 'name': use letters"),
        ('name = "x"\npii_entities = ["PASSPORT"]', "unknown entity 'PASSPORT'"),
        ('sources = ["runs"]', "field 'name': Field required"),
        ('name = "x"\n[filters]\nname = "y"', "field 'name' is given twice"),
        ("name = ", "TOMLDecodeError"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(".", r"\.")) as info:
        DatasetSpec.from_file(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "spec.ini"
    path.write_text("name=x")
    with pytest.raises(SpecError, match=r"unknown spec format '\.ini'"):
        DatasetSpec.from_file(path)
