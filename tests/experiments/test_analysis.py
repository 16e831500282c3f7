"""The experiments service: the store, assignment recording, the per-unit frame and the analysis wiring.

The statistics' own numbers are tested in test_stats.py; here the question is whether the service feeds
them the right units and turns their results into the right analysis.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agenthone import Workbench
from agenthone.errors import StoreError
from agenthone.experiments._assign import assign as hash_assign
from agenthone.experiments._design import DesignError, ExperimentNotFoundError
from agenthone.experiments._store import Experiments
from tests.experiments.simulate import END, log_experiment

AB: dict[str, Any] = {
    "agent": "writer",
    "variants": ["control=v1", "treatment=v2"],
    "primary_metric": "acceptance",
    "guardrails": ("edit_distance", "latency_ms"),
}


@pytest.fixture
def wb(workspace: Path) -> Any:
    with Workbench.open() as bench:
        yield bench


# -- the store ---------------------------------------------------------------------------------------


def test_create_get_list_stop(wb: Any) -> None:
    created = wb.experiments.create(name="ab", baseline=0.6, **AB)
    assert created.status == "running" and created.source == "store"
    assert created.planned_n == created.design.required_sample_size(0.6)
    assert wb.experiments.get("ab") == created
    assert [e.name for e in wb.experiments.list()] == ["ab"]
    with pytest.raises(DesignError, match="exists already"):
        wb.experiments.create(name="ab", **AB)
    with pytest.raises(ExperimentNotFoundError, match="known: ab"):
        wb.experiments.get("nope")
    stopped = wb.experiments.stop("ab")
    assert stopped.status == "stopped" and stopped.stopped_at is not None
    assert stopped.decision is not None and stopped.decision["action"] == "not_yet"
    assert wb.experiments.list(status="running") == []
    with pytest.raises(DesignError, match="stopped already"):
        wb.experiments.stop("ab")


def test_the_baseline_comes_from_the_agents_recent_history(wb: Any) -> None:
    log_experiment(wb, "history", units=200, rates=(0.5, 0.5))
    created = wb.experiments.create(name="next", **AB)
    assert created.baseline is not None and 0.3 < created.baseline < 0.7
    assert created.planned_n and created.planned_n > 100
    unknown = wb.experiments.create(name="other", **{**AB, "agent": "nobody"})
    assert unknown.baseline is None and unknown.planned_n is None


# -- assignment --------------------------------------------------------------------------------------


def test_assign_is_the_hash_and_records_each_unit_once(wb: Any, workspace: Path) -> None:
    wb.experiments.create(name="ab", **AB)
    variants = [wb.experiments.assign("ab", f"u{i}") for i in range(200)]
    assert variants == [hash_assign("ab", f"u{i}", ["control", "treatment"], [1, 1]) for i in range(200)]
    assert {"control", "treatment"} == set(variants)
    assert wb.experiments.assign("ab", "u0") == variants[0]
    # another process (a fresh service on its own store) agrees
    wb.close()
    with Workbench.open() as again:
        assert again.experiments.assign("ab", "u7") == variants[7]
        exposures = again.experiments.exposures("ab")
    assert len(exposures) == 200 and exposures["unit"].is_unique


def test_record_exposure_keeps_the_first_variant(wb: Any) -> None:
    wb.experiments.create(name="ab", **AB)
    first = wb.experiments.assign("ab", "u1")
    other = "control" if first == "treatment" else "treatment"
    wb.experiments.flush()
    wb.experiments.record_exposure("ab", "u1", other)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    wb.experiments.record_exposure("ab", "u2", "control", timestamp=later)
    wb.experiments.record_exposure("ab", "u2", "treatment")
    exposures = wb.experiments.exposures("ab").set_index("unit")
    assert exposures.loc["u1", "variant"] == first
    assert exposures.loc["u2", "variant"] == "control"
    assert exposures.loc["u2", "timestamp"] == later
    with pytest.raises(DesignError, match="no variant 'c'"):
        wb.experiments.record_exposure("ab", "u3", "c")
    with pytest.raises(ExperimentNotFoundError):
        wb.experiments.assign("missing", "u1")


def test_exposures_are_buffered_and_written_in_batches(wb: Any) -> None:
    wb.experiments.create(name="ab", **AB)
    service = Experiments(wb.store, batch_size=10, flush_interval_s=3600)
    for i in range(9):
        service.assign("ab", f"u{i}")
    assert len(wb.experiments.records.exposures("ab")) == 0
    service.assign("ab", "u9")
    assert len(wb.experiments.records.exposures("ab")) == 10
    service.assign("ab", "u10")
    service.close()
    assert len(wb.experiments.records.exposures("ab")) == 11


def test_a_thousand_assignments_are_cheap(wb: Any) -> None:
    wb.experiments.create(name="ab", **AB)
    start = time.perf_counter()
    for i in range(1000):
        wb.experiments.assign("ab", f"user-{i}")
    wb.experiments.flush()
    seconds = time.perf_counter() - start
    assert len(wb.experiments.exposures("ab")) == 1000
    # about 0.4 s here; a write per call would take tens of seconds (the speed itself is benchmarked)
    assert seconds < 6.0, f"1,000 assignments took {seconds:.2f} s"


def test_a_stopped_experiment_serves_its_control_and_records_nothing(wb: Any) -> None:
    wb.experiments.create(name="ab", **AB)
    wb.experiments.stop("ab", record_decision=False)
    assert {wb.experiments.assign("ab", f"u{i}") for i in range(50)} == {"control"}
    assert wb.experiments.exposures("ab").empty


def test_a_read_only_workbench_analyses_but_cannot_assign(workspace: Path) -> None:
    with Workbench.open() as bench:
        bench.experiments.create(name="ab", **AB)
        log_experiment(bench, "ab", units=100)
    with Workbench.open(read_only=True) as ro:
        assert ro.experiments.analyze("ab").units == 100
        with pytest.raises(StoreError, match="read-only"):
            ro.experiments.assign("ab", "u1")


# -- the per-unit frame ------------------------------------------------------------------------------


def test_the_per_unit_frame(wb: Any) -> None:
    assigned = log_experiment(wb, "ab", units=120, pre_days=2)
    wb.experiments.create(name="ab", **AB)
    frame = wb.experiments.frame("ab")
    assert len(frame) == 120 and frame["unit"].is_unique
    assert dict(zip(frame["unit"], frame["variant"], strict=True)) == assigned
    for column in ("first_exposure", "acceptance", "edit_distance", "success", "latency_ms", "cost_usd"):
        assert column in frame
    assert frame["acceptance"].between(0, 1).all() and frame["edit_distance"].between(0, 1).all()
    assert (frame["runs"] == 1).all() and frame["edits"].between(1, 3).all()
    assert str(frame["first_exposure"].dt.tz) == "UTC"
    # the untagged edits of the same users before their first exposure are the CUPED covariate
    assert frame["pre_acceptance"].notna().all()


def test_untagged_events_count_through_the_exposure_log(wb: Any) -> None:
    wb.experiments.create(name="joined", **AB)
    when = END - timedelta(days=3)
    wb.experiments.record_exposure("joined", "alice", "control", timestamp=when)
    wb.experiments.record_exposure("joined", "bob", "treatment", timestamp=when)
    wb.experiments.record_exposure("joined", "carol", "treatment", timestamp=when)
    common = {"agent_name": "writer", "ai_output": "a", "final_output": "a", "accepted": True}
    wb.log_records(
        "edit",
        [
            {**common, "user_id": "alice", "timestamp": when + timedelta(hours=1)},
            {**common, "user_id": "bob", "timestamp": when + timedelta(hours=2), "accepted": False},
            {**common, "user_id": "bob", "timestamp": when - timedelta(days=1)},  # before exposure: pre-period
            {**common, "user_id": "alice", "agent_name": "other", "timestamp": when + timedelta(hours=1)},
        ],
    )
    frame = wb.experiments.frame("joined").set_index("unit")
    assert set(frame.index) == {"alice", "bob", "carol"}
    assert frame.loc["alice", "acceptance"] == 1.0 and frame.loc["alice", "edits"] == 1
    assert frame.loc["bob", "acceptance"] == 0.0 and frame.loc["bob", "edits"] == 1
    assert frame.loc["carol", "edits"] == 0
    assert frame.loc["bob", "pre_acceptance"] == 1.0
    status = wb.experiments.status("joined")
    assert status.units == {"control": 1, "treatment": 2}
    assert status.exposures == {"control": 1, "treatment": 2}
    assert status.with_outcomes == {"control": 1, "treatment": 1}


def test_a_unit_seen_in_two_variants_keeps_its_first(wb: Any) -> None:
    base = {"agent_name": "writer", "ai_output": "a", "final_output": "a", "user_id": "u1"}
    wb.log_records(
        "edit",
        [
            {**base, "timestamp": END, "metadata": {"experiment": "mix", "variant": "treatment"}},
            {**base, "timestamp": END - timedelta(days=1), "metadata": {"experiment": "mix", "variant": "control"}},
            {**base, "user_id": "u2", "timestamp": END, "metadata": {"experiment": "mix", "variant": "treatment"}},
        ],
    )
    analysis = wb.experiments.analyze("mix")
    frame = wb.experiments.frame("mix").set_index("unit")
    assert frame.loc["u1", "variant"] == "control" and frame.loc["u1", "edits"] == 2
    assert analysis.mixed_units == 1


# -- the analysis ------------------------------------------------------------------------------------


def test_analysis_of_a_clear_win(wb: Any) -> None:
    log_experiment(wb, "ab", units=1200, rates=(0.55, 0.8), pre_days=2)
    wb.experiments.create(name="ab", baseline=0.55, **AB)
    analysis = wb.experiments.analyze("ab")
    assert analysis.sequential and analysis.correction == "holm"
    assert analysis.units == 1200 and sum(analysis.counts.values()) == 1200
    assert not analysis.srm.flagged
    assert analysis.decision.action == "ship", analysis.summary()
    assert set(analysis.decision.guardrails) == {"edit_distance", "latency_ms"}
    primary = analysis.primary()
    assert primary is not None and primary.verdict == "better" and primary.result.method == "msprt"
    assert primary.cuped_theta is not None  # the pre-period covariate was used
    assert {t.metric for t in analysis.tests} == {"acceptance", "edit_distance", "latency_ms"}
    assert all(t.p_adjusted >= t.result.p_value - 1e-12 for t in analysis.tests)
    edit = next(t for t in analysis.tests if t.metric == "edit_distance")
    assert edit.verdict == "better"  # fewer changes is better: lower is better for edit distance
    table = analysis.table()
    assert list(table["metric"]) == ["acceptance", "edit_distance", "latency_ms"]

    daily = analysis.daily
    assert daily is not None and daily["date"].is_monotonic_increasing and len(daily) >= 5
    assert (daily["ci_low"] <= daily["difference"]).all() and (daily["difference"] <= daily["ci_high"]).all()
    assert daily["n_control"].is_monotonic_increasing

    data = json.loads(json.dumps(analysis.as_dict()))
    assert data["decision"]["action"] == "ship" and data["method"] == "msprt" and len(data["daily"]) == len(daily)
    assert analysis.summary()[0].startswith("ab: SHIP")


def test_fixed_horizon_and_bh_are_options(wb: Any) -> None:
    log_experiment(wb, "ab", units=300)
    wb.experiments.create(name="ab", **AB)
    fixed = wb.experiments.analyze("ab", fixed=True, correction="bh", daily=False)
    assert not fixed.sequential and fixed.correction == "bh" and fixed.daily is None
    assert fixed.primary() is not None and fixed.primary().result.method in ("welch", "two-proportion z")  # type: ignore[union-attr]
    with pytest.raises(DesignError, match="holm or bh"):
        wb.experiments.analyze("ab", correction="bonferroni")


def test_a_sample_ratio_mismatch_blocks_the_decision(wb: Any) -> None:
    log_experiment(wb, "skewed", units=2000, share=0.6, rates=(0.5, 0.8))
    wb.experiments.create(name="skewed", **AB)
    analysis = wb.experiments.analyze("skewed", daily=False)
    assert analysis.srm.flagged
    assert analysis.decision.action == "blocked"
    assert wb.experiments.status("skewed").srm.flagged


def test_an_experiment_known_only_from_its_outcomes(wb: Any) -> None:
    log_experiment(wb, "planted", units=200)
    experiment = wb.experiments.get("planted")
    assert experiment.source == "outcomes"
    assert experiment.design.variant_names == ("control", "treatment")
    assert experiment.design.agent == "writer" and experiment.design.primary_metric == "acceptance"
    assert [e.name for e in wb.experiments.list()] == ["planted"]
    analysis = wb.experiments.analyze("planted")
    assert analysis.units == 200 and analysis.planned_n  # planned from the control's observed rate
    with pytest.raises(DesignError, match="never created"):
        wb.experiments.stop("planted")


def test_the_most_recent_experiment_is_the_default(wb: Any) -> None:
    with pytest.raises(ExperimentNotFoundError, match="no experiments yet"):
        wb.experiments.get()
    wb.experiments.create(name="first", **AB)
    wb.experiments.create(name="second", **AB)
    assert wb.experiments.get().name == "second"
    assert wb.experiments.status().experiment.name == "second"


def test_plot_lift(wb: Any) -> None:
    from matplotlib.figure import Figure

    log_experiment(wb, "ab", units=200)
    wb.experiments.create(name="ab", **AB)
    fig = wb.experiments.plot("ab")
    assert isinstance(fig, Figure) and fig.axes[0].get_lines()
    empty = wb.experiments.create(name="empty", **AB)
    assert isinstance(wb.experiments.plot(empty.name), Figure)
