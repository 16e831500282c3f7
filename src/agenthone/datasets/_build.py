"""Build a dataset version from a spec: read, clean, sample, split, report, export, record in MLflow.

Order of the steps, and why:

1. candidates from the store after the spec's filters (:mod:`._sources`);
2. PII and secrets redacted (before deduplication, so records differing only in an email collapse);
3. exact duplicates removed (same text up to case and whitespace), then near duplicates (MinHash LSH),
   keeping one representative per cluster: the non-failure with the highest quality, then the oldest;
4. token-length filters (cookbook counting in the model's encoding; default cap: the model's limit);
5. ``max_samples`` stratified by (agent, task type), then the ``min_samples`` check;
6. the leak-free split, canonical files, content digest: when the latest version has the same digest it
   is returned as is (no new version);
7. quality report, exports, MLflow run (dataset inputs, spec, manifest, report, figures), manifest last.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import uuid
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from agenthone.audit import record as audit_record
from agenthone.datasets._catalog import Dataset, DatasetError, datasets_dir, latest, next_version
from agenthone.datasets._dedup import exact_duplicate_keys, find_near_duplicates
from agenthone.datasets._example import CandidateInfo, Example
from agenthone.datasets._sources import example_text, load_candidates
from agenthone.datasets._spec import DatasetSpec
from agenthone.datasets._split import SPLITS, assign_splits

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.store import Store

__all__ = ["InsufficientDataError", "build_dataset"]

Progress = Callable[[str], None]


class InsufficientDataError(DatasetError):
    """Fewer examples than ``min_samples`` (per category, per agent or overall)."""

    def __init__(self, scope: str, found: int, need: int) -> None:
        super().__init__(f"Insufficient data for {scope}: found {found}, need {need}")
        self.scope = scope
        self.found = found
        self.need = need


def _redact(examples: list[Example], spec: DatasetSpec) -> tuple[Counter[str], int]:
    from agenthone.datasets._pii import PiiRedactor

    redactor = PiiRedactor(entities=spec.pii_entities, secrets=spec.redact_secrets, nlp_model=spec.nlp_model)
    # every text of every example, in order, redacted in one batch (distinct texts once, on all cores)
    slots: list[tuple[int, Any, Any]] = []  # (example index, container, key)
    texts: list[str] = []
    for index, example in enumerate(examples):
        for message in example["messages"]:
            if isinstance(message.get("content"), str):
                slots.append((index, message, "content"))
                texts.append(message["content"])
            for call in message.get("tool_calls") or ():
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    slots.append((index, fn, "arguments"))
                    texts.append(fn["arguments"])
        if example.get("rejected"):
            slots.append((index, example, "rejected"))
            texts.append(example["rejected"])
    hits: Counter[str] = Counter()
    touched: set[int] = set()
    for (index, container, key), (redacted, kinds) in zip(slots, redactor.redact_batch(texts), strict=True):
        container[key] = redacted
        if kinds:
            hits.update(kinds)
            touched.add(index)
    for example in examples:
        example["reference"] = example["messages"][-1]["content"]
    return hits, len(touched)


def _rank(example: Example, info: CandidateInfo) -> tuple[Any, ...]:
    """Sort key of the example a duplicate cluster keeps (smallest first)."""
    quality = info.quality
    stamp = info.timestamp
    return (
        example.get("weight", 1) == 0,
        -(quality if isinstance(quality, int | float) and not math.isnan(quality) else -1.0),
        str(stamp) if stamp is not None else "~",
        example["id"],
    )


def _dedup_text(example: Example) -> str:
    return example_text(example) + ("\n" + example["rejected"] if example.get("rejected") else "")


class _Texts(Sequence[str]):
    """The deduplication texts of examples, made when asked for (near-duplicate detection reads them a
    chunk at a time, so the texts of the whole dataset are never held at once)."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self._examples = examples

    def __len__(self) -> int:
        return len(self._examples)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [_dedup_text(e) for e in self._examples[index]]
        return _dedup_text(self._examples[index])


