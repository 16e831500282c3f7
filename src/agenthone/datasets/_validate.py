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

import functools
import itertools
import json
import operator
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agenthone.datasets._prices import ModelInfo, default_model_for, model_info
from agenthone.datasets._tokens import TokenCounter, _default_threads
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
        given = np.asarray(values)
        arr = given.astype(float)
        if given.dtype.kind in "iu" and abs(arr).max() < 2**52:
            # one partition for the three: exactly ``np.median`` and each ``np.quantile`` of whole numbers
            p10, median, p90 = (float(q) for q in np.quantile(arr, [0.1, 0.5, 0.9]))
        else:
            p10, median, p90 = float(np.quantile(arr, 0.1)), float(np.median(arr)), float(np.quantile(arr, 0.9))
        return cls(min=float(arr.min()), max=float(arr.max()), mean=float(arr.mean()), median=median, p10=p10, p90=p90)

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


def _json_loads() -> Callable[[bytes], Any]:
    """``json.loads`` of one line, through msgspec's faster decoder first when it is installed.

    msgspec refuses a few things ``json`` accepts (NaN, infinity, lone surrogates, a BOM, deep nesting):
    such lines go through ``json.loads``, so what is valid JSON and what it parses to never changes.
    """
    loads = json.loads
    fast: Callable[[bytes], Any] | None
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency
        fast = None
    else:
        fast = msgspec.json.Decoder().decode

    def parse(raw: bytes) -> Any:
        if fast is not None:
            try:
                return fast(raw)
            except (ValueError, RecursionError):
                pass
        try:
            return loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _INVALID

    return parse


_BLOCK = 8 << 20
"""Bytes read at once (then cut at the last newline): large reads, no per-line I/O, bounded memory."""


def _blocks(path: Path, start: int = 0, end: int | None = None) -> Iterator[list[bytes]]:
    """The lines (without their newline) of the bytes ``start:end`` of a file, a few MiB at a time."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        fh.seek(start)
        left = -1 if end is None else end - start
        rest = b""
        while left:
            data = fh.read(_BLOCK if left < 0 else min(_BLOCK, left))
            if not data:
                break
            if left > 0:
                left -= len(data)
            lines = data.split(b"\n")
            if rest:
                lines[0] = rest + lines[0]
            rest = lines.pop()
            if lines:
                yield lines
        if rest:
            yield [rest]


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name


_BLANK = _Marker("blank")
_INVALID = _Marker("invalid")
_UNKNOWN = _Marker("unknown")


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


_PLAIN_ROLES = frozenset({"system", "developer", "user"})
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""``_as_text`` of a value that is not text: compact JSON, as ``json.dumps`` writes it with these options."""


def _json_key() -> Callable[[Any], bytes] | None:
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency
        return None
    return msgspec.json.encode


_JSON_KEY = _json_key()
_TOOLS_INVALID = -1


def _tools_tokens(
    tools: Any, get: Callable[[str], int | None], miss: Callable[[str], int], seen: dict[bytes, int]
) -> int:
    """Tokens of a valid ``tools`` list (``_TOOLS_INVALID`` when invalid), remembered per distinct list.

    Most files repeat a few tool lists on thousands of lines: they are told apart by their msgspec JSON,
    which two different values share only when NaN or infinity (msgspec's ``null``) is involved, so a key
    with ``null`` in it is not used; the count itself is of the ``json.dumps`` text, as for any value.
    """
    key = None
    if _JSON_KEY is not None:
        try:
            key = _JSON_KEY(tools)
        except (TypeError, ValueError, RecursionError):
            key = None
        if key is not None:
            if b"null" in key:
                key = None
            else:
                n = seen.get(key)
                if n is not None:
                    return n
    if not _valid_tools(tools):
        n = _TOOLS_INVALID
    else:
        text = _JSON_TEXT(tools)
        found = get(text)
        n = miss(text) if found is None else found
    if key is not None:
        seen[key] = n
    return n


