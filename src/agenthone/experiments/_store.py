"""Experiments in the workspace store: the ``experiments`` and ``exposures`` tables, and the service over them.

The tables are created on first use (like the training stage's job tables). An exposure is the first time
a unit was assigned: one row per (experiment, unit), and the first variant recorded is kept.

``assign`` is on a live agent's hot path, so it does no SQL in the common case: the design is cached in
memory, the variant is a hash, and exposures are buffered and written in batches (a single-row DuckDB
INSERT costs about 1.6 ms; a 1,000-row batch about 15 ms). The buffer is written when it holds
``batch_size`` exposures, when its oldest is ``flush_interval_s`` old (checked on the next call), before
any read through this service, on :meth:`Experiments.flush` and :meth:`Experiments.close`, and at exit.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agenthone.errors import StoreError
from agenthone.experiments._assign import assign as hash_assign
from agenthone.experiments._design import (
    EDIT_METRICS,
    DesignError,
    Experiment,
    ExperimentDesign,
    ExperimentNotFoundError,
    Variant,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.experiments._analysis import ExperimentAnalysis, ExperimentStatus
    from agenthone.store import Store

__all__ = ["EXPERIMENT_TABLES", "ExperimentRecords", "Experiments", "ensure_experiment_tables"]

EXPERIMENT_TABLES: dict[str, str] = {
    "experiments": """CREATE TABLE IF NOT EXISTS experiments (
        name VARCHAR PRIMARY KEY,
        agent VARCHAR,
        salt VARCHAR NOT NULL,
        variants JSON NOT NULL,
        primary_metric VARCHAR NOT NULL,
        guardrails JSON,
        mde DOUBLE,
        relative_mde BOOLEAN,
        alpha DOUBLE,
        power DOUBLE,
        unit_kind VARCHAR,
        status VARCHAR NOT NULL,
        created_at TIMESTAMPTZ,
        stopped_at TIMESTAMPTZ,
        decision JSON,
        baseline DOUBLE,
        sd DOUBLE,
        planned_n BIGINT)""",
    "exposures": """CREATE TABLE IF NOT EXISTS exposures (
        experiment VARCHAR NOT NULL,
        unit VARCHAR NOT NULL,
        variant VARCHAR NOT NULL,
        timestamp TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (experiment, unit))""",
}

_NO_EXPERIMENTS = "no experiments yet (create one with `hone exp create`)"
_TAGGED = "json_extract_string(metadata, '$.experiment')"


def ensure_experiment_tables(con: Any) -> None:
    """Create the experiment tables when missing (idempotent)."""
    for ddl in EXPERIMENT_TABLES.values():
        con.execute(ddl)


def _now() -> datetime:
    return datetime.now(UTC)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _utc(value: Any) -> datetime | None:
    if _missing(value):
        return None
    ts: datetime = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    return None if _missing(value) else float(value)


class ExperimentRecords:
    """The ``experiments`` and ``exposures`` rows of one store (tables created when it is writable)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        if not store.read_only:
            with store.locked() as con:
                ensure_experiment_tables(con)

    def has_tables(self) -> bool:
        with self.store.locked() as con:
            rows = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('experiments', 'exposures')"
            ).fetchall()
        return bool(rows and rows[0][0] == 2)

    # -- experiments -------------------------------------------------------------------------------

    def insert(
        self, design: ExperimentDesign, *, baseline: float | None, sd: float | None, planned_n: int | None
    ) -> None:
        self.store._writable()
        with self.store.locked() as con:
            if con.execute("SELECT 1 FROM experiments WHERE name = ?", [design.name]).fetchall():
                raise DesignError(f"experiment {design.name!r} exists already (stop it, or pick another name)")
            con.execute(
                "INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, NULL, NULL, ?, ?, ?)",
                [
                    design.name,
                    design.agent,
                    design.hash_salt,
                    json.dumps([v.model_dump(exclude_none=True) for v in design.variants]),
                    design.primary_metric,
                    json.dumps(list(design.guardrails)),
                    design.mde,
                    design.relative,
                    design.alpha,
                    design.power,
                    design.unit_kind,
                    _now(),
                    baseline,
                    sd,
                    planned_n,
                ],
            )

    def stored(self, name: str) -> Experiment | None:
        if not self.has_tables():
            return None
        frame = self.store.sql("SELECT * FROM experiments WHERE name = ?", [name])
        return _row_to_experiment(frame.iloc[0].to_dict()) if len(frame) else None

    def stored_all(self, status: str | None = None) -> builtins.list[Experiment]:
        if not self.has_tables():
            return []
        query, params = "SELECT * FROM experiments", []
        if status:
            query, params = query + " WHERE status = ?", [status]
        frame = self.store.sql(query + " ORDER BY created_at DESC", params)
        return [_row_to_experiment(r) for r in frame.to_dict("records")]

    def set_stopped(self, name: str, decision: Mapping[str, Any] | None) -> None:
        self.store._writable()
        with self.store.locked() as con:
            con.execute(
                "UPDATE experiments SET status = 'stopped', stopped_at = ?, decision = ? WHERE name = ?",
                [_now(), json.dumps(decision, default=str) if decision is not None else None, name],
            )

    def tagged(self, name: str | None = None) -> pd.DataFrame:
        """Experiments seen in runs' and edits' metadata: one row per (experiment, variant, kind, agent)."""
        where = f"{_TAGGED} = ?" if name else f"{_TAGGED} IS NOT NULL"
        parts = [
            f"SELECT {_TAGGED} AS experiment, json_extract_string(metadata, '$.variant') AS variant, "
            f"'{kind}' AS kind, agent_name, count(*) AS n, min(timestamp) AS first, max(timestamp) AS last "
            f"FROM {table} WHERE {where} GROUP BY ALL"
            for kind, table in (("edit", "edits"), ("run", "runs"))
        ]
        return self.store.sql(" UNION ALL ".join(parts), [name, name] if name else [])

    # -- exposures ---------------------------------------------------------------------------------

    def add_exposures(self, rows: Sequence[tuple[str, str, str, datetime]]) -> None:
        """Write exposures; a (experiment, unit) already stored keeps its first variant."""
        if not rows:
            return
        import pandas as pd

        batch = pd.DataFrame(rows, columns=["experiment", "unit", "variant", "timestamp"])
        with self.store.locked() as con:
            con.register("hone_exposure_batch", batch)
            try:
                con.execute("INSERT OR IGNORE INTO exposures SELECT * FROM hone_exposure_batch")
            finally:
                con.unregister("hone_exposure_batch")

    def exposures(self, name: str) -> pd.DataFrame:
        import pandas as pd

        if not self.has_tables():
            return pd.DataFrame(
                {
                    "unit": pd.Series([], dtype="object"),
                    "variant": pd.Series([], dtype="object"),
                    "timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
                }
            )
        return self.store.sql(
            "SELECT unit, variant, timestamp FROM exposures WHERE experiment = ? ORDER BY timestamp", [name]
        )

    def exposure_counts(self, name: str) -> dict[str, int]:
        if not self.has_tables():
            return {}
        frame = self.store.sql("SELECT variant, count(*) AS n FROM exposures WHERE experiment = ? GROUP BY 1", [name])
        return {str(v): int(n) for v, n in zip(frame["variant"], frame["n"], strict=True)}


