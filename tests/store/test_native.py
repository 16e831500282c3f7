"""Files DuckDB reads itself give exactly what the Python readers give: counts, quarantine, stored rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agenthone.records import kind_of
from agenthone.store import Store, _ingest
from agenthone.store._ingest import FileReport, ingest_file
from agenthone.store._native import native_source
from tests.conftest import run_record, write_jsonl
from tests.store.test_ingest import BAD_LINES


def _ingest_with(store: Store, path: Path, kind: str, *, native: bool) -> FileReport:
    return ingest_file(store.connection, path, kind_of(kind), fmt=None, quarantine=store.quarantine, native=native)


def _outcome(store: Store, report: FileReport, table: str) -> dict[str, Any]:
    quarantine = []
    if store.quarantine.exists():
        for line in store.quarantine.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            quarantine.append((entry["line"], entry["reason"], entry["record"]))
    rows = store.sql(f"SELECT * EXCLUDE (ingest_id) FROM {table} ORDER BY id").to_dict("records")
    counts = (report.accepted, report.duplicate, report.conflict, report.rejected)
    rows_text = json.dumps(rows, default=str)
    return {"counts": counts, "quarantine": quarantine, "examples": report.examples, "rows": rows_text}


def _both(
    tmp_path: Path, files: list[Path], kind: str, monkeypatch: pytest.MonkeyPatch, *, threads: int | None = None
) -> list[dict[str, Any]]:
    """Ingest the files in order into a store natively and into another through the Python readers."""
    outcomes = []
    for native in (True, False):
        with Store(tmp_path / f"{native}.duckdb", threads=threads) as store:
            with monkeypatch.context() as m:
                if native:  # a file that fell back to the Python reader would fail here
                    m.setattr(_ingest, "ingest_chunks", _no_chunks)
                for path in files:
                    report = _ingest_with(store, path, kind, native=native)
            outcomes.append(_outcome(store, report, kind_of(kind).table))
    return outcomes


def _no_chunks(*args: object, **kwargs: object) -> None:
    raise AssertionError("read by the Python reader, not by DuckDB")


def test_bad_lines_dups_and_conflicts_match_the_python_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = write_jsonl(tmp_path / "before.jsonl", [run_record(i) for i in range(5)])
    lines = [json.dumps(run_record(1)), json.dumps(run_record(2, output="changed"))]  # stored: dup, conflict
    lines += [line for line, _ in BAD_LINES]
    lines += ["", "   ", json.dumps(run_record(7)), json.dumps(run_record(7)), json.dumps(run_record(7, score=0.5))]
    lines += [json.dumps({**run_record(8), "": None, "region": "eu", "nested": {"a": [1]}})]
    lines += [json.dumps({k: v for k, v in run_record(9).items() if k != "id"})] * 2  # derived id, repeated
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())  # with a BOM
    assert native_source(Store(tmp_path / "probe.duckdb").connection, path, "lines", kind_of("run")) is not None
    native, python = _both(tmp_path, [before, path], "run", monkeypatch)
    assert native == python
    accepted, duplicate, conflict, rejected = native["counts"]
    assert (duplicate, conflict, rejected) == (3, 2, len(BAD_LINES))
    assert accepted == 3


def test_lines_read_in_stretches_side_by_side_keep_their_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The insert reads the file in one numbered stretch per thread; each row still gets its own line number.

    Small scan buffers cut a 2 MB file into some thirty parts; the stretches (of about 1,500 lines, from a
    guess of the line count) hold blank lines, rejects, repeats and records stored before.
    """
    from agenthone.store import _native

    monkeypatch.setattr(_native, "MAX_LINE_BYTES", 1 << 15)
    monkeypatch.setattr(_native, "_BUFFER_BYTES", 1 << 16)
    monkeypatch.setattr(_native, "MIN_STRETCH_LINES", 1_000)
    before = write_jsonl(tmp_path / "before.jsonl", [run_record(i) for i in range(0, 6000, 250)])
    lines = []
    for i in range(6000):
        if i % 97 == 5:
            lines.append("" if i % 2 else "  ")
        elif i % 89 == 7:
            lines.append('{"id": "broken", ')
        elif i % 500 == 0:  # stored before: the same record, or changed
            lines.append(json.dumps(run_record(i, output="changed") if i % 1000 else run_record(i)))
        elif i % 61 == 0:
            lines.append(json.dumps(run_record(i - 1, score=0.25)))  # repeats the line before, changed
        else:
            lines.append(json.dumps(run_record(i, input="x" * (i % 400), region="eu" if i % 3 else None)))
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(tmp_path / "probe.duckdb") as probe:
        src = native_source(probe.connection, path, "lines", kind_of("run"))
        assert src is not None and src.stretches is not None
    native, python = _both(tmp_path, [before, path], "run", monkeypatch, threads=4)
    assert native == python
    # 62 blank lines, 68 broken; 6 stored before unchanged; 12 changed, 12 more stored at other lines, and 88
    # lines that repeat the line before them with another score: conflicts
    assert native["counts"] == (5752, 6, 112, 68)


