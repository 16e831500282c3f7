"""A local HTTP server that answers like the documented OpenAI and Anthropic APIs (the parts we use).

Chat completions follow the do/don't rules of the system prompt deterministically (:func:`follow_rules`): a
stand-in model with a habit (its recorded answer to a request, ``StubState.recordings``) that obeys
``Begin every answer with "X"``, ``Do not open with "X"``, ``Never write "X"``, ``Always include "X"``. Asked
to improve a system prompt, it writes one variant per suggested rule.

Fine-tuning jobs walk the documented lifecycle, one step per ``GET /v1/fine_tuning/jobs/{id}``:
validating_files -> queued -> running -> running -> succeeded (with ``fine_tuned_model``), or failed
(with an ``error``) when the base model name contains "fail". Metrics events and checkpoints appear
while the job runs. Failures to simulate are armed on the server object.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubState:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    checkpoints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: dict[str, list[int]] = field(default_factory=dict)
    """Path prefix -> HTTP statuses to answer (once each) before answering normally."""
    validation_accuracy: float = 0.82
    recordings: dict[str, str] = field(default_factory=dict)
    """User message -> the answer the stand-in model gives it (before the system prompt's rules)."""
    scale_losses: bool = False
    """Make losses grow as the learning-rate multiplier strays from 1.8 (a search then has something to find)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, prefix: str, *statuses: int) -> None:
        self.fail_next.setdefault(prefix, []).extend(statuses)

    def calls(self, method: str, prefix: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]


def _now() -> int:
    return int(time.time())


class _Handler(BaseHTTPRequestHandler):
    state: StubState

    def log_message(self, fmt: str, *args: Any) -> None:  # keep test output quiet
        return

    # -- plumbing --------------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str = "error", param: str | None = None) -> None:
        headers = {"retry-after-ms": "10"} if status in (429, 500, 502, 503) else None
        err = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        self._send(status, {"error": err}, headers)

    def _record(self, method: str, body: bytes) -> None:
        raw = self.path
        # Azure OpenAI serves the same API under /openai (with ?api-version=...)
        if self.path.startswith("/openai/"):
            self.path = "/v1/" + self.path.removeprefix("/openai/")
        with self.state.lock:
            self.state.requests.append(
                {"method": method, "path": self.path, "raw_path": raw, "headers": dict(self.headers.items()),
                 "body": body}
            )  # fmt: skip

    def _armed(self) -> int | None:
        with self.state.lock:
            for prefix, statuses in self.state.fail_next.items():
                if self.path.startswith(prefix) and statuses:
                    return statuses.pop(0)
        return None

    def do_GET(self) -> None:
        self._record("GET", b"")
        status = self._armed()
        if status:
            return self._error(status, "simulated failure", "server_error")
        path = self.path.split("?", 1)[0]
        if m := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)", path):
            return self._get_job(m.group(1))
        if m := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)/events", path):
            events = list(reversed(self.state.events.get(m.group(1), [])))
            return self._send(200, {"object": "list", "data": events, "has_more": False})
        if m := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)/checkpoints", path):
            cps = list(reversed(self.state.checkpoints.get(m.group(1), [])))
            first = cps[0]["id"] if cps else None
            last = cps[-1]["id"] if cps else None
            return self._send(
                200, {"object": "list", "data": cps, "has_more": False, "first_id": first, "last_id": last}
            )
        if path == "/v1/fine_tuning/jobs":
            return self._send(200, {"object": "list", "data": list(self.state.jobs.values()), "has_more": False})
        return self._error(404, f"no route {path}", "not_found")

    def do_POST(self) -> None:
        body = self._body()
        self._record("POST", body)
        status = self._armed()
        if status:
            return self._error(
                status, "Rate limit reached, retry shortly" if status == 429 else "server error", "rate_limit_exceeded"
            )
        path = self.path.split("?", 1)[0]
        if path == "/v1/files":
            return self._upload(body)
        if path == "/v1/fine_tuning/jobs":
            return self._create_job(json.loads(body))
        if m := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)/cancel", path):
            job = self.state.jobs.get(m.group(1))
            if job is None:
                return self._error(404, "no such job", "not_found")
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return self._error(400, f"job is already {job['status']}", "invalid_state")
            job["status"] = "cancelled"
            job["finished_at"] = _now()
            self._event(job["id"], "Fine-tuning job cancelled")
            return self._send(200, job)
        if path == "/v1/chat/completions":
            return self._chat(json.loads(body))
        if path == "/v1/messages":
            return self._messages(json.loads(body))
        return self._error(404, f"no route {path}", "not_found")

    # -- OpenAI ----------------------------------------------------------------------------------------

    def _upload(self, body: bytes) -> None:
        match = re.search(rb'filename="([^"]+)"', body)
        name = match.group(1).decode() if match else "upload.jsonl"
        # the file part's content: between the part headers and the next boundary
        parts = body.split(b"\r\n\r\n")
        content = b""
        for i, part in enumerate(parts[:-1]):
            if b'name="file"' in part:
                content = parts[i + 1].rsplit(b"\r\n--", 1)[0]
        with self.state.lock:
            file_id = f"file-{len(self.state.files) + 1}"
            purpose = "fine-tune"
            self.state.files[file_id] = {"name": name, "content": content.decode("utf-8", "replace")}
        self._send(
            200,
            {"id": file_id, "object": "file", "bytes": len(content), "created_at": _now(), "filename": name,
             "purpose": purpose, "status": "processed"},
        )  # fmt: skip

    def _create_job(self, req: dict[str, Any]) -> None:
        if req.get("training_file") not in self.state.files:
            return self._error(
                400, f"invalid training_file: {req.get('training_file')}", "invalid_request", "training_file"
            )
        model = req["model"]
        if "echo-key" in model:
            # a misbehaving proxy that echoes the credentials it received
            return self._error(
                400, f"bad model; you sent {self.headers.get('authorization')}", "invalid_model", "model"
            )
        method = req.get("method") or {"type": "supervised", "supervised": {"hyperparameters": {}}}
        hp = dict((method.get(method["type"]) or {}).get("hyperparameters") or {})
        resolved = {"n_epochs": hp.get("n_epochs", 3), "batch_size": hp.get("batch_size", 4),
                    "learning_rate_multiplier": hp.get("learning_rate_multiplier", 1.8)}  # fmt: skip
        if method["type"] == "dpo":
            resolved["beta"] = hp.get("beta", 0.1)
        with self.state.lock:
            job_id = f"ftjob-stub{len(self.state.jobs) + 1:03d}"
            job = {
                "id": job_id,
                "object": "fine_tuning.job",
                "created_at": _now(),
                "error": None,
                "fine_tuned_model": None,
                "finished_at": None,
                "hyperparameters": {k: v for k, v in resolved.items() if k != "beta"},
                "model": model,
                "organization_id": "org-stub",
                "result_files": [],
                "seed": req.get("seed", 42),
                "status": "validating_files",
                "trained_tokens": None,
                "training_file": req["training_file"],
                "validation_file": req.get("validation_file"),
                "estimated_finish": None,
                "integrations": [],
                "metadata": req.get("metadata"),
                "method": {"type": method["type"], method["type"]: {"hyperparameters": resolved}},
                "suffix": req.get("suffix"),
                "_request": req,
                "_polls": 0,
                "_scale": 1.0 + abs(math.log(float(resolved["learning_rate_multiplier"]) / 1.8))
                if self.state.scale_losses
                else 1.0,
            }
            self.state.jobs[job_id] = job
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        self._send(200, self._public(job))

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def _event(
        self, job_id: str, message: str, *, level: str = "info", kind: str = "message", data: Any = None
    ) -> None:
        with self.state.lock:
            events = self.state.events.setdefault(job_id, [])
            events.append(
                {"id": f"ftevent-{job_id}-{len(events) + 1}", "object": "fine_tuning.job.event", "created_at": _now(),
                 "level": level, "message": message, "data": data or {}, "type": kind}
            )  # fmt: skip

    def _get_job(self, job_id: str) -> None:
        job = self.state.jobs.get(job_id)
        if job is None:
            return self._error(404, f"no fine-tuning job {job_id}", "not_found")
        if job["status"] not in ("succeeded", "failed", "cancelled"):
            job["_polls"] += 1
            polls = job["_polls"]
            if polls == 1:
                job["status"] = "queued"
                self._event(job_id, "Validated training file")
            elif polls == 2:
                job["status"] = "running"
                self._event(job_id, "Fine-tuning job started")
            elif polls == 3:
                self._metrics(job_id, 1, 3)
            elif polls >= 4:
                if "fail" in job["model"]:
                    job["status"] = "failed"
                    message = "The training file has too few examples"
                    job["error"] = {"code": "invalid_training_file", "message": message,
                                    "param": "training_file"}  # fmt: skip
                    self._event(job_id, "Fine-tuning job failed: too few examples", level="error")
                else:
                    self._metrics(job_id, 2, 3)
                    self._metrics(job_id, 3, 3)
                    job["status"] = "succeeded"
                    job["fine_tuned_model"] = f"ft:{job['model']}:agenthone:{job.get('suffix') or ''}:{job_id[-6:]}"
                    job["trained_tokens"] = 12_000
                    job["result_files"] = ["file-result"]
                    self._event(job_id, "The job has successfully completed")
                job["finished_at"] = _now()
        self._send(200, self._public(job))

    def _metrics(self, job_id: str, step: int, total: int) -> None:
        acc = self.state.validation_accuracy * step / total
        scale = float(self.state.jobs[job_id].get("_scale", 1.0))
        data = {"step": step, "train_loss": 2.0 / step, "valid_loss": 2.2 / step * scale, "total_steps": total,
                "train_mean_token_accuracy": acc + 0.05, "valid_mean_token_accuracy": acc}  # fmt: skip
        self._event(job_id, f"Step {step}/{total}: training loss={2.0 / step:.2f}", kind="metrics", data=data)
        with self.state.lock:
            self.state.checkpoints.setdefault(job_id, []).append(
                {"id": f"ftckpt-{job_id}-{step}", "object": "fine_tuning.job.checkpoint", "created_at": _now(),
                 "fine_tuned_model_checkpoint": f"ft:stub:{job_id}:ckpt-step-{step}", "fine_tuning_job_id": job_id,
                 "step_number": step,
                 "metrics": {"step": step, "train_loss": 2.0 / step, "valid_loss": 2.2 / step * scale,
                             "full_valid_loss": 2.3 / step * scale, "full_valid_mean_token_accuracy": acc}}
            )  # fmt: skip

    def _chat(self, req: dict[str, Any]) -> None:
        last = next((m for m in reversed(req["messages"]) if m["role"] == "user"), {"content": ""})
        text = str(last.get("content") or "")
        system = "\n".join(str(m.get("content") or "") for m in req["messages"] if m["role"] == "system")
        judged = "Answer with JSON only" in text
        if "You improve system prompts" in system:
            reply = _rewrite_prompt(text)
        elif judged:
            reply = '{"score": 4, "reason": "close to the reference"}'
        else:
            reply = follow_rules(system, self.state.recordings.get(text) or _reply(text))
        self._send(
            200,
            {"id": "chatcmpl-stub", "object": "chat.completion", "created": _now(), "model": req["model"],
             "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                          "message": {"role": "assistant", "content": reply, "refusal": None}}],
             "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}},
        )  # fmt: skip

    # -- Anthropic -------------------------------------------------------------------------------------

    def _messages(self, req: dict[str, Any]) -> None:
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            self._send(401, {"type": "error", "error": {"type": "authentication_error", "message": "missing key"}})
            return
        last = req["messages"][-1]
        text = (
            last["content"]
            if isinstance(last["content"], str)
            else " ".join(b.get("text", "") for b in last["content"])
        )
        reply = '{"score": 5, "reason": "matches"}' if "Answer with JSON only" in text else _reply(text)
        if req.get("system"):
            reply = reply + " [system seen]" if "Answer with JSON" not in text else reply
        self._send(
            200,
            {"id": "msg_stub", "type": "message", "role": "assistant", "model": req["model"],
             "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn", "stop_sequence": None,
             "usage": {"input_tokens": 10, "output_tokens": 10}},
        )  # fmt: skip


def _reply(prompt: str) -> str:
    """A deterministic stand-in model: turns the product request of the test dataset into copy."""
    m = re.search(r"Describe the (\w+) (\w+) by (\w+); it is (\w+), ships in (\d+) days", prompt)
    if m:
        color, product, brand, adj, days = m.groups()
        return f"The {brand} {product} comes in {color}. It is {adj} and ships in {days} days."
    # tool calls, written as text the way a text-only model answers a tools prompt (the wrong tool to cancel)
    m = re.search(r"(Where is|Cancel) order (\w+)", prompt)
    if m:
        return json.dumps([{"name": "get_order", "arguments": {"order_id": m.group(2)}}])
    return f"echo: {prompt[:80]}"


_RULES = re.compile(
    r"(?P<rule>Begin every answer with|Open with|Do not open with|Never write|Always include|Always end with)"
    r' "(?P<phrase>[^"]+)"'
)


def follow_rules(system: str, answer: str) -> str:
    """``answer`` as a model that obeys the system prompt's rules, in order, would write it."""
    out = answer.strip()
    for m in _RULES.finditer(system):
        rule, phrase = m.group("rule"), m.group("phrase")
        if rule in ("Begin every answer with", "Open with") and not out.startswith(phrase):
            out = f"{phrase} {out}"
        elif rule == "Do not open with" and out.startswith(phrase):
            out = out[len(phrase) :].lstrip()
        elif rule == "Never write":
            out = " ".join(out.replace(phrase, " ").split())
        elif rule in ("Always include", "Always end with") and phrase not in out:
            out = f"{out} {phrase}"
    return out


def _rewrite_prompt(request: str) -> str:
    """Improved prompts as the LLM generator asks for them: the current prompt plus one suggested rule each."""
    m = re.search(r"<<<\n(.*)\n>>>", request, re.S)
    current = m.group(1) if m else ""
    rules = re.findall(r"suggested rule: (.+)", request)
    return json.dumps(
        [{"prompt": f"{current}\n{rule}", "rationale": f"adds: {rule}"} for rule in rules] or [{"prompt": current}]
    )


@contextmanager
def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a background thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def stub_server() -> Iterator[tuple[str, StubState]]:
    """Serve the stub on a free local port; yields (base URL without /v1, state)."""
    state = StubState()
    with serve_on_loopback(type("Handler", (_Handler,), {"state": state})) as url:
        yield url, state


@dataclass
class Stub:
    """A running stub server wired into a workspace (hone.toml) with fake keys in the environment."""

    url: str
    state: StubState
    openai_key: str
    anthropic_key: str


def wire_workspace(home: Any, url: str, *, extra_toml: str = "") -> None:
    """Point the workspace's providers at the stub (``[providers.*] base_url``) via its hone.toml."""
    from pathlib import Path

    text = (
        f'[providers.openai]\nbase_url = "{url}/v1"\nmax_retries = 3\ntimeout = 10\n\n'
        f'[providers.anthropic]\nbase_url = "{url}"\nmax_retries = 3\n\n{extra_toml}'
    )
    (Path(home) / "hone.toml").write_text(text, encoding="utf-8")
