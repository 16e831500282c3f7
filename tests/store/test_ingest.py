"""Ingestion: every kind of bad input gives a clear reason and loses or duplicates nothing."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agenthone.store import Store
from tests.conftest import run_record, write_jsonl


def quarantine(store: Store) -> list[dict]:
    if not store.quarantine.exists():
        return []
    return [json.loads(line) for line in store.quarantine.read_text(encoding="utf-8").splitlines()]


def counts(report) -> tuple[int, int, int, int]:
    return report.accepted, report.duplicate, report.conflict, report.rejected


def test_valid_file_is_stored_with_typed_values(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [run_record(i) for i in range(50)])
    report = store.ingest(path, "run")
    assert counts(report) == (50, 0, 0, 0)
    df = store.sql("SELECT * FROM runs ORDER BY id")
    assert len(df) == 50
    first = df.iloc[0]
    assert first["id"] == "run-000000"
    assert str(first["timestamp"]) == "2026-10-01 00:00:00+00:00"
    assert first["success"] is False or first["success"] == False  # noqa: E712 - numpy bool
    assert first["tokens_in"] == 10
    assert first["source_line"] == 1


def test_reingesting_a_file_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [run_record(i) for i in range(30)])
    assert counts(store.ingest(path, "run")) == (30, 0, 0, 0)
    assert counts(store.ingest(path, "run")) == (0, 30, 0, 0)
    assert store.counts()["runs"] == 30


def test_same_id_with_other_content_is_a_conflict_and_the_stored_row_is_kept(store: Store, tmp_path: Path) -> None:
    store.ingest(write_jsonl(tmp_path / "a.jsonl", [run_record(1, output="original")]), "run")
    report = store.ingest(write_jsonl(tmp_path / "b.jsonl", [run_record(1, output="changed"), run_record(2)]), "run")
    assert counts(report) == (1, 0, 1, 0)
    assert store.sql("SELECT output FROM runs WHERE id = 'run-000001'")["output"].tolist() == ["original"]
    entry = next(e for e in quarantine(store) if e["reason"].startswith("conflict"))
    assert entry["line"] == 1 and "run-000001" in entry["reason"]


def test_repeated_id_within_one_file(store: Store, tmp_path: Path) -> None:
    recs = [run_record(1), run_record(1), run_record(1, output="other"), run_record(2)]
    report = store.ingest(write_jsonl(tmp_path / "r.jsonl", recs), "run")
    assert counts(report) == (2, 1, 1, 0)
    assert store.sql("SELECT source_line FROM runs WHERE id = 'run-000001'")["source_line"].tolist() == [1]


def test_missing_id_becomes_a_deterministic_content_hash(store: Store, tmp_path: Path) -> None:
    rec = run_record(3)
    del rec["id"]
    path = write_jsonl(tmp_path / "r.jsonl", [rec, rec])
    assert counts(store.ingest(path, "run")) == (1, 1, 0, 0)
    first_id = store.sql("SELECT id FROM runs")["id"].iloc[0]
    assert len(first_id) == 32
    other = Store(tmp_path / "other.duckdb")
    other.ingest(path, "run")
    assert other.sql("SELECT id FROM runs")["id"].iloc[0] == first_id
    other.close()


def test_unknown_fields_are_kept_in_metadata(store: Store, tmp_path: Path) -> None:
    rec = run_record(4, region="eu-west-1", nested={"a": [1, 2]}, flag=None, metadata={"team": "blue"})
    store.ingest(write_jsonl(tmp_path / "r.jsonl", [rec]), "run")
    meta = json.loads(store.sql("SELECT metadata FROM runs")["metadata"].iloc[0])
    assert meta == {"region": "eu-west-1", "nested": {"a": [1, 2]}, "flag": None, "team": "blue"}


def test_input_and_output_accept_text_or_json(store: Store, tmp_path: Path) -> None:
    recs = [run_record(5, input={"question": "hi", "lang": "en"}, output=["a", 1]), run_record(6, input="plain text")]
    store.ingest(write_jsonl(tmp_path / "r.jsonl", recs), "run")
    df = store.sql("SELECT id, input, output FROM runs ORDER BY id").set_index("id")
    assert json.loads(df.loc["run-000005", "input"]) == {"question": "hi", "lang": "en"}
    assert json.loads(df.loc["run-000005", "output"]) == ["a", 1]
    assert df.loc["run-000006", "input"] == "plain text"


def test_naive_timestamps_are_utc_and_offsets_are_converted(store: Store, tmp_path: Path) -> None:
    recs = [
        run_record(1, timestamp="2026-10-01T10:00:00"),
        run_record(2, timestamp="2026-10-01T12:00:00+02:00"),
        run_record(3, timestamp="2026-10-01 10:00:00Z"),
    ]
    store.ingest(write_jsonl(tmp_path / "r.jsonl", recs), "run")
    stamps = store.sql("SELECT strftime(timestamp, '%Y-%m-%dT%H:%M:%S%z') AS t FROM runs ORDER BY id")["t"].tolist()
    assert stamps == ["2026-10-01T10:00:00+00"] * 3


BAD_LINES = [
    ('{"id": "t1", "timestamp": "2026-10-01T00:00:00Z", "agent_name": "a"', "invalid JSON"),
    ('["not", "an", "object"]', "expected a JSON object"),
    ('"just a string"', "expected a JSON object"),
    ("42", "expected a JSON object"),
    ("null", "expected a JSON object"),
    (json.dumps(run_record(10, score="high")), "field 'score': expected a number between 0 and 1, got 'high'"),
    (json.dumps(run_record(11, score=1.7)), "field 'score': expected a number between 0 and 1, got '1.7'"),
    (json.dumps(run_record(12, success="maybe")), "field 'success': expected true or false, got 'maybe'"),
    (json.dumps(run_record(13, tokens_in=-5)), "field 'tokens_in': expected a non-negative integer, got '-5'"),
    (json.dumps(run_record(14, tokens_out=2.5)), "field 'tokens_out': expected a non-negative integer, got '2.5'"),
    (json.dumps(run_record(15, latency_ms="fast")), "field 'latency_ms': expected a non-negative number, got 'fast'"),
    (
        json.dumps(run_record(16, agent_name={"x": 1}, agent_id=None)),
        "field 'agent_name': expected a string, got a JSON object",
    ),
    (json.dumps(run_record(17, metadata=[1, 2])), "field 'metadata': expected a JSON object, got '[1,2]'"),
    (json.dumps({k: v for k, v in run_record(18).items() if k != "timestamp"}), "missing required field 'timestamp'"),
    (
        json.dumps({k: v for k, v in run_record(19).items() if k not in ("agent_name", "agent_id")}),
        "missing required field 'agent_name'",
    ),
    (
        json.dumps(run_record(20, timestamp="yesterday")),
        "field 'timestamp': expected an ISO 8601 timestamp, got 'yesterday'",
    ),
    (
        json.dumps(run_record(21, timestamp="2026-13-45T00:00:00Z")),
        "field 'timestamp': expected an ISO 8601 timestamp, got '2026-13-45T00:00:00Z'",
    ),
    (
        json.dumps(run_record(22, timestamp=1767225600)),
        "field 'timestamp': expected an ISO 8601 timestamp, got '1767225600'",
    ),
    (json.dumps(run_record(23, agent_name="   ", agent_id=None)), "field 'agent_name': must not be empty"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES, ids=[r for _, r in BAD_LINES])
def test_bad_line_is_quarantined_with_file_line_and_reason(
    store: Store, tmp_path: Path, line: str, reason: str
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(run_record(1)) + "\n" + line + "\n" + json.dumps(run_record(2)) + "\n", encoding="utf-8")
    report = store.ingest(path, "run")
    assert counts(report) == (2, 0, 0, 1)
    [entry] = quarantine(store)
    assert entry["source"] == str(path)
    assert entry["line"] == 2
    assert entry["reason"].startswith(reason), entry["reason"]
    assert entry["record"] == line
    assert report.files[0].examples == [f"{path}:2: {entry['reason']}"]


def test_invalid_utf8_rejects_only_that_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    good = [json.dumps(run_record(i)).encode() for i in range(3)]
    bad = json.dumps(run_record(9, output="caf\u00e9")).encode().replace(b"\\u00e9", b"\xe9\xff")
    path.write_bytes(b"\n".join([good[0], bad, good[1], good[2]]) + b"\n")
    report = store.ingest(path, "run")
    assert counts(report) == (3, 0, 0, 1)
    [entry] = quarantine(store)
    assert entry["line"] == 2 and entry["reason"].startswith("invalid UTF-8")


def test_bom_and_crlf_and_blank_lines_are_tolerated(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    body = (
        "\r\n".join(json.dumps(run_record(i)) for i in range(4))
        + "\r\n\r\n   \r\n"
        + json.dumps(run_record(4))
        + "\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    report = store.ingest(path, "run")
    assert counts(report) == (5, 0, 0, 0)
    assert store.sql("SELECT max(source_line) AS m FROM runs")["m"].iloc[0] == 7


def test_ten_megabyte_field_is_stored_whole(store: Store, tmp_path: Path) -> None:
    big = "x" * (10 << 20)
    path = write_jsonl(tmp_path / "runs.jsonl", [run_record(1), run_record(2, output=big), run_record(3)])
    report = store.ingest(path, "run")
    assert counts(report) == (3, 0, 0, 0)
    assert store.sql("SELECT length(output) AS n FROM runs WHERE id = 'run-000002'")["n"].iloc[0] == len(big)


def test_line_longer_than_the_limit_is_rejected_and_the_rest_ingested(store: Store, tmp_path: Path) -> None:
    from agenthone.store._readers import JsonLinesReader

    path = write_jsonl(tmp_path / "runs.jsonl", [run_record(1), run_record(2, output="y" * 5000), run_record(3)])
    reader = JsonLinesReader(path, chunk_bytes=100, max_line=1024)
    chunks = list(reader)
    lines = [int(x) for c in chunks for x in c.table.column("line_no").to_pylist()]
    rejects = [r for c in chunks for r in c.rejects]
    assert lines == [1, 3]
    assert [(r.line, r.reason) for r in rejects] == [(2, "line longer than 0 MiB")] or rejects[0].line == 2


def test_empty_file_ingests_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = store.ingest(path, "run")
    assert counts(report) == (0, 0, 0, 0) and report.exit_code() == 0


@pytest.mark.parametrize("make", ["missing", "directory", "unknown-extension"])
def test_unreadable_paths_exit_2_and_store_nothing(store: Store, tmp_path: Path, make: str) -> None:
    path = {"missing": tmp_path / "nope.jsonl", "directory": tmp_path / "dir", "unknown-extension": tmp_path / "x.txt"}[
        make
    ]
    if make == "directory":
        path.mkdir()
    if make == "unknown-extension":
        path.write_text("{}")
    good = write_jsonl(tmp_path / "good.jsonl", [run_record(1)])
    report = store.ingest([path, good], "run")
    assert report.exit_code() == 2
    assert report.files[0].unreadable
    assert str(path) in (report.files[0].error or "")
    assert report.files[1].accepted == 1


def test_strict_exit_code(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(run_record(1)) + "\n{oops\n", encoding="utf-8")
    report = store.ingest(path, "run")
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1


def test_gzip_and_explicit_format(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(20):
            fh.write(json.dumps(run_record(i)) + "\n")
    assert counts(store.ingest(path, "run")) == (20, 0, 0, 0)
    odd = tmp_path / "runs.log"
    write_jsonl(odd, [run_record(100)])
    assert counts(store.ingest(odd, "run", format="jsonl")) == (1, 0, 0, 0)


def test_json_array_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text(json.dumps([run_record(i) for i in range(5)] + [{"agent_name": "no time"}]), encoding="utf-8")
    report = store.ingest(path, "run")
    assert counts(report) == (5, 0, 0, 1)
    assert quarantine(store)[0]["line"] == 6


def test_broken_json_array_rejects_the_file_and_stores_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text(json.dumps([run_record(i) for i in range(5)])[:-30], encoding="utf-8")
    report = store.ingest(path, "run")
    assert report.accepted == 0 and report.files[0].error
    assert store.counts()["runs"] == 0


def test_json_extension_holding_json_lines(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "runs.json", [run_record(i) for i in range(3)])
    assert counts(store.ingest(path, "run")) == (3, 0, 0, 0)


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_values_are_typed_like_json(store: Store, tmp_path: Path) -> None:
    rows = [run_record(i) for i in range(10)]
    fields = ["id", "timestamp", "agent_name", "success", "score", "latency_ms", "tokens_in", "input", "region"]
    for r in rows:
        r["region"] = "eu"
    path = _write_csv(tmp_path / "runs.csv", rows, fields)
    assert counts(store.ingest(path, "run")) == (10, 0, 0, 0)
    df = store.sql("SELECT * FROM runs ORDER BY id")
    assert df["tokens_in"].tolist() == [r["tokens_in"] for r in rows]
    assert df["success"].tolist() == [r["success"] for r in rows]
    assert json.loads(df["metadata"].iloc[0]) == {"region": "eu"}
    # the same records from JSON lines are duplicates, not conflicts
    assert counts(
        store.ingest(write_jsonl(tmp_path / "same.jsonl", [{k: r[k] for k in fields} for r in rows]), "run")
    ) == (
        0,
        10,
        0,
        0,
    )


def test_csv_missing_required_column_rejects_the_file(store: Store, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "runs.csv", [run_record(i) for i in range(4)], ["id", "timestamp", "score"])
    report = store.ingest(path, "run")
    assert report.accepted == 0 and report.rejected == 4
    assert report.files[0].error == f"{path}:1: CSV header lacks required column 'agent_name'"
    assert store.counts()["runs"] == 0
    assert quarantine(store)[0]["line"] == 1


def test_csv_row_with_wrong_cell_count_and_quoted_newlines(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "id,timestamp,agent_name,output\n"
        'r1,2026-10-01T00:00:00Z,a,"two\nlines"\n'
        "r2,2026-10-01T00:00:00Z,a\n"
        "r3,2026-10-01T00:00:00Z,a,ok\n",
        encoding="utf-8",
    )
    report = store.ingest(path, "run")
    assert counts(report) == (2, 0, 0, 1)
    assert quarantine(store)[0]["line"] == 4
    assert store.sql("SELECT output FROM runs WHERE id = 'r1'")["output"].iloc[0] == "two\nlines"


def test_parquet_with_native_types(store: Store, tmp_path: Path) -> None:
    import pandas as pd

    rows = [run_record(i) for i in range(12)]
    df = pd.DataFrame(rows)
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df["tags_extra"] = [["x", "y"]] * len(df)
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    assert counts(store.ingest(path, "run")) == (12, 0, 0, 0)
    out = store.sql("SELECT * FROM runs ORDER BY id")
    assert out["latency_ms"].tolist() == [float(r["latency_ms"]) for r in rows]
    assert json.loads(out["metadata"].iloc[0]) == {"tags_extra": ["x", "y"]}
    same = [{**r, "tags_extra": ["x", "y"]} for r in rows]
    assert counts(store.ingest(write_jsonl(tmp_path / "same.jsonl", same), "run")) == (0, 12, 0, 0)


def test_edits_default_accepted_from_whitespace_normalised_equality(store: Store, tmp_path: Path) -> None:
    base = {"timestamp": "2026-10-01T00:00:00Z", "agent_name": "writer"}
    recs = [
        {**base, "id": "e1", "ai_output": "Hello  world.\n", "final_output": "Hello world."},
        {**base, "id": "e2", "ai_output": "Hello world.", "final_output": "Hello there."},
        {**base, "id": "e3", "ai_output": "Same", "final_output": "Same", "accepted": False},
        {**base, "id": "e4", "ai_output": "x"},
    ]
    report = store.ingest(write_jsonl(tmp_path / "edits.jsonl", recs), "edit")
    assert counts(report) == (3, 0, 0, 1)
    assert quarantine(store)[0]["reason"] == "missing required field 'final_output'"
    accepted = store.sql("SELECT id, accepted FROM edits ORDER BY id").set_index("id")["accepted"].to_dict()
    assert accepted == {"e1": True, "e2": False, "e3": False}


def test_conversations_validate_chat_messages(store: Store, tmp_path: Path) -> None:
    base = {"timestamp": "2026-10-01T00:00:00Z", "agent_name": "bot"}
    ok_messages = [
        {"role": "user", "content": "where is my order?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "shipped"},
        {"role": "assistant", "content": [{"type": "text", "text": "It shipped."}]},
    ]
    recs = [
        {**base, "id": "c1", "messages": ok_messages, "tags": "support, orders", "rating": 4},
        {**base, "id": "c2", "messages": []},
        {**base, "id": "c3", "messages": [{"role": "robot", "content": "x"}]},
        {**base, "id": "c4", "messages": [{"role": "user", "content": "x"}, {"role": "assistant"}]},
        {**base, "id": "c5", "messages": "hello"},
        {**base, "id": "c6"},
    ]
    report = store.ingest(write_jsonl(tmp_path / "c.jsonl", recs), "conversation")
    assert counts(report) == (1, 0, 0, 5)
    reasons = [e["reason"] for e in quarantine(store)]
    assert reasons == [
        "field 'messages': must hold at least one message",
        "field 'messages': message 1: role must be one of system, developer, user, assistant, tool, function,"
        " got 'robot'",
        "field 'messages': message 2 has neither content nor tool_calls",
        "field 'messages': expected a JSON array of chat messages, got 'hello'",
        "missing required field 'messages'",
    ]
    row = store.sql("SELECT tags, rating, messages FROM conversations").iloc[0]
    assert list(row["tags"]) == ["support", "orders"] and row["rating"] == 4
    assert json.loads(row["messages"]) == ok_messages


def test_content_hash_matches_a_recomputation_over_stored_columns(store: Store, tmp_path: Path) -> None:
    """The DuckDB-upgrade migration recomputes hashes from stored columns; they must equal ingest-time ones."""
    from agenthone.records import KINDS
    from agenthone.store._schema import hash_expression

    store.ingest(write_jsonl(tmp_path / "r.jsonl", [run_record(i, extra=i) for i in range(20)]), "run")
    kind = KINDS["run"]
    mismatched = store.sql(f"SELECT count(*) AS n FROM runs WHERE content_hash <> {hash_expression(kind)}")["n"].iloc[0]
    assert mismatched == 0


def test_parquet_native_columns_are_validated_like_text(store: Store, tmp_path: Path) -> None:
    import pandas as pd

    rows = [run_record(i) for i in range(4)]
    df = pd.DataFrame(rows)
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df.loc[1, "score"] = 1.5
    df.loc[2, "tokens_in"] = -3
    df["tokens_out"] = df["tokens_out"].astype("float64")
    df.loc[3, "tokens_out"] = 2.5
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    report = store.ingest(path, "run")
    assert counts(report) == (1, 0, 0, 3)
    reasons = [(e["line"], e["reason"]) for e in quarantine(store)]
    assert reasons == [
        (2, "field 'score': expected a number between 0 and 1, got '1.5'"),
        (3, "field 'tokens_in': expected a non-negative integer, got '-3'"),
        (4, "field 'tokens_out': expected a non-negative integer, got '2.5'"),
    ]


def test_many_conversations_ingest_within_the_default_memory_limit(tmp_path: Path, sample_dir: Path) -> None:
    """20k conversations (27 MB) once exhausted DuckDB's default 512 MB during validation."""
    lines = (sample_dir / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for copy in range(20):
            for line in lines:
                record = json.loads(line)
                record["id"] = f"{record['id']}-{copy}"
                fh.write(json.dumps(record) + "\n")
    with Store(tmp_path / "s.duckdb") as store:
        report = store.ingest(path, "conversation")
        assert (report.accepted, report.rejected) == (20 * len(lines), 0)


def test_blank_text_fields_count_as_absent(store: Store, tmp_path: Path) -> None:
    recs = [run_record(1, agent_name="\t \n", agent_id=None), run_record(2, model=" \r\n", category="  shop  ")]
    report = store.ingest(write_jsonl(tmp_path / "r.jsonl", recs), "run")
    assert counts(report) == (1, 0, 0, 1)
    assert quarantine(store)[0]["reason"] == "field 'agent_name': must not be empty"
    row = store.sql("SELECT model, category FROM runs").iloc[0]
    assert row["model"] is None or row["model"] != row["model"]  # NULL
    assert row["category"] == "  shop  "


def test_an_empty_key_is_an_unknown_key_kept_in_metadata(store: Store, tmp_path: Path) -> None:
    """It once broke the validation query (no JSON path names the empty key) and the whole file was refused."""
    recs = [{**run_record(1), "": None}, {**run_record(2), "": [1, {"x": "y"}], "region": "eu"}, run_record(3)]
    report = store.ingest(write_jsonl(tmp_path / "r.jsonl", recs), "run")
    assert counts(report) == (3, 0, 0, 0)
    meta = store.sql("SELECT id, metadata FROM runs ORDER BY id")["metadata"].tolist()
    expected = [{"": None}, {"": [1, {"x": "y"}], "region": "eu"}, None]
    assert [json.loads(m) if isinstance(m, str) else None for m in meta] == expected


def test_a_repeated_unknown_key_is_kept_once(store: Store, tmp_path: Path) -> None:
    """A MAP of the unknown keys refused a repeated key, and the whole file with it."""
    good = json.dumps(run_record(2))
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(run_record(1))[:-1] + ', "r": 1, "q": 0, "r": 2}\n' + good + "\n", encoding="utf-8")
    report = store.ingest(path, "run")
    assert counts(report) == (2, 0, 0, 0)
    assert json.loads(store.sql("SELECT metadata FROM runs WHERE id = 'run-000001'")["metadata"].iloc[0]) == {
        "r": 1,
        "q": 0,
    }
