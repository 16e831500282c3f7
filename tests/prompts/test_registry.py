"""Prompts as versions in the workspace's MLflow prompt registry, linked to the logs by their label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agenthone.config import Settings
from agenthone.prompts import PromptError, PromptRegistry, prompt_performance


def test_register_alias_lineage_and_errors(workspace: Path) -> None:
    reg = PromptRegistry(Settings.load(workspace))
    v1 = reg.register("support bot", "You answer tickets.", label="v1", alias="production")
    assert (v1.name, v1.version, v1.label, v1.aliases) == ("support-bot", 1, "v1", ("production",))
    v2 = reg.register("support bot", "You answer tickets briefly.", source="rules", parent=1, rationale="shorter")
    assert v2.label == "v2" and v2.parent == 1 and v2.rationale == "shorter"
    assert reg.get("support bot", "production").version == 1
    assert reg.set_alias("support bot", "candidate", "v2").aliases == ("candidate",)
    assert [v.version for v in reg.lineage("support bot", "candidate")] == [2, 1]
    # the same label with the same text is the same version; with another text an error
    assert reg.register("support bot", "You answer tickets.", label="v1").version == 1
    with pytest.raises(PromptError, match="already has a prompt version labelled 'v1'"):
        reg.register("support bot", "Other text.", label="v1")
    with pytest.raises(PromptError, match="no prompt version, label or alias 'v9'"):
        reg.get("support bot", "v9")
    with pytest.raises(PromptError, match="no registered prompt for agent 'nobody'"):
        reg.versions("nobody")
    with pytest.raises(PromptError, match="invalid alias"):
        reg.set_alias("support bot", "3", 1)
    assert reg.agents() == ["support bot"]
    # MLflow's own API sees the same versions and aliases
    import mlflow.genai

    assert mlflow.genai.load_prompt("prompts:/support-bot@candidate").template == "You answer tickets briefly."


def test_sample_prompts_link_the_logs_to_registered_versions(
    sample_workspace: Path, sample_prompts: dict[str, Any], ground_truth: dict[str, Any]
) -> None:
    from agenthone.workbench import Workbench

    regression = ground_truth["effects"]["regression"]
    agent = regression["agent"]
    with Workbench.open(read_only=True) as wb:
        wb.prompts.import_prompts({agent: sample_prompts["prompts"][agent]}, production=sample_prompts["production"])
        df = prompt_performance(wb.store, wb.prompts, agent)
    rows = df.set_index("prompt_version")
    after = regression["prompt_version_after"]
    assert rows.loc[after, "registered_version"] is not None and "production" in rows.loc[after, "aliases"]
    # grouped by registered prompt, the regression shows on the version that shipped with it
    assert rows.loc[after, "acceptance"] < rows.drop(index=after)["acceptance"].min()
    assert set(rows["source"].dropna()) == {"imported"}
