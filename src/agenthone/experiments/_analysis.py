"""The per-unit frame of an experiment, built from the store, and its analysis.

Outcomes are runs and edits whose ``metadata`` carries ``experiment`` and ``variant`` (the unit in
``metadata.unit``, else the run's ``session_id`` or the edit's ``user_id``), plus the experiment agent's
untagged runs and edits of exposed units from their first exposure on (the unit matched by the
experiment's unit kind: an edit's ``user_id``, a run's ``session_id``, else ``metadata.user_id`` /
``session_id`` / ``intent_id``). The unit is the independent observation: each metric is the unit's mean
over its events, and a unit keeps the first variant it was seen in (units seen in two are counted).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agenthone.experiments._design import (
    EDIT_METRICS,
    HIGHER_IS_BETTER,
    METRICS,
    RATE_METRICS,
    RUN_METRICS,
    Experiment,
    metric_kind,
)
from agenthone.experiments._store import ExperimentRecords

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.experiments._stats import Decision, SRMResult, TestResult
    from agenthone.store import Store

__all__ = [
    "PRE_PERIOD_DAYS",
    "ExperimentAnalysis",
    "ExperimentStatus",
    "MetricTest",
    "analyze",
    "estimate_baseline",
    "experiment_status",
    "plot_lift",
    "unit_frame",
]

PRE_PERIOD_DAYS = 14
"""CUPED covariates: each unit's mean of a metric over this many days before its first exposure."""

_MIN_UNITS = 2
"""Units with a value per arm below which a metric is not tested."""


def _tag(p: str = "") -> str:
    return f"json_extract_string({p}metadata, '$.experiment')"


def _meta(key: str, p: str = "") -> str:
    return f"json_extract_string({p}metadata, '$.{key}')"


def _unit_key(kind: str, unit_kind: str, p: str = "") -> str:
    """The unit of an untagged event (columns prefixed ``p``), by the experiment's unit kind."""
    own = {
        ("edit", "user"): f"{p}user_id",
        ("run", "session"): f"{p}session_id",
    }.get((kind, unit_kind), _meta(f"{unit_kind}_id", p))
    return f"coalesce({_meta('unit', p)}, {own})"


def _tagged_unit(kind: str) -> str:
    return f"coalesce({_meta('unit')}, {'user_id' if kind == 'edit' else 'session_id'})"


def _columns(kind: str, p: str = "") -> str:
    if kind == "edit":
        return f"CAST({p}accepted AS DOUBLE) AS acceptance, {p}ai_output AS ai_output, {p}final_output AS final_output"
    return ", ".join(f"CAST({p}{c} AS DOUBLE) AS {c}" for c in RUN_METRICS)


_TABLES = {"edit": "edits", "run": "runs"}


# -- the per-unit frame ------------------------------------------------------------------------------


_EFFECT_COLUMNS = (
    "n_control",
    "n_treatment",
    "control_mean",
    "treatment_mean",
    "difference",
    "ci_low",
    "ci_high",
    "relative_lift",
    "p_value",
)
"""The columns of one treatment-vs-control result, in the tests table and the daily series alike."""


@dataclass
class _Built:
    events: pd.DataFrame
    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    mixed_units: int = 0
    unknown_variant_events: int = 0
    event_rows: Any = None
    """For each event, its unit's row in ``frame`` (-1: none); saves re-matching unit ids by string."""


