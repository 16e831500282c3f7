"""A local job end to end: background training, loss falls, saved, registered, loaded back, generates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from agenthone import Workbench
from agenthone.providers._base import prompt_of
from agenthone.text import edit_similarity
from agenthone.training import JobManager
from tests.training.copy_task import LOCAL_OPTIONS, make_examples, write_dataset


def test_local_job_end_to_end(workspace: Path) -> None:
    import mlflow.pyfunc

    from agenthone import registry
    from agenthone.evaluation import compare, evaluate

    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=200)
        jobs = JobManager.open(wb)
        job = jobs.submit(
            "copy",
            provider="local",
            epochs=5,
            learning_rate=3e-3,
            hyperparameters={"max_eval_examples": 30},
            provider_options=LOCAL_OPTIONS,
        )
        assert job.status in ("queued", "running")
        job = jobs.watch(job.job_id, interval=0.5)
        assert job.status == "succeeded", job.error
        assert Path(job.fine_tuned_model or "").joinpath("config.json").is_file()

        curve = jobs.metrics(job.job_id).dropna(subset=["validation_loss"])
        assert curve["step"].iloc[0] == 0
        assert curve["validation_loss"].iloc[-1] < 0.6 * curve["validation_loss"].iloc[0]
        assert jobs.efficiency(job.job_id).best_step == int(curve.loc[curve["validation_loss"].idxmin(), "step"])
        assert job.details["tokens_per_second"] > 0

        tuned = evaluate(job.job_id, "copy", settings=wb.settings, store=wb.store, limit=30)
        base = evaluate(f"baseline:{job.job_id}", "copy", settings=wb.settings, store=wb.store, limit=30)
        result = compare(tuned, base)
        assert result.ci_low > 0.1, result.summary()  # generations moved towards the references

        version = registry.register(job.job_id, alias="champion", store=wb.store, settings=wb.settings)
        assert version.aliases == ["champion"]
        assert version.tags["eval.edit_similarity"] == f"{tuned.metrics['edit_similarity']:.4f}"

    # anyone can load it back through MLflow alone, and it generates
    model = mlflow.pyfunc.load_model("models:/copy@champion")
    examples = make_examples(220)[200:210]
    replies = model.predict(pd.DataFrame({"messages": [json.dumps(prompt_of(e)) for e in examples]}))
    assert len(replies) == 10
    similarity = sum(edit_similarity(r, e["reference"]) for r, e in zip(replies, examples, strict=True)) / 10
    assert similarity == pytest.approx(tuned.metrics["edit_similarity"], abs=0.25)
    assert len(model.predict({"prompt": ["Describe the red lamp by Acme; it is quiet.", "Describe a tent."]})) == 2
    # the shortest forms: a list of prompts, one prompt, a list of chats
    lamp = "Describe the red lamp by Acme; it is quiet."
    [reply] = model.predict(pd.DataFrame({"prompt": [lamp]}))
    assert reply
    assert model.predict([lamp]) == [reply]  # greedy: the same reply whatever the input's shape
    assert model.predict(lamp) == [reply]
    assert len(model.predict([prompt_of(e) for e in examples[:3]], params={"max_new_tokens": 8})) == 3
