"""``hone tools ...``: the tool registry, its observed performance, selection, compression and benchmarks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import typer
from rich.console import RenderableType

from agenthone.cli._app import fail, handles_errors, key_values, render, sub_app, table

tools_app = sub_app(
    "tools",
    "Tool calling: list, stats, select, compress, bench, register, validate (schemas, selection, token savings).",
)


def _num(value: Any, fmt: str = "{:.3g}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value)


def _ks(text: str) -> list[int]:
    try:
        ks = sorted({int(k) for k in text.split(",") if k.strip()})
    except ValueError:
        raise fail(f"--k takes comma-separated positive integers, got {text!r}") from None
    if not ks or ks[0] < 1:
        raise fail(f"--k takes comma-separated positive integers, got {text!r}")
    return ks


@tools_app.command("list")
@handles_errors
def list_(
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only the tools this agent offers."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Tools registered or offered in the store's conversations."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        rows = [r for r in wb.tools.table() if agent is None or agent in r["agents"].split(", ")]
    render(rows, as_json=as_json, view=None if rows else "no tools (log conversations with tools, or register)")


@tools_app.command("stats")
@handles_errors
def stats(
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only this agent's calls and runs."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Observed performance of each tool: calls, failures, success rate, tokens, latency, runs."""
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        frame = wb.tools.stats(wb.store, agent=agent)
    rows = json.loads(frame.to_json(orient="records"))

    def view() -> RenderableType:
        cols = ["tool", "agents", "calls", "failures", "success_rate", "tokens_per_call", "latency_ms_p50", "runs",
                "run_success_rate"]  # fmt: skip
        return table(cols, ([r[c] if not isinstance(r[c], float) else _num(r[c]) for c in cols] for r in rows))

    render(rows, as_json=as_json, view=view)


