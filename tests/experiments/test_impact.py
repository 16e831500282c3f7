"""Deployment impact: before/after with intervals, and difference in differences against unchanged agents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from agenthone.experiments._impact import (
    ImpactError,
    deployment_impact,
    impact,
    latest_deployment,
    model_impact,
)
from tests.analytics.conftest import make_store
from tests.conftest import run_record

AT = datetime(2026, 10, 15, tzinfo=UTC)
DAYS = 14
AGENTS = ("deployed", "peer-1", "peer-2", "peer-3", "peer-4")


def _flags(n: int, p: float, rng: np.random.Generator) -> list[bool]:
    """Exactly round(p * n) trues in random places: the rate is what the test says."""
    out = np.zeros(n, dtype=bool)
    out[rng.choice(n, size=round(p * n), replace=False)] = True
    return out.tolist()


def _period(
    agent: str, start: datetime, *, runs: int, edits: int, success: float, accept: float, latency: float, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    run_ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, DAYS * 86_400, runs))]
    ok = _flags(runs, success, rng)
    lat = rng.lognormal(np.log(latency), 0.3, runs)
    score = np.clip(rng.normal(0.7, 0.1, runs), 0, 1)
    tag = f"{agent}-{start:%m%d}"
    run_rows = [
        run_record(
            i,
            id=f"run-{tag}-{i}",
            timestamp=t.isoformat(),
            agent_id=agent,
            agent_name=agent,
            session_id=f"s-{tag}-{i}",
            success=ok[i],
            score=round(float(score[i]), 3),
            latency_ms=int(lat[i]),
            cost_usd=0.001,
        )
        for i, t in enumerate(run_ts)
    ]
    edit_ts = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, DAYS * 86_400, edits))]
    acc = _flags(edits, accept, rng)
    edit_rows = [
        {
            "id": f"edit-{tag}-{i}",
            "timestamp": t.isoformat(),
            "agent_name": agent,
            "model": "gpt-4o-mini",
            "prompt_version": "v1",
            "ai_output": f"draft {i}",
            "final_output": f"draft {i}" if acc[i] else f"draft {i}, fixed",
        }
        for i, t in enumerate(edit_ts)
    ]
    return run_rows, edit_rows


def _store(path: Path, rates: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]]) -> Any:
    """Agents with (success, acceptance, latency) before and after AT; 400 runs and 200 edits per period."""
    runs: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []
    for k, (agent, (before, after)) in enumerate(rates.items()):
        for j, (start, (success, accept, latency)) in enumerate(((AT - timedelta(days=DAYS), before), (AT, after))):
            r, e = _period(
                agent, start, runs=400, edits=200, success=success, accept=accept, latency=latency, seed=10 * k + j
            )
            runs += r
            edits += e
    return make_store(path, runs, edits)


@pytest.fixture(scope="module")
def seasonal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every agent dips together after AT (a holiday): success 90 -> 80%, acceptance 85 -> 72%, slower."""
    rates = dict.fromkeys(AGENTS, ((0.9, 0.85, 1000.0), (0.8, 0.72, 1200.0)))
    store = _store(tmp_path_factory.mktemp("seasonal") / "store.duckdb", rates)
    yield store
    store.close()