def _dedup(
    examples: list[Example], infos: Mapping[str, CandidateInfo], spec: DatasetSpec, removed: list[dict[str, Any]]
) -> tuple[list[Example], dict[str, list[str]], list[list[str]], dict[str, int]]:
    """Examples kept, extra split groups, remaining near-duplicate clusters (ids) and counts."""
    groups: dict[str, list[str]] = defaultdict(list)
    keys = exact_duplicate_keys(_dedup_text(e) for e in examples)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        by_key[key].append(i)
    keep: list[int] = []
    exact_removed = 0
    for key, members in by_key.items():
        if len(members) == 1:
            keep.append(members[0])
            continue
        ordered = sorted(members, key=lambda i: _rank(examples[i], infos[examples[i]["id"]]))
        if spec.dedup_exact:
            keep.append(ordered[0])
            for i in ordered[1:]:
                removed.append(
                    {
                        "id": examples[i]["id"],
                        "reason": "exact_duplicate",
                        "kept": examples[ordered[0]]["id"],
                        "cluster": f"exact:{key[:12]}",
                        "jaccard": 1.0,
                    }
                )
                exact_removed += 1
        else:
            keep.extend(ordered)
            for i in ordered:
                groups[examples[i]["id"]].append(f"exact:{key}")
    keep.sort()
    kept = [examples[i] for i in keep]
    near = find_near_duplicates(
        _Texts(kept), threshold=spec.near_threshold, num_perm=spec.num_perm, shingle_size=spec.shingle_size, seed=1
    )
    pair_jaccard = {(i, j): jac for i, j, jac in near.pairs}
    drop: set[int] = set()
    remaining: list[list[str]] = []
    for cid, members in enumerate(near.clusters):
        ordered = sorted(members, key=lambda i: _rank(kept[i], infos[kept[i]["id"]]))
        if spec.dedup_near:
            head = ordered[0]
            for i in ordered[1:]:
                drop.add(i)
                jac = pair_jaccard.get((min(head, i), max(head, i)))
                removed.append(
                    {
                        "id": kept[i]["id"],
                        "reason": "near_duplicate",
                        "kept": kept[head]["id"],
                        "cluster": f"near:{cid}",
                        "jaccard": jac,
                    }
                )
        else:
            remaining.append([kept[i]["id"] for i in ordered])
            for i in ordered:
                groups[kept[i]["id"]].append(f"near:{cid}")
    final = [e for i, e in enumerate(kept) if i not in drop]
    counts = {
        "exact_duplicates": exact_removed,
        "near_duplicates": len(drop),
        "near_clusters": len(near.clusters),
        "lsh_bands": near.bands,
        "lsh_rows": near.rows,
    }
    return final, groups, remaining, counts


def _stratum(example: Mapping[str, Any]) -> tuple[str, str]:
    src = example["source"]
    return str(src.get("agent_name")), str(src.get("task_type") or src["kind"])


def _sample(examples: list[Example], cap: int, seed: int) -> list[Example]:
    """At most ``cap`` examples, each (agent, task type) stratum getting its proportional share."""
    if len(examples) <= cap:
        return examples
    strata: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for e in examples:
        strata[_stratum(e)].append(e)
    total = len(examples)
    quotas = {k: cap * len(v) / total for k, v in strata.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    short = cap - sum(counts.values())
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - counts[k]), k))[:short]:
        counts[k] += 1
    chosen: list[Example] = []
    for k in sorted(strata):
        members = sorted(strata[k], key=lambda e: hashlib.sha256(f"{seed}:{e['id']}".encode()).hexdigest())
        chosen.extend(members[: counts[k]])
    return sorted(chosen, key=lambda e: e["id"])


def _check_min_samples(examples: Sequence[Mapping[str, Any]], spec: DatasetSpec) -> None:
    need = spec.min_samples
    if not need:
        return
    if spec.categories:
        counts = Counter(e["source"].get("category") for e in examples)
        for category in spec.categories:
            if counts.get(category, 0) < need:
                raise InsufficientDataError(f"category {category}", counts.get(category, 0), need)
    if spec.agents:
        counts = Counter(e["source"].get("agent_name") for e in examples)
        for agent in spec.agents:
            if counts.get(agent, 0) < need:
                raise InsufficientDataError(f"agent {agent}", counts.get(agent, 0), need)
    if not spec.categories and not spec.agents and len(examples) < need:
        raise InsufficientDataError(f"dataset {spec.name}", len(examples), need)


