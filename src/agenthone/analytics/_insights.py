"""Learning from edits, per agent, from the store: patterns, tone shift, improvement opportunities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from agenthone.analytics._errors import AnalyticsError
from agenthone.analytics._patterns import mine_patterns, split_edits
from agenthone.analytics._stats import holm, two_proportion_test, wilson_interval
from agenthone.analytics._tone import tone_changes
from agenthone.analytics._window import DateLike, RangeLike, Window, resolve_window

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.store import Store

__all__ = [
    "OPPORTUNITY_COLUMNS",
    "WEIGHTS",
    "addition_patterns",
    "deletion_patterns",
    "edit_patterns",
    "edits_frame",
    "improvement_opportunities",
    "tone_shift",
]

OPPORTUNITY_COLUMNS = (
    "agent",
    "rank",
    "kind",
    "finding",
    "share",
    "priority",
    "edits",
    "evidence",
    "recommendation",
    "examples",
)
WEIGHTS = {"pattern": 1.0, "function_words": 0.5, "tone": 0.8, "intent": 1.0}
"""Priority = share x weight: a phrase with a content word is the most direct fix; tone shifts often follow
from a phrase being cut or added, and a pattern of function words alone ("but", "it's") says less."""


def _content_pattern(pattern: str) -> bool:
    from agenthone.analytics._lexicon import (
        ADVERBS_CLOSED,
        ARTICLES,
        INTERJECTIONS,
        OTHER,
        PREPOSITIONS,
        PRONOUNS,
        VERBS_CLOSED,
    )
    from agenthone.text import word_tokens

    closed = ARTICLES | PREPOSITIONS | PRONOUNS | INTERJECTIONS | VERBS_CLOSED | ADVERBS_CLOSED | OTHER
    return any(t.isalpha() and len(t) > 1 and t.lower() not in closed for t in word_tokens(pattern))


def _agents(store: Store) -> set[str]:
    t = store.table("edits")
    return set(t.select("agent_name").distinct().to_pandas()["agent_name"].astype(str))


def _check_agent(store: Store, agent: str) -> None:
    known = _agents(store)
    if agent not in known:
        hint = ""
        close = sorted(a for a in known if agent.lower() in a.lower() or a.lower() in agent.lower())
        if close:
            hint = f" (did you mean {', '.join(close[:3])}?)"
        raise AnalyticsError(f"no edits of an agent named {agent!r} in the store{hint}")


def edits_frame(
    store: Store,
    *,
    agent: str | Sequence[str] | None = None,
    range: RangeLike = "90d",  # noqa: A002
    as_of: DateLike | None = None,
    columns: Sequence[str] = ("id", "timestamp", "agent_name", "intent_type", "accepted", "ai_output", "final_output"),
) -> pd.DataFrame:
    """The edits of one agent (several, or all) in a window, oldest first; ``attrs["window"]`` says which."""
    window = resolve_window(store, range, as_of=as_of)
    return _edits(store, window, agent, columns)


def _edits(store: Store, window: Window, agent: str | Sequence[str] | None, columns: Sequence[str]) -> pd.DataFrame:
    t = window.filter(store.table("edits"))
    if isinstance(agent, str):
        _check_agent(store, agent)
        t = t.filter(t.agent_name == agent)
    elif agent is not None:
        for a in agent:
            _check_agent(store, a)
        t = t.filter(t.agent_name.isin(list(agent)))
    df = t.order_by(["timestamp", "id"]).select(*columns).to_pandas()
    df.attrs["window"] = window.as_dict()
    return df


def edit_patterns(
    store: Store,
    agent: str,
    *,
    kinds: Sequence[Literal["deletion", "addition"]] = ("deletion", "addition"),
    range: RangeLike = "90d",  # noqa: A002
    as_of: DateLike | None = None,
    top: int | None = 10,
    min_support: int = 3,
    min_share: float = 0.02,
    min_z: float = 3.0,
) -> pd.DataFrame:
    """Deletion and addition patterns of one agent's edits in the window, most widespread first.

    Each row: ``kind`` (deletion/addition), ``pattern`` (as first written), ``n`` (tokens), ``edits``
    (support: edits whose deleted/inserted spans contain it), ``share`` (of all the agent's edits in the
    window), ``in_ai_output`` (outputs containing it), ``rate_when_present`` (deletions: how often it is
    deleted when the output has it), ``log_odds`` and ``z`` against the kept text, ``examples`` (edit ids)
    and a plain ``recommendation``. The method is in :mod:`agenthone.analytics._patterns`.
    """
    window = resolve_window(store, range, as_of=as_of)
    df = _edits(store, window, agent, ("id", "ai_output", "final_output"))
    streams = split_edits(df["id"].tolist(), df["ai_output"].tolist(), df["final_output"].tolist())
    out = mine_patterns(streams, kinds=kinds, top=top, min_support=min_support, min_share=min_share, min_z=min_z)
    out.insert(0, "agent", agent)
    out.attrs.update({"window": window.as_dict(), "agent": agent, "edits": len(df)})
    return out


def deletion_patterns(store: Store, agent: str, **options: Any) -> pd.DataFrame:
    """What people delete from ``agent``'s outputs (see :func:`edit_patterns` for columns and options)."""
    return edit_patterns(store, agent, kinds=("deletion",), **options)


