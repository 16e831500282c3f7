"""Tables of the store, created and migrated from the record specs.

Each record table holds the spec's fields plus three bookkeeping columns: ``content_hash`` (DuckDB
``hash()`` over the normalised content, used to tell a duplicate from a conflict), ``ingest_id`` and
``source_line`` (provenance: which ingestion and which line each row came from).

Migrations are additive and automatic: a column that a newer spec adds is added to an older store, and
the content hashes are recomputed when the DuckDB version changes (its ``hash()`` is only stable within
a version), so re-ingesting old files still finds their duplicates.
"""

from __future__ import annotations

import duckdb

from agenthone.records import KINDS, RecordKind

__all__ = ["SCHEMA_VERSION", "ensure_schema", "hash_expression", "record_columns"]

SCHEMA_VERSION = 1

_BOOKKEEPING = (("content_hash", "UBIGINT"), ("ingest_id", "BIGINT"), ("source_line", "BIGINT"))


def record_columns(kind: RecordKind) -> list[tuple[str, str]]:
    """(name, SQL type) of every column of the kind's table, in order."""
    return [(f.name, f.sql_type) for f in kind.fields] + list(_BOOKKEEPING)


def hash_expression(kind: RecordKind) -> str:
    """The content hash over stored columns; the same value validation computes at ingest."""
    return "hash(" + ", ".join(f'"{f.name}"' for f in kind.fields if f.name != "id") + ")"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and columns; recompute content hashes after a DuckDB upgrade."""
    con.execute("CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("CREATE SEQUENCE IF NOT EXISTS ingest_seq START 1")
    con.execute(
        """CREATE TABLE IF NOT EXISTS ingestions (
            ingest_id BIGINT PRIMARY KEY, kind VARCHAR, source VARCHAR, format VARCHAR,
            started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, bytes BIGINT,
            accepted BIGINT, duplicate BIGINT, conflict BIGINT, rejected BIGINT)"""
    )
    for kind in KINDS.values():
        cols = record_columns(kind)
        ddl = ", ".join(f'"{name}" {sql_type}' for name, sql_type in cols)
        con.execute(f"CREATE TABLE IF NOT EXISTS {kind.table} ({ddl})")
        existing = {row[0] for row in con.execute(f"DESCRIBE {kind.table}").fetchall()}
        for name, sql_type in cols:
            if name not in existing:
                con.execute(f'ALTER TABLE {kind.table} ADD COLUMN "{name}" {sql_type}')
    meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
    version = duckdb.__version__
    if meta.get("duckdb_version") not in (None, version):
        for kind in KINDS.values():
            con.execute(f"UPDATE {kind.table} SET content_hash = {hash_expression(kind)}")
    con.execute(
        "INSERT OR REPLACE INTO _meta VALUES ('schema_version', ?), ('duckdb_version', ?)",
        [str(SCHEMA_VERSION), version],
    )
