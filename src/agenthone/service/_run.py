"""Running the collector on uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["serve"]


def serve(settings: Settings, *, host: str | None = None, port: int | None = None, log_level: str = "warning") -> None:
    """Serve until SIGTERM or Ctrl-C; the spool is flushed into the store before this returns."""
    import uvicorn

    from agenthone.service._app import create_app

    app = create_app(settings)
    uvicorn.run(
        app,
        host=host or settings.service.host,
        port=port if port is not None else settings.service.port,
        log_level=log_level,
        timeout_keep_alive=max(5, int(settings.service.request_timeout_s)),
        timeout_graceful_shutdown=30,
    )
