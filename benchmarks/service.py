"""The collector service: batch throughput versus `hone ingest`, and single-event requests versus bare FastAPI.

In one run, on loopback, each server a uvicorn subprocess:

* **batches**: N run events sent as NDJSON in batches of 1,000 by 4 concurrent clients to ``POST /v1/runs``,
  timed from the first request until every event is acknowledged *and* flushed into the store; the peer is
  ``hone ingest`` of the same events from one JSONL file (the command, wall time; the in-process
  ``Store.ingest`` time is reported beside it);
* **single events**: R requests of one event each from 32 concurrent clients (threads of one process);
  requests per second and p50/p99 latency, against a bare FastAPI endpoint on uvicorn that reads the body
  and answers 202.

Targets (issue 12): both rates at least 0.5 of their peer. Progress on stderr, one JSON object last on stdout.

    python benchmarks/service.py [--events 100000] [--requests 3000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

BATCH = 1_000
TARGET = 0.5
BARE_APP = """
from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/v1/runs")
async def runs(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


@app.get("/v1/health")
async def health() -> dict:
    return {"status": "ok"}
"""


def log(message: str) -> None:
    print(f"[service bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def event(i: int) -> str:
    return json.dumps(
        {
            "id": f"run-{i:08d}",
            "timestamp": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "agent_name": f"agent-{i % 20}",
            "category": "customer_service",
            "task_type": "order_lookup",
            "model": "gpt-4o-mini",
            "input": f"Where is order {i}?",
            "output": f"Order {i} shipped yesterday and arrives on Friday.",
            "success": i % 7 != 0,
            "score": (i % 100) / 100,
            "latency_ms": 200 + i % 900,
            "tokens_in": 100 + i % 50,
            "tokens_out": 20 + i % 30,
        }
    )


def workspace(root: Path, name: str) -> Path:
    home = root / name
    home.mkdir(parents=True)
    (home / "hone.toml").write_text(
        "[service]\nrate_per_s = 1000000\nburst = 1000000\nflush_interval_s = 0.2\nmax_batch = 10000\n",
        encoding="utf-8",
    )
    return home


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, "HONE_HOME": str(home)}


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_hone(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agenthone.cli", "serve", "--port", str(port)],
        env=env_for(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc)
    return proc, url


def start_bare(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    (root / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc)
    return proc, url


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(120)


def api_key(home: Path) -> str:
    from agenthone.config import Settings
    from agenthone.service import create_key

    return create_key(Settings.load(home), name="bench", role="collector")[1]


def batches_through_service(root: Path, lines: list[str]) -> dict[str, Any]:
    home = workspace(root, "service-batches")
    token = api_key(home)
    proc, url = start_hone(home)
    bodies = ["\n".join(lines[i : i + BATCH]) + "\n" for i in range(0, len(lines), BATCH)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    statuses: list[int] = []

    def client(part: list[str]) -> None:
        with httpx.Client(base_url=url, timeout=120, headers=headers) as http:
            for body in part:
                statuses.append(http.post("/v1/runs", content=body).status_code)

    clients = 4
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [bodies[c::clients] for c in range(clients)]))
    acked = time.perf_counter() - started
    while True:
        health = httpx.get(url + "/v1/health", timeout=10).json()
        if health["backlog_total"] == 0 and health["flushed"]["accepted"] >= len(lines):
            break
        time.sleep(0.02)
    stored = time.perf_counter() - started
    stop(proc)
    assert statuses.count(200) == len(bodies), sorted(set(statuses))
    return {"seconds": round(stored, 3), "acknowledged_s": round(acked, 3), "events_per_s": round(len(lines) / stored)}


def hone_ingest(root: Path, path: Path, n: int) -> dict[str, Any]:
    home = workspace(root, "ingest-cli")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "agenthone.cli", "ingest", str(path), "--kind", "run", "--json"],
        env=env_for(home),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cli_s = time.perf_counter() - started
    from agenthone.config import Settings
    from agenthone.store import Store

    home2 = workspace(root, "ingest-lib")
    store = Store.open(Settings.load(home2))
    started = time.perf_counter()
    report = store.ingest(path, "run")
    lib_s = time.perf_counter() - started
    store.close()
    assert report.accepted == n
    return {
        "cli_seconds": round(cli_s, 3),
        "cli_events_per_s": round(n / cli_s),
        "in_process_seconds": round(lib_s, 3),
        "in_process_events_per_s": round(n / lib_s),
    }


def single_events(url: str, token: str | None, requests: int, clients: int = 32) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    statuses: list[int] = []

    def client(_: int) -> None:
        with httpx.Client(base_url=url, timeout=60, headers=headers) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                status = http.post("/v1/runs", content=event(10_000_000 + i)).status_code
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    statuses.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    seconds = time.perf_counter() - started
    assert all(s < 300 for s in statuses), sorted(set(statuses))
    latencies.sort()
    return {
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="hone-service-bench-"))
    root.mkdir(parents=True, exist_ok=True)

    log(f"generating {args.events:,} run events")
    lines = [event(i) for i in range(args.events)]
    path = root / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    log("hone ingest of the file (command and in-process)")
    peer = hone_ingest(root, path, args.events)
    log(f"  {peer}")
    log(f"POST /v1/runs in batches of {BATCH:,}, 4 clients, until flushed into the store")
    service = batches_through_service(root, lines)
    log(f"  {service}")

    log(f"single-event requests, 32 clients, {args.requests:,} requests: bare FastAPI 202")
    bare_proc, bare_url = start_bare(root)
    single_events(bare_url, None, min(300, args.requests))  # warm up
    bare = single_events(bare_url, None, args.requests)
    stop(bare_proc)
    log(f"  {bare}")
    log("single-event requests: hone serve")
    home = workspace(root, "service-single")
    token = api_key(home)
    proc, url = start_hone(home)
    single_events(url, token, min(300, args.requests))  # warm up
    hone = single_events(url, token, args.requests)
    stop(proc)
    log(f"  {hone}")

    batch_ratio = service["events_per_s"] / peer["cli_events_per_s"]
    batch_ratio_lib = service["events_per_s"] / peer["in_process_events_per_s"]
    single_ratio = hone["requests_per_s"] / bare["requests_per_s"]
    result = {
        "benchmark": "service",
        "events": args.events,
        "batch": BATCH,
        "service_batches": service,
        "hone_ingest": peer,
        "batch_ratio_vs_hone_ingest": round(batch_ratio, 3),
        "batch_ratio_vs_store_ingest_in_process": round(batch_ratio_lib, 3),
        "single_event_service": hone,
        "single_event_bare_fastapi": bare,
        "single_event_ratio": round(single_ratio, 3),
        "targets_met": {"batches": batch_ratio >= TARGET, "single_events": single_ratio >= TARGET},
        "summary": [
            {
                "figure": "POST batches / hone ingest",
                "value": round(batch_ratio, 3),
                "op": ">=",
                "target": TARGET,
                "unit": "x",
            },
            {
                "figure": "POST batches / Store.ingest in-process",
                "value": round(batch_ratio_lib, 3),
                "unit": "x",
            },
            {
                "figure": "single events / bare FastAPI",
                "value": round(single_ratio, 3),
                "op": ">=",
                "target": TARGET,
                "unit": "x",
            },
            {"figure": "single-event p99 latency", "value": hone["p99_ms"], "op": "<=", "target": 1000, "unit": "ms"},
        ],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