def addition_patterns(store: Store, agent: str, **options: Any) -> pd.DataFrame:
    """What people add to ``agent``'s outputs (see :func:`edit_patterns` for columns and options)."""
    return edit_patterns(store, agent, kinds=("addition",), **options)


def tone_shift(
    store: Store,
    *,
    agent: str | Sequence[str] | None = None,
    range: RangeLike = "90d",  # noqa: A002
    as_of: DateLike | None = None,
    alpha: float = 0.05,
    min_effect: float = 0.2,
) -> pd.DataFrame:
    """Per agent and measure (words, formality, sentiment, readability): how edits shift the tone.

    Only edits that changed the text count. Columns: ``agent, measure, n, before, after, change, ci_low,
    ci_high, relative_change, effect_size, share_in_direction, p_value, p_adjusted, significant, direction``
    (method and thresholds: :mod:`agenthone.analytics._tone`).
    """
    window = resolve_window(store, range, as_of=as_of)
    df = _edits(store, window, agent, ("id", "agent_name", "ai_output", "final_output", "accepted"))
    changed = df[df["ai_output"].fillna("") != df["final_output"].fillna("")]
    out = tone_changes(changed, alpha=alpha, min_effect=min_effect).rename(columns={"agent_name": "agent"})
    out.attrs["window"] = window.as_dict()
    return out


_TONE_ADVICE = {
    ("words", "shorter"): "ask for shorter answers (users cut {pct:.0%} of the words on average)",
    ("words", "longer"): "ask for more detail (users add {pct:.0%} more words on average)",
    ("formality", "more formal"): "ask for a formal, professional register",
    ("formality", "less formal"): "ask for a more conversational register",
    ("sentiment", "more positive"): "ask for a warmer tone",
    ("sentiment", "more negative"): "tone down the enthusiasm: users make outputs more neutral",
    ("readability", "easier to read"): "ask for shorter sentences and plainer words",
    ("readability", "harder to read"): "users add precision at the cost of simplicity: ask for more specific wording",
}


