"""Tool selection: rank the tools for a task and keep the top k.

Two signals, blended:

- lexical: BM25 (the ``bm25s`` library) over each tool's name (twice: names carry the most meaning),
  description and parameter names and descriptions; every tool ranks, seen before or not;
- learned: a scikit-learn ranker trained on usage history (past queries or first user messages -> the
  tools called successfully): TF-IDF word uni- and bigrams and a logistic regression over the tools. Its
  weight for a query grows with how close the query is to something seen before (the highest cosine
  similarity to a past query), so a new kind of task falls back to the lexical ranking.

Preferences nudge the blend (``prefer_fast``, ``prefer_cheap`` with observed latency and tokens), and
``required`` tools are always kept. Every pick says why it was picked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.tools._schema import Tool, ToolError, as_tools

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["Pick", "Selection", "ToolSelector", "select_tools", "tokenize"]

_STOP_WORDS = (
    "a an the of to in for on and or is are be been with by from at as that this these those it its what which "
    "who whom how when where why i me my we our you your he she they them their can could would should will "
    "shall may might must do does did please tell give want need like about into than then there here also "
    "just some any all"
)
_STOP = frozenset(_STOP_WORDS.split())
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORDS = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens for retrieval: camelCase and snake_case split, stop words dropped, plurals folded."""
    out: list[str] = []
    for word in _WORDS.findall(_CAMEL.sub(r"\1 \2", text).lower()):
        if word in _STOP:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        out.append(word)
    return out


def tool_document(tool: Tool) -> str:
    """The text a tool is retrieved by."""
    name = tool.name.replace(".", " ").replace("_", " ").replace("-", " ")
    parts = [name, name, tool.description]
    for key, schema in tool.properties.items():
        parts.append(key.replace("_", " "))
        if isinstance(schema, Mapping) and isinstance(schema.get("description"), str):
            parts.append(schema["description"])
    return " ".join(parts)


@dataclass(frozen=True)
class Pick:
    """One selected tool, its scores and why it was picked."""

    tool: str
    rank: int
    score: float
    lexical: float
    """BM25 score scaled to [0, 1] by the best tool's score for this query."""
    learned: float
    """Probability from the learned ranker (0 without history)."""
    reasons: tuple[str, ...] = ()

    def explain(self) -> str:
        return f"{self.rank}. {self.tool} ({self.score:.3f}): " + "; ".join(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "tool": self.tool,
            "score": round(self.score, 4),
            "lexical": round(self.lexical, 4),
            "learned": round(self.learned, 4),
            "why": "; ".join(self.reasons),
        }


@dataclass
class Selection:
    """The top tools for one query, best first."""

    query: str
    picks: list[Pick]
    tools: list[Tool] = field(repr=False)
    seconds: float = 0.0

    @property
    def names(self) -> list[str]:
        return [p.tool for p in self.picks]

    def openai(self) -> list[dict[str, Any]]:
        """The selected tools in OpenAI format, ready for a request's ``tools``."""
        return [t.openai() for t in self.tools]

    def explain(self) -> str:
        return "\n".join(p.explain() for p in self.picks)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "picks": [p.as_dict() for p in self.picks], "ms": round(self.seconds * 1e3, 3)}


def _bonus(values: Mapping[str, float], lower_is_better: bool = True) -> dict[str, float]:
    """1 for the best known value, 0 for the worst, by rank (unknown values get nothing)."""
    known = sorted((v, k) for k, v in values.items() if v is not None and not math.isnan(v))
    if len(known) < 2:
        return {}
    ordered = known if lower_is_better else known[::-1]
    n = len(ordered) - 1
    return {k: 1 - i / n for i, (_, k) in enumerate(ordered)}


