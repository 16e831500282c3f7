"""The model registry on MLflow's: versions from jobs, aliases, deployments to agents, archive, load.

A registered version is an MLflow pyfunc (see :mod:`agenthone.registry._pyfunc`), so
``mlflow.pyfunc.load_model("models:/name@champion")`` works anywhere agenthone is installed.
Aliases (``champion``, ``challenger``, ...) replace MLflow's deprecated stages; archiving is a tag that
also drops the version's aliases. Which model each agent uses from when is a store table,
``deployments``, written by :func:`deploy`.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.audit import record as audit_record
from agenthone.config import Settings
from agenthone.errors import HoneError, StoreError
from agenthone.providers import Message, ProviderError, get_fine_tuner, redact

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from agenthone.store import Store

__all__ = [
    "DEPLOYMENTS_DDL",
    "Deployment",
    "ModelVersionInfo",
    "RegisteredChatModel",
    "Registry",
    "RegistryError",
    "archive",
    "comparison_defaults",
    "current_deployment",
    "deploy",
    "deployments",
    "list_versions",
    "load",
    "load_info",
    "parse_model_ref",
    "register",
    "remove_alias",
    "set_alias",
    "tag_evaluation",
]

DEPLOYMENTS_DDL = """CREATE TABLE IF NOT EXISTS deployments (
    agent_name VARCHAR NOT NULL,
    model_name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    alias VARCHAR,
    model_uri VARCHAR NOT NULL,
    job_id VARCHAR,
    deployed_at TIMESTAMPTZ NOT NULL,
    note VARCHAR)"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class RegistryError(HoneError):
    """A registry operation was refused (with the reason and the way around it)."""


@dataclass(frozen=True)
class ModelVersionInfo:
    """One registered model version and what it came from."""

    name: str
    version: str
    aliases: list[str]
    job_id: str | None
    provider: str | None
    dataset: str | None
    archived: bool
    created_at: datetime | None
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat() if self.created_at else None
        d["uri"] = self.uri
        return d


@dataclass(frozen=True)
class Deployment:
    """An agent switched to a model version at a point in time."""

    agent_name: str
    model_name: str
    version: str
    alias: str | None
    model_uri: str
    job_id: str | None
    deployed_at: datetime
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["deployed_at"] = self.deployed_at.isoformat()
        return d


def parse_model_ref(ref: str) -> tuple[str, str | None, str | None]:
    """``(name, alias, version)`` of ``models:/name@alias``, ``name@alias``, ``models:/name/3`` or ``name/3``."""
    text = ref.strip().removeprefix("models:/")
    if "@" in text:
        name, alias = text.split("@", 1)
        return name, alias, None
    if "/" in text:
        name, version = text.rsplit("/", 1)
        return name, None, version
    return text, None, None


def _client(settings: Settings) -> Any:
    from agenthone import _mlflow

    return _mlflow.client(settings)


def _version_info(mv: Any) -> ModelVersionInfo:
    tags = dict(mv.tags or {})
    created = datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC) if mv.creation_timestamp else None
    return ModelVersionInfo(
        name=str(mv.name),
        version=str(mv.version),
        aliases=sorted(getattr(mv, "aliases", []) or []),
        job_id=tags.get("job_id"),
        provider=tags.get("provider"),
        dataset=tags.get("dataset"),
        archived=tags.get("archived") == "true",
        created_at=created,
        run_id=mv.run_id,
        tags=tags,
    )


def _get_version(settings: Settings, ref: str) -> ModelVersionInfo:
    from mlflow.exceptions import MlflowException

    name, alias, version = parse_model_ref(ref)
    client = _client(settings)
    try:
        if alias:
            mv = client.get_model_version_by_alias(name, alias)
        elif version:
            mv = client.get_model_version(name, version)
        else:
            found = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"], max_results=1)
            if not found:
                raise RegistryError(f"no registered model {name!r} ({_known_names(client)})")
            mv = client.get_model_version(name, found[0].version)
    except MlflowException:
        what = f"alias {alias!r}" if alias else f"version {version}"
        raise RegistryError(f"no {what} of registered model {name!r} ({_known_names(client)})") from None
    return _version_info(mv)


