"""The ``local`` provider: real fine-tuning on this machine (CPU or GPU) through TRL, in a background process.

A job is a folder ``<data_dir>/jobs/<job_id>/``; a detached worker process trains in it and reports
through files (see :mod:`agenthone.providers._local_worker`), so the job outlives the command that
started it and any process can pick up monitoring later.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone._process import pid_alive
from agenthone.providers._base import (
    TERMINAL_STATUSES,
    BaseModelInfo,
    ChatModel,
    ChatProvider,
    CostEstimate,
    FineTuner,
    JobEvent,
    JobRequest,
    Method,
    ProviderError,
    ProviderJob,
    Registration,
    StepMetrics,
    TrainingFiles,
    now,
)
from agenthone.providers._local_model import SCRATCH_DEFAULTS, is_model_dir, load_local_chat_model
from agenthone.providers._local_worker import append_jsonl, read_status, write_status

if TYPE_CHECKING:
    from agenthone.config import Settings
    from agenthone.datasets import Dataset

__all__ = ["LocalProvider"]

SCRATCH = "scratch"
"""Base model name meaning: build a small model from a config and train its tokenizer on the dataset."""

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}

ASSUMED_TOKENS_PER_SECOND = 4000.0
"""Training throughput assumed when estimating a local job's compute time (override: ``tokens_per_second``)."""

STARTUP_S = 15.0
"""Seconds a local job's process spends before its first step (imports, model build), in estimates."""


