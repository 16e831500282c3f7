"""The evaluation harness over real SDKs (OpenAI and Anthropic stubs), with results in MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone import Workbench
from agenthone.errors import HoneError
from agenthone.evaluation import EvaluationResult, ModelResolutionError, evaluate, latest_evaluation
from tests.providers.stub_server import Stub
from tests.training.copy_task import write_dataset


def test_evaluate_a_provider_model_with_a_judge(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=80)
        seen: list[tuple[int, int]] = []
        result = evaluate(
            "openai:gpt-4o-mini",
            "copy",
            judge="anthropic:claude-haiku-4-5",
            settings=wb.settings,
            progress=lambda done, total: seen.append((done, total)),
            batch_size=8,
        )
    assert len(result.examples) == 12  # the test split
    assert seen[0] == (0, 12) and seen[-1] == (12, 12)
    # the stub model writes exactly the reference copy for these requests
    assert result.metrics["exact_match"] == 1.0 and result.metrics["edit_similarity"] == 1.0
    assert result.metrics["judge_score"] == 1.0  # 5 on a 1-5 scale
    assert set(result.examples.columns) >= {"id", "prompt", "reference", "prediction", "chrf", "judge_reason"}
    assert result.examples_per_second > 0

    again = EvaluationResult.from_mlflow(result.run_id or "", settings=wb.settings)
    assert list(again.examples["id"]) == list(result.examples["id"])
    assert again.metrics["edit_similarity"] == 1.0 and again.model == "openai:gpt-4o-mini"
    latest = latest_evaluation("openai:gpt-4o-mini", dataset="copy", settings=wb.settings)
    assert latest is not None and latest.run_id == result.run_id


def test_bad_references(stub: Stub, workspace: Path) -> None:
    with Workbench.open(workspace) as wb:
        write_dataset(wb.settings.data_dir, "copy", n=20)
        with pytest.raises(ModelResolutionError, match="cannot resolve model 'gpt-4o'"):
            evaluate("gpt-4o", "copy", settings=wb.settings)
        with pytest.raises(HoneError, match="'holdout'"):
            evaluate("openai:gpt-4o-mini", "copy", split="holdout", settings=wb.settings)
        with pytest.raises(HoneError, match=r"no dataset 'nope'.*available: copy"):
            evaluate("openai:gpt-4o-mini", "nope", settings=wb.settings)