def _known_names(client: Any) -> str:
    names = [m.name for m in client.search_registered_models(max_results=20)]
    return "registered: " + (", ".join(names) if names else "none")


# -- registering -------------------------------------------------------------------------------------


def register(
    job_id: str | None = None,
    *,
    name: str | None = None,
    alias: str | None = None,
    force: bool = False,
    description: str | None = None,
    store: Store,
    settings: Settings,
) -> ModelVersionInfo:
    """Register the model of a succeeded job as a new version of ``name`` (default: the dataset's name).

    A job that missed its quality gate (``failed_gate``) is refused unless ``force``.
    """
    import mlflow

    from agenthone import _mlflow
    from agenthone.training import JobManager

    jobs = JobManager(store, settings)
    job = jobs.get(job_id)
    if not job.done and not store.read_only:
        job = jobs.refresh(job.job_id)
    if job.status == "failed_gate" and not force:
        reasons = "; ".join((job.gate or {}).get("reasons") or []) or "validation metrics missed the thresholds"
        raise RegistryError(
            f"job {job.job_id} failed its quality gate ({reasons}); register it anyway with --force (force=True)"
        )
    if job.status not in ("succeeded", "failed_gate") or not job.fine_tuned_model:
        raise RegistryError(f"job {job.job_id} is {job.status}; only a succeeded job's model can be registered")
    model_name = name or job.dataset_name or job.job_id
    if not _NAME.match(model_name):
        raise RegistryError(f"model name {model_name!r}: use letters, digits, '-', '_' and '.'")

    location = jobs.model_location(job.job_id)
    tuner = get_fine_tuner(job.provider, settings=settings, **(job.details.get("provider_options") or {}))
    try:
        packed = tuner.registration(location, details=job.details, workdir=Path(job.workdir) if job.workdir else None)
    except ProviderError as exc:
        raise RegistryError(f"job {job.job_id}: {exc}") from None
    config: dict[str, Any] = {
        "provider": job.provider,
        "model": job.fine_tuned_model,
        "job_id": job.job_id,
        **packed.config,
    }
    artifacts = packed.artifacts
    requirements = ["mlflow", "agenthone", "pandas", *packed.requirements]

    from agenthone.registry._pyfunc import signature

    code = Path(__file__).with_name("_model_code.py")
    _mlflow.use_workspace(settings)
    run_context = (
        mlflow.start_run(run_id=job.mlflow_run_id)
        if job.mlflow_run_id
        else _mlflow.start_run(settings, "training", run_name=f"register {job.job_id}")
    )
    with run_context, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*input example.*")
        warnings.filterwarnings("ignore", message=r".*type hints? .*predict.*", category=UserWarning)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(code),
            artifacts=artifacts or None,
            model_config=config,
            pip_requirements=requirements,
            signature=signature(),
        )
    client = _client(settings)
    with contextlib.suppress(Exception):  # already registered
        client.create_registered_model(model_name, tags={"agenthone": "true"}, description=description or "")
    mv = client.create_model_version(
        model_name,
        source=info.model_uri,
        run_id=job.mlflow_run_id,
        tags=_version_tags(job, force=force, hosted=tuner.hosts_models),
        description=description or f"fine-tuned by job {job.job_id} on {job.dataset_ref}",
    )
    version = str(mv.version)
    _copy_evaluations(client, settings, model_name, version, job.job_id)
    if alias:
        set_alias(model_name, alias, version, settings=settings)
    audit_record(settings, "model.registered", target=f"{model_name}/{version}")
    return _get_version(settings, f"{model_name}/{version}")


def _version_tags(job: Any, *, force: bool, hosted: bool) -> dict[str, str]:
    tags = {
        "job_id": job.job_id,
        "provider": job.provider,
        "method": job.method,
        "base_model": str(job.base_model or ""),
        "dataset": job.dataset_ref,
        "dataset_digest": str(job.dataset_digest or ""),
        "agent": str(job.agent_name or ""),
        "quality_gate": "failed" if job.status == "failed_gate" else ("passed" if job.gate else "none"),
    }
    if force and job.status == "failed_gate":
        tags["registered_despite_gate"] = "true"
    if hosted and job.fine_tuned_model:
        tags["model_id"] = redact(job.fine_tuned_model)
    return tags


