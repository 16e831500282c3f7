"""``hone exp ...``: online experiments (A/B tests of prompts and models) from creation to decision."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import RenderableType
from rich.table import Column

from agenthone.cli._app import fail, handles_errors, key_values, markup, render, sub_app, table, warn

if TYPE_CHECKING:
    from agenthone.experiments._analysis import ExperimentAnalysis, ExperimentStatus
    from agenthone.experiments._design import Experiment

exp_app = sub_app(
    "exp",
    "Online experiments: create, assign, status, analyze, stop, list. "
    "status and analyze exit 3 when the sample-ratio-mismatch check fails.",
)

SRM_EXIT = 3
"""Exit code of ``status`` and ``analyze`` when the sample-ratio-mismatch check fails (for cron)."""

_ACTION_STYLE = {"ship": "green", "keep": "red", "blocked": "bold red", "not_yet": "yellow", "inconclusive": "yellow"}


def _num(value: Any, fmt: str = "{:.4g}") -> str:
    if value is None or (isinstance(value, float) and value != value):  # noqa: PLR0124 - NaN
        return "-"
    return fmt.format(value)


def _experiment_view(e: Experiment) -> RenderableType:
    d = e.design
    variants = ", ".join(
        f"{v.name}{' (control)' if v.name == d.control else ''}: {v.describe()} x{v.weight:g}" for v in d.variants
    )
    mde = f"{d.mde:.1%} relative" if d.relative else f"{d.mde:g} absolute"
    pairs: list[tuple[str, Any]] = [
        ("experiment", e.name),
        ("status", e.status + ("" if e.source == "store" else " (seen in the outcomes' metadata only)")),
        ("agent", d.agent or "-"),
        ("variants", variants),
        ("unit", d.unit_kind),
        ("primary metric", d.primary_metric),
        ("guardrails", ", ".join(d.guardrails) or "-"),
        ("plan", f"mde {mde}, alpha {d.alpha:g}, power {d.power:g}"),
        ("baseline", _num(e.baseline)),
        ("required sample size", f"{e.planned_n:,} units per arm" if e.planned_n else "unknown (no baseline)"),
    ]
    if e.decision:
        pairs.append(("decision", f"{e.decision.get('action')}: {e.decision.get('reason')}"))
    return key_values(pairs)


def _srm_exit(flagged: bool, as_json: bool) -> None:
    if flagged:
        if not as_json:
            warn("[bold red]sample ratio mismatch[/]: the split is not as planned; do not trust the results")
        raise typer.Exit(SRM_EXIT)


@exp_app.command("create")
@handles_errors
def exp_create(  # noqa: PLR0917 - Typer options
    name: str = typer.Argument(..., help="Experiment name (also the hashing salt unless --salt)."),
    agent: str | None = typer.Option(None, "--agent", "-a", help="The agent whose traffic is split."),
    variant: list[str] = typer.Option(
        ...,
        "--variant",
        "-v",
        help="NAME=SPEC, twice or more; the first is the control. SPEC: a prompt version, model@alias, or both "
        "comma-separated (treatment=v4,support-model@champion).",
    ),
    weights: str | None = typer.Option(None, "--weights", help="Traffic weights in variant order, e.g. 90,10."),
    metric: str = typer.Option("acceptance", "--metric", "-m", help="Primary metric."),
    guardrail: list[str] = typer.Option([], "--guardrail", "-g", help="Guardrail metric (repeat, or comma-separated)."),
    mde: float = typer.Option(0.05, "--mde", help="Minimum detectable effect (relative: 0.05 = +5%)."),
    absolute: bool = typer.Option(False, "--absolute", help="Read --mde as an absolute difference."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    power: float = typer.Option(0.8, "--power", help="Planned power."),
    unit: str = typer.Option("user", "--unit", help="Unit of assignment: user | session | intent."),
    salt: str | None = typer.Option(None, "--salt", help="Hashing salt (default: the name)."),
    baseline: float | None = typer.Option(
        None, "--baseline", help="Baseline of the primary metric (default: the agent's last 28 days)."
    ),
    sd: float | None = typer.Option(None, "--sd", help="Standard deviation of a mean metric (default: estimated)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Create a running experiment and show the sample size it needs per arm.

    Metrics: acceptance, edit_distance (from edits); success, score, latency_ms, cost_usd (from runs).
    """
    from agenthone.experiments._design import DesignError, parse_variant
    from agenthone.workbench import Workbench

    shares = [1.0] * len(variant)
    if weights:
        try:
            shares = [float(w) for w in weights.split(",")]
        except ValueError:
            raise fail(f"--weights {weights!r}: expected numbers separated by commas") from None
        if len(shares) != len(variant):
            raise fail(f"--weights has {len(shares)} values for {len(variant)} variants")
    guardrails = tuple(g.strip() for text in guardrail for g in text.split(",") if g.strip())
    try:
        variants = [parse_variant(v, w) for v, w in zip(variant, shares, strict=True)]
    except DesignError as exc:
        raise fail(str(exc)) from None
    with Workbench.open() as wb:
        experiment = wb.experiments.create(
            name=name,
            agent=agent,
            variants=variants,
            primary_metric=metric,
            guardrails=guardrails,
            mde=mde,
            relative=not absolute,
            alpha=alpha,
            power=power,
            unit_kind=unit,
            salt=salt,
            baseline=baseline,
            sd=sd,
        )
    render(experiment.as_dict(), as_json=as_json, view=lambda: _experiment_view(experiment))


