"""Word lists for the formality measure (Heylighen & Dewaele 1999) without a part-of-speech tagger.

The F-score needs the share of nouns, adjectives, prepositions, articles, pronouns, verbs, adverbs and
interjections. No tagger runs offline here, so each lower-cased token gets a word class from lists:

1. closed classes, listed below (articles, prepositions, pronouns, interjections, common adverbs such as
   *not*, *very*, *there*; auxiliary and modal verbs count as verbs; conjunctions, determiners, numerals and
   politeness words are *other*, in no class of the score);
2. open classes from WordNet 3.0's index as shipped by ``spacy-lookups-data`` (``en_lemma_index``, with its
   exception table and suffix rules to reach the base form): a word listed in several of noun / verb /
   adjective / adverb counts fractionally to each (1/k), a simple stand-in for tagging that keeps the
   measure lexical and reproducible;
3. alphabetic words found nowhere count as nouns (mostly names, product terms and jargon).

Tokens with no letter (numbers, punctuation) are not words and do not count.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources

__all__ = [
    "ADVERBS_CLOSED",
    "ARTICLES",
    "INTERJECTIONS",
    "OTHER",
    "PREPOSITIONS",
    "PRONOUNS",
    "VERBS_CLOSED",
    "word_classes",
]

ARTICLES = frozenset({"a", "an", "the"})

PREPOSITIONS = frozenset(
    [
        "aboard",
        "about",
        "above",
        "across",
        "after",
        "against",
        "along",
        "amid",
        "amidst",
        "among",
        "amongst",
        "around",
        "as",
        "at",
        "atop",
        "before",
        "behind",
        "below",
        "beneath",
        "beside",
        "besides",
        "between",
        "beyond",
        "but",
        "by",
        "concerning",
        "considering",
        "despite",
        "down",
        "during",
        "except",
        "excluding",
        "following",
        "for",
        "from",
        "in",
        "including",
        "inside",
        "into",
        "like",
        "minus",
        "near",
        "of",
        "off",
        "on",
        "onto",
        "opposite",
        "outside",
        "over",
        "past",
        "per",
        "plus",
        "regarding",
        "round",
        "save",
        "since",
        "than",
        "through",
        "throughout",
        "till",
        "to",
        "toward",
        "towards",
        "under",
        "underneath",
        "unlike",
        "until",
        "unto",
        "up",
        "upon",
        "versus",
        "via",
        "with",
        "within",
        "without",
    ]
)

PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "one",
        "oneself",
        "someone",
        "somebody",
        "something",
        "anyone",
        "anybody",
        "anything",
        "everyone",
        "everybody",
        "everything",
        "noone",
        "nobody",
        "nothing",
        "who",
        "whom",
        "whose",
        "whoever",
        "whomever",
        "what",
        "whatever",
        "which",
        "whichever",
        "this",
        "that",
        "these",
        "those",
        "i'm",
        "you're",
        "we're",
        "they're",
        "it's",
        "he's",
        "she's",
        "i've",
        "you've",
        "we've",
        "they've",
        "i'll",
        "you'll",
        "we'll",
        "they'll",
        "i'd",
        "you'd",
        "we'd",
        "they'd",
    ]
)

INTERJECTIONS = frozenset(
    [
        "ah",
        "aha",
        "ahem",
        "alas",
        "aw",
        "aww",
        "bam",
        "bingo",
        "boo",
        "bravo",
        "bye",
        "cheers",
        "congrats",
        "damn",
        "darn",
        "duh",
        "eh",
        "gee",
        "gosh",
        "ha",
        "haha",
        "hey",
        "hi",
        "hmm",
        "hm",
        "huh",
        "hurray",
        "hooray",
        "lol",
        "meh",
        "oh",
        "ok",
        "okay",
        "oops",
        "ouch",
        "ow",
        "phew",
        "psst",
        "shh",
        "uh",
        "uhh",
        "um",
        "umm",
        "voila",
        "whoa",
        "wow",
        "yay",
        "yeah",
        "yep",
        "yikes",
        "yo",
        "yup",
        "nope",
        "hello",
    ]
)

VERBS_CLOSED = frozenset(
    [
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "will",
        "would",
        "ought",
        "need",
        "dare",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "haven't",
        "hasn't",
        "hadn't",
        "don't",
        "doesn't",
        "didn't",
        "can't",
        "cannot",
        "couldn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "mustn't",
        "let's",
        "'m",
        "'re",
        "'ve",
        "'ll",
        "'d",
    ]
)

ADVERBS_CLOSED = frozenset(
    [
        "not",
        "n't",
        "very",
        "too",
        "quite",
        "rather",
        "really",
        "also",
        "just",
        "only",
        "then",
        "there",
        "here",
        "how",
        "why",
        "when",
        "where",
        "whenever",
        "wherever",
        "however",
        "therefore",
        "thus",
        "hence",
        "so",
        "now",
        "still",
        "already",
        "always",
        "never",
        "often",
        "sometimes",
        "soon",
        "again",
        "even",
    ]
)

OTHER = frozenset(
    [
        "and",
        "or",
        "nor",
        "so",
        "yet",
        "either",
        "neither",
        "both",
        "whether",
        "if",
        "unless",
        "because",
        "although",
        "though",
        "while",
        "whereas",
        "whereby",
        "all",
        "any",
        "each",
        "every",
        "few",
        "many",
        "more",
        "most",
        "much",
        "several",
        "some",
        "such",
        "no",
        "other",
        "another",
        "own",
        "same",
        "enough",
        "zero",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "first",
        "second",
        "third",
        "'s",
        "yes",
        "please",
        "thanks",
    ]
)


@lru_cache(maxsize=1)
def _wordnet() -> tuple[dict[str, frozenset[str]], dict[str, dict[str, list[str]]], dict[str, list[list[str]]]]:
    base = resources.files("spacy_lookups_data") / "data"

    def load(name: str) -> dict:  # type: ignore[type-arg]
        with gzip.open(str(base / name), "rt", encoding="utf-8") as fh:
            data: dict = json.load(fh)  # type: ignore[type-arg]
            return data

    index = {pos: frozenset(words) for pos, words in load("en_lemma_index.json.gz").items()}
    return index, load("en_lemma_exc.json.gz"), load("en_lemma_rules.json.gz")


@lru_cache(maxsize=200_000)
def word_classes(word: str) -> tuple[tuple[str, float], ...]:
    """The word classes of a lower-cased token with their weights (empty for non-words and *other*)."""
    if not any(ch.isalpha() for ch in word):
        return ()
    w = word.replace("\u2019", "'")
    if w in ARTICLES:
        return (("article", 1.0),)
    if w in PRONOUNS:
        return (("pronoun", 1.0),)
    if w in PREPOSITIONS:
        return (("preposition", 1.0),)
    if w in INTERJECTIONS:
        return (("interjection", 1.0),)
    if w in VERBS_CLOSED:
        return (("verb", 1.0),)
    if w in ADVERBS_CLOSED:
        return (("adverb", 1.0),)
    if w in OTHER:
        return ()
    index, exc, rules = _wordnet()
    found = []
    for pos in ("noun", "verb", "adj", "adv"):
        words = index.get(pos, frozenset())
        if w in words or w in exc.get(pos, {}):
            found.append(pos)
            continue
        for old, new in rules.get(pos, []):
            if old and w.endswith(old) and (w[: len(w) - len(old)] + new) in words:
                found.append(pos)
                break
    if not found:
        return (("noun", 1.0),)
    names = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb"}
    return tuple((names[p], 1.0 / len(found)) for p in found)
