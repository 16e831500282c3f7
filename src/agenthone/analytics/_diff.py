"""Word-level diff of an AI output and what the person kept, also sentence by sentence.

Tokens are those of :func:`agenthone.text.word_tokens` (``\\w+|[^\\w\\s]``), so the diff, the edit distance
and the edit patterns all see the same units. Alignment is :class:`difflib.SequenceMatcher` (``autojunk``
off, so frequent words are never ignored in long texts); its opcodes say which token spans were kept,
deleted, inserted or replaced. Each token keeps its character span, so a rendering shows the original text
with its spacing.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._errors import AnalyticsError, UnknownEditError
from agenthone.text import TOKEN_PATTERN, normalized_edit_distance

if TYPE_CHECKING:
    import pandas as pd
    from rich.text import Text

    from agenthone.store import Store

__all__ = ["EditDiff", "Opcode", "diff", "load_edit", "sentences", "show_edit"]

Opcode = tuple[Literal["equal", "delete", "insert", "replace"], int, int, int, int]


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    found = [(m.group(0), m.span()) for m in TOKEN_PATTERN.finditer(text)]
    return [t for t, _ in found], [s for _, s in found]


@dataclass(frozen=True)
class EditDiff:
    """How ``after`` (what the person kept) differs from ``before`` (the AI output), token by token."""

    before: str
    after: str
    edit_id: str | None = None
    tokens_before: list[str] = field(init=False, repr=False)
    tokens_after: list[str] = field(init=False, repr=False)
    spans_before: list[tuple[int, int]] = field(init=False, repr=False)
    spans_after: list[tuple[int, int]] = field(init=False, repr=False)
    opcodes: list[Opcode] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        tb, sb = _tokens(self.before)
        ta, sa = _tokens(self.after)
        object.__setattr__(self, "tokens_before", tb)
        object.__setattr__(self, "tokens_after", ta)
        object.__setattr__(self, "spans_before", sb)
        object.__setattr__(self, "spans_after", sa)
        ops = difflib.SequenceMatcher(None, tb, ta, autojunk=False).get_opcodes()
        object.__setattr__(self, "opcodes", ops)

    @property
    def changed(self) -> bool:
        return self.tokens_before != self.tokens_after

    @cached_property
    def distance(self) -> float:
        """The project's normalised edit distance (:func:`agenthone.text.normalized_edit_distance`)."""
        return normalized_edit_distance(self.before, self.after)

    @property
    def deleted(self) -> list[list[str]]:
        """Token spans of the AI output that the person removed (deletions and the old side of replacements)."""
        return [self.tokens_before[i1:i2] for tag, i1, i2, _, _ in self.opcodes if tag in ("delete", "replace")]

    @property
    def inserted(self) -> list[list[str]]:
        """Token spans the person wrote in (insertions and the new side of replacements)."""
        return [self.tokens_after[j1:j2] for tag, _, _, j1, j2 in self.opcodes if tag in ("insert", "replace")]

    @property
    def kept(self) -> list[list[str]]:
        """Token spans of the AI output that survived unchanged."""
        return [self.tokens_before[i1:i2] for tag, i1, i2, _, _ in self.opcodes if tag == "equal"]

    def _text(self, side: Literal["before", "after"], lo: int, hi: int) -> str:
        """The original text of tokens ``lo:hi`` of one side, with its own spacing."""
        spans = self.spans_before if side == "before" else self.spans_after
        text = self.before if side == "before" else self.after
        if lo >= hi:
            return ""
        return text[spans[lo][0] : spans[hi - 1][1]]

    def to_frame(self) -> pd.DataFrame:
        """One row per opcode: ``op, before, after`` (original text of each span)."""
        import pandas as pd

        rows = [
            {"op": tag, "before": self._text("before", i1, i2), "after": self._text("after", j1, j2)}
            for tag, i1, i2, j1, j2 in self.opcodes
        ]
        return pd.DataFrame(rows, columns=["op", "before", "after"])

    def _segments(self) -> list[tuple[str, str]]:
        """The merged text as ``(style, text)`` pieces: ``equal``, ``delete`` or ``insert``, spacing included."""
        out: list[tuple[str, str]] = []
        pos_b = 0
        for tag, i1, i2, j1, j2 in self.opcodes:
            start_b = self.spans_before[i1][0] if i1 < len(self.spans_before) else len(self.before)
            if tag == "equal":
                end_b = self.spans_before[i2 - 1][1]
                out.append(("equal", self.before[pos_b:end_b]))
                pos_b = end_b
                continue
            if start_b > pos_b:  # whitespace before the change
                out.append(("equal", self.before[pos_b:start_b]))
                pos_b = start_b
            if tag in ("delete", "replace"):
                end_b = self.spans_before[i2 - 1][1]
                out.append(("delete", self.before[pos_b:end_b]))
                pos_b = end_b
            if tag in ("insert", "replace"):
                text = self._text("after", j1, j2)
                prev = out[-1][1] if out else ""
                if prev and not prev[-1].isspace() and (out[-1][0] == "delete" or text[:1].isalnum()):
                    text = " " + text
                if pos_b < len(self.before) and self.before[pos_b].isalnum():
                    text += " "
                out.append(("insert", text))
        if pos_b < len(self.before):
            out.append(("equal", self.before[pos_b:]))
        return out

    def to_rich(self) -> Text:
        """The diff as Rich text: deletions red and struck through, insertions green."""
        from rich.text import Text

        text = Text()
        for style, piece in self._segments():
            if style == "delete":
                text.append(piece, style="red strike")
            elif style == "insert":
                text.append(piece, style="green underline")
            else:
                text.append(piece)
        return text

    def to_html(self) -> str:
        parts = []
        for style, piece in self._segments():
            esc = html.escape(piece)
            if style == "delete":
                parts.append(f'<del style="color:#b42318;background:#fee4e2">{esc}</del>')
            elif style == "insert":
                parts.append(f'<ins style="color:#067647;background:#dcfae6;text-decoration:none">{esc}</ins>')
            else:
                parts.append(esc)
        return '<div style="white-space:pre-wrap;line-height:1.5">' + "".join(parts) + "</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def sentences(self) -> pd.DataFrame:
        """The diff sentence by sentence (see :func:`sentences`)."""
        return sentences(self.before, self.after)


