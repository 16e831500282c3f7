"""Live capture: log_run/log_edit/log_conversation validate like ingestion and are thread-safe."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agenthone import InvalidRecordError, RecordConflictError, Workbench


@pytest.fixture
def wb(workspace: Path):
    with Workbench.open(workspace) as bench:
        yield bench


def test_log_each_kind(wb: Workbench) -> None:
    run_id = wb.log_run(agent_name="bot", input="hi", output="hello", success=True, latency_ms=12.5, tokens_in=3)
    edit_id = wb.log_edit(agent_name="bot", ai_output="Hi there!", final_output="Hello.", run_id=run_id)
    conv_id = wb.log_conversation(agent_name="bot", messages=[{"role": "user", "content": "hi"}], tags=["x"])
    assert wb.store.counts() == {"runs": 1, "edits": 1, "conversations": 1}
    row = wb.store.sql("SELECT * FROM edits").iloc[0]
    assert row["id"] == edit_id and row["run_id"] == run_id and not row["accepted"]
    assert wb.store.sql("SELECT id FROM conversations")["id"].iloc[0] == conv_id
    log = wb.store.ingestions()
    assert log["kind"].tolist() == ["api"] and log["accepted"].iloc[0] == 3


def test_invalid_record_raises_with_the_field_and_stores_nothing(wb: Workbench) -> None:
    with pytest.raises(InvalidRecordError, match=r"field 'score': expected a number between 0 and 1, got '1.7'"):
        wb.log_run(agent_name="bot", score=1.7)
    with pytest.raises(InvalidRecordError, match="missing required field 'agent_name'"):
        wb.log_run(output="x")
    with pytest.raises(InvalidRecordError, match="missing required field 'final_output'"):
        wb.log_edit(agent_name="bot", ai_output="x")
    with pytest.raises(InvalidRecordError, match="record 2: field 'success'"):
        wb.log_records("run", [{"agent_name": "a"}, {"agent_name": "b", "success": "perhaps"}])
    assert wb.store.counts()["runs"] == 0


def test_same_record_twice_is_stored_once_and_conflicts_raise(wb: Workbench) -> None:
    rec = {"id": "r1", "timestamp": "2026-10-01T00:00:00Z", "agent_name": "bot", "output": "a"}
    assert wb.log_run(**rec) == "r1"
    assert wb.log_run(**rec) == "r1"
    with pytest.raises(RecordConflictError, match="'r1' is already stored"):
        wb.log_run(**{**rec, "output": "b"})
    assert wb.store.sql("SELECT output FROM runs")["output"].tolist() == ["a"]


def test_python_values_are_converted(wb: Workbench) -> None:
    import datetime as dt
    from decimal import Decimal

    import numpy as np

    wb.log_run(
        agent_name="bot",
        timestamp=dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        cost_usd=Decimal("0.25"),
        tokens_in=np.int64(7),
        score=np.float32(0.5),
        input={"q": [1, 2]},
    )
    row = wb.store.sql("SELECT * FROM runs").iloc[0]
    assert str(row["timestamp"]) == "2026-10-01 10:00:00+00:00"
    assert (row["cost_usd"], row["tokens_in"], row["score"]) == (0.25, 7, 0.5)


def test_many_threads_logging_at_once(wb: Workbench) -> None:
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        try:
            for i in range(15):
                rid = wb.log_run(
                    agent_name=f"agent-{t}", id=f"t{t}-{i}", output=str(i), timestamp="2026-10-01T00:00:00Z"
                )
                # every thread also logs the same shared record: it must be stored once
                wb.log_run(id="shared", agent_name="shared", timestamp="2026-10-01T00:00:00Z")
                with lock:
                    ids.append(rid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(ids) == len(set(ids)) == 120
    assert wb.store.counts()["runs"] == 121
    assert wb.store.sql("SELECT count(DISTINCT id) AS n FROM runs")["n"].iloc[0] == 121
