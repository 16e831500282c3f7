"""The local provider's training, run in this process on a tiny model built from a config (real torch steps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agenthone.providers import LocalProvider
from agenthone.providers._base import prompt_of
from agenthone.providers._local_model import CHAT_TEMPLATE, build_scratch_model, load_local_chat_model
from agenthone.providers._local_worker import read_status, run_job
from agenthone.text import edit_similarity
from tests.training.copy_task import make_examples

TINY = {
    "vocab_size": 400,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
}


def _job_dir(tmp_path: Path, *, method: str = "sft", n: int = 160, **hp: Any) -> Path:
    job = tmp_path / "job"
    (job / "data").mkdir(parents=True)
    examples = make_examples(n)
    split = int(n * 0.8)
    for name, rows in (("train", examples[:split]), ("validation", examples[split:])):
        (job / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = {"method": method, "base_model": None, "seed": 0, "device": "cpu", "scratch": TINY,
            "hyperparameters": {"batch_size": 16, "max_eval_examples": 16, **hp}}  # fmt: skip
    (job / "spec.json").write_text(json.dumps(spec))
    return job


def test_scratch_tokenizer_and_chat_template(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    out = build_scratch_model(make_examples(50), tmp_path / "m", **TINY)
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.chat_template == CHAT_TEMPLATE
    text = "The Acme lamp comes in red."
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    prompt = [{"role": "user", "content": "Describe the lamp"}]
    full = [*prompt, {"role": "assistant", "content": "A lamp."}]
    head = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    whole = tok.apply_chat_template(full, tokenize=False)
    assert whole.startswith(head) and whole.endswith("A lamp.<|end|>\n")


def test_sft_learns_from_scratch(tmp_path: Path) -> None:
    job = _job_dir(tmp_path, epochs=6, learning_rate=3e-3)
    status = run_job(job)
    assert status["status"] == "succeeded", status.get("error")
    lines = [json.loads(x) for x in (job / "metrics.jsonl").read_text().splitlines()]
    val = [(x["step"], x["validation_loss"]) for x in lines if "validation_loss" in x]
    assert val[0][0] == 0  # evaluated before the first step: the untrained baseline
    assert val[-1][1] < 0.5 * val[0][1]
    train = [x for x in lines if "train_loss" in x]
    assert {"learning_rate", "grad_norm", "train_token_accuracy", "tokens_per_second"} <= set(train[-1])
    assert (job / "model" / "config.json").is_file() and (job / "model" / "tokenizer.json").is_file()
    assert status["trained_tokens"] > 0 and status["peak_rss_mb"] > 0

    # generations move towards the references: edit similarity well above the untrained model's
    examples = make_examples(200)[160:180]
    prompts = [prompt_of(e) for e in examples]

    def similarity(path: Path) -> float:
        outs = load_local_chat_model(path, device="cpu").generate(prompts, max_new_tokens=40)
        return sum(edit_similarity(o, e["reference"]) for o, e in zip(outs, examples, strict=True)) / len(examples)

    trained, untrained = similarity(job / "model"), similarity(job / "base")
    assert trained > untrained + 0.3, (trained, untrained)


def test_dpo_and_lora(tmp_path: Path) -> None:
    job = _job_dir(tmp_path, method="dpo", n=64, peft="lora", max_steps=4, beta=0.2)
    status = run_job(job)
    assert status["status"] == "succeeded", status.get("error")
    assert status["peft"] == "lora"
    assert (job / "adapter" / "adapter_config.json").is_file()
    lines = [json.loads(x) for x in (job / "metrics.jsonl").read_text().splitlines()]
    assert any("validation_reward_accuracy" in x for x in lines)
    provider = LocalProvider(jobs_dir=tmp_path, device="cpu")
    model = provider.chat_model(str(job / "adapter"))  # the adapter over the base it records
    assert len(model.generate([[{"role": "user", "content": "Describe the lamp"}]], max_new_tokens=5)) == 1


def test_cancel_flag_stops_training(tmp_path: Path) -> None:
    job = _job_dir(tmp_path, n=64, max_steps=500)
    (job / "CANCEL").touch()
    status = run_job(job)
    assert status["status"] == "cancelled"
    assert status["steps"] == 1
    assert not (job / "model").exists()


def test_bad_input_fails_with_file_and_line(tmp_path: Path) -> None:
    job = _job_dir(tmp_path, n=20)
    with (job / "data" / "train.jsonl").open("a") as fh:
        fh.write("{not json\n")
    status = run_job(job)
    assert status["status"] == "failed"
    assert "train.jsonl:17: not valid JSON" in status["error"]
    assert read_status(job)["status"] == "failed"


def test_unknown_base_model_is_refused(tmp_path: Path) -> None:
    from agenthone.providers import ProviderError

    provider = LocalProvider(jobs_dir=tmp_path, models_dir=tmp_path / "models")
    with pytest.raises(ProviderError, match=r"base model 'nope' is not a local model directory \(known: scratch\)"):
        provider._resolve_base("nope")


def test_cost_estimates_count_tokens_with_the_local_models_tokenizer(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from agenthone.datasets import Dataset
    from agenthone.datasets._tokens import TokenCounter
    from agenthone.providers._local_model import normalise_messages
    from tests.training.copy_task import write_dataset

    ds = Dataset(write_dataset(tmp_path / "data", "copy", n=60))
    train = ds.examples("train")
    provider = LocalProvider(jobs_dir=tmp_path / "jobs", models_dir=tmp_path / "models", scratch=TINY)
    model_dir = build_scratch_model(train, tmp_path / "models" / "tiny", vocab_size=300, **{
        k: v for k, v in TINY.items() if k != "vocab_size"})  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    expected = sum(
        len(tokenizer.apply_chat_template(normalise_messages(e["messages"]), tokenize=True, return_dict=False))
        for e in train
    )
    estimate = provider.estimate_cost(ds, method="sft", base_model="tiny", epochs=2)
    assert (estimate.dataset_tokens, estimate.billed_tokens, estimate.usd) == (expected, expected * 2, 0.0)
    assert "tokenizer of tiny" in estimate.basis
    tiktoken_count = sum(TokenCounter("o200k_base").message_tokens(e["messages"]) for e in train)
    assert estimate.dataset_tokens != tiktoken_count  # not gpt-4o-mini's tokenizer
    scratch = provider.estimate_cost(ds, method="sft", base_model="scratch", epochs=None)
    assert "scratch model's tokenizer" in scratch.basis and scratch.epochs == 3
    assert scratch.dataset_tokens not in (expected, tiktoken_count)