def _events(store: Store, experiment: Experiment, kinds: Sequence[str]) -> pd.DataFrame:
    """Event rows: kind, timestamp, unit, variant and the metric columns of the kind."""
    import pandas as pd

    design = experiment.design
    joined = bool(design.agent) and ExperimentRecords(store).has_tables()
    frames = []
    for kind in kinds:
        table = _TABLES[kind]
        query = (
            f"SELECT '{kind}' AS kind, timestamp, {_tagged_unit(kind)} AS unit, {_meta('variant')} AS variant, "
            f"{_columns(kind)} FROM {table} WHERE {_tag()} = ?"
        )
        params: list[Any] = [design.name]
        if joined:
            until = " AND e.timestamp <= ?" if experiment.stopped_at else ""
            query += (
                f" UNION ALL SELECT '{kind}' AS kind, e.timestamp, x.unit, x.variant, {_columns(kind, 'e.')} "
                f"FROM {table} e JOIN exposures x "
                f"ON x.experiment = ? AND x.unit = {_unit_key(kind, design.unit_kind, 'e.')} "
                f"WHERE e.agent_name = ? AND {_tag('e.')} IS NULL "
                f"AND e.timestamp >= x.timestamp{until}"
            )
            params += [design.name, design.agent] + ([experiment.stopped_at] if experiment.stopped_at else [])
        frames.append(store.sql(query, params))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {
                "kind": pd.Series([], dtype="object"),
                "timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
                "unit": pd.Series([], dtype="object"),
                "variant": pd.Series([], dtype="object"),
            }
        )
    return pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]


def _text(values: pd.Series) -> pd.Series:
    """``values`` as strings, converted only when they are not strings already (a copy of 1M ids costs)."""
    import pandas as pd

    return values if pd.api.types.is_string_dtype(values) else values.astype(str)


