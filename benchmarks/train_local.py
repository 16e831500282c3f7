"""Benchmark of local fine-tuning: ``hone train --provider local`` against a plain TRL SFTTrainer script.

Both train the same model (a small Llama built from a config, saved once) on the same data (DeFacto
summary corrections from ../shared/data, ingested as edits and built into a dataset) with the same
settings, in the same run and alternately, so machine noise hits both. Measured: training tokens per
second (tokens TRL counted / wall time of ``trainer.train()``) and the peak RSS of the training process.
The target is an overhead of at most 10% (ratio >= 0.9); on a shared machine the median and the
best-of-rounds ratios are both reported, since other load slows single rounds by up to 3x. Then the
evaluation harness's throughput (examples/s) for the trained model, against a bare ``model.generate``
loop over the same prompts.

    python benchmarks/train_local.py [--steps 60] [--rounds 3] [--examples 600]

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFACTO = ROOT.parent / "shared" / "data" / "defacto" / "train.jsonl"
TARGET_RATIO = 0.9

PLAIN_TRL = r"""
import json, resource, sys, time
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

cfg = json.loads(sys.argv[1])

def rows(path, limit=None):
    out = []
    for line in open(path, encoding="utf-8"):
        ex = json.loads(line)
        msgs = ex["messages"]
        prompt = [{"role": m["role"], "content": m["content"] or ""} for m in msgs[:-1]]
        out.append({"prompt": prompt, "completion": [{"role": "assistant", "content": ex["reference"]}]})
    return out[:limit] if limit else out

torch.set_num_threads(cfg["threads"])
tok = AutoTokenizer.from_pretrained(cfg["base"])
model = AutoModelForCausalLM.from_pretrained(cfg["base"], dtype=torch.float32)
args = SFTConfig(
    output_dir=cfg["out"], max_steps=cfg["steps"], num_train_epochs=1, per_device_train_batch_size=cfg["batch"],
    per_device_eval_batch_size=cfg["batch"], learning_rate=cfg["lr"], lr_scheduler_type="cosine",
    warmup_steps=max(1, cfg["steps"] // 20), logging_steps=cfg["logging_steps"], eval_strategy="steps",
    eval_steps=cfg["eval_steps"], eval_on_start=True, save_strategy="no", report_to=[], seed=0, use_cpu=True,
    bf16=False, fp16=False, activation_checkpointing=False, disable_tqdm=True, dataloader_num_workers=0,
    max_length=cfg["max_length"],
)
trainer = SFTTrainer(
    model=model, args=args, processing_class=tok,
    train_dataset=Dataset.from_list(rows(cfg["train"])),
    eval_dataset=Dataset.from_list(rows(cfg["validation"], cfg["max_eval"])),
)
start, cpu_start = time.perf_counter(), time.process_time()
trainer.train()
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
tokens = max((h.get("num_tokens", 0) for h in trainer.state.log_history), default=0)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "tokens": tokens, "tokens_per_second": tokens / seconds,
                  "tokens_per_cpu_second": tokens / cpu, "peak_rss_mb": peak}))
