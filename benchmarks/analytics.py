"""Benchmark of agent analytics on the large sample (>= 1M runs, >= 100k edits).

Times, warm (second and later calls in one process), the 30-day summary, the 90-day daily trends and the
regression alerts of ``agenthone.analytics`` side by side with a straightforward pandas implementation of
the same numbers from the same store, asserts that both agree, and measures edit-pattern mining throughput.

    python benchmarks/analytics.py [--seed 0] [--repeats 7] [--cache DIR]

Fair to both sides: the pandas peer computes every number our functions return (all the columns of the
summary and of the daily trends, empty days included; the alert statistics), from data loaded once, with the
edit distance of each edit computed once at load (ours caches it too); it uses a numpy Holm correction
because statsmodels' ``multipletests`` calls ``gc.collect()`` on every call. Timings are interleaved (ours,
pandas, pandas, ours, ...) so both sides see the same machine load; the medians of wall and CPU time are
reported, with the ratios.

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


def agree(ours: pd.DataFrame, peer: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    """Every number of ``columns`` equal (counts exactly, the rest to 1e-9, NaN where the other is NaN)."""
    ours, peer = ours.sort_index(), peer.sort_index()
    assert len(ours) == len(peer) and (ours.index == peer.index).all(), f"{what}: different rows"
    for col in columns:
        a, b = ours[col].to_numpy(), peer[col].to_numpy()
        if a.dtype.kind in "iub":
            assert (a == b.astype(a.dtype)).all(), f"{what}: {col}"
        else:
            np.testing.assert_allclose(
                a.astype(float), b.astype(float), rtol=1e-9, atol=1e-12, err_msg=f"{what}: {col}"
            )


Timings = dict[str, list[tuple[float, float]]]


def interleaved(
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]], repeats: int
) -> tuple[Timings, Timings, dict[str, tuple[Any, Any]]]:
    """Warm (wall, CPU) seconds of ours and the peer, measured in alternation: round after round, each task
    runs ours then pandas (pandas then ours on odd rounds), so both sides see the same machine load. One
    warm-up call each first; returns the timings and the results of the warm-up calls.

    CPU is the process's CPU time (every thread: DuckDB's workers included), the work done whatever the
    machine's load; wall time is what a user waits.
    """
    ours: Timings = {name: [] for name in pairs}
    peer: Timings = {name: [] for name in pairs}
    results = {name: (o(), p()) for name, (o, p) in pairs.items()}
    for round_ in range(repeats):
        for name, (ours_fn, peer_fn) in pairs.items():
            sides = [(ours[name], ours_fn), (peer[name], peer_fn)]
            for times, fn in sides if round_ % 2 == 0 else sides[::-1]:
                wall, cpu = time.perf_counter(), time.process_time()
                fn()
                times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return ours, peer, results


# -- the pandas peer: the same numbers, written the way one would in a notebook ----------------------
#
# The peer gets the data loaded once (runs, edits and each edit's normalised edit distance, computed once
# with the same function the analytics use, as a notebook would keep it in a column), then computes every
# number our function returns, with vectorised groupby/agg.

Z95 = 1.959963984540054


def _wilson(k: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    n = n.where(n > 0)
    p = k / n
    centre = (p + Z95 * Z95 / (2 * n)) / (1 + Z95 * Z95 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n)) / (1 + Z95 * Z95 / n)
    return (centre - half).clip(0, 1), (centre + half).clip(0, 1)


def _run_numbers(g: Any) -> pd.DataFrame:
    return pd.DataFrame(
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


def _edit_numbers(g: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {"edits": g.size(), "accepted": g["accepted"].sum(), "edit_distance_mean": g["edit_distance"].mean()}
    )


def _rates(out: pd.DataFrame) -> pd.DataFrame:
    for col in ("runs", "successes", "success_n", "edits", "accepted"):
        out[col] = out[col].fillna(0).astype("int64")
    out["success_rate"] = out["successes"] / out["success_n"].where(out["success_n"] > 0)
    out["success_low"], out["success_high"] = _wilson(out["successes"], out["success_n"])
    out["cost_per_run"] = out["cost_usd"] / out["runs"].where(out["runs"] > 0)
    out["acceptance_rate"] = out["accepted"] / out["edits"].where(out["edits"] > 0)
    out["acceptance_low"], out["acceptance_high"] = _wilson(out["accepted"], out["edits"])
    return out


def pandas_summary(runs: pd.DataFrame, edits: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    r = runs[(runs["timestamp"] >= start) & (runs["timestamp"] < end)]
    e = edits[(edits["timestamp"] >= start) & (edits["timestamp"] < end)]
    out = _run_numbers(r.groupby("agent_name")).join(_edit_numbers(e.groupby("agent_name")), how="outer")
    return _rates(out)


def pandas_trends(runs: pd.DataFrame, edits: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    r = runs[(runs["timestamp"] >= start) & (runs["timestamp"] < end)]
    r = r.assign(period=r["timestamp"].dt.floor("D"))
    e = edits[(edits["timestamp"] >= start) & (edits["timestamp"] < end)]
    e = e.assign(period=e["timestamp"].dt.floor("D"))
    keys = ["agent_name", "period"]
    out = _run_numbers(r.groupby(keys)).join(_edit_numbers(e.groupby(keys)), how="outer")
    # every day of the window for every agent, then the day-over-day change of each rate
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    out = out.reindex(pd.MultiIndex.from_product([out.index.unique("agent_name"), days], names=keys))
    out = _rates(out)
    out["success_change"] = out.groupby(level="agent_name")["success_rate"].diff()
    out["acceptance_change"] = out.groupby(level="agent_name")["acceptance_rate"].diff()
    return out


def _holm(p: pd.Series) -> pd.Series:
    """Holm step-down adjusted p-values (statsmodels' multipletests runs gc.collect() on every call)."""
    valid = p.dropna().sort_values(kind="stable")
    m = len(valid)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * valid.to_numpy()))
    return pd.Series(adjusted, index=valid.index).reindex(p.index)


