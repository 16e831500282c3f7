"""``hone serve``, ``hone keys``, ``hone audit`` and ``hone store prune``."""

from __future__ import annotations

import contextlib

import typer

from agenthone.cli._app import app, fail, handles_errors, key_values, render, say, sub_app, table, warn

keys_app = sub_app("keys", "API keys of the collector service: create (shown once), list, revoke.")
audit_app = sub_app("audit", "The tamper-evident audit log: list rows, verify the hash chain.")
store_app = sub_app("store", "Store maintenance: retention.")


@app.command()
@handles_errors
def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default [service] host, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", "-p", help="Port (default [service] port, 8750)."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn's log level."),
) -> None:
    """Run the collector service (OpenAPI docs at /docs); Ctrl-C or SIGTERM flushes the spool and stops.

    Agents send runs, edits and conversations to POST /v1/runs|edits|conversations and OpenTelemetry
    traces to POST /v1/traces, with an API key from `hone keys create` as `Authorization: Bearer KEY`.
    """
    from agenthone.config import Settings
    from agenthone.service import serve as run

    settings = Settings.load()
    shown_host = host or settings.service.host
    shown_port = port if port is not None else settings.service.port
    say("collector on [bold]http://{}:{}[/] (docs at /docs); Ctrl-C to stop", shown_host, shown_port)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has shut down (and flushed)
        run(settings, host=host, port=port, log_level=log_level)
    from agenthone.service import spool_backlog

    left = sum(spool_backlog(settings).values())
    if left:
        warn("[yellow]{:,} events are still in the spool (the store was busy); the next start flushes them[/]", left)


@keys_app.command("create")
@handles_errors
def keys_create(
    name: str = typer.Option(..., "--name", help="Who or what uses the key."),
    role: str = typer.Option(..., "--role", help="collector, viewer, engineer or admin."),
    agents: str | None = typer.Option(None, "--agents", help="Collector keys: only these agents (comma-separated)."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Create an API key; its token is printed this once (only a salted hash is stored)."""
    from agenthone.config import Settings
    from agenthone.service import create_key

    key, token = create_key(Settings.load(), name=name, role=role, agents=agents.split(",") if agents else None)
    data = {**key.as_dict(), "token": token}
    render(
        data,
        as_json=as_json,
        view=lambda: [key_values(list(data.items())), "Store the token now: it is not shown again."],
    )


@keys_app.command("list")
@handles_errors
def keys_list(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Every key: id, name, role, agents, created, revoked."""
    from agenthone.config import Settings
    from agenthone.service import list_keys

    rows = [k.as_dict() for k in list_keys(Settings.load())]
    columns = ["key_id", "name", "role", "agents", "created_at", "created_by", "revoked_at"]
    render(rows, as_json=as_json, view=lambda: table(columns, ([r[c] for c in columns] for r in rows)))


@keys_app.command("revoke")
@handles_errors
def keys_revoke(key: str = typer.Argument(..., help="Key id (or its unambiguous name).")) -> None:
    """Revoke a key: a running service refuses it within a second."""
    from agenthone.config import Settings
    from agenthone.service import revoke_key

    gone = revoke_key(Settings.load(), key)
    say("revoked key [bold]{}[/] ({})", gone.key_id, gone.name)


@audit_app.command("list")
@handles_errors
def audit_list(
    limit: int = typer.Option(50, "--limit", "-n", help="Latest rows to show."),
    action: str | None = typer.Option(None, "--action", help="Only actions starting with this (e.g. key., request)."),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """The latest audit rows, oldest first."""
    from agenthone.audit import entries
    from agenthone.config import Settings

    rows = [e.as_dict() for e in entries(Settings.load(), limit=limit, action=action, actor=actor)]
    for row in rows:
        if not as_json and row["records"]:
            row["records"] = " ".join(f"{k}={v}" for k, v in row["records"].items() if v)
    columns = ["seq", "at", "actor", "action", "target", "role", "route", "status", "records", "client"]
    render(rows, as_json=as_json, view=lambda: table(columns, ([r[c] for c in columns] for r in rows)))


@audit_app.command("verify")
@handles_errors
def audit_verify(as_json: bool = typer.Option(False, "--json", help="Print as one JSON document.")) -> None:
    """Recompute the hash chain; exit 1 naming the first row that was changed, removed or reordered."""
    from agenthone.audit import verify
    from agenthone.config import Settings

    result = verify(Settings.load())
    if as_json:
        render(result.as_dict(), as_json=True)
    elif result.ok:
        say("[green]audit log intact[/]: {:,} rows, hash chain verified", result.rows)
    if not result.ok:
        raise fail(f"audit log tampered: {result.reason}", 1)


@store_app.command("prune")
@handles_errors
def store_prune(
    runs_days: int | None = typer.Option(
        None, "--runs-days", help="Keep this many days of runs (default [retention])."
    ),
    edits_days: int | None = typer.Option(None, "--edits-days", help="Days of edits to keep."),
    conversations_days: int | None = typer.Option(None, "--conversations-days", help="Days of conversations to keep."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go, delete nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print as one JSON document."),
) -> None:
    """Delete records older than the retention of their kind, and their quarantine lines (audited)."""
    from agenthone.service import prune
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        r = wb.settings.retention
        days = {
            "run": runs_days if runs_days is not None else r.runs_days,
            "edit": edits_days if edits_days is not None else r.edits_days,
            "conversation": conversations_days if conversations_days is not None else r.conversations_days,
        }
        if all(v is None for v in days.values()):
            raise fail(
                "no retention set: give --runs-days/--edits-days/--conversations-days or [retention] in hone.toml"
            )
        try:
            result = prune(wb.store, wb.settings, days=days, dry_run=dry_run)
        except ValueError as exc:
            raise fail(str(exc)) from None
    verb = "would delete" if dry_run else "deleted"
    render(
        result,
        as_json=as_json,
        view=lambda: key_values(
            [
                *((f"{verb} {t}", f"{n:,}") for t, n in result["deleted"].items()),
                (f"{verb} quarantine lines", f"{result['quarantine_lines']:,}"),
                *((f"cutoff {k}s", v) for k, v in result["cutoffs"].items()),
            ]
        ),
    )


def ingest_traces(*, experiment: str | None, since: str | None, strict: bool, as_json: bool) -> int:
    """``hone ingest --mlflow-traces``: the exit code."""
    from agenthone.service import ingest_mlflow_traces
    from agenthone.workbench import Workbench

    with Workbench.open() as wb:
        reports = ingest_mlflow_traces(wb.store, wb.settings, experiment=experiment, since=since)
    data = {kind: {k: v for k, v in r.as_dict().items() if k != "files"} for kind, r in reports.items()}
    columns = ["kind", "accepted", "duplicate", "conflict", "rejected"]
    render(
        data,
        as_json=as_json,
        view=lambda: table(
            columns, ([k, *(d[c] for c in columns[1:])] for k, d in data.items()), title="MLflow traces"
        ),
    )
    refused = any(r.rejected or r.conflict for r in reports.values())
    return 1 if strict and refused else 0
