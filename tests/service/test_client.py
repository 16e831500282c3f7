"""``agenthone.client.Collector``: background batches, retries, and a disk buffer while the service is down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agenthone.client import Collector
from agenthone.config import Settings
from agenthone.store import Store
from tests.service.conftest import free_port, start_server


def test_buffers_while_down_then_delivers_everything_once(
    workspace: Path, keys: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    collector = Collector(
        f"http://127.0.0.1:{port}",
        api_key=keys["collector"],
        buffer_dir=tmp_path / "buffer",
        batch_size=20,
        flush_interval=0.1,
        max_retries=1,
        backoff=0.05,
    )
    ids = [collector.log_run(agent_name="support-bot", success=i % 3 != 0, latency_ms=10 + i) for i in range(50)]
    assert collector.flush(timeout=30)
    assert collector.pending_on_disk() >= 2 and collector.stats.retries >= 1
    server = start_server(workspace, port)
    try:
        ids += [collector.log_run(agent_name="support-bot", success=True) for _ in range(10)]
        deadline = time.monotonic() + 30
        while collector.pending_on_disk() and time.monotonic() < deadline:
            collector.flush(timeout=10)
            time.sleep(0.05)
        collector.close()
        assert collector.pending_on_disk() == 0
        assert collector.stats.accepted == 60 and collector.stats.rejected == 0
    finally:
        assert server.stop() in (0, -15)
    store = Store.open(Settings.load(workspace), read_only=True)
    try:
        stored = sorted(store.sql("SELECT id FROM runs")["id"])
    finally:
        store.close()
    assert stored == sorted(ids)


def test_bad_kind_and_closed_collector_are_clear_errors(tmp_path: Path) -> None:
    collector = Collector("http://127.0.0.1:9", buffer_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown record kind"):
        collector.log("trace", {})
    collector.close(timeout=5)
    with pytest.raises(RuntimeError, match="closed"):
        collector.log_run(agent_name="x")


def test_rate_limited_batches_are_retried_after_retry_after(
    workspace: Path, keys: dict[str, str], tmp_path: Path
) -> None:
    (workspace / "hone.toml").write_text("[service]\nrate_per_s = 2\nburst = 1\n", encoding="utf-8")
    server = start_server(workspace)
    try:
        with Collector(server.url, api_key=keys["collector"], buffer_dir=tmp_path, batch_size=5, backoff=0.1) as c:
            for i in range(15):
                c.log_run(id=f"limited-{i}", agent_name="support-bot", timestamp="2026-11-02T10:00:00Z")
            assert c.flush(timeout=60)
        assert c.stats.accepted == 15 and c.stats.retries >= 1 and c.stats.buffered_batches == 0
    finally:
        server.stop()
