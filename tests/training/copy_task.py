"""Small built datasets (and local-provider settings) for the training, evaluation and registry tests.

The task is learnable in seconds by a tiny model (product copy from a structured request), so a real
training run shows falling validation loss and generations that move towards the references.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

COLORS = ["red", "blue", "green", "black", "white", "amber", "teal", "violet"]
PRODUCTS = ["backpack", "kettle", "lamp", "chair", "jacket", "speaker", "tent", "bottle"]
BRANDS = ["Acme", "Northwind", "Trailblazer", "Lumen", "Fjord", "Orbit"]
ADJECTIVES = ["waterproof", "lightweight", "durable", "compact", "quiet", "sturdy"]


def make_examples(n: int, *, seed: int = 0, agent: str = "product-copywriter") -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        color, product, brand, adj = (
            rng.choice(COLORS),
            rng.choice(PRODUCTS),
            rng.choice(BRANDS),
            rng.choice(ADJECTIVES),
        )
        days = rng.randint(2, 9)
        reference = f"The {brand} {product} comes in {color}. It is {adj} and ships in {days} days."
        messages = [
            {"role": "system", "content": "You write short product copy."},
            {
                "role": "user",
                "content": f"Describe the {color} {product} by {brand}; it is {adj}, ships in {days} days.",
            },
            {"role": "assistant", "content": reference},
        ]
        out.append(
            {
                "id": f"ex-{seed}-{i}",
                "messages": messages,
                "reference": reference,
                "rejected": "Let me analyze this. " + reference.lower(),
                "source": {"kind": "edit", "id": f"edit-{seed}-{i}", "agent_name": agent, "category": "ecommerce"},
            }
        )
    return out


def write_dataset(
    data_dir: Path,
    name: str = "copy",
    *,
    n: int = 200,
    seed: int = 0,
    version: str = "v1",
    split: tuple[float, float] = (0.7, 0.15),
) -> Path:
    """A built dataset folder as the datasets stage writes it (manifest + canonical splits)."""
    examples = make_examples(n, seed=seed)
    n_train = int(n * split[0])
    n_val = int(n * split[1])
    splits = {
        "train": examples[:n_train],
        "validation": examples[n_train : n_train + n_val],
        "test": examples[n_train + n_val :],
    }
    folder = data_dir / "datasets" / name / version
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for split_name, rows in splits.items():
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
        (folder / f"{split_name}.jsonl").write_text(text, encoding="utf-8")
        digest.update(text.encode())
    manifest = {
        "name": name,
        "version": version,
        "digest": digest.hexdigest(),
        "created_at": "2026-11-01T00:00:00+00:00",
        "spec": {"name": name, "agent": "product-copywriter"},
        "counts": {k: len(v) for k, v in splits.items()},
        "sources": {"edit": n},
        "cleaning": {"pii": {}, "exact_duplicates": 0, "near_duplicates": 0},
        "mlflow_run_id": None,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder


TINY_MODEL = {
    "vocab_size": 400,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
}
"""A model small enough to train for real in a few seconds on two CPU cores."""

LOCAL_OPTIONS = {"scratch": TINY_MODEL, "device": "cpu"}
"""provider_options for local jobs in tests."""

LOCAL_TOML = """
[providers.local]
device = "cpu"
scratch = {vocab_size = 400, hidden_size = 64, num_hidden_layers = 2, num_attention_heads = 4, intermediate_size = 128}
"""
"""hone.toml for workspaces whose local jobs train the tiny model."""


def wait_for(predicate: Callable[[], Any], timeout: float = 90.0) -> None:
    """Poll ``predicate`` every half second until it is true; fail the test after ``timeout`` seconds."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.5)
