"""``hone prompts ...``: agents' system prompts in the MLflow prompt registry, variants and offline replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from agenthone.cli._app import err, fail, handles_errors, key_values, markup, render, sub_app, table

if TYPE_CHECKING:
    from agenthone.prompts import PromptVersion
    from agenthone.workbench import Workbench

prompts_app = sub_app(
    "prompts",
    "Agents' system prompts as registered versions: list, show, set, alias, import, performance, "
    "variants (from what people correct) and replay (past requests through each variant, offline).",
)


@contextmanager
def _open(*, read_only: bool = True) -> Iterator[Workbench]:
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=read_only) as wb:
        yield wb


def _settings() -> Any:
    from agenthone.config import Settings

    return Settings.load()


def _registry() -> Any:
    from agenthone.prompts import PromptRegistry

    return PromptRegistry(_settings())


def _version_view(v: PromptVersion) -> list[Any]:
    pairs = [
        ("agent", v.agent),
        ("version", f"{v.version} ({v.uri})"),
        ("label", f"{v.label}  (what runs and edits log as prompt_version)"),
        ("aliases", ", ".join(v.aliases) or "-"),
        ("source", v.source),
        ("parent", v.parent if v.parent is not None else "-"),
        ("rationale", v.rationale or "-"),
        ("created", v.created.isoformat(timespec="seconds") if v.created else "-"),
    ]
    return [key_values(pairs), "", v.template]


@prompts_app.command("list")
@handles_errors
def prompts_list(
    agent: str | None = typer.Option(None, "--agent", "-a", help="Only this agent's versions."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Registered prompt versions: label, aliases, source and parent."""
    reg = _registry()
    rows = [v.as_dict(template=False) for a in ([agent] if agent else reg.agents()) for v in reg.versions(a)]
    columns = ["agent", "version", "label", "aliases", "source", "parent", "rationale"]
    render(
        rows,
        as_json=as_json,
        view=lambda: (
            table(
                columns,
                (
                    [
                        r["agent"],
                        r["version"],
                        r["label"],
                        ", ".join(r["aliases"]),
                        r["source"],
                        r["parent"],
                        (r["rationale"] or "")[:70],
                    ]
                    for r in rows
                ),
            )
            if rows
            else "no registered prompts (hone prompts set AGENT --file PROMPT.txt, or hone prompts import FILE)"
        ),
    )


