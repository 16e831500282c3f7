"""Rich views of library results, shared by the ``hone`` commands and the demo.

Every piece of dynamic text (names, paths, messages, values) goes through :func:`markup`, :func:`table` or
:func:`key_values`, which escape it: text such as ``[prices]`` is shown as written instead of being read as
Rich markup. Markup is only ever written in the templates here and in the commands.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.config import Settings
    from agenthone.datasets import Dataset, ValidationReport
    from agenthone.training import Job

__all__ = [
    "ci",
    "dataset_view",
    "evaluate_with_progress",
    "job_summary",
    "key_values",
    "markup",
    "num",
    "opportunities_view",
    "pct",
    "performance_table",
    "signed_points",
    "status_text",
    "table",
    "validation_view",
    "watch_with_progress",
    "window_line",
    "working",
]


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        return escape(format(value, format_spec))


_FORMATTER = _Escaping()


def markup(template: str, /, *args: Any, **kwargs: Any) -> Text:
    """``template``'s Rich markup, its ``{}`` fields filled with escaped values (format specs apply)."""
    return Text.from_markup(_FORMATTER.vformat(template, args, kwargs), emoji=False)


def _plain(value: Any) -> RenderableType:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)
    if hasattr(value, "__rich_console__") or hasattr(value, "__rich__"):
        return value  # type: ignore[no-any-return]
    return escape(str(value))


def _label(value: str | Text | None) -> str | Text | None:
    return escape(value) if isinstance(value, str) else value


def table(
    columns: Sequence[str | Column],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | Text | None = None,
    caption: str | Text | None = None,
    **options: Any,
) -> Table:
    """A table whose plain-text headers, cells, title and caption are shown verbatim (``Text`` keeps its styles).

    A ``str`` column is left-aligned; pass a :class:`rich.table.Column` for anything else.
    """
    cols = [
        Column(header=escape(c)) if isinstance(c, str) else replace(c, header=_label(c.header) or "")  # type: ignore[arg-type]
        for c in columns
    ]
    out = Table(
        *cols,
        title=_label(title),
        caption=_label(caption),
        title_justify=options.pop("title_justify", "left"),
        caption_justify=options.pop("caption_justify", "left"),
        **options,
    )
    for row in rows:
        out.add_row(*(_plain(v) for v in row))
    return out


def key_values(pairs: Iterable[tuple[str, Any]]) -> Table:
    """A borderless two-column panel: bold keys, their values (shown verbatim unless ``Text``)."""
    return table([Column(style="bold"), Column()], pairs, show_header=False, box=None, pad_edge=False)


@contextmanager
def working(console: Console, message: str, quiet: bool = False) -> Iterator[None]:
    """A spinner with ``message`` while a slow step runs (nothing when ``quiet``)."""
    if quiet:
        yield
        return
    with console.status(escape(message), spinner="dots"):
        yield


# -- numbers ---------------------------------------------------------------------------------------


def pct(value: Any, digits: int = 1) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(f) else f"{f * 100:.{digits}f}%"


def num(value: Any, fmt: str = "{:,.0f}") -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(f) else fmt.format(f)


def ci(rate: Any, low: Any, high: Any) -> Text:
    """A rate with its 95% interval, dimmed: ``85% 81-88%``."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return Text("-")
    return markup("{} [dim]{}-{}[/]", pct(rate, 0), pct(low, 0)[:-1], pct(high, 0))


def signed_points(value: Any) -> Text:
    """A change of a rate in percentage points, green when up, red when down."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return Text("-")
    if math.isnan(f):
        return Text("-")
    colour = "green" if f > 0 else "red" if f < 0 else "white"
    return markup(f"[{colour}]{{:+.1f}} pt[/]", f * 100)


# -- analytics -------------------------------------------------------------------------------------


def window_line(df: pd.DataFrame) -> str:
    """The window a result covers, e.g. ``30d: 2026-10-03 to 2026-11-01 (UTC, 30 days)``."""
    w = df.attrs.get("window")
    if not w:
        return ""
    return f"{w['range']}: {w['first_day']} to {w['last_day']} (UTC, {w['days']} days)"


