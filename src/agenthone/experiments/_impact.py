"""Deployment impact: did an agent do better after a deployment (or any date), beyond what moved everyone?

For the agent and a moment ``at``, each metric is compared in the ``days`` before (``[at - days, at)``) and
after (``[at, at + days)``):

- **before/after change** of the agent, ``d = m_after - m_before``, with its standard error
  ``se_d = sqrt(v_before / n_before + v_after / n_after)``. Rates (acceptance, success) use
  ``v = p (1 - p)``: a Wald interval, and the p-value of the pooled two-proportion z test. Means (score,
  latency, cost) use the sample variances: a Welch interval with Welch-Satterthwaite degrees of freedom.
- **difference in differences** against the agents that did not change in the same span (no deployment
  and no prompt version or model first seen in ``[at - days, at + days)``): ``DiD = d - mean_c(d_c)``. A
  change shared by every agent (a seasonal dip, a holiday, a traffic mix) cancels out. The agents' changes
  are independent samples, so

      var(DiD) = se_d^2 + tau^2 (1 + 1/k) + sum_c se_c^2 / k^2

  with ``k`` control agents and ``tau^2`` the spread of true changes between agents beyond sampling noise,
  estimated by moments as ``max(0, var_c(d_c) - mean_c(se_c^2))`` (0 with fewer than two controls). The
  ``tau^2`` term makes the question "does this agent's change stand out among agents that changed
  nothing?" rather than "is it different from their average?", so one noisy agent is not read as an
  effect. Interval and p-value are normal.

Everything is computed from per-agent, per-period counts, means and variances in SQL, so the store's size
does not matter. Pure numpy/scipy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from agenthone.errors import HoneError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from agenthone.config import Settings
    from agenthone.store import Store

__all__ = [
    "IMPACT_METRICS",
    "ImpactError",
    "ImpactReport",
    "MetricImpact",
    "deployment_impact",
    "impact",
    "latest_deployment",
    "model_impact",
]


@dataclass(frozen=True)
class _Metric:
    table: str
    expression: str
    kind: str
    higher_is_better: bool


IMPACT_METRICS: dict[str, _Metric] = {
    "acceptance": _Metric("edits", "CAST(accepted AS DOUBLE)", "proportion", True),
    "success": _Metric("runs", "CAST(success AS DOUBLE)", "proportion", True),
    "score": _Metric("runs", "CAST(score AS DOUBLE)", "mean", True),
    "latency_ms": _Metric("runs", "CAST(latency_ms AS DOUBLE)", "mean", False),
    "cost_usd": _Metric("runs", "CAST(cost_usd AS DOUBLE)", "mean", False),
}
"""The metrics compared: where each comes from, its kind, and which direction is better."""

_MIN_N = 2
"""Fewer records than this in a period and an agent's metric is left out (no variance)."""


class ImpactError(HoneError):
    """A deployment impact cannot be measured (unknown agent, no deployment, bad date)."""


@dataclass(frozen=True)
class MetricImpact:
    """One metric of one agent: before, after, the change, and the change net of unchanged agents."""

    metric: str
    kind: str
    higher_is_better: bool
    n_before: int
    n_after: int
    before: float
    after: float
    change: float
    change_low: float
    change_high: float
    change_p: float
    relative_change: float
    n_controls: int
    control_change: float
    """mean change of the unchanged agents (NaN without any)"""
    did: float
    did_low: float
    did_high: float
    did_p: float
    verdict: str
    """better | worse | no clear change | no data: from the DiD (the plain change when no controls)"""

    def as_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class ImpactReport:
    """The impact of a change at ``at`` on ``agent``, metric by metric."""

    agent: str
    at: datetime
    days: int
    alpha: float
    metrics: tuple[MetricImpact, ...]
    controls: tuple[str, ...]
    """agents that did not change in the span (the comparison group)"""
    excluded: tuple[str, ...]
    """agents left out of the comparison group because they changed in the span"""
    deployment: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def before(self) -> tuple[datetime, datetime]:
        return self.at - timedelta(days=self.days), self.at

    @property
    def after(self) -> tuple[datetime, datetime]:
        return self.at, self.at + timedelta(days=self.days)

    def metric(self, name: str) -> MetricImpact:
        for m in self.metrics:
            if m.metric == name:
                return m
        raise KeyError(name)

    def frame(self) -> pd.DataFrame:
        """One row per metric."""
        import pandas as pd

        return pd.DataFrame([asdict(m) for m in self.metrics])

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "at": self.at.isoformat(),
            "days": self.days,
            "alpha": self.alpha,
            "before": [t.isoformat() for t in self.before],
            "after": [t.isoformat() for t in self.after],
            "deployment": self.deployment,
            "controls": list(self.controls),
            "excluded": list(self.excluded),
            "notes": list(self.notes),
            "metrics": [m.as_dict() for m in self.metrics],
        }


