"""``hone watch``: the unattended check for cron (alerts, drift, new failure patterns, next steps, webhooks)."""

from __future__ import annotations

from typing import Any

import typer

from agenthone.cli._app import app, err, fail, handles_errors, markup, render, warn


@app.command("watch")
@handles_errors
def watch_cmd(  # noqa: PLR0917 - Typer options
    as_of: str | None = typer.Option(
        None, "--as-of", help="Last day to look at (default: the latest data).", show_default=False
    ),
    recent_days: int = typer.Option(7, "--recent-days", help="Length of the recent window."),
    baseline_days: int = typer.Option(28, "--baseline-days", help="Length of the window before it."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance after a Holm correction across agents."),
    notify: bool = typer.Option(False, "--notify", help="Post the summary to the webhooks of [notify] in hone.toml."),
    notify_always: bool = typer.Option(
        False, "--notify-always", help="With --notify: post even when nothing needs a person."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Alerts, input drift (intent/task mix, input length, new vocabulary), new failure patterns and the next
    step per agent, with the evidence.

    Exit codes: 0 all quiet, 3 something needs a person, 2 bad option, empty store or bad [notify] settings.
    A webhook that cannot be reached is reported (and recorded in data/notifications.jsonl) but does not change
    the exit code.
    """
    from agenthone.watch import NEEDS_PERSON_EXIT, watch, webhooks_from_settings
    from agenthone.watch import notify as send
    from agenthone.workbench import Workbench

    with Workbench.open(read_only=True) as wb:
        hooks = webhooks_from_settings(wb.settings) if notify else []
        if notify and not hooks:
            raise fail("--notify: no webhook configured; add [[notify.webhooks]] to hone.toml")
        result = watch(
            wb.store,
            as_of=as_of,
            recent_days=recent_days,
            baseline_days=baseline_days,
            alpha=alpha,
            registry=wb.prompts,
        )
        settings = wb.settings
    data: dict[str, Any] = result.as_dict()
    if notify and (result.needs_person or notify_always):
        options = dict(settings.notify or {})
        deliveries = send(
            result.title,
            result.summary(),
            webhooks=hooks,
            data=data,
            record=settings.data_dir / "notifications.jsonl",
            timeout=float(options.get("timeout", 10.0)),
            retries=int(options.get("retries", 3)),
            backoff=float(options.get("backoff", 1.0)),
        )
        data["notifications"] = [d.as_dict() for d in deliveries]
        for d in deliveries:
            if not d.ok:
                warn(
                    "[yellow]notification to {} ({}) failed after {} attempt(s):[/] {}",
                    d.webhook,
                    d.target,
                    d.attempts,
                    d.error,
                )
            elif not as_json:
                err.print(markup("notified {} ({})", d.webhook, d.target))

    def view() -> list[str]:
        return result.summary()

    render(data, as_json=as_json, view=view)
    if result.needs_person:
        raise typer.Exit(NEEDS_PERSON_EXIT)
