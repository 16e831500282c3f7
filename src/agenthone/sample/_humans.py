"""How people touch up AI text: small, random, natural edits that follow no pattern.

Healthy agents' corrections must look like noise to the edit-pattern analysis: a word swapped for a
synonym here, a typo fixed there, a sentence trimmed or reworded. The planted effects are added on top
by the edit generator, so they stand out against this background.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = ["small_edit", "synonyms_of", "with_typo"]

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "issue": ("problem", "bug", "fault"),
    "main": ("primary", "chief"),
    "problem": ("issue", "fault"),
    "check": ("verify", "review", "confirm"),
    "review": ("check", "assess"),
    "update": ("upgrade", "refresh"),
    "upgrade": ("update",),
    "usually": ("typically", "normally", "generally"),
    "often": ("frequently", "regularly"),
    "largest": ("biggest",),
    "biggest": ("largest",),
    "starts": ("begins",),
    "begin": ("start",),
    "help": ("assist", "support"),
    "shows": ("indicates", "suggests"),
    "suggests": ("indicates", "implies"),
    "common": ("frequent", "widespread"),
    "simple": ("easy", "straightforward"),
    "easy": ("simple",),
    "quickly": ("fast", "promptly"),
    "limited": ("small", "narrow"),
    "remove": ("drop", "delete"),
    "add": ("include",),
    "include": ("add",),
    "before": ("prior to",),
    "about": ("roughly", "around"),
    "around": ("about", "roughly"),
    "several": ("a few", "some"),
    "mostly": ("mainly", "largely"),
    "mainly": ("mostly", "largely"),
    "largely": ("mostly", "mainly"),
    "customers": ("clients", "shoppers", "buyers"),
    "team": ("group", "squad"),
    "delay": ("hold-up",),
    "refund": ("reimbursement",),
    "parcel": ("package",),
    "package": ("parcel",),
    "reported": ("noted", "described"),
    "found": ("identified", "spotted"),
    "flagged": ("marked", "highlighted"),
    "risk": ("exposure",),
    "broad": ("wide",),
    "narrow": ("tight", "limited"),
    "practical": ("useful", "handy"),
    "durable": ("hard-wearing", "tough"),
    "lightweight": ("light",),
    "compact": ("small",),
    "sturdy": ("solid", "robust"),
    "comfortable": ("comfy", "cosy"),
    "reliable": ("dependable",),
    "elegant": ("graceful", "stylish"),
    "versatile": ("flexible", "adaptable"),
    "roomy": ("spacious",),
    "quiet": ("silent", "hushed"),
    "evidence": ("data", "research"),
    "gains": ("improvements", "benefits"),
    "benefits": ("advantages", "gains"),
    "findings": ("results",),
    "results": ("findings", "outcomes"),
    "agreed": ("decided",),
    "decided": ("agreed",),
    "send": ("share",),
    "estimate": ("forecast",),
    "change": ("shift",),
    "shift": ("change",),
    "images": ("photos", "pictures"),
    "faster": ("quicker",),
    "slow": ("sluggish",),
    "fix": ("patch", "repair"),
    "patch": ("fix",),
    "current": ("present",),
    "new": ("fresh", "latest"),
    "available": ("on offer", "offered"),
    "daily": ("everyday",),
    "perfect": ("ideal", "great"),
    "ideal": ("perfect", "great"),
    "great": ("excellent", "superb"),
    "small": ("minor", "modest"),
    "strong": ("solid", "robust"),
    "shall": ("will", "must"),
    "written": ("formal",),
    "doctor": ("GP", "physician"),
    "habits": ("routines",),
    "exposure": ("risk",),
}


def synonyms_of(word: str) -> tuple[str, ...]:
    """Words a person might use instead of ``word`` (case kept), or none."""
    options = _SYNONYMS.get(word.lower(), ())
    return tuple(_match_case(word, o) for o in options)


_WORD = re.compile(r"[A-Za-z][a-z]+(?:-[a-z]+)?")
_LOWER_WORD = re.compile(r"(?<![\w-])[a-z]{6,}(?![\w-])")


def _match_case(original: str, replacement: str) -> str:
    return replacement[0].upper() + replacement[1:] if original[0].isupper() else replacement


def _replace_word(rnd: random.Random, text: str) -> str | None:
    spots = [m for m in _WORD.finditer(text) if m.group(0).lower() in _SYNONYMS]
    if not spots:
        return None
    m = rnd.choice(spots)
    new = _match_case(m.group(0), rnd.choice(_SYNONYMS[m.group(0).lower()]))
    return text[: m.start()] + new + text[m.end() :]


def _typo(rnd: random.Random, word: str) -> str:
    i = rnd.randint(1, len(word) - 3)
    kind = rnd.random()
    if kind < 0.4:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.7:  # dropped letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # doubled letter


def with_typo(rnd: random.Random, text: str) -> str | None:
    """``text`` with one longer word mistyped, or None when it has none."""
    spots = list(_LOWER_WORD.finditer(text))
    if not spots:
        return None
    m = rnd.choice(spots)
    return text[: m.start()] + _typo(rnd, m.group(0)) + text[m.end() :]


_TRAILING = frozenset(
    [
        "and",
        "but",
        "so",
        "which",
        "though",
        "with",
        "including",
        "mostly",
        "while",
        "then",
        "pending",
        "led",
        "same",
        "based",
        "followed",
        "as",
        "or",
        "a",
        "where",
        "when",
        "because",
        "since",
    ]
)


def _trim_clause(text: str) -> str | None:
    """The sentence without its trailing clause, when it has one that can go."""
    cut = text.rfind(", ")
    if cut < 12:
        return None
    tail = text[cut + 2 :].split()
    if len(tail) < 3 or tail[0].lower() not in _TRAILING:
        return None
    return text[:cut] + (text[-1] if text[-1] in ".!?" else ".")


Reword = Callable[[int], str]
"""A fresh rendering of sentence ``i`` in the record's register."""


