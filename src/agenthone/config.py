"""Workspace settings: where the store, MLflow, Optuna and reports live.

Resolution order, first wins: keyword overrides, ``HONE_*`` environment variables, ``hone.toml`` in the
workspace root, then the embedded defaults (everything under the workspace, no server). Relative paths
are resolved against the workspace root, so a notebook started in a sub-folder sees the same store as
the terminal.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agenthone.errors import ConfigError

__all__ = ["Settings", "find_workspace"]

CONFIG_FILE = "hone.toml"

_PATH_FIELDS = ("data_dir", "store_path", "mlflow_artifact_root", "reports_dir", "notebooks_dir")
_URI_FIELDS = ("mlflow_tracking_uri", "optuna_storage")


class CaptureSettings(BaseModel):
    """Privacy at capture: applied by the collector service before an event is spooled or stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    redact: bool = False
    """Replace personal data and secrets by typed placeholders (the dataset stage's redactor)."""
    entities: tuple[str, ...] | None = None
    """Entities to redact (default: the redactor's pattern entities)."""


class RetentionSettings(BaseModel):
    """Days of records kept per kind; None keeps everything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runs_days: int | None = None
    edits_days: int | None = None
    conversations_days: int | None = None


class ServiceSettings(BaseModel):
    """The collector service's address, limits and spool."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8750
    max_body_mb: float = 16.0
    """Largest request body accepted (after gzip decompression too)."""
    max_batch: int = 10_000
    """Most records in one request."""
    rate_per_s: float = 200.0
    """Requests per second allowed per API key (token bucket); excess gets 429 with Retry-After."""
    burst: int = 400
    """Requests a key may send at once before the rate applies."""
    request_timeout_s: float = 30.0
    """Longest time a client may take to send a request body (408 after)."""
    flush_interval_s: float = 1.0
    """A flush begins once the oldest event in the spool has waited this long and the previous flush ended at
    least this long ago (a burst of sends is flushed as soon as it ends)."""


class Settings(BaseModel):
    """Resolved, absolute settings of one workspace."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path
    data_dir: Path
    store_path: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: Path
    optuna_storage: str
    reports_dir: Path
    notebooks_dir: Path
    duckdb_memory_limit: str = "512MB"
    duckdb_threads: int | None = None
    max_training_cost_usd: float = 50.0
    default_model: str = "gpt-4o-mini-2024-07-18"
    """The hosted model assumed when none is named: OpenAI jobs, dataset token limits, file validation."""
    notify: dict[str, Any] = {}
    """``[notify]``: webhooks that ``hone watch --notify`` posts to (see :mod:`agenthone.watch`)."""
    local_usd_per_hour: float = 1.0
    """What an hour of this machine's compute costs: local jobs and trials are costed by their compute time."""
    monthly_training_budget_usd: float | None = None
    """Training spend allowed per calendar month (UTC) across all jobs and studies of the workspace (None: no cap)."""
    extra: dict[str, Any] = {}
    capture: CaptureSettings = CaptureSettings()
    """``[capture]``: what happens to events on their way in (redaction of personal data and secrets)."""
    retention: RetentionSettings = RetentionSettings()
    """``[retention]``: how many days of each record kind ``hone store prune`` keeps."""
    service: ServiceSettings = ServiceSettings()
    """``[service]``: the collector service (``hone serve``): address, limits, spool flushing."""

    @property
    def quarantine_path(self) -> Path:
        """JSONL file beside the store that receives every rejected record."""
        return self.store_path.with_name(self.store_path.stem + ".quarantine.jsonl")

    @property
    def mlruns_dir(self) -> Path:
        return self.mlflow_artifact_root.parent

    @classmethod
    def load(cls, home: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
        """Resolve settings for the workspace at ``home`` (default: ``HONE_HOME`` or the current directory)."""
        root = Path(home or os.environ.get("HONE_HOME") or find_workspace(Path.cwd())).expanduser().resolve()
        values: dict[str, Any] = {}
        toml_path = root / CONFIG_FILE
        if toml_path.is_file():
            values.update(_read_toml(toml_path))
        for name in cls.model_fields:
            env = os.environ.get(f"HONE_{name.upper()}")
            if env is not None and name not in ("home", "extra"):
                values[name] = env
        if "mlflow_tracking_uri" not in values and os.environ.get("MLFLOW_TRACKING_URI"):
            values["mlflow_tracking_uri"] = os.environ["MLFLOW_TRACKING_URI"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._resolve(root, values)

    @classmethod
    def _resolve(cls, root: Path, values: dict[str, Any]) -> Settings:
        data_dir = _abs(root, values.pop("data_dir", "data"))
        mlruns = root / "mlruns"
        resolved: dict[str, Any] = {
            "home": root,
            "data_dir": data_dir,
            "store_path": _abs(root, values.pop("store_path", data_dir / "agenthone.duckdb")),
            "mlflow_tracking_uri": _sqlite_uri(
                root, values.pop("mlflow_tracking_uri", f"sqlite:///{mlruns / 'mlflow.db'}")
            ),
            "mlflow_artifact_root": _abs(root, values.pop("mlflow_artifact_root", mlruns / "artifacts")),
            "optuna_storage": _sqlite_uri(root, values.pop("optuna_storage", f"sqlite:///{mlruns / 'optuna.db'}")),
            "reports_dir": _abs(root, values.pop("reports_dir", "reports")),
            "notebooks_dir": _abs(root, values.pop("notebooks_dir", "notebooks")),
        }
        known = set(cls.model_fields)
        extra = {k: values.pop(k) for k in list(values) if k not in known}
        resolved["extra"] = extra
        resolved.update(values)
        try:
            return cls(**resolved)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"setting {field!r}: {err['msg']}") from None

    def ensure_dirs(self) -> None:
        """Create the workspace folders that hold the store, MLflow data and reports."""
        for path in (self.data_dir, self.store_path.parent, self.mlflow_artifact_root, self.reports_dir):
            path.mkdir(parents=True, exist_ok=True)
        for uri in (self.mlflow_tracking_uri, self.optuna_storage):
            if uri.startswith("sqlite:///"):
                Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def find_workspace(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding a hone.toml, else ``start`` itself."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return start


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "hone" and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _abs(root: Path, value: str | os.PathLike[str]) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path).resolve()


def _sqlite_uri(root: Path, uri: str) -> str:
    """Make a relative ``sqlite:///x.db`` URI absolute against the workspace root."""
    uri = str(uri)
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return f"sqlite:///{_abs(root, uri.removeprefix('sqlite:///'))}"
    return uri