def _fast_chat(
    ex: Any, get: Callable[[str], int | None], miss: Callable[[str], int], seen: dict[bytes, int]
) -> tuple[Any, ...] | None:
    """Counts of an OpenAI chat example made only of the usual messages, checked inline.

    The usual messages are ``{role, content}`` for system/developer/user/assistant with text content
    (assistant: with ``weight`` 0 or 1 too), ``{role: tool, content, tool_call_id}`` and assistant
    ``{role, content: None, tool_calls}`` with valid calls; the example has them and an optional valid
    ``tools`` list. Such an example has no error, so (messages, total tokens, assistant tokens, has system,
    has user, has a trainable assistant message) is all there is to know. Anything else gives None: the
    full checks of :func:`_checked` then run, so findings never depend on this shortcut.
    """
    if ex.__class__ is not dict:
        return None
    messages = ex.get("messages")
    if messages.__class__ is not list or not messages:
        return None
    total = 3
    if len(ex) != 1:
        tools = ex.get("tools")
        if len(ex) != 2 or tools.__class__ is not list:
            return None
        n = _tools_tokens(tools, get, miss, seen)
        if n == _TOOLS_INVALID:
            return None
        total += n
    assistant = 0
    system = user = has_assistant = trainable = False
    for m in messages:
        if m.__class__ is not dict:
            return None
        role = m.get("role")
        content = m.get("content")
        size = len(m)
        if role == "assistant":
            has_assistant = True
            if content.__class__ is str and content:
                if size == 3:
                    weight = m.get("weight")
                    if weight.__class__ is not int or weight not in (0, 1):
                        return None
                    trainable = trainable or weight == 1
                elif size == 2:
                    trainable = True
                else:
                    return None
                n = get(content) or miss(content)
                assistant += n
                total += n
            elif content is None and "tool_calls" in m and size == 2 + ("content" in m):
                calls = m["tool_calls"]
                if not _valid_tool_calls(calls):
                    return None
                trainable = True
                text = _JSON_TEXT(calls)
                total += get(text) or miss(text)
            else:
                return None
        elif role in _PLAIN_ROLES:
            if size != 2 or content.__class__ is not str or not content:
                return None
            if role == "user":
                user = True
            else:
                system = True
            total += get(content) or miss(content)
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if size != 3 or content.__class__ is not str or not content or call_id.__class__ is not str:
                return None
            total += (get(content) or miss(content)) + (get(call_id) or miss(call_id))
        else:
            return None
        total += 3 + (get(role) or miss(role))
    if not has_assistant:
        return None
    return len(messages), total, assistant, system, user, trainable


class _Part:
    """What a stretch of numbered lines adds up to; parts of a file are merged in line order."""

    __slots__ = ("assistant", "counts", "errors", "lines", "n_examples", "n_messages", "totals", "warnings")

    def __init__(self, found: _Findings, lines: int, n_examples: int) -> None:
        self.errors = dict(found.errors)
        self.counts = dict(found.counts)
        self.warnings = dict(found.warnings)
        self.lines = lines
        self.n_examples = n_examples
        # lists, or numpy arrays
        self.n_messages: Any = []
        self.totals: Any = []
        self.assistant: Any = []


class _ChatTypes:
    """A msgspec decoder of OpenAI chat lines that accepts only usual shapes (see :func:`_fast_chat`).

    It reads messages ``{role, content}`` with non-empty text (system, developer, user), ``{role: tool,
    content, tool_call_id}`` with text, assistant messages with non-empty text or ``None`` content, a raw
    ``tool_calls`` and ``weight`` 0 or 1, and a raw ``tools`` list; it checks in C what :func:`_fast_chat`
    checks in Python: known roles (the role picks the message type), non-empty text, ``tool_call_id``
    text, no other key. What it cannot say (an assistant message needs text or tool calls, the tool
    calls' shape, the tools' shape) is checked by :class:`_ChatReader`. A line it refuses is read again as
    plain JSON and checked in full, so findings never depend on it.
    """

    __slots__ = ("decode", "roles", "unset")

    def __init__(self) -> None:
        from typing import Annotated, Union

        import msgspec

        text = Annotated[str, msgspec.Meta(min_length=1)]
        unset = msgspec.UnsetType
        raw: Any = Union[msgspec.Raw, unset]  # noqa: UP007
        # untracked by the collector (they hold no cycle): a block of lines decoded at once costs no collections
        options: dict[str, Any] = {"tag_field": "role", "forbid_unknown_fields": True, "gc": False}
        # defstruct, not class statements: the field types are objects here, not annotations resolved later
        roles: dict[type, str] = {
            msgspec.defstruct(role.title(), [("content", text)], tag=role, **options): role
            for role in ("system", "developer", "user")
        }
        roles[msgspec.defstruct("Tool", [("content", text), ("tool_call_id", str)], tag="tool", **options)] = "tool"
        assistant = msgspec.defstruct(
            "Assistant",
            [
                ("content", Union[text, None, unset], msgspec.UNSET),  # noqa: UP007
                ("tool_calls", raw, msgspec.UNSET),
                ("weight", Union[Literal[0, 1], unset], msgspec.UNSET),  # noqa: UP007
            ],
            tag="assistant",
            **options,
        )
        roles[assistant] = "assistant"
        messages: Any = list.__class_getitem__(Union.__getitem__(tuple(roles)))  # type: ignore[attr-defined]
        example = msgspec.defstruct(
            "Example", [("messages", messages), ("tools", raw, msgspec.UNSET)], forbid_unknown_fields=True, gc=False
        )
        self.decode: Callable[[bytes], Any] = msgspec.json.Decoder(example).decode
        self.roles = roles
        self.unset = msgspec.UNSET


@functools.cache
def _typed_chat_decoder() -> _ChatTypes | None:
    """The typed decoder of usual OpenAI chat lines (None without msgspec: every line is read as JSON)."""
    try:
        import msgspec  # noqa: F401
    except ImportError:  # pragma: no cover - msgspec is a dependency
        return None
    return _ChatTypes()


_WAITING = 131072
"""Texts that wait to be counted together (see :class:`_ChatTally`) at most: the more, the more repeats
are told apart before they are counted."""
_WAITING_BYTES = 32 << 20
"""Bytes of lines whose texts wait to be counted at most (the memory they take is bounded)."""


