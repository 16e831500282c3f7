"""Fixtures of the collector service tests: keys, an in-process client, a real uvicorn server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenthone.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_record(i: int | str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"run-{i}",
        "timestamp": "2026-11-02T10:00:00Z",
        "agent_name": "support-bot",
        "success": True,
        "latency_ms": 120,
        **fields,
    }


@pytest.fixture
def settings(workspace: Path) -> Settings:
    return Settings.load(workspace)


@pytest.fixture
def keys(settings: Settings) -> dict[str, str]:
    """A token per role, plus one collector restricted to agent 'support-bot'."""
    from agenthone.service import create_key

    tokens = {
        role: create_key(settings, name=f"{role}-key", role=role)[1]
        for role in ("collector", "viewer", "engineer", "admin")
    }
    tokens["restricted"] = create_key(settings, name="narrow", role="collector", agents=["support-bot"])[1]
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Server:
    """A ``hone serve`` subprocess on a free loopback port."""

    home: Path
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


def start_server(home: Path, port: int | None = None, *, wait: float = 60) -> Server:
    port = port or free_port()
    log = home / f"serve-{port}-{time.time_ns()}.log"
    env = {**os.environ, "HONE_HOME": str(home)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agenthone.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(home, port, proc, log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hone serve exited: {log.read_text()}")
        try:
            if httpx.get(server.url + "/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"hone serve did not answer: {log.read_text()}")


@pytest.fixture
def server(workspace: Path, keys: dict[str, str]) -> Iterator[Server]:
    srv = start_server(workspace)
    yield srv
    srv.stop(signal.SIGKILL if srv.proc.poll() is None else signal.SIGTERM)


@pytest.fixture
def app_client(settings: Settings, keys: dict[str, str]) -> Iterator[Any]:
    """The app in process (lifespan included) behind Starlette's test client."""
    from fastapi.testclient import TestClient

    from agenthone.service import create_app

    with TestClient(create_app(settings)) as client:
        yield client


def wait_flushed(client: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        health: dict[str, Any] = client.get("/v1/health").json()
        if health["backlog_total"] == 0 or time.monotonic() > deadline:
            return health
        time.sleep(0.1)
