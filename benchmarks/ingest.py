"""Ingestion throughput and memory: `hone ingest` versus DuckDB's own readers (the ceiling).

Generates N run records as JSON lines and as Parquet, then measures, each in a fresh process:

* ``hone ingest`` of the JSONL file and of the Parquet file into an empty workspace (records/s, peak RSS);
  DuckDB reads both files itself (see ``agenthone.store._native``), validates and inserts them;
* the ceiling: DuckDB's ``read_json`` / ``read_parquet`` of the same file into a table of a fresh database,
  under the same memory limit (records/s, peak RSS): the same reading and writing without validation,
  provenance, content hashes or idempotency.

Targets (issue 15): hone at least 0.8 of the ceiling's rate for both formats at 1M records; peak RSS under
1 GB.
Prints progress to stderr and one JSON object as the last line of stdout.

    python benchmarks/ingest.py [--records 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "scan",
    "report",
    "vulnerability",
    "dependency",
    "package",
    "version",
    "update",
    "customer",
    "order",
    "refund",
    "shipping",
    "product",
    "description",
    "campaign",
    "audience",
    "brand",
    "tone",
    "plugin",
    "wordpress",
    "theme",
    "security",
    "header",
    "cookie",
    "policy",
    "invoice",
    "summary",
    "analysis",
    "latency",
    "token",
    "model",
    "prompt",
    "response",
    "error",
    "retry",
    "cache",
    "database",
    "index",
    "query",
    "user",
    "session",
]
AGENTS = [
    ("vuln-scanner", "core_security"),
    ("secret-detector", "core_security"),
    ("threat-summarizer", "ai_intelligence"),
    ("trend-analyst", "ai_intelligence"),
    ("product-copywriter", "ecommerce"),
    ("order-assistant", "ecommerce"),
    ("seo-optimizer", "marketing_brand"),
    ("brand-voice", "marketing_brand"),
    ("wp-plugin-auditor", "wordpress_cms"),
    ("wp-content-editor", "wordpress_cms"),
    ("support-triage", "customer_service"),
    ("refund-helper", "customer_service"),
    ("legal-reviewer", "specialized"),
    ("sql-tutor", "specialized"),
]
MODELS = [("gpt-4o-mini", 0.15e-6, 0.6e-6), ("gpt-4o", 2.5e-6, 10e-6), ("claude-3-5-sonnet", 3e-6, 15e-6)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    words = WORDS
    with path.open("w", encoding="utf-8", buffering=1 << 20) as fh:
        for i in range(n):
            agent, category = AGENTS[i % len(AGENTS)]
            model, pin, pout = MODELS[rng.randrange(3)]
            tin, tout = rng.randint(50, 2000), rng.randint(20, 800)
            success = rng.random() < 0.86
            record = {
                "id": f"run-{i:08d}",
                "timestamp": f"2026-{8 + i % 3:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
                "agent_id": f"ag-{i % len(AGENTS):02d}",
                "agent_name": agent,
                "category": category,
                "task_type": f"task-{i % 5}",
                "model": model,
                "prompt_version": f"v{1 + i % 3}",
                "session_id": f"s-{i // 6}",
                "input": " ".join(rng.choices(words, k=rng.randint(8, 40))),
                "output": " ".join(rng.choices(words, k=rng.randint(20, 80))),
                "success": success,
                "score": round(rng.random() * 0.5 + (0.5 if success else 0.0), 3),
                "latency_ms": round(rng.lognormvariate(7.2, 0.6), 1),
                "tokens_in": tin,
                "tokens_out": tout,
                "cost_usd": round(tin * pin + tout * pout, 8),
                "user_feedback": round(rng.random(), 2) if i % 5 == 0 else None,
            }
            if i % 10 == 0:
                record["region"] = rng.choice(["eu-west-1", "us-east-1", "ap-south-1"])
            fh.write(json.dumps(record) + "\n")


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of a command run in its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, out


CEILING = """
import duckdb, json, sys, time
fmt, path, db, memory = sys.argv[1:5]
con = duckdb.connect(db, config={"memory_limit": memory})
con.execute("SET enable_progress_bar = false")
reader = "read_json(?, format='newline_delimited')" if fmt == "jsonl" else "read_parquet(?)"
t = time.perf_counter()
con.execute(f"CREATE TABLE runs AS SELECT * FROM {reader}", [path])
seconds = time.perf_counter() - t
n = con.execute("SELECT count(*) FROM runs").fetchone()[0]
print(json.dumps({"seconds": seconds, "records": n}))
"""


TO_PARQUET = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(
    "COPY (SELECT * FROM read_json(?, format='newline_delimited')) TO ? (FORMAT parquet)", [sys.argv[1], sys.argv[2]]
)
"""