def _distinct(texts: list[str]) -> tuple[Any, Any, Any]:
    """Where the last occurrence of each distinct text is (in order), which distinct text each text is, and
    the distinct texts' hashes.

    Texts are told apart by their hashes; two different texts with one hash (all but impossible) are
    seen, and then they are told apart by a dictionary instead.
    """
    import numpy as np

    size = len(texts)
    every = np.fromiter(map(hash, texts), dtype=np.int64, count=size)
    hashes, inverse = np.unique(every, return_inverse=True)
    inverse = inverse.reshape(-1)
    last = np.empty(len(hashes), dtype=np.int64)
    last[inverse] = np.arange(size)
    alike = last[inverse]
    others = np.flatnonzero(alike != np.arange(size))
    if len(others) and not all(
        map(operator.eq, [texts[i] for i in others.tolist()], [texts[i] for i in alike[others].tolist()])
    ):
        first: dict[str, int] = {}
        firsts = np.fromiter(map(first.setdefault, texts, itertools.count()), dtype=np.int64, count=size)
        at, inverse = np.unique(firsts, return_inverse=True)
        return at, inverse.reshape(-1), every[at]
    # in the texts' order (not the hashes'): the texts are then read one after the other
    is_last = np.zeros(size, dtype=bool)
    is_last[last] = True
    at = np.flatnonzero(is_last)
    slot = np.empty(len(hashes), dtype=np.int64)
    slot[inverse[at]] = np.arange(len(at))
    return at, slot[inverse], every[at]


class _ChatTally:
    """Examples of an OpenAI chat file whose texts wait to be counted together.

    Examples come a block of lines at a time (:meth:`add`): their texts, in any order, each with the
    example it belongs to and whether it is an assistant text, and per example (in line order) the tokens
    known without the texts. :meth:`flush` counts every distinct text not known yet in one tight loop, then
    each example's totals are sums of its texts' counts (:attr:`totals` and :attr:`assistant` hold them, a
    numpy array per batch, in the order the examples came).
    """

    __slots__ = (
        "assistant",
        "bytes",
        "counter",
        "examples",
        "fixed",
        "fixed_assistant",
        "is_assistant",
        "of_example",
        "remembered",
        "remembered_hashes",
        "texts",
        "totals",
        "waiting",
    )

    def __init__(self, counter: TokenCounter) -> None:
        import numpy as np

        self.counter = counter
        self.texts: list[str] = []
        self.of_example: list[Any] = []
        self.is_assistant: list[Any] = []
        self.fixed: list[Any] = []
        self.fixed_assistant: list[Any] = []
        self.totals: list[Any] = []
        self.assistant: list[Any] = []
        self.remembered: dict[str, int] = {}
        """Texts that repeated in a batch, and their counts."""
        self.remembered_hashes: Any = np.zeros(0, dtype=np.int64)
        """Their hashes, sorted."""
        self.examples = 0
        """Examples counted."""
        self.waiting = 0
        """Examples waiting to be counted."""
        self.bytes = 0
        """Bytes of the lines read since the last count (kept by the reader)."""

    def add(self, texts: list[str], of_example: Any, is_assistant: Any, fixed: Any, fixed_assistant: Any) -> None:
        """Examples of a block of lines: their ``texts``, the example of each (numbered from 0 in the block)
        and whether it is of the assistant tokens (numpy arrays), then per example the tokens known without
        the texts, in total and of the assistant tokens (numpy arrays)."""
        self.texts += texts
        self.of_example.append(of_example + self.waiting)
        self.is_assistant.append(is_assistant)
        self.fixed.append(fixed)
        self.fixed_assistant.append(fixed_assistant)
        self.waiting += len(fixed)

    def _counts(self) -> Any:
        """The token count of each waiting text (an int64 array).

        Each distinct text is counted once: texts are told apart by their hashes in numpy (sorting a few
        hundred thousand numbers costs less than as many dictionary entries), and the texts that repeat
        are remembered for the next batches (up to :data:`_REMEMBERED`). A text that many lines share is
        so counted once, while the many texts seen once are not kept (the memory they hold would grow with
        the file): the few that repeat far apart are counted again.
        """
        import numpy as np

        texts = self.texts
        if not texts:
            return np.zeros(0, dtype=np.int64)
        at, inverse, hashes = _distinct(texts)
        counts = np.full(len(at), -1, dtype=np.int64)
        remembered, known = self.remembered, self.remembered_hashes
        if remembered:
            maybe = np.flatnonzero(np.isin(hashes, known))
            found = [remembered.get(texts[i], -1) for i in at[maybe].tolist()]
            counts[maybe] = found
        new = np.flatnonzero(counts < 0)
        if len(new):
            counts[new] = self.counter.count_all([texts[i] for i in at[new].tolist()])
            room = _REMEMBERED - len(remembered)
            if room > 0:
                repeated = new[np.bincount(inverse, minlength=len(at))[new] > 1][:room]
                if len(repeated):
                    repeats = [texts[i] for i in at[repeated].tolist()]
                    remembered.update(zip(repeats, counts[repeated].tolist(), strict=True))
                    self.remembered_hashes = np.union1d(known, hashes[repeated])
        return counts[inverse]

    def flush(self) -> None:
        """Count the waiting texts and add up the totals of the waiting examples."""
        import numpy as np

        if not self.waiting:
            return
        n = self.waiting
        counts = self._counts().astype(np.float64)  # bincount adds float weights: exact far beyond any count
        of_example = np.concatenate(self.of_example)
        marks = np.concatenate(self.is_assistant)
        totals = np.concatenate(self.fixed)
        totals += np.bincount(of_example, weights=counts, minlength=n).astype(np.int64)
        assistant = np.concatenate(self.fixed_assistant)
        assistant += np.bincount(of_example[marks], weights=counts[marks], minlength=n).astype(np.int64)
        self.totals.append(totals)
        self.assistant.append(assistant)
        self.examples += n
        self.waiting = self.bytes = 0
        for waiting in (self.texts, self.of_example, self.is_assistant, self.fixed, self.fixed_assistant):
            waiting.clear()


