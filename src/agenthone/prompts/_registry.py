"""Agent system prompts as versions in the MLflow prompt registry: one prompt per agent, aliases on versions.

A registered version carries agenthone tags: the ``label`` agents log as ``prompt_version`` on their runs
and edits (``v3``), where it came from (``source``: imported, rules, llm, manual), its ``parent`` version and
the ``rationale`` of a generated variant. The label is the link between the logs and the registry, so
analytics grouped by ``prompt_version`` are grouped by registered prompt (:func:`prompt_performance`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import HoneError

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.store import Store

__all__ = [
    "PromptError",
    "PromptRegistry",
    "PromptVersion",
    "prompt_name",
    "prompt_performance",
]

TAG = "agenthone."
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_LABEL_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_ALIAS_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


class PromptError(HoneError):
    """A prompt, version, label or alias that does not exist or cannot be used."""


def prompt_name(agent: str) -> str:
    """The registry name of an agent's prompt: the agent name, with characters MLflow refuses replaced by '-'."""
    name = re.sub(r"[^A-Za-z0-9_.\-]", "-", agent.strip()).strip("-.")
    if not name or not _NAME_OK.match(name):
        raise PromptError(f"cannot name a prompt after agent {agent!r}")
    return name


@dataclass(frozen=True)
class PromptVersion:
    """One registered version of an agent's system prompt."""

    agent: str
    name: str
    version: int
    template: str
    label: str
    """What agents log as ``prompt_version`` when they run with this version (``v3``)."""
    source: str
    """imported | rules | llm | manual"""
    parent: int | None = None
    rationale: str = ""
    aliases: tuple[str, ...] = ()
    created: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def uri(self) -> str:
        return f"prompts:/{self.name}/{self.version}"

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The improvement opportunities a generated variant answers (empty for other versions)."""
        raw = self.tags.get(TAG + "findings")
        return list(json.loads(raw)) if raw else []

    def as_dict(self, *, template: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agent": self.agent,
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "source": self.source,
            "parent": self.parent,
            "aliases": list(self.aliases),
            "rationale": self.rationale,
            "uri": self.uri,
            "created": self.created.isoformat() if self.created else None,
        }
        if template:
            out["template"] = self.template
        return out


class PromptRegistry:
    """The workspace's prompt registry (MLflow's, in the workspace's tracking store)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _client(self) -> Any:
        from agenthone import _mlflow

        return _mlflow.client(self.settings)

    # -- writing ---------------------------------------------------------------------------------

    def register(
        self,
        agent: str,
        template: str,
        *,
        label: str | None = None,
        source: str = "manual",
        parent: int | None = None,
        rationale: str = "",
        findings: Sequence[Mapping[str, Any]] = (),
        alias: str | None = None,
        message: str | None = None,
        _existing: Sequence[PromptVersion] | None = None,
    ) -> PromptVersion:
        """Register ``template`` as the next version of ``agent``'s prompt.

        ``label`` is what agents will log as ``prompt_version`` (default: ``v<version>`` unless another version
        already holds that label); a label already registered for the agent with the same text returns that
        version instead of a duplicate.
        """
        import mlflow.genai

        text = str(template).strip()
        if not text:
            raise PromptError("a prompt template cannot be empty")
        if label is not None and not _LABEL_OK.match(label):
            raise PromptError(f"invalid label {label!r}: letters, digits, '.', '_' and '-' (at most 64)")
        if alias is not None:
            _check_alias(alias)
        name = prompt_name(agent)
        existing = self.versions(agent, missing_ok=True) if _existing is None else list(_existing)
        if label is not None:
            for v in existing:
                if v.label == label:
                    if v.template == text:
                        return v
                    raise PromptError(f"{agent} already has a prompt version labelled {label!r} (version {v.version})")
        if parent is not None and parent not in {v.version for v in existing}:
            raise PromptError(f"{agent} has no prompt version {parent} to derive from")
        tags = {TAG + "agent": agent, TAG + "source": source}
        if label is not None:
            tags[TAG + "label"] = label
        if parent is not None:
            tags[TAG + "parent"] = str(parent)
        if rationale:
            tags[TAG + "rationale"] = rationale[:4000]
        if findings:
            tags[TAG + "findings"] = json.dumps(list(findings), default=str)[:4000]
        self._client()  # points MLflow at the workspace
        pv = mlflow.genai.register_prompt(
            name=name, template=text, commit_message=message or rationale[:200] or None, tags=tags
        )
        version = int(pv.version)
        if label is None:
            used = {v.label for v in existing}
            label = f"v{version}" if f"v{version}" not in used else f"p{version}"
            mlflow.genai.set_prompt_version_tag(name, version, TAG + "label", label)
        if alias is not None:
            mlflow.genai.set_prompt_alias(name, alias, version)
        return _version(agent, self._client().get_prompt_version(name, version))

    def set_alias(self, agent: str, alias: str, version: int | str) -> PromptVersion:
        """Point ``alias`` (production, candidate, ...) of ``agent``'s prompt at a version (number or label)."""
        import mlflow.genai

        _check_alias(alias)
        target = self.get(agent, version)
        mlflow.genai.set_prompt_alias(target.name, alias, target.version)
        return self.get(agent, target.version)

    def import_prompts(
        self, prompts: Mapping[str, Mapping[str, str]], *, production: Mapping[str, str] | None = None
    ) -> list[PromptVersion]:
        """Register ``{agent: {label: template}}`` (labels in version order); already registered labels are kept.

        ``production`` maps an agent to the label its ``production`` alias should point at.
        """
        out = []
        for agent, versions in prompts.items():
            existing = self.versions(agent, missing_ok=True)
            for label in sorted(versions, key=_label_order):
                v = self.register(agent, versions[label], label=label, source="imported", message=label,
                                  _existing=existing)  # fmt: skip
                if v.version not in {e.version for e in existing}:
                    existing.append(v)
                out.append(v)
            if production and agent in production:
                current = next((e for e in existing if e.label == production[agent]), None)
                if current is None or "production" not in current.aliases:
                    out.append(self.set_alias(agent, "production", production[agent]))
        return out

    # -- reading ---------------------------------------------------------------------------------

    def agents(self) -> list[str]:
        """Agents with a registered prompt."""
        import mlflow.genai

        self._client()
        found = mlflow.genai.search_prompts(max_results=1000)
        names = []
        for p in found:
            tags = dict(p.tags or {})
            names.append(tags.get(TAG + "agent") or p.name)
        return sorted(set(names))

    def versions(self, agent: str, *, missing_ok: bool = False) -> list[PromptVersion]:
        """Every version of ``agent``'s prompt, oldest first."""
        client = self._client()
        name = prompt_name(agent)
        try:
            prompt = client.get_prompt(name)
        except Exception:
            prompt = None
        if prompt is None:
            if missing_ok:
                return []
            raise PromptError(f"no registered prompt for agent {agent!r} (register one with `hone prompts set`)")
        found = client.search_prompt_versions(name)
        items = list(getattr(found, "prompt_versions", found) or [])
        # the search leaves aliases out; a version fetched on its own has them
        out = [_version(agent, client.get_prompt_version(name, pv.version)) for pv in items]
        return sorted(out, key=lambda v: v.version)

    def get(self, agent: str, version: int | str | None = None) -> PromptVersion:
        """A version by number, label (``v3``) or alias (``production``, ``@production``); the latest when None."""
        versions = self.versions(agent)
        if version is None:
            return versions[-1]
        key = str(version).strip().lstrip("@")
        for v in versions:
            if key.isdigit() and v.version == int(key):
                return v
        for v in versions:
            if v.label == key:
                return v
        for v in versions:
            if key in v.aliases:
                return v
        known = ", ".join(f"{v.version} ({v.label})" for v in versions)
        raise PromptError(f"{agent} has no prompt version, label or alias {version!r} (versions: {known})")

    def find(self, agent: str, version: int | str | None = None) -> PromptVersion | None:
        """Like :meth:`get`, None when it does not exist."""
        try:
            return self.get(agent, version)
        except PromptError:
            return None

    def lineage(self, agent: str, version: int | str) -> list[PromptVersion]:
        """The version and its ancestors, newest first."""
        chain = [self.get(agent, version)]
        while chain[-1].parent is not None and len(chain) < 100:
            chain.append(self.get(agent, chain[-1].parent))
        return chain

    def table(self, agent: str | None = None) -> pd.DataFrame:
        """One row per registered version (of one agent, or all)."""
        import pandas as pd

        agents = [agent] if agent else self.agents()
        rows = [v.as_dict(template=False) for a in agents for v in self.versions(a)]
        return pd.DataFrame(
            rows,
            columns=["agent", "name", "version", "label", "source", "parent", "aliases", "rationale", "uri", "created"],
        )


