"""A crash in the middle of a file leaves the store exactly as it was before that file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agenthone.store import Store
from tests.conftest import run_record, write_jsonl

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agenthone.store import Store, _ingest, _readers

    native = sys.argv[3] == "native"
    if not native:
        _ingest.native_source = lambda *args: None  # the Python reader, in chunks
    _readers.CHUNK_BYTES = 64 << 10  # many chunks, so the kill lands between two of them
    store = Store(Path(sys.argv[1]))
    chunks = 0

    def progress(path):
        def update(done, total):
            global chunks
            chunks += 1
            print(f"chunk {chunks} {done}/{total}", flush=True)
            if chunks == (1 if native else 3):
                # rows of 3 chunks (natively: of the whole file) are inserted but not committed: kill -9 now
                time.sleep(120)
        return update

    store.ingest(Path(sys.argv[2]), "run", progress=progress)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("reader", ["native", "python"])
def test_kill_9_mid_file_then_rerun_gives_exact_counts(tmp_path: Path, reader: str) -> None:
    db = tmp_path / "store.duckdb"
    before = write_jsonl(tmp_path / "before.jsonl", [run_record(i) for i in range(100)])
    big = write_jsonl(tmp_path / "big.jsonl", [run_record(1000 + i, output="z" * 200) for i in range(2000)])
    with Store(db) as store:
        assert store.ingest(before, "run").accepted == 100

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), str(big), reader],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.stdout is not None
    seen = []
    expected = "chunk 1 " if reader == "native" else "chunk 3 "
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if line.startswith(expected):
            break
    assert seen[-1].startswith(expected), seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with Store(db) as store:
        assert store.counts()["runs"] == 100, "rows of the killed ingestion are visible"
        assert store.sql("SELECT count(*) AS n FROM ingestions")["n"].iloc[0] == 1
        report = store.ingest(big, "run")
        assert (report.accepted, report.duplicate, report.conflict, report.rejected) == (2000, 0, 0, 0)
        assert store.counts()["runs"] == 2100
        again = store.ingest(big, "run")
        assert (again.accepted, again.duplicate) == (0, 2000)
    leftovers = [p.name for p in tmp_path.glob(".quarantine-*.partial")]
    assert not json.loads(json.dumps(leftovers)) or all(p.endswith(".partial") for p in leftovers)


@pytest.mark.parametrize("reader", ["native", "python"])
def test_error_mid_file_rolls_back(tmp_path: Path, monkeypatch, reader: str) -> None:
    from agenthone.store import _ingest

    path = write_jsonl(tmp_path / "r.jsonl", [run_record(i) for i in range(10)])
    calls = {"n": 0}
    step = "_settle_native" if reader == "native" else "ingest_chunks"
    real = getattr(_ingest, step)
    if reader == "python":
        monkeypatch.setattr(_ingest, "native_source", lambda *args: None)

    def failing(*args, **kwargs):
        calls["n"] += 1
        real(*args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(_ingest, step, failing)
    with Store(tmp_path / "s.duckdb") as store:
        try:
            store.ingest(path, "run")
        except OSError:
            pass
        else:  # pragma: no cover
            raise AssertionError("the error should propagate")
        assert store.counts()["runs"] == 0
        assert calls["n"] == 1
        assert not store.quarantine.exists()


def test_database_error_mid_file_is_one_clear_line_and_rolls_back(tmp_path: Path) -> None:
    from agenthone.errors import StoreError

    path = write_jsonl(tmp_path / "r.jsonl", [run_record(i, output="w" * 4000) for i in range(3000)])
    with Store(tmp_path / "s.duckdb") as store:
        store.connection.execute("SET memory_limit = '4MB'")
        expected = r"r\.jsonl: ingestion failed, nothing from this file was stored: .*memory"
        with pytest.raises(StoreError, match=expected):
            store.ingest(path, "run")
        store.connection.execute("SET memory_limit = '512MB'")
        assert store.counts()["runs"] == 0