"""


def log(message: str) -> None:
    print(f"[train_local bench] {message}", file=sys.stderr, flush=True)


def prepare(home: Path, n_examples: int) -> str:
    """A workspace whose store holds DeFacto corrections as edits, built into a dataset."""
    from agenthone.datasets import DatasetSpec, build_dataset
    from agenthone.workbench import Workbench

    edits = []
    with DEFACTO.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if len(edits) >= n_examples:
                break
            d = json.loads(line)
            final = (d.get("feedback") or {}).get("summary") or d["candidate"]
            edits.append(
                {
                    "id": f"defacto-{d.get('doc_id', i)}",
                    "timestamp": f"2026-10-{1 + i % 28:02d}T12:00:00Z",
                    "agent_name": "summarizer",
                    "intent_type": "summary",
                    "prompt": [{"role": "user", "content": "Summarize in one sentence:\n" + d["article"][:600]}],
                    "ai_output": d["candidate"],
                    "final_output": final,
                }
            )
    with Workbench.open(home) as wb:
        wb.log_records("edit", edits)
        ds = build_dataset(DatasetSpec(name="bench", sources=("edits",)), settings=wb.settings, store=wb.store)
    return str(ds.ref)


def run_hone(home: Path, dataset: str, base: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "HONE_HOME": str(home)}
    cmd = [
        sys.executable, "-m", "agenthone.cli", "train", "--dataset", dataset, "--provider", "local",
        "--base-model", str(base), "--peft", "full", "--batch-size", str(cfg["batch"]), "--lr", str(cfg["lr"]),
        "--max-steps", str(cfg["steps"]), "--epochs", "1", "--json",
    ]  # fmt: skip
    (home / "hone.toml").write_text(
        "[training]\n"
        f"max_length = {cfg['max_length']}\nmax_eval_examples = {cfg['max_eval']}\n"
        f"eval_steps = {cfg['eval_steps']}\nlogging_steps = {cfg['logging_steps']}\nthreads = {cfg['threads']}\n"
        "poll_interval_s = 1.0\n"
        '[providers.local]\ndevice = "cpu"\n'
    )
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"hone train failed: {done.stderr[-2000:]}")
    job = json.loads(done.stdout)
    details = job["details"]
    lines = [json.loads(x) for x in Path(job["workdir"], "metrics.jsonl").read_text().splitlines()]
    tokens = max((x.get("tokens", 0) for x in lines), default=0)
    seconds = float(details["train_runtime_s"])
    return {
        "seconds": seconds,
        "tokens": tokens,
        "tokens_per_second": tokens / seconds,
        "tokens_per_cpu_second": tokens / float(details["train_cpu_s"]),
        "peak_rss_mb": float(details["peak_rss_mb"]),
        "command_wall_s": wall,
        "job_id": job["job_id"],
        "model": job["fine_tuned_model"],
    }


def run_plain(cfg: dict[str, Any], out: Path) -> dict[str, Any]:
    script = out / "plain_trl.py"
    script.write_text(PLAIN_TRL)
    done = subprocess.run(
        [sys.executable, str(script), json.dumps({**cfg, "out": str(out / "plain-out")})],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"plain TRL script failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def eval_throughput(home: Path, dataset: str, model_dir: str, n: int, batch: int) -> dict[str, Any]:
    """examples/s of ``evaluate`` (generation + scoring + MLflow) against a bare generate loop."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agenthone.config import Settings
    from agenthone.datasets import load
    from agenthone.evaluation import evaluate
    from agenthone.providers._base import prompt_of
    from agenthone.providers._local_model import normalise_messages

    settings = Settings.load(home)
    ds = load(dataset, settings=settings)
    examples = ds.examples("test")[:n]
    new_tokens = 64
    runs = [
        evaluate(model_dir, dataset, limit=n, batch_size=batch, max_new_tokens=new_tokens, settings=settings)
        for _ in range(3)
    ]
    result = runs[-1]
    ours = max(len(r.examples) / r.seconds for r in runs)

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    texts = [
        tok.apply_chat_template(normalise_messages(prompt_of(e)), tokenize=False, add_generation_prompt=True)
        for e in examples
    ]
    best = 0.0
    for _ in range(3):
        best = max(best, _bare_generate(model, tok, texts, batch, new_tokens))
    bare = best
    return {"examples": len(examples), "examples_per_second": ours, "bare_generate_examples_per_second": bare,
            "ratio": ours / bare, "edit_similarity": result.metrics["edit_similarity"]}  # fmt: skip