def bench_format(fmt: str, path: Path, work: Path, *, n: int, memory: str, repeats: int) -> dict[str, float]:
    """Alternate hone and the ceiling ``repeats`` times (this machine is noisy) and keep medians."""
    script = work / "ceiling.py"
    script.write_text(CEILING)
    hone_s, hone_wall, hone_rss, ceil_s, ceil_rss = [], [], [], [], []
    for rep in range(repeats):
        ws = work / f"ws-{fmt}-{rep}"
        ws.mkdir()
        env = {**os.environ, "HONE_HOME": str(ws), "HONE_DUCKDB_MEMORY_LIMIT": memory}
        hone = [sys.executable, "-m", "agenthone.cli", "ingest", str(path), "--kind", "run", "--json"]
        wall, rss, out = measured(hone, env)
        report = json.loads(out)
        assert report["accepted"] == n, report
        hone_s.append(report["files"][0]["seconds"])
        hone_wall.append(wall)
        hone_rss.append(rss)
        db = work / f"ceiling-{fmt}-{rep}.duckdb"
        _, c_rss, c_out = measured([sys.executable, str(script), fmt, str(path), str(db), memory])
        ceiling = json.loads(c_out)
        assert ceiling["records"] == n
        ceil_s.append(ceiling["seconds"])
        ceil_rss.append(c_rss)
        log(
            f"  {fmt} rep {rep + 1}: hone {hone_s[-1]:.2f} s ({rss:.0f} MB),"
            f" ceiling {ceil_s[-1]:.2f} s ({c_rss:.0f} MB)"
        )
        shutil.rmtree(ws)
        db.unlink()
    seconds, c_seconds = statistics.median(hone_s), statistics.median(ceil_s)
    return {
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "repeats": repeats,
        "hone_seconds": round(seconds, 3),
        "hone_wall_seconds": round(statistics.median(hone_wall), 3),
        "hone_records_per_s": round(n / seconds),
        "hone_peak_rss_mb": round(max(hone_rss)),
        "ceiling_seconds": round(c_seconds, 3),
        "ceiling_records_per_s": round(n / c_seconds),
        "ceiling_peak_rss_mb": round(max(ceil_rss)),
        "ratio_of_ceiling": round(c_seconds / seconds, 3),
    }


CAPTURE = """
import datetime as dt, json, statistics, sys, time
from pathlib import Path
import duckdb
from agenthone import Workbench
from agenthone.store._schema import record_columns
from agenthone.records import kind_of
work, n, repeats = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(line) for line in sys.stdin]
for r in rows:
    r.pop("id"); r.pop("region", None)
cols = [c for c, _ in record_columns(kind_of("run"))]
ours, peer = [], []
for rep in range(repeats):
    with Workbench.open(work / f"cap-{rep}") as wb:
        wb.store.counts()  # opened and warm, like a notebook that logs as it goes
        t = time.perf_counter()
        for r in rows:
            wb.log_run(**r)
        wb.store.flush()
        ours.append(time.perf_counter() - t)
        assert wb.store.counts()["runs"] == n
    con = duckdb.connect(str(work / f"peer-{rep}.duckdb"))
    con.execute("CREATE TABLE runs (" + ", ".join(f'"{c}" {t}' for c, t in record_columns(kind_of("run"))) + ")")
    names = [c for c in cols if c in rows[0] or c == "id"]
    sql = f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    t = time.perf_counter()
    for i, r in enumerate(rows):
        con.execute(sql, [f"run-{i}" if c == "id" else r[c] for c in names])
    peer.append(time.perf_counter() - t)
    con.close()
print(json.dumps({"ours_s": statistics.median(ours), "peer_s": statistics.median(peer)}))
"""