_REMEMBERED = 1 << 16
"""Texts a counter remembers at most when they repeat in a batch (see :meth:`_ChatTally._counts`)."""

_MESSAGES = operator.attrgetter("messages")
_CONTENT = operator.attrgetter("content")
_TOOLS = operator.attrgetter("tools")
_TOOL_CALLS = operator.attrgetter("tool_calls")
_WEIGHT = operator.attrgetter("weight")
_SYSTEM, _DEVELOPER, _USER, _ASSISTANT, _TOOL = range(5)
"""Codes of the message types of the usual shapes (see :class:`_ChatTypes`)."""


def _refuse_float(text: str) -> Any:
    raise ValueError(f"a float: {text}")


def _items(values: list[Any], at: Any) -> Sequence[Any]:
    """``[values[i] for i in at]``, in C."""
    if len(at) > 1:
        items: Sequence[Any] = operator.itemgetter(*at.tolist())(values)
        return items
    return [values[i] for i in at.tolist()]


class _ChatReader:
    """Reads stretches of an OpenAI chat file in one process: :meth:`read` checks the lines of each,
    their texts wait together in one :class:`_ChatTally` (batches do not end with a stretch), and
    :meth:`parts` counts what is left and gives each stretch's :class:`_Part`.

    A block of lines is read at once: the lines of usual shapes (see :class:`_ChatTypes`) are decoded one
    by one, then checked and summed up together, in numpy, by the codes of their messages' types (the
    rules of :func:`_fast_chat`); the other lines are read as JSON and checked like :func:`_tally` checks
    them.
    """

    def __init__(self, types: _ChatTypes, counter: TokenCounter) -> None:
        import msgspec
        import numpy as np

        self.types = types
        self.counter = counter
        self.get, self.miss = counter.lookups()
        self.parse = _json_loads()
        get, miss = self.get, self.miss
        codes = {"system": _SYSTEM, "developer": _DEVELOPER, "user": _USER, "assistant": _ASSISTANT, "tool": _TOOL}
        self.codes = {cls: codes[role] for cls, role in types.roles.items()}
        # each message's own tokens by code: 3, and its role's
        self.own = np.zeros(len(codes), dtype=np.float64)
        for role, code in codes.items():
            self.own[code] = 3 + (get(role) or miss(role))
        self.seen: dict[bytes, int] = {}
        self.tools_seen: dict[bytes, int] = {}
        self.no_floats = msgspec.json.Decoder(float_hook=_refuse_float).decode
        self.encode = msgspec.json.encode
        self.tally = _ChatTally(counter)
        self.stretches: list[tuple[_Findings, int, int, Any, Any, int]] = []
        """Each stretch read: findings, lines, examples, their messages, the counted lines, the first's index."""

    def read(self, blocks: Iterable[list[bytes]]) -> None:
        """Check the lines of one stretch (given a block of lines at a time; numbered from 1)."""
        import numpy as np

        found = _Findings()
        n_messages: list[Any] = []
        counted: list[Any] = []
        uncounted = line = 0
        decode = self.types.decode
        tally = self.tally
        first = tally.examples + tally.waiting
        for lines in blocks:
            tally.bytes += sum(map(len, lines))
            if tally.bytes >= _WAITING_BYTES:
                tally.flush()
                tally.bytes = sum(map(len, lines))
            good: list[Any] = []
            refused: list[int] = []
            append = good.append
            for raw in lines:
                try:
                    append(decode(raw))
                except (ValueError, RecursionError):
                    refused.append(len(good) + len(refused))
            block_lines, block_messages, block_uncounted = self._block(lines, good, refused, line, found)
            counted.append(block_lines)
            n_messages.append(block_messages)
            uncounted += block_uncounted
            line += len(lines)
            if len(tally.texts) >= _WAITING:
                tally.flush()
        # the lines of a block's usual examples come before those of its other lines: in order again
        for lists in (found.errors, found.warnings):
            for numbers in lists.values():
                numbers.sort()
        lines_counted = np.concatenate(counted) if counted else np.zeros(0, dtype=np.int64)
        messages = np.concatenate(n_messages) if n_messages else np.zeros(0, dtype=np.int64)
        self.stretches.append((found, line, len(lines_counted) + uncounted, messages, lines_counted, first))

    def _tool_calls(self, raw: bytes) -> tuple[Any, str | None]:
        """Tool calls read from their raw JSON, and their compact JSON text when msgspec writes it as
        :data:`_JSON_TEXT` does: when they hold no number with a fraction or an exponent (strings,
        integers, booleans and null are written alike; floats are not), else None."""
        try:
            value = self.no_floats(raw)
        except (ValueError, RecursionError):
            return self.parse(raw), None
        return value, self.encode(value).decode()

    def _tools(self, raw: bytes) -> int:
        """Tokens of a raw ``tools`` list (``_TOOLS_INVALID`` when it is not a valid one): once per text."""
        n = self.tools_seen.get(raw)
        if n is None:
            tools = self.parse(raw)
            n = _tools_tokens(tools, self.get, self.miss, {}) if tools.__class__ is list else _TOOLS_INVALID
            self.tools_seen[raw] = n
        return n

    def _block(
        self, lines: list[bytes], good: list[Any], refused: list[int], base: int, found: _Findings
    ) -> tuple[Any, Any, int]:
        """Check a block of lines (``good``: the usual ones decoded, ``refused``: where the others are) and
        add its examples to the tally; the numbers of the counted lines, their messages, the uncounted."""
        import numpy as np

        size = len(good)
        unset = self.types.unset
        messages = list(map(_MESSAGES, good))
        lengths = np.fromiter(map(len, messages), dtype=np.int64, count=size)
        flat = list(itertools.chain.from_iterable(messages))
        codes = np.fromiter(map(self.codes.__getitem__, map(type, flat)), dtype=np.int64, count=len(flat))
        owner = np.repeat(np.arange(size), lengths)
        texts: list[Any] = list(map(_CONTENT, flat))
        marks = codes == _ASSISTANT
        fixed = np.bincount(owner, weights=self.own[codes], minlength=size).astype(np.int64) + 3
        ok = np.bincount(owner[marks], minlength=size) > 0  # an assistant message to learn from
        # assistant messages: text, or tool calls (then content None and no weight); trainable unless weight 0
        said = np.flatnonzero(marks)
        replies: Sequence[Any] = _items(flat, said)
        is_text = np.fromiter(map(operator.is_not, texts, itertools.repeat(None)), bool, len(texts))
        is_text &= np.fromiter(map(operator.is_not, texts, itertools.repeat(unset)), bool, len(texts))
        has_text = is_text[said]
        calls = list(map(_TOOL_CALLS, replies))
        has_calls = np.fromiter(map(operator.is_not, calls, itertools.repeat(unset)), bool, len(calls))
        weights = list(map(_WEIGHT, replies))
        weighted = np.fromiter(map(operator.is_not, weights, itertools.repeat(unset)), bool, len(weights))
        trainable = ~weighted
        if weighted.any():
            trainable[weighted] = [weights[i] == 1 for i in np.flatnonzero(weighted).tolist()]
        ok[owner[said[has_text & has_calls]]] = False
        ok[owner[said[~has_text & (weighted | ~has_calls)]]] = False
        calling = np.flatnonzero(~has_text & has_calls & ~weighted)
        for i in calling.tolist():
            at = said[i]
            value, text = self._tool_calls(bytes(calls[i]))
            if _valid_tool_calls(value):
                texts[at] = _JSON_TEXT(value) if text is None else text  # counted, but not as assistant tokens
            else:
                ok[owner[at]] = False
        marks[said[calling]] = False
        trainable[calling] = True
        learnt = np.bincount(owner[said[trainable]], minlength=size) > 0
        # a tools list: valid, counted once per distinct text
        tools = list(map(_TOOLS, good))
        for i in np.flatnonzero(np.fromiter(map(operator.is_not, tools, itertools.repeat(unset)), bool, size)).tolist():
            n = self._tools(bytes(tools[i]))
            if n == _TOOLS_INVALID:
                ok[i] = False
            else:
                fixed[i] += n
        where = np.arange(len(lines))
        if refused:
            where = np.delete(where, refused)
        usual = where[ok]
        # the other lines, checked one by one
        others = refused if ok.all() else sorted([*refused, *where[~ok].tolist()])
        slow: list[int] = []
        slow_fixed: list[int] = []
        slow_assistant: list[int] = []
        slow_messages: list[int] = []
        uncounted = 0
        for at in others:
            result = self._other(lines[at], base + at + 1, found)
            if result is None:
                continue
            if result is _INVALID:
                uncounted += 1
                continue
            n, total, tokens = result
            slow.append(at)
            slow_fixed.append(total)
            slow_assistant.append(tokens)
            slow_messages.append(n)
        # every counted line's place among the block's examples, in line order
        if slow:
            at_lines = np.sort(np.concatenate([usual, slow]))
            usual_rank = np.searchsorted(at_lines, usual)
            slow_rank = np.searchsorted(at_lines, slow)
        else:
            at_lines = usual
            usual_rank = np.arange(len(usual))
            slow_rank = np.zeros(0, dtype=np.int64)
        examples = len(at_lines)
        rank = np.full(size, -1, dtype=np.int64)
        rank[ok] = usual_rank
        # the texts: every message's content (tool calls as JSON), then the tool messages' call ids
        ids = np.flatnonzero(codes == _TOOL)
        if not ok.all():
            keep = ok[owner]
            texts = list(itertools.compress(texts, keep.tolist()))
            text_owner, marks = owner[keep], marks[keep]
            ids = ids[keep[ids]]
        else:
            text_owner = owner
        if len(ids):
            texts += [flat[i].tool_call_id for i in ids.tolist()]
            text_owner = np.concatenate([text_owner, owner[ids]])
            marks = np.concatenate([marks, np.zeros(len(ids), dtype=bool)])
        totals = np.empty(examples, dtype=np.int64)
        totals[usual_rank] = fixed[ok]
        assistant_fixed = np.zeros(examples, dtype=np.int64)
        n_messages = np.empty(examples, dtype=np.int64)
        n_messages[usual_rank] = lengths[ok]
        if slow:
            totals[slow_rank] = slow_fixed
            assistant_fixed[slow_rank] = slow_assistant
            n_messages[slow_rank] = slow_messages
        self.tally.add(texts, rank[text_owner], marks, totals, assistant_fixed)
        # the warnings of the usual lines (each line once, straight onto the category's lines)
        system = np.bincount(owner[(codes == _SYSTEM) | (codes == _DEVELOPER)], minlength=size) > 0
        user = np.bincount(owner[codes == _USER], minlength=size) > 0
        for category, has in (
            ("missing_system_message", system),
            ("missing_user_message", user),
            ("no_trainable_assistant_message", learnt),
        ):
            numbers = where[ok & ~has]
            if len(numbers):
                found.warnings[category].extend((numbers + base + 1).tolist())
        return at_lines + base + 1, n_messages, uncounted

    def _other(self, raw: bytes, line: int, found: _Findings) -> Any:
        """Check a line of no usual shape: None when blank, ``_INVALID`` when it is an example that is not
        counted (an error), else (messages, tokens, assistant tokens)."""
        if not raw.strip():
            found.warn("blank_line", line)
            return None
        ex = self.parse(raw)
        if ex is _INVALID:
            found.error("invalid_json", line)
            return _INVALID
        lookups = (self.get, self.miss, self.seen)
        counted = _example_tokens(ex, line, "openai-chat", counter=self.counter, lookups=lookups, found=found)
        return _INVALID if counted is None else counted

    def parts(self, limit: int | None) -> list[_Part]:
        """Each stretch read, in the order they were read, with its totals (once every text is counted)."""
        import numpy as np

        tally = self.tally
        tally.flush()
        totals = np.concatenate(tally.totals) if tally.totals else np.zeros(0, dtype=np.int64)
        assistant = np.concatenate(tally.assistant) if tally.assistant else np.zeros(0, dtype=np.int64)
        parts = []
        for found, lines, n_examples, n_messages, counted, first in self.stretches:
            end = first + len(counted)
            if limit is not None:
                for number in counted[np.flatnonzero(totals[first:end] > limit)].tolist():
                    found.warn("over_token_limit", number)
            part = _Part(found, lines, n_examples)
            part.n_messages, part.totals, part.assistant = n_messages, totals[first:end], assistant[first:end]
            parts.append(part)
        return parts


