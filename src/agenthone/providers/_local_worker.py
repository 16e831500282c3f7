"""The background process of a local fine-tuning job: ``python -m agenthone.providers._local_worker JOB_DIR``.

It never touches the DuckDB store (a notebook or the CLI may hold its write lock). Everything it has
to say goes to files in its job folder, which the job manager reads in whatever process polls it:

- ``status.json``   the job's state (rewritten atomically)
- ``metrics.jsonl`` one line per logged step (train/validation loss, token accuracy, lr, grad norm, tokens/s)
- ``events.jsonl``  one line per event
- ``model/`` or ``adapter/`` the trained model (full fine-tune) or LoRA adapter, with its tokenizer
- ``worker.log``    stdout/stderr, tracebacks included

Early stopping (``hyperparameters.early_stopping_patience``): training stops once the validation loss has not
improved for that many evaluations, and the model saved is the one of the best evaluation.

Cancelling: the manager creates ``CANCEL`` (and sends SIGTERM); a callback checks it after every step.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["METRIC_NAMES", "append_jsonl", "main", "read_status", "run_job", "write_status"]

METRIC_NAMES: dict[str, str] = {
    "loss": "train_loss",
    "eval_loss": "validation_loss",
    "mean_token_accuracy": "train_token_accuracy",
    "eval_mean_token_accuracy": "validation_token_accuracy",
    "learning_rate": "learning_rate",
    "grad_norm": "grad_norm",
    "epoch": "epoch",
    "rewards/accuracies": "train_reward_accuracy",
    "eval_rewards/accuracies": "validation_reward_accuracy",
    "rewards/margins": "train_reward_margin",
    "eval_rewards/margins": "validation_reward_margin",
    "entropy": "train_entropy",
}
"""TRL/transformers log keys and the provider-neutral metric names they are stored under."""


_STARTED = time.monotonic()
"""When this process started: ``compute_s`` (what a local job is costed by) counts from here."""


def _compute_s() -> float:
    return round(time.monotonic() - _STARTED, 3)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def write_status(job_dir: Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into ``status.json`` atomically (readers never see half a file)."""
    path = job_dir / "status.json"
    status = read_status(job_dir)
    status.update(fields)
    status["updated_at"] = _now()
    tmp = path.with_name(f"status.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    return status


def read_status(job_dir: Path) -> dict[str, Any]:
    path = job_dir / "status.json"
    if not path.exists():
        return {}
    for _ in range(5):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (json.JSONDecodeError, OSError):
            time.sleep(0.05)
    return {}


def append_jsonl(path: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON line and flush it, so a reader in another process sees whole lines only."""
    line = json.dumps(record, default=str, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()


class _Events:
    def __init__(self, job_dir: Path) -> None:
        self.path = job_dir / "events.jsonl"
        self.n = 0
        if self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                self.n = sum(1 for line in fh if line.strip())

    def __call__(self, message: str, *, level: str = "info", type: str = "message", **data: Any) -> None:  # noqa: A002
        self.n += 1
        record: dict[str, Any] = {"id": f"ev-{self.n:05d}", "created_at": _now(), "level": level, "message": message}
        record["type"] = type
        if data:
            record["data"] = data
        append_jsonl(self.path, record)


def _load_examples(path: Path) -> list[dict[str, Any]]:
    from agenthone.providers._base import read_jsonl

    return list(read_jsonl(path)) if path.exists() else []


def _sft_rows(examples: Sequence[Mapping[str, Any]], *, plain_text: bool) -> list[dict[str, Any]]:
    from agenthone.providers._base import prompt_of
    from agenthone.providers._local_model import normalise_messages

    rows = []
    for ex in examples:
        prompt = prompt_of(ex)
        completion = [{"role": "assistant", "content": str(ex.get("reference") or "")}]
        if plain_text:
            prompt = normalise_messages(prompt)
        rows.append({"prompt": prompt, "completion": completion})
    return rows


def _dpo_rows(examples: Sequence[Mapping[str, Any]], *, plain_text: bool) -> list[dict[str, Any]]:
    from agenthone.providers._base import prompt_of
    from agenthone.providers._local_model import normalise_messages

    rows = []
    for ex in examples:
        if not ex.get("rejected"):
            continue
        prompt = prompt_of(ex)
        if plain_text:
            prompt = normalise_messages(prompt)
        rows.append(
            {
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": str(ex.get("reference") or "")}],
                "rejected": [{"role": "assistant", "content": str(ex["rejected"])}],
            }
        )
    return rows


def _hf_dataset(rows: list[dict[str, Any]]) -> Any:
    from datasets import Dataset

    return Dataset.from_list(rows)


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def _make_callback(job_dir: Path, events: _Events, total_steps: int) -> Any:
    from transformers import TrainerCallback

    cancel_flag = job_dir / "CANCEL"
    metrics_path = job_dir / "metrics.jsonl"

    class JobFilesCallback(TrainerCallback):  # type: ignore[misc]
        """Writes each log as a metrics line and stops training when the cancel flag appears."""

        def __init__(self) -> None:
            self.cancelled = False
            self._last_tokens: float | None = None
            self._last_time: float | None = None
            self._paused = 0.0  # seconds spent evaluating since the last training log
            self._start = time.perf_counter()

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self._start = time.perf_counter()
            self._last_time = self._start
            self._last_tokens = 0.0
            write_status(job_dir, status="running", started_at=_now(), total_steps=total_steps)
            events(f"training started: {total_steps} steps", total_steps=total_steps)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if cancel_flag.exists():
                self.cancelled = True
                control.should_training_stop = True
                control.should_evaluate = False
                control.should_save = False

        def on_log(
            self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **kwargs: Any
        ) -> None:
            if not logs:
                return
            values: dict[str, float] = {}
            for key, value in logs.items():
                name = METRIC_NAMES.get(key)
                if name and isinstance(value, (int, float)) and math.isfinite(float(value)):
                    values[name] = float(value)
            tokens = logs.get("num_tokens")
            now = time.perf_counter()
            if isinstance(logs.get("eval_runtime"), (int, float)):
                self._paused += float(logs["eval_runtime"])
            if isinstance(tokens, (int, float)) and "train_loss" in values and self._last_time is not None:
                elapsed = now - self._last_time - self._paused
                self._paused = 0.0
                if elapsed > 0 and self._last_tokens is not None and tokens > self._last_tokens:
                    values["tokens_per_second"] = (float(tokens) - self._last_tokens) / elapsed
                values["tokens"] = float(tokens)
                self._last_tokens, self._last_time = float(tokens), now
            if not values or set(values) == {"epoch"}:
                return
            record = {"step": int(state.global_step), "time": _now(), "elapsed_s": now - self._start, **values}
            append_jsonl(metrics_path, record)
            latest = {k: values[k] for k in ("train_loss", "validation_loss") if k in values}
            write_status(job_dir, step=int(state.global_step), epoch=values.get("epoch", state.epoch), **latest)

    return JobFilesCallback()


def run_job(job_dir: Path) -> dict[str, Any]:
    """Train the job described by ``job_dir/spec.json``; returns the final status (also written to disk)."""
    job_dir = Path(job_dir)
    events = _Events(job_dir)
    spec = json.loads((job_dir / "spec.json").read_text(encoding="utf-8"))
    write_status(job_dir, status="queued", pid=os.getpid(), worker_started_at=_now())
    events(f"worker started (pid {os.getpid()})")
    try:
        return _train(job_dir, spec, events)
    except Exception as exc:
        traceback.print_exc()
        message = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}".rstrip(": ")
        events(f"training failed: {message}", level="error")
        return write_status(
            job_dir,
            status="failed",
            error=message,
            finished_at=_now(),
            peak_rss_mb=_peak_rss_mb(),
            compute_s=_compute_s(),
        )


def _train(job_dir: Path, spec: Mapping[str, Any], events: _Events) -> dict[str, Any]:
    import torch

    from agenthone.providers._local_model import build_scratch_model, is_model_dir, is_scratch

    hp: dict[str, Any] = dict(spec.get("hyperparameters") or {})
    method = spec.get("method", "sft")
    seed = int(spec.get("seed") or 0)
    threads = hp.get("threads")
    if threads:
        torch.set_num_threads(int(threads))
    device = str(spec.get("device") or "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"

    train_examples = _load_examples(job_dir / "data" / "train.jsonl")
    validation_examples = _load_examples(job_dir / "data" / "validation.jsonl")
    if not train_examples:
        raise ValueError("the training split is empty")

    base = spec.get("base_model")
    if base in (None, "", "scratch"):
        base_dir = job_dir / "base"
        if not is_model_dir(base_dir):
            events("building a small model from a config and training its tokenizer on the dataset")
            build_scratch_model(
                train_examples + validation_examples, base_dir, seed=seed, **dict(spec.get("scratch") or {})
            )
    else:
        base_dir = Path(str(base))
        if not is_model_dir(base_dir):
            raise ValueError(f"base model {base_dir} holds no config.json")
    scratch = is_scratch(base_dir)
    write_status(job_dir, base_model_dir=str(base_dir))

    peft_mode = str(hp.get("peft") or "auto")
    if peft_mode == "auto":
        peft_mode = "full" if scratch else "lora"
    default_lr = {
        ("sft", "full", True): 2e-3,
        ("sft", "full", False): 2e-5,
        ("sft", "lora", True): 2e-3,
        ("sft", "lora", False): 2e-4,
        ("dpo", "full", True): 1e-4,
        ("dpo", "full", False): 5e-6,
        ("dpo", "lora", True): 1e-4,
        ("dpo", "lora", False): 5e-5,
    }[(method, peft_mode, scratch)]
    lr = float(hp.get("learning_rate") or default_lr)
    epochs = float(hp.get("epochs") or 3)
    batch_size = int(hp.get("batch_size") or 16)
    max_length = int(hp.get("max_length") or 512)
    max_eval = int(hp.get("max_eval_examples") or 256)

    rows_fn = _sft_rows if method == "sft" else _dpo_rows
    train_rows = rows_fn(train_examples, plain_text=scratch)
    eval_rows = rows_fn(validation_examples[:max_eval], plain_text=scratch)
    if not train_rows:
        raise ValueError(
            "no training example has a 'rejected' output, which DPO needs" if method == "dpo" else "no rows"
        )
    steps_per_epoch = math.ceil(len(train_rows) / (batch_size * int(hp.get("gradient_accumulation_steps") or 1)))
    total_steps = int(hp.get("max_steps") or math.ceil(steps_per_epoch * epochs))
    eval_steps = int(hp.get("eval_steps") or max(1, total_steps // 10))
    logging_steps = int(hp.get("logging_steps") or max(1, min(eval_steps, total_steps // 40 or 1)))
    events(
        f"{method} ({peft_mode}) on {len(train_rows)} examples, {len(eval_rows)} validation; "
        f"{epochs:g} epochs, batch {batch_size}, lr {lr:g}, device {device}"
    )

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32 if device == "cpu" else "auto")

    peft_config = None
    if peft_mode == "lora":
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=int(hp.get("lora_r") or 16),
            lora_alpha=int(hp.get("lora_alpha") or 32),
            lora_dropout=float(hp.get("lora_dropout") or 0.05),
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    common: dict[str, Any] = {
        "output_dir": str(job_dir / "checkpoints"),
        "num_train_epochs": epochs,
        "max_steps": int(hp.get("max_steps") or -1),
        "per_device_train_batch_size": batch_size,
        "per_device_eval_batch_size": batch_size,
        "learning_rate": lr,
        "lr_scheduler_type": str(hp.get("lr_scheduler") or "cosine"),
        "warmup_steps": _warmup_steps(hp, total_steps),
        "gradient_accumulation_steps": int(hp.get("gradient_accumulation_steps") or 1),
        "weight_decay": float(hp.get("weight_decay") or 0.0),
        "logging_steps": logging_steps,
        "eval_strategy": "steps" if eval_rows else "no",
        "eval_steps": eval_steps,
        "eval_on_start": bool(eval_rows),
        "save_strategy": "no",
        "report_to": [],
        "seed": seed,
        "use_cpu": device == "cpu",
        "bf16": False,
        "fp16": False,
        "activation_checkpointing": bool(hp.get("activation_checkpointing", False)),
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "max_length": max_length,
    }
    patience = int(hp.get("early_stopping_patience") or 0)
    callbacks: list[Any] = [_make_callback(job_dir, events, total_steps)]
    if patience > 0 and eval_rows:
        from transformers import EarlyStoppingCallback

        # checkpoints at every evaluation, so that the best one can be loaded back when training stops
        common.update(
            save_strategy="steps",
            save_steps=eval_steps,
            save_total_limit=1,
            load_best_model_at_end=True,
            metric_for_best_model="eval_loss",
            greater_is_better=False,
            save_only_model=True,
        )
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=patience))
        events(f"early stopping after {patience} evaluations without a lower validation loss")
    callback = callbacks[0]
    if method == "sft":
        from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]

        trainer: Any = SFTTrainer(
            model=model,
            args=SFTConfig(**common),
            train_dataset=_hf_dataset(train_rows),
            eval_dataset=_hf_dataset(eval_rows) if eval_rows else None,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=callbacks,
        )
    else:
        from trl import DPOConfig, DPOTrainer  # type: ignore[attr-defined]

        trainer = DPOTrainer(
            model=model,
            args=DPOConfig(beta=float(hp.get("beta") or 0.1), **common),
            train_dataset=_hf_dataset(train_rows),
            eval_dataset=_hf_dataset(eval_rows) if eval_rows else None,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=callbacks,
        )
    started, cpu_started = time.perf_counter(), time.process_time()
    output = trainer.train()
    runtime, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    tokens = float(getattr(trainer.state, "num_input_tokens_seen", 0) or 0)
    train_tokens = _last_metric(job_dir, "tokens") or tokens
    final: dict[str, Any] = {
        "train_runtime_s": runtime,
        "train_cpu_s": cpu_seconds,
        "train_loss_mean": float(output.training_loss),
        "steps": int(trainer.state.global_step),
        "trained_tokens": int(train_tokens),
        "tokens_per_second": train_tokens / runtime if runtime > 0 else None,
        "peak_rss_mb": _peak_rss_mb(),
    }
    if patience > 0 and eval_rows:
        best = trainer.state.best_metric
        best_step = _best_step(trainer.state.best_model_checkpoint)
        final.update(best_validation_loss=best, best_step=best_step)
        planned = total_steps
        if trainer.state.global_step < planned and not callback.cancelled:
            final["stopped_early"] = True
            events(
                f"stopped early at step {trainer.state.global_step} of {planned}: no lower validation loss in "
                f"{patience} evaluations; keeping the model of step {best_step} (validation loss {best:.4g})"
            )
    final["compute_s"] = _compute_s()
    if callback.cancelled:
        events(f"training cancelled at step {trainer.state.global_step}", level="warn")
        return write_status(job_dir, status="cancelled", finished_at=_now(), **final)

    if eval_rows and not (patience > 0):
        last_eval_step = _last_metric_step(job_dir, "validation_loss")
        if last_eval_step != trainer.state.global_step:
            metrics = trainer.evaluate()
            callback.on_log(trainer.args, trainer.state, trainer.control, logs=metrics)
    if peft_mode == "lora":
        out_dir = job_dir / "adapter"
        trainer.model.save_pretrained(out_dir)
    else:
        out_dir = job_dir / "model"
        trainer.model.save_pretrained(out_dir)
        if scratch:
            (out_dir / "agenthone_scratch.json").write_text((base_dir / "agenthone_scratch.json").read_text())
    tokenizer.save_pretrained(out_dir)
    events(f"saved the {'LoRA adapter' if peft_mode == 'lora' else 'model'} to {out_dir.name}/")
    events(
        f"training finished: {final['steps']} steps in {runtime:.1f} s ({final['tokens_per_second'] or 0:.0f} tokens/s)"
    )
    _remove_checkpoints(job_dir)
    final["compute_s"] = _compute_s()
    return write_status(
        job_dir,
        status="succeeded",
        finished_at=_now(),
        output_dir=str(out_dir),
        peft=peft_mode,
        fine_tuned_model=str(out_dir),
        **final,
    )


def _warmup_steps(hp: Mapping[str, Any], total_steps: int) -> int:
    """``warmup_steps``, else ``warmup_ratio`` of the planned steps, else 5% of them."""
    if hp.get("warmup_steps") is not None:
        return int(hp["warmup_steps"])
    if hp.get("warmup_ratio") is not None:
        return int(float(hp["warmup_ratio"]) * total_steps)
    return max(1, total_steps // 20)


def _best_step(checkpoint: str | None) -> int | None:
    """The step of a ``checkpoint-N`` folder (where the trainer kept its best model)."""
    if not checkpoint:
        return None
    tail = Path(checkpoint).name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else None


def _remove_checkpoints(job_dir: Path) -> None:
    """The checkpoints kept for early stopping are not needed once the best model is saved."""
    import shutil

    shutil.rmtree(job_dir / "checkpoints", ignore_errors=True)


def _metric_lines(job_dir: Path) -> list[dict[str, Any]]:
    path = job_dir / "metrics.jsonl"
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def _last_metric(job_dir: Path, name: str) -> float | None:
    for line in reversed(_metric_lines(job_dir)):
        if name in line:
            return float(line[name])
    return None


def _last_metric_step(job_dir: Path, name: str) -> int | None:
    for line in reversed(_metric_lines(job_dir)):
        if name in line:
            return int(line["step"])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m agenthone.providers._local_worker JOB_DIR", file=sys.stderr)
        return 2
    job_dir = Path(args[0])

    def _on_term(signum: int, frame: Any) -> None:
        # the trainer stops at the end of the current step when it sees the flag
        (job_dir / "CANCEL").touch()

    signal.signal(signal.SIGTERM, _on_term)
    status = run_job(job_dir)
    return 0 if status.get("status") in ("succeeded", "cancelled") else 1


if __name__ == "__main__":
    from agenthone import _env

    _env.apply_offline_defaults()
    sys.exit(main())
