"""Benchmark of agent analytics on the large sample (>= 1M runs, >= 100k edits).

Times, warm (second and later calls in one process), the 30-day summary, the 90-day daily trends and the
regression alerts of ``agenthone.analytics`` side by side with a straightforward pandas implementation of
the same numbers from the same store, asserts that both agree, and measures edit-pattern mining throughput.

    python benchmarks/analytics.py [--seed 0] [--repeats 5] [--cache DIR]

The sample and its ingested store are cached under the temp folder, keyed by seed, so reruns start at once.
Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TARGET_SUMMARY_S = 1.0
TARGET_SPEEDUP = 5.0
TARGET_EDITS_PER_S = 2000.0


def log(message: str) -> None:
    print(f"[analytics bench] {message}", file=sys.stderr, flush=True)


def prepare(cache: Path, seed: int) -> Path:
    """The large sample, generated and ingested once per seed."""
    from agenthone.sample import generate_sample
    from agenthone.store import Store

    folder = cache / f"large-seed{seed}"
    db = folder / "store.duckdb"
    done = folder / "ingested.ok"
    if done.exists():
        log(f"reusing {db}")
        return db
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "ground_truth.json").exists():
        log("generating the large sample (once per seed)")
        started = time.perf_counter()
        generate_sample(folder, seed=seed, scale="large")
        log(f"generated in {time.perf_counter() - started:.0f} s")
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(db, memory_limit="4GB") as store:
        for kind, name in (("run", "runs.jsonl"), ("edit", "edits.jsonl")):
            report = store.ingest(folder / name, kind)
            log(f"ingested {report.accepted:,} {kind}s")
    log(f"ingested in {time.perf_counter() - started:.0f} s")
    done.write_text("ok")
    return db


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` warm calls (after one warm-up call), and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


# -- the pandas peer: the same numbers, written the way one would in a notebook ----------------------


def pandas_summary(runs: pd.DataFrame, edits: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    from agenthone.text import normalized_edit_distances

    r = runs[(runs["timestamp"] >= start) & (runs["timestamp"] < end)]
    g = r.groupby("agent_name")
    out = pd.DataFrame(
        {
            "runs": g.size(),
            "successes": g["success"].sum(),
            "success_n": g["success"].count(),
            "score_mean": g["score"].mean(),
            "score_median": g["score"].median(),
            "latency_p50": g["latency_ms"].quantile(0.5),
            "latency_p95": g["latency_ms"].quantile(0.95),
            "tokens_in_mean": g["tokens_in"].mean(),
            "tokens_out_mean": g["tokens_out"].mean(),
            "cost_usd": g["cost_usd"].sum(),
            "feedback_mean": g["user_feedback"].mean(),
        }
    )
    e = edits[(edits["timestamp"] >= start) & (edits["timestamp"] < end)].copy()
    e["edit_distance"] = normalized_edit_distances(zip(e["ai_output"], e["final_output"], strict=True))
    ge = e.groupby("agent_name")
    out = out.join(
        pd.DataFrame(
            {"edits": ge.size(), "accepted": ge["accepted"].sum(), "edit_distance_mean": ge["edit_distance"].mean()}
        ),
        how="outer",
    )
    out["success_rate"] = out["successes"] / out["success_n"]
    out["acceptance_rate"] = out["accepted"] / out["edits"]
    return out


def pandas_trends(runs: pd.DataFrame, edits: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    r = runs[(runs["timestamp"] >= start) & (runs["timestamp"] < end)]
    r = r.assign(period=r["timestamp"].dt.floor("D"))
    g = r.groupby(["agent_name", "period"])
    out = pd.DataFrame(
        {"runs": g.size(), "successes": g["success"].sum(), "latency_p50": g["latency_ms"].quantile(0.5)}
    )
    e = edits[(edits["timestamp"] >= start) & (edits["timestamp"] < end)]
    e = e.assign(period=e["timestamp"].dt.floor("D"))
    ge = e.groupby(["agent_name", "period"])
    out = out.join(pd.DataFrame({"edits": ge.size(), "accepted": ge["accepted"].sum()}), how="outer")
    return out


def pandas_alerts(
    runs: pd.DataFrame, edits: pd.DataFrame, recent_start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    base_start = recent_start - pd.Timedelta(days=28)
    rows = []
    for metric, frame, flag in (("acceptance", edits, "accepted"), ("success", runs, "success")):
        f = frame[(frame["timestamp"] >= base_start) & (frame["timestamp"] < end)]
        recent = f[f["timestamp"] >= recent_start].groupby("agent_name")[flag].agg(["sum", "count"])
        base = f[f["timestamp"] < recent_start].groupby("agent_name")[flag].agg(["sum", "count"])
        both = recent.join(base, lsuffix="_r", rsuffix="_b", how="outer").fillna(0)
        for agent, x in both.iterrows():
            p1, p0 = (
                x["sum_r"] / x["count_r"] if x["count_r"] else np.nan,
                x["sum_b"] / x["count_b"] if x["count_b"] else np.nan,
            )
            p = np.nan
            if x["count_r"] >= 30 and x["count_b"] >= 30:
                pooled = (x["sum_r"] + x["sum_b"]) / (x["count_r"] + x["count_b"])
                se = np.sqrt(pooled * (1 - pooled) * (1 / x["count_r"] + 1 / x["count_b"]))
                p = norm.cdf((p1 - p0) / se) if se else 1.0
            rows.append(
                {
                    "agent": agent,
                    "metric": metric,
                    "recent_rate": p1,
                    "baseline_rate": p0,
                    "recent_n": x["count_r"],
                    "p": p,
                }
            )
    df = pd.DataFrame(rows)
    ok = df["p"].notna()
    df.loc[ok, "p_adjusted"] = multipletests(df.loc[ok, "p"], method="holm")[1]
    z = 1.959963984540054
    n = df["recent_n"]
    centre = (df["recent_rate"] + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(df["recent_rate"] * (1 - df["recent_rate"]) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    df["alert"] = ((df["baseline_rate"] - df["recent_rate"] > 0.10) & (df["p_adjusted"] < 0.05)) | (
        (n >= 30) & (centre + half < 0.70)
    )
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "agenthone-bench-analytics")
    args = parser.parse_args()

    from agenthone.analytics import alerts, performance, resolve_window, trends
    from agenthone.analytics._measures import cache_path
    from agenthone.analytics.edits import mine_patterns, split_edits
    from agenthone.store import Store

    db = prepare(args.cache, args.seed)
    store = Store(db, read_only=True, memory_limit="4GB")
    counts = store.counts()
    log(f"store: {counts['runs']:,} runs, {counts['edits']:,} edits")
    fresh_cache = not cache_path(store).exists()

    # ours: the first call measures (and caches) every edit of the window; the timed calls are warm
    started = time.perf_counter()
    performance(store, range="30d")
    first_summary_s = time.perf_counter() - started
    log(f"first 30-day summary (cold edit-measure cache: {fresh_cache}): {first_summary_s:.2f} s")
    ours: dict[str, float] = {}
    ours["summary_30d"], summary = timed(lambda: performance(store, range="30d"), args.repeats)
    ours["trends_90d_daily"], trend = timed(lambda: trends(store, range="90d", freq="D"), args.repeats)
    ours["alerts"], found = timed(lambda: alerts(store, include_ok=True), args.repeats)
    log("ours (warm, median s): " + ", ".join(f"{k} {v:.3f}" for k, v in ours.items()))

    # pandas: load what it needs from the same store once, then compute the same numbers
    started = time.perf_counter()
    runs = store.sql(
        "SELECT agent_name, timestamp, success, score, latency_ms, tokens_in, tokens_out, cost_usd, user_feedback"
        " FROM runs"
    )
    edits = store.sql("SELECT agent_name, timestamp, accepted, ai_output, final_output FROM edits")
    pandas_load_s = time.perf_counter() - started
    log(f"pandas: loaded {len(runs):,} runs and {len(edits):,} edits in {pandas_load_s:.1f} s")
    w30 = resolve_window(store, "30d")
    w90 = resolve_window(store, "90d")
    w7 = resolve_window(store, "7d")
    peer: dict[str, float] = {}
    peer["summary_30d"], p_summary = timed(
        lambda: pandas_summary(runs, edits, w30.start, w30.end), max(1, args.repeats // 2)
    )
    peer["trends_90d_daily"], p_trend = timed(
        lambda: pandas_trends(runs, edits, w90.start, w90.end), max(1, args.repeats // 2)
    )
    peer["alerts"], p_alerts = timed(lambda: pandas_alerts(runs, edits, w7.start, w7.end), max(1, args.repeats // 2))
    log("pandas (warm, data in memory, median s): " + ", ".join(f"{k} {v:.3f}" for k, v in peer.items()))

    # the results must agree
    ours_s = summary.set_index("agent").sort_index()
    p_summary = p_summary.sort_index()
    for col in ("runs", "successes", "edits", "accepted"):
        assert (ours_s[col].to_numpy() == p_summary[col].fillna(0).astype(int).to_numpy()).all(), col
    for col in (
        "success_rate",
        "score_mean",
        "score_median",
        "latency_p50",
        "latency_p95",
        "tokens_in_mean",
        "cost_usd",
        "feedback_mean",
        "acceptance_rate",
        "edit_distance_mean",
    ):
        np.testing.assert_allclose(
            ours_s[col].to_numpy(float), p_summary[col].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=col
        )
    t = trend[(trend["runs"] > 0) | (trend["edits"] > 0)].set_index(["agent", "period"]).sort_index()
    p_trend = p_trend.sort_index()
    assert len(t) == len(p_trend), (len(t), len(p_trend))
    for col in ("runs", "successes", "edits", "accepted"):
        assert (t[col].to_numpy() == p_trend[col].fillna(0).astype(int).to_numpy()).all(), col
    np.testing.assert_allclose(t["latency_p50"].to_numpy(float), p_trend["latency_p50"].to_numpy(float), rtol=1e-9)
    ours_alerts = set(map(tuple, found.loc[found["alert"], ["agent", "metric"]].to_numpy()))
    peer_alerts = set(map(tuple, p_alerts.loc[p_alerts["alert"], ["agent", "metric"]].to_numpy()))
    assert ours_alerts == peer_alerts, (ours_alerts, peer_alerts)
    log(f"results agree; alerts: {sorted(ours_alerts)}")

    # edit-pattern mining throughput over every agent's edits (diff + n-gram statistics)
    all_edits = store.sql(
        "SELECT id, agent_name, ai_output, final_output FROM edits ORDER BY agent_name, timestamp, id"
    )
    started = time.perf_counter()
    mined = 0
    top: dict[str, str] = {}
    for agent, g in all_edits.groupby("agent_name", sort=True):
        patterns = mine_patterns(split_edits(g["id"].tolist(), g["ai_output"].tolist(), g["final_output"].tolist()))
        mined += len(g)
        if len(patterns):
            top[str(agent)] = f"{patterns.iloc[0]['kind']}: {patterns.iloc[0]['pattern']}"
    mining_s = time.perf_counter() - started
    edits_per_s = mined / mining_s
    log(f"mined patterns of {mined:,} edits in {mining_s:.1f} s ({edits_per_s:,.0f} edits/s)")
    store.close()

    result = {
        "benchmark": "analytics",
        "seed": args.seed,
        "runs": counts["runs"],
        "edits": counts["edits"],
        "ours_s": {k: round(v, 4) for k, v in ours.items()},
        "pandas_s": {k: round(v, 4) for k, v in peer.items()},
        "pandas_load_s": round(pandas_load_s, 2),
        "speedup_vs_pandas": {k: round(peer[k] / ours[k], 1) for k in ours},
        "speedup_vs_pandas_with_load": {k: round((peer[k] + pandas_load_s) / ours[k], 1) for k in ours},
        "first_summary_s": round(first_summary_s, 2),
        "edit_cache_was_cold": fresh_cache,
        "pattern_mining_edits_per_s": round(edits_per_s),
        "pattern_mining_s": round(mining_s, 1),
        "top_patterns": top,
        "results_agree": True,
        "targets": {
            "summary_30d_under_s": TARGET_SUMMARY_S,
            "speedup_at_least": TARGET_SPEEDUP,
            "mining_edits_per_s_at_least": TARGET_EDITS_PER_S,
        },
        "targets_met": {
            "summary_30d": ours["summary_30d"] < TARGET_SUMMARY_S,
            "speedup": all(peer[k] / ours[k] >= TARGET_SPEEDUP for k in ours),
            "mining": edits_per_s >= TARGET_EDITS_PER_S,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
