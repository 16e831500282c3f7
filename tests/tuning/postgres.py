"""A real PostgreSQL server and a real MLflow tracking server on loopback, for the several-workers test.

PostgreSQL refuses to run as root, so as root the server runs as ``nobody`` (``runuser``) in a folder that
user owns. The binaries are found on PATH or under ``/usr/lib/postgresql/*/bin``; as root on Debian they are
installed with apt-get when absent. The test is skipped, saying why, only when none can be had.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


def postgres_binaries() -> Path:
    """The folder of initdb/pg_ctl (installed with apt-get when absent and possible), else skip the test."""
    folder = _bin_dir()
    if folder is None and os.geteuid() == 0 and shutil.which("apt-get"):
        with contextlib.suppress(Exception):
            subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, capture_output=True,
                           timeout=600, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip
        folder = _bin_dir()
    if folder is None:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin) "
                    "and could not be installed with apt-get")  # fmt: skip
    return folder


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("PostgreSQL refuses to run as root and runuser is missing")
    return [runuser, "-u", "nobody", "--", *cmd]


@contextlib.contextmanager
def postgres_server(root: Path) -> Iterator[str]:
    """A fresh PostgreSQL cluster on a free loopback port; yields the URL of database ``postgres``."""
    bins = postgres_binaries()
    root.mkdir(parents=True, exist_ok=True)
    (root / "sock").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
        shutil.chown(root / "sock", "nobody")
        root.chmod(0o755)
        for parent in root.parents:  # nobody must be able to reach its folder
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
    port = free_port()
    data = root / "data"
    subprocess.run(_as_server_user([str(bins / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    options = f"-p {port} -k {root / 'sock'} -h 127.0.0.1"
    ctl = str(bins / "pg_ctl")
    subprocess.run(_as_server_user([ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([ctl, "-D", str(data), "-m", "fast", "stop"]), capture_output=True, timeout=60)


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url``; returns its URL."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def mlflow_server(backend: str, artifacts: Path, log: Path) -> Iterator[str]:
    """``mlflow server`` with ``backend`` as its store, serving artifacts from ``artifacts``; yields its URL."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    cmd = [str(mlflow) if mlflow.exists() else "mlflow", "server", "--backend-store-uri", backend,
           "--artifacts-destination", str(artifacts), "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1"]  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
