"""Prompts and the unattended loop benchmark: what replay and watch add on top of the work they must do.

1. Replay overhead: ``replay`` of N past requests through the production prompt and one variant with a tiny
   local model, against the ceiling, the same model's ``generate`` called directly on the same conversations
   (same batches, same generation budget). The ratio is replay's wall time over the ceiling's: sampling the
   requests, scoring, the paired bootstrap and the MLflow run are the overhead: a fixed 0.5-1 s per replay,
   so the default sample (128 requests, 256 generations) makes the tiny model's generation cost what a real
   model's would be, the bulk of the work.
2. ``watch`` on the small sample (alerts, drift tests of every agent, new-pattern mining): wall time, warm.
3. A notification to a local webhook server: seconds per delivery (JSON body, record appended).

    python benchmarks/prompts.py [--sample 128] [--workdir DIR]

Progress goes to stderr; the last line of stdout is one JSON object with the figures and a ``summary``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TARGET_REPLAY_OVERHEAD = 1.25
TARGET_WATCH_S = 10.0
TARGET_NOTIFY_S = 0.5


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _hook_server() -> Iterator[str]:
    """A local webhook receiver answering 200 to every post."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=128)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="hone-bench-prompts-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["HONE_HOME"] = str(work)

    from agenthone.prompts import historical_requests, replay
    from agenthone.providers import get_chat_provider
    from agenthone.providers._local_model import build_scratch_model
    from agenthone.sample import generate_sample
    from agenthone.watch import Webhook, notify, watch
    from agenthone.workbench import Workbench

    log(f"sample and store in {work}")
    sample = work / "data" / "sample"
    if not (sample / "ground_truth.json").exists():
        generate_sample(sample, seed=0, scale="small")
    truth = json.loads((sample / "ground_truth.json").read_text())
    agent = truth["effects"]["filler_phrase"]["agent"]
    with Workbench.open(work) as wb:
        if wb.store.counts().get("edits", 0) == 0:
            for kind, name in (("run", "runs"), ("edit", "edits")):
                wb.ingest(sample / f"{name}.jsonl", kind)
    figures: dict[str, Any] = {}
    with Workbench.open(work, read_only=True) as wb:
        doc = json.loads((sample / "prompts.json").read_text())
        wb.prompts.import_prompts({agent: doc["prompts"][agent]}, production=doc["production"])
        better = truth["effects"]["filler_phrase"]["better_prompt"]["label"]
        past = historical_requests(wb.store, agent, sample=args.sample)
        examples = [{"messages": [*m, {"role": "assistant", "content": r}]}
                    for m, r in zip(past["messages"], past["reference"], strict=True)]  # fmt: skip
        folder = build_scratch_model(examples, work / "tiny-model")
        model = get_chat_provider("local", settings=wb.settings).chat_model(str(folder))
        max_new = 48
        prompts = [wb.prompts.get(agent, "production"), wb.prompts.get(agent, better)]
        conversations = [[{"role": "system", "content": p.template}, *m] for p in prompts for m in past["messages"]]
        model.generate(conversations[:16], max_new_tokens=max_new, temperature=0.0)  # warm up
        t0 = time.perf_counter()
        for start in range(0, len(conversations), 16):
            model.generate(conversations[start : start + 16], max_new_tokens=max_new, temperature=0.0)
        ceiling = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = replay(wb.store, agent, variants=[better], model=model, settings=wb.settings, sample=args.sample,
                        max_new_tokens=max_new)  # fmt: skip
        ours = time.perf_counter() - t0
        log(f"replay {ours:.2f} s vs generate alone {ceiling:.2f} s ({len(conversations)} generations)")
        difference = float(result.ranking()["mean_difference"].iloc[0])
        figures["replay"] = {"seconds": round(ours, 3), "ceiling_seconds": round(ceiling, 3),
                             "ratio": round(ours / ceiling, 3), "generations": len(conversations),
                             "edit_similarity_difference": round(difference, 4)}  # fmt: skip
        watch(wb.store)
        t0 = time.perf_counter()
        checked = watch(wb.store)
        figures["watch"] = {"seconds": round(time.perf_counter() - t0, 3), "tests": len(checked.drift),
                            "needs_person": checked.needs_person}  # fmt: skip
        log(f"watch {figures['watch']['seconds']} s")

    with _hook_server() as url:
        hook = Webhook(name="bench", url=f"{url}/hook")
        n = 20
        t0 = time.perf_counter()
        for _ in range(n):
            notify(checked.title, checked.summary(), webhooks=[hook], data=checked.as_dict(),
                   record=work / "notifications.jsonl")  # fmt: skip
        per = (time.perf_counter() - t0) / n
    figures["notify"] = {"seconds_per_delivery": round(per, 4)}
    summary = [
        {"figure": "replay / generate alone", "value": figures["replay"]["ratio"], "op": "<=",
         "target": TARGET_REPLAY_OVERHEAD, "unit": "x"},
        {"figure": "watch on the small sample", "value": figures["watch"]["seconds"], "op": "<=",
         "target": TARGET_WATCH_S, "unit": "s"},
        {"figure": "webhook delivery", "value": figures["notify"]["seconds_per_delivery"], "op": "<=",
         "target": TARGET_NOTIFY_S, "unit": "s"},
    ]  # fmt: skip
    print(json.dumps({"benchmark": "prompts", **figures, "summary": summary}))


if __name__ == "__main__":
    main()