def _known(variants: pd.Series, names: Sequence[str]) -> Any:
    """Rows whose variant is one of ``names`` (a boolean array; factorised, fast on millions of rows)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(variants, sort=False)
    allowed = np.isin(np.asarray(uniques, dtype=object), list(names))
    return (codes >= 0) & np.append(allowed, False)[codes]


def _edit_distances(events: pd.DataFrame) -> None:
    """Add ``edit_distance`` to edit rows (normalised word-level distance of ai_output to final_output)."""
    import numpy as np

    from agenthone.text import normalized_edit_distances

    if "ai_output" not in events:
        events["edit_distance"] = np.nan
        return
    mask = (events["kind"] == "edit").to_numpy()
    values = np.full(len(events), np.nan)
    if mask.any():
        pairs = zip(events.loc[mask, "ai_output"].tolist(), events.loc[mask, "final_output"].tolist(), strict=True)
        values[mask] = normalized_edit_distances(pairs)
    events["edit_distance"] = values


def _wanted(metrics: Sequence[str] | None) -> tuple[list[str], list[str]]:
    wanted = list(metrics or METRICS)
    kinds = [k for k, group in (("edit", EDIT_METRICS), ("run", RUN_METRICS)) if any(m in group for m in wanted)]
    return wanted, kinds


def _build(store: Store, experiment: Experiment, metrics: Sequence[str] | None = None, *, pre: bool = True) -> _Built:
    import numpy as np
    import pandas as pd

    design = experiment.design
    wanted, kinds = _wanted(metrics)
    events = _events(store, experiment, kinds)
    if "edit_distance" in wanted:
        _edit_distances(events)
    events = events.drop(columns=[c for c in ("ai_output", "final_output") if c in events])
    for metric in wanted:
        if metric not in events:
            events[metric] = np.nan
    exposures = ExperimentRecords(store).exposures(design.name)
    # strings are factorised once: everything per unit below works on integer codes (1M units in well
    # under a second, where string group-bys took tens of seconds)
    keep = _known(events["variant"], design.variant_names)
    unknown = int((~keep).sum())
    events = events[keep].reset_index(drop=True)

    parts = [
        exposures.assign(order=0)[["unit", "variant", "timestamp", "order"]],
        events.assign(order=1)[["unit", "variant", "timestamp", "order"]],
    ]
    parts = [part for part in parts if len(part)] or parts[1:]  # an empty part would turn strings into objects
    seen = (pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]).dropna(subset=["unit"])
    seen = seen[_known(seen["variant"], design.variant_names)]
    unit_codes, unit_names = pd.factorize(_text(seen["unit"]), sort=False)
    variant_codes, variant_names = pd.factorize(_text(seen["variant"]), sort=False)
    mixed = 0
    if len(seen):  # units seen under more than one variant: their lowest and highest variant differ
        lowest = np.full(len(unit_names), len(variant_names), dtype=np.int64)
        highest = np.full(len(unit_names), -1, dtype=np.int64)
        np.minimum.at(lowest, unit_codes, variant_codes)
        np.maximum.at(highest, unit_codes, variant_codes)
        mixed = int((lowest != highest).sum())
    stamps = pd.to_datetime(seen["timestamp"], utc=True).to_numpy(dtype="datetime64[us]").astype(np.int64)
    order = np.lexsort((seen["order"].to_numpy(), stamps))
    firsts = ~pd.Series(unit_codes[order]).duplicated().to_numpy()
    first_rows = order[firsts]
    first_codes = unit_codes[first_rows]
    frame = pd.DataFrame(
        {
            "unit": unit_names.take(first_codes),
            "variant": variant_names.take(variant_codes[first_rows]),
            "first_exposure": pd.to_datetime(stamps[first_rows], unit="us", utc=True),
        }
    )
    # events come after the exposures in ``seen`` (same order): their unit codes are already there
    event_units = np.full(len(events), -1, dtype=np.int64)
    in_seen = events["unit"].notna().to_numpy()
    event_units[in_seen] = unit_codes[len(seen) - int(in_seen.sum()) :]
    n_units = len(unit_names)
    kinds_of: dict[str, str] = {}
    for metric in wanted:
        values = events[metric].to_numpy(dtype=float, na_value=np.nan)
        valid = ~np.isnan(values) & (event_units >= 0)
        sums = np.bincount(event_units[valid], weights=values[valid], minlength=n_units)
        counts = np.bincount(event_units[valid], minlength=n_units)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        frame[metric] = means[first_codes]
        present = counts[counts > 0]
        kinds_of[metric] = (
            "proportion" if metric in RATE_METRICS and len(present) and bool((present == 1).all()) else "mean"
        )
    for kind, column in (("edit", "edits"), ("run", "runs")):
        mask = (events["kind"] == kind).to_numpy() & (event_units >= 0)
        frame[column] = np.bincount(event_units[mask], minlength=n_units)[first_codes].astype(int)
    frame["_code"] = first_codes
    frame = frame.sort_values("first_exposure", kind="stable").reset_index(drop=True)
    row_of_code = np.full(n_units, -1, dtype=np.int64)
    row_of_code[frame.pop("_code").to_numpy()] = np.arange(len(frame))
    event_rows = np.where(event_units >= 0, row_of_code[np.maximum(event_units, 0)], -1)
    if pre and len(frame):
        _add_pre_period(store, experiment, frame, wanted, kinds)
    return _Built(events, frame, kinds_of, mixed, unknown, event_rows)


def _add_pre_period(
    store: Store, experiment: Experiment, frame: pd.DataFrame, wanted: list[str], kinds: list[str]
) -> None:
    """Add ``pre_<metric>``: each unit's mean over the days before its first exposure (untagged events)."""
    design = experiment.design
    units = frame[["unit", "first_exposure"]]
    for kind in kinds:
        agent = " AND e.agent_name = ?" if design.agent else ""
        query = (
            f"SELECT u.unit, {_columns(kind, 'e.')} FROM hone_experiment_units u JOIN {_TABLES[kind]} e "
            f"ON {_unit_key(kind, design.unit_kind, 'e.')} = u.unit "
            f"AND e.timestamp >= u.first_exposure - INTERVAL {PRE_PERIOD_DAYS} DAY AND e.timestamp < u.first_exposure "
            f"WHERE coalesce({_tag('e.')}, '') <> ?{agent}"
        )
        params = [design.name] + ([design.agent] if design.agent else [])
        with store.locked() as con:
            con.register("hone_experiment_units", units)
            try:
                rows = con.execute(query, params).df()
            finally:
                con.unregister("hone_experiment_units")
        if kind == "edit" and "edit_distance" in wanted:
            rows["kind"] = "edit"
            _edit_distances(rows)
        grouped = rows.groupby("unit")
        for metric in wanted:
            if metric in rows and (metric in EDIT_METRICS) == (kind == "edit"):
                means = grouped[metric].mean()
                if means.notna().any():
                    frame[f"pre_{metric}"] = frame["unit"].map(means).astype(float)
    for metric in wanted:
        column = f"pre_{metric}"
        if column in frame and frame[column].notna().sum() == 0:
            frame.drop(columns=[column], inplace=True)