def pandas_alerts(
    runs: pd.DataFrame, edits: pd.DataFrame, recent_start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    from scipy.stats import norm

    base_start = recent_start - pd.Timedelta(days=28)
    frames = []
    for metric, frame, flag in (("acceptance", edits, "accepted"), ("success", runs, "success")):
        f = frame[(frame["timestamp"] >= base_start) & (frame["timestamp"] < end)]
        recent = f["timestamp"] >= recent_start
        recent_counts = f[recent].groupby("agent_name")[flag].agg(["sum", "count"])
        base_counts = f[~recent].groupby("agent_name")[flag].agg(["sum", "count"])
        both = recent_counts.join(base_counts, how="outer", suffixes=("", "_b")).fillna(0)
        frames.append(both.assign(metric=metric))
    df = pd.concat(frames).rename_axis("agent").reset_index()
    k1, n1, k0, n0 = df["sum"], df["count"], df["sum_b"], df["count_b"]
    df["recent_rate"], df["baseline_rate"] = k1 / n1.where(n1 > 0), k0 / n0.where(n0 > 0)
    pooled = (k1 + k0) / (n1 + n0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    z = (df["recent_rate"] - df["baseline_rate"]) / se
    p = pd.Series(np.where(se > 0, norm.cdf(z), 1.0), index=df.index)
    df["p_adjusted"] = _holm(p.where((n1 >= 30) & (n0 >= 30)))
    _, high = _wilson(k1, n1)
    df["recent_n"] = n1.astype("int64")
    df["alert"] = ((df["baseline_rate"] - df["recent_rate"] > 0.10) & (df["p_adjusted"] < 0.05)) | (
        (n1 >= 30) & (high < 0.70)
    )
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7, help="interleaved timing rounds (median reported)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "agenthone-bench-analytics")
    args = parser.parse_args()

    from agenthone.analytics import alerts, performance, resolve_window, trends
    from agenthone.analytics._measures import cache_path
    from agenthone.analytics._performance import EDIT_COLUMNS, RUN_COLUMNS
    from agenthone.analytics.edits import mine_patterns, split_edits
    from agenthone.store import Store
    from agenthone.text import normalized_edit_distances

    db = prepare(args.cache, args.seed)
    store = Store(db, read_only=True, memory_limit="4GB")
    counts = store.counts()
    log(f"store: {counts['runs']:,} runs, {counts['edits']:,} edits")
    fresh_cache = not cache_path(store).exists()

    # pandas: load what it needs from the same store once (and measure each edit once, as ours caches)
    started = time.perf_counter()
    runs = store.sql(
        "SELECT agent_name, timestamp, success, score, latency_ms, tokens_in, tokens_out, cost_usd, user_feedback"
        " FROM runs"
    )
    edits = store.sql("SELECT agent_name, timestamp, accepted, ai_output, final_output FROM edits")
    pandas_load_s = time.perf_counter() - started
    started = time.perf_counter()
    edits["edit_distance"] = normalized_edit_distances(zip(edits["ai_output"], edits["final_output"], strict=True))
    pandas_measure_s = time.perf_counter() - started
    log(f"pandas: loaded {len(runs):,} runs and {len(edits):,} edits in {pandas_load_s:.1f} s")
    log(f"pandas: measured the edit distance of every edit once in {pandas_measure_s:.1f} s")

    # ours: the first call of each in this process (compiles its query; measures and caches the window's
    # edits if the cache is cold); the timed calls are warm
    first: dict[str, float] = {}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("summary_30d", lambda: performance(store, range="30d")),
        ("trends_90d_daily", lambda: trends(store, range="90d", freq="D")),
        ("alerts", lambda: alerts(store, include_ok=True)),
    ]
    for name, fn in calls:
        started = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - started
    log("ours, first call in the process (s): " + ", ".join(f"{k} {v:.3f}" for k, v in first.items()))

    w30, w90, w7 = (resolve_window(store, r) for r in ("30d", "90d", "7d"))
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "summary_30d": (
            lambda: performance(store, range="30d"),
            lambda: pandas_summary(runs, edits, w30.start, w30.end),
        ),
        "trends_90d_daily": (
            lambda: trends(store, range="90d", freq="D"),
            lambda: pandas_trends(runs, edits, w90.start, w90.end),
        ),
        "alerts": (
            lambda: alerts(store, include_ok=True),
            lambda: pandas_alerts(runs, edits, w7.start, w7.end),
        ),
    }
    log(f"timing {args.repeats} interleaved rounds (ours and pandas alternately, warm)")
    ours_t, peer_t, results = interleaved(pairs, args.repeats)
    ours = {k: statistics.median(w for w, _ in v) for k, v in ours_t.items()}
    peer = {k: statistics.median(w for w, _ in v) for k, v in peer_t.items()}
    ours_cpu = {k: statistics.median(c for _, c in v) for k, v in ours_t.items()}
    peer_cpu = {k: statistics.median(c for _, c in v) for k, v in peer_t.items()}
    paired = {k: statistics.median(p[0] / o[0] for o, p in zip(ours_t[k], peer_t[k], strict=True)) for k in pairs}
    log("ours (warm, median s): " + ", ".join(f"{k} {v:.4f}" for k, v in ours.items()))
    log("pandas (warm, data in memory, median s): " + ", ".join(f"{k} {v:.4f}" for k, v in peer.items()))
    log("CPU s, ours / pandas: " + ", ".join(f"{k} {ours_cpu[k]:.4f} / {peer_cpu[k]:.4f}" for k in pairs))

    # the results must agree, every number
    summary, p_summary = results["summary_30d"]
    agree(summary.set_index("agent"), p_summary, RUN_COLUMNS + EDIT_COLUMNS, "summary")
    trend, p_trend = results["trends_90d_daily"]
    assert len(trend) == len(p_trend), (len(trend), len(p_trend))
    agree(
        trend.set_index(["agent", "period"]),
        p_trend,
        RUN_COLUMNS + EDIT_COLUMNS + ("success_change", "acceptance_change"),
        "trends",
    )
    found, p_alerts = results["alerts"]
    agree(
        found.set_index(["agent", "metric"]),
        p_alerts.set_index(["agent", "metric"]),
        ("recent_rate", "baseline_rate", "recent_n", "p_adjusted", "alert"),
        "alerts",
    )
    ours_alerts = sorted(map(tuple, found.loc[found["alert"], ["agent", "metric"]].to_numpy()))
    log(f"results agree; alerts: {ours_alerts}")

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

    speedup = {k: peer[k] / ours[k] for k in ours}
    result = {
        "benchmark": "analytics",
        "seed": args.seed,
        "runs": counts["runs"],
        "edits": counts["edits"],
        "rounds": args.repeats,
        "ours_s": {k: round(v, 4) for k, v in ours.items()},
        "pandas_s": {k: round(v, 4) for k, v in peer.items()},
        "speedup_vs_pandas": {k: round(v, 1) for k, v in speedup.items()},
        "speedup_vs_pandas_paired_median": {k: round(v, 1) for k, v in paired.items()},
        "ours_cpu_s": {k: round(v, 4) for k, v in ours_cpu.items()},
        "pandas_cpu_s": {k: round(v, 4) for k, v in peer_cpu.items()},
        "cpu_ratio_vs_pandas": {k: round(peer_cpu[k] / ours_cpu[k], 1) for k in ours_cpu},
        "pandas_load_s": round(pandas_load_s, 2),
        "pandas_edit_distance_once_s": round(pandas_measure_s, 2),
        "speedup_vs_pandas_with_load": {k: round((peer[k] + pandas_load_s) / ours[k], 1) for k in ours},
        "ours_first_call_s": {k: round(v, 3) for k, v in first.items()},
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
            "speedup": {k: v >= TARGET_SPEEDUP for k, v in speedup.items()},
            "mining": edits_per_s >= TARGET_EDITS_PER_S,
        },
    }
    result["summary"] = [
        {"figure": "summary 30d warm", "value": round(ours["summary_30d"], 4), "op": "<=", "target": TARGET_SUMMARY_S,
         "unit": "s"},
        *({"figure": f"{k} vs pandas", "value": round(v, 2), "op": ">=", "target": TARGET_SPEEDUP, "unit": "x"}
          for k, v in speedup.items()),
        {"figure": "edit-pattern mining", "value": round(edits_per_s), "op": ">=", "target": TARGET_EDITS_PER_S,
         "unit": "edits/s"},
    ]  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
