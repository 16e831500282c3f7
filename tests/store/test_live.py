"""Buffered live captures: the Python fast path agrees with the SQL validation, and nothing is lost."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenthone import InvalidRecordError, RecordConflictError
from agenthone.records import kind_of
from agenthone.store import Store
from agenthone.store._live import plain_record

ROOT = Path(__file__).resolve().parents[2]

PLAIN = [
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "input": "hi", "output": "hello"},
    {"agent_name": "bot", "timestamp": "2026-10-01 12:00:00.123456+02:00", "success": False, "score": 1,
     "latency_ms": 0, "tokens_in": 12, "tokens_out": 0, "cost_usd": 1e-7, "user_feedback": 0.25},
    {"agent_id": "ag-1", "timestamp": "2026-10-01T12:00:00", "output": {"answer": [1, "x", None, True, 2.5]},
     "metadata": {"team": "a", "n": 3, "nested": {"k": "é \\\" /\n"}}, "session_id": "s-1", "model": "m"},
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00.5-05:30", "input": "", "output": "  spaced  \n",
     "latency_ms": 123456789.123, "cost_usd": 1e20, "category": "c", "task_type": "t", "prompt_version": "v1"},
]  # fmt: skip
EDITS = [
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "ai_output": "Hi  there\n", "final_output": "Hi there"},
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "ai_output": "a", "final_output": "b", "user_id": "u"},
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "ai_output": "a", "final_output": "a",
     "accepted": False, "prompt": "write"},
]  # fmt: skip
SQL_ONLY = [
    {"agent_name": " bot", "timestamp": "2026-10-01T12:00:00Z"},  # leading blank: SQL decides
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "region": "eu"},  # unknown key -> metadata
    {"agent_name": "bot", "timestamp": "2026-10-01T12:00:00Z", "success": "yes"},
    {"agent_name": "bot", "timestamp": "2026-10-01"},
]


def _sql_id(store: Store, kind: str, record: dict[str, Any]) -> str:
    return store.insert(kind, [record])[0]


@pytest.mark.parametrize(("kind", "records"), [("run", PLAIN), ("edit", EDITS)])
def test_fast_path_ids_are_the_ids_sql_derives(store: Store, kind: str, records: list[dict[str, Any]]) -> None:
    for record in records:
        plain = plain_record(kind_of(kind), json.dumps(record))
        assert plain is not None, record
        assert plain[0] == _sql_id(store, kind, record), record


def test_values_sql_must_judge_leave_the_fast_path(store: Store) -> None:
    for record in SQL_ONLY:
        assert plain_record(kind_of("run"), json.dumps(record)) is None, record


_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
_number = st.one_of(st.integers(-5, 10**6), st.floats(-1e6, 1e25, allow_nan=False, allow_infinity=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=_text,
    output=st.one_of(_text, st.dictionaries(_text, st.one_of(_text, st.integers(), st.booleans()), max_size=3)),
    score=_number,
    tokens=st.one_of(st.integers(-3, 10**16), st.floats(0, 100)),
    when=st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)),
)
def test_fast_path_never_disagrees_with_sql(
    store: Store, *, name: str, output: Any, score: Any, tokens: Any, when: dt.datetime
) -> None:
    record = {"agent_name": name, "output": output, "score": score, "tokens_in": tokens, "timestamp": when.isoformat()}
    plain = plain_record(kind_of("run"), json.dumps(record))
    try:
        sql_id = _sql_id(store, "run", record)
    except InvalidRecordError:
        assert plain is None, record  # the fast path never accepts what SQL refuses
        return
    if plain is not None:
        assert plain[0] == sql_id, record


@pytest.fixture
def live(tmp_path: Path) -> Any:
    s = Store(tmp_path / "live.duckdb", capture_seconds=60)
    yield s
    s.close()


def test_invalid_capture_raises_at_the_call_and_reads_see_buffered_writes(live: Store) -> None:
    with pytest.raises(InvalidRecordError, match="field 'score': expected a number between 0 and 1"):
        live.capture("run", {"agent_name": "bot", "score": 1.7, "timestamp": "2026-10-01T00:00:00Z"})
    rid = live.capture("run", {"agent_name": "bot", "output": "x", "timestamp": "2026-10-01T00:00:00Z"})
    assert live._pending  # buffered, not yet written
    assert live.counts()["runs"] == 1
    assert live.sql("SELECT id FROM runs")["id"].tolist() == [rid]
    # an identical capture is a no-op, a different one under a stored id a conflict, both at the call
    assert live.capture("run", {"id": "r1", "agent_name": "bot", "timestamp": "2026-10-01T00:00:00Z"}) == "r1"
    assert live.capture("run", {"id": "r1", "agent_name": "bot", "timestamp": "2026-10-01T00:00:00Z"}) == "r1"
    with pytest.raises(RecordConflictError):
        live.capture("run", {"id": "r1", "agent_name": "other", "timestamp": "2026-10-01T00:00:00Z"})
    assert live.counts()["runs"] == 2


def test_buffered_rows_equal_inserted_rows(tmp_path: Path) -> None:
    rows = []
    for name, use_capture in (("a", True), ("b", False)):
        with Store(tmp_path / f"{name}.duckdb") as s:
            for record in PLAIN:
                s.capture("run", record) if use_capture else s.insert("run", [record])
            rows.append(
                s.sql("SELECT * EXCLUDE (ingest_id, source_line) FROM runs ORDER BY id").to_json(
                    orient="records", date_format="iso"
                )
            )
    assert rows[0] == rows[1]


KILLED = """
import os, signal, sys
from agenthone.store import Store
s = Store(sys.argv[1], capture_seconds=3600)
for i in range(5):
    s.capture("run", {"agent_name": "bot", "output": str(i), "timestamp": "2026-10-01T00:00:00Z"})
s.capture("edit", {"agent_name": "bot", "ai_output": "a", "final_output": "b", "timestamp": "2026-10-01T00:00:00Z"})
print(len(s._pending), flush=True)
if sys.argv[2] == "exit":
    os._exit(0)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_captures_before_a_crash_are_recovered_on_the_next_open(tmp_path: Path, how: str) -> None:
    path = tmp_path / "crash.duckdb"
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", KILLED, str(path), how], capture_output=True, text=True, env=env)
    assert proc.stdout.strip() == "6", proc.stderr
    with Store(path, read_only=True) as ro:
        assert ro.counts()["runs"] == 0  # the process died before writing them
    with Store(path) as s:
        assert s.counts() == {"runs": 5, "edits": 1, "conversations": 0}
    assert not path.with_name(path.name + ".pending.jsonl").exists()