def _field(edit: Any, name: str) -> Any:
    if isinstance(edit, Mapping):
        return edit.get(name)
    return getattr(edit, name, None) if not hasattr(edit, "get") else edit.get(name)


def diff(edit: Mapping[str, Any] | Any, final_output: str | None = None) -> EditDiff:
    """The word-level diff of an edit.

    Give an edit (a mapping or a DataFrame row with ``ai_output`` and ``final_output``, as returned by
    :func:`load_edit`) or the two texts: ``diff(ai_output, final_output)``.
    """
    if isinstance(edit, str):
        if final_output is None:
            raise AnalyticsError("diff(text) needs the final text too: diff(ai_output, final_output)")
        return EditDiff(edit, final_output)
    before, after = _field(edit, "ai_output"), _field(edit, "final_output")
    if before is None and after is None:
        raise AnalyticsError("an edit needs ai_output and final_output")
    edit_id = _field(edit, "id")
    return EditDiff(str(before or ""), str(after or ""), None if edit_id is None else str(edit_id))


def load_edit(store: Store, edit_id: str) -> dict[str, Any]:
    """One stored edit as a dict (a clear error when no edit has that id)."""
    t = store.table("edits")
    df = t.filter(t.id == str(edit_id)).to_pandas()
    if df.empty:
        raise UnknownEditError(f"no edit with id {edit_id!r} in the store")
    row: dict[str, Any] = df.iloc[0].to_dict()
    return row


def show_edit(store: Store, edit_id: str) -> EditDiff:
    """The diff of a stored edit (what ``hone edits show ID`` prints)."""
    return diff(load_edit(store, edit_id))


_NLP: Any = None


def sentence_splitter() -> tuple[Any, Any]:
    """spaCy's blank English tokenizer and its rule-based sentencizer (offline, no model download).

    The tokenizer is built from ``spacy.lang.en.English.Defaults`` exactly as ``spacy.blank("en")`` builds
    it, without instantiating a ``Language``: that would load every package's spaCy entry points, which in a
    full environment imports heavy NLP stacks and costs seconds. Tokens and sentences are the same.
    """
    global _NLP
    if _NLP is None:
        from spacy.lang.en import English
        from spacy.lang.lex_attrs import LEX_ATTRS
        from spacy.pipeline import Sentencizer
        from spacy.tokenizer import Tokenizer
        from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
        from spacy.vocab import Vocab

        defaults = English.Defaults
        vocab = Vocab(
            lex_attr_getters={**LEX_ATTRS, **defaults.lex_attr_getters}, writing_system=defaults.writing_system
        )
        tokenizer = Tokenizer(
            vocab,
            rules=defaults.tokenizer_exceptions,
            prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
            suffix_search=compile_suffix_regex(defaults.suffixes or ()).search,
            infix_finditer=compile_infix_regex(defaults.infixes or ()).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )
        _NLP = (tokenizer, Sentencizer())
    return _NLP  # type: ignore[no-any-return]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (spaCy's blank ``en`` tokenizer + sentencizer)."""
    if not text.strip():
        return []
    tokenizer, sentencizer = sentence_splitter()
    doc = sentencizer(tokenizer(text))
    return [s.text.strip() for s in doc.sents if s.text.strip()]


def sentences(before: str, after: str, *, min_similarity: float = 0.5) -> pd.DataFrame:
    """The diff sentence by sentence: which sentences were kept, changed, deleted or added.

    Sentences are aligned with difflib over the sentence lists; inside a replaced block, sentences are
    paired in order while their word-level similarity (1 - normalised edit distance) is at least
    ``min_similarity`` (``changed``), the rest are ``deleted`` or ``added``. Columns: ``status, before,
    after, edit_distance``.
    """
    import pandas as pd

    a, b = split_sentences(before), split_sentences(after)
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend({"status": "kept", "before": s, "after": s, "edit_distance": 0.0} for s in a[i1:i2])
            continue
        olds, news = a[i1:i2], b[j1:j2]
        oi = nj = 0
        while oi < len(olds) and nj < len(news):
            d = normalized_edit_distance(olds[oi], news[nj])
            if 1 - d >= min_similarity:
                rows.append({"status": "changed", "before": olds[oi], "after": news[nj], "edit_distance": d})
                oi += 1
                nj += 1
                continue
            # not similar: drop whichever side has a better match further on
            ahead_old = any(1 - normalized_edit_distance(o, news[nj]) >= min_similarity for o in olds[oi + 1 :])
            if ahead_old or len(olds) - oi > len(news) - nj:
                rows.append({"status": "deleted", "before": olds[oi], "after": "", "edit_distance": 1.0})
                oi += 1
            else:
                rows.append({"status": "added", "before": "", "after": news[nj], "edit_distance": 1.0})
                nj += 1
        rows.extend({"status": "deleted", "before": s, "after": "", "edit_distance": 1.0} for s in olds[oi:])
        rows.extend({"status": "added", "before": "", "after": s, "edit_distance": 1.0} for s in news[nj:])
    return pd.DataFrame(rows, columns=["status", "before", "after", "edit_distance"])
