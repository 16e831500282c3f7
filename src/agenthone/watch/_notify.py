"""Webhook notifications: a generic JSON webhook and Slack's incoming-webhook format, with retries and a record.

Configured in hone.toml (a URL is a secret: keep it in the environment with ``url_env``)::

    [notify]
    retries = 3
    [[notify.webhooks]]
    name = "team-slack"
    format = "slack"                       # or "json"
    url_env = "HONE_SLACK_WEBHOOK"         # or url = "https://..."
    [[notify.webhooks]]
    name = "ops"
    url = "https://ops.example.com/hooks/agenthone"
    headers = { Authorization = "env:OPS_TOKEN" }   # "env:NAME" reads the environment

Every delivery is appended to a JSON Lines record (time, webhook name, host, status, attempts, a digest of
the body); URLs' paths and queries, header values and tokens never reach the record, the console or an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from agenthone.config import Settings
from agenthone.errors import ConfigError

__all__ = ["Delivery", "NotifyError", "Webhook", "notify", "webhooks_from_settings"]

Format = Literal["json", "slack"]


class NotifyError(ConfigError):
    """The notification settings are wrong (no webhook, a missing variable, an unknown format)."""


@dataclass(frozen=True)
class Webhook:
    """Where to post, in which format; ``secrets`` are every value to keep out of records and messages."""

    name: str
    url: str = field(repr=False)
    format: Format = "json"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def target(self) -> str:
        """The URL as it may be shown: scheme and host only, plus a short digest to tell two apart."""
        parts = urlsplit(self.url)
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:8]
        return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/… ({digest})"

    @property
    def secrets(self) -> list[str]:
        parts = urlsplit(self.url)
        values = [self.url, parts.path, parts.query, *self.headers.values()]
        return [v for v in values if v and len(v) >= 4 and v != "/"]


@dataclass(frozen=True)
class Delivery:
    """What happened to one notification on one webhook."""

    webhook: str
    target: str
    format: str
    ok: bool
    status: int | None
    attempts: int
    error: str | None
    sent_at: str
    body_sha256: str
    bytes: int
    title: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _env_value(value: str, where: str) -> str:
    if value.startswith("env:"):
        name = value.removeprefix("env:")
        found = os.environ.get(name)
        if not found:
            raise NotifyError(f"{where}: environment variable {name} is not set")
        return found
    return value


def webhooks_from_settings(settings: Settings) -> list[Webhook]:
    """The webhooks of ``[notify]`` in hone.toml (none configured: an empty list)."""
    table = dict(settings.notify or {})
    out = []
    for i, raw in enumerate(table.get("webhooks") or []):
        if not isinstance(raw, Mapping):
            raise NotifyError(f"notify.webhooks[{i}]: expected a table")
        name = str(raw.get("name") or f"webhook-{i + 1}")
        where = f"notify.webhooks {name!r}"
        fmt = str(raw.get("format") or "json")
        if fmt not in ("json", "slack"):
            raise NotifyError(f"{where}: unknown format {fmt!r}; expected json or slack")
        if raw.get("url_env"):
            url = _env_value(f"env:{raw['url_env']}", where)
        elif raw.get("url"):
            url = _env_value(str(raw["url"]), where)
        else:
            raise NotifyError(f"{where}: give url or url_env")
        if urlsplit(url).scheme not in ("http", "https"):
            raise NotifyError(f"{where}: the URL must start with http:// or https://")
        headers = {str(k): _env_value(str(v), where) for k, v in dict(raw.get("headers") or {}).items()}
        out.append(Webhook(name=name, url=url, format=fmt, headers=headers))  # type: ignore[arg-type]
    return out


def _body(webhook: Webhook, title: str, lines: Sequence[str], data: Mapping[str, Any] | None) -> dict[str, Any]:
    text = "\n".join(lines)
    if webhook.format == "slack":
        shown = text if len(text) < 2900 else text[:2900] + "\n…"
        return {
            "text": title,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{shown}```"}},
            ],
        }
    return {"source": "agenthone", "title": title, "text": text, "lines": list(lines), "data": dict(data or {})}


def _scrub(message: str, webhook: Webhook) -> str:
    for secret in sorted(webhook.secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def _post(
    webhook: Webhook, payload: bytes, *, timeout: float, retries: int, backoff: float
) -> tuple[int | None, int, str | None]:
    import httpx

    headers = {"content-type": "application/json", "user-agent": "agenthone", **webhook.headers}
    status: int | None = None
    error: str | None = None
    attempts = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for attempt in range(retries + 1):
            attempts = attempt + 1
            wait = backoff * 2**attempt
            try:
                response = client.post(webhook.url, content=payload, headers=headers)
                status = response.status_code
                if status < 300:
                    return status, attempts, None
                error = f"HTTP {status}"
                if status not in (408, 429) and status < 500:
                    break  # the request itself is wrong: retrying will not help
                retry_after = response.headers.get("retry-after")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    wait = min(30.0, float(retry_after))
            except httpx.HTTPError as exc:
                status = None
                error = _scrub(f"{type(exc).__name__}: {exc}", webhook)
            if attempt < retries:
                time.sleep(wait)
    return status, attempts, error


def notify(
    title: str,
    lines: Sequence[str],
    *,
    webhooks: Sequence[Webhook],
    data: Mapping[str, Any] | None = None,
    record: Path | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> list[Delivery]:
    """Post ``title`` and ``lines`` to every webhook (retrying timeouts, 429 and 5xx with exponential back-off)
    and append one line per delivery to ``record``. Failures are returned, never raised."""
    if not webhooks:
        raise NotifyError("no webhook to notify: add [[notify.webhooks]] to hone.toml")
    out = []
    for webhook in webhooks:
        payload = json.dumps(_body(webhook, title, lines, data), default=str).encode()
        status, attempts, error = _post(webhook, payload, timeout=timeout, retries=retries, backoff=backoff)
        delivery = Delivery(
            webhook=webhook.name,
            target=webhook.target,
            format=webhook.format,
            ok=error is None,
            status=status,
            attempts=attempts,
            error=error,
            sent_at=datetime.now(UTC).isoformat(timespec="seconds"),
            body_sha256=hashlib.sha256(payload).hexdigest(),
            bytes=len(payload),
            title=title,
        )
        out.append(delivery)
        if record is not None:
            record.parent.mkdir(parents=True, exist_ok=True)
            with record.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(delivery.as_dict()) + "\n")
    return out