def improvement_opportunities(
    store: Store,
    agent: str | Sequence[str] | None = None,
    *,
    range: RangeLike = "90d",  # noqa: A002
    as_of: DateLike | None = None,
    top: int = 10,
    patterns_per_kind: int = 3,
    min_share: float = 0.05,
    alpha: float = 0.05,
    min_intent_edits: int = 20,
) -> pd.DataFrame:
    """A ranked list of what to change in an agent's prompt, from how people edit its outputs.

    Combines, per agent: the top deletion patterns ("remove"), the top addition patterns ("add"), the
    flagged tone shifts ("tone"), and intent types whose acceptance is significantly below the agent's other
    intents ("intent": one-sided two-proportion test, Holm-adjusted across every agent's intents). ``share`` is
    the share of the agent's edits in the window that a finding concerns (at least ``min_share``); findings are
    ranked by ``priority`` = share x :data:`WEIGHTS` of their kind. ``agent=None`` looks at every agent with
    edits in the window.
    """
    import pandas as pd

    window = resolve_window(store, range, as_of=as_of)
    if agent is None:
        names = sorted(_edits(store, window, None, ("agent_name",))["agent_name"].astype(str).unique())
    elif isinstance(agent, str):
        names = [agent]
    else:
        names = list(agent)
    all_edits = _edits(
        store, window, names, ("id", "agent_name", "intent_type", "accepted", "ai_output", "final_output")
    )
    changed = all_edits[all_edits["ai_output"].fillna("") != all_edits["final_output"].fillna("")]
    tone = tone_changes(changed) if len(changed) else pd.DataFrame(columns=["agent_name", "significant"])
    everyone = _edits(store, window, None, ("id", "agent_name", "intent_type", "accepted"))
    weak = _weak_intents(everyone, alpha=alpha, min_edits=min_intent_edits)
    rows: list[dict[str, Any]] = []
    for name in names:
        mine = all_edits[all_edits["agent_name"] == name]
        n = len(mine)
        if n == 0:
            continue
        found: list[dict[str, Any]] = []
        streams = split_edits(mine["id"].tolist(), mine["ai_output"].tolist(), mine["final_output"].tolist())
        pats = mine_patterns(streams, top=patterns_per_kind, min_share=min_share)
        for p in pats.itertuples():
            weight = WEIGHTS["pattern" if _content_pattern(p.pattern) else "function_words"]
            found.append(
                {
                    "kind": "remove" if p.kind == "deletion" else "add",
                    "finding": f"{'deleted' if p.kind == 'deletion' else 'added'}: '{p.pattern}'",
                    "share": p.share,
                    "priority": p.share * weight,
                    "edits": p.edits,
                    "evidence": f"{p.edits} of {n} edits (z={p.z:.1f})",
                    "recommendation": p.recommendation,
                    "examples": p.examples,
                }
            )
        for t in tone[(tone["agent_name"] == name) & tone["significant"].astype(bool)].itertuples():
            mine_changed = changed[changed["agent_name"] == name]
            share = t.share_in_direction * len(mine_changed) / n
            pct = abs(t.relative_change) if t.relative_change == t.relative_change else 0.0
            advice = _TONE_ADVICE[(t.measure, t.direction)].format(pct=pct)
            if share < min_share:
                continue
            found.append(
                {
                    "kind": "tone",
                    "finding": f"edits make outputs {t.direction} ({t.measure} {t.before:.2f} -> {t.after:.2f})",
                    "share": share,
                    "priority": share * WEIGHTS["tone"],
                    "edits": round(t.share_in_direction * t.n),
                    "evidence": (
                        f"mean change {t.change:+.2f} (95% CI {t.ci_low:+.2f} to {t.ci_high:+.2f}), "
                        f"d={t.effect_size:.2f}, Holm p={t.p_adjusted:.2g}"
                    ),
                    "recommendation": f"users make outputs {t.direction} in {share:.0%} of edits: {advice}.",
                    "examples": mine_changed["id"].head(3).tolist(),
                }
            )
        found.extend(weak.get(name, []))
        found.sort(key=lambda r: (-float(r["priority"]), -float(r["share"])))
        for rank, r in enumerate(found[:top], 1):
            rows.append({"agent": name, "rank": rank, **r})
    df = pd.DataFrame(rows, columns=list(OPPORTUNITY_COLUMNS))
    df.attrs["window"] = window.as_dict()
    return df


def _weak_intents(edits: pd.DataFrame, *, alpha: float, min_edits: int) -> dict[str, list[dict[str, Any]]]:
    """Per agent, intent types whose acceptance is significantly below the rest of the agent's edits.

    One-sided two-proportion test of each (agent, intent) against the agent's other edits; Holm-adjusted
    across every agent and intent in the window, so that the answer for one agent does not depend on which
    others were asked about and dozens of healthy intents do not produce chance findings.
    """
    import numpy as np

    stats = []
    for agent, mine in edits.groupby("agent_name", sort=True):
        acc = mine["accepted"].fillna(False).astype(bool)
        n_all, k_all = len(mine), int(acc.sum())
        for intent, g in mine.groupby(mine["intent_type"].fillna("(none)"), sort=True):
            n, k = len(g), int(g["accepted"].fillna(False).astype(bool).sum())
            rest_n, rest_k = n_all - n, k_all - k
            if n < min_edits or rest_n < min_edits:
                continue
            _, p = two_proportion_test(k, n, rest_k, rest_n, alternative="smaller")
            stats.append((str(agent), str(intent), n, k, rest_n, rest_k, n_all, p, g))
    out: dict[str, list[dict[str, Any]]] = {}
    if not stats:
        return out
    adjusted = holm(np.array([s[7] for s in stats]))
    for (agent, intent, n, k, rest_n, rest_k, n_all, _, g), p_adj in zip(stats, adjusted, strict=True):
        if not (p_adj < alpha):
            continue
        low, high = wilson_interval([k], [n])
        rate, rest = k / n, rest_k / rest_n
        out.setdefault(agent, []).append(
            {
                "kind": "intent",
                "finding": f"intent '{intent}' is accepted {rate:.0%} of the time vs {rest:.0%} for the rest",
                "share": (n - k) / n_all,
                "priority": (n - k) / n_all * WEIGHTS["intent"],
                "edits": n - k,
                "evidence": f"{k}/{n} accepted (95% CI {low[0]:.0%} to {high[0]:.0%}), Holm p={p_adj:.2g}",
                "recommendation": f"review the prompt for '{intent}' requests: {n - k} of {n} were corrected.",
                "examples": g.loc[~g["accepted"].fillna(False).astype(bool), "id"].head(3).tolist(),
            }
        )
    return out