# -- statistics on summaries ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    n: int
    mean: float
    var: float


def _change(kind: str, b: _Summary, a: _Summary, alpha: float) -> tuple[float, float, float, float, float]:
    """(difference, se, ci low, ci high, p) of after - before (see the module docstring)."""
    from scipy import stats

    diff = a.mean - b.mean
    if kind == "proportion":
        se = math.sqrt(b.mean * (1 - b.mean) / b.n + a.mean * (1 - a.mean) / a.n)
        pooled = (a.mean * a.n + b.mean * b.n) / (a.n + b.n)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))
        p = _normal_p(diff, se0)
        q = float(stats.norm.ppf(1 - alpha / 2))
    else:
        va, vb = a.var / a.n, b.var / b.n
        se = math.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1)) if va + vb > 0 else float(a.n + b.n - 2)
        p = float(2 * stats.t.sf(abs(diff / se), df)) if se > 0 else (1.0 if diff == 0 else 0.0)
        q = float(stats.t.ppf(1 - alpha / 2, df))
    return diff, se, diff - q * se, diff + q * se, p


def _normal_p(estimate: float, se: float) -> float:
    from scipy import stats

    if se <= 0 or not math.isfinite(se):
        return 1.0 if estimate == 0 else 0.0
    return float(2 * stats.norm.sf(abs(estimate / se)))


def _did(
    change: float, se: float, controls: Sequence[tuple[float, float]], alpha: float
) -> tuple[float, float, float, float, float]:
    """(mean control change, DiD, ci low, ci high, p) from the agent's change and the controls' (change, se)."""
    from scipy import stats

    k = len(controls)
    d = np.array([c for c, _ in controls])
    s2 = np.array([s**2 for _, s in controls])
    mean_c = float(d.mean())
    tau2 = max(0.0, float(d.var(ddof=1)) - float(s2.mean())) if k >= 2 else 0.0
    var = se**2 + tau2 * (1 + 1 / k) + float(s2.sum()) / k**2
    did = change - mean_c
    se_did = math.sqrt(var)
    q = float(stats.norm.ppf(1 - alpha / 2))
    return mean_c, did, did - q * se_did, did + q * se_did, _normal_p(did, se_did)


def _verdict(estimate: float, p: float, alpha: float, higher_is_better: bool) -> str:
    if math.isnan(estimate):
        return "no data"
    if p >= alpha:
        return "no clear change"
    return "better" if (estimate > 0) == higher_is_better else "worse"


# -- data ----------------------------------------------------------------------------------------