@tools_app.command("select")
@handles_errors
def select(  # noqa: PLR0917 - Typer options
    task: str = typer.Argument(..., help="The task or user message to pick tools for."),
    agent: str | None = typer.Option(None, "--agent", "-a", help="Pick among this agent's tools."),
    k: int = typer.Option(5, "--k", "-k", min=1, help="How many tools to keep."),
    tools_file: Path | None = typer.Option(None, "--tools", help="Pick from this tool file instead of the store."),
    prefer_fast: bool = typer.Option(False, "--prefer-fast", help="Favour tools with lower observed latency."),
    prefer_cheap: bool = typer.Option(False, "--prefer-cheap", help="Favour tools with fewer tokens per call."),
    require: list[str] = typer.Option([], "--require", help="A tool to keep whatever its score (repeat)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """The k best tools for a task, each with why (BM25 blended with the ranker learned from usage)."""
    from agenthone.tools import ToolSelector, read_tools
    from agenthone.workbench import Workbench

    if tools_file is not None:
        selector = ToolSelector(read_tools(tools_file))
    else:
        with Workbench.open(read_only=True) as wb:
            selector = wb.tools.selector(wb.store, agent=agent, with_stats=prefer_fast or prefer_cheap)
    selection = selector.select(task, k=k, prefer_fast=prefer_fast, prefer_cheap=prefer_cheap, required=require)
    doc = {**selection.as_dict(), "pool": len(selector.tools), "history": selector.history_size}

    def view() -> list[RenderableType]:
        rows = ([p.rank, p.tool, f"{p.score:.3f}", "; ".join(p.reasons)] for p in selection.picks)
        note = f"{len(selector.tools)} tools, {selector.history_size} past uses, {selection.seconds * 1e3:.2f} ms"
        return [table(["#", "tool", "score", "why"], rows), note]

    render(doc, as_json=as_json, view=view)


@tools_app.command("compress")
@handles_errors
def compress(  # noqa: PLR0917 - Typer options
    tools_file: Path | None = typer.Option(None, "--tools", help="A tool file (default: the workspace's tools)."),
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only this agent's tools."),
    mode: str = typer.Option("lossless", "--mode", help="lossless or lossy."),
    encoding: str = typer.Option("o200k_base", "--encoding", help="tiktoken encoding for the counts."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the compressed tools here."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Compressed tool schemas and their exact token savings."""
    from agenthone.tools import compress_tools, read_tools, token_savings
    from agenthone.workbench import Workbench

    if mode not in ("lossless", "lossy"):
        raise fail(f"--mode must be lossless or lossy, got {mode!r}")
    if tools_file is not None:
        pool = read_tools(tools_file)
    else:
        with Workbench.open(read_only=True) as wb:
            pool = wb.tools.tools(agent)
    if not pool:
        raise fail("no tools to compress")
    text = compress_tools(pool, mode)  # type: ignore[arg-type]
    savings = token_savings(pool, encoding=encoding).as_dict()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    doc = {"mode": mode, "savings": savings, "compressed": None if out else text, "out": str(out) if out else None}

    def view() -> list[RenderableType]:
        shown: list[RenderableType] = [] if out else [text]
        return [*shown, key_values(savings.items())]

    render(doc, as_json=as_json, view=view)


@tools_app.command("bench")
@handles_errors
def bench(  # noqa: PLR0917 - Typer options
    queries: Path | None = typer.Option(None, "--queries", help='JSON Lines of {"query", "tools": [names]}.'),
    tools_file: Path | None = typer.Option(None, "--tools", help="The pool: a JSON list of OpenAI tool schemas."),
    history: Path | None = typer.Option(None, "--history", help="Past uses (same format as --queries) to learn."),
    bfcl: Path | None = typer.Option(None, "--bfcl", help="A BFCL questions file (instead of --queries/--tools)."),
    answers: Path | None = typer.Option(None, "--answers", help="The BFCL possible-answers file of --bfcl."),
    k: str = typer.Option("1,3,5,10", "--k", help="Cut-offs, comma-separated."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Selection quality (recall@k, MRR, nDCG@k), prompt tokens (all tools vs top k) and latency."""
    from agenthone.tools import bench_bfcl, bench_files

    ks = _ks(k)
    if bfcl is not None:
        if answers is None:
            raise fail("--bfcl needs --answers (the possible_answer file)")
        result = bench_bfcl(bfcl, answers, history=history, ks=ks)
    elif queries is not None and tools_file is not None:
        result = bench_files(queries, tools_file, history=history, ks=ks)
    else:
        raise fail("give --queries and --tools, or --bfcl and --answers")

    def view() -> list[RenderableType]:
        methods = [m for m in ("zero_shot", "learned") if m in result]
        names = [f"recall@{x}" for x in ks] + ["mrr"] + [f"ndcg@{x}" for x in ks]
        names += [f"tokens@{x}" for x in ks] + [f"tokens_ratio@{x}" for x in ks]
        names += [f"tokens_ratio@{x}_lossless" for x in ks] + ["latency_ms_p50", "latency_ms_p95"]
        rows = ([n, *(_num(result[m].get(n), "{:.4g}") for m in methods)] for n in names)
        head = (f"{result['queries']} queries, {result['tools']} tools; all tools: "
                f"{result['all_tools_tokens']['original']:,} tokens ({result['all_tools_tokens']['lossless']:,} "
                f"lossless, {result['all_tools_tokens']['lossy']:,} lossy)")  # fmt: skip
        return [head, table(["figure", *methods], rows)]

    render(result, as_json=as_json, view=view)


@tools_app.command("register")
@handles_errors
def register(
    tools_file: Path = typer.Argument(..., help="A tool file (JSON list of schemas, or JSON Lines)."),
    agent: str | None = typer.Option(None, "--agent", "-a", help="The agent that offers these tools."),
    idempotent: bool = typer.Option(False, "--idempotent", help="Mark them safe to retry."),
    output_schema: Path | None = typer.Option(
        None, "--output-schema", help="A JSON Schema of the agent's outputs (with --agent) for validation."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Add tools (and an agent's output schema) to the workspace's tool registry."""
    from agenthone.config import Settings
    from agenthone.tools import ToolRegistry, read_tools, registry_path

    settings = Settings.load()
    path = registry_path(settings)
    registry = ToolRegistry.load(path)
    added = [registry.register(t, agent=agent, idempotent=idempotent or None).name for t in read_tools(tools_file)]
    if output_schema is not None:
        if agent is None:
            raise fail("--output-schema needs --agent")
        try:
            registry.output_schemas[f"agent:{agent}"] = json.loads(output_schema.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise fail(f"cannot read the output schema {output_schema}: {exc}") from None
    registry.save(path)
    render({"registered": added, "registry": str(path), "tools": len(registry)}, as_json=as_json)


@tools_app.command("validate")
@handles_errors
def validate(
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only this agent (it needs an output schema)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Validate the stored outputs of agents with a registered output schema: failures per agent and rule."""
    from agenthone.tools import output_failures
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        schemas = {k.split(":", 1)[1]: v for k, v in wb.tools.output_schemas.items() if k.startswith("agent:")}
        if agent is not None:
            if agent not in schemas:
                raise fail(f"no output schema registered for agent {agent!r} (hone tools register ... --output-schema)")
            schemas = {agent: schemas[agent]}
        if not schemas:
            raise fail("no output schemas registered (hone tools register TOOLS.json --agent NAME --output-schema S)")
        frame = output_failures(wb.store, schemas)
    render(json.loads(frame.to_json(orient="records")), as_json=as_json)
