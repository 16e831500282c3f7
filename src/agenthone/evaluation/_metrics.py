"""Per-example scores of a model output against the human-approved reference.

- ``exact_match``: 1 when the texts are equal up to surrounding and repeated whitespace
- ``edit_similarity``: 1 minus the project's normalised word-level edit distance (the acceptance proxy)
- ``chrf``: sacrebleu's sentence chrF (character n-gram F-score, β=2), scaled to [0, 1]
- ``token_f1``: F1 of the bags of lowercase word tokens (SQuAD-style)
- ``length_ratio``: output words / reference words (1 is the reference's length)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from agenthone.text import edit_similarity, word_tokens

__all__ = ["METRICS", "chrf", "edit_similarity", "exact_match", "length_ratio", "score", "token_f1"]


def exact_match(prediction: str | None, reference: str | None) -> float:
    """1.0 when both texts are equal after collapsing whitespace, else 0.0."""
    return float(" ".join((prediction or "").split()) == " ".join((reference or "").split()))


def token_f1(prediction: str | None, reference: str | None) -> float:
    """Harmonic mean of precision and recall of lowercase word tokens (1.0 for two empty texts)."""
    pred = [t.lower() for t in word_tokens(prediction) if t.isalnum()]
    ref = [t.lower() for t in word_tokens(reference) if t.isalnum()]
    if not pred and not ref:
        return 1.0
    if not pred or not ref:
        return 0.0
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def length_ratio(prediction: str | None, reference: str | None) -> float:
    """Words of the prediction per word of the reference (0 for an empty prediction)."""
    return len(word_tokens(prediction)) / max(1, len(word_tokens(reference)))


_CHRF = None


def chrf(prediction: str | None, reference: str | None) -> float:
    """Sentence-level chrF in [0, 1] (sacrebleu's defaults: character 6-grams, β=2)."""
    global _CHRF
    if _CHRF is None:
        from sacrebleu.metrics import CHRF  # type: ignore[attr-defined]

        _CHRF = CHRF()
    if not (prediction or "").strip() and not (reference or "").strip():
        return 1.0
    return float(_CHRF.sentence_score(prediction or "", [reference or ""]).score) / 100.0


METRICS: dict[str, Callable[[str | None, str | None], float]] = {
    "exact_match": exact_match,
    "edit_similarity": edit_similarity,
    "chrf": chrf,
    "token_f1": token_f1,
    "length_ratio": length_ratio,
}
"""Every automatic metric, by name; all but ``length_ratio`` are in [0, 1], higher is better."""


def score(prediction: str | None, reference: str | None) -> dict[str, float]:
    """All automatic metrics of one output."""
    return {name: fn(prediction, reference) for name, fn in METRICS.items()}