def _row_to_experiment(row: Mapping[str, Any]) -> Experiment:
    design = ExperimentDesign.build(
        name=row["name"],
        agent=row["agent"],
        salt=row["salt"],
        variants=[Variant(**v) for v in json.loads(row["variants"])],
        primary_metric=row["primary_metric"],
        guardrails=tuple(json.loads(row["guardrails"] or "[]")),
        mde=row["mde"],
        relative=bool(row["relative_mde"]),
        alpha=row["alpha"],
        power=row["power"],
        unit_kind=row["unit_kind"],
    )
    planned = _number(row.get("planned_n"))
    return Experiment(
        design=design,
        status=str(row["status"]),
        created_at=_utc(row["created_at"]),
        stopped_at=_utc(row["stopped_at"]),
        baseline=_number(row.get("baseline")),
        sd=_number(row.get("sd")),
        planned_n=None if planned is None else int(planned),
        decision=json.loads(row["decision"]) if isinstance(row.get("decision"), str) else None,
    )


def _inferred(name: str, seen: pd.DataFrame) -> Experiment:
    """The design of an experiment known only from its outcomes' metadata."""
    names = sorted({str(v) for v in seen["variant"].dropna()})
    if "control" in names:
        names.remove("control")
        names.insert(0, "control")
    if len(names) < 2:
        raise ExperimentNotFoundError(
            f"experiment {name!r} is in the outcomes' metadata with {len(names)} variant(s); it needs two or more"
        )
    kinds = set(seen["kind"])
    primary = "acceptance" if "edit" in kinds else "success"
    guardrails = [m for m in EDIT_METRICS if m != primary and "edit" in kinds]
    guardrails += [m for m in ("latency_ms", "cost_usd") if "run" in kinds]
    agent = seen.groupby("agent_name")["n"].sum().idxmax() if len(seen) else None
    design = ExperimentDesign.build(
        name=name,
        agent=None if agent is None else str(agent),
        variants=[Variant(name=v) for v in names],
        primary_metric=primary,
        guardrails=tuple(guardrails),
        unit_kind="user" if "edit" in kinds else "session",
    )
    return Experiment(design=design, status="running", created_at=_utc(seen["first"].min()), source="outcomes")