def _write_splits(folder: Path, splits: Mapping[str, Sequence[Example]]) -> str:
    """Write ``<split>.jsonl`` files (a batch of lines at a time) and return the content digest: SHA-256 of
    each split's name, byte length and bytes in turn."""
    from agenthone.datasets._export import batched

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    digest = hashlib.sha256()
    for split in SPLITS:
        path = folder / f"{split}.jsonl"
        size = 0
        with path.open("wb") as fh:
            for batch in batched(splits[split], 4096):
                data = "".join([dumps(e) + "\n" for e in batch]).encode()
                fh.write(data)
                size += len(data)
        digest.update(f"{split}\n{size}\n".encode())
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _release_memory() -> None:
    """Give the memory freed by a stage back to the system before the next stage takes more.

    Python's own free lists return whole arenas by themselves, but pyarrow's allocator keeps what it freed
    for reuse and glibc's keeps freed pages inside its heaps: both are asked to let go (where they exist).
    """
    import contextlib
    import ctypes
    import gc
    import sys

    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _mlflow_frame(examples: Sequence[Mapping[str, Any]], tokens: Mapping[str, int]) -> Any:
    """The frame MLflow describes a split by (its schema and size: MLflow keeps no rows).

    Its text columns hold the examples' own strings (the last message before the answer, the answer),
    not copies, so that the examples can be freed before MLflow is called.
    """
    import pandas as pd

    sources = [e["source"] for e in examples]
    columns = {  # built column by column: no dict per row
        "id": [e["id"] for e in examples],
        "kind": [s["kind"] for s in sources],
        "agent_name": [s.get("agent_name") for s in sources],
        "category": [s.get("category") for s in sources],
        "task_type": [s.get("task_type") for s in sources],
        "tokens": [tokens[e["id"]] for e in examples],
        "prompt": [_last_text(e["messages"][:-1]) for e in examples],
        "reference": [e["reference"] for e in examples],
    }
    if not examples:  # no rows: every column of object dtype
        return pd.DataFrame([], columns=list(columns))
    # object columns: pandas' own string dtype would copy every text into Arrow buffers
    return pd.DataFrame({k: pd.Series(v, dtype=None if k == "tokens" else object) for k, v in columns.items()})


def _last_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def _schema_rows(frame: Any) -> Any:
    """The first rows of ``frame`` and, per column, its first row with a value and its first without."""
    import numpy as np
    import pandas as pd

    picks = [frame.head(100)]
    for column in frame.columns:  # the first row of each kind by position (a mask would copy the frame)
        missing = frame[column].isna().to_numpy()
        picks.extend((frame.iloc[np.flatnonzero(missing)[:1]], frame.iloc[np.flatnonzero(~missing)[:1]]))
    return pd.concat(picks)


def _infer_schema(frame: Any) -> Any:
    """MLflow's schema of ``frame``, or None where MLflow would give up (as its own dataset does)."""
    from mlflow.types.utils import _infer_schema as infer

    try:
        return infer(frame)
    except Exception:  # MLflow's PandasDataset.schema swallows these too
        return None


def _log_mlflow(
    settings: Settings, folder: Path, manifest: dict[str, Any], frames: dict[str, Any], quality: Any
) -> str:
    import mlflow

    from agenthone._mlflow import start_run

    ref = f"{manifest['name']}@{manifest['version']}"
    tags = {
        "dataset": manifest["name"],
        "dataset.version": manifest["version"],
        "dataset.digest": manifest["digest"],
        "dataset.ref": ref,
    }
    with start_run(settings, "datasets", run_name=ref, tags=tags) as run:
        spec = manifest["spec"]
        mlflow.log_params(
            {
                k: (json.dumps(v) if isinstance(v, list | dict) else v)[:500] if isinstance(v, str | list | dict) else v
                for k, v in spec.items()
            }
        )
        metrics: dict[str, float] = {f"examples_{s}": float(n) for s, n in manifest["counts"].items()}
        metrics["examples"] = float(sum(manifest["counts"].values()))
        cleaning = manifest["cleaning"]
        for key in ("exact_duplicates", "near_duplicates", "token_filtered", "sampled_out", "examples_with_pii"):
            metrics[key] = float(cleaning.get(key, 0))
        for kind, n in cleaning["pii"].items():
            metrics[f"pii_{kind}"] = float(n)
        metrics["quality_score"] = quality.score
        for name, value in quality.metrics["score"]["components"].items():
            metrics[f"quality_{name}"] = float(value)
        mlflow.log_metrics(metrics)
        contexts = {"train": "training", "validation": "validation", "test": "test"}
        for split in SPLITS:
            frame = frames.pop(split)
            with warnings.catch_warnings():  # MLflow's hints about integer columns and source types
                warnings.simplefilter("ignore", UserWarning)
                data = mlflow.data.from_pandas(  # type: ignore[attr-defined]
                    frame, source=str(folder / f"{split}.jsonl"), name=f"{ref}/{split}", digest=manifest["digest"][:16]
                )
                # the schema MLflow would infer value by value over the whole frame, from a few rows
                # (every column holds one type; rows with a missing value keep the optional flags)
                data.__dict__["schema"] = _infer_schema(_schema_rows(frame))
                mlflow.log_input(data, context=contexts[split])
            del frame, data
        mlflow.log_artifact(str(folder / "spec.toml"))
        mlflow.log_artifact(str(folder / "quality.json"))
        if (folder / "removed.jsonl").exists():
            mlflow.log_artifact(str(folder / "removed.jsonl"))
        for png in sorted(folder.glob("quality_*.png")):
            mlflow.log_artifact(str(png), artifact_path="figures")
        run_id = str(run.info.run_id)
        manifest["mlflow_run_id"] = run_id
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        mlflow.log_artifact(str(folder / "manifest.json"))
    return run_id


