"""Deletion and addition patterns: hand-built cases and the planted effects of the sample."""

from __future__ import annotations

import random
from typing import Any

from agenthone.analytics.edits import addition_patterns, deletion_patterns, edit_patterns, mine_patterns, split_edits
from agenthone.store import Store
from agenthone.text import word_tokens

_BODIES = [
    "The backpack holds forty liters and weighs two kilos.",
    "Shipping takes three days to most countries in Europe.",
    "The jacket is waterproof and packs into its own pocket.",
    "Our support team answers every message within a day.",
    "The lamp dims smoothly and lasts for ten thousand hours.",
]


def _edits(n: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Every output opens with a filler people cut 80% of the time; 60% get a sign-off appended."""
    rnd = random.Random(seed)
    ids, ai, final = [], [], []
    for i in range(n):
        body = " ".join(rnd.sample(_BODIES, 3))
        before = f"Let me analyze this. {body}"
        after = body if rnd.random() < 0.8 else before
        if rnd.random() < 0.6:
            after += " Thanks for shopping with Acme Outdoor Gear today."
        if rnd.random() < 0.3:  # background noise: a word swapped
            after = after.replace("three", "four")
        ids.append(f"e{i}")
        ai.append(before)
        final.append(after)
    return ids, ai, final


def test_the_whole_phrase_tops_the_list_not_its_fragments() -> None:
    ids, ai, final = _edits(300)
    df = mine_patterns(split_edits(ids, ai, final), top=5)
    deletions = df[df["kind"] == "deletion"]
    top = deletions.iloc[0]
    assert top["pattern"] == "Let me analyze this."
    cut = sum(1 for a, b in zip(ai, final, strict=True) if "Let me analyze" in a and "Let me analyze" not in b)
    assert top["edits"] == cut and top["share"] == cut / 300
    assert top["in_ai_output"] == 300 and top["rate_when_present"] == cut / 300
    assert "open with 'Let me analyze this.'" in top["recommendation"]
    assert not any(p in {"Let me", "analyze this", "me analyze this."} for p in deletions["pattern"])
    # the appended sign-off is longer than six tokens: chained into one pattern
    additions = df[df["kind"] == "addition"]
    assert additions.iloc[0]["pattern"] == "Thanks for shopping with Acme Outdoor Gear today."
    assert additions.iloc[0]["n"] == len(word_tokens("Thanks for shopping with Acme Outdoor Gear today."))
    assert all(e in ids for e in top["examples"]) and len(top["examples"]) == 3


def test_noise_alone_gives_no_pattern() -> None:
    rnd = random.Random(1)
    ai = [" ".join(rnd.sample(_BODIES, 3)) for _ in range(200)]
    final = []
    for t in ai:  # one random word dropped: nothing is cut again and again
        words = t.split()
        del words[rnd.randrange(len(words))]
        final.append(" ".join(words))
    df = mine_patterns(split_edits([str(i) for i in range(200)], ai, final))
    assert df.empty or df["share"].max() < 0.15


def test_no_edits_or_no_changes() -> None:
    assert mine_patterns(split_edits([], [], [])).empty
    assert mine_patterns(split_edits(["a"], ["same"], ["same"])).empty


def test_planted_filler_is_the_top_deletion_pattern(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    filler = ground_truth["effects"]["filler_phrase"]
    df = deletion_patterns(sample_store, filler["agent"], range="all")
    top = df.iloc[0]
    assert [t.lower() for t in word_tokens(top["pattern"])] == [t.lower() for t in word_tokens(filler["phrase"])]
    assert abs(top["share"] - filler["deleted_share"]) < 0.05
    assert df.attrs["agent"] == filler["agent"]


def test_omitted_sentence_is_the_top_addition_pattern(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    omission = ground_truth["effects"]["omission"]
    df = addition_patterns(sample_store, omission["agent"], range="all")
    top = df.iloc[0]
    phrase = [t.lower() for t in word_tokens(omission["phrase"])]
    found = [t.lower() for t in word_tokens(top["pattern"])]
    # the whole sentence (give or take the final full stop, which may align with the output's own)
    assert found == phrase or found == phrase[:-1]
    assert abs(top["share"] - omission["added_share"]) < 0.05


def test_healthy_agents_have_no_widespread_pattern(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    for agent in [a["agent_name"] for a in ground_truth["agents"] if a["healthy"]][:6]:
        df = edit_patterns(sample_store, agent, range="all")
        assert df.empty or df["share"].max() < 0.2, (agent, df[["kind", "pattern", "share"]])