def _as_utc(at: datetime | date | str) -> datetime:
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise ImpactError(f"not a date: {at!r} (expected YYYY-MM-DD or an ISO timestamp)") from None
    if not isinstance(at, datetime):
        return datetime(at.year, at.month, at.day, tzinfo=UTC)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _has_table(store: Store, name: str) -> bool:
    frame = store.sql("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name])
    return not frame.empty


def _summaries(
    store: Store, metrics: Sequence[str], at: datetime, lo: datetime, hi: datetime
) -> dict[tuple[str, str, bool], _Summary]:
    """(metric, agent, after?) -> count, mean and variance of the metric's non-null values."""
    out: dict[tuple[str, str, bool], _Summary] = {}
    for table in dict.fromkeys(IMPACT_METRICS[m].table for m in metrics):
        mine = [m for m in metrics if IMPACT_METRICS[m].table == table]
        parts = ", ".join(
            f"count({IMPACT_METRICS[m].expression}) AS n_{i}, avg({IMPACT_METRICS[m].expression}) AS m_{i}, "
            f"var_samp({IMPACT_METRICS[m].expression}) AS v_{i}"
            for i, m in enumerate(mine)
        )
        frame = store.sql(
            f"SELECT agent_name, timestamp >= ? AS after, {parts} FROM {table} "
            "WHERE timestamp >= ? AND timestamp < ? GROUP BY ALL",
            [at, lo, hi],
        )
        for r in frame.to_dict("records"):
            for i, m in enumerate(mine):
                n = int(r[f"n_{i}"])
                if n >= _MIN_N:
                    out[(m, str(r["agent_name"]), bool(r["after"]))] = _Summary(
                        n, float(r[f"m_{i}"]), float(r[f"v_{i}"] or 0.0)
                    )
    return out


def _changed_agents(store: Store, lo: datetime, hi: datetime) -> set[str]:
    """Agents deployed, or with a new prompt version or model, within ``[lo, hi)``.

    A version or model is new when it first appears (in runs and edits together) within the span and more
    than a day after the agent's first record, so a store that starts inside the span marks nobody.
    """
    changed: set[str] = set()
    if _has_table(store, "deployments"):
        frame = store.sql(
            "SELECT DISTINCT agent_name FROM deployments WHERE deployed_at >= ? AND deployed_at < ?", [lo, hi]
        )
        changed |= set(frame["agent_name"].astype(str))
    for column in ("prompt_version", "model"):
        frame = store.sql(
            f"""WITH seen AS (
                    SELECT agent_name, {column} AS what, timestamp FROM runs
                    UNION ALL SELECT agent_name, {column}, timestamp FROM edits),
                starts AS (SELECT agent_name, min(timestamp) AS start FROM seen GROUP BY agent_name),
                firsts AS (SELECT agent_name, what, min(timestamp) AS first FROM seen
                           WHERE what IS NOT NULL GROUP BY agent_name, what)
            SELECT DISTINCT f.agent_name FROM firsts f JOIN starts s USING (agent_name)
            WHERE f.first >= ? AND f.first < ? AND f.first > s.start + INTERVAL 1 DAY""",
            [lo, hi],
        )
        changed |= set(frame["agent_name"].astype(str))
    return changed


# -- the analysis --------------------------------------------------------------------------------


def impact(
    store: Store,
    agent: str,
    at: datetime | date | str,
    *,
    days: int = 14,
    metrics: Sequence[str] | None = None,
    controls: Sequence[str] | None = None,
    alpha: float = 0.05,
    deployment: dict[str, Any] | None = None,
) -> ImpactReport:
    """Compare ``agent`` in the ``days`` before and after ``at``, alone and net of the agents that did not change.

    ``controls`` names the comparison agents; by default every other agent with data in both periods and
    no deployment, new prompt version or new model within ``days`` of ``at``.
    """
    if days < 1:
        raise ImpactError("days must be at least 1")
    names = list(metrics) if metrics is not None else list(IMPACT_METRICS)
    unknown = [m for m in names if m not in IMPACT_METRICS]
    if unknown:
        raise ImpactError(f"unknown metric {unknown[0]!r}; expected one of {', '.join(IMPACT_METRICS)}")
    when = _as_utc(at)
    lo, hi = when - timedelta(days=days), when + timedelta(days=days)
    known = set(store.sql("SELECT DISTINCT agent_name FROM runs UNION SELECT DISTINCT agent_name FROM edits")[
        "agent_name"
    ].astype(str))  # fmt: skip
    if agent not in known:
        raise ImpactError(f"no runs or edits of agent {agent!r} in the store")
    data = _summaries(store, names, when, lo, hi)
    changed = _changed_agents(store, lo, hi) - {agent}
    if controls is None:
        pool = sorted({a for (_, a, _) in data} - changed - {agent})
    else:
        missing = [c for c in controls if c not in known]
        if missing:
            raise ImpactError(f"no runs or edits of control agent {missing[0]!r} in the store")
        pool = [c for c in dict.fromkeys(controls) if c != agent]
    notes: list[str] = []
    results = []
    for m in names:
        spec = IMPACT_METRICS[m]
        b, a = data.get((m, agent, False)), data.get((m, agent, True))
        nan = float("nan")
        row: dict[str, Any] = {
            "metric": m,
            "kind": spec.kind,
            "higher_is_better": spec.higher_is_better,
            "n_before": b.n if b else 0,
            "n_after": a.n if a else 0,
            "before": b.mean if b else nan,
            "after": a.mean if a else nan,
        }
        if b is None or a is None:
            row |= dict.fromkeys(("change", "change_low", "change_high", "change_p", "relative_change"), nan)
            row |= dict.fromkeys(("control_change", "did", "did_low", "did_high", "did_p"), nan)
            results.append(MetricImpact(**row, n_controls=0, verdict="no data"))
            continue
        diff, se, low, high, p = _change(spec.kind, b, a, alpha)
        ctl = []
        for c in pool:
            cb, ca = data.get((m, c, False)), data.get((m, c, True))
            if cb is not None and ca is not None:
                cd, cse, *_ = _change(spec.kind, cb, ca, alpha)
                ctl.append((cd, cse))
        if ctl:
            mean_c, did, did_low, did_high, did_p = _did(diff, se, ctl, alpha)
            verdict = _verdict(did, did_p, alpha, spec.higher_is_better)
        else:
            mean_c = did = did_low = did_high = did_p = nan
            verdict = _verdict(diff, p, alpha, spec.higher_is_better)
        row |= {
            "change": diff,
            "change_low": low,
            "change_high": high,
            "change_p": p,
            "relative_change": diff / b.mean if b.mean else nan,
            "n_controls": len(ctl),
            "control_change": mean_c,
            "did": did,
            "did_low": did_low,
            "did_high": did_high,
            "did_p": did_p,
            "verdict": verdict,
        }
        results.append(MetricImpact(**row))
    measured = [r for r in results if r.verdict != "no data"]
    if measured and not any(r.n_controls for r in measured):
        notes.append("no unchanged agents to compare with: the verdicts rest on the plain before/after change")
    if any(r.n_after == 0 for r in results) and any(r.n_before for r in results):
        notes.append("no data after the change yet for some metrics")
    return ImpactReport(
        agent=agent,
        at=when,
        days=days,
        alpha=alpha,
        metrics=tuple(results),
        controls=tuple(pool),
        excluded=tuple(sorted(changed & {a for (_, a, _) in data})),
        deployment=deployment,
        notes=tuple(notes),
    )


def latest_deployment(store: Store, model: str | None = None, *, agent: str | None = None) -> dict[str, Any] | None:
    """The newest deployment of ``model`` (``NAME``, ``NAME/VERSION`` or ``NAME@ALIAS``), to ``agent`` if given."""
    from agenthone.registry import deployments

    history = deployments(agent, store=store)
    if history.empty:
        return None
    if model is not None:
        from agenthone.registry import parse_model_ref

        name, alias, version = parse_model_ref(model)
        keep = history["model_name"] == name
        if version is not None:
            keep &= history["version"].astype(str) == str(version)
        if alias is not None:
            keep &= history["alias"] == alias
        history = history[keep]
    if history.empty:
        return None
    row = history.sort_values("deployed_at").iloc[-1].to_dict()
    out = {k: row.get(k) for k in ("agent_name", "model_name", "version", "alias", "model_uri", "job_id", "note")}
    out["version"] = str(out["version"])
    out["deployed_at"] = _as_utc(row["deployed_at"].to_pydatetime()).isoformat()
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def deployment_impact(
    store: Store,
    model: str,
    *,
    agent: str | None = None,
    at: datetime | date | str | None = None,
    days: int = 14,
    alpha: float = 0.05,
) -> ImpactReport:
    """The impact of the latest deployment of ``model`` (to ``agent``), or of the change on date ``at``.

    With ``at``, the agent is ``agent`` or else the one the model was last deployed to.
    """
    deployment = latest_deployment(store, model, agent=agent)
    target = agent or (deployment["agent_name"] if deployment else None)
    if at is None:
        if deployment is None:
            to = f" to {agent}" if agent else ""
            raise ImpactError(f"{model} was never deployed{to}; name the agent and a date to compare around")
        return impact(store, deployment["agent_name"], deployment["deployed_at"], days=days, alpha=alpha,
                      deployment=deployment)  # fmt: skip
    if target is None:
        raise ImpactError(f"{model} was never deployed; name the agent to compare around that date")
    return impact(store, target, at, days=days, alpha=alpha)


def model_impact(model: str, *, store: Store, settings: Settings, days: int = 14) -> ImpactReport | None:
    """The impact of the latest deployment of a registered version (``models:/NAME@ALIAS`` resolved now).

    None when that version was never deployed.
    """
    from agenthone.registry import load_info

    info = load_info(model, settings=settings)
    ref = f"{info.name}/{info.version}"
    if latest_deployment(store, ref) is None:
        return None
    return deployment_impact(store, ref, days=days)
