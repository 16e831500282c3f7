"""The collector service: one HTTP endpoint for agents' events, with keys, roles, audit and a durable spool.

``hone serve`` runs :func:`create_app` on uvicorn. Accepted events are appended to an fsync'd spool
before the answer and flushed into the store by its idempotent file ingestion; the service opens the
store only while it flushes or reads. See :mod:`agenthone.service._core` for the engine.
"""

from agenthone.service._app import create_app
from agenthone.service._core import BatchResult, CollectorCore
from agenthone.service._keys import ROLES, ApiKey, KeyError_, create_key, list_keys, revoke_key
from agenthone.service._mlflow import ingest_mlflow_traces
from agenthone.service._retention import prune
from agenthone.service._run import serve
from agenthone.service._spool import spool_backlog, spool_dir

__all__ = [
    "ROLES",
    "ApiKey",
    "BatchResult",
    "CollectorCore",
    "KeyError_",
    "create_app",
    "create_key",
    "ingest_mlflow_traces",
    "list_keys",
    "prune",
    "revoke_key",
    "serve",
    "spool_backlog",
    "spool_dir",
]
