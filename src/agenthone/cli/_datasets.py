"""``hone dataset build|list|show|validate|export``: fine-tuning datasets from the logs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.rule import Rule
from rich.table import Column
from rich.text import Text

from agenthone._views import dataset_view, validation_view
from agenthone.cli._app import err, fail, handles_errors, markup, print_json, render, sub_app, table

if TYPE_CHECKING:
    from agenthone.datasets import Dataset

dataset_app = sub_app(
    "dataset", "Fine-tuning datasets: build from logs (PII redacted, deduplicated, split), inspect, export, validate."
)

EXIT_INSUFFICIENT = 1
EXIT_INVALID_FILE = 1


class Source(StrEnum):
    edits = "edits"
    conversations = "conversations"
    runs = "runs"


class ExportFormat(StrEnum):
    openai_chat = "openai-chat"
    openai_dpo = "openai-dpo"
    bedrock = "bedrock"
    hf_sft = "hf-sft"
    hf_dpo = "hf-dpo"


class FileFormat(StrEnum):
    openai_chat = "openai-chat"
    openai_dpo = "openai-dpo"
    bedrock = "bedrock"


class Split(StrEnum):
    train = "train"
    validation = "validation"
    test = "test"


def _parse_split(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    parts = [p for p in text.replace("/", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise fail(f"--split {text!r}: give three numbers such as 0.8,0.1,0.1 (or 80/10/10)") from None
    if len(values) != 3:
        raise fail(f"--split {text!r}: give three numbers such as 0.8,0.1,0.1 (or 80/10/10)")
    if sum(values) > 1.5:
        values = [v / 100 for v in values]
    return values[0], values[1], values[2]


def _build_summary(ds: Dataset, *, reused: bool) -> dict[str, Any]:
    m = ds.manifest
    return {
        "dataset": ds.ref,
        "reused": reused,
        "path": str(ds.path),
        "digest": ds.digest,
        "counts": ds.counts,
        "sources": m.get("sources"),
        "cleaning": m.get("cleaning"),
        "quality": m.get("quality"),
        "mlflow_run_id": m.get("mlflow_run_id"),
    }


@dataset_app.command("build")
@handles_errors
def build(  # noqa: PLR0917 - Typer options
    spec_file: Path | None = typer.Argument(
        None, help="Spec file (.toml, .yaml, .json); flags override its values.", show_default=False
    ),
    name: str | None = typer.Option(None, "--name", "-n", help="Dataset name (required without a spec file)."),
    sources: list[Source] | None = typer.Option(
        None, "--source", "-s", help="Record kinds to use (repeatable). Default: edits, conversations."
    ),
    agents: list[str] | None = typer.Option(None, "--agent", "-a", help="Only these agents (repeatable)."),
    categories: list[str] | None = typer.Option(None, "--category", "-c", help="Only these categories (repeatable)."),
    task_types: list[str] | None = typer.Option(
        None, "--task-type", "-t", help="Only these task/intent types (repeatable)."
    ),
    since: datetime | None = typer.Option(None, "--since", help="Records at or after this date/time (UTC)."),
    until: datetime | None = typer.Option(None, "--until", help="Records before this date/time (UTC)."),
    min_score: float | None = typer.Option(None, "--min-score", help="Runs: minimum score (default 0.8)."),
    min_rating: float | None = typer.Option(
        None, "--min-rating", help="Conversations: minimum rating (the logs' scale)."
    ),
    accepted_only: bool | None = typer.Option(
        None, "--accepted-only/--any-edit", help="Edits: only suggestions accepted unchanged."
    ),
    min_acceptance: float | None = typer.Option(
        None, "--min-acceptance", help="Edits: minimum edit similarity of AI and final output."
    ),
    failure_share: float | None = typer.Option(
        None, "--failure-share", help="Share of failures kept with weight 0 (0-1)."
    ),
    min_samples: int | None = typer.Option(
        None, "--min-samples", help="Fail unless each category (or agent, or the dataset) has this many."
    ),
    max_samples: int | None = typer.Option(
        None, "--max-samples", help="Cap, sampled stratified by agent and task type."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of sampling and splitting."),
    redact_pii: bool | None = typer.Option(None, "--pii/--no-pii", help="Redact PII and secrets (default on)."),
    pii_entities: list[str] | None = typer.Option(
        None,
        "--pii-entity",
        help="PII types to redact (repeatable): EMAIL PHONE CREDIT_CARD IP_ADDRESS IBAN US_SSN URL.",
    ),
    redact_secrets: bool | None = typer.Option(
        None, "--secrets/--no-secrets", help="Redact API keys and tokens (default on)."
    ),
    nlp_model: str | None = typer.Option(
        None, "--nlp-model", help="Installed spaCy model for NER entities (never downloaded)."
    ),
    dedup_exact: bool | None = typer.Option(
        None, "--dedup-exact/--keep-exact", help="Remove exact duplicates (default on)."
    ),
    dedup_near: bool | None = typer.Option(
        None, "--dedup-near/--keep-near", help="Remove near duplicates (default on)."
    ),
    near_threshold: float | None = typer.Option(
        None, "--near-threshold", help="Jaccard threshold of near duplicates (default 0.8)."
    ),
    min_tokens: int | None = typer.Option(None, "--min-tokens", help="Drop examples shorter than this."),
    max_tokens: int | None = typer.Option(
        None, "--max-tokens", help="Drop examples longer than this (default: the model's limit)."
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Target model: tokenizer and per-example limit (default gpt-4o-mini)."
    ),
    split: str | None = typer.Option(
        None, "--split", help="Train/validation/test shares, e.g. 0.8,0.1,0.1 or 80/10/10."
    ),
    formats: list[ExportFormat] | None = typer.Option(
        None, "--format", "-f", help="Exports written at build time (repeatable). Default: all."
    ),
    no_mlflow: bool = typer.Option(False, "--no-mlflow", help="Do not record the build in MLflow."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON document."),
) -> None:
    """Build a dataset version from the store: filter, redact PII, deduplicate, split, report, export.

    Rebuilding an unchanged spec on unchanged data returns the same version (same digest).
    Exit codes: 0 built or reused; 1 min_samples not met; 2 bad spec or options.
    """
    from agenthone.config import Settings
    from agenthone.datasets import DatasetSpec, InsufficientDataError, build_dataset, list_datasets

    options: dict[str, Any] = {
        "name": name,
        "sources": [s.value for s in sources] if sources else None,
        "agents": agents or None,
        "categories": categories or None,
        "task_types": task_types or None,
        "since": since,
        "until": until,
        "min_score": min_score,
        "min_rating": min_rating,
        "accepted_only": accepted_only,
        "min_acceptance": min_acceptance,
        "failure_share": failure_share,
        "min_samples": min_samples,
        "max_samples": max_samples,
        "seed": seed,
        "redact_pii": redact_pii,
        "pii_entities": pii_entities or None,
        "redact_secrets": redact_secrets,
        "nlp_model": nlp_model,
        "dedup_exact": dedup_exact,
        "dedup_near": dedup_near,
        "near_threshold": near_threshold,
        "min_tokens": min_tokens,
        "max_tokens": max_tokens,
        "model": model,
        "split": _parse_split(split),
        "formats": [f.value for f in formats] if formats else None,
    }
    if spec_file is not None:
        spec = DatasetSpec.from_file(spec_file, **options)
    else:
        if not name:
            raise fail("give a spec file or --name")
        spec = DatasetSpec.from_dict({k: v for k, v in options.items() if v is not None}, source="options")
    settings = Settings.load()
    before = {d.ref for d in list_datasets(settings=settings)}
    try:
        with err.status("building dataset", spinner="dots") if not as_json else _quiet() as status:

            def progress(message: str) -> None:
                if status is not None:
                    status.update(f"[bold]{escape(spec.name)}[/]: {escape(message)}")

            ds = build_dataset(spec, settings=settings, progress=progress, log_to_mlflow=not no_mlflow)
    except InsufficientDataError as exc:
        if as_json:
            print_json({"error": str(exc), "scope": exc.scope, "found": exc.found, "need": exc.need})
            raise typer.Exit(EXIT_INSUFFICIENT) from None
        raise fail(str(exc), EXIT_INSUFFICIENT) from None
    reused = ds.ref in before
    render(
        _build_summary(ds, reused=reused),
        as_json=as_json,
        view=lambda: [
            *dataset_view(ds, reused=reused),
            *(markup("  [yellow]-[/] {}", line) for line in ds.quality().recommendations),
        ],
    )


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@dataset_app.command("list")
@handles_errors
def list_(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Every built dataset version: counts, digest, quality and its MLflow run."""
    from agenthone.config import Settings
    from agenthone.datasets import list_datasets

    found = list_datasets(settings=Settings.load())
    rows: list[dict[str, Any]] = [
        {
            "dataset": d.ref,
            "created_at": d.manifest.get("created_at"),
            "digest": d.digest,
            "counts": d.counts,
            "quality": (d.manifest.get("quality") or {}).get("score"),
            "readiness": (d.manifest.get("quality") or {}).get("readiness"),
            "mlflow_run_id": d.manifest.get("mlflow_run_id"),
            "path": str(d.path),
        }
        for d in found
    ]

    def view() -> RenderableType:
        if not rows:
            return "no datasets built yet: hone dataset build --name NAME"
        columns = ("dataset", "created", "train", "validation", "test", "quality", "digest")
        return table(
            [
                Column(col, justify="right" if col in ("train", "validation", "test", "quality") else "left")
                for col in columns
            ],
            (
                [
                    r["dataset"],
                    str(r["created_at"] or "")[:19],
                    f"{r['counts'].get('train', 0):,}",
                    f"{r['counts'].get('validation', 0):,}",
                    f"{r['counts'].get('test', 0):,}",
                    f"{r['quality']:.2f}" if isinstance(r["quality"], int | float) else "-",
                    r["digest"][:12],
                ]
                for r in rows
            ),
            title="Datasets",
        )

    render(rows, as_json=as_json, view=view)


