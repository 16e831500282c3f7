"""Built datasets on disk: ``<data_dir>/datasets/<name>/<version>/`` and the ``Dataset`` handle.

A version folder holds ``manifest.json`` (written last: a folder without it is an unfinished build and
is ignored), the canonical split files ``train.jsonl``, ``validation.jsonl``, ``test.jsonl``, the spec,
``quality.json`` with its figures, ``removed.jsonl`` (what cleaning removed and why) and ``exports/``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.datasets._example import Example
from agenthone.datasets._split import SPLITS
from agenthone.errors import HoneError

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.config import Settings
    from agenthone.datasets._quality import QualityReport
    from agenthone.datasets._spec import DatasetSpec
    from agenthone.datasets._validate import ValidationReport
    from agenthone.store import Store

__all__ = [
    "Dataset",
    "DatasetCatalog",
    "DatasetError",
    "DatasetNotFoundError",
    "datasets_dir",
    "latest_dataset",
    "list_datasets",
    "load",
]

_VERSION = re.compile(r"^v(\d+)$")


class DatasetError(HoneError):
    """A dataset cannot be built, read or exported."""


class DatasetNotFoundError(DatasetError):
    """No built dataset matches the reference."""


def datasets_dir(settings: Settings) -> Path:
    return settings.data_dir / "datasets"


def _versions(folder: Path) -> list[tuple[int, Path]]:
    found = []
    if folder.is_dir():
        for child in folder.iterdir():
            match = _VERSION.match(child.name)
            if match and (child / "manifest.json").is_file():
                found.append((int(match.group(1)), child))
    return sorted(found)


@dataclass(frozen=True)
class Dataset:
    """One built version of a dataset (``name@vN``)."""

    path: Path

    @cached_property
    def manifest(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DatasetError(f"cannot read {self.path / 'manifest.json'}: {exc}") from None
        return data

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def digest(self) -> str:
        return str(self.manifest["digest"])

    @property
    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.manifest["counts"].items()}

    @property
    def spec(self) -> Any:
        from agenthone.datasets._spec import DatasetSpec

        return DatasetSpec.from_dict(self.manifest["spec"], source=str(self.path / "manifest.json"))

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"Dataset({self.ref!r}, {counts}, digest={self.digest[:12]})"

    def split_path(self, split: str) -> Path:
        if split not in SPLITS:
            raise DatasetError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        return self.path / f"{split}.jsonl"

    def examples(self, split: str = "train") -> list[Example]:
        """The canonical examples of a split (see :class:`~agenthone.datasets.Example`)."""
        path = self.split_path(split)
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def frame(self, split: str | None = None) -> pd.DataFrame:
        """Examples as a DataFrame: id, split, kind, agent, category, task type, prompt, reference."""
        import pandas as pd

        rows = []
        for name in (split,) if split else SPLITS:
            for e in self.examples(name):
                src = e["source"]
                prompt = "\n".join(
                    m["content"]
                    for m in e["messages"][:-1]
                    if m.get("role") == "user" and isinstance(m.get("content"), str)
                )
                rows.append(
                    {
                        "id": e["id"],
                        "split": name,
                        "kind": src["kind"],
                        "agent_name": src.get("agent_name"),
                        "category": src.get("category"),
                        "task_type": src.get("task_type"),
                        "messages": len(e["messages"]),
                        "prompt": prompt,
                        "reference": e["reference"],
                        "rejected": e.get("rejected"),
                        "weight": e.get("weight", 1),
                    }
                )
        return pd.DataFrame(rows)

    def removed(self) -> pd.DataFrame:
        """What cleaning removed and why: id, reason, kept (the representative), cluster, jaccard."""
        import pandas as pd

        path = self.path / "removed.jsonl"
        if not path.exists():
            return pd.DataFrame(columns=["id", "reason", "kept", "cluster", "jaccard"])
        with path.open(encoding="utf-8") as fh:
            return pd.DataFrame([json.loads(line) for line in fh])

    def export_path(self, format: str, split: str = "train") -> Path:  # noqa: A002
        """The export file of a split, written now if it is missing."""
        from agenthone.datasets._export import EXPORT_EXTENSIONS, write_export

        if format not in EXPORT_EXTENSIONS:
            raise DatasetError(f"unknown export format {format!r}; expected one of {', '.join(EXPORT_EXTENSIONS)}")
        self.split_path(split)
        path = self.path / "exports" / format / f"{split}.{EXPORT_EXTENSIONS[format]}"
        if not path.exists():
            write_export({s: self.examples(s) for s in SPLITS}, format, path.parent)
        return path

    def export(self, format: str, out: Path | None = None) -> dict[str, Path]:  # noqa: A002
        """Export every split in ``format`` (into ``out`` when given, else the dataset's exports folder)."""
        from agenthone.datasets._export import EXPORT_EXTENSIONS, write_export

        if format not in EXPORT_EXTENSIONS:
            raise DatasetError(f"unknown export format {format!r}; expected one of {', '.join(EXPORT_EXTENSIONS)}")
        if out is None:
            return {s: self.export_path(format, s) for s in SPLITS}
        summary = write_export({s: self.examples(s) for s in SPLITS}, format, Path(out))
        return {s: Path(info["path"]) for s, info in summary.items()}

    def quality(self) -> QualityReport:
        """The quality report written at build time."""
        import pandas as pd

        from agenthone.datasets._quality import QualityReport

        metrics = json.loads((self.path / "quality.json").read_text(encoding="utf-8"))
        table = self.path / "quality_examples.parquet"
        frame = pd.read_parquet(table) if table.exists() else pd.DataFrame()
        return QualityReport(metrics=metrics, examples=frame)

    def validate(
        self,
        format: str = "openai-chat",  # noqa: A002 - the CLI option's name
        split: str = "train",
        *,
        model: str | None = None,
        settings: Settings | None = None,
    ) -> ValidationReport:
        """Validate one split's export as the provider would (see :func:`validate_file`)."""
        from agenthone.datasets._validate import validate_file

        return validate_file(
            self.export_path(format, split),
            format=format,
            model=model or self.manifest["spec"].get("model"),
            settings=settings,
        )


def list_datasets(*, settings: Settings) -> list[Dataset]:
    """Every built dataset version of the workspace, by name then version."""
    root = datasets_dir(settings)
    out: list[Dataset] = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            out.extend(Dataset(path) for _, path in _versions(folder))
    return out


def latest_dataset(*, settings: Settings) -> Dataset | None:
    """The most recently built dataset version of the workspace (None when there is none)."""
    found = list_datasets(settings=settings)
    if not found:
        return None
    return max(found, key=lambda d: (str(d.manifest.get("created_at") or ""), d.path.stat().st_mtime))


def parse_ref(ref: str) -> tuple[str, str | None]:
    name, _, version = ref.partition("@")
    if not name:
        raise DatasetError(f"bad dataset reference {ref!r}; use NAME or NAME@vN")
    if version and not _VERSION.match(version) and version != "latest":
        raise DatasetError(f"bad dataset version {version!r} in {ref!r}; use vN (v1, v2, ...) or latest")
    return name, (None if version in ("", "latest") else version)


def load(ref: str, *, settings: Settings) -> Dataset:
    """The dataset ``name`` (latest version) or ``name@vN``."""
    name, version = parse_ref(ref)
    folder = datasets_dir(settings) / name
    versions = _versions(folder)
    if not versions:
        names = sorted({d.name for d in list_datasets(settings=settings)})
        available = ", ".join(names) if names else "none built yet (hone dataset build)"
        raise DatasetNotFoundError(f"no dataset {name!r} in {datasets_dir(settings)} (available: {available})")
    if version is None:
        return Dataset(versions[-1][1])
    for n, path in versions:
        if f"v{n}" == version:
            return Dataset(path)
    known = ", ".join(f"v{n}" for n, _ in versions)
    raise DatasetNotFoundError(f"no version {version} of dataset {name!r} (available: {known})")


def latest(name: str, *, settings: Settings) -> Dataset | None:
    versions = _versions(datasets_dir(settings) / name)
    return Dataset(versions[-1][1]) if versions else None


def next_version(name: str, *, settings: Settings) -> int:
    folder = datasets_dir(settings) / name
    numbers = [int(m.group(1)) for p in (folder.iterdir() if folder.is_dir() else []) if (m := _VERSION.match(p.name))]
    return max(numbers, default=0) + 1


class DatasetCatalog:
    """The built datasets of one workspace: build, load, list (what ``wb.datasets`` is)."""

    def __init__(self, *, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store

    def __repr__(self) -> str:
        return f"DatasetCatalog({str(datasets_dir(self.settings))!r})"

    def build(self, spec: DatasetSpec, **options: Any) -> Dataset:
        """Build (or reuse) a version for ``spec`` from the workspace's store (see :func:`build_dataset`)."""
        from agenthone.datasets._build import build_dataset

        return build_dataset(spec, settings=self.settings, store=self.store, **options)

    def load(self, ref: str) -> Dataset:
        """``name`` (its latest version) or ``name@vN``."""
        return load(ref, settings=self.settings)

    def list(self) -> list[Dataset]:
        return list_datasets(settings=self.settings)

    def latest(self) -> Dataset | None:
        """The most recently built version of any dataset."""
        return latest_dataset(settings=self.settings)