@prompts_app.command("show")
@handles_errors
def prompts_show(
    agent: str = typer.Argument(..., help="Agent name."),
    version: str | None = typer.Argument(
        None, help="Version number, label (v3) or alias (production). Default: latest."
    ),
    lineage: bool = typer.Option(False, "--lineage", help="Also list the versions it derives from."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """One prompt version: its text, label, aliases, rationale and lineage."""
    reg = _registry()
    v = reg.get(agent, version)
    chain = reg.lineage(agent, v.version) if lineage else [v]
    data = {**v.as_dict(), "findings": v.findings, "lineage": [c.as_dict(template=False) for c in chain]}

    def view() -> list[Any]:
        out = _version_view(v)
        if lineage:
            out.append(
                markup("[bold]lineage:[/] {}", " <- ".join(f"{c.label} (v{c.version}, {c.source})" for c in chain))
            )
        return out

    render(data, as_json=as_json, view=view)


@prompts_app.command("set")
@handles_errors
def prompts_set(  # noqa: PLR0917 - Typer options
    agent: str = typer.Argument(..., help="Agent name."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Read the prompt text from this file ('-': stdin)."),
    text: str | None = typer.Option(None, "--text", "-t", help="The prompt text."),
    label: str | None = typer.Option(None, "--label", "-l", help="What agents log as prompt_version (default v<N>)."),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias (e.g. production) at the new version."),
    message: str | None = typer.Option(None, "--message", "-m", help="Commit message."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Register a new version of an agent's prompt."""
    import sys

    if (file is None) == (text is None):
        raise fail("give the prompt with exactly one of --file and --text")
    if file is not None:
        if str(file) == "-":
            text = sys.stdin.read()
        elif not file.is_file():
            raise fail(f"no such file: {file}")
        else:
            text = file.read_text(encoding="utf-8")
    v = _registry().register(agent, text or "", label=label, alias=alias, message=message)
    render(
        v.as_dict(template=False),
        as_json=as_json,
        view=lambda: markup(
            "[green]registered[/] {} version {} as {}{}", v.agent, v.version, v.label, f" (@{alias})" if alias else ""
        ),
    )


@prompts_app.command("alias")
@handles_errors
def prompts_alias(
    agent: str = typer.Argument(..., help="Agent name."),
    alias: str = typer.Argument(..., help="Alias: production, candidate, ..."),
    version: str = typer.Argument(..., help="Version number or label."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Point an alias of an agent's prompt at a version."""
    v = _registry().set_alias(agent, alias, version)
    render(
        v.as_dict(template=False),
        as_json=as_json,
        view=lambda: markup("{}@{} -> version {} ({})", v.agent, alias, v.version, v.label),
    )


@prompts_app.command("import")
@handles_errors
def prompts_import(
    file: Path = typer.Argument(..., help='JSON: {"prompts": {AGENT: {LABEL: TEXT}}, "production": {AGENT: LABEL}}.'),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Register the prompt versions of a JSON file (the sample's prompts.json, or your own); idempotent."""
    if not file.is_file():
        raise fail(f"no such file: {file}")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise fail(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    prompts = doc.get("prompts", doc) if isinstance(doc, dict) else None
    if not isinstance(prompts, dict) or not all(isinstance(v, dict) for v in prompts.values()):
        raise fail(f"{file}: expected {{AGENT: {{LABEL: TEXT}}}} (optionally under 'prompts')")
    production = doc.get("production") if isinstance(doc.get("production"), dict) else None
    done = _registry().import_prompts(prompts, production=production)
    agents = sorted({v.agent for v in done})
    render(
        {"agents": agents, "versions": len({(v.agent, v.version) for v in done})},
        as_json=as_json,
        view=lambda: f"{len({(v.agent, v.version) for v in done})} prompt versions of {len(agents)} agents registered",
    )


@prompts_app.command("performance")
@handles_errors
def prompts_performance(
    agent: str = typer.Argument(..., help="Agent name."),
    range_: str = typer.Option("90d", "--range", "-r", help="Window: 7d, 30d, 90d, all, A..B."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The agent's runs and edits grouped by prompt_version, joined to the registered versions."""
    from agenthone.prompts import prompt_performance

    with _open() as wb:
        df = prompt_performance(wb.store, wb.prompts, agent, range=range_)
    rows = json.loads(df.to_json(orient="records"))

    def pct(x: Any) -> str:
        return "-" if x is None else f"{x:.1%}"

    render(
        rows,
        as_json=as_json,
        view=lambda: table(
            ["prompt_version", "registered", "aliases", "runs", "success", "edits", "acceptance (95% CI)"],
            (
                [
                    r["prompt_version"],
                    r["registered_version"] or "-",
                    r["aliases"] or "-",
                    r["runs"],
                    pct(r["success"]),
                    r["edits"],
                    f"{pct(r['acceptance'])} ({pct(r['acceptance_low'])}-{pct(r['acceptance_high'])})",
                ]
                for r in rows
            ),
        ),
    )


@prompts_app.command("variants")
@handles_errors
def prompts_variants(  # noqa: PLR0917 - Typer options
    agent: str = typer.Option(..., "--agent", "-a", help="Agent name."),
    n: int = typer.Option(4, "-n", help="How many variants at most."),
    generator: str = typer.Option("rules", "--generator", "-g", help="rules (offline) or llm."),
    model: str | None = typer.Option(None, "--model", help="For --generator llm: openai:MODEL, anthropic:MODEL..."),
    base: str = typer.Option("production", "--base", help="Version, label or alias to derive from."),
    range_: str = typer.Option("90d", "--range", "-r", help="Window of edits to learn from."),
    alias: str | None = typer.Option(None, "--alias", help="Set this alias (e.g. candidate) on the first variant."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Candidate prompt edits from the agent's improvement opportunities, each registered as a version."""
    from agenthone.prompts import generate_variants

    if generator not in ("rules", "llm"):
        raise fail(f"unknown generator {generator!r}; expected rules or llm")
    with _open() as wb:
        made = generate_variants(
            wb.store,
            wb.prompts,
            agent,
            n=n,
            generator=generator,  # type: ignore[arg-type]
            model=model,
            base=base,
            range=range_,
            alias=alias,
        )

    def view() -> list[Any]:
        out: list[Any] = []
        for v in made:
            out.append(
                markup(
                    "[bold]{} version {}[/] ({}, from version {}): {}",
                    v.label,
                    v.version,
                    v.source,
                    v.parent,
                    v.rationale,
                )
            )
        out.append(
            f"replay them: hone prompts replay --agent {agent} --variants "
            f"{','.join(str(v.version) for v in made)} --model MODEL"
        )
        return out

    render([v.as_dict() for v in made], as_json=as_json, view=view)


@prompts_app.command("replay")
@handles_errors
def prompts_replay(  # noqa: PLR0917 - Typer options
    agent: str = typer.Option(..., "--agent", "-a", help="Agent name."),
    variants: list[str] = typer.Option(..., "--variants", "-v", help="Versions/labels/aliases (repeat or a,b,c)."),
    model: str = typer.Option(
        ..., "--model", "-m", help="openai:MODEL, anthropic:MODEL, a job id, NAME@ALIAS, a folder."
    ),
    baseline: str = typer.Option("production", "--baseline", help="The prompt to beat (version, label or alias)."),
    sample: int = typer.Option(50, "--sample", "-n", help="How many past requests to replay."),
    seed: int = typer.Option(0, "--seed", help="Which past requests (the sample is seeded)."),
    range_: str = typer.Option("90d", "--range", "-r", help="Window of past requests."),
    judge: str | None = typer.Option(None, "--judge", help="Also score with an LLM judge (e.g. openai:gpt-4o-mini)."),
    max_new_tokens: int | None = typer.Option(None, "--max-new-tokens", help="Generation budget per answer."),
    to_experiment: bool = typer.Option(False, "--to-experiment", help="Create an A/B test of the best variant."),
    experiment_name: str | None = typer.Option(None, "--experiment-name", help="Name of that experiment."),
    alias: str | None = typer.Option(None, "--alias", help="Point this alias (e.g. candidate) at the best variant."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Replay past requests through each variant and the baseline; paired intervals say which is better."""
    from agenthone._views import working
    from agenthone.prompts import replay

    names = [p.strip() for v in variants for p in v.split(",") if p.strip()]
    if sample < 1:
        raise fail("--sample must be at least 1")
    with _open(read_only=not to_experiment) as wb:
        with working(err, f"replaying {agent}'s past requests", as_json):
            result = replay(
                wb.store,
                agent,
                variants=names,
                model=model,
                settings=wb.settings,
                baseline=baseline,
                sample=sample,
                seed=seed,
                range=range_,
                judge=judge,
                max_new_tokens=max_new_tokens,
            )
        data = result.as_dict()
        best = result.best
        if alias and best is not None:
            wb.prompts.set_alias(agent, alias, best.version)
            data["alias"] = {alias: best.version}
        if to_experiment:
            exp = result.to_experiment(wb.experiments, name=experiment_name)
            data["experiment"] = exp.name

    def view() -> list[Any]:
        out: list[Any] = list(result.summary())
        if alias:
            out.append(f"{agent}@{alias} -> version {best.version}" if best else f"no variant to alias as {alias}")
        if to_experiment:
            out.append(f"created experiment {data['experiment']}: hone exp status {data['experiment']}")
        out.append(f"MLflow run {result.run_id}")
        return out

    render(data, as_json=as_json, view=view)