def _example_tokens(
    ex: Any,
    line: int,
    format: str,  # noqa: A002
    *,
    counter: TokenCounter,
    lookups: tuple[Callable[[str], int | None], Callable[[str], int], dict[bytes, int]],
    found: _Findings,
) -> tuple[int, int, int] | None:
    """Check one parsed example (its findings recorded) and count it: (messages, tokens, assistant tokens), or
    None when it is not counted. ``lookups`` are the counter's ``(get, miss)`` and the tools lists seen."""
    fast = _fast_chat(ex, *lookups) if format == "openai-chat" else None
    if fast is None:
        item = _checked(ex, line, format, found)
        if item is None:
            return None
        total = sum(counter.message_tokens(part) for part in item.parts) + item.adjust
        total += sum(counter.value_tokens(v) for v in item.extra)
        return item.n_messages, total, counter.assistant_tokens(item.assistant)
    n, total, tokens, system, user, trainable = fast
    if not system:
        found.warn("missing_system_message", line)
    if not user:
        found.warn("missing_user_message", line)
    if not trainable:
        found.warn("no_trainable_assistant_message", line)
    return n, total, tokens


def _tally(
    examples: Iterable[tuple[int, Any]],
    format: str,  # noqa: A002
    counter: TokenCounter,
    limit: int | None,
    *,
    raw: bool = False,
) -> _Part:
    """Check and token-count numbered examples, each distinct text once (the counter remembers them).

    With ``raw`` the examples are the lines of a file as bytes, parsed here (see :class:`_ChatReader` for
    the typed reading of an OpenAI chat file).
    """
    found = _Findings()
    n_messages: list[int] = []
    totals: list[int] = []
    assistant: list[int] = []
    counted: list[int] = []
    n_examples = last = 0
    get, miss = counter.lookups()
    lookups: tuple[Callable[[str], int | None], Callable[[str], int], dict[bytes, int]] = (get, miss, {})
    parse = _json_loads()
    for line, ex in examples:
        last = line
        if raw:
            if not ex.strip():
                found.warn("blank_line", line)
                continue
            ex = parse(ex)
        elif ex is _BLANK:
            found.warn("blank_line", line)
            continue
        n_examples += 1
        if ex is _INVALID:
            found.error("invalid_json", line)
            continue
        result = _example_tokens(ex, line, format, counter=counter, lookups=lookups, found=found)
        if result is None:
            continue
        n, total, tokens = result
        n_messages.append(n)
        totals.append(total)
        assistant.append(tokens)
        counted.append(line)
    if limit is not None:
        for line, total in zip(counted, totals, strict=True):
            if total > limit:
                found.warn("over_token_limit", line)
    part = _Part(found, last, n_examples)
    part.n_messages, part.totals, part.assistant = n_messages, totals, assistant
    return part


