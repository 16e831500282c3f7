"""Run tool calls concurrently with asyncio: timeouts, a concurrency limit, isolation, retries, an audit log.

::

    executor = ToolExecutor({"get_order": get_order, "refund": refund}, concurrency=8, timeout=5.0,
                            idempotent={"get_order"}, audit_log="data/tools/audit.jsonl", agent="support")
    results = executor.run(message["tool_calls"])        # or: await executor.arun(...)

Plain functions run in worker threads, coroutine functions on the event loop. A call that raises, times
out or names an unknown tool gives a failed :class:`CallResult`; the other calls go on. Only tools marked
idempotent are retried (with exponential backoff). A tool with an output schema (``output_schemas``) whose
result does not conform fails with the validation errors. Each call adds one JSON line to the audit log (written
when its batch ends, so that redaction never delays a call): who
(``agent``), which tool, when, how long, the outcome, and the arguments with PII and secrets redacted by
the dataset stage's :class:`~agenthone.datasets.PiiRedactor`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agenthone.tools._schema import ToolError

__all__ = ["CallResult", "ToolCall", "ToolExecutor", "parse_calls"]


@dataclass(frozen=True)
class ToolCall:
    """One requested call: id, tool name and decoded arguments."""

    name: str
    arguments: dict[str, Any]
    id: str = ""


@dataclass
class CallResult:
    """What became of one call."""

    id: str
    name: str
    ok: bool
    value: Any = None
    error: str | None = None
    outcome: str = "ok"
    """``ok``, ``error``, ``timeout``, ``unknown_tool`` or ``invalid_output`` (the value fails the tool's output
    schema; it is kept in ``value``)."""
    attempts: int = 1
    duration_ms: float = 0.0

    def message(self) -> dict[str, Any]:
        """The ``tool`` chat message that answers the call (failures as ``{"error": ...}``)."""
        content = self.value if self.ok else {"error": self.error}
        text = content if isinstance(content, str) else json.dumps(content, default=str, ensure_ascii=False)
        return {"role": "tool", "tool_call_id": self.id, "content": text}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.name,
            "outcome": self.outcome,
            "attempts": self.attempts,
            "duration_ms": round(self.duration_ms, 2),
            "error": self.error,
        }


def parse_calls(calls: Iterable[Any]) -> list[ToolCall]:
    """Calls from OpenAI ``tool_calls`` (arguments as JSON text), ``{"name", "arguments"}`` dicts or ToolCalls."""
    out: list[ToolCall] = []
    for n, call in enumerate(calls):
        if isinstance(call, ToolCall):
            out.append(call)
            continue
        if not isinstance(call, Mapping):
            raise ToolError(f"tool call {n}: expected an object, got {type(call).__name__}")
        fn: Mapping[str, Any] = call["function"] if isinstance(call.get("function"), Mapping) else call
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            raise ToolError(f"tool call {n}: no function name")
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as exc:
                raise ToolError(f"tool call {n} ({name}): arguments are not valid JSON ({exc.msg})") from None
        if not isinstance(args, Mapping):
            raise ToolError(f"tool call {n} ({name}): arguments must be a JSON object")
        out.append(ToolCall(name=name, arguments=dict(args), id=str(call.get("id") or f"call_{n}")))
    return out


class ToolExecutor:
    """Executes tool calls concurrently (see the module docstring)."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        *,
        concurrency: int = 8,
        timeout: float | None = 30.0,
        timeouts: Mapping[str, float] | None = None,
        idempotent: Iterable[str] = (),
        retries: int = 2,
        backoff: float = 0.05,
        audit_log: str | Path | None = None,
        agent: str | None = None,
        redactor: Any = None,
        redact: bool = True,
        output_schemas: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ToolError(f"concurrency must be at least 1, got {concurrency}")
        if retries < 0:
            raise ToolError(f"retries must be >= 0, got {retries}")
        self.functions = dict(functions)
        self.concurrency = concurrency
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        self.idempotent = set(idempotent)
        self.retries = retries
        self.backoff = backoff
        self.audit_log = Path(audit_log) if audit_log is not None else None
        self.agent = agent
        self._redactor = redactor
        self._redact = redact
        self._lock = threading.Lock()
        self.output_schemas = {k: dict(v) for k, v in (output_schemas or {}).items()}
        self._pending: list[tuple[ToolCall, CallResult, datetime]] = []

    def _redacted(self, arguments: Mapping[str, Any]) -> str:
        text = json.dumps(arguments, default=str, ensure_ascii=False)
        if not self._redact:
            return text
        if self._redactor is None:
            from agenthone.datasets import PiiRedactor

            self._redactor = PiiRedactor()
        return str(self._redactor.redact_text(text)[0])

    def _audit(self, call: ToolCall, result: CallResult, started: datetime) -> None:
        if self.audit_log is not None:
            self._pending.append((call, result, started))

    def _flush_audit(self) -> None:
        """Write the batch's audit lines (redaction happens here, after the calls, so it never delays them)."""
        pending, self._pending = self._pending, []
        if self.audit_log is None or not pending:
            return
        lines = []
        for call, result, started in pending:
            lines.append(
                json.dumps(
                    {
                        "timestamp": started.isoformat(),
                        "agent": self.agent,
                        "call_id": call.id,
                        "tool": call.name,
                        "arguments": self._redacted(call.arguments),
                        "duration_ms": round(result.duration_ms, 2),
                        "outcome": result.outcome,
                        "attempts": result.attempts,
                        "error": result.error,
                    },
                    ensure_ascii=False,
                )
            )
        with self._lock:
            self.audit_log.parent.mkdir(parents=True, exist_ok=True)
            with self.audit_log.open("a", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in lines))

    async def _once(self, fn: Callable[..., Any], call: ToolCall, limit: float | None, pool: Executor) -> Any:
        if inspect.iscoroutinefunction(fn):
            return await asyncio.wait_for(fn(**call.arguments), limit)
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(pool, lambda: fn(**call.arguments)), limit)

    async def _call(self, call: ToolCall, gate: asyncio.Semaphore, pool: Executor) -> CallResult:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        fn = self.functions.get(call.name)
        if fn is None:
            result = CallResult(call.id, call.name, False, error=f"unknown tool {call.name!r}", outcome="unknown_tool")
            self._audit(call, result, started)
            return result
        limit = self.timeouts.get(call.name, self.timeout)
        tries = 1 + (self.retries if call.name in self.idempotent else 0)
        result = CallResult(call.id, call.name, False)
        async with gate:
            for attempt in range(1, tries + 1):
                result.attempts = attempt
                try:
                    result.value = await self._once(fn, call, limit, pool)
                    result.ok, result.outcome, result.error = True, "ok", None
                    schema = self.output_schemas.get(call.name)
                    if schema is not None:
                        from agenthone.tools._outputs import validate_output

                        checked = validate_output(result.value, schema)
                        if not checked.ok:  # a wrong shape is not transient: no retry
                            result.ok, result.outcome = False, "invalid_output"
                            result.error = "; ".join(str(e) for e in checked.errors[:3])
                    break
                except TimeoutError:
                    result.outcome, result.error = "timeout", f"timed out after {limit:g} s"
                except Exception as exc:  # isolation: a tool's failure is its own result
                    result.outcome, result.error = "error", f"{type(exc).__name__}: {exc}"
                if attempt < tries:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        result.duration_ms = (time.perf_counter() - clock) * 1e3
        self._audit(call, result, started)
        return result

    async def arun(self, calls: Iterable[Any]) -> list[CallResult]:
        """Run the calls concurrently; results in the calls' order."""
        parsed = parse_calls(calls)
        return await self._gather(parsed, self.concurrency)

    async def _gather(self, parsed: list[ToolCall], concurrency: int) -> list[CallResult]:
        gate = asyncio.Semaphore(concurrency)
        # a thread that outlives its timeout cannot be stopped: the pool is not waited for, so it does not
        # hold up the results (it still runs to its end in the background)
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="hone-tool")
        try:
            if concurrency == 1:
                return [await self._call(c, gate, pool) for c in parsed]
            return list(await asyncio.gather(*(self._call(c, gate, pool) for c in parsed)))
        finally:
            pool.shutdown(wait=False)
            self._flush_audit()

    def run(self, calls: Iterable[Any]) -> list[CallResult]:
        """:meth:`arun` from synchronous code (in a notebook with a running loop, ``await arun`` instead)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.arun(calls))
        box: list[list[CallResult]] = []
        worker = threading.Thread(target=lambda: box.append(asyncio.run(self.arun(calls))))
        worker.start()
        worker.join()
        return box[0]

    def run_sequential(self, calls: Iterable[Any]) -> list[CallResult]:
        """The same calls one after another (the baseline the benchmark compares with)."""
        return asyncio.run(self._gather(parse_calls(calls), 1))


def results_messages(results: Sequence[CallResult]) -> list[dict[str, Any]]:
    """The ``tool`` messages answering each call, in order."""
    return [r.message() for r in results]
