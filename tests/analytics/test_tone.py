"""Tone measures on hand-computed texts, and the planted tone shift of the sample."""

from __future__ import annotations

from typing import Any

import pytest

from agenthone.analytics._diff import sentence_splitter
from agenthone.analytics._tone import flesch_reading_ease, formality, syllables, text_measures
from agenthone.analytics.edits import improvement_opportunities, tone_shift
from agenthone.store import Store


def test_syllables_heuristic() -> None:
    assert [syllables(w) for w in ("cat", "table", "make", "beautiful", "the", "queue", "rhythm", "123")] == [
        1,
        2,
        1,
        3,
        1,
        1,
        1,
        0,
    ]


def test_formality_by_hand() -> None:
    # we(pronoun) carefully(adverb) discussed(verb) the(article) proposal(noun) with(preposition) the(article)
    # committee(noun): 8 words; + = noun 25 + article 25 + preposition 12.5; - = pronoun 12.5 + adverb 12.5 + verb 12.5
    words = ["we", "carefully", "discussed", "the", "proposal", "with", "the", "committee"]
    assert formality(words) == pytest.approx((62.5 - 37.5 + 100) / 2)
    # a word WordNet lists in several classes counts 1/k to each: improved = verb 1/2 + adjective 1/2
    assert formality(["improved"]) == pytest.approx((50 - 50 + 100) / 2)
    # words found in no list count as nouns; numbers are not words
    assert formality(["zorblax", "42"]) == pytest.approx((100 + 100) / 2)
    casual = formality(["wow", "i", "really", "love", "it"])
    assert casual < 50 < formality(["the", "analysis", "of", "the", "economy"])


def test_flesch_by_hand() -> None:
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015 * 6 - 84.6 * 1
    assert flesch_reading_ease(["the", "cat", "sat", "on", "the", "mat"], 1) == pytest.approx(206.835 - 6.09 - 84.6)


def test_text_measures_use_spacy_blank_tokens_and_sentences() -> None:
    import spacy

    text = "Hey! It's a total game-changer, isn't it? Visit https://x.io now."
    tokenizer, sentencizer = sentence_splitter()
    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    ours, theirs = sentencizer(tokenizer(text)), blank(text)
    assert [t.text for t in ours] == [t.text for t in theirs]
    assert [s.text for s in ours.sents] == [s.text for s in theirs.sents]
    m = text_measures(["The cat sat on the mat.", "", "I love it! Wow!"])
    assert m.loc[0, "words"] == 6 and m.loc[0, "readability"] == pytest.approx(206.835 - 6.09 - 84.6)
    assert m.loc[1].isna()[["formality", "sentiment", "readability"]].all()
    assert m.loc[2, "sentiment"] > 0.5 and m.loc[2, "formality"] < m.loc[0, "formality"]


def test_planted_tone_shift_is_detected_in_the_right_direction(
    sample_store: Store, ground_truth: dict[str, Any]
) -> None:
    shift = ground_truth["effects"]["tone_shift"]
    df = tone_shift(sample_store, agent=shift["agent"], range="all").set_index("measure")
    words, form = df.loc["words"], df.loc["formality"]
    assert bool(words["significant"]) and bool(form["significant"])
    assert (words["change"] < 0) == shift["shorter"] and words["ci_high"] < 0
    assert (form["change"] > 0) == shift["more_formal"] and form["ci_low"] > 0
    assert words["direction"] == "shorter" and form["direction"] == "more formal"


def test_improvement_opportunities_rank_the_planted_effects(sample_store: Store, ground_truth: dict[str, Any]) -> None:
    effects = ground_truth["effects"]
    agents = [effects[k]["agent"] for k in ("filler_phrase", "omission", "tone_shift")]
    df = improvement_opportunities(sample_store, agents, range="all")
    first = df[df["rank"] == 1].set_index("agent")
    assert first.loc[effects["filler_phrase"]["agent"], "kind"] == "remove"
    assert "Let me analyze this" in first.loc[effects["filler_phrase"]["agent"], "recommendation"]
    assert first.loc[effects["omission"]["agent"], "kind"] == "add"
    tone = df[df["agent"] == effects["tone_shift"]["agent"]]
    assert {"shorter", "more formal"} <= {
        f.split("outputs ")[-1].split(" (")[0] for f in tone.loc[tone["kind"] == "tone", "finding"]
    }
    assert df["priority"].between(0, 1).all()