def unit_frame(store: Store, experiment: Experiment, *, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per unit: ``unit, variant, first_exposure``, the metrics (the unit's mean; NaN without
    events), ``edits``/``runs`` counts and ``pre_<metric>`` covariates where the pre-period has data."""
    return _build(store, experiment, metrics).frame


# -- planning ----------------------------------------------------------------------------------------


def estimate_baseline(store: Store, agent: str, metric: str, *, days: int = 28) -> tuple[float | None, float | None]:
    """The agent's mean and standard deviation of ``metric`` per event over its last ``days`` days in the store."""
    import numpy as np

    kind = "edit" if metric in EDIT_METRICS else "run"
    table = _TABLES[kind]
    recent = (
        f"FROM {table} WHERE agent_name = ? AND timestamp > "
        f"(SELECT max(timestamp) FROM {table} WHERE agent_name = ?) - INTERVAL {int(days)} DAY"
    )
    if metric == "edit_distance":
        from agenthone.text import normalized_edit_distances

        rows = store.sql(f"SELECT ai_output, final_output {recent} ORDER BY timestamp DESC LIMIT 5000", [agent, agent])
        if rows.empty:
            return None, None
        values = np.asarray(normalized_edit_distances(zip(rows["ai_output"], rows["final_output"], strict=True)))
        return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else None
    column = {"acceptance": "accepted"}.get(metric, metric)
    row = store.sql(
        f'SELECT avg(CAST("{column}" AS DOUBLE)) AS m, stddev_samp(CAST("{column}" AS DOUBLE)) AS s {recent}',
        [agent, agent],
    ).iloc[0]
    mean, sd = row["m"], row["s"]
    if mean is None or math.isnan(mean):
        return None, None
    return float(mean), None if sd is None or math.isnan(sd) else float(sd)


# -- results -----------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, timestamps ISO text, containers recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _as_dict(data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = _clean(data)
    return cleaned


@dataclass(frozen=True)
class MetricTest:
    """One metric, one treatment against the control, with its corrected p-value and verdict."""

    metric: str
    role: str
    """primary | guardrail"""
    result: TestResult
    p_adjusted: float
    """adjusted across every (metric, treatment) test of the analysis"""
    significant: bool
    """the primary metric: adjusted p < alpha; a guardrail: unadjusted p < alpha (harm is read strictly)"""
    higher_is_better: bool
    cuped_theta: float | None = None
    """the CUPED coefficient when a pre-period covariate adjusted the metric"""

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "no difference"
        return "better" if (self.result.difference > 0) == self.higher_is_better else "worse"

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(
            {
                **self.result.as_dict(),
                "role": self.role,
                "p_adjusted": self.p_adjusted,
                "significant": self.significant,
                "verdict": self.verdict,
                "higher_is_better": self.higher_is_better,
                "cuped_theta": self.cuped_theta,
            }
        )


@dataclass(frozen=True)
class ExperimentStatus:
    """Where a running experiment stands: units per variant, the SRM check, progress to its planned size."""

    experiment: Experiment
    units: dict[str, int]
    exposures: dict[str, int]
    with_outcomes: dict[str, int]
    """units per variant with a value of the primary metric"""
    srm: SRMResult
    planned_n: int | None
    start: datetime | None
    last: datetime | None

    @property
    def progress(self) -> float | None:
        """Smallest arm's units with outcomes over the planned units per arm."""
        if not self.planned_n or not self.with_outcomes:
            return None
        return min(self.with_outcomes.values()) / self.planned_n

    @property
    def days(self) -> int:
        if self.start is None or self.last is None:
            return 0
        return (self.last - self.start).days + 1

    def as_dict(self) -> dict[str, Any]:
        return _as_dict(
            {
                "experiment": self.experiment.name,
                "status": self.experiment.status,
                "source": self.experiment.source,
                "units": self.units,
                "exposures": self.exposures,
                "with_outcomes": self.with_outcomes,
                "srm": dataclasses.asdict(self.srm),
                "planned_n": self.planned_n,
                "progress": self.progress,
                "start": self.start,
                "last": self.last,
                "days": self.days,
            }
        )


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Tests per metric and treatment, the SRM check and the decision; ``daily`` holds the primary metric's
    difference over time with its confidence sequence (one row per day and treatment)."""

    experiment: Experiment
    sequential: bool
    correction: str
    units: int
    counts: dict[str, int]
    srm: SRMResult
    tests: list[MetricTest]
    decisions: dict[str, Decision]
    decision: Decision
    planned_n: int | None
    start: datetime | None
    last: datetime | None
    mixed_units: int = 0
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    daily: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def method(self) -> str:
        return "sequential (mSPRT, always valid)" if self.sequential else "fixed horizon"

    def primary(self, treatment: str | None = None) -> MetricTest | None:
        treatment = treatment or (self.experiment.design.treatments or ("",))[0]
        for t in self.tests:
            if t.role == "primary" and t.result.treatment == treatment:
                return t
        return None

    def table(self) -> pd.DataFrame:
        """The tests as a frame, one row per (treatment, metric)."""
        import pandas as pd

        columns = [
            "treatment",
            "metric",
            "role",
            "kind",
            *_EFFECT_COLUMNS,
            "p_adjusted",
            "verdict",
            "cuped_theta",
        ]
        return pd.DataFrame([t.as_dict() for t in self.tests], columns=columns)

    def summary(self) -> list[str]:
        """A few lines a person reads: the decision, its reason, SRM and the primary effect."""
        d = self.experiment.design
        lines = [f"{self.name}: {self.decision.action.upper()}: {self.decision.reason}"]
        lines.append(
            f"{self.units:,} units ({', '.join(f'{k} {v:,}' for k, v in self.counts.items())}); {self.method}, "
            f"{self.correction} across {len(self.tests)} test(s)"
        )
        srm = " FLAGGED: the split is not as planned" if self.srm.flagged else " ok"
        lines.append(f"SRM: p = {self.srm.p_value:.3g}{srm}")
        for treatment in d.treatments:
            p = self.primary(treatment)
            if p is not None:
                r = p.result
                lines.append(
                    f"{d.primary_metric} {treatment} vs {d.control}: {r.treatment_mean:.4g} vs {r.control_mean:.4g}, "
                    f"difference {r.difference:+.4g} [{r.ci_low:+.4g}, {r.ci_high:+.4g}], "
                    f"lift {r.relative_lift:+.1%}, p = {p.p_adjusted:.3g}"
                )
        if self.planned_n:
            lines.append(f"planned: {self.planned_n:,} units per arm")
        return lines

    def as_dict(self) -> dict[str, Any]:
        daily = None
        if self.daily is not None:
            daily = self.daily.assign(date=self.daily["date"].astype(str)).to_dict("records")
        return _as_dict(
            {
                "experiment": self.experiment.as_dict(),
                "method": "msprt" if self.sequential else "fixed",
                "correction": self.correction,
                "units": self.units,
                "counts": self.counts,
                "mixed_units": self.mixed_units,
                "srm": dataclasses.asdict(self.srm),
                "decision": dataclasses.asdict(self.decision),
                "decisions": {k: dataclasses.asdict(v) for k, v in self.decisions.items()},
                "planned_n": self.planned_n,
                "start": self.start,
                "last": self.last,
                "tests": [t.as_dict() for t in self.tests],
                "skipped": self.skipped,
                "daily": daily,
            }
        )


# -- analysis ----------------------------------------------------------------------------------------


def _srm(experiment: Experiment, frame: pd.DataFrame) -> SRMResult:
    from agenthone.experiments._stats import srm_check

    counts = frame["variant"].value_counts().to_dict() if len(frame) else {}
    return srm_check({str(k): int(v) for k, v in counts.items()}, experiment.design.weights)


def _span(frame: pd.DataFrame, events: pd.DataFrame) -> tuple[datetime | None, datetime | None]:
    if not len(frame):
        return None, None
    start = frame["first_exposure"].min()
    last = max(start, events["timestamp"].max()) if len(events) else frame["first_exposure"].max()
    return start.to_pydatetime(), last.to_pydatetime()


def experiment_status(store: Store, experiment: Experiment) -> ExperimentStatus:
    """Units per variant (exposed or with outcomes), the SRM check and progress towards ``planned_n``."""
    design = experiment.design
    built = _build(store, experiment, [design.primary_metric], pre=False)
    frame = built.frame
    units = {v: int((frame["variant"] == v).sum()) for v in design.variant_names}
    outcomes = frame[frame[design.primary_metric].notna()]
    with_outcomes = {v: int((outcomes["variant"] == v).sum()) for v in design.variant_names}
    exposures = ExperimentRecords(store).exposure_counts(design.name)
    start, last = _span(frame, built.events)
    return ExperimentStatus(
        experiment=experiment,
        units=units,
        exposures={v: exposures.get(v, 0) for v in design.variant_names},
        with_outcomes=with_outcomes,
        srm=_srm(experiment, frame),
        planned_n=experiment.planned_n or _planned_from_control(experiment, frame, built.kinds),
        start=start,
        last=last,
    )


def _planned_from_control(experiment: Experiment, frame: pd.DataFrame, kinds: dict[str, str]) -> int | None:
    """For an experiment planned without a baseline: the size its control's observed mean implies."""
    design = experiment.design
    metric = design.primary_metric
    values = frame.loc[frame["variant"] == design.control, metric].dropna()
    if len(values) < _MIN_UNITS:
        return None
    baseline, sd = float(values.mean()), float(values.std(ddof=1))
    if metric_kind(metric) == "proportion" and kinds.get(metric) == "mean":
        sd = max(sd, 1e-9)
    try:
        kind = "proportion" if kinds.get(metric) == "proportion" else "mean"
        n = design.required_sample_size(baseline, sd=sd, kind=kind)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return n if n > 0 else None


def _tau(experiment: Experiment, frame: pd.DataFrame) -> float | None:
    """The mSPRT mixing scale of the primary metric: the planned effect as an absolute difference, from the
    planning baseline (else the control's observed mean); None (the test's default) when it is unknown."""
    design = experiment.design
    if not design.relative:
        return design.mde
    baseline = experiment.baseline
    if baseline is None:
        values = frame.loc[frame["variant"] == design.control, design.primary_metric].dropna()
        baseline = float(values.mean()) if len(values) else None
    tau = abs(baseline * design.mde) if baseline else 0.0
    return tau if tau > 0 else None


def _test(
    metric: str,
    kind: str,
    control: Any,
    treatment: Any,
    *,
    names: tuple[str, str],
    alpha: float,
    fixed: bool,
    tau: float | None = None,
) -> TestResult:
    from agenthone.experiments._stats import proportion_test, sequential_test, welch_test

    if not fixed:
        return sequential_test(
            control,
            treatment,
            alpha=alpha,
            tau=tau,
            kind=kind,
            metric=metric,
            control_name=names[0],
            treatment_name=names[1],
        )
    if kind == "proportion":
        return proportion_test(
            int(control.sum()),
            len(control),
            int(treatment.sum()),
            len(treatment),
            alpha=alpha,
            metric=metric,
            control=names[0],
            treatment=names[1],
        )
    return welch_test(control, treatment, alpha=alpha, metric=metric, control_name=names[0], treatment_name=names[1])


def analyze(
    store: Store,
    experiment: Experiment,
    *,
    fixed: bool = False,
    correction: str = "holm",
    daily: bool = True,
) -> ExperimentAnalysis:
    """Analyse an experiment: per metric and treatment the sequential test (``fixed``: the fixed-horizon
    one), CUPED where a pre-period covariate exists, ``correction`` (holm | bh) across all tests, the SRM
    check and the decision per treatment (and overall)."""
    import numpy as np

    from agenthone.experiments._design import DesignError
    from agenthone.experiments._stats import adjust_pvalues, cuped, decide

    if correction not in ("holm", "bh"):
        raise DesignError(f"unknown correction {correction!r}: holm or bh")
    design = experiment.design
    built = _build(store, experiment, design.metrics)
    frame, kinds = built.frame, built.kinds
    srm = _srm(experiment, frame)
    planned = experiment.planned_n or _planned_from_control(experiment, frame, kinds)
    tau = _tau(experiment, frame)

    raw: list[tuple[str, TestResult, float | None]] = []
    skipped: dict[str, str] = {}
    for treatment in design.treatments:
        arms = frame[frame["variant"].isin((design.control, treatment))]
        for metric in design.metrics:
            sub = arms[arms[metric].notna()]
            y = sub[metric].to_numpy(dtype=float)
            is_control = (sub["variant"] == design.control).to_numpy()
            if min(int(is_control.sum()), int((~is_control).sum())) < _MIN_UNITS:
                skipped[f"{metric}:{treatment}"] = "fewer than two units with a value in an arm"
                continue
            if float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.abs(y).max())):
                skipped[f"{metric}:{treatment}"] = "no variation: every unit has the same value"
                continue
            kind = kinds.get(metric, "mean")
            theta = None
            pre = f"pre_{metric}"
            if pre in sub and sub[pre].notna().sum() >= 10 and sub[pre].nunique() > 1:
                x = sub[pre].to_numpy(dtype=float)
                x = np.where(np.isnan(x), np.nanmean(x), x)
                y, theta = cuped(y, x)
                kind = "mean"
            result = _test(
                metric,
                kind,
                y[is_control],
                y[~is_control],
                names=(design.control, treatment),
                alpha=design.alpha,
                fixed=fixed,
                tau=tau if metric == design.primary_metric else None,
            )
            raw.append((metric, result, theta))
    # the family: every (metric, treatment) test; the decision reads the primary metric's adjusted p-value
    # and the guardrails' unadjusted ones (a missed harm costs more than a second look)
    adjusted = adjust_pvalues([r.p_value for _, r, _ in raw], correction) if raw else []
    tests = [
        MetricTest(
            metric=metric,
            role="primary" if metric == design.primary_metric else "guardrail",
            result=result,
            p_adjusted=p,
            significant=(p if metric == design.primary_metric else result.p_value) < design.alpha,
            higher_is_better=HIGHER_IS_BETTER.get(metric, True),
            cuped_theta=theta,
        )
        for (metric, result, theta), p in zip(raw, adjusted, strict=True)
    ]
    decisions: dict[str, Decision] = {}
    for treatment in design.treatments:
        mine = [t for t in tests if t.result.treatment == treatment]
        primary = next((t for t in mine if t.role == "primary"), None)
        if primary is None:
            decisions[treatment] = _no_data(srm, design.primary_metric)
            continue
        decisions[treatment] = decide(
            dataclasses.replace(primary.result, p_value=primary.p_adjusted),
            [t.result for t in mine if t.role == "guardrail"],
            srm=srm,
            alpha=design.alpha,
            planned_n=planned,
            higher_is_better=HIGHER_IS_BETTER,
            sequential=not fixed,
        )
    start, last = _span(frame, built.events)
    return ExperimentAnalysis(
        experiment=experiment,
        sequential=not fixed,
        correction=correction,
        units=len(frame),
        counts={v: int((frame["variant"] == v).sum()) for v in design.variant_names},
        srm=srm,
        tests=tests,
        decisions=decisions,
        decision=_overall(decisions, tests, design.primary_metric),
        planned_n=planned,
        start=start,
        last=last,
        mixed_units=built.mixed_units,
        skipped=skipped,
        daily=_daily(built, experiment) if daily else None,
    )