class ToolSelector:
    """Ranks a pool of tools for a query; build it once and call :meth:`select` per request.

    ``history``: past uses as ``{"query": str, "tools": [names]}`` (e.g. :func:`usage_history`).
    ``stats``: observed performance per tool (:meth:`ToolRegistry.stats`'s frame, or a mapping
    ``name -> {"latency_ms": ..., "tokens": ...}``) for ``prefer_fast`` and ``prefer_cheap``.
    """

    def __init__(
        self,
        tools: Sequence[Tool | Mapping[str, Any]],
        *,
        history: Iterable[Mapping[str, Any]] | None = None,
        stats: pd.DataFrame | Mapping[str, Mapping[str, Any]] | None = None,
        learned_weight: float = 0.5,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        import warnings

        with warnings.catch_warnings():  # bm25s imports tqdm.auto, which warns in a notebook without ipywidgets
            warnings.simplefilter("ignore")
            import bm25s

        self.tools = as_tools(tools)
        if not self.tools:
            raise ToolError("no tools to select from")
        if not 0.0 <= learned_weight <= 1.0:
            raise ToolError(f"learned_weight must be in [0, 1], got {learned_weight}")
        self._index = {t.name: i for i, t in enumerate(self.tools)}
        self.learned_weight = learned_weight
        docs = [tokenize(tool_document(t)) or ["_"] for t in self.tools]
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._bm25.index(docs, show_progress=False)
        self._vocab = {w for d in docs for w in d}
        self._model: Any = None
        self._vectorizer: Any = None
        self._history_matrix: Any = None
        self._classes: list[int] = []
        self.history_size = 0
        self.uses: dict[str, int] = {}
        self._latency: dict[str, float] = {}
        self._cost: dict[str, float] = {}
        if stats is not None:
            self._read_stats(stats)
        if history is not None:
            self.fit(history)

    def _read_stats(self, stats: pd.DataFrame | Mapping[str, Mapping[str, Any]]) -> None:
        rows: Iterable[Mapping[str, Any]] = (
            [{"tool": k, **v} for k, v in stats.items()] if isinstance(stats, Mapping) else stats.to_dict("records")
        )
        for row in rows:
            name = str(row.get("tool"))
            for key in ("latency_ms", "latency_ms_p50", "run_latency_ms_p50"):
                value = row.get(key)
                if isinstance(value, (int, float)) and not math.isnan(value):
                    self._latency[name] = float(value)
                    break
            for key in ("tokens", "tokens_per_call", "cost_usd", "run_cost_usd"):
                value = row.get(key)
                if isinstance(value, (int, float)) and not math.isnan(value) and value > 0:
                    self._cost[name] = float(value)
                    break

    def fit(self, history: Iterable[Mapping[str, Any]]) -> ToolSelector:
        """Train the learned ranker on past uses (tools outside the pool are ignored)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts: list[str] = []
        labels: list[int] = []
        queries: list[str] = []
        uses: dict[str, int] = {}
        for item in history:
            query = str(item.get("query") or "")
            names = [n for n in item.get("tools") or () if n in self._index]
            if not query.strip() or not names:
                continue
            queries.append(query)
            for name in dict.fromkeys(names):
                texts.append(query)
                labels.append(self._index[name])
                uses[name] = uses.get(name, 0) + 1
        self.uses = uses
        self.history_size = len(queries)
        if not queries:
            self._model = self._vectorizer = self._history_matrix = None
            return self
        self._vectorizer = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False,
                                           ngram_range=(1, 2), sublinear_tf=True)  # fmt: skip
        x = self._vectorizer.fit_transform(texts)
        self._history_matrix = self._vectorizer.transform(queries)
        classes = sorted(set(labels))
        if len(classes) >= 2:
            self._model = LogisticRegression(C=10.0, max_iter=500)
            self._model.fit(x, labels)
            self._classes = [int(c) for c in self._model.classes_]
        else:
            self._model = None
            self._classes = classes
        return self

    def _learned(self, query: str) -> tuple[np.ndarray, float]:
        """Learned probability per tool and the query's closeness to history (max cosine similarity)."""
        import numpy as np

        probs = np.zeros(len(self.tools))
        if self._vectorizer is None:
            return probs, 0.0
        q = self._vectorizer.transform([query])
        if q.nnz == 0:
            return probs, 0.0
        closeness = float((self._history_matrix @ q.T).max())
        if self._model is not None:
            probs[self._classes] = self._model.predict_proba(q)[0]
        else:
            probs[self._classes[0]] = 1.0
        return probs, closeness

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """(blended, lexical, learned) scores of every tool and the weight the learned ranker got."""
        import numpy as np

        tokens = [t for t in tokenize(query) if t in self._vocab]
        lexical = np.asarray(self._bm25.get_scores(tokens), dtype=float) if tokens else np.zeros(len(self.tools))
        top = float(lexical.max()) if len(lexical) else 0.0
        if top > 0:
            lexical = lexical / top
        learned, closeness = self._learned(query)
        weight = self.learned_weight * closeness
        return (1 - weight) * lexical + weight * learned, lexical, learned, weight

    def select(
        self,
        query: str,
        *,
        k: int = 5,
        prefer_fast: bool = False,
        prefer_cheap: bool = False,
        required: Sequence[str] = (),
        preference_weight: float = 0.1,
    ) -> Selection:
        """The ``k`` best tools for ``query`` (``required`` ones first, always kept)."""
        import time

        import numpy as np

        started = time.perf_counter()
        if k < 1:
            raise ToolError(f"k must be at least 1, got {k}")
        for name in required:
            if name not in self._index:
                raise ToolError(f"required tool {name!r} is not among the {len(self.tools)} tools")
        blended, lexical, learned, weight = self.scores(query)
        fast = _bonus(self._latency) if prefer_fast else {}
        cheap = _bonus(self._cost) if prefer_cheap else {}
        final = blended.copy()
        for name, bonus in fast.items():
            if name in self._index:
                final[self._index[name]] += preference_weight * bonus
        for name, bonus in cheap.items():
            if name in self._index:
                final[self._index[name]] += preference_weight * bonus
        order = [int(i) for i in np.argsort(-final, kind="stable")]
        chosen = [self._index[n] for n in dict.fromkeys(required)]
        chosen += [i for i in order if i not in chosen][: max(0, k - len(chosen))]
        picks = []
        for rank, i in enumerate(chosen, 1):
            name = self.tools[i].name
            reasons: list[str] = []
            if name in required:
                reasons.append("required")
            matched = sorted(set(tokenize(query)) & set(tokenize(tool_document(self.tools[i]))))
            if lexical[i] > 0:
                reasons.append(f"lexical {lexical[i]:.2f} (matched: {', '.join(matched[:5])})")
            else:
                reasons.append("no word in common")
            if learned[i] > 0.01 and weight > 0:
                uses = self.uses.get(name, 0)
                reasons.append(f"learned {learned[i]:.2f} from {uses} past uses (weight {weight:.2f})")
            if name in fast:
                reasons.append(f"fast: p50 {self._latency[name]:.0f} ms")
            if name in cheap:
                reasons.append(f"cheap: {self._cost[name]:.4g} per call")
            picks.append(Pick(name, rank, float(final[i]), float(lexical[i]), float(learned[i]), tuple(reasons)))
        return Selection(query, picks, [self.tools[i] for i in chosen], time.perf_counter() - started)

    def rank(self, query: str) -> list[str]:
        """Every tool, best first."""
        import numpy as np

        blended = self.scores(query)[0]
        return [self.tools[int(i)].name for i in np.argsort(-blended, kind="stable")]


def select_tools(
    query: str,
    tools: ToolSelector | Sequence[Tool | Mapping[str, Any]],
    *,
    k: int = 5,
    history: Iterable[Mapping[str, Any]] | None = None,
    prefer_fast: bool = False,
    prefer_cheap: bool = False,
    required: Sequence[str] = (),
) -> Selection:
    """The ``k`` best tools for ``query``; pass a :class:`ToolSelector` to reuse its index across calls."""
    selector = tools if isinstance(tools, ToolSelector) else ToolSelector(tools, history=history)
    return selector.select(query, k=k, prefer_fast=prefer_fast, prefer_cheap=prefer_cheap, required=required)