def _lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, the line's bytes) for the lines of ``start:end``."""
    n = 0
    for lines in _blocks(path, start, end):
        for raw in lines:
            n += 1
            yield n, raw


def _tally_file(
    path: Path,
    format: str,  # noqa: A002
    counter: TokenCounter,
    limit: int | None,
    *,
    start: int = 0,
    end: int | None = None,
) -> _Part:
    """:func:`_tally` of the lines of ``start:end`` of a file (an OpenAI chat file read typed)."""
    types = _typed_chat_decoder() if format == "openai-chat" else None
    if types is not None:
        reader = _ChatReader(types, counter)
        reader.read(_blocks(path, start, end))
        return reader.parts(limit)[0]
    return _tally(_lines(path, start, end), format, counter, limit, raw=True)


_counters: dict[str, TokenCounter] = {}
"""The counter of each encoding in a worker process (made before the workers fork, so they inherit it)."""
_next_part: list[Any] = []
"""In a worker process: the shared number of the next stretch to validate."""


def _worker_counter(encoding: str) -> TokenCounter:
    counter = _counters.get(encoding)
    if counter is None:
        counter = _counters[encoding] = TokenCounter(encoding, threads=1)
    return counter


def _init_worker(next_part: Any) -> None:
    _next_part[:] = [next_part]


