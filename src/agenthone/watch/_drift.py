"""Input drift and new failure patterns: what changed in an agent's last week against the weeks before.

Every test compares the recent window (default the last 7 days) with the baseline window before it (default
28 days), per agent, and the p-values are Holm-adjusted across every agent and measure tested, as the
regression alerts are: twenty steady agents checked four ways every day would otherwise raise false alarms.
A finding is flagged when it is significant *and* large enough to matter (an effect-size threshold per measure).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.analytics import Window
    from agenthone.store import Store

__all__ = ["DRIFT_COLUMNS", "PATTERN_COLUMNS", "input_drift", "new_failure_patterns"]

DRIFT_COLUMNS = (
    "agent",
    "measure",
    "recent",
    "baseline",
    "effect",
    "threshold",
    "recent_n",
    "baseline_n",
    "p_value",
    "p_adjusted",
    "drift",
    "detail",
)
PATTERN_COLUMNS = (
    "agent",
    "kind",
    "pattern",
    "recent_share",
    "baseline_share",
    "recent_edits",
    "baseline_edits",
    "p_value",
    "p_adjusted",
    "new",
    "examples",
)

_WORD = re.compile(r"[a-z][a-z'-]{2,}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _frame(store: Store, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Inputs of runs and prompts of edits in [lo, hi): agent, when, which mix label, the text."""
    query = """
        SELECT agent_name AS agent, timestamp, 'task' AS kind, task_type AS label, CAST(input AS VARCHAR) AS text
        FROM runs WHERE timestamp >= ? AND timestamp < ?
        UNION ALL
        SELECT agent_name AS agent, timestamp, 'intent' AS kind, intent_type AS label, CAST(prompt AS VARCHAR) AS text
        FROM edits WHERE timestamp >= ? AND timestamp < ?
    """
    bounds = [lo.to_pydatetime(), hi.to_pydatetime()]
    return store.sql(query, bounds + bounds)


def _mix_test(recent: pd.Series, baseline: pd.Series) -> tuple[float, float, str]:
    """(chi-square p, total variation distance, the label that moved most) of two label samples."""
    import numpy as np
    from scipy import stats

    labels = sorted(set(recent) | set(baseline))
    r = np.array([(recent == x).sum() for x in labels], dtype=float)
    b = np.array([(baseline == x).sum() for x in labels], dtype=float)
    if len(labels) < 2:
        return 1.0, 0.0, ""
    p = float(stats.chi2_contingency(np.vstack([r, b]))[1])
    pr, pb = r / r.sum(), b / b.sum()
    moved = int(np.argmax(np.abs(pr - pb)))
    detail = f"'{labels[moved]}' {pb[moved]:.0%} -> {pr[moved]:.0%}"
    return p, float(0.5 * np.abs(pr - pb).sum()), detail