def _no_data(srm: SRMResult, metric: str) -> Decision:
    from agenthone.experiments._stats import Decision

    if srm.flagged:
        return Decision("blocked", f"sample ratio mismatch (p = {srm.p_value:.2g})", {})
    return Decision("not_yet", f"not enough units with {metric} in each arm yet", {})


def _overall(decisions: dict[str, Decision], tests: list[MetricTest], primary: str) -> Decision:
    """One decision over all treatments: blocked, ship the best shipping one, keep if all lose, else wait."""
    from agenthone.experiments._stats import Decision

    if len(decisions) == 1:
        return next(iter(decisions.values()))
    actions = {t: d.action for t, d in decisions.items()}
    if "blocked" in actions.values():
        return next(d for d in decisions.values() if d.action == "blocked")
    shipping = [t for t, a in actions.items() if a == "ship"]
    if shipping:
        lift = {t.result.treatment: t.result.difference * (1 if t.higher_is_better else -1) for t in tests}
        best = max(shipping, key=lambda t: lift.get(t, 0.0))
        d = decisions[best]
        return Decision("ship", f"{best}: {d.reason}", d.guardrails)
    if all(a == "keep" for a in actions.values()):
        return Decision("keep", "every treatment is worse than the control", {})
    action = "not_yet" if "not_yet" in actions.values() else "inconclusive"
    return Decision(action, "; ".join(f"{t}: {d.reason}" for t, d in decisions.items()), {})