@dataset_app.command("show")
@handles_errors
def show(
    ref: str = typer.Argument(..., help="NAME (latest version) or NAME@vN."),
    examples: int = typer.Option(0, "--examples", "-e", help="Also print this many examples of --split."),
    split: Split = typer.Option(Split.train, "--split", help="Split the examples come from."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """A dataset version: counts, cleaning (PII by type, duplicates), quality, recommendations, examples."""
    from agenthone.config import Settings
    from agenthone.datasets import load

    ds = load(ref, settings=Settings.load())
    quality = ds.quality()
    shown = ds.examples(split.value)[:examples] if examples else []
    doc = {
        **_build_summary(ds, reused=False),
        "manifest": ds.manifest,
        "quality_report": quality.as_dict(),
        "examples": shown,
    }

    def view() -> list[RenderableType]:
        out: list[RenderableType] = [
            *dataset_view(ds),
            table(
                [Column(style="bold"), Column(justify="right")],
                (
                    [
                        str(row["metric"]),
                        f"{row['value']:.4g}" if isinstance(row["value"], float) else str(row["value"]),
                    ]
                    for _, row in quality.frame().iterrows()
                ),
                title="Quality",
                show_header=False,
            ),
            *(markup("  [yellow]-[/] {}", line) for line in quality.recommendations),
        ]
        for e in shown:
            out.append(
                Rule(
                    escape(f"{e['id']}  ({e['source'].get('agent_name')}, {e['source'].get('task_type')})"),
                    align="left",
                )
            )
            for m in e["messages"]:
                content = m.get("content")
                text = content if isinstance(content, str) else str(m.get("tool_calls") or content)
                out.append(Text.assemble((m["role"], "bold"), ": ", str(text)))
            if e.get("rejected"):
                out.append(Text.assemble(("rejected", "bold red"), ": ", e["rejected"]))
        return out

    render(doc, as_json=as_json, view=view)


@dataset_app.command("validate")
@handles_errors
def validate(
    file: Path = typer.Argument(..., help="JSONL file to check.", show_default=False),
    fmt: FileFormat = typer.Option(FileFormat.openai_chat, "--format", "-f", help="Format the file should be in."),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Target model (tokenizer, limit, price). Default: gpt-4o-mini; Bedrock: Claude 3 Haiku.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON document."),
) -> None:
    """Check a fine-tuning file: format errors with line numbers, warnings, token distributions, epochs, cost.

    Tokens are counted offline with tiktoken exactly as the OpenAI cookbook counts them.
    Exit codes: 0 no format errors; 1 format errors found; 2 unreadable file or bad option.
    """
    from agenthone.config import Settings
    from agenthone.datasets import validate_file

    report = validate_file(file, format=fmt.value, model=model, settings=Settings.load())
    render(report.as_dict(), as_json=as_json, view=lambda: validation_view(report))
    if not report.ok:
        raise typer.Exit(EXIT_INVALID_FILE)


@dataset_app.command("export")
@handles_errors
def export(
    ref: str = typer.Argument(..., help="NAME (latest version) or NAME@vN."),
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="Output format."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder that receives train/validation/test files."),
    as_json: bool = typer.Option(False, "--json", help="Print the written files as one JSON document."),
) -> None:
    """Write a dataset's splits in a provider's or trainer's format (JSONL or Parquet).

    Exit codes: 0 written; 2 unknown dataset or unwritable folder.
    """
    from agenthone.config import Settings
    from agenthone.datasets import load
    from agenthone.datasets._export import EXPORT_EXTENSIONS, convert

    ds = load(ref, settings=Settings.load())
    try:
        paths = ds.export(fmt.value, out)
    except OSError as exc:
        raise fail(f"cannot write to {out}: {exc.strerror}") from None
    rows: list[dict[str, Any]] = []
    for split, path in paths.items():
        records, skipped = convert(ds.examples(split), fmt.value)
        rows.append({"split": split, "path": str(path), "examples": len(records), "skipped": dict(skipped)})
    render(
        {"dataset": ds.ref, "format": fmt.value, "extension": EXPORT_EXTENSIONS[fmt.value], "files": rows},
        as_json=as_json,
        view=lambda: table(
            [
                Column(col, justify="right" if col == "examples" else "left")
                for col in ("split", "examples", "file", "left out")
            ],
            (
                [
                    r["split"],
                    f"{r['examples']:,}",
                    r["path"],
                    ", ".join(f"{n} {why}" for why, n in r["skipped"].items()) or "-",
                ]
                for r in rows
            ),
            title=f"{ds.ref} as {fmt.value}",
        ),
    )
