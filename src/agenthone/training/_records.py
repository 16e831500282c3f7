"""The job rows in the store: jobs, their events and their step metrics, read and written in one place."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agenthone.providers import JobEvent, redact
from agenthone.training._job import Job, JobNotFoundError, now, row_to_job, sql_value
from agenthone.training._tables import ensure_job_tables, job_tables_exist

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.store import Store

__all__ = ["JobRecords"]

_NO_JOBS = "no fine-tuning jobs yet (start one with `hone train`)"


class JobRecords:
    """The ``jobs``, ``job_events`` and ``job_metrics`` rows of one store (tables created when writable)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        if not store.read_only:
            with store.locked() as con:
                ensure_job_tables(con)

    def has_tables(self) -> bool:
        with self.store.locked() as con:
            return job_tables_exist(con)

    # -- jobs --------------------------------------------------------------------------------------

    def get(self, job_id: str | None = None) -> Job:
        """The job ``job_id`` (a unique prefix or the provider's id is enough), or the latest job when None."""
        if not self.has_tables():
            raise JobNotFoundError(_NO_JOBS)
        if job_id is None:
            frame = self.store.sql("SELECT * FROM jobs ORDER BY created_at DESC LIMIT 1")
            if frame.empty:
                raise JobNotFoundError(_NO_JOBS)
            return row_to_job(frame.iloc[0].to_dict())
        frame = self.store.sql(
            "SELECT * FROM jobs WHERE job_id = ? OR provider_job_id = ? OR starts_with(job_id, ?) ORDER BY created_at",
            [job_id, job_id, job_id],
        )
        exact = frame[(frame["job_id"] == job_id) | (frame["provider_job_id"] == job_id)]
        if len(exact):
            return row_to_job(exact.iloc[0].to_dict())
        if len(frame) == 1:
            return row_to_job(frame.iloc[0].to_dict())
        if len(frame) > 1:
            raise JobNotFoundError(f"job id {job_id!r} is ambiguous: {', '.join(frame['job_id'])}")
        recent = self.store.sql("SELECT job_id FROM jobs ORDER BY created_at DESC LIMIT 5")["job_id"].tolist()
        if not recent:
            raise JobNotFoundError(f"no job {job_id!r}: {_NO_JOBS}")
        raise JobNotFoundError(f"no job {job_id!r} (latest: {', '.join(recent)})")

    def list(self, *, status: str | None = None, limit: int | None = None) -> builtins.list[Job]:
        """Jobs, newest first (optionally only those in one status)."""
        if not self.has_tables():
            return []
        query = "SELECT * FROM jobs"
        params: builtins.list[Any] = []
        if status:
            query += " WHERE status = ?"
            params.append(status)
        query += " ORDER BY created_at DESC"
        if limit:
            query += f" LIMIT {int(limit)}"
        return [row_to_job(r) for r in self.store.sql(query, params).to_dict("records")]

    def insert(self, values: Mapping[str, Any]) -> None:
        cols = builtins.list(values)
        with self.store.locked() as con:
            con.execute(
                f"INSERT INTO jobs ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [sql_value(k, values[k]) for k in cols],
            )

    def update(self, job_id: str, **values: Any) -> None:
        values["updated_at"] = now()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.store.locked() as con:
            con.execute(
                f"UPDATE jobs SET {sets} WHERE job_id = ?", [*(sql_value(k, v) for k, v in values.items()), job_id]
            )

    # -- events ------------------------------------------------------------------------------------

    def events(self, job_id: str) -> pd.DataFrame:
        """The job's events, oldest first."""
        return self.store.sql(
            "SELECT created_at, level, type, message, data, event_id FROM job_events WHERE job_id = ? "
            "ORDER BY created_at, event_id",
            [job_id],
        )

    def add_event(
        self, job_id: str, message: str, *, level: str = "info", data: Mapping[str, Any] | None = None
    ) -> None:
        """Record one of agenthone's own messages about the job."""
        with self.store.locked() as con:
            n = con.execute(
                "SELECT count(*) FROM job_events WHERE job_id = ? AND starts_with(event_id, 'hone-')", [job_id]
            ).fetchone()[0]  # type: ignore[index]
            con.execute(
                "INSERT OR IGNORE INTO job_events VALUES (?, ?, ?, ?, 'message', ?, ?)",
                [job_id, f"hone-{n + 1:04d}", now(), level, redact(message), json.dumps(data) if data else None],
            )

    def add_provider_events(self, job_id: str, events: Sequence[JobEvent]) -> int:
        """Record the provider's events not recorded yet; returns how many were new."""
        with self.store.locked() as con:
            known = {r[0] for r in con.execute("SELECT event_id FROM job_events WHERE job_id = ?", [job_id]).fetchall()}
            fresh = [e for e in events if f"p-{e.id}" not in known]
            for e in fresh:
                con.execute(
                    "INSERT OR IGNORE INTO job_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        job_id,
                        f"p-{e.id}",
                        e.created_at,
                        e.level,
                        e.type,
                        redact(e.message),
                        json.dumps(dict(e.data), default=str) if e.data else None,
                    ],
                )
        return len(fresh)

    # -- step metrics ------------------------------------------------------------------------------

    def metrics(self, job_id: str) -> pd.DataFrame:
        """The job's step metrics, one row per step and one column per metric."""
        import pandas as pd

        long = self.store.sql("SELECT step, name, value FROM job_metrics WHERE job_id = ? ORDER BY step", [job_id])
        if long.empty:
            return pd.DataFrame({"step": pd.Series([], dtype="int64")})
        wide = long.pivot_table(index="step", columns="name", values="value", aggfunc="last").reset_index()
        wide.columns.name = None
        return wide

    def metric_keys(self, job_id: str) -> set[tuple[int, str]]:
        """The (step, name) of every metric point recorded for the job."""
        with self.store.locked() as con:
            return {
                (int(s), str(n))
                for s, n in con.execute("SELECT step, name FROM job_metrics WHERE job_id = ?", [job_id]).fetchall()
            }

    def add_metrics(self, job_id: str, points: Mapping[tuple[int, str], tuple[float, datetime | None]]) -> None:
        """Record metric points keyed by (step, name), valued (value, time)."""
        with self.store.locked() as con:
            con.executemany(
                "INSERT OR IGNORE INTO job_metrics VALUES (?, ?, ?, ?, ?)",
                [[job_id, step, name, value, when] for (step, name), (value, when) in points.items()],
            )