def _copy_evaluations(client: Any, settings: Settings, name: str, version: str, job_id: str) -> None:
    """Tag the version with the latest evaluation of the job's model (per dataset)."""
    from agenthone import _mlflow

    exp = client.get_experiment_by_name(_mlflow.EXPERIMENTS["evaluation"])
    if exp is None:
        return
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string=f"tags.`agenthone.job_id` = '{job_id}' and tags.model = '{job_id}'",
        order_by=["attributes.start_time DESC"],
        max_results=20,
    )
    if runs:
        run = runs[0]
        tag_evaluation(
            f"models:/{name}/{version}",
            run.data.metrics,
            dataset=run.data.tags.get("dataset", ""),
            run_id=run.info.run_id,
            settings=settings,
        )


def tag_evaluation(
    uri: str, metrics: dict[str, float], *, dataset: str, run_id: str | None, settings: Settings
) -> None:
    """Record evaluation means on a registered version (``eval.<metric>`` tags)."""
    info = _get_version(settings, uri)
    client = _client(settings)
    for key in ("exact_match", "edit_similarity", "chrf", "token_f1", "length_ratio", "judge_score"):
        if key in metrics and metrics[key] is not None:
            client.set_model_version_tag(info.name, info.version, f"eval.{key}", f"{float(metrics[key]):.4f}")
    client.set_model_version_tag(info.name, info.version, "eval.dataset", dataset)
    if run_id:
        client.set_model_version_tag(info.name, info.version, "eval.run_id", run_id)


# -- aliases, listing, archive ---------------------------------------------------------------------


def set_alias(name: str, alias: str, version: str | int, *, settings: Settings) -> ModelVersionInfo:
    """Point ``name@alias`` at ``version`` (moving it from any other version)."""
    if not re.match(r"^[A-Za-z][A-Za-z0-9_\-]*$", alias) or alias.lower() == "latest":
        raise RegistryError(f"alias {alias!r}: use letters, digits, '-' and '_' (and not 'latest')")
    info = _get_version(settings, f"{name}/{version}")
    if info.archived:
        raise RegistryError(f"{name} version {version} is archived; an archived version cannot take an alias")
    _client(settings).set_registered_model_alias(name, alias, str(version))
    audit_record(settings, "alias.moved", target=f"{name}@{alias}", details={"version": str(version)})
    return _get_version(settings, f"{name}/{version}")


def remove_alias(name: str, alias: str, *, settings: Settings) -> None:
    _get_version(settings, f"{name}@{alias}")
    _client(settings).delete_registered_model_alias(name, alias)


def list_versions(
    name: str | None = None, *, include_archived: bool = False, settings: Settings
) -> list[ModelVersionInfo]:
    """Registered versions (of one model, or all), newest first; archived ones only when asked."""
    client = _client(settings)
    filter_string = f"name = '{name}'" if name else ""
    found = client.search_model_versions(filter_string, max_results=1000)
    out = []
    for mv in found:
        full = client.get_model_version(mv.name, mv.version)  # search results omit aliases in some stores
        info = _version_info(full)
        if include_archived or not info.archived:
            out.append(info)
    return sorted(out, key=lambda v: (v.name, -int(v.version)))


def archive(name: str, version: str | int, *, settings: Settings, store: Store | None = None) -> ModelVersionInfo:
    """Retire a version: tag it archived and remove its aliases (refused while an agent uses it)."""
    info = _get_version(settings, f"{name}/{version}")
    if store is not None:
        users = [
            d.agent_name for d in _current_deployments(store) if d.model_name == info.name and d.version == info.version
        ]
        if users:
            raise RegistryError(
                f"{name} version {version} is deployed to {', '.join(users)}; deploy another version first"
            )
    client = _client(settings)
    for alias in info.aliases:
        client.delete_registered_model_alias(info.name, alias)
    client.set_model_version_tag(info.name, info.version, "archived", "true")
    client.set_model_version_tag(info.name, info.version, "archived_at", datetime.now(UTC).isoformat())
    return _get_version(settings, f"{name}/{version}")