def performance_table(df: pd.DataFrame, *, title: str, wide: bool = False) -> Table:
    """The performance table (dist: mean normalised edit distance); ``wide`` adds score, p95, tokens, feedback, cost."""
    by = df.attrs.get("by", df.columns[0])
    columns: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("runs", lambda r: num(r["runs"])),
        ("success (CI)", lambda r: ci(r["success_rate"], r["success_low"], r["success_high"])),
    ]
    if wide:
        columns.append(("score", lambda r: num(r["score_mean"], "{:.2f}")))
    columns.append(("p50 ms", lambda r: num(r["latency_p50"])))
    if wide:
        columns += [
            ("p95 ms", lambda r: num(r["latency_p95"])),
            ("tok in", lambda r: num(r["tokens_in_mean"])),
            ("tok out", lambda r: num(r["tokens_out_mean"])),
            ("feedback", lambda r: num(r["feedback_mean"], "{:.2f}")),
        ]
    if wide:
        columns.append(("cost $", lambda r: num(r["cost_usd"], "{:,.2f}")))
    columns += [
        ("edits", lambda r: num(r["edits"])),
        ("accepted (CI)", lambda r: ci(r["acceptance_rate"], r["acceptance_low"], r["acceptance_high"])),
        ("dist", lambda r: num(r["edit_distance_mean"], "{:.3f}")),
    ]
    return table(
        [Column(str(by), no_wrap=True), *(Column(name, justify="right", no_wrap=True) for name, _ in columns)],
        ([str(row[by]), *(render(row) for _, render in columns)] for row in df.to_dict(orient="records")),
        title=title,
        caption=window_line(df),
    )


def opportunities_view(df: pd.DataFrame) -> RenderableType:
    """Improvement opportunities, ranked per agent (or a line saying none stands out)."""
    if df.empty:
        return markup("no improvement opportunity stands out ({})", window_line(df))
    return table(
        [
            Column("agent", overflow="fold"),
            Column("#", justify="right", overflow="fold"),
            Column("kind", overflow="fold"),
            Column("share", justify="right", overflow="fold"),
            Column("recommendation", overflow="fold"),
        ],
        ([r.agent, str(r.rank), r.kind, pct(r.share, 0), r.recommendation] for r in df.itertuples(index=False)),
        title="Improvement opportunities",
        caption=window_line(df),
        show_lines=True,
    )


# -- datasets --------------------------------------------------------------------------------------


def dataset_view(ds: Dataset, *, reused: bool = False) -> list[RenderableType]:
    """A dataset version's card (ref, path, digest, counts, sources, quality, MLflow run) and its cleaning."""
    m = ds.manifest
    ref = markup("{}" + ("  [dim](unchanged: same digest as the latest version)[/]" if reused else ""), ds.ref)
    kept = (m.get("sources") or {}).get("kept", {})
    quality = m.get("quality") or {}
    pairs: list[tuple[str, Any]] = [
        ("dataset", ref),
        ("path", str(ds.path)),
        ("digest", ds.digest),
        ("examples", "  ".join(f"{k} {v:,}" for k, v in ds.counts.items())),
        ("sources", ", ".join(f"{v:,} {k}" for k, v in kept.items())),
    ]
    if quality:
        pairs.append(("quality", f"{quality.get('score', 0):.2f} ({quality.get('readiness')})"))
    if m.get("mlflow_run_id"):
        pairs.append(("mlflow run", str(m["mlflow_run_id"])))
    cleaning = m.get("cleaning", {})
    pii = cleaning.get("pii", {})
    redacted = ", ".join(f"{n} {kind}" for kind, n in pii.items()) or "nothing"
    return [
        key_values(pairs),
        Text(f"redacted   {redacted} (in {cleaning.get('examples_with_pii', 0):,} examples)"),
        Text(
            f"removed    {cleaning.get('exact_duplicates', 0):,} exact duplicates, "
            f"{cleaning.get('near_duplicates', 0):,} near duplicates ({cleaning.get('near_clusters', 0):,} clusters), "
            f"{cleaning.get('token_filtered', 0):,} by token length, {cleaning.get('sampled_out', 0):,} by max_samples"
        ),
    ]