class LocalProvider(ChatProvider, FineTuner):
    """Fine-tunes with transformers + PEFT + TRL (SFT or DPO; LoRA or full) in a detached worker process."""

    name = "local"
    hosts_models = False
    # the worker reports through files: peek often, sync the store every 10 s
    watch_intervals = (1.0, 10.0, 10.0)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> LocalProvider:
        options.setdefault("jobs_dir", settings.data_dir / "jobs")
        options.setdefault("models_dir", settings.data_dir / "models")
        options.setdefault("usd_per_hour", settings.local_usd_per_hour)
        return cls(**options)

    def __init__(
        self,
        *,
        jobs_dir: str | os.PathLike[str],
        models_dir: str | os.PathLike[str] | None = None,
        model_dirs: list[str] | None = None,
        device: str = "auto",
        scratch: Mapping[str, int] | None = None,
        usd_per_hour: float = 0.0,
        tokens_per_second: float = ASSUMED_TOKENS_PER_SECOND,
    ) -> None:
        self.jobs_dir = Path(jobs_dir)
        self.models_dir = Path(models_dir) if models_dir else None
        self.model_dirs = [Path(p) for p in (model_dirs or [])]
        self.device = device
        self.scratch = dict(scratch or {})
        self.usd_per_hour = float(usd_per_hour)
        self.tokens_per_second = float(tokens_per_second)

    # -- files -------------------------------------------------------------------------------------

    def default_base_model(self, settings: Settings) -> str:
        return SCRATCH

    def prepare_files(self, dataset: Dataset, *, method: Method, workdir: Path) -> TrainingFiles:
        """Copy the canonical train/validation examples into the job folder (the worker reads only there)."""
        data = workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        counts = {}
        for split in ("train", "validation"):
            examples = list(dataset.examples(split))
            if method == "dpo":
                examples = [ex for ex in examples if ex.get("rejected")]
            with (data / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
                for ex in examples:
                    fh.write(json.dumps(ex, ensure_ascii=False) + "\n")
            counts[split] = len(examples)
        if counts["train"] == 0:
            what = "with a 'rejected' output (DPO needs preference pairs)" if method == "dpo" else ""
            raise ProviderError(f"dataset {dataset.ref} has no training examples {what}".strip())
        return TrainingFiles(
            training_file=str(data / "train.jsonl"),
            validation_file=str(data / "validation.jsonl") if counts["validation"] else None,
            examples=counts["train"],
            validation_examples=counts["validation"],
            format="canonical",
        )

    # -- jobs --------------------------------------------------------------------------------------

    def _dir(self, job_id: str) -> Path:
        path = self.jobs_dir / job_id
        if not (path / "spec.json").is_file():
            raise ProviderError(f"no local job {job_id!r} in {self.jobs_dir}")
        return path

    def create_job(self, request: JobRequest) -> ProviderJob:
        if request.workdir is None or request.job_id is None:
            raise ProviderError("the local provider needs the job's folder and id")
        workdir = request.workdir
        base = request.base_model
        if base not in ("", SCRATCH):
            base_path = self._resolve_base(base)
            base = str(base_path)
        spec = {
            "job_id": request.job_id,
            "method": request.method,
            "base_model": None if base in ("", SCRATCH) else base,
            "hyperparameters": dict(request.hyperparameters),
            "seed": request.seed if request.seed is not None else 0,
            "device": self.device,
            "scratch": self.scratch,
            "suffix": request.suffix,
        }
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "spec.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        write_status(workdir, status="queued", created_at=now().isoformat(), base_model=request.base_model)
        append_jsonl(
            workdir / "events.jsonl",
            {
                "id": "ev-00001",
                "created_at": now().isoformat(),
                "level": "info",
                "message": "job queued",
                "type": "message",
            },
        )
        self._spawn(workdir)
        return self.get_job(request.job_id)

    def _spawn(self, workdir: Path) -> None:
        log = (workdir / "worker.log").open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "agenthone.providers._local_worker", str(workdir)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=str(workdir),
                env=env,
                start_new_session=True,  # survives the command (and a Ctrl-C in it) that started it
            )
        finally:
            log.close()
        _CHILDREN[proc.pid] = proc
        write_status(workdir, pid=proc.pid)

    def _resolve_base(self, base: str) -> Path:
        candidates = [Path(base).expanduser()]
        if self.models_dir is not None:
            candidates.append(self.models_dir / base)
        candidates.extend(d / base for d in self.model_dirs)
        for path in candidates:
            if is_model_dir(path):
                return path.resolve()
        known = ", ".join(m.id for m in self.list_base_models())
        raise ProviderError(f"base model {base!r} is not a local model directory (known: {known})")

    def get_job(self, job_id: str) -> ProviderJob:
        workdir = self._dir(job_id)
        status = read_status(workdir)
        state = str(status.get("status") or "queued")
        if state not in TERMINAL_STATUSES and not _alive(status.get("pid")):
            # the worker died without writing a final status (killed, out of memory, machine restarted)
            again = read_status(workdir)
            if str(again.get("status")) not in TERMINAL_STATUSES:
                if (workdir / "CANCEL").exists():
                    status = write_status(workdir, status="cancelled", finished_at=now().isoformat())
                else:
                    reason = _last_log_line(workdir / "worker.log")
                    error = "the worker process exited unexpectedly" + (f" ({reason})" if reason else "")
                    status = write_status(workdir, status="failed", error=error, finished_at=now().isoformat())
            else:
                status = again
            state = str(status["status"])
        from datetime import datetime

        def ts(key: str) -> datetime | None:
            value = status.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        spec = json.loads((workdir / "spec.json").read_text(encoding="utf-8"))
        extra_keys = (
            "step", "total_steps", "epoch", "output_dir", "peft", "base_model_dir", "train_runtime_s", "train_cpu_s",
            "tokens_per_second", "peak_rss_mb", "pid", "steps", "train_loss_mean", "train_loss", "validation_loss",
            "compute_s", "best_step", "best_validation_loss", "stopped_early",
        )  # fmt: skip
        return ProviderJob(
            id=job_id,
            status=state,  # type: ignore[arg-type]
            base_model=str(status.get("base_model") or spec.get("base_model") or SCRATCH),
            fine_tuned_model=status.get("fine_tuned_model") if state == "succeeded" else None,
            created_at=ts("created_at"),
            finished_at=ts("finished_at"),
            trained_tokens=status.get("trained_tokens"),
            error=status.get("error"),
            hyperparameters=spec.get("hyperparameters") or {},
            extra={k: status[k] for k in extra_keys if k in status},
        )

    def list_events(self, job_id: str) -> list[JobEvent]:
        from datetime import datetime

        out = []
        for rec in _jsonl(self._dir(job_id) / "events.jsonl"):
            out.append(
                JobEvent(
                    id=str(rec.get("id")),
                    created_at=datetime.fromisoformat(rec["created_at"]),
                    level=str(rec.get("level") or "info"),
                    message=str(rec.get("message") or ""),
                    type=str(rec.get("type") or "message"),
                    data=rec.get("data"),
                )
            )
        return out

    def list_metrics(self, job_id: str) -> list[StepMetrics]:
        from datetime import datetime

        out = []
        for rec in _jsonl(self._dir(job_id) / "metrics.jsonl"):
            values = {
                k: float(v)
                for k, v in rec.items()
                if k not in ("step", "time") and isinstance(v, (int, float)) and not isinstance(v, bool)
            }
            when = rec.get("time")
            out.append(
                StepMetrics(
                    step=int(rec["step"]),
                    values=values,
                    time=datetime.fromisoformat(when) if isinstance(when, str) else None,
                )
            )
        return out

    def cancel(self, job_id: str) -> ProviderJob:
        workdir = self._dir(job_id)
        job = self.get_job(job_id)
        if job.done:
            return job
        (workdir / "CANCEL").touch()
        pid = read_status(workdir).get("pid")
        if _alive(pid):
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGTERM)  # type: ignore[arg-type]
        else:
            write_status(workdir, status="cancelled", finished_at=now().isoformat())
        return self.get_job(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> ProviderJob:
        """Block until the worker of ``job_id`` (started by this process) exits; returns the final job."""
        proc = _CHILDREN.get(int(read_status(self._dir(job_id)).get("pid") or -1))
        if proc is not None:
            proc.wait(timeout=timeout)
        return self.get_job(job_id)

    # -- models ------------------------------------------------------------------------------------

    def list_base_models(self) -> list[BaseModelInfo]:
        models = [
            BaseModelInfo(
                SCRATCH,
                ("sft", "dpo"),
                0.0,
                "a small model built from a config, with a tokenizer trained on the dataset",
            )
        ]
        folders = [self.models_dir] if self.models_dir else []
        for folder in [*folders, *self.model_dirs]:
            if folder is None or not folder.is_dir():
                continue
            candidates = [folder] if is_model_dir(folder) else sorted(p for p in folder.iterdir() if p.is_dir())
            for path in candidates:
                if is_model_dir(path):
                    models.append(BaseModelInfo(str(path), ("sft", "dpo"), 0.0, "local model directory"))
        return models

    def estimate_cost(self, dataset: Dataset, *, method: Method, base_model: str, epochs: int | None) -> CostEstimate:
        """Training tokens as the local model's own tokenizer and chat template count them; no fee.

        A scratch base trains its tokenizer on the dataset here, exactly as the job will.
        """
        from agenthone.providers._local_model import count_chat_tokens, train_scratch_tokenizer

        train = list(dataset.examples("train"))
        if method == "dpo":
            train = [ex for ex in train if ex.get("rejected")]
        if base_model in ("", SCRATCH):
            sizes = {**SCRATCH_DEFAULTS, **{k: int(v) for k, v in self.scratch.items()}}
            tokenizer = train_scratch_tokenizer(
                train + list(dataset.examples("validation")),
                vocab_size=sizes["vocab_size"],
                max_length=sizes["max_position_embeddings"],
            )
            how = "the scratch model's tokenizer (trained on the dataset)"
        else:
            from transformers import AutoTokenizer

            path = self._resolve_base(base_model)
            tokenizer = AutoTokenizer.from_pretrained(path)
            how = f"the tokenizer of {path.name}"
        conversations: list[list[dict[str, Any]]] = []
        for ex in train:
            messages = [dict(m) for m in ex["messages"]]
            if method == "dpo":
                conversations.append([*messages[:-1], {"role": "assistant", "content": ex["reference"]}])
                conversations.append([{"role": "assistant", "content": ex.get("rejected", "")}])
            else:
                conversations.append(messages)
        tokens = sum(count_chat_tokens(tokenizer, conversations))
        n_epochs = int(epochs or 3)
        seconds = STARTUP_S + tokens * n_epochs / self.tokens_per_second
        per_million = self.usd_per_hour / 3600 / self.tokens_per_second * 1e6
        return CostEstimate(
            provider=self.name,
            base_model=base_model or SCRATCH,
            dataset_tokens=tokens,
            epochs=n_epochs,
            billed_tokens=tokens * n_epochs,
            usd_per_million_tokens=per_million,
            usd=seconds * self.usd_per_hour / 3600,
            basis=(
                f"local compute: about {seconds:,.0f} s at {self.tokens_per_second:,.0f} tokens/s and "
                f"${self.usd_per_hour:g}/h (local_usd_per_hour); tokens counted with {how}"
            ),
        )

    def job_cost(
        self, *, trained_tokens: int | None, estimate: Mapping[str, Any], details: Mapping[str, Any] | None = None
    ) -> float | None:
        """The job's compute time (its process's lifetime) at ``usd_per_hour``."""
        seconds = (details or {}).get("compute_s") or (details or {}).get("train_runtime_s")
        if not isinstance(seconds, (int, float)):
            return 0.0 if self.usd_per_hour == 0 else None
        return float(seconds) * self.usd_per_hour / 3600

    def model_location(self, model: str, *, details: Mapping[str, Any]) -> dict[str, Any]:
        return {"path": str(Path(model)), "peft": details.get("peft"), "base_model_dir": details.get("base_model_dir")}

    def baseline_model(self, base_model: str, *, details: Mapping[str, Any], workdir: Path | None) -> str:
        return str(details.get("base_model_dir") or Path(workdir or "") / "base")

    def registration(
        self, location: Mapping[str, Any], *, details: Mapping[str, Any], workdir: Path | None
    ) -> Registration:
        """The model folder travels with the version (and a base built for the job, for a LoRA adapter)."""
        model_dir = Path(str(location["path"]))
        if not model_dir.is_dir():
            raise ProviderError(f"the model folder {model_dir} is gone")
        config: dict[str, Any] = {"peft": location.get("peft") or "full", "model": model_dir.name}
        artifacts = {"model": str(model_dir)}
        if config["peft"] == "lora":
            base = Path(str(location.get("base_model_dir") or ""))
            if workdir is not None and base.is_relative_to(workdir):
                artifacts["base"] = str(base)  # a base built for this job travels with the version
            else:
                config["base_model_dir"] = str(base)
        return Registration(
            config=config, artifacts=artifacts, requirements=["torch", "transformers", "peft", "tokenizers"]
        )

    def registered_model(self, config: Mapping[str, Any], artifacts: Mapping[str, str]) -> ChatModel:
        from agenthone.providers._local_model import LocalChatModel

        model_dir = Path(artifacts["model"])
        device = str(config.get("device", "auto"))
        if config.get("peft") == "lora":
            base = Path(artifacts["base"]) if "base" in artifacts else Path(str(config.get("base_model_dir")))
            return LocalChatModel(base, adapter=model_dir, device=device)
        return LocalChatModel(model_dir, device=device)

    def display_model(self, model: str) -> str:
        return Path(model).name

    def chat_model(self, model: str) -> ChatModel:
        """Generation with a local model folder: a full model, or a LoRA adapter over its recorded base."""
        path = Path(model).expanduser()
        if (path / "adapter_config.json").is_file():
            config = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
            base = Path(str(config.get("base_model_name_or_path") or ""))
            if not is_model_dir(base):
                raise ProviderError(f"adapter {path} was trained on {base}, which is not available here")
            return load_local_chat_model(base, adapter=path, device=self.device)
        if not is_model_dir(path):
            raise ProviderError(f"{path} is not a local model directory (no config.json or adapter_config.json)")
        return load_local_chat_model(path, device=self.device)


def _alive(pid: Any) -> bool:
    """Is the worker ``pid`` still training (a reused pid of another program does not count)?"""
    if not pid:
        return False
    pid = int(pid)
    proc = _CHILDREN.get(pid)
    if proc is not None:
        return proc.poll() is None
    if not pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            return b"_local_worker" in cmdline.read_bytes()
        except OSError:
            return False
    return True


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # a line still being written
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
    return out


def _last_log_line(path: Path) -> str:
    if not path.exists():
        return ""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Error" in line or "Killed" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""
