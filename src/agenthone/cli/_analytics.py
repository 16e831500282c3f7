"""``hone agents summary|trend|compare``, ``hone alerts`` and ``hone edits patterns|tone|show|opportunities``."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.table import Table

from agenthone.cli._app import app, console, err, fail, handles_errors, print_json, sub_app

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.cli._demo import DemoState
    from agenthone.workbench import Workbench

P = ParamSpec("P")
R = TypeVar("R")

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


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Bad names, ranges and dates become a one-line error with exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (ValueError, KeyError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            raise fail(str(message)) from None

    return wrapper


@contextmanager
def _open() -> Iterator[Workbench]:
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        yield wb


@contextmanager
def _working(message: str, quiet: bool) -> Iterator[None]:
    if quiet:
        yield
        return
    with err.status(message, spinner="dots"):
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


def _pct(value: Any, digits: int = 1) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(f) else f"{f * 100:.{digits}f}%"


def _ci(rate: Any, low: Any, high: Any) -> str:
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "-"
    return f"{_pct(rate, 0)} [dim]{_pct(low, 0)[:-1]}-{_pct(high, 0)}[/]"


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(f) else fmt.format(f)


def _window_line(df: pd.DataFrame) -> str:
    w = df.attrs.get("window")
    if not w:
        return ""
    return f"{w['range']}: {w['first_day']} to {w['last_day']} (UTC, {w['days']} days)"


def summary_table(df: pd.DataFrame, *, title: str, wide: bool = False) -> Table:
    """The performance table (dist: mean normalised edit distance); ``wide`` adds score, p95, tokens, feedback, cost."""
    by = df.attrs.get("by", df.columns[0])
    table = Table(title=title, title_justify="left", caption=_window_line(df), caption_justify="left")
    table.add_column(str(by), no_wrap=True)
    columns: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("runs", lambda r: _num(r["runs"])),
        ("success (CI)", lambda r: _ci(r["success_rate"], r["success_low"], r["success_high"])),
    ]
    if wide:
        columns.append(("score", lambda r: _num(r["score_mean"], "{:.2f}")))
    columns.append(("p50 ms", lambda r: _num(r["latency_p50"])))
    if wide:
        columns += [
            ("p95 ms", lambda r: _num(r["latency_p95"])),
            ("tok in", lambda r: _num(r["tokens_in_mean"])),
            ("tok out", lambda r: _num(r["tokens_out_mean"])),
            ("feedback", lambda r: _num(r["feedback_mean"], "{:.2f}")),
        ]
    if wide:
        columns.append(("cost $", lambda r: _num(r["cost_usd"], "{:,.2f}")))
    columns += [
        ("edits", lambda r: _num(r["edits"])),
        ("accepted (CI)", lambda r: _ci(r["acceptance_rate"], r["acceptance_low"], r["acceptance_high"])),
        ("dist", lambda r: _num(r["edit_distance_mean"], "{:.3f}")),
    ]
    for name, _ in columns:
        table.add_column(name, justify="right", no_wrap=True)
    for row in df.to_dict(orient="records"):
        table.add_row(str(row[by]), *(render(row) for _, render in columns))
    return table


# -- hone agents ----------------------------------------------------------------------------------


@agents_app.command("summary")
@handles_errors
@user_errors
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
    if as_json:
        print_json(frame_document(df))
        return
    if df.empty:
        console.print(f"no runs or edits in {_window_line(df)}")
        return
    console.print(summary_table(df, title=f"Performance per {by.value}", wide=wide))


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
@user_errors
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
            raise ValueError(f"no runs or edits of {by.value} {name!r} in {_window_line(series)}")
        wow = week_over_week(wb.store, by=by.value, as_of=as_of)
        wow = wow[wow[by.value] == name]
        types = best_worst_types(wb.store, range=range_, agents=[name], as_of=as_of) if by == By.agent else None
    if as_json:
        doc = frame_document(series)
        doc["week_over_week"] = frame_records(wow)
        doc["types"] = frame_records(types) if types is not None else []
        print_json(doc)
        return
    table = Table(
        title=f"{name}: {'daily' if freq == Freq.D else 'weekly'} trend",
        title_justify="left",
        caption=_window_line(series),
        caption_justify="left",
    )
    for col in ("period", "runs", "success (CI)", "change", "edits", "accepted (CI)", "change", "dist"):
        table.add_column(col, justify="left" if col == "period" else "right", no_wrap=True)
    for r in series.itertuples(index=False):
        table.add_row(
            str(r.period.date()),
            _num(r.runs),
            _ci(r.success_rate, r.success_low, r.success_high),
            _signed_points(r.success_change),
            _num(r.edits),
            _ci(r.acceptance_rate, r.acceptance_low, r.acceptance_high),
            _signed_points(r.acceptance_change),
            _num(r.edit_distance_mean, "{:.3f}"),
        )
    console.print(table)
    for r in wow.itertuples(index=False):
        console.print(
            f"{r.metric:<10} last 7 days {_pct(r.this_week)} (n={r.this_week_n:,}) vs the 7 before "
            f"{_pct(r.last_week)} (n={r.last_week_n:,}): {_signed_points(r.change)}, p={_num(r.p_value, '{:.2g}')}"
        )
    if types is not None and len(types):
        for r in types.itertuples(index=False):
            if r.types < 2:
                continue
            console.print(
                f"{r.kind:<11} best [green]{r.best}[/] {_pct(r.best_rate)} (n={r.best_n}), "
                f"worst [red]{r.worst}[/] {_pct(r.worst_rate)} (n={r.worst_n})"
            )


def _signed_points(value: Any) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "-"
    if math.isnan(f):
        return "-"
    colour = "green" if f > 0 else "red" if f < 0 else "white"
    return f"[{colour}]{f * 100:+.1f} pt[/]"


@agents_app.command("compare")
@handles_errors
@user_errors
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
    if as_json:
        print_json(frame_document(df))
        return
    table = Table(
        title=f"{b} vs {a} ({by.value}{f' of {agent}' if agent else ''})",
        title_justify="left",
        caption=_window_line(df),
        caption_justify="left",
    )
    for col in ("metric", str(a), str(b), "b - a (95% CI)", "p", "n"):
        table.add_column(col, justify="left" if col == "metric" else "right", no_wrap=col != "b - a (95% CI)")
    for r in df.itertuples(index=False):
        rate = r.metric.endswith("_rate")
        fmt: Callable[[Any], str] = _pct if rate else (lambda v: _num(v, "{:,.3g}" if abs(v) < 10 else "{:,.0f}"))
        diff = (
            f"{_signed_points(r.difference)} [dim]({r.ci_low * 100:+.1f} to {r.ci_high * 100:+.1f})[/]"
            if rate and r.ci_low == r.ci_low
            else f"{_num(r.difference, G3)} [dim]({_num(r.ci_low, G3)} to {_num(r.ci_high, G3)})[/]"
        )
        p = _num(r.p_value, "{:.2g}")
        table.add_row(
            r.metric, fmt(r.a), fmt(r.b), diff, f"[bold]{p}[/]" if r.significant else p, f"{r.n_a:,}/{r.n_b:,}"
        )
    console.print(table)
    console.print("[dim]rates: two-proportion z-test; edit_distance, latency_ms: Mann-Whitney U, bootstrap CI[/]")


# -- hone alerts ----------------------------------------------------------------------------------


class AlertMetric(StrEnum):
    acceptance = "acceptance"
    success = "success"


@app.command("alerts")
@handles_errors
@user_errors
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
    if as_json:
        doc = frame_document(shown)
        doc["alerts"] = len(flagged)
        doc["tested"] = len(df)
        print_json(doc)
    elif flagged.empty and not show_all:
        console.print(f"[green]no alerts[/] ({len(df)} agent-metric pairs tested; {_window_line(df)})")
    else:
        table = Table(
            title=f"{len(flagged)} alert{'s' if len(flagged) != 1 else ''} ({len(df)} agent-metric pairs tested)",
            title_justify="left",
            caption=f"last {recent_days} days {_window_line(df)} vs the {baseline_days} days before",
            caption_justify="left",
        )
        for col in ("agent", "metric", "recent", "n", "before", "n ", "change", "Holm p"):
            table.add_column(col, justify="left" if col in ("agent", "metric") else "right", no_wrap=col != "agent")
        for r in shown.itertuples(index=False):
            style = "bold red" if r.alert else ""
            table.add_row(
                f"[{style}]{r.agent}[/]" if style else r.agent,
                r.metric,
                _pct(r.recent_rate),
                _num(r.recent_n),
                _pct(r.baseline_rate),
                _num(r.baseline_n),
                _signed_points(-r.drop if r.drop == r.drop else math.nan),
                _num(r.p_adjusted, "{:.2g}"),
            )
        console.print(table)
        for r in flagged.itertuples(index=False):
            console.print(f"[bold red]ALERT[/] {r.agent}: {r.reason}", soft_wrap=True)
    if len(flagged):
        raise typer.Exit(EXIT_ALERTS)


# -- hone edits -----------------------------------------------------------------------------------


@edits_app.command("patterns")
@handles_errors
@user_errors
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
    if as_json:
        print_json(frame_document(df))
        return
    console.print(f"[bold]{agent}[/]: {df.attrs['edits']:,} edits, {_window_line(df)}")
    for k in kinds:
        part = df[df["kind"] == k]
        if part.empty:
            console.print(f"no {k} pattern stands out")
            continue
        table = Table(
            title=f"What users {'delete' if k == 'deletion' else 'add'}", title_justify="left", show_lines=False
        )
        for col in ("pattern", "edits", "share", "z", "examples"):
            table.add_column(col, justify="left" if col in ("pattern", "examples") else "right", overflow="fold")
        for r in part.itertuples(index=False):
            table.add_row(r.pattern, f"{r.edits:,}", _pct(r.share, 0), f"{r.z:.1f}", ", ".join(r.examples))
        console.print(table)
        console.print(f"[bold]→[/] {part.iloc[0]['recommendation']}", soft_wrap=True)


@edits_app.command("tone")
@handles_errors
@user_errors
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
    if as_json:
        print_json(frame_document(df))
        return
    table = Table(
        title="Tone shift made by edits (final - AI output)",
        title_justify="left",
        caption=_window_line(df),
        caption_justify="left",
    )
    for col in ("agent", "measure", "n", "before", "after", "change (95% CI)", "d", "Holm p", "shift"):
        table.add_column(col, justify="left" if col in ("agent", "measure", "shift") else "right")
    for r in df.itertuples(index=False):
        shift = f"[bold]{r.direction}[/]" if r.significant else f"[dim]{r.direction} (not flagged)[/]"
        table.add_row(
            r.agent,
            r.measure,
            f"{r.n:,}",
            _num(r.before, "{:.2f}"),
            _num(r.after, "{:.2f}"),
            f"{_num(r.change, '{:+.2f}')} [dim]({_num(r.ci_low, '{:+.2f}')} to {_num(r.ci_high, '{:+.2f}')})[/]",
            _num(r.effect_size, "{:+.2f}"),
            _num(r.p_adjusted, "{:.2g}"),
            shift,
        )
    console.print(table)


@edits_app.command("show")
@handles_errors
@user_errors
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
    if as_json:
        print_json(
            {
                "id": edit_id,
                "agent_name": record.get("agent_name"),
                "accepted": _clean(record.get("accepted")),
                "edit_distance": d.distance,
                "opcodes": frame_records(d.to_frame()),
                "sentences": frame_records(d.sentences()) if by_sentence else None,
            }
        )
        return
    console.print(
        f"[bold]{edit_id}[/]  agent {record.get('agent_name')}  "
        f"{'accepted as is' if not d.changed else f'edit distance {d.distance:.3f}'}"
    )
    console.print(d.to_rich(), soft_wrap=True)
    if by_sentence:
        table = Table(title="Sentence by sentence", title_justify="left", show_lines=True)
        table.add_column("status")
        table.add_column("AI output", overflow="fold")
        table.add_column("final", overflow="fold")
        colours = {"kept": "dim", "changed": "yellow", "deleted": "red", "added": "green"}
        for r in d.sentences().itertuples(index=False):
            table.add_row(f"[{colours[r.status]}]{r.status}[/]", r.before, r.after)
        console.print(table)


@edits_app.command("opportunities")
@handles_errors
@user_errors
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
    if as_json:
        print_json(frame_document(df))
        return
    print_opportunities(df)


def print_opportunities(df: pd.DataFrame) -> None:
    if df.empty:
        console.print(f"no improvement opportunity stands out ({_window_line(df)})")
        return
    table = Table(
        title="Improvement opportunities",
        title_justify="left",
        caption=_window_line(df),
        caption_justify="left",
        show_lines=True,
    )
    for col in ("agent", "#", "kind", "share", "recommendation"):
        table.add_column(col, justify="right" if col in ("#", "share") else "left", overflow="fold")
    for r in df.itertuples(index=False):
        table.add_row(r.agent, str(r.rank), r.kind, _pct(r.share, 0), r.recommendation)
    console.print(table)


# -- demo -----------------------------------------------------------------------------------------


def _demo_summary(state: DemoState) -> None:
    from agenthone.analytics import performance

    df = performance(state.wb.store, range="30d")
    ranked = _sorted(df[df["edits"] > 0], "acceptance", "agent")
    state.extras["worst_agents"] = ranked["agent"].head(3).tolist()
    if len(ranked) > 6:
        ranked = ranked.iloc[[*range(3), *range(len(ranked) - 3, len(ranked))]]
        ranked.attrs = dict(df.attrs)
    console.print(summary_table(ranked, title="Agents with the lowest and the highest acceptance"))


def _demo_alerts(state: DemoState) -> None:
    from agenthone.analytics import alerts

    df = alerts(state.wb.store)
    if df.empty:
        console.print("no alerts")
        return
    for r in df.itertuples(index=False):
        console.print(f"[bold red]ALERT[/] {r.agent}: {r.reason}", soft_wrap=True)


def _demo_insights(state: DemoState) -> None:
    import json

    from agenthone.analytics.edits import improvement_opportunities

    agents: list[str] = list(state.extras.get("worst_agents", []))
    truth = state.sample_dir / "ground_truth.json"
    if truth.exists():
        effects = json.loads(truth.read_text(encoding="utf-8")).get("effects", {})
        for key in ("filler_phrase", "omission", "tone_shift"):
            name = effects.get(key, {}).get("agent")
            if name and name not in agents:
                agents.append(name)
    if not agents:
        console.print("no edits to learn from")
        return
    with _working("learning from edits", False):
        df = improvement_opportunities(state.wb.store, agents, top=3)
    print_opportunities(df)


def _demo_performance_report(state: DemoState) -> None:
    from agenthone.cli._demo import run_report_step

    run_report_step(state, "agent_performance", {})


def _demo_edit_report(state: DemoState) -> None:
    from agenthone.cli._demo import run_report_step

    run_report_step(state, "edit_insights", {})


DEMO_STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("Agent summary (last 30 days)", _demo_summary),
    ("Regression alerts", _demo_alerts),
    ("What people change in agents' outputs", _demo_insights),
    ("Report: agent performance", _demo_performance_report),
    ("Report: edit insights", _demo_edit_report),
]