def bench_capture(jsonl: Path, work: Path, *, n: int, repeats: int) -> dict[str, float]:
    """``wb.log_run`` of n rows (flushed) against n single-row prepared INSERTs of the same rows, in one process."""
    with jsonl.open(encoding="utf-8") as fh:
        head = "".join(line for _, line in zip(range(n), fh, strict=False))
    env = {**os.environ, "HONE_HOME": str(work / "capture-home")}
    out = subprocess.run(
        [sys.executable, "-c", CAPTURE, str(work), str(n), str(repeats)],
        input=head, capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    log(f"  log_run x{n}: {figures['ours_s']:.3f} s, prepared INSERT x{n}: {figures['peer_s']:.3f} s")
    return {
        "calls": n,
        "log_run_seconds": round(figures["ours_s"], 4),
        "prepared_insert_seconds": round(figures["peer_s"], 4),
        "ratio_to_prepared_insert": round(figures["ours_s"] / figures["peer_s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory limit for both sides (hone's default)")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repetitions; medians are reported")
    parser.add_argument("--captures", type=int, default=1000, help="live log_run calls timed against prepared INSERTs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        jsonl = work / "runs.jsonl"
        log(f"generating {args.records:,} run records ...")
        generate(jsonl, args.records)
        parquet = work / "runs.parquet"
        # converted in a child process: a parent that grew large would inflate its children's peak RSS
        subprocess.run([sys.executable, "-c", TO_PARQUET, str(jsonl), str(parquet)], check=True)
        results = {
            "records": args.records,
            "memory_limit": args.memory_limit,
            "jsonl": bench_format("jsonl", jsonl, work, n=args.records, memory=args.memory_limit, repeats=args.repeats),
            "parquet": bench_format(
                "parquet", parquet, work, n=args.records, memory=args.memory_limit, repeats=args.repeats
            ),
        }
        results["capture"] = bench_capture(jsonl, work, n=args.captures, repeats=args.repeats)
    results["targets"] = {"min_ratio_of_ceiling": 0.8, "max_peak_rss_mb": 1024}
    results["meets_targets"] = bool(
        results["jsonl"]["ratio_of_ceiling"] >= 0.8
        and results["parquet"]["ratio_of_ceiling"] >= 0.8
        and results["jsonl"]["hone_peak_rss_mb"] < 1024
        and results["parquet"]["hone_peak_rss_mb"] < 1024
    )
    results["summary"] = [
        {"figure": "JSONL ingest / read_json", "value": results["jsonl"]["ratio_of_ceiling"], "op": ">=",
         "target": 0.8, "unit": "x"},
        {"figure": "Parquet ingest / read_parquet", "value": results["parquet"]["ratio_of_ceiling"], "op": ">=",
         "target": 0.8, "unit": "x"},
        {"figure": "JSONL ingest peak RSS", "value": results["jsonl"]["hone_peak_rss_mb"], "op": "<=",
         "target": 1024, "unit": "MB"},
        {"figure": "1,000 log_run / prepared INSERTs", "value": results["capture"]["ratio_to_prepared_insert"],
         "op": "<=", "target": 3.0, "unit": "x"},
        {"figure": "Parquet ingest peak RSS", "value": results["parquet"]["hone_peak_rss_mb"], "op": "<=",
         "target": 1024, "unit": "MB"},
    ]  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
