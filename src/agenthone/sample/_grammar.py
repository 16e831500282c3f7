"""A tiny template grammar, compiled once, so texts are composed from many interchangeable pieces.

Unrelated records must rarely share a five-word sequence (near-duplicate detection relies on it), so
templates put a choice or a slot every few words instead of fixed sentences:

- ``[a|b|c]`` picks one alternative (alternatives nest and may hold slots and other choices);
- ``{name}`` is a slot: the record's context value when the context has it, else a fresh vocabulary draw;
- ``«...»`` is casual-only text and ``‹...›`` formal-only text. One rendering carries both registers, so
  the casual text an AI wrote and the formal rewrite a person kept share every other choice.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "CASUAL_CLOSE",
    "CASUAL_OPEN",
    "FORMAL_CLOSE",
    "FORMAL_OPEN",
    "Template",
    "compile_template",
    "render",
    "to_casual",
    "to_formal",
]

CASUAL_OPEN, CASUAL_CLOSE, FORMAL_OPEN, FORMAL_CLOSE = "\x01", "\x02", "\x03", "\x04"
_MARKS = str.maketrans({"«": CASUAL_OPEN, "»": CASUAL_CLOSE, "‹": FORMAL_OPEN, "›": FORMAL_CLOSE})

SlotSource = Sequence[str] | Callable[[random.Random], str]


class Slot:
    """A named hole filled from the context or the vocabulary."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Choice:
    """A set of alternative part lists."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[Template, ...]) -> None:
        self.options = options


Part = str | Slot | Choice
Template = tuple[Part, ...]

# contractions written as slots, e.g. {you'll}: casual keeps the contraction, formal spells it out
CONTRACTIONS: dict[str, str] = {
    "you'll": "you will",
    "you're": "you are",
    "you've": "you have",
    "it's": "it is",
    "that's": "that is",
    "we're": "we are",
    "we've": "we have",
    "we'll": "we will",
    "don't": "do not",
    "doesn't": "does not",
    "can't": "cannot",
    "won't": "will not",
    "isn't": "is not",
    "there's": "there is",
    "they're": "they are",
    "You'll": "You will",
    "You're": "You are",
    "It's": "It is",
    "That's": "That is",
    "We're": "We are",
    "We've": "We have",
    "Don't": "Do not",
    "There's": "There is",
    "You've": "You have",
    "Here's": "Here is",
}


def compile_template(text: str) -> Template:
    """Parse a template string once; raises ValueError on unbalanced brackets."""
    parts, pos = _parse(text.translate(_MARKS), 0, top=True)
    if pos != len(text):
        raise ValueError(f"unbalanced template: {text!r}")
    return parts


def _parse(text: str, pos: int, *, top: bool) -> tuple[Template, int]:
    parts: list[Part] = []
    buf: list[str] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch == "[":
            if buf:
                parts.append("".join(buf))
                buf = []
            options: list[Template] = []
            pos += 1
            while True:
                option, pos = _parse(text, pos, top=False)
                options.append(option)
                if pos >= n:
                    raise ValueError(f"unclosed '[' in {text!r}")
                if text[pos] == "|":
                    pos += 1
                    continue
                pos += 1  # the closing ']'
                break
            parts.append(Choice(tuple(options)))
        elif ch in "|]":
            if top:
                raise ValueError(f"stray {ch!r} in {text!r}")
            break
        elif ch == "{":
            end = text.index("}", pos)
            name = text[pos + 1 : end]
            if name in CONTRACTIONS:
                buf.append(f"{CASUAL_OPEN}{name}{CASUAL_CLOSE}{FORMAL_OPEN}{CONTRACTIONS[name]}{FORMAL_CLOSE}")
            else:
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(Slot(name))
            pos = end + 1
        else:
            buf.append(ch)
            pos += 1
    if buf:
        parts.append("".join(buf))
    return tuple(parts), pos


def render(template: Template, ctx: Mapping[str, str], rnd: random.Random, slots: Mapping[str, SlotSource]) -> str:
    """Fill a compiled template; context values win over fresh draws so one record stays consistent."""
    out: list[str] = []
    _render_into(out, template, ctx, rnd, slots)
    return "".join(out)


def _render_into(
    out: list[str], template: Template, ctx: Mapping[str, str], rnd: random.Random, slots: Mapping[str, SlotSource]
) -> None:
    for part in template:
        if type(part) is str:
            out.append(part)
        elif type(part) is Slot:
            value = ctx.get(part.name)
            if value is None:
                source = slots[part.name]
                value = source(rnd) if callable(source) else source[int(rnd.random() * len(source))]
            out.append(value)
        else:
            options = part.options  # type: ignore[union-attr]
            _render_into(out, options[int(rnd.random() * len(options))], ctx, rnd, slots)


# innermost segments first: casual text may hold an intensifier or a contraction of its own
_CASUAL_SEG = re.compile(f"{CASUAL_OPEN}[^{CASUAL_OPEN}{CASUAL_CLOSE}]*{CASUAL_CLOSE}")
_FORMAL_SEG = re.compile(f"{FORMAL_OPEN}[^{FORMAL_OPEN}{FORMAL_CLOSE}]*{FORMAL_CLOSE}")
_MARK_CHARS = str.maketrans("", "", CASUAL_OPEN + CASUAL_CLOSE + FORMAL_OPEN + FORMAL_CLOSE)
_SPACES = re.compile(r" {2,}")
_SPACE_PUNCT = re.compile(r" ([,.;:!?])")


def _strip(pattern: re.Pattern[str], text: str) -> str:
    for _ in range(4):
        text, n = pattern.subn("", text)
        if not n:
            break
    return text


def _tidy(text: str) -> str:
    text = _SPACE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def to_formal(text: str) -> str:
    """The formal register of a rendered text (the only one for texts without marks)."""
    if CASUAL_OPEN not in text and FORMAL_OPEN not in text:
        return text
    return _tidy(_strip(_CASUAL_SEG, text).translate(_MARK_CHARS))


def to_casual(text: str) -> str:
    """The casual register of a rendered text."""
    if CASUAL_OPEN not in text and FORMAL_OPEN not in text:
        return text
    return _tidy(_strip(_FORMAL_SEG, text).translate(_MARK_CHARS))