@pytest.fixture(scope="module")
def improved(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Only the deployed agent gets better; the others stay where they were."""
    rates = dict.fromkeys(AGENTS, ((0.85, 0.75, 1000.0), (0.85, 0.75, 1000.0)))
    rates["deployed"] = ((0.85, 0.75, 1000.0), (0.92, 0.88, 800.0))
    store = _store(tmp_path_factory.mktemp("improved") / "store.duckdb", rates)
    yield store
    store.close()


def test_a_seasonal_dip_is_not_read_as_a_regression(seasonal: Any) -> None:
    report = impact(seasonal, "deployed", AT, days=DAYS)
    assert report.controls == AGENTS[1:] and report.excluded == ()
    for name in ("success", "acceptance"):
        m = report.metric(name)
        assert m.change < -0.09 and m.change_p < 0.01 and m.change_high < 0  # the naive reading: a regression
        assert m.n_controls == 4 and m.control_change == pytest.approx(m.change, abs=1e-9)
        assert abs(m.did) < 1e-9 and m.did_p > 0.5 and m.did_low < 0 < m.did_high
        assert m.verdict == "no clear change"
    latency = report.metric("latency_ms")
    assert latency.change_p < 0.001 and latency.did_p > 0.05 and latency.verdict == "no clear change"


def test_only_the_deployed_agent_improving_is_detected(improved: Any) -> None:
    report = impact(improved, "deployed", AT.date(), days=DAYS)
    acc = report.metric("acceptance")
    assert acc.before == pytest.approx(0.75) and acc.after == pytest.approx(0.88)
    assert acc.did == pytest.approx(0.13, abs=1e-9) and acc.did_low > 0.03 and acc.did_p < 0.01
    assert acc.verdict == "better" and acc.relative_change == pytest.approx(0.13 / 0.75)
    success = report.metric("success")
    assert success.did == pytest.approx(0.07, abs=1e-9) and success.did_p < 0.01 and success.verdict == "better"
    latency = report.metric("latency_ms")
    assert latency.did < 0 and latency.did_p < 0.001 and latency.verdict == "better"  # lower is better
    assert report.metric("cost_usd").verdict == "no clear change"
    # a peer that changed nothing shows nothing
    peer = impact(improved, "peer-1", AT, days=DAYS)
    assert all(m.verdict == "no clear change" for m in peer.metrics)


def test_intervals_match_scipy_and_the_did_matches_a_fixed_effects_regression(improved: Any) -> None:
    from scipy import stats

    report = impact(improved, "deployed", AT, days=DAYS)
    lat = improved.sql(
        "SELECT agent_name, timestamp >= ? AS after, latency_ms FROM runs WHERE agent_name = 'deployed'", [AT]
    )
    before = lat.loc[~lat["after"], "latency_ms"].to_numpy(float)
    after = lat.loc[lat["after"], "latency_ms"].to_numpy(float)
    m = report.metric("latency_ms")
    welch = stats.ttest_ind(after, before, equal_var=False)
    assert m.change_p == pytest.approx(welch.pvalue, rel=1e-6)
    low, high = welch.confidence_interval(0.95)
    assert (m.change_low, m.change_high) == (pytest.approx(low, rel=1e-6), pytest.approx(high, rel=1e-6))
    # the DiD estimate is the interaction of an OLS on agent x period means with agent and period fixed effects
    sm = pytest.importorskip("statsmodels.formula.api")
    cells = improved.sql(
        "SELECT agent_name AS agent, CAST(timestamp >= ? AS INT) AS after, avg(latency_ms) AS y FROM runs GROUP BY ALL",
        [AT],
    )
    cells["treated"] = (cells["agent"] == "deployed").astype(int) * cells["after"]
    fit = sm.ols("y ~ C(agent) + C(after) + treated", data=cells).fit()
    assert m.did == pytest.approx(fit.params["treated"], rel=1e-9)


def _deploy(store: Any, agent: str, model: str, version: str, *, when: datetime, alias: str | None = None) -> None:
    from agenthone.registry import DEPLOYMENTS_DDL

    with store.locked() as con:
        con.execute(DEPLOYMENTS_DDL)
        con.execute(
            "INSERT INTO deployments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [agent, model, version, alias, f"models:/{model}/{version}", None, when, None],
        )


@pytest.fixture
def deployed_store(tmp_path: Path) -> Any:
    rates = dict.fromkeys(AGENTS, ((0.85, 0.75, 1000.0), (0.85, 0.75, 1000.0)))
    rates["deployed"] = ((0.85, 0.75, 1000.0), (0.92, 0.88, 800.0))
    store = _store(tmp_path / "store.duckdb", rates)
    _deploy(store, "deployed", "copy", "1", when=AT - timedelta(days=40))
    _deploy(store, "deployed", "copy", "2", when=AT, alias="champion")
    _deploy(store, "peer-1", "other", "1", when=AT + timedelta(days=3))  # changed in the span: not a control
    # peer-2 ships a new prompt version inside the span: not a control either
    store.insert(
        "edit",
        [
            {
                "id": "edit-newprompt",
                "timestamp": (AT + timedelta(days=2)).isoformat(),
                "agent_name": "peer-2",
                "prompt_version": "v2",
                "ai_output": "x",
                "final_output": "x",
            }
        ],
    )
    yield store
    store.close()


def test_the_latest_deployment_and_who_changed(deployed_store: Any) -> None:
    d = latest_deployment(deployed_store, "copy")
    assert d is not None and d["version"] == "2" and d["agent_name"] == "deployed" and d["alias"] == "champion"
    assert d["deployed_at"].startswith("2026-10-15T00:00:00")
    assert latest_deployment(deployed_store, "copy/1") is not None
    assert latest_deployment(deployed_store, "copy@nope") is None
    assert latest_deployment(deployed_store, "copy", agent="peer-3") is None
    report = deployment_impact(deployed_store, "copy")
    assert report.agent == "deployed" and report.at == AT and report.deployment == d
    assert report.controls == ("peer-3", "peer-4") and report.excluded == ("peer-1", "peer-2")
    assert report.metric("acceptance").verdict == "better" and report.metric("acceptance").n_controls == 2
    doc = json.loads(json.dumps(report.as_dict()))
    assert doc["metrics"][0]["metric"] == "acceptance" and doc["deployment"]["model_name"] == "copy"
    assert len(report.frame()) == 5


def test_model_impact_resolves_the_registered_version(deployed_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from agenthone import registry
    from agenthone.registry import ModelVersionInfo

    def info(version: str) -> ModelVersionInfo:
        return ModelVersionInfo("copy", version, [], None, None, None, archived=False, created_at=None, run_id=None)

    monkeypatch.setattr(registry, "load_info", lambda ref, settings: info("2"))
    report = model_impact("models:/copy@champion", store=deployed_store, settings=None)  # type: ignore[arg-type]
    assert report is not None and report.deployment is not None and report.deployment["version"] == "2"
    assert report.agent == "deployed" and report.metric("acceptance").verdict == "better"
    monkeypatch.setattr(registry, "load_info", lambda ref, settings: info("3"))  # a version never deployed
    assert model_impact("models:/copy/3", store=deployed_store, settings=None) is None  # type: ignore[arg-type]


def test_a_named_date_and_the_errors(deployed_store: Any) -> None:
    report = deployment_impact(deployed_store, "never-deployed", agent="peer-3", at="2026-10-15", days=7)
    assert report.deployment is None and report.agent == "peer-3" and report.days == 7
    with pytest.raises(ImpactError, match="never deployed"):
        deployment_impact(deployed_store, "never-deployed")
    with pytest.raises(ImpactError, match="name the agent"):
        deployment_impact(deployed_store, "never-deployed", at="2026-10-15")
    with pytest.raises(ImpactError, match="no runs or edits"):
        impact(deployed_store, "ghost", AT)
    with pytest.raises(ImpactError, match="not a date"):
        impact(deployed_store, "deployed", "15/10/2026")
    with pytest.raises(ImpactError, match="unknown metric"):
        impact(deployed_store, "deployed", AT, metrics=["vibes"])
    # data only before the date: the after side says so instead of failing
    late = impact(deployed_store, "deployed", AT + timedelta(days=DAYS), days=DAYS)
    assert late.metric("success").verdict == "no data" and late.notes


def test_the_planted_regression_of_the_sample_is_found(sample_store_file: Path, ground_truth: dict[str, Any]) -> None:
    from agenthone.store import Store

    regression = ground_truth["effects"]["regression"]
    with Store(sample_store_file, read_only=True) as store:
        report = impact(store, regression["agent"], regression["since"], days=7)
    assert report.metric("success").verdict == "worse" and report.metric("acceptance").verdict == "worse"
    assert len(report.controls) >= 10


def test_hone_models_impact(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agenthone.cli import app
    from agenthone.cli._app import console

    monkeypatch.setattr(console, "width", 200)  # the table on full lines, whatever the terminal

    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    rates = dict.fromkeys(AGENTS[:3], ((0.85, 0.75, 1000.0), (0.85, 0.75, 1000.0)))
    rates["deployed"] = ((0.85, 0.75, 1000.0), (0.92, 0.88, 800.0))
    store = _store(data / "agenthone.duckdb", rates)
    _deploy(store, "deployed", "copy", "2", when=AT, alias="champion")
    store.close()
    runner = CliRunner()
    result = runner.invoke(app, ["models", "impact", "copy", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["agent"] == "deployed" and doc["deployment"]["version"] == "2"
    assert {m["metric"]: m["verdict"] for m in doc["metrics"]}["acceptance"] == "better"
    result = runner.invoke(app, ["models", "impact", "copy"])
    assert result.exit_code == 0, result.output
    for text in ("acceptance", "latency_ms", "DiD", "better", "copy version 2"):
        assert text in result.stdout, text
    args = ["models", "impact", "copy", "--agent", "peer-1", "--date", "2026-10-15", "--days", "7"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "peer-1" in result.stdout
    result = runner.invoke(app, ["models", "impact", "nothing"])
    assert result.exit_code == 2 and "never deployed" in result.output