def _check_alias(alias: str) -> None:
    if not _ALIAS_OK.match(alias) or alias.isdigit() or alias == "latest":
        raise PromptError(f"invalid alias {alias!r}: a letter, then letters, digits, '_' or '-' ('latest' is reserved)")


def _label_order(label: str) -> tuple[int, str]:
    m = re.search(r"(\d+)$", label)
    return (int(m.group(1)) if m else 0, label)


def _version(agent: str, pv: Any) -> PromptVersion:
    tags = {str(k): str(v) for k, v in dict(pv.tags or {}).items()}
    version = int(pv.version)
    parent = tags.get(TAG + "parent")
    created = getattr(pv, "creation_timestamp", None)
    template = pv.template if isinstance(pv.template, str) else json.dumps(pv.template)
    return PromptVersion(
        agent=tags.get(TAG + "agent", agent),
        name=str(pv.name),
        version=version,
        template=template,
        label=tags.get(TAG + "label", f"v{version}"),
        source=tags.get(TAG + "source", "manual"),
        parent=int(parent) if parent and parent.isdigit() else None,
        rationale=tags.get(TAG + "rationale", ""),
        aliases=tuple(sorted(str(a) for a in (getattr(pv, "aliases", None) or []))),
        created=datetime.fromtimestamp(created / 1000, UTC) if created else None,
        tags=tags,
    )