class Experiments:
    """Create, assign, analyse and stop a workspace's experiments (``wb.experiments``).

    Read-only stores can be analysed; assigning needs a writable store. In a live agent that must not hold
    the store, hash with :func:`agenthone.experiments._assign.assign` and log ``metadata={"experiment": ...,
    "variant": ..., "unit": ...}`` on its runs and edits instead: the analysis reads both.
    """

    def __init__(
        self,
        store: Store,
        *,
        batch_size: int = 1000,
        flush_interval_s: float = 1.0,
        cache_ttl_s: float = 30.0,
    ) -> None:
        self.store = store
        self.records = ExperimentRecords(store)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.cache_ttl_s = cache_ttl_s
        self._lock = threading.Lock()
        self._designs: dict[str, tuple[float, str, tuple[str, ...], tuple[float, ...], bool]] = {}
        self._pending: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._oldest = 0.0
        self._written: set[tuple[str, str]] = set()
        # at exit (or when collected), write what is still buffered
        weakref.finalize(self, _flush_quietly, self.records, self._pending, self._lock)

    def __repr__(self) -> str:
        return f"Experiments({self.store!r})"

    # -- design ------------------------------------------------------------------------------------

    def create(
        self,
        design: ExperimentDesign | None = None,
        /,
        *,
        baseline: float | None = None,
        sd: float | None = None,
        **fields: Any,
    ) -> Experiment:
        """Create a running experiment from a design (or its fields) and plan its size.

        The required sample size per arm comes from ``baseline`` (and ``sd`` for a mean metric), by default
        the agent's primary metric over its last 28 days in the store; it stays unknown without either.
        """
        from agenthone.experiments._analysis import estimate_baseline

        if design is None:
            design = ExperimentDesign.build(**fields)
        elif fields:
            design = ExperimentDesign.build(**{**design.model_dump(), **fields})
        if baseline is None and design.agent:
            baseline, estimated_sd = estimate_baseline(self.store, design.agent, design.primary_metric)
            sd = sd if sd is not None else estimated_sd
        planned = None
        if baseline is not None and (sd is not None or design.primary_metric in ("acceptance", "success")):
            try:
                planned = design.required_sample_size(baseline, sd=sd)
            except (ValueError, ZeroDivisionError, OverflowError):
                planned = None
        self.records.insert(design, baseline=baseline, sd=sd, planned_n=planned)
        self._designs.pop(design.name, None)
        return self.get(design.name)

    def get(self, name: str | None = None) -> Experiment:
        """The experiment ``name`` (created, or seen in the outcomes' metadata); None: the most recent."""
        self.flush()
        if name is None:
            found = self.list()
            if not found:
                raise ExperimentNotFoundError(_NO_EXPERIMENTS)
            return found[0]
        stored = self.records.stored(name)
        if stored is not None:
            return stored
        seen = self.records.tagged(name)
        if len(seen):
            return _inferred(name, seen)
        known = [e.name for e in self.list()]
        hint = f" (known: {', '.join(known[:8])})" if known else f": {_NO_EXPERIMENTS}"
        raise ExperimentNotFoundError(f"no experiment {name!r}{hint}")

    def list(self, *, status: str | None = None) -> builtins.list[Experiment]:
        """Experiments, most recent first: created ones, then any seen only in the outcomes' metadata."""
        self.flush()
        found = self.records.stored_all(status)
        names = {e.name for e in self.records.stored_all()}
        if status in (None, "running"):
            seen = self.records.tagged()
            inferred = []
            for name, rows in seen.groupby("experiment"):
                if str(name) not in names:
                    try:
                        inferred.append(_inferred(str(name), rows))
                    except (ExperimentNotFoundError, DesignError):
                        continue
            inferred.sort(key=lambda e: e.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)
            found += inferred
        return found

    def stop(self, name: str, *, record_decision: bool = True) -> Experiment:
        """Stop a created experiment: ``assign`` then serves the control and records nothing; the decision
        of the analysis at this moment is kept with it."""
        experiment = self.get(name)
        if experiment.source != "store":
            raise DesignError(f"experiment {name!r} was never created here (it is only in the outcomes' metadata)")
        if not experiment.running:
            raise DesignError(f"experiment {name!r} was stopped already ({experiment.stopped_at:%Y-%m-%d %H:%M})")
        decision = None
        if record_decision:
            analysis = self.analyze(name)
            decision = {
                **dataclasses.asdict(analysis.decision),
                "analysed_at": _now().isoformat(),
                "units": analysis.units,
            }
        self.records.set_stopped(name, decision)
        self._designs.pop(name, None)
        return self.get(name)

    # -- assignment --------------------------------------------------------------------------------

    def _design(self, name: str) -> tuple[str, tuple[str, ...], tuple[float, ...], bool]:
        cached = self._designs.get(name)
        if cached is not None and time.monotonic() - cached[0] < self.cache_ttl_s:
            return cached[1:]
        experiment = self.records.stored(name)
        if experiment is None:
            raise ExperimentNotFoundError(f"no experiment {name!r}: create it first (`hone exp create`)")
        d = experiment.design
        entry = (time.monotonic(), d.hash_salt, d.variant_names, tuple(d.weights.values()), experiment.running)
        self._designs[name] = entry
        return entry[1:]

    def assign(self, experiment: str, unit: str) -> str:
        """The variant of ``unit`` (a user, session or intent id), recorded as its exposure.

        Deterministic: the same unit gets the same variant in every process. A stopped experiment serves
        its control and records nothing.
        """
        salt, variants, weights, running = self._design(experiment)
        unit = str(unit)
        if not running:
            return variants[0]
        variant = hash_assign(salt, unit, variants, weights)
        self._buffer(experiment, unit, variant, None)
        return variant

    def record_exposure(self, experiment: str, unit: str, variant: str, *, timestamp: datetime | None = None) -> None:
        """Record that ``unit`` saw ``variant``; idempotent per (experiment, unit), the first variant is kept."""
        _, variants, _, _ = self._design(experiment)
        if variant not in variants:
            raise DesignError(f"experiment {experiment!r} has no variant {variant!r} (variants: {', '.join(variants)})")
        self._buffer(experiment, str(unit), variant, timestamp)

    def _buffer(self, experiment: str, unit: str, variant: str, timestamp: datetime | None) -> None:
        if self.store.read_only:
            raise StoreError(f"store {self.store.path} is open read-only: exposures cannot be recorded")
        key = (experiment, unit)
        flush = False
        with self._lock:
            if key in self._written or key in self._pending:
                return
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending[key] = (variant, timestamp or _now())
            flush = len(self._pending) >= self.batch_size or time.monotonic() - self._oldest >= self.flush_interval_s
        if flush:
            self.flush()

    def flush(self) -> int:
        """Write buffered exposures now; returns how many were written (new or not)."""
        with self._lock:
            if not self._pending:
                return 0
            rows = [(e, u, v, ts) for (e, u), (v, ts) in self._pending.items()]
            self.records.add_exposures(rows)
            if len(self._written) > 1_000_000:
                self._written.clear()
            self._written.update(self._pending)
            self._pending.clear()
        return len(rows)

    def close(self) -> None:
        """Write buffered exposures (the store stays open)."""
        self.flush()

    # -- reading -----------------------------------------------------------------------------------

    def exposures(self, name: str) -> pd.DataFrame:
        """The experiment's exposures: unit, variant, timestamp (first exposure), oldest first."""
        self.flush()
        return self.records.exposures(name)

    def frame(self, name: str) -> pd.DataFrame:
        """The per-unit frame: one row per unit with its variant, first exposure, metrics and pre_ covariates."""
        from agenthone.experiments._analysis import unit_frame

        return unit_frame(self.store, self.get(name))

    def status(self, name: str | None = None) -> ExperimentStatus:
        """Units per variant, the SRM check and progress towards the planned sample size."""
        from agenthone.experiments._analysis import experiment_status

        return experiment_status(self.store, self.get(name))

    def analyze(
        self, name: str | None = None, *, fixed: bool = False, correction: str = "holm", daily: bool = True
    ) -> ExperimentAnalysis:
        """Analyse: sequential tests (``fixed=True``: fixed-horizon), CUPED, corrections, SRM, the decision."""
        from agenthone.experiments._analysis import analyze

        return analyze(self.store, self.get(name), fixed=fixed, correction=correction, daily=daily)

    def plot(self, analysis: ExperimentAnalysis | str) -> Figure:
        """Lift of the primary metric over time with its confidence sequence."""
        from agenthone.experiments._analysis import plot_lift

        return plot_lift(self.analyze(analysis) if isinstance(analysis, str) else analysis)


def _flush_quietly(
    records: ExperimentRecords, pending: dict[tuple[str, str], tuple[str, datetime]], lock: threading.Lock
) -> None:
    """At exit (or when the service is collected): write what is buffered if the store is still open."""
    import duckdb

    with lock:
        if not pending:
            return
        try:
            records.add_exposures([(e, u, v, ts) for (e, u), (v, ts) in pending.items()])
            pending.clear()
        except (duckdb.Error, StoreError):
            pass