def input_drift(
    store: Store,
    recent: Window,
    baseline: Window,
    *,
    alpha: float = 0.05,
    min_n: int = 20,
    min_mix_shift: float = 0.15,
    min_length_change: float = 0.25,
    min_new_vocabulary: float = 0.05,
) -> pd.DataFrame:
    """Per agent: has its intent or task mix, its input length or its vocabulary moved in the recent window?

    - **intent_mix / task_mix**: chi-square test of the label counts (edits' ``intent_type``, runs'
      ``task_type``); effect: total variation distance between the two distributions (flag >= ``min_mix_shift``).
    - **input_length**: Mann-Whitney U on the words per input; effect: relative change of the median.
    - **new_vocabulary**: the share of each input's words never seen in the baseline's first three quarters,
      recent inputs against the baseline's last quarter (which had the same chance to meet new words); effect:
      the difference of the mean shares (flag >= ``min_new_vocabulary``); the detail lists the commonest new words.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    from agenthone.analytics._stats import holm

    data = _frame(store, baseline.start, recent.end)
    ts = data["timestamp"]
    is_recent = ts >= _like(ts, recent.start)
    split = _like(ts, baseline.start + (baseline.end - baseline.start) * 0.75)
    rows: list[dict[str, Any]] = []
    for agent, g in data.groupby("agent", sort=True):
        rec, base = g[is_recent.loc[g.index]], g[~is_recent.loc[g.index]]
        for kind in ("intent", "task"):
            r = rec.loc[rec["kind"] == kind, "label"].dropna().astype(str)
            b = base.loc[base["kind"] == kind, "label"].dropna().astype(str)
            if len(r) >= min_n and len(b) >= min_n:
                p, tvd, detail = _mix_test(r, b)
                rows.append(_row(agent, f"{kind}_mix", tvd, 0.0, tvd, len(r), len(b), p, detail, min_mix_shift))
        words_r = [_WORD.findall(_text(t).lower()) for t in rec["text"]]
        words_b = [_WORD.findall(_text(t).lower()) for t in base["text"]]
        len_r = np.array([len(w) for w in words_r], dtype=float)
        len_b = np.array([len(w) for w in words_b], dtype=float)
        if len(len_r) >= min_n and len(len_b) >= min_n:
            p = float(stats.mannwhitneyu(len_r, len_b, alternative="two-sided").pvalue)
            mr, mb = float(np.median(len_r)), float(np.median(len_b))
            change = (mr - mb) / mb if mb else 0.0
            rows.append(
                _row(
                    agent,
                    "input_length",
                    mr,
                    mb,
                    change,
                    len(len_r),
                    len(len_b),
                    p,
                    f"median {mb:.0f} -> {mr:.0f} words",
                    min_length_change,
                )
            )
        early = base["timestamp"] < split
        vocab = {w for w, e in zip(words_b, early, strict=True) if e for w in w}
        late = [w for w, e in zip(words_b, early, strict=True) if not e]
        oov_r = np.array([sum(x not in vocab for x in w) / len(w) for w in words_r if w])
        oov_b = np.array([sum(x not in vocab for x in w) / len(w) for w in late if w])
        if len(oov_r) >= min_n and len(oov_b) >= min_n // 3 and vocab:
            p = float(stats.mannwhitneyu(oov_r, oov_b, alternative="greater").pvalue)
            seen = {x for w in words_b for x in w}
            new = Counter(x for w in words_r for x in w if x not in seen).most_common(5)
            detail = "new words: " + (", ".join(w for w, _ in new) or "none")
            diff = float(oov_r.mean() - oov_b.mean())
            rows.append(
                _row(
                    agent,
                    "new_vocabulary",
                    float(oov_r.mean()),
                    float(oov_b.mean()),
                    diff,
                    len(oov_r),
                    len(oov_b),
                    p,
                    detail,
                    min_new_vocabulary,
                )
            )
    df = pd.DataFrame(rows, columns=list(DRIFT_COLUMNS))
    if len(df):
        df["p_adjusted"] = holm(df["p_value"].to_numpy(dtype=float))
        df["drift"] = (df["p_adjusted"] < alpha) & (df["effect"].abs() >= df["threshold"])
    df["drift"] = df["drift"].astype(bool)
    return df


def _like(ts: pd.Series, at: pd.Timestamp) -> pd.Timestamp:
    """``at`` comparable with the timestamps ``ts`` (naive UTC or aware)."""
    if getattr(ts.dt, "tz", None) is None:
        return at.tz_convert("UTC").tz_localize(None) if at.tzinfo is not None else at
    return at if at.tzinfo is not None else at.tz_localize("UTC")


def _row(  # noqa: PLR0917 - one row of the table
    agent: Any,
    measure: str,
    recent: float,
    baseline: float,
    effect: float,
    rn: int,
    bn: int,
    p: float,
    detail: str,
    threshold: float,
) -> dict[str, Any]:
    return {
        "agent": str(agent),
        "measure": measure,
        "recent": recent,
        "baseline": baseline,
        "effect": effect,
        "threshold": threshold,
        "recent_n": rn,
        "baseline_n": bn,
        "p_value": p,
        "p_adjusted": p,
        "drift": False,
        "detail": detail,
    }


def new_failure_patterns(
    store: Store,
    recent: Window,
    baseline: Window,
    *,
    alpha: float = 0.05,
    min_edits: int = 10,
    min_share: float = 0.1,
) -> pd.DataFrame:
    """Phrases people started deleting or adding in the recent window that they did not before.

    The recent window's edits of each agent are mined for deletion and addition patterns (as ``hone edits
    patterns`` does); each pattern's share of edits that delete (or add) it is then compared with the baseline's
    by a one-sided two-proportion test, Holm-adjusted across every pattern of every agent. A pattern is new
    when the recent share is significantly higher and at least twice the baseline's.
    """
    import pandas as pd

    from agenthone.analytics._patterns import mine_patterns, split_edits
    from agenthone.analytics._stats import holm, two_proportion_test

    query = """SELECT id, agent_name AS agent, timestamp, CAST(ai_output AS VARCHAR) AS ai,
               CAST(final_output AS VARCHAR) AS final FROM edits WHERE timestamp >= ? AND timestamp < ?"""
    data = store.sql(query, [baseline.start.to_pydatetime(), recent.end.to_pydatetime()])
    start = _like(data["timestamp"], recent.start)
    rows: list[dict[str, Any]] = []
    for agent, g in data.groupby("agent", sort=True):
        rec, base = g[g["timestamp"] >= start], g[g["timestamp"] < start]
        changed = rec[rec["ai"].fillna("") != rec["final"].fillna("")]
        if len(rec) < min_edits or len(changed) < 3 or len(base) < min_edits:
            continue
        streams = split_edits(rec["id"].tolist(), rec["ai"].fillna("").tolist(), rec["final"].fillna("").tolist())
        pats = mine_patterns(streams, top=3, min_share=min_share)
        for p in pats.itertuples():
            phrase = str(p.pattern).lower()

            def hits(frame: pd.DataFrame, deletion: bool = p.kind == "deletion", phrase: str = phrase) -> int:
                ai, final = frame["ai"].fillna("").str.lower(), frame["final"].fillna("").str.lower()
                have, lose = (ai, final) if deletion else (final, ai)
                return int((have.str.contains(phrase, regex=False) & ~lose.str.contains(phrase, regex=False)).sum())

            k_r, k_b = hits(rec), hits(base)
            _, pval = two_proportion_test(k_r, len(rec), k_b, len(base), alternative="larger")
            rows.append(
                {
                    "agent": str(agent),
                    "kind": str(p.kind),
                    "pattern": str(p.pattern),
                    "recent_share": k_r / len(rec),
                    "baseline_share": k_b / len(base),
                    "recent_edits": len(rec),
                    "baseline_edits": len(base),
                    "p_value": float(pval),
                    "p_adjusted": float(pval),
                    "new": False,
                    "examples": list(p.examples)[:3],
                }
            )
    df = pd.DataFrame(rows, columns=list(PATTERN_COLUMNS))
    if len(df):
        df["p_adjusted"] = holm(df["p_value"].to_numpy(dtype=float))
        df["new"] = (df["p_adjusted"] < alpha) & (df["recent_share"] >= 2 * df["baseline_share"])
        df = df.sort_values(["new", "p_adjusted"], ascending=[False, True], ignore_index=True)
    df["new"] = df["new"].astype(bool)
    return df