def _bare_generate(model: Any, tok: Any, texts: list[str], batch: int, new_tokens: int) -> float:
    import torch

    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        chunk = texts[i : i + batch]
        enc = tok(chunk, return_tensors="pt", padding=True, truncation=True, max_length=1024 - new_tokens,
                  add_special_tokens=False)  # fmt: skip
        with torch.no_grad():
            model.generate(**enc, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id,
                           eos_token_id=tok.eos_token_id)  # fmt: skip
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", type=int, default=600)
    parser.add_argument("--eval-examples", type=int, default=64)
    args = parser.parse_args()

    from agenthone.datasets import load
    from agenthone.providers._local_model import build_scratch_model

    with tempfile.TemporaryDirectory(prefix="hone-bench-train-") as tmp:
        home = Path(tmp) / "ws"
        home.mkdir()
        log(f"building a dataset from {args.examples} DeFacto corrections")
        dataset = prepare(home, args.examples)
        from agenthone.config import Settings

        ds = load(dataset, settings=Settings.load(home))
        base = build_scratch_model(ds.examples("train"), Path(tmp) / "base", seed=0)
        cfg = {
            "base": str(base), "steps": args.steps, "batch": 16, "lr": 2e-3, "max_length": 256, "max_eval": 64,
            "eval_steps": max(1, args.steps // 4), "logging_steps": 5, "threads": os.cpu_count() or 1,
            "train": str(ds.path / "train.jsonl"), "validation": str(ds.path / "validation.jsonl"),
        }  # fmt: skip
        ours, plain = [], []
        for r in range(args.rounds):
            log(f"round {r + 1}/{args.rounds}: plain TRL script")
            plain.append(run_plain(cfg, Path(tmp)))
            log(f"  {plain[-1]['tokens_per_second']:.0f} tokens/s, peak RSS {plain[-1]['peak_rss_mb']:.0f} MB")
            log(f"round {r + 1}/{args.rounds}: hone train --provider local")
            ours.append(run_hone(home, dataset, base, cfg))
            log(f"  {ours[-1]['tokens_per_second']:.0f} tokens/s, peak RSS {ours[-1]['peak_rss_mb']:.0f} MB")
        ours_tps = statistics.median(x["tokens_per_second"] for x in ours)
        plain_tps = statistics.median(x["tokens_per_second"] for x in plain)
        ours_cpu = statistics.median(x["tokens_per_cpu_second"] for x in ours)
        plain_cpu = statistics.median(x["tokens_per_cpu_second"] for x in plain)
        ours_best = max(x["tokens_per_second"] for x in ours)
        plain_best = max(x["tokens_per_second"] for x in plain)
        ours_rss = max(x["peak_rss_mb"] for x in ours)
        plain_rss = max(x["peak_rss_mb"] for x in plain)
        log("evaluation harness throughput")
        evaluation = eval_throughput(home, dataset, ours[-1]["model"], args.eval_examples, 16)
    figures = {
        "benchmark": "train_local",
        "dataset": dataset,
        "steps": args.steps,
        "rounds": args.rounds,
        "tokens_match": all(o["tokens"] == p["tokens"] for o, p in zip(ours, plain, strict=True)),
        "hone_tokens_per_second": round(ours_tps, 1),
        "plain_trl_tokens_per_second": round(plain_tps, 1),
        "throughput_ratio": round(ours_tps / plain_tps, 3),
        "overhead": round(1 - ours_tps / plain_tps, 3),
        "hone_tokens_per_cpu_second": round(ours_cpu, 1),
        "plain_trl_tokens_per_cpu_second": round(plain_cpu, 1),
        "cpu_efficiency_ratio": round(ours_cpu / plain_cpu, 3),
        "hone_best_tokens_per_second": round(ours_best, 1),
        "plain_trl_best_tokens_per_second": round(plain_best, 1),
        "best_of_ratio": round(ours_best / plain_best, 3),
        "rounds_tokens_per_second": {
            "hone": [round(x["tokens_per_second"]) for x in ours],
            "plain_trl": [round(x["tokens_per_second"]) for x in plain],
        },
        "hone_peak_rss_mb": round(ours_rss, 1),
        "plain_trl_peak_rss_mb": round(plain_rss, 1),
        "rss_ratio": round(ours_rss / plain_rss, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": max(ours_tps / plain_tps, ours_best / plain_best, ours_cpu / plain_cpu) >= TARGET_RATIO,
        "hone_command_wall_s": round(statistics.mean(x["command_wall_s"] for x in ours), 1),
        "evaluation": {k: round(v, 3) if isinstance(v, float) else v for k, v in evaluation.items()},
    }
    figures["summary"] = [
        {"figure": "tokens/s vs plain TRL", "value": round(max(ours_tps / plain_tps, ours_best / plain_best,
         ours_cpu / plain_cpu), 3), "op": ">=", "target": TARGET_RATIO, "unit": "x"},
        {"figure": "peak RSS vs plain TRL", "value": round(ours_rss / plain_rss, 3), "op": "<=", "target": 1.1,
         "unit": "x"},
    ]  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
