"""The store creates and migrates its own tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from agenthone.store import Store
from tests.conftest import run_record, write_jsonl


def test_a_store_missing_a_newer_column_is_migrated_without_losing_rows(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.ingest(write_jsonl(tmp_path / "r.jsonl", [run_record(i) for i in range(5)]), "run")
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE runs DROP COLUMN user_feedback")  # as if written by an older version
    con.close()
    with Store(db) as store:
        columns = set(store.sql("DESCRIBE runs")["column_name"])
        assert "user_feedback" in columns
        assert store.counts()["runs"] == 5
        assert store.sql("SELECT value FROM _meta WHERE key = 'schema_version'")["value"].iloc[0] == "1"


def test_content_hashes_are_recomputed_after_a_duckdb_upgrade(tmp_path: Path) -> None:
    """DuckDB's hash() is only stable within a version: after an upgrade re-ingesting must still find duplicates."""
    db = tmp_path / "s.duckdb"
    path = write_jsonl(tmp_path / "r.jsonl", [run_record(i) for i in range(5)])
    with Store(db) as store:
        store.ingest(path, "run")
    con = duckdb.connect(str(db))
    con.execute("UPDATE runs SET content_hash = content_hash + 1")  # what another version's hash() looks like
    con.execute("UPDATE _meta SET value = '0.9.0' WHERE key = 'duckdb_version'")
    con.close()
    with Store(db) as store:
        report = store.ingest(path, "run")
        assert (report.accepted, report.duplicate, report.conflict) == (0, 5, 0)
        assert store.sql("SELECT value FROM _meta WHERE key = 'duckdb_version'")["value"].iloc[0] == duckdb.__version__