def prompt_performance(store: Store, registry: PromptRegistry, agent: str, *, range: str = "90d") -> pd.DataFrame:  # noqa: A002
    """The agent's acceptance and success per ``prompt_version`` label, joined to its registered versions.

    Each label the logs carry is one row: runs, success rate, edits, acceptance rate (95% Wilson interval) and
    the registered version (number, source, aliases) with that label, if any.
    """

    from agenthone.analytics import resolve_window
    from agenthone.analytics._stats import wilson_interval

    window = resolve_window(store, range)
    runs = window.filter(store.table("runs"))
    runs = runs.filter(runs.agent_name == agent)
    r = runs.group_by("prompt_version").aggregate(runs=runs.count(), success=runs.success.mean()).to_pandas()
    edits = window.filter(store.table("edits"))
    edits = edits.filter(edits.agent_name == agent)
    e = edits.group_by("prompt_version").aggregate(edits=edits.count(), accepted=edits.accepted.sum()).to_pandas()
    df = r.merge(e, on="prompt_version", how="outer")
    df["prompt_version"] = df["prompt_version"].fillna("(none)").astype(str)
    df["runs"] = df["runs"].fillna(0).astype(int)
    df["edits"] = df["edits"].fillna(0).astype(int)
    df["accepted"] = df["accepted"].fillna(0).astype(int)
    df["acceptance"] = df["accepted"].astype(float) / df["edits"].where(df["edits"] > 0).astype(float)
    low, high = wilson_interval(df["accepted"].to_numpy(), df["edits"].to_numpy())
    df["acceptance_low"], df["acceptance_high"] = low, high
    registered = {v.label: v for v in registry.versions(agent, missing_ok=True)}
    df["registered_version"] = [registered[x].version if x in registered else None for x in df["prompt_version"]]
    df["source"] = [registered[x].source if x in registered else None for x in df["prompt_version"]]
    df["aliases"] = [",".join(registered[x].aliases) if x in registered else "" for x in df["prompt_version"]]
    df = df.sort_values("prompt_version", key=lambda s: s.map(_label_order), ignore_index=True)
    df.attrs["window"] = window.as_dict()
    df.attrs["agent"] = agent
    return df
