"""Experiments benchmark: what the peeking-safe test costs in sample size, and how fast analysis and assignment are.

1. Expected sample size to a decision, sequential (mSPRT, tau = the MDE, looked at after every 1% of the
   fixed horizon) against the fixed-horizon two-proportion z-test, at equal alpha (0.05) and equal power
   (80% at the planned effect: the sequential test is run up to the horizon that gives it that power, found
   by simulation on separate paths). Reported at the planned effect and at twice it, as a ratio of the
   fixed horizon; plus both tests' false-positive rates in an A/A test read every day for 28 days.
2. Analysis time of an experiment with 1M exposures (two arms, one row per unit): Welch's test, the
   sequential test, the SRM check and CUPED on a pre-period covariate, from per-unit arrays.
3. ``assign`` calls per second, single-threaded, on distinct unit ids: the pure hash, and the service's
   ``Experiments.assign`` that also records the exposure (buffered writes to the store).
4. The whole ``analyze`` of an experiment with 1M units read from a real store (per-unit frame built in
   DuckDB from the runs' metadata, every metric tested, SRM, decision).

    python benchmarks/experiments.py [--seed 0] [--paths 4000] [--units 1000000] [--repeats 5]
                                     [--store-units 1000000] [--workdir DIR]

Progress goes to stderr; the last line of stdout is one JSON object with the figures, targets and flags.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from agenthone.experiments._assign import assign
from agenthone.experiments._stats import (
    cuped,
    default_tau,
    msprt_p_value,
    proportion_p_values,
    required_sample_size,
    sequential_test,
    srm_check,
    welch_test,
)

TARGET_RATIO_AT_2X = 0.6
TARGET_ANALYSIS_S = 2.0
ALPHA, POWER = 0.05, 0.8
BASELINE, MDE = 0.30, 0.10  # acceptance 30%, +10% relative planned


def log(message: str) -> None:
    print(f"[experiments bench] {message}", file=sys.stderr, flush=True)


def stopping_looks(rng: np.random.Generator, rate_t: float, paths: int, step: int, looks: int) -> np.ndarray:
    """Index of the first look at which the mSPRT rejects, per path (``looks`` where it never does)."""
    tau = default_tau(baseline=BASELINE, mde=MDE)
    k_c = rng.binomial(step, BASELINE, size=(paths, looks)).cumsum(axis=1)
    k_t = rng.binomial(step, rate_t, size=(paths, looks)).cumsum(axis=1)
    n = step * np.arange(1, looks + 1)
    pc, pt = k_c / n, k_t / n
    reject = msprt_p_value(pt - pc, pc * (1 - pc) / n + pt * (1 - pt) / n, tau) <= ALPHA
    return np.where(reject.any(axis=1), reject.argmax(axis=1), looks)


def sample_sizes(rng: np.random.Generator, paths: int) -> dict[str, Any]:
    n_fixed = required_sample_size(baseline=BASELINE, mde=MDE, alpha=ALPHA, power=POWER)
    step = max(1, n_fixed // 100)
    looks = 6 * n_fixed // step  # room up to 6x the fixed horizon
    rate = BASELINE * (1 + MDE)
    calibration = stopping_looks(rng, rate, paths, step, looks)
    horizon_look = int(np.quantile(calibration, POWER, method="higher"))  # 80% of paths decided by then
    horizon = (horizon_look + 1) * step
    out: dict[str, Any] = {
        "baseline": BASELINE,
        "mde_relative": MDE,
        "fixed_n_per_arm": n_fixed,
        "look_every_n_per_arm": step,
        "sequential_max_n_per_arm": horizon,
        "sequential_max_over_fixed": round(horizon / n_fixed, 3),
    }
    for label, factor in (("planned_effect", 1.0), ("twice_the_effect", 2.0)):
        stops = stopping_looks(rng, BASELINE * (1 + factor * MDE), paths, step, horizon_look + 1)
        n_used = (np.minimum(stops, horizon_look) + 1) * step
        out[label] = {
            "expected_n_per_arm": round(float(n_used.mean())),
            "ratio_to_fixed": round(float(n_used.mean()) / n_fixed, 3),
            "sequential_power": round(float((stops <= horizon_look).mean()), 3),
        }
        log(f"{label}: E[N] {n_used.mean():.0f} per arm vs fixed {n_fixed}")
    return out


def peeking(rng: np.random.Generator, paths: int, days: int = 28) -> dict[str, float]:
    """A/A false-positive rates when both tests are read every day until the fixed horizon."""
    per_day = math.ceil(required_sample_size(baseline=BASELINE, mde=MDE) / days)
    k_c = rng.binomial(per_day, BASELINE, size=(paths, days)).cumsum(axis=1)
    k_t = rng.binomial(per_day, BASELINE, size=(paths, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    pc, pt = k_c / n, k_t / n
    seq = msprt_p_value(pt - pc, pc * (1 - pc) / n + pt * (1 - pt) / n, default_tau(baseline=BASELINE, mde=MDE))
    return {
        "fixed_read_once": round(float((proportion_p_values(k_c[:, -1], n[-1], k_t[:, -1], n[-1]) < ALPHA).mean()), 4),
        "fixed_read_daily": round(float((proportion_p_values(k_c, n, k_t, n) < ALPHA).any(axis=1).mean()), 4),
        "sequential_read_daily": round(float((seq <= ALPHA).any(axis=1).mean()), 4),
    }


def analysis_time(rng: np.random.Generator, units: int, repeats: int) -> float:
    """Median seconds for Welch + sequential + SRM + CUPED on one metric of ``units`` exposures."""
    treated = rng.random(units) < 0.5
    pre = rng.gamma(2.0, 10.0, units)
    y = 0.7 * pre + rng.normal(0, 8, units) + 0.5 * treated
    accepted = (rng.random(units) < np.where(treated, 0.33, 0.30)).astype(float)

    def analyse() -> None:
        adjusted, _ = cuped(y, pre)
        welch_test(adjusted[~treated], adjusted[treated], metric="score")
        sequential_test(adjusted[~treated], adjusted[treated], mde=0.5, metric="score")
        sequential_test(accepted[~treated], accepted[treated], kind="proportion", mde=0.03, metric="acceptance")
        n_t = int(treated.sum())
        srm_check({"control": units - n_t, "treatment": n_t}, {"control": 0.5, "treatment": 0.5})

    analyse()  # warm: scipy's imports
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        analyse()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def store_analysis(units: int, repeats: int, workdir: Path) -> dict[str, Any]:
    """The whole ``analyze`` of an experiment with ``units`` exposed units read from a real store.

    One run per unit (success, latency, cost; variant and unit in its metadata), ingested once as a user would
    (``hone ingest``); then the per-unit frame is built in DuckDB and every metric tested, median of ``repeats``.
    Also ``Experiments.assign`` (hash + buffered exposure write) on distinct units, calls per second.
    """
    from agenthone.experiments import Experiments
    from agenthone.store import Store

    rng = np.random.default_rng(1)
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "runs.jsonl"
    treated = rng.random(units) < 0.5
    success = rng.random(units) < np.where(treated, 0.62, 0.60)
    latency = rng.gamma(4.0, 150.0, units)
    with logs.open("w", encoding="utf-8") as fh:
        for i in range(units):
            variant = "treatment" if treated[i] else "control"
            fh.write(
                json.dumps(
                    {
                        "id": f"r{i}",
                        "timestamp": f"2026-10-{1 + i % 28:02d}T12:00:00Z",
                        "agent_name": "bench-agent",
                        "session_id": f"s{i}",
                        "success": bool(success[i]),
                        "latency_ms": round(float(latency[i]), 1),
                        "cost_usd": 0.001,
                        "metadata": {"experiment": "bench", "variant": variant, "unit": f"u{i}"},
                    }
                )
                + "\n"
            )
    db = workdir / "bench.duckdb"
    db.unlink(missing_ok=True)
    with Store(db, memory_limit="2GB") as store:
        started = time.perf_counter()
        store.ingest(logs, "run")
        ingest_s = time.perf_counter() - started
        experiments = Experiments(store)
        experiments.analyze("bench")  # warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            analysis = experiments.analyze("bench")
            times.append(time.perf_counter() - started)
        experiments.create(
            name="live", agent="bench-agent", variants=["control", "treatment"], primary_metric="success"
        )
        count = 100_000
        started = time.perf_counter()
        for i in range(count):
            experiments.assign("live", f"new-{i}")
        experiments.flush()
        assign_s = time.perf_counter() - started
    return {
        "units": analysis.units,
        "ingest_s": round(ingest_s, 2),
        "analyze_s": round(statistics.median(times), 3),
        "decision": analysis.decision.action,
        "recorded_assign_per_s": round(count / assign_s),
    }


def assign_rate(count: int, repeats: int) -> float:
    ids = [f"user-{i}" for i in range(count)]
    variants, weights = ["control", "treatment"], [0.5, 0.5]
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for unit in ids:
            assign("prompt-ab", unit, variants, weights)
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paths", type=int, default=4000, help="simulated experiments per effect size")
    parser.add_argument("--units", type=int, default=1_000_000, help="exposures of the analysed experiment")
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds (median reported)")
    parser.add_argument("--store-units", type=int, default=1_000_000, help="units of the experiment read from a store")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "agenthone-bench-experiments")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    log("simulating sample size to a decision")
    sizes = sample_sizes(rng, args.paths)
    fpr = peeking(rng, args.paths)
    log(f"A/A false positives: {fpr}")
    log(f"analysing {args.units:,} exposures")
    analysis_s = analysis_time(rng, args.units, args.repeats)
    log("timing assign")
    per_s = assign_rate(200_000, args.repeats)
    log(f"analysing an experiment of {args.store_units:,} units from a store")
    from_store = store_analysis(args.store_units, max(1, args.repeats // 2), args.workdir)
    log(f"from the store: {from_store}")

    ratio_2x = sizes["twice_the_effect"]["ratio_to_fixed"]
    result = {
        "benchmark": "experiments",
        "seed": args.seed,
        "paths": args.paths,
        "alpha": ALPHA,
        "power": POWER,
        "sample_size": sizes,
        "aa_false_positive_rate": fpr,
        "analysis_units": args.units,
        "analysis_s": round(analysis_s, 3),
        "assign_per_s": round(per_s),
        "from_store": from_store,
        "targets": {"ratio_at_twice_the_effect_at_most": TARGET_RATIO_AT_2X, "analysis_under_s": TARGET_ANALYSIS_S},
        "targets_met": {
            "ratio_at_twice_the_effect": ratio_2x <= TARGET_RATIO_AT_2X,
            "analysis": analysis_s < TARGET_ANALYSIS_S,
            "analysis_from_store": from_store["analyze_s"] < TARGET_ANALYSIS_S,
        },
    }
    result["summary"] = [
        {"figure": "sample size at 2x effect / fixed", "value": ratio_2x, "op": "<=", "target": TARGET_RATIO_AT_2X,
         "unit": "x"},
        {"figure": "analysis of 1M units", "value": round(analysis_s, 3), "op": "<=", "target": TARGET_ANALYSIS_S,
         "unit": "s"},
        {"figure": "analysis from the store", "value": from_store["analyze_s"], "op": "<=",
         "target": TARGET_ANALYSIS_S, "unit": "s"},
    ]  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