def _op_synonym(rnd: random.Random, ai: list[str], final: list[str], reword: Reword) -> bool:
    for i in rnd.sample(range(len(final)), len(final)):
        new = _replace_word(rnd, final[i])
        if new is not None:
            final[i] = new
            return True
    return False


def _op_typo(rnd: random.Random, ai: list[str], final: list[str], reword: Reword) -> bool:
    """The AI text carried a typo that the person fixed."""
    for i in rnd.sample(range(len(ai)), len(ai)):
        if ai[i] != final[i]:
            continue
        new = with_typo(rnd, ai[i])
        if new is not None:
            ai[i] = new
            return True
    return False


def _op_trim(rnd: random.Random, ai: list[str], final: list[str], reword: Reword) -> bool:
    alive = [i for i, t in enumerate(final) if t]
    if len(alive) >= 3 and rnd.random() < 0.6:
        final[rnd.choice(alive[1:])] = ""
        return True
    for i in rnd.sample(alive, len(alive)):
        new = _trim_clause(final[i])
        if new is not None:
            final[i] = new
            return True
    return False


def _op_reword(rnd: random.Random, ai: list[str], final: list[str], reword: Reword) -> bool:
    for i in rnd.sample(range(len(final)), len(final)):
        if not final[i] or final[i] != ai[i]:
            continue
        for _ in range(3):
            new = reword(i)
            if new and new != final[i]:
                final[i] = new
                return True
    return False


_OPS = (_op_synonym, _op_typo, _op_trim, _op_reword)
_OP_WEIGHTS = (0.35, 0.25, 0.2, 0.2)


def small_edit(rnd: random.Random, ai: list[str], final: list[str], reword: Reword) -> None:
    """Apply one or two random touch-ups in place; ``ai`` may change too (a typo the person then fixed).

    ``ai`` and ``final`` are parallel lists of sentences (an empty ``final`` entry is a dropped sentence).
    """
    wanted = 1 if rnd.random() < 0.7 else 2
    done = 0
    for _ in range(8):
        op = rnd.choices(_OPS, _OP_WEIGHTS)[0]
        if op(rnd, ai, final, reword):
            done += 1
            if done >= wanted:
                break
    if ai == final and not _op_trim(rnd, ai, final, reword):  # nothing applied: always change something
        final[-1] = final[-1].rstrip(".!?") + ", as discussed."