def test_clean_file_has_no_quarantine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [run_record(i, region="eu") for i in range(40)])
    native, python = _both(tmp_path, [path, path], "run", monkeypatch)  # the second time: all duplicates
    assert native == python
    assert native["counts"] == (0, 40, 0, 0) and native["quarantine"] == []


@pytest.mark.parametrize("name", ["edits", "conversations"])
def test_sample_files_match_the_python_reader(
    tmp_path: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    kind = name[:-1]
    native, python = _both(tmp_path, [sample_dir / f"{name}.jsonl"], kind, monkeypatch)
    assert native == python
    assert native["counts"][0] > 0


def test_parquet_rejects_and_repeats_match_the_python_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    df = pd.DataFrame([run_record(i) for i in [*range(6), 3, 3]])
    df.loc[7, "score"] = 0.125  # line 8: same id as line 4, other content
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df.loc[1, "score"] = 1.5
    df.loc[2, "tokens_in"] = -3
    df["extra"] = [{"k": rec_id} for rec_id in df["id"]]
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=3)
    native, python = _both(tmp_path, [path], "run", monkeypatch)
    assert native == python
    assert native["counts"] == (4, 1, 1, 2)
    assert [line for line, _, _ in native["quarantine"]] == [2, 3, 8]


def test_malformed_sample_without_crs_matches_the_python_reader(
    tmp_path: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The malformed sample has CRLF line ends and invalid UTF-8 (both left to Python): plain LF, valid bytes."""
    lines = (sample_dir / "malformed_runs.jsonl").read_bytes().split(b"\n")
    plain = []
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            line = b'{"broken": '
        plain.append(line.replace(b"\r", b""))
    path = tmp_path / "malformed.jsonl"
    path.write_bytes(b"\n".join(plain))
    native, python = _both(tmp_path, [path], "run", monkeypatch)
    assert native == python
    truth = json.loads((sample_dir / "ground_truth.json").read_text(encoding="utf-8"))["effects"]["malformed"]
    assert native["counts"] == tuple(truth["counts"][k] for k in ("accepted", "duplicate", "conflict", "rejected"))


def test_what_duckdb_cannot_read_falls_back_to_the_python_reader(tmp_path: Path) -> None:
    good = [json.dumps(run_record(i)).encode() for i in range(3)]
    bad = b'{"id": "x", "output": "caf\xe9\xff"}'
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join([good[0], bad, good[1], good[2]]) + b"\n")
    with Store(tmp_path / "s.duckdb") as store:
        assert native_source(store.connection, path, "lines", kind_of("run")) is not None
        report = _ingest_with(store, path, "run", native=True)
        assert (report.accepted, report.rejected) == (3, 1)
        assert report.examples == [f"{path}:2: invalid UTF-8 at byte 27 of the line"]
        assert store.sql("SELECT count(*) AS n FROM ingestions")["n"].iloc[0] == 1


@pytest.mark.parametrize("data", [b'{"a": 1}\r\n{"a": 2}\r\n', b'{"a": 1}\n{"a":\r 2}\n', b'{"a": 1}\n{"a": "\x00"}\n'])
def test_carriage_returns_and_nul_bytes_are_left_to_the_python_reader(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(data)
    with Store(tmp_path / "s.duckdb") as store:
        assert native_source(store.connection, path, "lines", kind_of("run")) is None


def test_a_line_longer_than_duckdb_takes_falls_back_to_the_python_reader(tmp_path: Path) -> None:
    from agenthone.store._native import MAX_LINE_BYTES

    records = [run_record(1), run_record(2, output="y" * (MAX_LINE_BYTES + 1)), run_record(3)]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    with Store(tmp_path / "s.duckdb") as store:
        report = _ingest_with(store, path, "run", native=True)
        assert (report.accepted, report.rejected) == (3, 0)


def test_later_stretches_are_shorter_as_they_also_cut_the_lines_before_them() -> None:
    from agenthone.store._native import _CUT_SHARE, _stretch_starts

    starts = _stretch_starts(1_000_000, 8)
    lengths = [b - a for a, b in zip(starts, [*starts[1:], 1_000_000], strict=True)]
    assert starts[0] == 0 and lengths == sorted(lengths, reverse=True)
    # each thread's work (its lines, plus cutting the lines before them) comes out about even
    work = [length + _CUT_SHARE * start for start, length in zip(starts, lengths, strict=True)]
    assert max(work) - min(work) < 2


def test_no_more_stretches_than_fit_in_duckdbs_memory(tmp_path: Path) -> None:
    from agenthone.store._native import _memory_limit, _stretch_count

    with Store(tmp_path / "s.duckdb", memory_limit="512MB", threads=8) as store:
        memory = _memory_limit(store.connection)
    assert memory == pytest.approx(512e6, rel=1e-3)  # DuckDB shows it as 488.2 MiB
    # 1 KiB lines: each stretch holds 64 MiB of scan buffers and a 120 MiB row group; two fit in 512 MB
    assert _stretch_count(1_000_000, 1024, 8, memory) == 2
    assert _stretch_count(1_000_000, 1024, 8, 4 << 30) == 8
    assert _stretch_count(30_000, 1024, 8, 4 << 30) == 1  # too few lines to be worth a second scan
