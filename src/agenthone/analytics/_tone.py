"""Tone of a text and how people's edits shift it: length, formality, sentiment, readability.

Per text, all offline:

- ``words``: word tokens (the spaCy blank ``en`` tokenizer; tokens with a letter or a digit);
- ``formality``: Heylighen & Dewaele's (1999) F-score, ``(noun + adjective + preposition + article - pronoun
  - verb - adverb - interjection + 100) / 2`` with each class as a percentage of the words; classes come
  from word lists (:mod:`agenthone.analytics._lexicon`), so it is a lexical measure, higher = more formal;
- ``sentiment``: VADER's compound score in [-1, 1] (``vaderSentiment``; its lexicon ships in the wheel);
- ``readability``: Flesch reading ease, ``206.835 - 1.015 words/sentence - 84.6 syllables/word``, sentences
  from spaCy's sentencizer, syllables by a vowel-group heuristic (groups of a-e-i-o-u-y, a final silent "e"
  dropped except after "l", at least one per word); higher = easier.

A tone shift compares, edit by edit, the final text with the AI output (paired): mean change with a 95%
t-interval, Wilcoxon signed-rank p-value (paired, no normality assumed), Holm-adjusted across agents and
measures. A shift is flagged when the adjusted p-value is under ``alpha`` *and* the standardised effect
(mean change / SD of the changes, Cohen's d_z) is at least ``min_effect``: with hundreds of edits, a
significant but negligible shift would otherwise be flagged for every agent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agenthone.analytics._lexicon import word_classes
from agenthone.analytics._stats import holm, mean_ci

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MEASURES", "flesch_reading_ease", "formality", "syllables", "text_measures", "tone_changes"]

MEASURES = ("words", "formality", "sentiment", "readability")
_DIRECTIONS = {
    "words": ("longer", "shorter"),
    "formality": ("more formal", "less formal"),
    "sentiment": ("more positive", "more negative"),
    "readability": ("easier to read", "harder to read"),
}
_VOWELS = re.compile(r"[aeiouy]+")

_VADER: Any = None
_TOKEN_INFO: dict[int, tuple[bool, bool, tuple[tuple[int, float], ...], int]] = {}
_CLASSES = ("noun", "adjective", "preposition", "article", "pronoun", "verb", "adverb", "interjection")
_CLASS_INDEX = {c: i for i, c in enumerate(_CLASSES)}


def _vader() -> Any:
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER = SentimentIntensityAnalyzer()
    return _VADER


def _info(h: int, strings: Any) -> tuple[bool, bool, tuple[tuple[int, float], ...], int]:
    """Per lower-cased token (by spaCy hash): is a word, has a letter, word classes, syllables."""
    info = _TOKEN_INFO.get(h)
    if info is None:
        text = strings[h]
        alpha = any(ch.isalpha() for ch in text)
        word = alpha or any(ch.isdigit() for ch in text)
        classes = tuple((_CLASS_INDEX[c], w) for c, w in word_classes(text)) if alpha else ()
        info = (word, alpha, classes, syllables(text) if alpha else 0)
        _TOKEN_INFO[h] = info
    return info


def syllables(word: str) -> int:
    """Syllables of an English word by vowel groups (a documented heuristic; >= 1 for any word)."""
    w = word.lower()
    w = "".join(ch for ch in w if ch.isalpha())
    if not w:
        return 0
    count = len(_VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def _f_score(sums: Sequence[float], n_alpha: int) -> float:
    if n_alpha == 0:
        return math.nan
    pct = [100.0 * v / n_alpha for v in sums]
    return (sum(pct[:4]) - sum(pct[4:]) + 100.0) / 2.0


def formality(words: Sequence[str]) -> float:
    """Heylighen-Dewaele F-score of lower-cased word tokens (NaN without words)."""
    sums = [0.0] * len(_CLASSES)
    n = 0
    for w in words:
        if not any(ch.isalpha() for ch in w):
            continue
        n += 1
        for cls, weight in word_classes(w):
            sums[_CLASS_INDEX[cls]] += weight
    return _f_score(sums, n)


def _flesch(n_alpha: int, n_syllables: int, sentences: int) -> float:
    if n_alpha == 0:
        return math.nan
    return 206.835 - 1.015 * n_alpha / max(1, sentences) - 84.6 * n_syllables / n_alpha


def flesch_reading_ease(words: Sequence[str], sentences: int) -> float:
    """Flesch reading ease of ``words`` in ``sentences`` sentences (NaN without words)."""
    alpha = [w for w in words if any(ch.isalpha() for ch in w)]
    return _flesch(len(alpha), sum(syllables(w) for w in alpha), sentences)


def text_measures(texts: Iterable[str | None]) -> pd.DataFrame:
    """``words, formality, sentiment, readability`` of each text (one row per text, in order)."""
    import pandas as pd
    from spacy.attrs import LOWER

    from agenthone.analytics._diff import sentence_splitter

    items = ["" if t is None else str(t) for t in texts]
    vader = _vader()
    tokenizer, sentencizer = sentence_splitter()
    strings = tokenizer.vocab.strings
    rows = []
    for text in items:
        doc = sentencizer(tokenizer(text))
        n_words = n_alpha = n_syl = 0
        sums = [0.0] * len(_CLASSES)
        for h in doc.to_array(LOWER).tolist() if len(doc) else []:
            word, alpha, classes, syl = _info(h, strings)
            if not word:
                continue
            n_words += 1
            if alpha:
                n_alpha += 1
                n_syl += syl
                for i, w in classes:
                    sums[i] += w
        n_sents = sum(1 for s in doc.sents if not all(t.is_space for t in s)) if len(doc) else 0
        rows.append(
            {
                "words": float(n_words),
                "formality": _f_score(sums, n_alpha),
                "sentiment": float(vader.polarity_scores(text)["compound"]) if text.strip() else math.nan,
                "readability": _flesch(n_alpha, n_syl, n_sents),
            }
        )
    return pd.DataFrame(rows, columns=list(MEASURES))


def tone_changes(
    edits: pd.DataFrame,
    *,
    group: str = "agent_name",
    alpha: float = 0.05,
    min_effect: float = 0.2,
    min_edits: int = 10,
) -> pd.DataFrame:
    """Tone shift of each group's edits (``ai_output`` -> ``final_output``); see the module docstring.

    ``edits`` needs ``group``, ``ai_output`` and ``final_output``; only edits that changed something count.
    One row per group and measure: ``n, before, after, change, ci_low, ci_high, relative_change, effect_size,
    share_in_direction, p_value, p_adjusted, significant, direction``.
    """
    import numpy as np
    import pandas as pd
    from scipy.stats import wilcoxon

    before = text_measures(edits["ai_output"].tolist())
    after = text_measures(edits["final_output"].tolist())
    groups = edits[group].astype(str).to_numpy()
    rows: list[dict[str, Any]] = []
    for name in sorted(set(groups)):
        mask = groups == name
        for measure in MEASURES:
            b = before.loc[mask, measure].to_numpy(dtype=float)
            a = after.loc[mask, measure].to_numpy(dtype=float)
            ok = ~(np.isnan(a) | np.isnan(b))
            d = a[ok] - b[ok]
            row: dict[str, Any] = {group: name, "measure": measure, "n": int(ok.sum())}
            row["before"] = float(b[ok].mean()) if ok.any() else math.nan
            row["after"] = float(a[ok].mean()) if ok.any() else math.nan
            row["change"], row["ci_low"], row["ci_high"] = mean_ci(d)
            row["relative_change"] = row["change"] / row["before"] if row["before"] else math.nan
            sd = float(d.std(ddof=1)) if len(d) > 1 else math.nan
            row["effect_size"] = row["change"] / sd if sd and not math.isnan(sd) else (0.0 if len(d) > 1 else math.nan)
            nonzero = d[d != 0]
            if len(d) >= min_edits and len(nonzero) > 0:
                row["p_value"] = float(wilcoxon(d, zero_method="wilcox").pvalue)
            else:
                row["p_value"] = math.nan
            up, down = _DIRECTIONS[measure]
            row["direction"] = up if row["change"] > 0 else down if row["change"] < 0 else "no change"
            moved = (d > 0) if row["change"] > 0 else (d < 0)
            row["share_in_direction"] = float(moved.mean()) if len(d) else math.nan
            rows.append(row)
    cols = [group, "measure", "n", "before", "after", "change", "ci_low", "ci_high", "relative_change"]
    cols += ["effect_size", "share_in_direction", "p_value", "p_adjusted", "significant", "direction"]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["p_adjusted"] = holm(df["p_value"].to_numpy(dtype=float))
    df["significant"] = (df["p_adjusted"] < alpha) & (df["effect_size"].abs() >= min_effect)
    return df[cols]