def _claim(next_part: Any, parts: int) -> int | None:
    with next_part.get_lock():
        i: int = next_part.value
        if i >= parts:
            return None
        next_part.value = i + 1
    return i


def _validate_stretches(
    path: str,
    cuts: list[int],
    *,
    format: str,  # noqa: A002
    encoding: str,
    limit: int | None,
    tail: int | None = None,
    counter: TokenCounter | None = None,
    next_part: Any = None,
) -> list[tuple[int, _Part]]:
    """Validate stretches ``cuts[i]:cuts[i + 1]`` (lines numbered from 1 in each) while some are left.

    The texts of a chat file wait to be counted across stretches, but not at the end: from stretch
    ``tail`` on (the last quarter, cut finer), each stretch's texts are counted as it ends, so that the
    processes finish together.
    """
    counter = counter or _worker_counter(encoding)
    next_part = next_part if next_part is not None else _next_part[0]
    types = _typed_chat_decoder() if format == "openai-chat" else None
    if types is None:
        done = []
        while (i := _claim(next_part, len(cuts) - 1)) is not None:
            done.append((i, _tally_file(Path(path), format, counter, limit, start=cuts[i], end=cuts[i + 1])))
        return done
    # the stretches of a chat file share one batch of texts waiting to be counted
    reader = _ChatReader(types, counter)
    order = []
    tail = len(cuts) - 1 if tail is None else tail
    while (i := _claim(next_part, len(cuts) - 1)) is not None:
        reader.read(_blocks(Path(path), cuts[i], cuts[i + 1]))
        order.append(i)
        if i >= tail:
            reader.tally.flush()
    return list(zip(order, reader.parts(limit), strict=True))