def validation_view(report: ValidationReport) -> list[RenderableType]:
    """A checked fine-tuning file: format errors, warnings, distributions, token limit and training cost."""
    from agenthone.datasets._validate import ERROR_HELP, WARNING_HELP

    model = report.model
    approx = " (approximate: not the provider's tokenizer)" if model.approximate else ""
    out: list[RenderableType] = [
        markup(
            "[bold]{}[/]: {:,} examples, format {}, model {}, encoding {}{}",
            report.path,
            report.n_examples,
            report.format,
            model.model,
            model.encoding,
            approx,
        )
    ]
    if report.errors:
        rows = []
        for cat, lines in report.errors.items():
            shown = ", ".join(map(str, lines[:10])) + (f", ... ({len(lines)} lines)" if len(lines) > 10 else "")
            rows.append(
                [markup("[red]{}[/]", cat), str(report.counts.get(cat, len(lines))), shown, ERROR_HELP.get(cat, "")]
            )
        out.append(
            table(
                [Column("category", no_wrap=True), Column("count", justify="right"), "lines", "meaning"],
                rows,
                title="Format errors",
            )
        )
    else:
        out.append(markup("[green]No format errors found[/]"))
    if report.warnings:
        rows = []
        for cat, lines in report.warnings.items():
            shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
            rows.append([markup("[yellow]{}[/]", cat), str(len(lines)), shown, WARNING_HELP.get(cat, "")])
        out.append(
            table(
                [Column("warning", no_wrap=True), Column("examples", justify="right"), "lines", "meaning"],
                rows,
                title="Warnings",
            )
        )
    stats = ("min", "max", "mean", "median", "p10", "p90")
    out.append(
        table(
            ["measure", *(Column(c, justify="right") for c in stats)],
            (
                [name, *(f"{getattr(d, c):,.1f}".rstrip("0").rstrip(".") for c in stats)]
                for name, d in report.distributions.items()
                if d is not None
            ),
            title="Distributions per example",
        )
    )
    limit = model.max_tokens_per_example
    if limit:
        out.append(
            Text(
                f"{len(report.over_limit):,} examples over the {limit:,}-token limit of {model.model} "
                "(truncated in training)"
            )
        )
    cost = (
        f"~${report.cost_usd:,.2f}"
        if report.cost_usd is not None
        else "unknown (no price for this model: set [prices] in hone.toml)"
    )
    out.append(Text(f"default epochs {report.epochs}: ~{report.billed_tokens:,} billed tokens, training cost {cost}"))
    return out


# -- training and evaluation -----------------------------------------------------------------------

_STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "failed_gate": "yellow",
    "cancelled": "dim",
    "running": "cyan",
    "queued": "blue",
    "validating_files": "blue",
}


def status_text(value: str) -> Text:
    """A job status in its colour."""
    return markup(f"[{_STATUS_STYLE.get(value, 'white')}]{{}}[/]", value)


def job_summary(job: Job, out: Console, err: Console) -> None:
    """A finished job in a few lines: status and model on ``out``; its error or failed quality gate on ``err``."""
    out.print(markup("job {}: ", job.job_id) + status_text(job.status))
    if job.fine_tuned_model:
        out.print(markup("  model    {}", job.fine_tuned_model))
    if job.error:
        err.print(markup("  [red]error[/] {}", job.error))
    if job.gate and not job.gate.get("passed", True):
        err.print(markup("  [yellow]quality gate failed:[/] {}", "; ".join(job.gate.get("reasons") or [])))


def watch_with_progress(job_id: str, console: Console, *, quiet: bool, settings: Settings) -> Job:
    """Follow a job with a progress bar on ``console`` until it is done (Ctrl-C stops watching, not the job)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agenthone.training import watch_job

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(escape(job_id), total=None, info="")

        def update(job: Job) -> None:
            details = job.details
            total = details.get("total_steps")
            step = details.get("step") or 0
            info = f"[{_STATUS_STYLE.get(job.status, 'white')}]{escape(job.status)}[/]"
            if "train_loss" in details:
                info += f" loss {details['train_loss']:.3f}"
            bar.update(task, total=total, completed=step, info=info)

        try:
            return watch_job(job_id, settings=settings, on_update=update)
        except KeyboardInterrupt:
            bar.stop()
            console.print(
                markup("stopped watching; job {} goes on in the background (`hone jobs watch {}`)", job_id, job_id)
            )
            raise


def evaluate_with_progress(model: str, dataset: str, console: Console, *, quiet: bool, **kwargs: Any) -> Any:
    """:func:`agenthone.evaluation.evaluate` with a progress bar on ``console``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agenthone.evaluation import evaluate

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(escape(f"evaluating {model}"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return evaluate(model, dataset, progress=progress, **kwargs)
