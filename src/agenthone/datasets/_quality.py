"""The quality report of a dataset: numbers (dict), a per-example table (DataFrame) and figures.

Quality score (0-1), a weighted mean of five components, each in [0, 1]::

    score = 0.25 * completeness + 0.20 * uniqueness + 0.20 * diversity + 0.15 * balance + 0.20 * size

    completeness = mean share of examples that have each of: a system message, a user message, a
                   non-empty reference, an agent, a category, a task type
    uniqueness   = 1 - (examples in near-duplicate clusters - clusters) / examples
                   (redundant copies still in the dataset; 1 after deduplication)
    diversity    = mean(distinct-2 of the references, normalised entropy of TF-IDF cluster sizes)
    balance      = mean normalised entropy of the agent and task-type distributions
                   (those with at least two values; 1 when there is none)
    size         = min(1, log10(train examples) / 3)   (10 -> 0.33, 100 -> 0.67, 1,000+ -> 1)

Normalised entropy is H(p) / log(k) for k values: 1 when all are equally common, near 0 when one dominates.
Training readiness: "not ready" below 10 training examples (the OpenAI minimum) or with an empty split;
"ready with warnings" when there are recommendations; "ready" otherwise.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.text import word_tokens

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["QUALITY_FORMULA", "QualityReport", "compute_quality"]

QUALITY_FORMULA = (
    "score = 0.25*completeness + 0.20*uniqueness + 0.20*diversity + 0.15*balance + 0.20*size; "
    "completeness = mean share of examples with system msg, user msg, reference, agent, category, task type; "
    "uniqueness = 1 - (examples in near-duplicate clusters - clusters)/examples; "
    "diversity = mean(distinct-2 of references, normalised entropy of TF-IDF cluster sizes); "
    "balance = mean normalised entropy of agents and task types; size = min(1, log10(train)/3)"
)
WEIGHTS = {"completeness": 0.25, "uniqueness": 0.20, "diversity": 0.20, "balance": 0.15, "size": 0.20}
MIN_TRAIN = 10
SAMPLE = 5000
"""Diversity measures use at most this many examples (seeded), so versions of different sizes compare."""


def normalised_entropy(counts: Sequence[int]) -> float | None:
    """H(p)/log(k) of a count vector; None for fewer than two non-zero values."""
    values = [c for c in counts if c > 0]
    if len(values) < 2:
        return None
    total = sum(values)
    h = -sum(c / total * math.log(c / total) for c in values)
    return h / math.log(len(values))


def _stats(values: Sequence[float]) -> dict[str, float] | None:
    import numpy as np

    if not len(values):
        return None
    arr = np.asarray(values, dtype=float)
    return {
        "min": float(arr.min()),
        "max": float(arr.max()),
        "mean": round(float(arr.mean()), 4),
        "median": float(np.median(arr)),
        "p10": round(float(np.quantile(arr, 0.1)), 4),
        "p90": round(float(np.quantile(arr, 0.9)), 4),
    }


def _distinct_n(texts: Sequence[str], n: int) -> float:
    grams: set[tuple[str, ...]] = set()
    total = 0
    for text in texts:
        tokens = [t.lower() for t in word_tokens(text)]
        for i in range(len(tokens) - n + 1):
            grams.add(tuple(tokens[i : i + n]))
            total += 1
    return len(grams) / total if total else 0.0


def _type_token_ratio(texts: Sequence[str]) -> float:
    ratios = []
    for text in texts:
        tokens = [t.lower() for t in word_tokens(text) if t.isalnum()]
        if tokens:
            ratios.append(len(set(tokens)) / len(tokens))
    return sum(ratios) / len(ratios) if ratios else 0.0


def _clusters(prompts: Sequence[str], seed: int) -> tuple[list[int], list[list[str]]]:
    """TF-IDF + k-means cluster labels of the prompts, and each cluster's top terms."""
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(prompts)
    k = int(min(30, max(2, round(math.sqrt(n / 2)))))
    if n < 4:
        return [0] * n, [[]]
    vectorizer = TfidfVectorizer(max_features=20000, sublinear_tf=True, stop_words="english")
    try:
        matrix = vectorizer.fit_transform(prompts)
    except ValueError:  # no usable terms
        return [0] * n, [[]]
    k = min(k, matrix.shape[0] - 1)
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(matrix)
    terms = vectorizer.get_feature_names_out()
    top = [[str(terms[i]) for i in np.argsort(center)[::-1][:4]] for center in model.cluster_centers_]
    return [int(x) for x in model.labels_], top