def _cuts(path: Path, size: int, parts: int) -> list[int]:
    """Offsets that split a file into about ``parts`` stretches of whole lines."""
    return _cut_at(path, size, [size * i // parts for i in range(1, parts)])


def _guided_cuts(path: Path, size: int, parts: int) -> tuple[list[int], int]:
    """:func:`_cuts` with the last quarter cut twice as fine, and the number of the first stretch there."""
    if parts < 4:
        cuts = _cuts(path, size, parts)
        return cuts, len(cuts) - 1
    coarse = parts - parts // 4
    start = size * coarse // parts
    fine = 2 * (parts - coarse)
    targets = [size * i // parts for i in range(1, coarse + 1)]
    targets += [start + (size - start) * j // fine for j in range(1, fine)]
    cuts = _cut_at(path, size, targets)
    return cuts, sum(1 for at in cuts[:-1] if at < start)


def _cut_at(path: Path, size: int, targets: Iterable[int]) -> list[int]:
    """The starts of the lines at or after each target offset (in order), 0 and ``size``."""
    cuts = [0]
    with path.open("rb") as fh:
        for target in targets:
            if target <= cuts[-1]:
                continue
            fh.seek(target - 1)
            fh.readline()  # to the start of the next line (target itself when a line ends just before it)
            at = fh.tell()
            if at >= size:
                break
            cuts.append(at)
    cuts.append(size)
    return cuts


_PART_BYTES = 1 << 20
"""A file is shared out between processes in stretches of at least this many bytes."""
_STRETCHES = 16
"""Stretches per process at most: many small ones, so that the processes finish together."""


def _start_method() -> str:
    """How worker processes start: forked on Linux, spawned elsewhere (fork is unsafe on macOS)."""
    import sys

    return "fork" if sys.platform == "linux" else "spawn"


def _validate_parts(path: Path, format: str, encoding: str, limit: int | None, workers: int) -> list[_Part]:  # noqa: A002
    """Validate a file in this process and ``workers - 1`` others, each taking the next stretch of lines
    while some are left (a few per process, so a process slowed down by others takes fewer)."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = path.stat().st_size
    cuts, tail = _guided_cuts(path, size, min(_STRETCHES * workers, size // _PART_BYTES))
    counter = TokenCounter(encoding, threads=1)
    if len(cuts) < 3 or workers < 2:
        return [_tally_file(path, format, counter, limit)]
    # forked workers inherit the loaded tokenizer (and nothing to copy: the collector leaves what they
    # inherit alone); elsewhere each loads its own
    method = _start_method()
    context = multiprocessing.get_context(method)
    next_part = context.Value("i", 0)
    if method == "fork":
        _worker_counter(encoding)
        gc.freeze()
    helpers = min(workers, len(cuts) - 1) - 1
    options: dict[str, Any] = {"format": format, "encoding": encoding, "limit": limit, "tail": tail}
    pool = ProcessPoolExecutor(helpers, mp_context=context, initializer=_init_worker, initargs=(next_part,))
    finished = False
    try:
        futures = [pool.submit(_validate_stretches, str(path), cuts, **options) for _ in range(helpers)]
        done = _validate_stretches(str(path), cuts, counter=counter, next_part=next_part, **options)
        for future in futures:
            done += future.result()
        finished = True
    except BrokenProcessPool:  # a worker died (killed, out of memory): the whole file in this process
        return [_tally_file(path, format, TokenCounter(encoding, threads=1), limit)]
    finally:
        if not finished:  # the workers take no further stretch
            with next_part.get_lock():
                next_part.value = len(cuts)
        # the workers are done (or stop after their stretch): no waiting for them to exit
        pool.shutdown(wait=False)
        if method == "fork":
            gc.unfreeze()
    return [part for _, part in sorted(done, key=lambda item: item[0])]


def _report(
    parts: Sequence[_Part],
    *,
    format: str,  # noqa: A002
    info: ModelInfo,
    path: str | None,
) -> ValidationReport:
    import numpy as np

    found = _Findings()
    n_examples = offset = 0
    for part in parts:
        for target, source in ((found.errors, part.errors), (found.warnings, part.warnings)):
            for category, lines in source.items():
                target[category].extend([n + offset for n in lines] if offset else lines)
        for category, times in part.counts.items():
            found.counts[category] += times
        n_examples += part.n_examples
        offset += part.lines

    def joined(values: Iterable[Any]) -> Any:
        return np.concatenate([np.zeros(0, dtype=np.int64), *(np.asarray(v, dtype=np.int64) for v in values)])

    n_messages = joined(part.n_messages for part in parts)
    totals = joined(part.totals for part in parts)
    assistant = joined(part.assistant for part in parts)
    limit = info.max_tokens_per_example
    epochs = default_epochs(n_examples)
    billed = int((np.minimum(totals, limit) if limit else totals).sum()) * epochs
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
        example_tokens=totals.tolist(),
        epochs=epochs,
        billed_tokens=billed,
        cost_usd=info.cost_usd(billed),
    )


def validate_examples(
    examples: Iterable[tuple[int, Any]],
    *,
    format: ValidationFormat | str = "openai-chat",  # noqa: A002 - the CLI option's name
    model: str | None = None,
    settings: Settings | None = None,
    path: str | None = None,
    threads: int | None = None,
) -> ValidationReport:
    """Validate parsed examples given as (line number, object) pairs; see :func:`validate_file`.

    They are checked and counted in this process (each distinct text once); ``threads`` is accepted for
    symmetry with :func:`validate_file`, which spreads a file over processes.
    """
    if format not in VALIDATION_FORMATS:
        raise ValidationError(f"unknown format {format!r}; expected one of {', '.join(VALIDATION_FORMATS)}")
    info = model_info(model or default_model_for(format, settings), settings=settings)
    counter = TokenCounter(info.encoding, threads=threads)
    part = _tally(examples, format, counter, info.max_tokens_per_example)
    return _report([part], format=format, info=info, path=path)


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
    Claude 3 Haiku for Bedrock, whose counts are then an estimate). A file of more than a few MiB is
    shared out, in stretches of whole lines, between ``threads`` worker processes (default: the usable
    cores, at most 8); each reads, parses, checks and token-counts its lines, and the report is the same
    whatever their number.
    """
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"no such file: {file}")
    if format not in VALIDATION_FORMATS:
        raise ValidationError(f"unknown format {format!r}; expected one of {', '.join(VALIDATION_FORMATS)}")
    info = model_info(model or default_model_for(format, settings), settings=settings)
    workers = max(1, threads) if threads else _default_threads()
    parts = _validate_parts(file, format, info.encoding, info.max_tokens_per_example, workers)
    return _report(parts, format=format, info=info, path=str(file))


def as_numbered(examples: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, Any]]:
    """Number in-memory examples like lines of a file (1-based)."""
    return enumerate(examples, 1)
