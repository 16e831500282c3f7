"""No acknowledged event is lost or stored twice: a load test, and SIGKILL in the middle of one."""

from __future__ import annotations

import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenthone.config import Settings
from agenthone.store import Store
from tests.service.conftest import Server, bearer, run_record, start_server

pytestmark = pytest.mark.xdist_group("service-load")


def _body(ids: range) -> bytes:
    return ("\n".join(json.dumps(run_record(i, output=f"answer {i}")) for i in ids) + "\n").encode()


def _store_counts(settings: Settings) -> tuple[int, int]:
    store = Store.open(settings, read_only=True)
    try:
        row = store.sql("SELECT count(*) AS n, count(DISTINCT id) AS d FROM runs").iloc[0]
        return int(row["n"]), int(row["d"])
    finally:
        store.close()


def _ids_in_store(settings: Settings, ids: list[str]) -> int:
    store = Store.open(settings, read_only=True)
    try:
        with store.locked() as con:
            con.execute("CREATE TEMP TABLE acked (id VARCHAR)")
            con.executemany("INSERT INTO acked VALUES (?)", [[i] for i in ids])
            return int(con.execute("SELECT count(*) FROM runs SEMI JOIN acked USING (id)").fetchone()[0])  # type: ignore[index]
    finally:
        store.close()


def test_load_8_clients_100k_events(server: Server, keys: dict[str, str], settings: Settings) -> None:
    clients, total, batch = 8, 100_000, 1_000
    statuses: list[int] = []
    accepted: list[int] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60, headers=bearer(keys["collector"])) as http:
            for start in range(c * batch, total, clients * batch):
                answer = http.post(
                    "/v1/runs",
                    content=_body(range(start, start + batch)),
                    headers={"Content-Type": "application/x-ndjson"},
                )
                with lock:
                    statuses.append(answer.status_code)
                    if answer.status_code == 200:
                        accepted.append(answer.json()["accepted"])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    assert statuses.count(200) == total // batch, sorted(set(statuses))
    assert sum(accepted) == total
    assert server.stop() in (0, -15)  # SIGTERM: a graceful stop flushes the spool first
    assert _store_counts(settings) == (total, total)


def test_sigkill_mid_load_loses_no_acknowledged_event(
    workspace: Path, keys: dict[str, str], settings: Settings
) -> None:
    (workspace / "hone.toml").write_text("[service]\nflush_interval_s = 0.1\n", encoding="utf-8")
    srv = start_server(workspace)
    acked: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()
    batch = 500

    def client(c: int) -> None:
        with httpx.Client(base_url=srv.url, timeout=30, headers=bearer(keys["collector"])) as http:
            for n in range(20):
                start = (c * 20 + n) * batch
                try:
                    answer = http.post(
                        "/v1/runs",
                        content=_body(range(start, start + batch)),
                        headers={"Content-Type": "application/x-ndjson"},
                    )
                except httpx.HTTPError:
                    return
                if answer.status_code != 200:
                    return
                with lock:
                    acked.extend(f"run-{i}" for i in range(start, start + batch))
                    if len(acked) >= 8_000 and not killed.is_set():
                        killed.set()
                        srv.proc.send_signal(signal.SIGKILL)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(client, range(4)))
    assert killed.is_set(), "the load ended before the kill"
    srv.proc.wait(30)
    restarted = start_server(workspace)  # flushes what the killed process left in the spool
    assert restarted.stop() in (0, -15)
    n, distinct = _store_counts(settings)
    assert n == distinct, "an event is stored twice"
    assert _ids_in_store(settings, acked) == len(acked), "an acknowledged event is missing"