# -- deployments -----------------------------------------------------------------------------------


def _ensure_deployments(store: Store) -> None:
    if store.read_only:
        return
    with store.locked() as con:
        con.execute(DEPLOYMENTS_DDL)


def _has_deployments(store: Store) -> bool:
    with store.locked() as con:
        return bool(con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'deployments'").fetchall())


def deploy(agent: str, model: str, *, store: Store, settings: Settings, note: str | None = None) -> Deployment:
    """Record that ``agent`` uses ``model`` (``name@alias`` or ``name/3``) from now on.

    The alias is resolved to its version at this moment, so the history says exactly which version
    served the agent from when, even after the alias moves.
    """
    if store.read_only:
        raise StoreError("deploying needs the store open for writing")
    if not agent.strip():
        raise RegistryError("name the agent to deploy to")
    info = _get_version(settings, model)
    if info.archived:
        raise RegistryError(f"{info.name} version {info.version} is archived and cannot be deployed")
    _, alias, _ = parse_model_ref(model)
    _ensure_deployments(store)
    when = datetime.now(UTC)
    row = Deployment(
        agent_name=agent,
        model_name=info.name,
        version=info.version,
        alias=alias,
        model_uri=info.uri,
        job_id=info.job_id,
        deployed_at=when,
        note=note,
    )
    with store.locked() as con:
        con.execute(
            "INSERT INTO deployments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [row.agent_name, row.model_name, row.version, row.alias, row.model_uri, row.job_id, when, note],
        )
    _client(settings).set_model_version_tag(info.name, info.version, f"deployed.{agent}", when.isoformat())
    audit_record(settings, "model.deployed", target=agent, details={"model": f"{info.name}/{info.version}"})
    return row


def deployments(agent: str | None = None, *, store: Store) -> pd.DataFrame:
    """Deployment history (of one agent, or all), newest first, with when each one ended."""
    import pandas as pd

    if not _has_deployments(store):
        return pd.DataFrame(columns=["agent_name", "model_name", "version", "alias", "model_uri", "job_id",
                                     "deployed_at", "note", "until"])  # fmt: skip
    where = "WHERE agent_name = ?" if agent else ""
    return store.sql(
        "SELECT *, lead(deployed_at) OVER (PARTITION BY agent_name ORDER BY deployed_at) AS until "
        f"FROM deployments {where} ORDER BY deployed_at DESC",
        [agent] if agent else [],
    )


def _current_deployments(store: Store) -> list[Deployment]:
    if not _has_deployments(store):
        return []
    frame = store.sql(
        "SELECT * FROM deployments QUALIFY row_number() OVER (PARTITION BY agent_name ORDER BY deployed_at DESC) = 1"
    )
    return [_deployment(r) for r in frame.to_dict("records")]


def _deployment(r: dict[str, Any]) -> Deployment:
    when = r["deployed_at"]
    when = when.to_pydatetime() if hasattr(when, "to_pydatetime") else when
    return Deployment(
        agent_name=r["agent_name"],
        model_name=r["model_name"],
        version=str(r["version"]),
        alias=r.get("alias") or None,
        model_uri=r["model_uri"],
        job_id=r.get("job_id") or None,
        deployed_at=when,
        note=r.get("note") or None,
    )


def current_deployment(agent: str, *, store: Store) -> Deployment | None:
    """The model version ``agent`` uses now (None when it was never deployed)."""
    for d in _current_deployments(store):
        if d.agent_name == agent:
            return d
    return None


# -- loading ---------------------------------------------------------------------------------------


class RegisteredChatModel:
    """A registered version loaded through MLflow pyfunc, with the :class:`ChatModel` interface."""

    def __init__(self, pyfunc_model: Any, *, uri: str, info: ModelVersionInfo) -> None:
        self.pyfunc = pyfunc_model
        self.uri = uri
        self.info = info
        self.name = uri
        self.job_id = info.job_id

    def generate(
        self, prompts: Sequence[Sequence[Message]], *, max_new_tokens: int = 256, temperature: float = 0.0
    ) -> list[str]:
        import pandas as pd

        frame = pd.DataFrame({"messages": [json.dumps([dict(m) for m in p]) for p in prompts]})
        out = self.pyfunc.predict(
            frame, params={"max_new_tokens": int(max_new_tokens), "temperature": float(temperature)}
        )
        return [str(x) for x in (out.tolist() if hasattr(out, "tolist") else list(out))]

    def __repr__(self) -> str:
        return f"RegisteredChatModel({self.uri!r})"


def load_info(ref: str, *, settings: Settings) -> ModelVersionInfo:
    """The version ``ref`` names (``name@alias``, ``name/3``, ``models:/...``), without loading the model."""
    return _get_version(settings, ref)


def load(ref: str, *, settings: Settings) -> RegisteredChatModel:
    """Load ``name@alias`` (or ``name/3``, ``models:/...``) so that it generates."""
    import mlflow.pyfunc

    from agenthone import _mlflow

    info = _get_version(settings, ref)
    _mlflow.use_workspace(settings)
    name, alias, _ = parse_model_ref(ref)
    uri = f"models:/{name}@{alias}" if alias else info.uri
    return RegisteredChatModel(mlflow.pyfunc.load_model(uri), uri=uri, info=info)


def comparison_defaults(*, settings: Settings) -> tuple[str, str] | None:
    """The two models a comparison report shows by default.

    The champion of the most recently registered model against the version before it, or, with only
    one version, against the model its job started from (``baseline:JOB``); without a champion, the
    two latest versions. None when nothing is registered.
    """
    versions = list_versions(settings=settings)
    if not versions:
        return None
    latest_name = max(versions, key=lambda v: v.created_at or datetime.min.replace(tzinfo=UTC)).name
    mine = [v for v in versions if v.name == latest_name]  # newest first
    champion = next((v for v in mine if "champion" in v.aliases), None)
    if champion is not None:
        others = [v for v in mine if v.version != champion.version]
        if others:
            return f"models:/{latest_name}@champion", others[0].uri
        if champion.job_id:
            return f"models:/{latest_name}@champion", f"baseline:{champion.job_id}"
    if len(mine) >= 2:
        return mine[0].uri, mine[1].uri
    only = mine[0]
    return only.uri, f"baseline:{only.job_id}" if only.job_id else only.uri


class Registry:
    """The model registry of one workspace: the functions of this module bound to its settings and store."""

    def __init__(self, *, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def __repr__(self) -> str:
        return f"Registry({self.settings.mlflow_tracking_uri!r})"

    def register(
        self,
        job_id: str | None = None,
        *,
        name: str | None = None,
        alias: str | None = None,
        force: bool = False,
        description: str | None = None,
    ) -> ModelVersionInfo:
        """Register a succeeded job's model as a new version (see :func:`register`)."""
        return register(
            job_id,
            name=name,
            alias=alias,
            force=force,
            description=description,
            store=self.store,
            settings=self.settings,
        )

    def versions(self, name: str | None = None, *, include_archived: bool = False) -> list[ModelVersionInfo]:
        return list_versions(name, include_archived=include_archived, settings=self.settings)

    def info(self, ref: str) -> ModelVersionInfo:
        return load_info(ref, settings=self.settings)

    def load(self, ref: str) -> RegisteredChatModel:
        return load(ref, settings=self.settings)

    def set_alias(self, name: str, alias: str, version: str | int) -> ModelVersionInfo:
        return set_alias(name, alias, version, settings=self.settings)

    def remove_alias(self, name: str, alias: str) -> None:
        remove_alias(name, alias, settings=self.settings)

    def archive(self, name: str, version: str | int) -> ModelVersionInfo:
        return archive(name, version, settings=self.settings, store=self.store)

    def deploy(self, agent: str, model: str, *, note: str | None = None) -> Deployment:
        return deploy(agent, model, store=self.store, settings=self.settings, note=note)

    def deployments(self, agent: str | None = None) -> pd.DataFrame:
        return deployments(agent, store=self.store)

    def current_deployment(self, agent: str) -> Deployment | None:
        return current_deployment(agent, store=self.store)
