"""Check a fine-tuning file before it is uploaded: format errors by line, token counts, epochs and cost.

The OpenAI chat checks follow the OpenAI cookbook notebook "Data preparation and analysis for chat model
fine-tuning" (its error categories, its token counting and its default-epochs rule), updated for the
current API: ``tool`` and ``developer`` roles, ``tool_calls`` (with ``content`` None), ``tool_call_id``,
``weight`` 0/1 on assistant messages, and a top-level ``tools`` list. Errors are reported per category with
the line numbers where they occur; ``counts`` holds the number of occurrences as the cookbook counts them
(per message for message-level categories).

Token counts (see :class:`~agenthone.datasets._tokens.TokenCounter`) follow the cookbook exactly: 3 tokens
per message, the tokens of every field's value, +1 per ``name``, +3 per example. Fields that are not text
(``tool_calls``, ``content`` parts) are counted as their compact JSON, and ``weight`` is not counted: it is
a training instruction, not text the model sees.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agenthone.datasets._prices import ModelInfo, default_model_for, model_info
from agenthone.datasets._tokens import TokenCounter
from agenthone.errors import HoneError

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.config import Settings

__all__ = [
    "VALIDATION_FORMATS",
    "Distribution",
    "ValidationError",
    "ValidationFormat",
    "ValidationReport",
    "default_epochs",
    "validate_examples",
    "validate_file",
]

ValidationFormat = Literal["openai-chat", "openai-dpo", "bedrock"]
VALIDATION_FORMATS: tuple[str, ...] = ("openai-chat", "openai-dpo", "bedrock")

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
CHAT_MESSAGE_KEYS = frozenset({"role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id"})
CHAT_EXAMPLE_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
DPO_EXAMPLE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
DPO_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
BEDROCK_EXAMPLE_KEYS = frozenset({"system", "messages"})
BEDROCK_MESSAGE_KEYS = frozenset({"role", "content"})

ERROR_HELP: dict[str, str] = {
    "invalid_json": "the line is not valid JSON",
    "data_type": "the line is not a JSON object",
    "missing_messages_list": "no non-empty 'messages' list",
    "message_missing_key": "a message lacks 'role' or 'content' (content may be left out only beside tool_calls)",
    "message_unrecognized_key": "a message has a key the API does not accept",
    "unrecognized_role": "a message has a role the API does not accept",
    "missing_content": "a message has no text content (and no tool_calls/function_call)",
    "example_missing_assistant_message": "no assistant message to learn from",
    "invalid_weight": "'weight' must be 0 or 1 and only on assistant messages",
    "invalid_tool_calls": "'tool_calls' must be a list of {id, type: function, function: {name, arguments}}",
    "missing_tool_call_id": "a tool message needs the 'tool_call_id' it answers",
    "invalid_tools": "'tools' must be a list of {type: function, function: {name, ...}}",
    "missing_input": "no 'input' object with a non-empty 'messages' list",
    "invalid_preferred_output": "'preferred_output' must be a list of exactly one assistant message with text",
    "invalid_non_preferred_output": "'non_preferred_output' must be a list of exactly one assistant message with text",
    "unrecognized_key": "the example has a key the format does not accept",
    "invalid_system": "'system' must be a string",
    "first_message_not_user": "the first message must come from the user",
    "roles_not_alternating": "user and assistant messages must alternate",
    "last_message_not_assistant": "the last message must come from the assistant",
}
"""What each error category means (shown by ``hone dataset validate``)."""

WARNING_HELP: dict[str, str] = {
    "missing_system_message": "no system message",
    "missing_user_message": "no user message",
    "over_token_limit": "longer than the model's per-example limit: truncated in training",
    "no_trainable_assistant_message": "every assistant message has weight 0: nothing is learnt from it",
    "unrecognized_example_key": "an example key that is not part of the chat format (ignored or refused)",
    "blank_line": "an empty line",
    "input_ends_with_assistant": "the DPO input should end with a user message",
    "identical_outputs": "preferred and non-preferred outputs are identical",
}


class ValidationError(HoneError):
    """The file cannot be read or the format is unknown."""


@dataclass(frozen=True)
class Distribution:
    """Summary of one per-example measure, as the cookbook prints it (p10/p90 as it computes them)."""

    min: float
    max: float
    mean: float
    median: float
    p10: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution | None:
        import numpy as np

        if not len(values):
            return None
        arr = np.asarray(values, dtype=float)
        return cls(
            min=float(arr.min()),
            max=float(arr.max()),
            mean=float(arr.mean()),
            median=float(np.median(arr)),
            p10=float(np.quantile(arr, 0.1)),
            p90=float(np.quantile(arr, 0.9)),
        )

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def default_epochs(n_examples: int) -> int:
    """The epochs OpenAI picks by default: 3, moved into 1..25 so epochs x examples lands in 100..25,000."""
    if n_examples <= 0:
        return 0
    epochs = TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


@dataclass
class ValidationReport:
    """Everything ``hone dataset validate`` prints: errors, warnings, distributions, epochs and cost."""

    path: str | None
    format: str
    model: ModelInfo
    n_examples: int
    errors: dict[str, list[int]]
    """category -> line numbers (1-based) where it occurs"""
    counts: dict[str, int]
    """category -> occurrences, counted as the cookbook counts them"""
    warnings: dict[str, list[int]]
    distributions: dict[str, Distribution | None]
    example_tokens: list[int] = field(repr=False)
    epochs: int = 0
    billed_tokens: int = 0
    cost_usd: float | None = None

    @property
    def ok(self) -> bool:
        """True when no format error was found (warnings allowed)."""
        return not self.errors

    @property
    def epoch_tokens(self) -> int:
        """Tokens one epoch of the file is billed for (each example capped at the model's limit)."""
        limit = self.model.max_tokens_per_example
        return sum(min(limit, t) if limit else t for t in self.example_tokens)

    @property
    def over_limit(self) -> list[int]:
        """Lines of examples longer than the model's per-example token limit."""
        return self.warnings.get("over_token_limit", [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "model": self.model.as_dict(),
            "ok": self.ok,
            "n_examples": self.n_examples,
            "errors": {k: {"count": self.counts.get(k, len(v)), "lines": v} for k, v in self.errors.items()},
            "warnings": {k: {"count": len(v), "lines": v} for k, v in self.warnings.items()},
            "distributions": {k: (d.as_dict() if d else None) for k, d in self.distributions.items()},
            "epochs": self.epochs,
            "billed_tokens": self.billed_tokens,
            "cost_usd": self.cost_usd,
        }

    def issues(self) -> pd.DataFrame:
        """One row per error or warning category: kind, count, first lines, meaning."""
        import pandas as pd

        rows = [
            {
                "kind": "error",
                "category": k,
                "count": self.counts.get(k, len(v)),
                "lines": v,
                "meaning": ERROR_HELP.get(k, ""),
            }
            for k, v in self.errors.items()
        ]
        rows += [
            {"kind": "warning", "category": k, "count": len(v), "lines": v, "meaning": WARNING_HELP.get(k, "")}
            for k, v in self.warnings.items()
        ]
        return pd.DataFrame(rows, columns=["kind", "category", "count", "lines", "meaning"])

    def distribution_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({k: d.as_dict() for k, d in self.distributions.items() if d is not None}).T


# -- reading ---------------------------------------------------------------------------------------


def _read_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or _Invalid/_Blank marker) for each line of a JSONL file."""
    loads = json.loads
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                yield n, _BLANK
                continue
            try:
                yield n, loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                yield n, _INVALID


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name


_BLANK = _Marker("blank")
_INVALID = _Marker("invalid")


# -- rules -----------------------------------------------------------------------------------------


class _Findings:
    __slots__ = ("counts", "errors", "warnings")

    def __init__(self) -> None:
        self.errors: defaultdict[str, list[int]] = defaultdict(list)
        self.counts: defaultdict[str, int] = defaultdict(int)
        self.warnings: defaultdict[str, list[int]] = defaultdict(list)

    def error(self, category: str, line: int, times: int = 1) -> None:
        lines = self.errors[category]
        if not lines or lines[-1] != line:
            lines.append(line)
        self.counts[category] += times

    def warn(self, category: str, line: int) -> None:
        lines = self.warnings[category]
        if not lines or lines[-1] != line:
            lines.append(line)


def _valid_tool_calls(calls: Any) -> bool:
    if not isinstance(calls, list) or not calls:
        return False
    for call in calls:
        if not isinstance(call, dict) or call.get("type", "function") != "function":
            return False
        fn = call.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not isinstance(fn.get("arguments"), str):
            return False
    return True


def _valid_tools(tools: Any) -> bool:
    if not isinstance(tools, list):
        return False
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("type") != "function":
            return False
        fn = tool.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return False
    return True


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content)
    # content parts (text, images): a non-empty list of typed objects
    return isinstance(content, list) and bool(content) and all(isinstance(p, dict) and "type" in p for p in content)


def _check_chat_messages(messages: list[Any], line: int, found: _Findings) -> bool:
    """The cookbook's per-message checks with today's roles and keys; True when an assistant message exists."""
    has_assistant = False
    for message in messages:
        if not isinstance(message, dict):
            found.error("message_missing_key", line)
            found.error("unrecognized_role", line)
            found.error("missing_content", line)
            continue
        role = message.get("role")
        calls = message.get("tool_calls")
        function_call = message.get("function_call")
        calls_instead = role == "assistant" and (calls is not None or function_call is not None)
        if "role" not in message or ("content" not in message and not calls_instead):
            found.error("message_missing_key", line)
        if not CHAT_MESSAGE_KEYS.issuperset(message):
            found.error("message_unrecognized_key", line)
        if role not in CHAT_ROLES:
            found.error("unrecognized_role", line)
        content = message.get("content")
        if not _has_text(content) and not (calls_instead and content is None):
            found.error("missing_content", line)
        if role == "assistant":
            has_assistant = True
        if "weight" in message and (
            role != "assistant" or message["weight"] not in (0, 1) or isinstance(message["weight"], bool)
        ):
            found.error("invalid_weight", line)
        if calls is not None and (role != "assistant" or not _valid_tool_calls(calls)):
            found.error("invalid_tool_calls", line)
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            found.error("missing_tool_call_id", line)
    return has_assistant


def _chat_example(ex: Any, line: int, found: _Findings) -> list[dict[str, Any]] | None:
    if not isinstance(ex, dict):
        found.error("data_type", line)
        return None
    messages = ex.get("messages")
    if not messages or not isinstance(messages, list):
        found.error("missing_messages_list", line)
        return None
    if not _check_chat_messages(messages, line, found):
        found.error("example_missing_assistant_message", line)
    if "tools" in ex and not _valid_tools(ex["tools"]):
        found.error("invalid_tools", line)
    if not CHAT_EXAMPLE_KEYS.issuperset(ex):
        found.warn("unrecognized_example_key", line)
    dicts = [m for m in messages if isinstance(m, dict)]
    roles = [m.get("role") for m in dicts]
    if "system" not in roles and "developer" not in roles:
        found.warn("missing_system_message", line)
    if "user" not in roles:
        found.warn("missing_user_message", line)
    weights = [m.get("weight", 1) for m in dicts if m.get("role") == "assistant"]
    if weights and not any(w == 1 for w in weights):
        found.warn("no_trainable_assistant_message", line)
    return dicts


def _single_assistant(output: Any) -> bool:
    return (
        isinstance(output, list)
        and len(output) == 1
        and isinstance(output[0], dict)
        and output[0].get("role") == "assistant"
        and BEDROCK_MESSAGE_KEYS.union({"tool_calls"}).issuperset(output[0])
        and (_has_text(output[0].get("content")) or _valid_tool_calls(output[0].get("tool_calls")))
    )


def _dpo_example(ex: Any, line: int, found: _Findings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    if not isinstance(ex, dict):
        found.error("data_type", line)
        return None
    if not DPO_EXAMPLE_KEYS.issuperset(ex):
        found.error("unrecognized_key", line)
    inp = ex.get("input")
    messages = inp.get("messages") if isinstance(inp, dict) else None
    ok = True
    if not messages or not isinstance(messages, list):
        found.error("missing_input", line)
        ok = False
    else:
        _check_chat_messages(messages, line, found)
        if isinstance(inp, dict) and not DPO_INPUT_KEYS.issuperset(inp):
            found.error("unrecognized_key", line)
        if isinstance(inp, dict) and "tools" in inp and not _valid_tools(inp["tools"]):
            found.error("invalid_tools", line)
        last = messages[-1]
        if isinstance(last, dict) and last.get("role") == "assistant":
            found.warn("input_ends_with_assistant", line)
    preferred = ex.get("preferred_output")
    rejected = ex.get("non_preferred_output")
    if not _single_assistant(preferred):
        found.error("invalid_preferred_output", line)
        ok = False
    if not _single_assistant(rejected):
        found.error("invalid_non_preferred_output", line)
        ok = False
    if not ok or not isinstance(messages, list) or not isinstance(preferred, list) or not isinstance(rejected, list):
        return None
    if preferred == rejected:
        found.warn("identical_outputs", line)
    msgs = [m for m in messages if isinstance(m, dict)]
    roles = {m.get("role") for m in msgs}
    if not roles & {"system", "developer"}:
        found.warn("missing_system_message", line)
    if "user" not in roles:
        found.warn("missing_user_message", line)
    return msgs, [preferred[0], rejected[0]]


def _bedrock_example(ex: Any, line: int, found: _Findings) -> list[dict[str, Any]] | None:
    if not isinstance(ex, dict):
        found.error("data_type", line)
        return None
    if not BEDROCK_EXAMPLE_KEYS.issuperset(ex):
        found.error("unrecognized_key", line)
    if "system" in ex and not isinstance(ex["system"], str):
        found.error("invalid_system", line)
    messages = ex.get("messages")
    if not messages or not isinstance(messages, list):
        found.error("missing_messages_list", line)
        return None
    expected = "user"
    alternating = True
    for message in messages:
        if not isinstance(message, dict):
            found.error("message_missing_key", line)
            alternating = False
            continue
        if "role" not in message or "content" not in message:
            found.error("message_missing_key", line)
        if not BEDROCK_MESSAGE_KEYS.issuperset(message):
            found.error("message_unrecognized_key", line)
        role = message.get("role")
        if role not in ("user", "assistant"):
            found.error("unrecognized_role", line)
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            found.error("missing_content", line)
        if role != expected:
            alternating = False
        expected = "assistant" if role == "user" else "user"
    first = messages[0]
    if not (isinstance(first, dict) and first.get("role") == "user"):
        found.error("first_message_not_user", line)
    elif not alternating:
        found.error("roles_not_alternating", line)
    last = messages[-1]
    if not (isinstance(last, dict) and last.get("role") == "assistant"):
        found.error("last_message_not_assistant", line)
    msgs = [m for m in messages if isinstance(m, dict)]
    if "system" not in ex:
        found.warn("missing_system_message", line)
    if isinstance(ex.get("system"), str) and ex["system"]:
        msgs = [{"role": "system", "content": ex["system"]}, *msgs]
    return msgs


# -- the report ------------------------------------------------------------------------------------


def _without_weight(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "weight"} if "weight" in m else m for m in messages]


@dataclass(frozen=True)
class _Counted:
    """What one structurally checked example is counted from: ``parts`` are message lists counted the
    cookbook way, ``extra`` further values (tools), ``assistant`` the messages of the assistant tokens."""

    line: int
    n_messages: int
    parts: tuple[list[dict[str, Any]], ...]
    adjust: int = 0
    extra: tuple[Any, ...] = ()
    assistant: list[dict[str, Any]] = field(default_factory=list)

    def values(self) -> Iterator[Any]:
        """Every value that is token-counted for this example."""
        for part in self.parts:
            for message in part:
                yield from message.values()
        yield from self.extra


def _checked(ex: Any, line: int, format: str, found: _Findings) -> _Counted | None:  # noqa: A002
    """Structural checks of one example (findings recorded); what to count when it is countable."""
    if format == "openai-chat":
        msgs = _chat_example(ex, line, found)
        if msgs is None:
            return None
        counted = _without_weight(msgs)
        tools = (ex["tools"],) if isinstance(ex.get("tools"), list) else ()
        return _Counted(line, len(msgs), (counted,), extra=tools, assistant=counted)
    if format == "openai-dpo":
        pair = _dpo_example(ex, line, found)
        if pair is None:
            return None
        msgs, outputs = pair
        return _Counted(
            line,
            len(msgs),
            ([*msgs, outputs[0]], [outputs[1]]),
            adjust=-3,
            assistant=[outputs[0]],
        )
    msgs = _bedrock_example(ex, line, found)
    if msgs is None:
        return None
    return _Counted(line, len(msgs), (msgs,), assistant=msgs)


_BATCH = 4096
"""Examples checked before their new strings are token-counted together (on several threads)."""


def validate_examples(
    examples: Iterable[tuple[int, Any]],
    *,
    format: ValidationFormat | str = "openai-chat",  # noqa: A002 - the CLI option's name
    model: str | None = None,
    settings: Settings | None = None,
    path: str | None = None,
    threads: int | None = None,
) -> ValidationReport:
    """Validate parsed examples given as (line number, object) pairs; see :func:`validate_file`."""
    if format not in VALIDATION_FORMATS:
        raise ValidationError(f"unknown format {format!r}; expected one of {', '.join(VALIDATION_FORMATS)}")
    info = model_info(model or default_model_for(format, settings), settings=settings)
    counter = TokenCounter(info.encoding, threads=threads)
    found = _Findings()
    n_messages: list[int] = []
    totals: list[int] = []
    assistant: list[int] = []
    n_examples = 0
    limit = info.max_tokens_per_example
    batch: list[_Counted] = []
    # a batch's new strings are token-counted in the background while the next batch is read and checked
    # (the tokenizer releases the GIL), so reading, checking and counting overlap
    from concurrent.futures import Future, ThreadPoolExecutor

    pending: list[tuple[list[_Counted], Future[None]]] = []

    def finish(items: list[_Counted], primed: Future[None]) -> None:
        primed.result()
        for item in items:
            total = sum(counter.message_tokens(part) for part in item.parts) + item.adjust
            total += sum(counter.value_tokens(v) for v in item.extra)
            n_messages.append(item.n_messages)
            totals.append(total)
            assistant.append(counter.assistant_tokens(item.assistant))
            if limit is not None and total > limit:
                found.warn("over_token_limit", item.line)

    def count_batch(background: ThreadPoolExecutor) -> None:
        items = list(batch)
        batch.clear()
        values = [value for item in items for value in item.values()]
        pending.append((items, background.submit(counter.prime, values)))
        while len(pending) > 1:  # keep one batch in flight
            finish(*pending.pop(0))

    with ThreadPoolExecutor(1, thread_name_prefix="hone-validate") as background:
        for line, ex in examples:
            if ex is _BLANK:
                found.warn("blank_line", line)
                continue
            n_examples += 1
            if ex is _INVALID:
                found.error("invalid_json", line)
                continue
            item = _checked(ex, line, format, found)
            if item is not None:
                batch.append(item)
                if len(batch) >= _BATCH:
                    count_batch(background)
        count_batch(background)
        while pending:
            finish(*pending.pop(0))
    epochs = default_epochs(n_examples)
    billed = sum(min(limit, t) if limit else t for t in totals) * epochs
    return ValidationReport(
        path=path,
        format=format,
        model=info,
        n_examples=n_examples,
        errors=dict(found.errors),
        counts=dict(found.counts),
        warnings=dict(found.warnings),
        distributions={
            "messages": Distribution.of(n_messages),
            "total_tokens": Distribution.of(totals),
            "assistant_tokens": Distribution.of(assistant),
        },
        example_tokens=totals,
        epochs=epochs,
        billed_tokens=billed,
        cost_usd=info.cost_usd(billed),
    )


def validate_file(
    path: str | os.PathLike[str],
    *,
    format: ValidationFormat | str = "openai-chat",  # noqa: A002 - the CLI option's name
    model: str | None = None,
    settings: Settings | None = None,
    threads: int | None = None,
) -> ValidationReport:
    """Validate a fine-tuning JSONL file (``openai-chat``, ``openai-dpo`` or ``bedrock``).

    Errors are what the provider would refuse (the report's ``ok`` is False); warnings are what it
    accepts but a user should know (no system message, examples over the token limit). ``model``
    picks the tokenizer, the per-example limit and the price (default: gpt-4o-mini for OpenAI formats,
    Claude 3 Haiku for Bedrock, whose counts are then an estimate). ``threads`` token-count at once
    (default: the usable cores, at most 8).
    """
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"no such file: {file}")
    return validate_examples(
        _read_lines(file), format=format, model=model, settings=settings, path=str(file), threads=threads
    )


def as_numbered(examples: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, Any]]:
    """Number in-memory examples like lines of a file (1-based)."""
    return enumerate(examples, 1)
