"""Request validation: the Python fast path and the SQL query give every record the same verdict."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenthone.config import Settings
from agenthone.records import kind_of
from agenthone.service._check import Validator
from agenthone.service._core import CollectorCore
from agenthone.store._live import plain_check

from .conftest import run_record

RUN = kind_of("run")
T = "2026-11-02T10:00:00Z"
SINGLE_EVENTS = [
    json.dumps(run_record(1)),
    json.dumps(run_record(2, score=0.5, tokens_in=12, output={"answer": [1, "x", None]}, model="m")),
    json.dumps({"timestamp": T, "agent_id": "ag-1", "input": "no id: derived from the content"}),
    json.dumps({"timestamp": T, "agent_name": "a\x1fb", "input": "\\N", "output": "é", "latency_ms": -0.0}),
    json.dumps(run_record(3, success="yes")),  # SQL decides: accepted
    json.dumps(run_record(4, region="eu")),  # unknown key: into metadata, by SQL
    json.dumps(run_record(5, score=1.5)),  # out of range: rejected
    json.dumps(run_record(6, tokens_in=-1)),
    json.dumps(run_record(7, timestamp="yesterday")),
    json.dumps({"timestamp": T}),  # missing agent
    json.dumps(run_record(8, agent_name="  ")),
    json.dumps([run_record(9)]),  # not an object
    '{"id": "run-10", "timestamp": ',  # invalid JSON
    "",
]


@pytest.fixture(scope="module")
def validator() -> Iterator[Validator]:
    v = Validator()
    yield v
    v.close()


def test_the_fast_path_takes_plain_records_only() -> None:
    taken = [plain_check(RUN, text) is not None for text in SINGLE_EVENTS]
    assert taken[:4] == [True] * 4
    assert not any(taken[4:])


@pytest.mark.parametrize("text", SINGLE_EVENTS)
def test_single_event_verdicts_match_the_sql_path(validator: Validator, text: str) -> None:
    (fast,) = validator.check(RUN, [text])
    (sql,) = validator.check_sql(RUN, [text])
    assert (fast.line, fast.reason, fast.id, fast.agent, fast.content_key) == (
        sql.line,
        sql.reason,
        sql.id,
        sql.agent,
        sql.content_key,
    )
    assert (fast.content_key is None) == (fast.reason is not None)


def test_a_mixed_small_request_keeps_its_order(validator: Validator) -> None:
    fast = validator.check(RUN, SINGLE_EVENTS)
    sql = validator.check_sql(RUN, SINGLE_EVENTS)
    assert [(c.line, c.reason, c.id, c.content_key) for c in fast] == [
        (c.line, c.reason, c.id, c.content_key) for c in sql
    ]
    assert [c.line for c in fast] == list(range(1, len(SINGLE_EVENTS) + 1))


_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
_number = st.one_of(st.integers(-5, 10**6), st.floats(-1e6, 1e25, allow_nan=False, allow_infinity=False))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=_text,
    output=st.one_of(_text, st.dictionaries(_text, st.one_of(_text, st.integers(), st.booleans()), max_size=3)),
    latency=_number,
    when=st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)),
)
def test_content_keys_agree_between_paths(
    validator: Validator, *, name: str, output: Any, latency: Any, when: dt.datetime
) -> None:
    text = json.dumps({"agent_name": name, "output": output, "latency_ms": latency, "timestamp": when.isoformat()})
    plain = plain_check(RUN, text)
    (sql,) = validator.check_sql(RUN, [text])
    if plain is not None:
        assert sql.reason is None
        assert (plain.id, plain.agent, plain.content_key) == (sql.id, sql.agent, sql.content_key)


@pytest.fixture
def core(settings: Settings) -> Iterator[CollectorCore]:
    c = CollectorCore(settings)
    yield c
    c.validator.close()
    c.spool.close()


def _big(records: list[dict[str, Any]]) -> list[str]:
    """A request large enough for the SQL path, the given records first."""
    return [json.dumps(r) for r in records] + [json.dumps(run_record(f"filler-{i}")) for i in range(100)]


def test_duplicates_and_conflicts_are_told_apart_across_paths(core: CollectorCore) -> None:
    one = run_record("a", score=0.0, input="hello")
    core.submit("run", [json.dumps(one)], key=None, source="test")  # fast path
    # the same content by the SQL path: -0.0 and "0" differ as text, not as content
    result = core.submit("run", _big([{**one, "score": -0.0}]), key=None, source="test")
    assert (result.accepted, result.duplicate, result.conflict) == (100, 1, 0)
    result = core.submit("run", _big([{**one, "input": "changed"}]), key=None, source="test")
    assert (result.accepted, result.duplicate, result.conflict) == (0, 100, 1)

    two = run_record("b", model="m")
    core.submit("run", _big([two]), key=None, source="test")  # SQL path first
    for text, expected in (
        (json.dumps(two), (0, 1, 0)),
        (json.dumps({**two, "success": "yes"}), (0, 1, 0)),  # SQL path again, same content
        (json.dumps({**two, "model": "other"}), (0, 0, 1)),
    ):
        result = core.submit("run", [text], key=None, source="test")
        assert (result.accepted, result.duplicate, result.conflict) == expected, text


def test_verdicts_are_columns_that_read_as_records(validator: Validator) -> None:
    texts = [json.dumps(run_record(f"col-{i}")) for i in range(70)] + ['{"id": 1', json.dumps(run_record(3, score=2))]
    verdicts = validator.check(RUN, texts)
    assert len(verdicts) == len(verdicts.reasons) == len(texts)
    assert verdicts.ids[:2] == ["run-col-0", "run-col-1"] and verdicts.reasons[:70] == [None] * 70
    assert verdicts.reasons[70] == "invalid JSON" and "between 0 and 1" in str(verdicts.reasons[71])
    last = verdicts[-1]
    assert (last.line, last.id, last.reason) == (72, None, verdicts.reasons[71])
    assert [c.line for c in verdicts[68:70]] == [69, 70]


def _lane_of(v: Validator) -> Any:
    return v._lane(RUN)  # made on first use: under xdist this test may be the first on its worker


def test_a_query_waits_for_announced_requests_and_checks_them_together(validator: Validator) -> None:
    import threading

    lane = _lane_of(validator)
    default, lane.wait = lane.wait, 30.0  # only the arrival of the second request ends the wait
    first, second = validator.expect(RUN), validator.expect(RUN)
    batches = [[json.dumps(run_record(f"g{b}-{i}")) for i in range(100)] for b in range(2)]
    before = validator.queries(RUN)
    results: list[Any] = [None, None]

    def send(b: int, arrival: Any) -> None:
        results[b] = validator.check(RUN, batches[b], arrival=arrival)

    try:
        threads = [threading.Thread(target=send, args=(0, first))]
        threads[0].start()
        while lane.coming != 1:  # the first request has reached its check and is gathering
            threading.Event().wait(0.005)
        threads.append(threading.Thread(target=send, args=(1, second)))
        threads[1].start()
        for thread in threads:
            thread.join(60)
        first.finish()
        second.finish()
    finally:
        lane.wait = default
    assert validator.queries(RUN) == before + 1
    assert [r.ids[0] for r in results] == ["run-g0-0", "run-g1-0"]
    assert all(r.reasons == [None] * 100 for r in results)


def test_a_request_that_fails_before_its_check_stops_the_wait(validator: Validator) -> None:
    import threading

    lane = _lane_of(validator)
    default, lane.wait = lane.wait, 30.0
    gone = validator.expect(RUN)
    done = threading.Event()
    texts = [json.dumps(run_record(f"w-{i}")) for i in range(100)]
    try:

        def send() -> None:
            validator.check(RUN, texts)
            done.set()

        worker = threading.Thread(target=send)
        worker.start()
        assert not done.wait(0.2)  # waiting for the announced request
        gone.finish()  # e.g. its body was too large
        assert done.wait(20)
        worker.join()
    finally:
        lane.wait = default
    assert lane.coming == 0 and lane.active == 0


def test_while_others_are_in_the_service_a_query_waits_for_their_next_requests(validator: Validator) -> None:
    import threading

    lane = _lane_of(validator)
    default, lane.batch_linger = lane.batch_linger, 30.0
    texts = [[json.dumps(run_record(f"l{b}-{i}")) for i in range(100)] for b in range(3)]
    try:
        alone = validator.expect(RUN)
        validator.check(RUN, texts[0], arrival=alone)  # a lone client is not kept waiting
        alone.finish()
        before = validator.queries(RUN)
        mine, other = validator.expect(RUN), validator.expect(RUN)
        other.close()  # checked already, being answered: its client sends again soon
        worker = threading.Thread(target=validator.check, args=(RUN, texts[1]), kwargs={"arrival": mine})
        worker.start()
        for _ in range(2000):  # until the first request is queued and its query is being gathered
            if len(lane.queue) == 1 and lane.gathering:
                break
            threading.Event().wait(0.005)
        validator.check(RUN, texts[2])  # the other client's next request joins the waiting query
        worker.join(60)
        mine.finish()
        other.finish()
    finally:
        lane.batch_linger = default
    assert validator.queries(RUN) == before + 1
    assert lane.active == 0 and lane.coming == 0
