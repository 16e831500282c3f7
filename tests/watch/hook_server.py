"""A local HTTP server that receives webhook posts (as Slack or any JSON webhook would) and can fail on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.providers.stub_server import serve_on_loopback


@dataclass
class Received:
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail_first: list[int] = field(default_factory=list)
    """HTTP statuses to answer (once each, in order) before accepting."""


@contextmanager
def hook_server() -> Iterator[tuple[str, Received]]:
    state = Received()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = state.fail_first.pop(0) if state.fail_first else 200
            state.posts.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "status": status,
                    "json": json.loads(body or b"null"),
                }
            )
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with serve_on_loopback(Handler) as url:
        yield url, state
