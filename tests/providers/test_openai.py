"""The openai provider, driven through the job manager against a local server that answers like the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agenthone import Workbench
from agenthone.config import Settings
from agenthone.providers import ProviderError, get_provider
from agenthone.training import CostLimitError, JobManager
from tests.providers.stub_server import Stub
from tests.training.copy_task import write_dataset


@pytest.fixture
def wb(stub: Stub, workspace: Path):
    with Workbench.open(workspace) as bench:
        write_dataset(bench.settings.data_dir, "copy", n=60)
        yield bench


def test_supervised_job_lifecycle(wb: Workbench, stub: Stub) -> None:
    jobs = JobManager.open(wb)
    job = jobs.submit("copy", provider="openai", epochs=2, batch_size=8, learning_rate=0.5, seed=7, suffix="copy")
    assert job.status == "validating_files"
    assert job.provider_job_id and job.provider_job_id.startswith("ftjob-stub")

    # what reached the API: two uploads in OpenAI's chat format, and the documented job payload
    uploads = list(stub.state.files.values())
    assert len(uploads) == 2
    first = json.loads(uploads[0]["content"].splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    request = stub.state.jobs[job.provider_job_id]["_request"]
    assert request["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 8, "learning_rate_multiplier": 0.5}},
    }
    assert request["seed"] == 7 and request["suffix"] == "copy"
    assert request["validation_file"] == "file-2"
    assert request["metadata"]["agenthone_job_id"] == job.job_id

    seen: list[str] = []
    job = jobs.watch(job.job_id, interval=0.01, on_update=lambda j: seen.append(j.status))
    assert job.status == "succeeded"
    assert seen[-1] == "succeeded" and "running" in seen
    assert job.fine_tuned_model and job.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:")
    assert job.trained_tokens == 12_000
    assert job.cost_usd == pytest.approx(12_000 * 3.0 / 1e6)  # gpt-4o-mini trains at $3 per 1M tokens

    metrics = jobs.metrics(job.job_id)
    assert list(metrics["step"]) == [1, 2, 3]
    assert metrics["train_loss"].is_monotonic_decreasing
    assert metrics["full_validation_loss"].notna().all()  # from the checkpoints
    messages = list(jobs.events(job.job_id)["message"])
    assert any("successfully completed" in m for m in messages)
    assert any("status running -> succeeded" in m for m in messages)

    from agenthone import _mlflow

    run = _mlflow.client(wb.settings).get_run(job.mlflow_run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["hp.epochs"] == "2"
    assert run.data.params["dataset_digest"] == job.dataset_digest
    assert run.data.tags["provider"] == "openai" and run.data.tags["method"] == "sft"
    assert run.data.tags["agent"] == "product-copywriter"
    assert run.data.metrics["final_validation_loss"] == pytest.approx(2.2 / 3)
    history = _mlflow.client(wb.settings).get_metric_history(job.mlflow_run_id, "train_loss")
    assert sorted(m.step for m in history) == [1, 2, 3]


def test_dpo_job_sends_preference_pairs_and_beta(wb: Workbench, stub: Stub) -> None:
    job = JobManager.open(wb).submit("copy", provider="openai", method="dpo", beta=0.2, epochs=1)
    line = json.loads(stub.state.files["file-1"]["content"].splitlines()[0])
    assert set(line) == {"input", "preferred_output", "non_preferred_output"}
    assert line["non_preferred_output"][0]["content"].startswith("Let me analyze this.")
    method = stub.state.jobs[job.provider_job_id]["_request"]["method"]
    assert method["type"] == "dpo"
    assert method["dpo"]["hyperparameters"]["beta"] == 0.2


def test_rate_limit_is_retried(wb: Workbench, stub: Stub) -> None:
    stub.state.arm("/v1/fine_tuning/jobs", 429, 503)
    job = JobManager.open(wb).submit("copy", provider="openai")
    assert job.provider_job_id
    assert len(stub.state.calls("POST", "/v1/fine_tuning/jobs")) == 3  # 429, 503, then created
    assert len(stub.state.jobs) == 1


def test_exhausted_retries_fail_the_job_with_one_line(wb: Workbench, stub: Stub) -> None:
    stub.state.arm("/v1/fine_tuning/jobs", 429, 429, 429, 429)
    jobs = JobManager.open(wb)
    with pytest.raises(ProviderError, match=r"HTTP 429: Rate limit reached") as info:
        jobs.submit("copy", provider="openai")
    assert "\n" not in str(info.value)
    job = jobs.get()
    assert job.status == "failed" and "429" in str(job.error)


def test_failed_job_keeps_the_error(wb: Workbench, stub: Stub) -> None:
    jobs = JobManager.open(wb)
    job = jobs.submit("copy", provider="openai", base_model="gpt-4o-mini-fail")
    job = jobs.watch(job.job_id, interval=0.01)
    assert job.status == "failed"
    assert job.error == "invalid_training_file: The training file has too few examples (param training_file)"
    from agenthone import _mlflow

    assert _mlflow.client(wb.settings).get_run(job.mlflow_run_id).info.status == "FAILED"


def test_cancel(wb: Workbench, stub: Stub) -> None:
    jobs = JobManager.open(wb)
    job = jobs.submit("copy", provider="openai")
    job = jobs.cancel(job.job_id)
    assert job.status == "cancelled"
    assert job.done
    assert stub.state.calls("POST", f"/v1/fine_tuning/jobs/{job.provider_job_id}/cancel")
    with pytest.raises(Exception, match="already cancelled"):
        jobs.cancel(job.job_id)


def test_cost_guard_refuses_before_anything_is_created(wb: Workbench, stub: Stub) -> None:
    jobs = JobManager.open(wb)
    with pytest.raises(CostLimitError) as info:
        jobs.submit("copy", provider="openai", base_model="gpt-4o-2024-08-06", epochs=10, max_cost_usd=0.001)
    message = str(info.value)
    assert message.startswith("refused: estimated cost $")
    assert "exceeds the limit of $0.00" in message and "x 10 epochs" in message and "$25/1M tokens" in message
    assert "\n" not in message
    assert info.value.estimate.usd > 0.001
    assert stub.state.requests == []  # nothing uploaded, no job created
    assert jobs.list() == []


def test_cost_guard_uses_the_workspace_limit(wb: Workbench, stub: Stub) -> None:
    estimate = JobManager.open(wb).estimate("copy", provider="openai", base_model="gpt-4o-2024-08-06", epochs=3)
    assert estimate.epochs == 3 and estimate.billed_tokens == estimate.dataset_tokens * 3
    assert estimate.usd == pytest.approx(estimate.billed_tokens * 25 / 1e6)


def test_api_key_never_leaves_the_environment(wb: Workbench, stub: Stub, workspace: Path) -> None:
    jobs = JobManager.open(wb)
    done = jobs.watch(jobs.submit("copy", provider="openai").job_id, interval=0.01)
    failed = jobs.watch(jobs.submit("copy", provider="openai", base_model="gpt-4o-mini-fail").job_id, interval=0.01)
    assert done.status == "succeeded" and failed.status == "failed"
    # a service that echoes the credentials in its error: the message we raise and store is redacted
    with pytest.raises(ProviderError) as info:
        jobs.submit("copy", provider="openai", base_model="gpt-4o-mini-echo-key")
    assert stub.openai_key not in str(info.value) and "***" in str(info.value)
    sent = [{k.lower(): v for k, v in r["headers"].items()}.get("authorization") for r in stub.state.requests]
    assert set(sent) == {f"Bearer {stub.openai_key}"}  # the key did reach the API, and only there
    wb.store.close()
    # MLflow params, tags, metrics, artifacts; the store; the job folders: no trace of the key anywhere
    secret = stub.openai_key.encode()
    scanned = 0
    for path in workspace.rglob("*"):
        if path.is_file():
            scanned += 1
            assert secret not in path.read_bytes(), f"API key found in {path}"
    assert scanned > 5
    from agenthone import _mlflow

    client = _mlflow.client(Workbench.open(workspace, read_only=True).settings)
    for job in (done, failed):
        run = client.get_run(job.mlflow_run_id)
        text = json.dumps([run.data.params, run.data.tags])
        assert stub.openai_key not in text


def test_missing_key_is_one_clear_line(stub: Stub, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    provider = get_provider("openai", settings=Settings.load(workspace))
    with pytest.raises(ProviderError, match=r"^set OPENAI_API_KEY in the environment to use the openai provider$"):
        provider.generate("gpt-4o-mini", [[{"role": "user", "content": "hi"}]])


def test_generation_and_models(stub: Stub, workspace: Path) -> None:
    provider = get_provider("openai", settings=Settings.load(workspace))
    prompt = [{"role": "user", "content": "Describe the red lamp by Acme; it is quiet, ships in 3 days."}]
    assert (
        provider.generate("gpt-4o-mini", [prompt, prompt])
        == ["The Acme lamp comes in red. It is quiet and ships in 3 days."] * 2
    )
    models = {m.id: m for m in provider.list_base_models()}
    assert models["gpt-4o-mini-2024-07-18"].usd_per_million_training_tokens == 3.0
    assert "dpo" in models["gpt-4.1-mini-2025-04-14"].methods


def test_azure_openai_endpoint(wb: Workbench, stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-test-key-123")
    jobs = JobManager.open(wb)
    options = {"azure_endpoint": stub.url, "api_version": "2024-10-21"}
    job = jobs.watch(jobs.submit("copy", provider="openai", provider_options=options).job_id, interval=0.01)
    assert job.status == "succeeded"
    sent = stub.state.requests[0]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["api-key"] == "azure-test-key-123"
    assert all(r["raw_path"].startswith("/openai/") for r in stub.state.requests)
    assert all("api-version=2024-10-21" in r["raw_path"] for r in stub.state.requests)
    assert job.details["provider_options"] == options  # monitoring after a restart reaches the same endpoint


def _add_failure(wb: Workbench) -> dict[str, object]:
    """A failure kept with weight 0 (an earlier assistant turn to learn, the last one not) in the train split."""
    failure = {
        "id": "ex-failure",
        "messages": [
            {"role": "system", "content": "You write short product copy."},
            {"role": "user", "content": "Describe the red lamp by Acme."},
            {"role": "assistant", "content": "Which size?"},
            {"role": "user", "content": "The small one."},
            {"role": "assistant", "content": "I cannot help with lamps."},
        ],
        "reference": "I cannot help with lamps.",
        "weight": 0,
        "source": {"kind": "conversation", "id": "c-1", "agent_name": "product-copywriter", "category": "ecommerce"},
    }
    train = wb.settings.data_dir / "datasets" / "copy" / "v1" / "train.jsonl"
    with train.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(failure) + "\n")
    return failure


def test_the_uploaded_file_is_the_dataset_export_and_keeps_failures_unlearned(wb: Workbench, stub: Stub) -> None:
    from agenthone.datasets import load

    _add_failure(wb)
    jobs = JobManager.open(wb)
    job = jobs.submit("copy", provider="openai")
    export = load("copy", settings=wb.settings).export_path("openai-chat", "train")
    assert job.provider_job_id
    uploaded = stub.state.files["file-1"]["content"]  # the first upload: the train split
    assert uploaded == export.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in uploaded.splitlines()]
    failure = next(line for line in lines if line["messages"][-1]["content"] == "I cannot help with lamps.")
    assert failure["messages"][-1]["weight"] == 0  # seen, not learnt
    assert failure["messages"][2]["weight"] == 1


def test_estimate_and_validation_of_the_uploaded_file_agree(wb: Workbench, stub: Stub) -> None:
    from agenthone.datasets import load, validate_file

    _add_failure(wb)
    ds = load("copy", settings=wb.settings)
    for base in ("gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125"):
        estimate = JobManager.open(wb).estimate("copy", provider="openai", base_model=base)
        report = validate_file(ds.export_path("openai-chat", "train"), model=base, settings=wb.settings)
        assert (estimate.billed_tokens, estimate.epochs) == (report.billed_tokens, report.epochs)
        assert estimate.usd == pytest.approx(report.cost_usd)
        assert "[prices] in hone.toml" in estimate.basis
    pinned = JobManager.open(wb).estimate("copy", provider="openai", base_model=base, epochs=2)
    assert (pinned.dataset_tokens, pinned.billed_tokens) == (report.epoch_tokens, report.epoch_tokens * 2)
