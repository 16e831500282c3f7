"""Store tables of the training stage: jobs, their events and their step metrics.

Only the process that polls a job writes these (through the store's lock); a local job's worker
process writes files in its job folder instead, which the poller syncs in.
"""

from __future__ import annotations

from typing import Any

__all__ = ["JOB_TABLES", "ensure_job_tables"]

JOB_TABLES: dict[str, str] = {
    "jobs": """CREATE TABLE IF NOT EXISTS jobs (
        job_id VARCHAR PRIMARY KEY,
        provider VARCHAR NOT NULL,
        provider_job_id VARCHAR,
        status VARCHAR NOT NULL,
        provider_status VARCHAR,
        method VARCHAR NOT NULL,
        base_model VARCHAR,
        fine_tuned_model VARCHAR,
        dataset_name VARCHAR,
        dataset_version VARCHAR,
        dataset_digest VARCHAR,
        agent_name VARCHAR,
        category VARCHAR,
        hyperparameters JSON,
        files JSON,
        cost_estimate JSON,
        estimated_cost_usd DOUBLE,
        cost_usd DOUBLE,
        trained_tokens BIGINT,
        gate JSON,
        error VARCHAR,
        mlflow_run_id VARCHAR,
        workdir VARCHAR,
        details JSON,
        created_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ,
        finalized_at TIMESTAMPTZ)""",
    "job_events": """CREATE TABLE IF NOT EXISTS job_events (
        job_id VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        created_at TIMESTAMPTZ,
        level VARCHAR,
        type VARCHAR,
        message VARCHAR,
        data JSON,
        PRIMARY KEY (job_id, event_id))""",
    "job_metrics": """CREATE TABLE IF NOT EXISTS job_metrics (
        job_id VARCHAR NOT NULL,
        step BIGINT NOT NULL,
        name VARCHAR NOT NULL,
        value DOUBLE,
        recorded_at TIMESTAMPTZ,
        PRIMARY KEY (job_id, step, name))""",
}


def ensure_job_tables(con: Any) -> None:
    """Create the training tables when missing (idempotent)."""
    for ddl in JOB_TABLES.values():
        con.execute(ddl)


def job_tables_exist(con: Any) -> bool:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name = 'jobs'").fetchall()
    return bool(rows)
