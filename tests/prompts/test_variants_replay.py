"""Variants from the sample's edit patterns, registered with lineage, and replayed against production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agenthone.prompts import PromptError, generate_variants, replay


def _import(wb: Any, prompts: dict[str, Any], agent: str) -> None:
    wb.prompts.import_prompts({agent: prompts["prompts"][agent]}, production=prompts["production"])


@pytest.mark.xdist_group("prompts-stub")
def test_rule_variants_are_registered_with_lineage_and_replay_ranks_the_planted_prompt(
    sample_workspace: Path, stub: Any, sample_prompts: dict[str, Any], ground_truth: dict[str, Any], filler_agent: str
) -> None:
    from agenthone.workbench import Workbench

    better = ground_truth["effects"]["filler_phrase"]["better_prompt"]
    with Workbench.open() as wb:
        _import(wb, sample_prompts, filler_agent)
        production = wb.prompts.get(filler_agent, "production")
        assert production.label == better["baseline"]
        made = generate_variants(wb.store, wb.prompts, filler_agent, n=2)
        assert 1 <= len(made) <= 2
        first = made[0]
        assert first.source == "rules" and first.parent == production.version
        assert 'Do not open with "Let me analyze this."' in first.template
        assert "Begin every answer with" not in first.template  # the line asking for the phrase is gone
        assert "deleted: 'Let me analyze this.'" in first.rationale and first.findings[0]["kind"] == "remove"
        assert [v.version for v in wb.prompts.lineage(filler_agent, first.version)] == [
            first.version,
            production.version,
        ]

        # the stand-in model answers each past request as the agent did, obeying its system prompt's rules
        edits = wb.store.sql("SELECT prompt, ai_output FROM edits WHERE agent_name = ?", [filler_agent])
        from agenthone.prompts._replay import _messages

        for prompt, ai in zip(edits["prompt"], edits["ai_output"], strict=True):
            stub.state.recordings[str(_messages(prompt)[-1]["content"])] = ai
        result = replay(
            wb.store,
            filler_agent,
            variants=[better["label"], first.version],
            model="openai:gpt-4o-mini",
            settings=wb.settings,
            sample=40,
        )
        experiment = result.to_experiment(wb.experiments, variant=wb.prompts.get(filler_agent, better["label"]).version)
    ranking = result.ranking()
    planted = ranking[ranking["label"] == better["label"]].iloc[0]
    assert planted["ci_low"] > 0 and planted["mean_difference"] > 0.02, planted.to_dict()
    assert result.best is not None and result.best.label in (better["label"], first.label)
    assert len(stub.state.calls("POST", "/v1/chat/completions")) == 3 * 40
    assert result.run_id and any("better" in line for line in result.summary())
    assert "cost_usd" not in set(result.comparisons["metric"])  # a hosted model's price per token is not known here
    arms = {v.name: v.prompt_version for v in experiment.design.variants}
    assert arms == {"control": production.label, "treatment": better["label"]}
    assert experiment.design.agent == filler_agent and experiment.design.primary_metric == "acceptance"


def test_variants_need_a_registered_prompt_and_findings(sample_workspace: Path, filler_agent: str) -> None:
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        with pytest.raises(PromptError, match="no registered prompt"):
            generate_variants(wb.store, wb.prompts, filler_agent)
        wb.prompts.register(filler_agent, "You help.")
        with pytest.raises(PromptError, match="n must be at least 1"):
            generate_variants(wb.store, wb.prompts, filler_agent, n=0)


@pytest.mark.xdist_group("prompts-stub")
def test_llm_variants_through_the_openai_sdk(sample_workspace: Path, stub: Any, filler_agent: str) -> None:
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        base = wb.prompts.register(filler_agent, "You write findings.", alias="production")
        made = generate_variants(wb.store, wb.prompts, filler_agent, n=2, generator="llm", model="openai:gpt-4o-mini")
    assert made and all(v.source == "llm" and v.parent == base.version for v in made)
    assert made[0].template.startswith("You write findings.") and "Let me analyze this." in made[0].template
    assert "openai:gpt-4o-mini" in made[0].rationale
    body = stub.state.calls("POST", "/v1/chat/completions")[0]["body"].decode()
    assert "deleted: 'Let me analyze this.'" in body


def test_replay_with_a_local_model_end_to_end(sample_workspace: Path, tmp_path: Path, filler_agent: str) -> None:
    """A tiny local model (untrained: its scores mean nothing) answers through the same replay and MLflow run."""
    from agenthone.prompts import historical_requests
    from agenthone.providers._local_model import build_scratch_model
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        past = historical_requests(wb.store, filler_agent, sample=20)
        examples = [{"messages": [*m, {"role": "assistant", "content": r}]}
                    for m, r in zip(past["messages"], past["reference"], strict=True)]  # fmt: skip
        tiny = build_scratch_model(examples, tmp_path / "tiny", vocab_size=300, hidden_size=32, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=64)  # fmt: skip
        base = wb.prompts.register(filler_agent, "You write findings.", alias="production")
        variant = wb.prompts.register(filler_agent, "You write short findings.", parent=base.version, source="rules")
        result = replay(wb.store, filler_agent, variants=[variant.label], model=str(tiny), settings=wb.settings,
                        sample=6, max_new_tokens=12)  # fmt: skip
    assert set(result.results) == {base.version, variant.version}
    frame = result.results[variant.version].examples
    assert len(frame) == 6 and frame["prediction"].map(lambda p: isinstance(p, str)).all()
    assert {"edit_similarity", "chrf", "latency_ms", "cost_usd", "prompt_words"} <= set(result.comparisons["metric"])
    # a model on this machine costs its compute time at the workspace's hourly rate
    assert (frame["cost_usd"] > 0).all() and result.results[base.version].metrics["cost_per_example_usd"] > 0
    assert result.run_id and result.as_dict()["baseline"]["label"] == base.label
