"""agenthone: a research workbench that makes LLM agents better from their own usage.

Start in a notebook or script with::

    from agenthone import Workbench
    wb = Workbench.open()          # settings from HONE_* variables and ./hone.toml
    wb.ingest("logs/runs.jsonl", kind="run")
"""

from agenthone.errors import (
    ConfigError,
    HoneError,
    InvalidRecordError,
    RecordConflictError,
    StoreError,
    StoreLockedError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "HoneError",
    "InvalidRecordError",
    "RecordConflictError",
    "Settings",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Workbench",
    "__version__",
]


def __getattr__(name: str) -> object:
    # heavy modules load on first use so that `hone --help` and `import agenthone` stay fast
    if name == "Workbench":
        from agenthone.workbench import Workbench

        return Workbench
    if name == "Settings":
        from agenthone.config import Settings

        return Settings
    if name == "Store":
        from agenthone.store import Store

        return Store
    raise AttributeError(f"module 'agenthone' has no attribute {name!r}")