@exp_app.command("assign")
@handles_errors
def exp_assign(
    name: str = typer.Argument(..., help="Experiment name."),
    units: list[str] = typer.Argument(..., help="Unit ids (user, session or intent ids)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """The variant of each unit, recorded as its exposure (a unit keeps its first variant)."""
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        assigned = {u: wb.experiments.assign(name, u) for u in units}
    if as_json or len(units) > 1:
        render(assigned, as_json=as_json, view="\n".join(f"{u}\t{v}" for u, v in assigned.items()))
    else:
        render(assigned, as_json=False, view=next(iter(assigned.values())))


def _status_view(s: ExperimentStatus) -> list[RenderableType]:
    e = s.experiment
    d = e.design
    total = sum(s.units.values()) or 1
    rows = [
        [
            v.name,
            f"{s.units[v.name]:,}",
            f"{s.units[v.name] / total:.1%}",
            f"{s.srm.expected[v.name] / total:.1%}",
            f"{s.exposures[v.name]:,}",
            f"{s.with_outcomes[v.name]:,}",
        ]
        for v in d.variants
    ]
    progress = f"{s.progress:.0%} of {s.planned_n:,} per arm" if s.progress is not None and s.planned_n else "-"
    srm = (
        markup("[bold red]FLAGGED[/] (p = {:.2g})", s.srm.p_value)
        if s.srm.flagged
        else markup("[green]ok[/] (p = {:.3g})", s.srm.p_value)
    )
    return [
        key_values(
            [
                ("experiment", f"{e.name} ({e.status}, {d.agent or 'any agent'}, by {d.unit_kind})"),
                ("running", f"{s.days} day(s) from {s.start:%Y-%m-%d}" if s.start else "no units yet"),
                ("sample ratio", srm),
                ("progress", progress),
            ]
        ),
        table(
            [
                "variant",
                Column("units", justify="right"),
                Column("share", justify="right"),
                Column("planned", justify="right"),
                Column("exposures", justify="right"),
                Column(f"with {d.primary_metric}", justify="right"),
            ],
            rows,
        ),
    ]


@exp_app.command("status")
@handles_errors
def exp_status(
    name: str | None = typer.Argument(None, help="Experiment name; default: the most recent."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Units per variant, the sample-ratio-mismatch check and progress to the planned size.

    Exit codes: 0 ok; 2 bad input (unknown experiment); 3 the sample-ratio-mismatch check failed (p < 0.001).
    """
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        status = wb.experiments.status(name)
    render(status.as_dict(), as_json=as_json, view=lambda: _status_view(status))
    _srm_exit(status.srm.flagged, as_json)


def _analysis_view(a: ExperimentAnalysis) -> list[RenderableType]:
    style = _ACTION_STYLE.get(a.decision.action, "bold")
    shown: list[RenderableType] = [
        markup(f"[{style}]{{}}[/]: {{}}", a.decision.action.upper().replace("_", " "), a.decision.reason)
    ]
    shown.extend(markup("[dim]{}[/]", line) for line in a.summary()[1:])
    rows = []
    for t in a.tests:
        r = t.result
        verdict = {"better": "[green]better[/]", "worse": "[red]worse[/]"}.get(t.verdict, "no difference")
        rows.append(
            [
                r.treatment,
                r.metric + (" (CUPED)" if t.cuped_theta is not None else ""),
                t.role,
                f"{r.n_control:,} / {r.n_treatment:,}",
                f"{_num(r.control_mean)} / {_num(r.treatment_mean)}",
                f"{_num(r.difference, '{:+.4g}')} [{_num(r.ci_low, '{:+.3g}')}, {_num(r.ci_high, '{:+.3g}')}]",
                _num(r.relative_lift, "{:+.1%}"),
                _num(t.p_adjusted, "{:.3g}"),
                markup(verdict),
            ]
        )
    if rows:
        shown.append(
            table(
                [
                    "variant",
                    "metric",
                    "role",
                    Column("n c / t", justify="right"),
                    Column("c / t", justify="right"),
                    "difference [interval]",
                    Column("lift", justify="right"),
                    Column("p adj", justify="right"),
                    "verdict",
                ],
                rows,
                title=f"{a.method}; p adjusted by {a.correction}",
            )
        )
    for key, why in a.skipped.items():
        shown.append(markup("[dim]not tested: {}: {}[/]", key, why))
    if a.mixed_units:
        shown.append(
            markup("[yellow]{:,} unit(s) were seen in more than one variant (kept in their first)[/]", a.mixed_units)
        )
    return shown


@exp_app.command("analyze")
@handles_errors
def exp_analyze(
    name: str | None = typer.Argument(None, help="Experiment name; default: the most recent."),
    fixed: bool = typer.Option(
        False, "--fixed", help="Fixed-horizon tests (valid only at the planned size; default: sequential)."
    ),
    correction: str = typer.Option("holm", "--correction", help="Across metrics and variants: holm | bh."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Tests per metric and variant, the SRM check and the decision (ship, keep, not yet, inconclusive).

    Sequential tests (mSPRT) by default, so looking every day is safe. Exit codes: 0 analysed; 2 bad input;
    3 the sample-ratio-mismatch check failed (p < 0.001): the decision is blocked.
    """
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        analysis = wb.experiments.analyze(name, fixed=fixed, correction=correction)
    render(analysis.as_dict(), as_json=as_json, view=lambda: _analysis_view(analysis))
    _srm_exit(analysis.srm.flagged, as_json)


@exp_app.command("stop")
@handles_errors
def exp_stop(
    name: str = typer.Argument(..., help="Experiment name."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Stop an experiment: assign then serves the control; the decision at this moment is kept with it."""
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        experiment = wb.experiments.stop(name)
    decision = experiment.decision or {}
    render(
        experiment.as_dict(),
        as_json=as_json,
        view=lambda: markup("stopped {}: {}: {}", experiment.name, decision.get("action"), decision.get("reason")),
    )


@exp_app.command("list")
@handles_errors
def exp_list(
    status: str | None = typer.Option(None, "--status", help="Only running or stopped experiments."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Experiments, most recent first (also those seen only in runs' and edits' metadata)."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        found = wb.experiments.list(status=status)

    def view() -> RenderableType:
        if not found:
            return "no experiments yet; create one with `hone exp create NAME --agent A --variant control=v1 ...`"
        rows = [
            [
                e.name,
                e.status,
                e.design.agent or "-",
                ", ".join(e.design.variant_names),
                e.design.primary_metric,
                f"{e.created_at:%Y-%m-%d}" if e.created_at else "-",
                (e.decision or {}).get("action", "-"),
                e.source,
            ]
            for e in found
        ]
        return table(
            ["experiment", "status", "agent", "variants", "metric", "created", "decision", "source"],
            rows,
            title="Experiments",
        )

    render([e.as_dict() for e in found], as_json=as_json, view=view)