@dataclass
class QualityReport:
    """Quality of a built dataset; ``as_dict()`` is what ``quality.json`` holds."""

    metrics: dict[str, Any]
    examples: pd.DataFrame = field(repr=False)
    """one row per example: id, split, kind, agent_name, category, task_type, tokens, turns, edit_distance, cluster"""

    @property
    def score(self) -> float:
        return float(self.metrics["score"]["value"])

    @property
    def readiness(self) -> str:
        return str(self.metrics["readiness"])

    @property
    def recommendations(self) -> list[str]:
        return list(self.metrics["recommendations"])

    def as_dict(self) -> dict[str, Any]:
        return self.metrics

    def frame(self) -> pd.DataFrame:
        """The headline numbers as a two-column table (metric, value)."""
        import pandas as pd

        m = self.metrics
        rows: list[tuple[str, Any]] = [("examples", m["counts"]["total"])]
        rows += [(f"examples ({k})", v) for k, v in m["counts"]["splits"].items()]
        rows += [("quality score", m["score"]["value"])]
        rows += [(f"  {k}", v) for k, v in m["score"]["components"].items()]
        rows += [("readiness", m["readiness"])]
        rows += [("completeness", m["completeness"]["overall"])]
        rows += [
            ("exact duplicate ratio", m["duplicates"]["exact_ratio"]),
            ("near duplicate ratio", m["duplicates"]["near_ratio"]),
        ]
        rows += [(f"diversity: {k}", v) for k, v in m["diversity"].items() if not isinstance(v, list | dict)]
        for dim, b in m["balance"].items():
            rows.append((f"balance {dim}: normalised entropy", b["normalised_entropy"]))
            rows.append((f"balance {dim}: largest share", b["largest_share"]))
        rows += [(f"PII {k}", v) for k, v in m["pii"].items()]
        if m.get("edits"):
            rows += [("edits: acceptance rate", m["edits"]["acceptance_rate"])]
        return pd.DataFrame(rows, columns=["metric", "value"])

    def figures(self) -> dict[str, Figure]:
        """Token lengths, turns, balance, cleaning, clusters and (edit data) edit distances."""
        from matplotlib.figure import Figure

        df = self.examples
        figs: dict[str, Figure] = {}
        fig = Figure(figsize=(7, 3.5), layout="constrained")
        ax = fig.add_subplot()
        for split in ("train", "validation", "test"):
            part = df.loc[df["split"] == split, "tokens"]
            if len(part):
                ax.hist(part, bins=40, alpha=0.6, label=f"{split} ({len(part)})")
        ax.set(title="Tokens per example", xlabel="tokens (cookbook count)", ylabel="examples")
        if len(df):
            ax.legend()
        figs["tokens"] = fig

        fig = Figure(figsize=(7, 3), layout="constrained")
        ax = fig.add_subplot()
        turns = df["turns"].value_counts().sort_index()
        ax.bar(turns.index.astype(int), turns.to_numpy())
        ax.set(title="Messages per example", xlabel="messages", ylabel="examples")
        figs["turns"] = fig

        fig = Figure(figsize=(7, 4.5), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, column in zip(axes, ("agent_name", "task_type"), strict=True):
            shares = df[column].fillna("(none)").value_counts(normalize=True).head(20)[::-1]
            ax.barh(shares.index.astype(str), shares.to_numpy())
            ax.set(title=f"Share by {column.replace('_', ' ')}", xlabel="share")
            ax.tick_params(axis="y", labelsize=7)
        figs["balance"] = fig

        cleaning = self.metrics["cleaning_summary"]
        fig = Figure(figsize=(7, 3), layout="constrained")
        ax = fig.add_subplot()
        labels = list(cleaning)
        ax.barh(labels[::-1], [cleaning[k] for k in labels][::-1])
        ax.set(title="Cleaning: what was removed or redacted", xlabel="count")
        figs["cleaning"] = fig

        sizes = df["cluster"].value_counts().sort_values(ascending=False)
        fig = Figure(figsize=(7, 3), layout="constrained")
        ax = fig.add_subplot()
        ax.bar(range(len(sizes)), sizes.to_numpy())
        k = self.metrics["gaps"]["k"]
        ax.axhline(k, color="red", linestyle="--", label=f"gap threshold k={k}")
        ax.set(title="TF-IDF topic clusters of the prompts", xlabel="cluster (largest first)", ylabel="examples")
        ax.legend()
        figs["clusters"] = fig

        distances = df["edit_distance"].dropna()
        if len(distances):
            fig = Figure(figsize=(7, 3), layout="constrained")
            ax = fig.add_subplot()
            ax.hist(distances, bins=30)
            ax.set(
                title="Edit distance between AI output and human final output",
                xlabel="normalised edit distance",
                ylabel="edits",
            )
            figs["edit_distance"] = fig
        return figs


def compute_quality(
    examples: Sequence[Mapping[str, Any]],
    split_of: Mapping[str, str],
    *,
    tokens: Mapping[str, int],
    cleaning: Mapping[str, Any],
    edit_info: Mapping[str, Mapping[str, Any]] | None = None,
    near_clusters: Sequence[Sequence[str]] = (),
    k: int = 5,
    seed: int = 0,
) -> QualityReport:
    """Compute the report for final examples (see the module docstring for the score)."""
    import random

    import pandas as pd

    edit_info = edit_info or {}
    cluster_rank = {eid: i for i, members in enumerate(near_clusters) for eid in members}
    sources = [e["source"] for e in examples]
    infos = [edit_info.get(e["id"], {}) for e in examples]
    ids = [e["id"] for e in examples]
    df = pd.DataFrame(  # built column by column: no dict per row
        {
            "id": ids,
            "split": [split_of[i] for i in ids],
            "kind": [src["kind"] for src in sources],
            "agent_name": [src.get("agent_name") for src in sources],
            "category": [src.get("category") for src in sources],
            "task_type": [src.get("task_type") for src in sources],
            "tokens": [tokens[i] for i in ids],
            "turns": [len(e["messages"]) for e in examples],
            "edit_distance": [info.get("edit_distance") for info in infos],
            "accepted": [info.get("accepted") for info in infos],
            "near_cluster": [cluster_rank.get(i) for i in ids],
        },
        columns=[
            "id",
            "split",
            "kind",
            "agent_name",
            "category",
            "task_type",
            "tokens",
            "turns",
            "edit_distance",
            "accepted",
            "near_cluster",
        ],
    )
    del sources, infos, ids
    n = len(df)
    rng = random.Random(seed)
    sample_idx = sorted(rng.sample(range(n), SAMPLE)) if n > SAMPLE else list(range(n))
    references = [examples[i]["reference"] for i in sample_idx]
    prompts = [
        " ".join(
            m["content"]
            for m in examples[i]["messages"][:-1]
            if m.get("role") == "user" and isinstance(m.get("content"), str)
        )
        for i in sample_idx
    ]
    labels, top_terms = _clusters(prompts, seed) if n else ([], [[]])
    cluster_col = pd.Series([-1] * n, dtype="int64")
    if n:
        cluster_col.iloc[sample_idx] = labels
    df["cluster"] = cluster_col.to_numpy()
    cluster_sizes = Counter(labels)

    # completeness
    def has(e: Mapping[str, Any], role: str) -> bool:
        return any(m.get("role") == role for m in e["messages"])

    fields = {
        "system_message": sum(has(e, "system") for e in examples),
        "user_message": sum(has(e, "user") for e in examples),
        "reference": sum(bool(str(e.get("reference") or "").strip()) for e in examples),
        "agent": int(df["agent_name"].notna().sum()),
        "category": int(df["category"].notna().sum()),
        "task_type": int(df["task_type"].notna().sum()),
    }
    completeness = {k2: round(v / n, 4) if n else 0.0 for k2, v in fields.items()}
    completeness_overall = round(sum(completeness.values()) / len(completeness), 4) if n else 0.0

    # duplicates
    candidates = int(cleaning.get("candidates", n)) or 1
    exact = int(cleaning.get("exact_duplicates", 0))
    near = int(cleaning.get("near_duplicates", 0))
    in_clusters = sum(len(c) for c in near_clusters)
    redundant = in_clusters - len(near_clusters)
    uniqueness = 1.0 - redundant / n if n else 0.0

    # diversity
    distinct1 = _distinct_n(references, 1)
    distinct2 = _distinct_n(references, 2)
    cluster_balance = normalised_entropy(list(cluster_sizes.values()))
    covered = sum(1 for s in cluster_sizes.values() if s >= k)
    diversity = {
        "distinct_1": round(distinct1, 4),
        "distinct_2": round(distinct2, 4),
        "type_token_ratio": round(_type_token_ratio(references), 4),
        "clusters": len(cluster_sizes),
        "cluster_coverage": round(covered / len(cluster_sizes), 4) if cluster_sizes else 0.0,
        "cluster_balance": round(cluster_balance, 4) if cluster_balance is not None else None,
        "sampled_examples": len(sample_idx),
    }
    diversity_score = (distinct2 + (cluster_balance if cluster_balance is not None else 1.0)) / 2

    # balance
    balance: dict[str, dict[str, Any]] = {}
    for dim, column in (("agents", "agent_name"), ("categories", "category"), ("task_types", "task_type")):
        counts = df[column].fillna("(none)").value_counts()
        ne = normalised_entropy(counts.tolist())
        balance[dim] = {
            "values": len(counts),
            "normalised_entropy": round(ne, 4) if ne is not None else None,
            "largest": str(counts.index[0]) if len(counts) else None,
            "largest_share": round(float(counts.iloc[0] / n), 4) if n else None,
            "counts": {str(k2): int(v) for k2, v in counts.items()},
        }
    entropies = [
        b["normalised_entropy"] for d, b in balance.items() if d != "categories" and b["normalised_entropy"] is not None
    ]
    balance_score = sum(entropies) / len(entropies) if entropies else 1.0

    # gaps
    task_counts = df["task_type"].dropna().value_counts()
    gaps = {
        "k": k,
        "task_types": {str(t): int(c) for t, c in task_counts.items() if c < k},
        "clusters": [
            {"cluster": int(c), "examples": int(s), "top_terms": top_terms[c] if c < len(top_terms) else []}
            for c, s in sorted(cluster_sizes.items())
            if s < k
        ],
    }

    split_counts = {s: int((df["split"] == s).sum()) for s in ("train", "validation", "test")}
    n_train = split_counts["train"]
    size_score = min(1.0, math.log10(n_train) / 3) if n_train > 1 else 0.0
    components = {
        "completeness": round(completeness_overall, 4),
        "uniqueness": round(uniqueness, 4),
        "diversity": round(diversity_score, 4),
        "balance": round(balance_score, 4),
        "size": round(size_score, 4),
    }
    score = round(sum(WEIGHTS[c] * v for c, v in components.items()), 4)

    edits = None
    edit_rows = df[df["kind"] == "edit"]
    if len(edit_rows):
        edits = {
            "examples": len(edit_rows),
            "acceptance_rate": round(float(edit_rows["accepted"].astype(bool).mean()), 4),
            "edit_distance": _stats(edit_rows["edit_distance"].dropna().tolist()),
            "preference_pairs": int(sum(1 for e in examples if e.get("rejected"))),
        }

    pii = {str(k2): int(v) for k2, v in sorted(dict(cleaning.get("pii", {})).items())}
    metrics: dict[str, Any] = {
        "counts": {
            "total": n,
            "splits": split_counts,
            "by_kind": {str(k2): int(v) for k2, v in df["kind"].value_counts().items()},
            "weight_0": int(sum(1 for e in examples if e.get("weight") == 0)),
        },
        "tokens": {s: _stats(df.loc[df["split"] == s, "tokens"].tolist()) for s in ("train", "validation", "test")}
        | {"all": _stats(df["tokens"].tolist())},
        "turns": _stats(df["turns"].tolist()),
        "completeness": {"overall": completeness_overall, "fields": completeness},
        "duplicates": {
            "candidates": candidates,
            "exact_removed": exact,
            "near_removed": near,
            "exact_ratio": round(exact / candidates, 4),
            "near_ratio": round(near / candidates, 4),
            "near_clusters_remaining": len(near_clusters),
        },
        "diversity": diversity,
        "balance": balance,
        "gaps": gaps,
        "pii": pii,
        "edits": edits,
        "cleaning_summary": {
            "exact duplicates": exact,
            "near duplicates": near,
            "token filter": int(cleaning.get("token_filtered", 0)),
            "sampled out (max_samples)": int(cleaning.get("sampled_out", 0)),
            **{f"PII {k2}": v for k2, v in pii.items()},
        },
        "score": {"value": score, "components": components, "weights": WEIGHTS, "formula": QUALITY_FORMULA},
    }
    recommendations = _recommend(metrics, cleaning)
    if n_train < MIN_TRAIN or not all(split_counts.values()):
        readiness = "not ready"
    elif recommendations:
        readiness = "ready with warnings"
    else:
        readiness = "ready"
    metrics["readiness"] = readiness
    metrics["recommendations"] = recommendations
    return QualityReport(metrics=metrics, examples=df)


def _recommend(m: Mapping[str, Any], cleaning: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    splits = m["counts"]["splits"]
    n_train = splits["train"]
    if n_train < MIN_TRAIN:
        out.append(
            f"Only {n_train} training examples: OpenAI needs at least {MIN_TRAIN}; widen the filters or add sources."
        )
    elif n_train < 50:
        out.append(
            f"{n_train} training examples: OpenAI suggests starting with 50-100; widen the filters or add sources."
        )
    for split in ("validation", "test"):
        if splits[split] == 0:
            out.append(f"The {split} split is empty: too few independent groups; add data or change the split shares.")
    for dim in ("agents", "task_types"):
        b = m["balance"][dim]
        if b["values"] > 1 and b["largest_share"] and b["largest_share"] > 0.5:
            out.append(
                f"{dim.replace('_', ' ').capitalize()[:-1]} {b['largest']!r} makes up {b['largest_share']:.0%} "
                "of the examples: cap it with max_samples (stratified) or build a dataset per agent."
            )
    gaps = m["gaps"]
    if gaps["task_types"]:
        names = ", ".join(list(gaps["task_types"])[:6])
        out.append(
            f"Task types with fewer than {gaps['k']} examples: {names}; "
            "collect more or leave them out (task_types filter)."
        )
    if gaps["clusters"]:
        examples = "; ".join(" ".join(c["top_terms"][:3]) for c in gaps["clusters"][:3])
        out.append(
            f"{len(gaps['clusters'])} topic clusters have fewer than {gaps['k']} examples (e.g. {examples}): "
            "the model will see little of them."
        )
    d = m["duplicates"]
    if d["exact_ratio"] + d["near_ratio"] > 0.1:
        out.append(
            f"{d['exact_ratio'] + d['near_ratio']:.0%} of the candidates were duplicates: "
            "check for double logging or retried requests."
        )
    if d["near_clusters_remaining"]:
        out.append(
            f"{d['near_clusters_remaining']} near-duplicate clusters remain (dedup_near is off): "
            "they inflate the weight of those examples."
        )
    if m["completeness"]["fields"].get("system_message", 1) < 0.5:
        share = 1 - m["completeness"]["fields"]["system_message"]
        out.append(
            f"{share:.0%} of examples have no system message: "
            "add the agent's system prompt so training matches production."
        )
    if m["completeness"]["fields"].get("task_type", 1) < 0.5:
        out.append(
            "Most examples have no task type: log task_type (runs), intent_type (edits) "
            "or metadata.task_type (conversations) for stratified splits."
        )
    if cleaning.get("token_filtered"):
        out.append(f"{cleaning['token_filtered']} examples were dropped by the token-length filters.")
    pii_total = sum(m["pii"].values())
    if pii_total:
        kinds = ", ".join(f"{v} {k}" for k, v in m["pii"].items())
        out.append(
            f"Redacted {pii_total} PII/secret values ({kinds}): spot-check the placeholders with `hone dataset show`."
        )
    edits = m.get("edits")
    if edits and edits["examples"] >= 20 and edits["preference_pairs"] < 0.1 * edits["examples"]:
        out.append(
            f"Only {edits['preference_pairs']} edits changed the AI output: "
            "too few pairs for preference (DPO) training."
        )
    return out