def _daily(built: _Built, experiment: Experiment) -> pd.DataFrame:
    """The primary metric's difference per treatment at the end of each day, with its confidence sequence
    (units exposed by that day, their events up to it; not CUPED-adjusted)."""
    import pandas as pd

    from agenthone.experiments._stats import sequential_test

    design = experiment.design
    metric = design.primary_metric
    columns = ["date", "treatment", *_EFFECT_COLUMNS]
    events = built.events
    if not len(events) or metric not in events:
        return pd.DataFrame(columns=columns)
    import numpy as np

    frame = built.frame
    units = frame["unit"]
    variant = frame["variant"].to_numpy(dtype=object)
    values = events[metric].to_numpy(dtype=float, na_value=np.nan)
    codes = built.event_rows
    valid = ~np.isnan(values) & (codes >= 0)
    if not valid.any():
        return pd.DataFrame(columns=columns)
    codes, values = codes[valid], values[valid]
    days = pd.to_datetime(events.loc[valid, "timestamp"], utc=True).dt.floor("D").dt.tz_localize(None).to_numpy()
    kind = built.kinds.get(metric, "mean")
    tau = _tau(experiment, frame)
    sums = np.zeros(len(units))
    counts = np.zeros(len(units))
    arms = {name: variant == name for name in design.variant_names}
    rows = []
    order = np.argsort(days, kind="stable")
    codes, values, days = codes[order], values[order], days[order]
    boundaries = np.flatnonzero(np.diff(days.astype("datetime64[D]").astype(np.int64))) + 1
    for chunk in np.split(np.arange(len(days)), boundaries):
        sums += np.bincount(codes[chunk], weights=values[chunk], minlength=len(units))
        counts += np.bincount(codes[chunk], minlength=len(units))
        day = days[chunk[0]]
        seen = counts > 0
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=seen)
        control = means[seen & arms[design.control]]
        for treatment in design.treatments:
            treated = means[seen & arms[treatment]]
            if min(len(control), len(treated)) < _MIN_UNITS:
                continue
            r = sequential_test(
                control,
                treated,
                alpha=design.alpha,
                tau=tau,
                kind=kind,
                metric=metric,
                control_name=design.control,
                treatment_name=treatment,
            )
            rows.append(
                [
                    pd.Timestamp(day).date(),
                    treatment,
                    r.n_control,
                    r.n_treatment,
                    r.control_mean,
                    r.treatment_mean,
                    r.difference,
                    r.ci_low,
                    r.ci_high,
                    r.relative_lift,
                    r.p_value,
                ]
            )
    return pd.DataFrame(rows, columns=columns)


def plot_lift(analysis: ExperimentAnalysis) -> Figure:
    """The primary metric's difference (treatment - control) over time, shaded by its confidence sequence.

    A bare Figure (not registered with pyplot), like every other plot of agenthone: a notebook shows it once.
    """
    from matplotlib.figure import Figure

    design = analysis.experiment.design
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    daily = analysis.daily
    if daily is None or daily.empty:
        ax.text(0.5, 0.5, "no outcomes yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    for treatment, rows in daily.groupby("treatment", sort=False):
        line = ax.plot(rows["date"], rows["difference"], marker=".", label=f"{treatment} - {design.control}")[0]
        ax.fill_between(rows["date"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.2)
    ax.axhline(0.0, color="grey", linewidth=1, linestyle="--")
    ax.set_ylabel(f"{design.primary_metric}: difference")
    ax.set_title(f"{analysis.name}: {design.primary_metric} over time, {1 - design.alpha:.0%} confidence sequence")
    ax.legend(loc="best")
    fig.autofmt_xdate()
    return fig