def test_events_wait_in_the_spool_while_another_process_holds_the_store(
    app_client: Any, keys: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import time

    release = tmp_path / "release"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib\n"
            "from agenthone.config import Settings\nfrom agenthone.store import Store\n"
            "s = Store.open(Settings.load(sys.argv[1]))\nprint('held', flush=True)\n"
            "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.05)\ns.close()\n",
            str(settings.home),
            str(release),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        h = bearer(keys["collector"])
        assert app_client.post("/v1/runs", json=[run_record(i) for i in range(5)], headers=h).json()["accepted"] == 5
        core = app_client.app.state.core
        assert core.flush() is None  # the store is busy: nothing lost, nothing moved
        health = app_client.get("/v1/health").json()
        assert (
            health["store_busy"] and health["backlog"]["run"] == 5 and "another process" in health["last_flush_error"]
        )
        busy = app_client.get("/v1/agents", headers=bearer(keys["viewer"]))
        assert busy.status_code == 503 and busy.headers["Retry-After"]
    finally:
        release.touch()
        holder.wait(30)
    deadline = time.monotonic() + 30
    while app_client.get("/v1/health").json()["backlog_total"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _store_counts(settings) == (5, 5)


def test_a_burst_is_flushed_when_it_ends_a_trickle_at_the_pace(settings: Settings) -> None:
    import time

    from agenthone.service import CollectorCore

    core = CollectorCore(settings)
    try:
        now = time.monotonic()
        core.spool.append("run", [json.dumps(run_record(i)) for i in range(3)])
        core._flush_ended = now - 0.6  # more than half an interval of 1 s ago
        core.spool.last_append = now - 0.05
        assert not core._flush_due(1.0)  # a trickle waits for the interval
        core._flush_ended = now - 1.0
        assert not core._flush_due(1.0)  # the first event waited less than an interval
        core.spool.first_append = now - 1.0
        assert core._flush_due(1.0)
        core.spool.append("run", [json.dumps(run_record(i)) for i in range(3, 1003)])
        core._flush_ended = now - 0.6
        core.spool.last_append = now - 0.05
        assert core._flush_due(1.0)  # a burst of 1,000 events has ended
        with core.receiving("run"):
            assert not core._flush_due(1.0)  # ... not while a request is in flight
        core.spool.last_append = time.monotonic()
        assert not core._flush_due(1.0)  # ... nor right after an append
        core.spool.last_append = now - 0.05
        core._flush_ended = now - 0.2
        assert not core._flush_due(1.0)  # ... nor within half an interval of the previous flush
        core.spool.append("run", [json.dumps(run_record(i)) for i in range(1003, 11003)])
        core.spool.last_append = now - 0.05
        assert core._flush_due(1.0)  # ... unless 10,000 events are waiting
        assert core.flush() is not None and core.flushed["accepted"] == 11003
        assert not core._flush_due(1.0) and core.spool.unsealed == 0
    finally:
        core.validator.close()
        core.spool.close()


def test_a_burst_that_ends_during_a_flush_is_taken_by_that_flush(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agenthone.service import CollectorCore

    core = CollectorCore(settings)
    sealed = core.spool.flush
    rounds: list[int] = []
    last_batch = [[json.dumps(run_record(i)) for i in range(10, 15)]]

    def flush_while_a_burst_ends(*args: Any, **kwargs: Any) -> Any:
        result = sealed(*args, **kwargs)
        if last_batch:  # the last batch of a burst arrives while the first segment is ingested
            core.spool.append("run", last_batch.pop())
            core.spool.last_append -= 1.0
        rounds.append(result.accepted)
        return result

    monkeypatch.setattr(core.spool, "flush", flush_while_a_burst_ends)
    try:
        core.spool.append("run", [json.dumps(run_record(i)) for i in range(10)])
        result = core.flush()
        assert result is not None and rounds == [10, 5] and result.accepted == 15 and result.files == 2
        assert core.spool.backlog["run"] == 0 and core.flushed["accepted"] == 15
        with core.receiving("run"):  # a request in flight: the flush leaves its events for the next one
            rounds.clear()
            core.spool.append("run", [json.dumps(run_record(20))])
            core.flush()
            core.spool.append("run", [json.dumps(run_record(21))])
        assert rounds == [1] and core.spool.backlog["run"] == 1
    finally:
        core.validator.close()
        core.spool.close()