def build_dataset(
    spec: DatasetSpec,
    *,
    settings: Settings,
    store: Store | None = None,
    progress: Progress | None = None,
    log_to_mlflow: bool = True,
) -> Dataset:
    """Build (or reuse) a dataset version for ``spec`` from the workspace's store; see the module docstring.

    Raises :class:`InsufficientDataError` when ``min_samples`` is not met, :class:`DatasetError` when
    nothing matches the spec.
    """
    from agenthone.datasets._prices import model_info
    from agenthone.datasets._tokens import TokenCounter

    say = progress or (lambda _msg: None)
    own_store = store is None
    if store is None:
        from agenthone.store import Store

        store = Store.open(settings, read_only=True)
    try:
        say("reading candidates from the store")
        examples, infos, read_info = load_candidates(store, spec)
    finally:
        if own_store:
            store.close()
    if not examples:
        read = ", ".join(f"{k}: {v}" for k, v in read_info["read"].items())
        raise DatasetError(
            f"no examples match dataset spec {spec.name!r} (read {read}); loosen its filters or ingest logs"
        )
    candidates = len(examples)
    removed: list[dict[str, Any]] = []
    pii: Counter[str] = Counter()
    touched = 0
    if spec.redact_pii:
        say(f"redacting PII in {candidates:,} examples")
        pii, touched = _redact(examples, spec)
    say("removing duplicates")
    examples, groups, near_clusters, dedup_counts = _dedup(examples, infos, spec, removed)
    if spec.model is None:
        spec = spec.model_copy(update={"model": settings.default_model})
    info = model_info(str(spec.model), settings=settings)
    counter = TokenCounter(info.encoding)
    say("counting tokens")
    tokens: dict[str, int] = {}
    for e in examples:
        n = counter.message_tokens(e["messages"])
        if e.get("tools"):
            n += counter.value_tokens(e["tools"])
        tokens[e["id"]] = n
    del counter  # its cache of every distinct text: free it before the report and exports need memory
    _release_memory()
    cap = spec.max_tokens or info.max_tokens_per_example
    token_filtered = 0
    kept = []
    for e in examples:
        n = tokens[e["id"]]
        if (spec.min_tokens is not None and n < spec.min_tokens) or (cap is not None and n > cap):
            removed.append(
                {"id": e["id"], "reason": "token_filter", "kept": None, "cluster": None, "jaccard": None, "tokens": n}
            )
            token_filtered += 1
        else:
            kept.append(e)
    examples = kept
    sampled_out = 0
    if spec.max_samples is not None and len(examples) > spec.max_samples:
        before = {e["id"] for e in examples}
        examples = _sample(examples, spec.max_samples, spec.seed)
        gone = before - {e["id"] for e in examples}
        sampled_out = len(gone)
        removed.extend(
            {"id": i, "reason": "sampled_out", "kept": None, "cluster": None, "jaccard": None} for i in sorted(gone)
        )
    _check_min_samples(examples, spec)
    if not examples:
        raise DatasetError(f"no examples left for dataset spec {spec.name!r} after cleaning and filters")
    say("splitting")
    split_groups = {e["id"]: [*infos[e["id"]].groups, *groups.get(e["id"], [])] for e in examples}
    split_of = assign_splits(examples, split_groups, shares=spec.split, seed=spec.seed)
    splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for e in sorted(examples, key=lambda e: e["id"]):
        splits[split_of[e["id"]]].append(e)

    root = datasets_dir(settings) / spec.name
    root.mkdir(parents=True, exist_ok=True)
    work = root / f".build-{uuid.uuid4().hex[:12]}"
    work.mkdir()
    try:
        digest = _write_splits(work, splits)
        previous = latest(spec.name, settings=settings)
        if previous is not None and previous.digest == digest:
            say(f"unchanged: {previous.ref} has the same digest")
            shutil.rmtree(work, ignore_errors=True)
            return previous
        say("writing quality report and exports")
        from agenthone.datasets._quality import compute_quality

        cleaning = {
            "candidates": candidates,
            "pii": dict(sorted(pii.items())),
            "examples_with_pii": touched,
            **dedup_counts,
            "token_filtered": token_filtered,
            "sampled_out": sampled_out,
            "failures_dropped": read_info["failures_dropped"],
            "failures_kept": sum(1 for e in examples if e.get("weight") == 0),
        }
        edit_info = {
            e["id"]: {"edit_distance": infos[e["id"]].edit_distance, "accepted": infos[e["id"]].accepted}
            for e in examples
            if e["source"]["kind"] == "edit"
        }
        quality = compute_quality(
            examples,
            split_of,
            tokens=tokens,
            cleaning=cleaning,
            edit_info=edit_info,
            near_clusters=near_clusters,
            seed=spec.seed,
        )
        (work / "quality.json").write_text(json.dumps(quality.as_dict(), indent=2, default=str), encoding="utf-8")
        quality.examples.to_parquet(work / "quality_examples.parquet", index=False)
        for name, fig in quality.figures().items():
            fig.savefig(work / f"quality_{name}.png", dpi=90)
        (work / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
        removed.sort(key=lambda r: (r["reason"], r["id"]))
        with (work / "removed.jsonl").open("w", encoding="utf-8") as fh:
            for row in removed:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        from agenthone.datasets._export import write_export

        exports = {fmt: write_export(splits, fmt, work / "exports" / fmt) for fmt in spec.formats}
        for summary in exports.values():
            for info_split in summary.values():
                info_split["path"] = str(Path(info_split["path"]).relative_to(work))
        version_number = next_version(spec.name, settings=settings)
        manifest: dict[str, Any] = {
            "name": spec.name,
            "version": f"v{version_number}",
            "digest": digest,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "spec": spec.as_dict(),
            "counts": {s: len(splits[s]) for s in SPLITS},
            "sources": {"read": read_info["read"], "kept": dict(Counter(e["source"]["kind"] for e in examples))},
            "cleaning": cleaning,
            "model": info.as_dict(),
            "exports": exports,
            "quality": {"score": quality.score, "readiness": quality.readiness},
            "mlflow_run_id": None,
        }
        # what the MLflow run needs is a frame per split and the report's numbers: free the rest
        frames = {split: _mlflow_frame(splits[split], tokens) for split in SPLITS} if log_to_mlflow else {}
        quality.examples = quality.examples.head(0)
        del examples, removed, infos, groups, split_groups, split_of, edit_info, splits, tokens
        _release_memory()
        final = _claim_version(root, work, manifest)
        work = final
        if log_to_mlflow:
            say("recording the build in MLflow")
            _log_mlflow(settings, final, manifest, frames, quality)
        else:
            (final / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    except BaseException:
        if work.name.startswith(".build-") or not (work / "manifest.json").exists():
            shutil.rmtree(work, ignore_errors=True)
        raise
    audit_record(settings, "dataset.built", target=Dataset(final).ref, details={"digest": manifest.get("digest")})
    return Dataset(final)


def _claim_version(root: Path, work: Path, manifest: dict[str, Any]) -> Path:
    """Rename the build folder to the next free ``vN`` (atomic; a concurrent build takes the next)."""
    number = int(manifest["version"][1:])
    while True:
        target = root / f"v{number}"
        try:
            work.rename(target)
        except OSError:
            if target.exists():
                number += 1
                manifest["version"] = f"v{number}"
                continue
            raise
        return target
