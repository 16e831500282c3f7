"""The registry: remote versions as models-from-code, aliases, deployments, archive, load."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from agenthone import Workbench
from agenthone.registry import (
    RegistryError,
    archive,
    current_deployment,
    deploy,
    deployments,
    list_versions,
    load,
    register,
    set_alias,
)
from agenthone.training import JobManager
from tests.providers.stub_server import Stub
from tests.training.copy_task import write_dataset


def _two_jobs(wb: Workbench) -> list[str]:
    write_dataset(wb.settings.data_dir, "copy", n=40)
    jobs = JobManager.open(wb)
    return [jobs.watch(jobs.submit("copy", provider="openai").job_id, interval=0.01).job_id for _ in range(2)]


def test_versions_aliases_deployments_archive(stub: Stub, workspace: Path) -> None:
    import mlflow.pyfunc

    with Workbench.open(workspace) as wb:
        first, second = _two_jobs(wb)
        s = wb.settings
        v1 = register(first, alias="champion", store=wb.store, settings=s)
        v2 = register(second, name="copy", alias="challenger", store=wb.store, settings=s)
        assert (v1.version, v2.version) == ("1", "2")
        assert v1.provider == "openai" and v1.tags["model_id"].startswith("ft:gpt-4o-mini")
        assert v1.tags["dataset_digest"] and v1.job_id == first

        # a remote version is a pyfunc holding the provider and model id: it generates through the provider
        model = mlflow.pyfunc.load_model("models:/copy@champion")
        prompt = "Describe the red lamp by Acme; it is quiet, ships in 3 days."
        assert model.predict(pd.DataFrame({"prompt": [prompt]})) == [
            "The Acme lamp comes in red. It is quiet and ships in 3 days."
        ]
        chat = load("copy@challenger", settings=s)
        assert chat.info.version == "2"
        assert chat.generate([[{"role": "user", "content": prompt}]])[0].startswith("The Acme lamp")

        first_deploy = deploy("product-copywriter", "copy@champion", store=wb.store, settings=s, note="first")
        set_alias("copy", "champion", "2", settings=s)  # promote: the alias moves, history keeps version 1
        deploy("product-copywriter", "copy@champion", store=wb.store, settings=s)
        history = deployments("product-copywriter", store=wb.store)
        assert list(history["version"]) == ["2", "1"]
        assert pd.isna(history["until"].iloc[0]) and history["until"].iloc[1] == history["deployed_at"].iloc[0]
        assert first_deploy.model_uri == "models:/copy/1"
        assert current_deployment("product-copywriter", store=wb.store).version == "2"

        with pytest.raises(RegistryError, match="is deployed to product-copywriter; deploy another version first"):
            archive("copy", "2", settings=s, store=wb.store)
        archived = archive("copy", "1", settings=s, store=wb.store)
        assert archived.archived and archived.aliases == []
        assert [v.version for v in list_versions("copy", settings=s)] == ["2"]
        assert len(list_versions("copy", include_archived=True, settings=s)) == 2
        with pytest.raises(RegistryError, match="archived and cannot be deployed"):
            deploy("other-agent", "copy/1", store=wb.store, settings=s)
        with pytest.raises(RegistryError, match="archived version cannot take an alias"):
            set_alias("copy", "champion", "1", settings=s)

        # every state change above is in the audit log, in order, and the chain verifies
        from agenthone.audit import entries, verify

        actions = [(e.action, e.target) for e in entries(s, limit=None)]
        assert [a for a, _ in actions if a == "job.submitted"] == ["job.submitted"] * 2
        assert ("model.registered", "copy/1") in actions and ("model.registered", "copy/2") in actions
        assert ("alias.moved", "copy@champion") in actions
        assert [t for a, t in actions if a == "model.deployed"] == ["product-copywriter"] * 2
        assert verify(s).ok


def test_refusals(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        jobs = JobManager.open(wb)
        failed = jobs.watch(jobs.submit("copy", provider="openai", base_model="gpt-4o-mini-fail").job_id, interval=0.01)
        with pytest.raises(RegistryError, match=rf"job {failed.job_id} is failed; only a succeeded job's model"):
            register(failed.job_id, store=wb.store, settings=wb.settings)
        ok = jobs.watch(jobs.submit("copy", provider="openai").job_id, interval=0.01)
        with pytest.raises(RegistryError, match="model name 'bad name'"):
            register(ok.job_id, name="bad name", store=wb.store, settings=wb.settings)
        register(ok.job_id, store=wb.store, settings=wb.settings)
        with pytest.raises(RegistryError, match="alias 'latest'"):
            set_alias("copy", "latest", "1", settings=wb.settings)
        with pytest.raises(RegistryError, match=r"no alias 'champion' of registered model 'copy' \(registered: copy\)"):
            load("copy@champion", settings=wb.settings)


def test_lora_adapter_version_travels_with_its_base(workspace: Path) -> None:
    import shutil

    import mlflow.pyfunc

    from tests.training.copy_task import LOCAL_OPTIONS

    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=40)
        jobs = JobManager.open(wb)
        job = jobs.submit(
            "copy", provider="local", hyperparameters={"peft": "lora", "max_steps": 3}, provider_options=LOCAL_OPTIONS
        )
        job = jobs.watch(job.job_id, interval=0.5)
        assert job.status == "succeeded", job.error
        assert Path(job.fine_tuned_model or "").name == "adapter"
        version = register(job.job_id, alias="champion", store=wb.store, settings=wb.settings)
        assert version.tags["provider"] == "local"
    shutil.rmtree(Path(job.workdir or ""))  # the version holds adapter and base itself
    model = mlflow.pyfunc.load_model("models:/copy@champion")
    replies = model.predict(pd.DataFrame({"prompt": ["Describe the red lamp by Acme."]}), params={"max_new_tokens": 5})
    assert len(replies) == 1 and isinstance(replies[0], str)
