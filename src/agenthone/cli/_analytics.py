"""``hone agents summary|trend|compare``, ``hone alerts`` and ``hone edits patterns|tone|show|opportunities``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.console import RenderableType
from rich.table import Column

from agenthone._views import ci, num, opportunities_view, pct, performance_table, signed_points, window_line, working
from agenthone.cli._app import app, err, fail, handles_errors, markup, render, sub_app, table

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.workbench import Workbench

agents_app = sub_app("agents", "Agent performance: summary per agent (or category, model, ...), trends, comparisons.")
edits_app = sub_app("edits", "Learning from human edits: what people delete, add and change in tone; one edit's diff.")

EXIT_ALERTS = 3
G3 = "{:+,.3g}"


class By(StrEnum):
    agent = "agent"
    category = "category"
    task_type = "task_type"
    intent_type = "intent_type"
    model = "model"
    prompt_version = "prompt_version"


class CompareBy(StrEnum):
    agent = "agent"
    prompt_version = "prompt_version"
    model = "model"


class Freq(StrEnum):
    D = "D"
    W = "W"


class PatternKind(StrEnum):
    both = "both"
    deletion = "deletion"
    addition = "addition"


class SortKey(StrEnum):
    acceptance = "acceptance"
    success = "success"
    runs = "runs"
    edits = "edits"
    name = "name"


RANGE_HELP = "Window: 7d, 30d, 90d, all, or FIRST..LAST dates (days included, UTC)."
AS_OF_HELP = "Day (or timestamp) the window ends on. Default: the latest timestamp in the data."


@contextmanager
def _open() -> Iterator[Workbench]:
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        yield wb


@contextmanager
def _working(message: str, quiet: bool) -> Iterator[None]:
    with working(err, message, quiet):
        yield


# -- rendering helpers -----------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """A JSON-friendly scalar: NaN -> None, numpy -> Python, timestamps -> ISO text."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):
        return [_clean(v) for v in value.tolist()]
    return value


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def frame_document(df: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    """One JSON document: what the rows cover (window, thresholds, ...) and the rows."""
    meta = {k: v for k, v in df.attrs.items() if k != "rows"}
    return {**meta, **extra, "rows": frame_records(df)}


# -- hone agents ----------------------------------------------------------------------------------


@agents_app.command("summary")
@handles_errors
def summary(
    *,
    range_: str = typer.Option("30d", "--range", "-r", help=RANGE_HELP),
    by: By = typer.Option(
        By.agent, "--by", help="Group by agent, category, task_type, intent_type, model or prompt_version."
    ),
    sort: SortKey = typer.Option(SortKey.acceptance, "--sort", help="Order of the rows (rates: worst first)."),
    wide: bool = typer.Option(False, "--wide", help="Also show score, p95 latency, tokens, feedback and cost."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Runs and edits per agent (or other group) over a window: success, score, latency, cost, acceptance.

    Rates carry 95% Wilson intervals. Exit codes: 0 ok, 2 bad option or empty store.
    """
    from agenthone.analytics import performance

    with _open() as wb:
        df = performance(wb.store, range=range_, by=by.value, as_of=as_of)
    df = _sorted(df, sort.value, by.value)
    render(
        frame_document(df),
        as_json=as_json,
        view=lambda: (
            markup("no runs or edits in {}", window_line(df))
            if df.empty
            else performance_table(df, title=f"Performance per {by.value}", wide=wide)
        ),
    )


def _sorted(df: pd.DataFrame, key: str, by: str) -> pd.DataFrame:
    column = {"acceptance": "acceptance_rate", "success": "success_rate", "runs": "runs", "edits": "edits", "name": by}[
        key
    ]
    ascending = key in ("acceptance", "success", "name")
    out = df.sort_values(column, ascending=ascending, na_position="last", ignore_index=True)
    out.attrs = dict(df.attrs)
    return out


@agents_app.command("trend")
@handles_errors
def trend(
    name: str = typer.Argument(..., help="The agent (or group, with --by) to follow.", show_default=False),
    *,
    range_: str = typer.Option("90d", "--range", "-r", help=RANGE_HELP),
    freq: Freq = typer.Option(Freq.W, "--freq", help="D: daily, W: weekly (ISO weeks)."),
    by: By = typer.Option(By.agent, "--by", help="What NAME is: an agent, category, model, ..."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """A daily or weekly series of one agent's rates, its week-over-week change and best/worst types.

    Exit codes: 0 ok, 2 unknown name or bad option.
    """
    from agenthone.analytics import best_worst_types, trends, week_over_week

    with _open() as wb:
        series = trends(wb.store, range=range_, by=by.value, freq=freq.value, groups=[name], as_of=as_of)
        if series["runs"].sum() + series["edits"].sum() == 0:
            raise fail(f"no runs or edits of {by.value} {name!r} in {window_line(series)}")
        wow = week_over_week(wb.store, by=by.value, as_of=as_of)
        wow = wow[wow[by.value] == name]
        types = best_worst_types(wb.store, range=range_, agents=[name], as_of=as_of) if by == By.agent else None
    doc = frame_document(series)
    doc["week_over_week"] = frame_records(wow)
    doc["types"] = frame_records(types) if types is not None else []

    def view() -> list[RenderableType]:
        shown: list[RenderableType] = [
            table(
                [
                    Column(c, justify="left" if c == "period" else "right", no_wrap=True)
                    for c in ("period", "runs", "success (CI)", "change", "edits", "accepted (CI)", "change", "dist")
                ],
                (
                    [
                        str(r.period.date()),
                        num(r.runs),
                        ci(r.success_rate, r.success_low, r.success_high),
                        signed_points(r.success_change),
                        num(r.edits),
                        ci(r.acceptance_rate, r.acceptance_low, r.acceptance_high),
                        signed_points(r.acceptance_change),
                        num(r.edit_distance_mean, "{:.3f}"),
                    ]
                    for r in series.itertuples(index=False)
                ),
                title=f"{name}: {'daily' if freq == Freq.D else 'weekly'} trend",
                caption=window_line(series),
            )
        ]
        for r in wow.itertuples(index=False):
            shown.append(
                markup(
                    "{:<10} last 7 days {} (n={:,}) vs the 7 before {} (n={:,}): ",
                    r.metric,
                    pct(r.this_week),
                    r.this_week_n,
                    pct(r.last_week),
                    r.last_week_n,
                )
                + signed_points(r.change)
                + markup(", p={}", num(r.p_value, "{:.2g}"))
            )
        for r in types.itertuples(index=False) if types is not None else ():
            if r.types < 2:
                continue
            shown.append(
                markup(
                    "{:<11} best [green]{}[/] {} (n={}), worst [red]{}[/] {} (n={})",
                    r.kind,
                    r.best,
                    pct(r.best_rate),
                    r.best_n,
                    r.worst,
                    pct(r.worst_rate),
                    r.worst_n,
                )
            )
        return shown

    render(doc, as_json=as_json, view=view)


@agents_app.command("compare")
@handles_errors
def compare_cmd(
    a: str = typer.Argument(..., help="Baseline group.", show_default=False),
    b: str = typer.Argument(..., help="Group compared with it.", show_default=False),
    *,
    by: CompareBy = typer.Option(CompareBy.agent, "--by", help="What A and B are."),
    agent: str | None = typer.Option(
        None, "--agent", "-a", help="Only this agent's records (with --by prompt_version or model).", show_default=False
    ),
    range_: str = typer.Option("30d", "--range", "-r", help=RANGE_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """B against A: acceptance and success (two-proportion z-test), edit distance and latency (Mann-Whitney U,
    bootstrap CI of the difference of means).

    Exit codes: 0 ok, 2 unknown name or bad option.
    """
    from agenthone.analytics import compare

    with _open() as wb, _working("comparing", as_json):
        df = compare(wb.store, a, b, by=by.value, agent=agent, range=range_, as_of=as_of)

    def row(r: Any) -> list[Any]:
        rate = r.metric.endswith("_rate")
        fmt: Callable[[Any], str] = pct if rate else (lambda v: num(v, "{:,.3g}" if abs(v) < 10 else "{:,.0f}"))
        diff = (
            signed_points(r.difference) + markup(" [dim]({:+.1f} to {:+.1f})[/]", r.ci_low * 100, r.ci_high * 100)
            if rate and r.ci_low == r.ci_low
            else markup("{} [dim]({} to {})[/]", num(r.difference, G3), num(r.ci_low, G3), num(r.ci_high, G3))
        )
        p = num(r.p_value, "{:.2g}")
        return [r.metric, fmt(r.a), fmt(r.b), diff, markup("[bold]{}[/]", p) if r.significant else p,
                f"{r.n_a:,}/{r.n_b:,}"]  # fmt: skip

    render(
        frame_document(df),
        as_json=as_json,
        view=lambda: [
            table(
                [
                    Column(col, justify="left" if col == "metric" else "right", no_wrap=col != "b - a (95% CI)")
                    for col in ("metric", str(a), str(b), "b - a (95% CI)", "p", "n")
                ],
                (row(r) for r in df.itertuples(index=False)),
                title=f"{b} vs {a} ({by.value}{f' of {agent}' if agent else ''})",
                caption=window_line(df),
            ),
            markup("[dim]rates: two-proportion z-test; edit_distance, latency_ms: Mann-Whitney U, bootstrap CI[/]"),
        ],
    )


# -- hone alerts ----------------------------------------------------------------------------------


class AlertMetric(StrEnum):
    acceptance = "acceptance"
    success = "success"


@app.command("alerts")
@handles_errors
def alerts_cmd(
    *,
    drop: float = typer.Option(
        0.10, "--drop", help="Alert when the 7-day rate is this far (0.10 = 10 points) below the previous 28 days..."
    ),
    alpha: float = typer.Option(
        0.05, "--alpha", help="...and the drop is significant at this level (Holm-corrected across agents)."
    ),
    floor: float = typer.Option(
        0.70, "--floor", help="Also alert when a 7-day rate is surely under this floor (its 95% upper bound is)."
    ),
    min_n: int = typer.Option(30, "--min-n", help="Fewest records in a window for a test (both windows for drops)."),
    floor_min_n: int = typer.Option(10, "--floor-min-n", help="Fewest recent records for the floor rule."),
    metric: list[AlertMetric] = typer.Option(
        [AlertMetric.acceptance, AlertMetric.success], "--metric", help="Rates to watch (repeatable)."
    ),
    recent_days: int = typer.Option(7, "--recent-days", help="Length of the recent window."),
    baseline_days: int = typer.Option(28, "--baseline-days", help="Length of the window before it."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    show_all: bool = typer.Option(False, "--all", help="List every agent and metric tested, not only alerts."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Agents whose acceptance or success rate regressed or sits under a floor (for cron).

    Exit codes: 0 no alert, 3 at least one alert, 2 bad option or empty store.
    """
    from agenthone.analytics import alerts

    with _open() as wb:
        df = alerts(
            wb.store,
            metrics=[m.value for m in metric],
            drop=drop,
            alpha=alpha,
            floor=floor,
            min_n=min_n,
            floor_min_n=floor_min_n,
            recent_days=recent_days,
            baseline_days=baseline_days,
            as_of=as_of,
            include_ok=True,
        )
    flagged = df[df["alert"]]
    shown = df if show_all else flagged
    doc = frame_document(shown)
    doc["alerts"] = len(flagged)
    doc["tested"] = len(df)

    def view() -> list[RenderableType]:
        if flagged.empty and not show_all:
            return [markup("[green]no alerts[/] ({} agent-metric pairs tested; {})", len(df), window_line(df))]
        columns = ("agent", "metric", "recent", "n", "before", "n ", "change", "Holm p")
        return [
            table(
                [
                    Column(col, justify="left" if col in ("agent", "metric") else "right", no_wrap=col != "agent")
                    for col in columns
                ],
                (
                    [
                        markup("[bold red]{}[/]", r.agent) if r.alert else r.agent,
                        r.metric,
                        pct(r.recent_rate),
                        num(r.recent_n),
                        pct(r.baseline_rate),
                        num(r.baseline_n),
                        signed_points(-r.drop if r.drop == r.drop else math.nan),
                        num(r.p_adjusted, "{:.2g}"),
                    ]
                    for r in shown.itertuples(index=False)
                ),
                title=f"{len(flagged)} alert{'s' if len(flagged) != 1 else ''} ({len(df)} agent-metric pairs tested)",
                caption=f"last {recent_days} days {window_line(df)} vs the {baseline_days} days before",
            ),
            *(markup("[bold red]ALERT[/] {}: {}", r.agent, r.reason) for r in flagged.itertuples(index=False)),
        ]

    render(doc, as_json=as_json, view=view)
    if len(flagged):
        raise typer.Exit(EXIT_ALERTS)


# -- hone edits -----------------------------------------------------------------------------------


@edits_app.command("patterns")
@handles_errors
def patterns_cmd(
    *,
    agent: str = typer.Option(..., "--agent", "-a", help="The agent whose edits to mine.", show_default=False),
    kind: PatternKind = typer.Option(PatternKind.both, "--kind", help="Deletion patterns, addition patterns or both."),
    top: int = typer.Option(10, "--top", help="Patterns per kind."),
    range_: str = typer.Option("90d", "--range", "-r", help=RANGE_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """What people delete from and add to an agent's outputs: word n-grams over-represented in their edits.

    Exit codes: 0 ok, 2 unknown agent or bad option.
    """
    from agenthone.analytics.edits import edit_patterns

    kinds = ("deletion", "addition") if kind == PatternKind.both else (kind.value,)
    with _open() as wb, _working(f"mining edits of {agent}", as_json):
        df = edit_patterns(wb.store, agent, kinds=kinds, top=top, range=range_, as_of=as_of)  # type: ignore[arg-type]

    def view() -> list[RenderableType]:
        shown: list[RenderableType] = [markup("[bold]{}[/]: {:,} edits, {}", agent, df.attrs["edits"], window_line(df))]
        for k in kinds:
            part = df[df["kind"] == k]
            if part.empty:
                shown.append(f"no {k} pattern stands out")
                continue
            shown.append(
                table(
                    [
                        Column(col, justify="left" if col in ("pattern", "examples") else "right", overflow="fold")
                        for col in ("pattern", "edits", "share", "z", "examples")
                    ],
                    (
                        [r.pattern, f"{r.edits:,}", pct(r.share, 0), f"{r.z:.1f}", ", ".join(r.examples)]
                        for r in part.itertuples(index=False)
                    ),
                    title=f"What users {'delete' if k == 'deletion' else 'add'}",
                    show_lines=False,
                )
            )
            shown.append(markup("[bold]→[/] {}", part.iloc[0]["recommendation"]))
        return shown

    render(frame_document(df), as_json=as_json, view=view)


@edits_app.command("tone")
@handles_errors
def tone_cmd(
    *,
    agent: str | None = typer.Option(
        None, "--agent", "-a", help="The agent (default: every agent).", show_default=False
    ),
    range_: str = typer.Option("90d", "--range", "-r", help=RANGE_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level (Holm-adjusted)."),
    min_effect: float = typer.Option(0.2, "--min-effect", help="Smallest standardised change (Cohen's d_z) flagged."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """How edits change length, formality, sentiment and readability (paired, with 95% CIs).

    Exit codes: 0 ok, 2 unknown agent or bad option.
    """
    from agenthone.analytics.edits import tone_shift

    with _open() as wb, _working("measuring tone", as_json):
        df = tone_shift(wb.store, agent=agent, range=range_, as_of=as_of, alpha=alpha, min_effect=min_effect)
    columns = ("agent", "measure", "n", "before", "after", "change (95% CI)", "d", "Holm p", "shift")
    render(
        frame_document(df),
        as_json=as_json,
        view=lambda: table(
            [Column(col, justify="left" if col in ("agent", "measure", "shift") else "right") for col in columns],
            (
                [
                    r.agent,
                    r.measure,
                    f"{r.n:,}",
                    num(r.before, "{:.2f}"),
                    num(r.after, "{:.2f}"),
                    markup(
                        "{} [dim]({} to {})[/]",
                        num(r.change, "{:+.2f}"),
                        num(r.ci_low, "{:+.2f}"),
                        num(r.ci_high, "{:+.2f}"),
                    ),
                    num(r.effect_size, "{:+.2f}"),
                    num(r.p_adjusted, "{:.2g}"),
                    markup("[bold]{}[/]", r.direction)
                    if r.significant
                    else markup("[dim]{} (not flagged)[/]", r.direction),
                ]
                for r in df.itertuples(index=False)
            ),
            title="Tone shift made by edits (final - AI output)",
            caption=window_line(df),
        ),
    )


@edits_app.command("show")
@handles_errors
def show_cmd(
    edit_id: str = typer.Argument(..., metavar="ID", help="The edit's id.", show_default=False),
    by_sentence: bool = typer.Option(False, "--sentences", help="Also list the changes sentence by sentence."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document (the opcodes)."),
) -> None:
    """One edit's word-level diff: deletions in red strikethrough, insertions in green.

    Exit codes: 0 ok, 2 no edit with that id.
    """
    from agenthone.analytics.edits import load_edit, show_edit

    with _open() as wb:
        record = load_edit(wb.store, edit_id)
        d = show_edit(wb.store, edit_id)
    doc = {
        "id": edit_id,
        "agent_name": record.get("agent_name"),
        "accepted": _clean(record.get("accepted")),
        "edit_distance": d.distance,
        "opcodes": frame_records(d.to_frame()),
        "sentences": frame_records(d.sentences()) if by_sentence else None,
    }

    def view() -> list[RenderableType]:
        shown: list[RenderableType] = [
            markup(
                "[bold]{}[/]  agent {}  {}",
                edit_id,
                record.get("agent_name"),
                "accepted as is" if not d.changed else f"edit distance {d.distance:.3f}",
            ),
            d.to_rich(),
        ]
        if by_sentence:
            colours = {"kept": "dim", "changed": "yellow", "deleted": "red", "added": "green"}
            shown.append(
                table(
                    ["status", Column("AI output", overflow="fold"), Column("final", overflow="fold")],
                    (
                        [markup(f"[{colours[r.status]}]{{}}[/]", r.status), r.before, r.after]
                        for r in d.sentences().itertuples(index=False)
                    ),
                    title="Sentence by sentence",
                    show_lines=True,
                )
            )
        return shown

    render(doc, as_json=as_json, view=view)


@edits_app.command("opportunities")
@handles_errors
def opportunities_cmd(
    *,
    agent: list[str] | None = typer.Option(
        None, "--agent", "-a", help="Agents to look at (repeatable; default: all).", show_default=False
    ),
    top: int = typer.Option(5, "--top", help="Findings per agent."),
    range_: str = typer.Option("90d", "--range", "-r", help=RANGE_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """A ranked list of prompt changes per agent: phrases to cut or add, tone shifts, weak intent types.

    Exit codes: 0 ok, 2 unknown agent or bad option.
    """
    from agenthone.analytics.edits import improvement_opportunities

    with _open() as wb, _working("looking for improvement opportunities", as_json):
        df = improvement_opportunities(wb.store, agent or None, range=range_, as_of=as_of, top=top)
    render(frame_document(df), as_json=as_json, view=lambda: opportunities_view(df))
