"""Building a dataset from the sample logs: the folder contract, PII, leaks, digests, MLflow, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.datasets import (
    EXPORT_FORMATS,
    SPLITS,
    DatasetNotFoundError,
    DatasetSpec,
    InsufficientDataError,
    build_dataset,
    find_leaks,
    list_datasets,
    load,
)
from tests.datasets.conftest import scan_for


def test_folder_follows_the_contract(built: dict[str, Any]) -> None:
    ds = built["dataset"]
    assert ds.path == built["settings"].data_dir / "datasets" / "demo" / "v1"
    m = ds.manifest
    for key in ("name", "version", "digest", "created_at", "spec", "counts", "sources", "cleaning", "mlflow_run_id"):
        assert key in m, key
    assert m["name"] == "demo" and m["version"] == "v1" and ds.ref == "demo@v1"
    assert set(m["counts"]) == set(SPLITS)
    assert sum(m["counts"].values()) == sum(len(ds.examples(s)) for s in SPLITS)
    for key in ("pii", "exact_duplicates", "near_duplicates"):
        assert key in m["cleaning"]
    for split in SPLITS:
        for example in ds.examples(split):
            last = example["messages"][-1]
            assert last["role"] == "assistant" and last["content"] == example["reference"]
            assert example["source"]["kind"] in ("edit", "conversation")
            assert example["source"]["agent_name"]
    for fmt in EXPORT_FORMATS:
        for split in SPLITS:
            assert ds.export_path(fmt, split).is_file()
    assert (ds.path / "quality.json").is_file()
    assert list(ds.path.glob("quality_*.png"))
    assert load("demo", settings=built["settings"]).ref == "demo@v1"
    assert [d.ref for d in list_datasets(settings=built["settings"])] == ["demo@v1"]


def test_no_planted_pii_survives_in_any_file(built: dict[str, Any], ground_truth: dict[str, Any]) -> None:
    ds = built["dataset"]
    planted = [p for p in ground_truth["effects"]["pii"] if p["kind"] in ("edit", "conversation")]
    assert len(planted) > 50
    files = [ds.split_path(s) for s in SPLITS] + sorted((ds.path / "exports").rglob("*.*"))
    assert len(files) == 3 + 3 * len(EXPORT_FORMATS)
    leaked = scan_for([p["value"] for p in planted], files)
    assert leaked == []
    # the redactions are typed placeholders, counted by type
    text = ds.split_path("train").read_text(encoding="utf-8")
    pii = ds.manifest["cleaning"]["pii"]
    for kind in ("EMAIL", "PHONE", "CREDIT_CARD", "SECRET"):
        assert pii[kind] > 0
        assert f"<{kind}>" in text


def test_planted_duplicates_are_removed_with_their_reason(built: dict[str, Any], ground_truth: dict[str, Any]) -> None:
    ds = built["dataset"]
    removed = ds.removed()
    kept_ids = {e["id"] for s in SPLITS for e in ds.examples(s)}
    for group in ground_truth["effects"]["duplicates"]["exact"] + ground_truth["effects"]["duplicates"]["near"]:
        ids = {f"conversation:{c}" for c in group}
        assert len(ids & kept_ids) == 1, group  # one representative per planted cluster
    near = removed[removed["reason"] == "near_duplicate"]
    assert len(near) and near["kept"].isin(kept_ids).all()
    assert (near["jaccard"].dropna() >= 0.8).all()
    exact = removed[removed["reason"] == "exact_duplicate"]
    assert len(exact) == ds.manifest["cleaning"]["exact_duplicates"]


def test_splits_are_leak_free_and_stratified(built: dict[str, Any]) -> None:
    from agenthone.store import Store

    ds = built["dataset"]
    split_of = {e["id"]: s for s in SPLITS for e in ds.examples(s)}
    with Store(built["settings"].store_path, read_only=True) as store:
        sessions = store.sql(
            "SELECT e.id, r.session_id FROM edits e JOIN runs r ON r.id = e.run_id WHERE r.session_id IS NOT NULL"
        )
    groups = {f"edit:{row.id}": [f"session:{row.session_id}"] for row in sessions.itertuples()}
    assert groups
    assert find_leaks(split_of, groups) == {}
    # conversations appear once, near-duplicate survivors are unique, shares are close to 80/10/10
    assert len(split_of) == sum(ds.counts.values())
    total = sum(ds.counts.values())
    assert abs(ds.counts["train"] / total - 0.8) < 0.03
    assert abs(ds.counts["validation"] / total - 0.1) < 0.03


def test_rebuild_gives_same_digest_and_version(built: dict[str, Any]) -> None:
    ds = built["dataset"]
    again = build_dataset(DatasetSpec(name="demo", sources=("edits", "conversations")), settings=built["settings"])
    assert again.ref == ds.ref and again.digest == ds.digest
    assert [d.ref for d in list_datasets(settings=built["settings"])] == ["demo@v1"]


def test_build_is_recorded_in_mlflow(built: dict[str, Any]) -> None:
    from agenthone._mlflow import client

    ds = built["dataset"]
    run = client(built["settings"]).get_run(ds.manifest["mlflow_run_id"])
    assert run.data.tags["dataset.ref"] == "demo@v1"
    assert run.data.tags["dataset.digest"] == ds.digest
    assert run.data.metrics["examples_train"] == ds.counts["train"]
    assert run.data.metrics["quality_score"] == pytest.approx(ds.quality().score)
    contexts = sorted(i.tags[0].value for i in run.inputs.dataset_inputs)
    assert contexts == ["test", "training", "validation"]
    names = {i.dataset.name for i in run.inputs.dataset_inputs}
    assert names == {f"demo@v1/{s}" for s in SPLITS}
    artifacts = {a.path for a in client(built["settings"]).list_artifacts(run.info.run_id)}
    assert {"manifest.json", "quality.json", "spec.toml", "figures"} <= artifacts


def test_missing_dataset_error_names_ref_and_available(built: dict[str, Any]) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"no dataset 'nope' .*available: demo"):
        load("nope", settings=built["settings"])
    with pytest.raises(DatasetNotFoundError, match=r"no version v9 of dataset 'demo' \(available: v1\)"):
        load("demo@v9", settings=built["settings"])


def test_min_samples_names_the_category(sample_workspace: Path) -> None:
    from agenthone.config import Settings

    settings = Settings.load(sample_workspace)
    spec = DatasetSpec(name="sec", categories=("core_security",), min_samples=100_000, redact_pii=False)
    with pytest.raises(InsufficientDataError) as info:
        build_dataset(spec, settings=settings, log_to_mlflow=False)
    found = info.value.found
    assert 0 < found < 100_000
    assert str(info.value) == f"Insufficient data for category core_security: found {found}, need 100000"
    assert list_datasets(settings=settings) == []  # nothing half-built is left behind


def test_filters_sampling_and_failures(sample_workspace: Path) -> None:
    from agenthone.config import Settings

    settings = Settings.load(sample_workspace)
    spec = DatasetSpec(
        name="runs",
        sources=("runs",),
        categories=("ecommerce", "customer_service"),
        min_score=0.9,
        failure_share=0.05,
        max_samples=300,
        redact_pii=False,
        formats=("openai-chat",),
    )
    ds = build_dataset(spec, settings=settings, log_to_mlflow=False)
    examples = [e for s in SPLITS for e in ds.examples(s)]
    assert len(examples) == 300
    assert {e["source"]["category"] for e in examples} <= {"ecommerce", "customer_service"}
    failures = [e for e in examples if e.get("weight") == 0]
    assert failures  # kept as weight 0, and only OpenAI chat export keeps them (on a later assistant turn)
    chat = ds.export_path("openai-chat", "train").read_text(encoding="utf-8").splitlines()
    assert all('"weight":0' not in line for line in chat)  # single-turn failures teach nothing: left out
    agents = {e["source"]["agent_name"] for e in examples}
    assert len(agents) > 2  # stratified by agent, not the first 300 rows


def test_spec_round_trip_through_manifest(built: dict[str, Any]) -> None:
    ds = built["dataset"]
    # the built version records the model it was built for (the workspace's default_model when unnamed)
    model = built["settings"].default_model
    assert ds.spec == DatasetSpec(name="demo", sources=("edits", "conversations"), model=model)
    spec_file = ds.path / "spec.toml"
    assert DatasetSpec.from_file(spec_file) == ds.spec
    assert json.loads((ds.path / "manifest.json").read_text())["spec"]["near_threshold"] == 0.8


def test_the_build_is_audited(built: dict[str, Any]) -> None:
    from agenthone.audit import entries, verify

    rows = entries(built["settings"], action="dataset.built")
    assert [r.target for r in rows] == [built["dataset"].ref]
    assert verify(built["settings"]).ok
