"""Validation of fine-tuning files: cookbook figures, every error category with its lines, modern API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agenthone.datasets import ValidationError, default_epochs, validate_file
from tests.conftest import shared_data, write_jsonl

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
USER = {"role": "user", "content": "Where is my order?"}
ASSISTANT = {"role": "assistant", "content": "It shipped yesterday."}
GOOD = {"messages": [SYSTEM, USER, ASSISTANT]}


def test_cookbook_toy_file_matches_published_figures() -> None:
    report = validate_file(shared_data("cookbook", "toy_chat_fine_tuning.jsonl"), model="gpt-3.5-turbo")
    assert report.ok and report.n_examples == 5
    assert report.model.encoding == "cl100k_base"
    assert report.warnings == {"missing_system_message": [3], "missing_user_message": [4]}
    d = report.distributions
    assert (d["messages"].min, d["messages"].max, d["messages"].mean, d["messages"].median) == (2, 9, 3.8, 3)
    t = d["total_tokens"]
    assert (t.min, t.max, t.mean, t.median) == (26, 8032, 1648.4, 45)
    assert t.p10 == pytest.approx(26.8) and t.p90 == pytest.approx(4863.6)
    a = d["assistant_tokens"]
    assert (a.min, a.max, a.mean, a.median) == (4, 8000, 1610.2, 10)
    # 5 examples -> 20 epochs (100 // 5); billed = sum of per-example tokens (all under the cap) x epochs
    assert report.epochs == 20
    assert report.billed_tokens == 8242 * 20
    assert report.cost_usd == pytest.approx(8242 * 20 * 8.0 / 1e6)


@pytest.mark.parametrize(
    ("n", "epochs"), [(1, 25), (5, 20), (10, 10), (34, 3), (100, 3), (8333, 3), (8334, 2), (30000, 1)]
)
def test_default_epochs_rule(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


CASES: dict[str, Any] = {
    "invalid_json": '{"messages": [',
    "data_type": "[1, 2, 3]",
    "missing_messages_list": {"messages": []},
    "message_missing_key": {"messages": [USER, {"role": "assistant"}]},
    "message_unrecognized_key": {"messages": [USER, {**ASSISTANT, "mood": "happy"}]},
    "unrecognized_role": {"messages": [{"role": "robot", "content": "beep"}, USER, ASSISTANT]},
    "missing_content": {"messages": [USER, {"role": "assistant", "content": ""}]},
    "example_missing_assistant_message": {"messages": [SYSTEM, USER]},
    "invalid_weight": {"messages": [USER, {**ASSISTANT, "weight": 0.5}]},
    "invalid_tool_calls": {
        "messages": [USER, {"role": "assistant", "content": None, "tool_calls": [{"type": "function"}]}]
    },
    "missing_tool_call_id": {"messages": [USER, {"role": "tool", "content": "{}"}, ASSISTANT]},
    "invalid_tools": {"messages": [USER, ASSISTANT], "tools": [{"name": "no_type"}]},
}


def test_each_error_category_is_reported_with_its_line(tmp_path: Path) -> None:
    lines = [GOOD]
    expected: dict[str, int] = {}
    for category, case in CASES.items():
        lines.append(case)
        expected[category] = len(lines)
    lines.append(GOOD)
    report = validate_file(write_jsonl(tmp_path / "bad.jsonl", lines))
    assert not report.ok
    for category, line in expected.items():
        assert line in report.errors.get(category, []), (category, report.errors)
    # a line triggers only what is wrong with it
    assert 1 not in {n for lines_ in report.errors.values() for n in lines_}
    assert len(lines) not in {n for lines_ in report.errors.values() for n in lines_}
    assert report.n_examples == len(lines)


def test_cookbook_counts_message_level_errors_per_message(tmp_path: Path) -> None:
    example = {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": ""}]}
    report = validate_file(write_jsonl(tmp_path / "f.jsonl", [example, GOOD, example]))
    assert report.errors["missing_content"] == [1, 3]
    assert report.counts["missing_content"] == 4


def test_modern_chat_with_tools_passes(tmp_path: Path) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "1042"}'}}
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_order",
                "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
            },
        }
    ]
    example = {
        "messages": [
            {"role": "developer", "content": "You help customers with orders."},
            {"role": "user", "content": "Where is order 1042?"},
            {"role": "assistant", "content": None, "tool_calls": [call], "weight": 0},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
            {"role": "assistant", "content": "Order 1042 has shipped.", "weight": 1},
        ],
        "tools": tools,
        "parallel_tool_calls": False,
    }
    report = validate_file(write_jsonl(tmp_path / "tools.jsonl", [example] * 3))
    assert report.ok, report.errors
    assert report.warnings == {}
    assert report.distributions["messages"].max == 5
    # tool calls and the tool schema are counted (as compact JSON), weight is not
    without_tools = validate_file(
        write_jsonl(tmp_path / "plain.jsonl", [{k: v for k, v in example.items() if k != "tools"}] * 3)
    )
    assert report.distributions["total_tokens"].max > without_tools.distributions["total_tokens"].max


def test_warnings_and_over_limit(tmp_path: Path) -> None:
    long = {"messages": [USER, {"role": "assistant", "content": "word " * 20000}]}
    failure_only = {"messages": [SYSTEM, USER, {**ASSISTANT, "weight": 0}]}
    report = validate_file(write_jsonl(tmp_path / "w.jsonl", [GOOD, long, failure_only, ""]), model="gpt-3.5-turbo")
    assert report.ok
    assert report.over_limit == [2]
    assert report.warnings["missing_system_message"] == [2]
    assert report.warnings["no_trainable_assistant_message"] == [3]
    assert report.warnings["blank_line"] == [4]
    # billed tokens are capped per example at the model's limit
    assert report.billed_tokens == sum(min(16385, t) for t in report.example_tokens) * report.epochs


def test_dpo_rules(tmp_path: Path) -> None:
    good = {
        "input": {"messages": [SYSTEM, USER]},
        "preferred_output": [{"role": "assistant", "content": "It shipped yesterday, tracking 1Z999."}],
        "non_preferred_output": [{"role": "assistant", "content": "Let me analyze this. It shipped."}],
    }
    bad = [
        {"preferred_output": good["preferred_output"], "non_preferred_output": good["non_preferred_output"]},
        {**good, "preferred_output": [ASSISTANT, ASSISTANT]},
        {**good, "non_preferred_output": {"role": "assistant", "content": "x"}},
        {**good, "extra": 1},
    ]
    report = validate_file(write_jsonl(tmp_path / "dpo.jsonl", [good, *bad]), format="openai-dpo")
    assert report.errors == {
        "missing_input": [2],
        "invalid_preferred_output": [3],
        "invalid_non_preferred_output": [4],
        "unrecognized_key": [5],
    }
    assert report.distributions["total_tokens"] is not None


def test_bedrock_rules(tmp_path: Path) -> None:
    good = {
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
    }
    bad = [
        {"messages": [{"role": "assistant", "content": "Hello"}]},
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "user", "content": "b"},
                {"role": "assistant", "content": "c"},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"},
            ]
        },
        {**good, "tools": []},
        {"system": ["x"], "messages": good["messages"]},
        {"messages": [{"role": "user", "content": "a", "name": "bob"}, {"role": "assistant", "content": "b"}]},
    ]
    report = validate_file(write_jsonl(tmp_path / "bedrock.jsonl", [good, *bad]), format="bedrock")
    assert report.errors["first_message_not_user"] == [2]
    assert report.errors["roles_not_alternating"] == [3]
    assert report.errors["last_message_not_assistant"] == [4]
    assert report.errors["unrecognized_key"] == [5]
    assert report.errors["invalid_system"] == [6]
    assert report.errors["message_unrecognized_key"] == [7]
    assert report.model.approximate  # Claude's tokenizer is not tiktoken: counts are estimates
    assert report.cost_usd is None  # no price shipped for Bedrock


def test_price_override_from_settings(workspace: Path, tmp_path: Path) -> None:
    from agenthone.config import Settings

    (workspace / "hone.toml").write_text('[prices."gpt-4o-mini"]\ntraining_usd_per_1m = 100.0\n')
    report = validate_file(
        write_jsonl(tmp_path / "f.jsonl", [GOOD] * 10), model="gpt-4o-mini", settings=Settings.load(workspace)
    )
    assert report.cost_usd == pytest.approx(report.billed_tokens * 100.0 / 1e6)


def test_bad_inputs_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        validate_file(tmp_path / "missing.jsonl")
    path = write_jsonl(tmp_path / "f.jsonl", [GOOD])
    with pytest.raises(ValidationError, match="unknown format 'csv'"):
        validate_file(path, format="csv")
    from agenthone.datasets import EncodingUnavailableError

    with pytest.raises(EncodingUnavailableError, match="unknown model 'my-model'"):
        validate_file(path, model="my-model")
    assert json.loads(path.read_text())["messages"][0]["role"] == "system"


def test_counts_are_exact_and_the_same_on_any_number_of_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many distinct texts: every figure equals a per-example cookbook count, whether the file is read and
    counted in this process or shared out between worker processes in stretches of lines."""
    import random

    import tiktoken

    from agenthone.datasets import _validate

    rng = random.Random(7)
    words = [
        "refund",
        "order",
        "shipped",
        "parcel",
        "café",
        "naïve",
        "🙂",
        "don't",
        "$12.50",
        "invoice",
        "2026-11-03",
        "<tag>",
        "\\n",
    ]
    examples: list[Any] = []
    for i in range(4500):
        user = {"role": "user", "content": " ".join(rng.choices(words, k=rng.randint(3, 40))) + f" #{i}"}
        answer = {"role": "assistant", "content": " ".join(rng.choices(words, k=rng.randint(1, 60)))}
        examples.append({"messages": [SYSTEM, user, answer]})
    examples[4200] = {"messages": [SYSTEM, USER, {"role": "assistant", "content": "word " * 20000}]}
    examples[4300] = [1, 2]

    enc = tiktoken.get_encoding("cl100k_base")
    expected = [
        3 + sum(3 + sum(len(enc.encode(v)) for v in m.values()) for m in e["messages"])
        for e in examples
        if isinstance(e, dict)
    ]
    examples[10] = ""  # a blank line
    path = write_jsonl(tmp_path / "many.jsonl", examples)
    expected = [e for i, e in enumerate(expected) if i != 10]
    one = validate_file(path, model="gpt-3.5-turbo", threads=1)
    monkeypatch.setattr(_validate, "_PART_BYTES", 16 << 10)  # a few hundred lines per stretch
    monkeypatch.setattr(_validate, "_WAITING", 50)  # texts counted together many times per stretch
    monkeypatch.setattr(_validate, "_REMEMBERED", 4)  # few repeated texts remembered between batches
    several = validate_file(path, model="gpt-3.5-turbo", threads=3)
    monkeypatch.setattr(_validate, "_WAITING", 1 << 20)
    monkeypatch.setattr(_validate, "_WAITING_BYTES", 4 << 10)  # counted after every block of lines
    blocks = validate_file(path, model="gpt-3.5-turbo", threads=2)
    assert blocks.as_dict() == several.as_dict() and blocks.example_tokens == expected
    assert len(_validate._cuts(path, path.stat().st_size, 12)) == 13
    assert one.warnings["blank_line"] == several.warnings["blank_line"] == [11]
    assert one.example_tokens == several.example_tokens == expected
    assert one.errors == several.errors == {"data_type": [4301]}
    assert one.over_limit == several.over_limit == [4201]
    assert one.distributions == several.distributions
    assert one.billed_tokens == several.billed_tokens


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40))
def test_distributions_are_numpys_figures(values: list[int]) -> None:
    """Token counts are summarised in one pass, to exactly what numpy's median and quantiles give."""
    import numpy as np

    from agenthone.datasets._validate import Distribution

    arr = np.asarray(values, dtype=float)
    expected = [arr.min(), arr.max(), arr.mean(), np.median(arr), np.quantile(arr, 0.1), np.quantile(arr, 0.9)]
    for summarised in (values, np.asarray(values)):
        d = Distribution.of(summarised)
        assert d is not None
        assert [d.min, d.max, d.mean, d.median, d.p10, d.p90] == [float(x) for x in expected]


def _mixed_file(path: Path, n: int = 1200) -> Path:
    """Usual lines (plain, with tools, tool calls and weights) with a few broken ones and repeated texts."""
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    lines: list[Any] = []
    for i in range(n):
        user = {"role": "user", "content": f"Where is order {i % 97}? " + "please " * (i % 13)}
        weight = {"weight": i % 2} if i % 7 == 0 else {}
        answer = {"role": "assistant", "content": f"It shipped on day {i}.", **weight}
        if i % 5 == 0:
            messages = [
                user,
                {"role": "assistant", "content": None, "tool_calls": [{**call, "id": f"call_{i}"}]},
                {"role": "tool", "tool_call_id": f"call_{i}", "content": '{"ok": true}'},
                answer,
            ]
            lines.append({"messages": messages, "tools": [tool]})
        else:
            lines.append({"messages": [SYSTEM, user, answer] if i % 3 else [user, answer]})
        if i % 101 == 0:
            lines.append({"messages": [USER, {"role": "robot", "content": "beep"}]})
    return write_jsonl(path, lines)


def test_a_worker_that_dies_leaves_the_file_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from agenthone.datasets import _validate

    path = _mixed_file(tmp_path / "mixed.jsonl")
    one = validate_file(path, model="gpt-4o-mini", threads=1)
    monkeypatch.setattr(_validate, "_PART_BYTES", 8 << 10)

    def die(next_part: Any) -> None:
        os._exit(1)

    monkeypatch.setattr(_validate, "_init_worker", die)
    survived = validate_file(path, model="gpt-4o-mini", threads=2)
    assert survived.as_dict() == one.as_dict()
    assert survived.example_tokens == one.example_tokens
    assert sorted(one.errors) == ["example_missing_assistant_message", "unrecognized_role"]
    assert one.errors["unrecognized_role"][:3] == [2, 104, 206]


def test_spawned_workers_find_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where workers cannot fork (macOS, Windows) they start afresh and load their own tokenizer."""
    from agenthone.datasets import _validate

    path = _mixed_file(tmp_path / "mixed.jsonl")
    one = validate_file(path, model="gpt-4o-mini", threads=1)
    monkeypatch.setattr(_validate, "_PART_BYTES", 8 << 10)
    monkeypatch.setattr(_validate, "_start_method", lambda: "spawn")
    spawned = validate_file(path, model="gpt-4o-mini", threads=2)
    assert spawned.as_dict() == one.as_dict()
    assert spawned.example_tokens == one.example_tokens
    assert spawned.warnings["missing_system_message"][:3] == [1, 2, 5]


# -- the inline checks of usual chat examples never change a finding --------------------------------

_CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
_TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
_MESSAGES = st.sampled_from(
    [
        SYSTEM,
        USER,
        ASSISTANT,
        {"role": "developer", "content": "Be terse."},
        {**ASSISTANT, "weight": 0},
        {**ASSISTANT, "weight": 1},
        {**ASSISTANT, "weight": 1.0},
        {**ASSISTANT, "weight": True},
        {**ASSISTANT, "weight": 2},
        {**USER, "weight": 1},
        {"role": "assistant", "content": None, "tool_calls": [_CALL]},
        {"role": "assistant", "tool_calls": [_CALL]},
        {"role": "assistant", "content": None, "tool_calls": [_CALL], "weight": 0},
        {"role": "assistant", "content": "Checking.", "tool_calls": [_CALL]},
        {"role": "assistant", "content": None, "tool_calls": [{"type": "function"}]},
        {"role": "assistant", "content": None, "tool_calls": [{**_CALL, "extra": 1.5, "small": 1e-05, "big": 1e22}]},
        {"role": "assistant", "content": None, "tool_calls": [{**_CALL, "extra": [10**25, True, None, {"k": -3}]}]},
        {"role": "assistant", "tool_calls": [{**_CALL, "function": {"name": 'é\u2028"\\', "arguments": "\t1e-05"}}]},
        {"role": "user", "content": None, "tool_calls": [_CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"ok": true}'},
        {"role": "tool", "content": '{"ok": true}'},
        {"role": "tool", "tool_call_id": 7, "content": "x"},
        {"role": "user", "name": "bob", "content": "Hi"},
        {"role": "function", "name": "f", "content": "{}"},
        {"role": "robot", "content": "beep"},
        {"role": "assistant"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "user", "content": "Hi", "mood": 1},
        {"content": "no role"},
        "not a message",
        ["a", "list"],
    ]
)
_EXAMPLES = st.one_of(
    st.builds(lambda m: {"messages": m}, st.lists(_MESSAGES, max_size=6)),
    st.builds(
        lambda m, t: {"messages": m, "tools": t},
        st.lists(_MESSAGES, min_size=1, max_size=5),
        st.sampled_from([[_TOOL], [_TOOL, _TOOL], [], [{"name": "no_type"}], "tools", [{**_TOOL, "w": float("nan")}]]),
    ),
    st.builds(lambda m: {"messages": m, "parallel_tool_calls": False}, st.lists(_MESSAGES, min_size=1, max_size=3)),
    st.builds(lambda m: {"messages": m, "other": 1}, st.lists(_MESSAGES, min_size=1, max_size=3)),
    st.sampled_from([{"messages": "x"}, {}, [1], "text", 3, None]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EXAMPLES, min_size=1, max_size=12), st.sampled_from(["", " ", "\t"]))
def test_inline_checks_agree_with_the_full_checks(examples: list[Any], space: str) -> None:
    """In memory (dicts) and in a file (typed lines): the same report as the full checks of every line."""
    import tempfile

    from agenthone.datasets import _validate
    from agenthone.datasets._validate import as_numbered, validate_examples

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.jsonl"
        path.write_text("".join(json.dumps(e, separators=(",", ":" + space)) + "\n" for e in examples))
        typed = validate_file(path, model="gpt-4o-mini")
        with pytest.MonkeyPatch.context() as patch:  # texts counted a few at a time, few remembered
            patch.setattr(_validate, "_WAITING", 2)
            patch.setattr(_validate, "_REMEMBERED", 1)
            patch.setattr(_validate, "_BLOCK", 256)  # a few lines per block
            batches = validate_file(path, model="gpt-4o-mini")
            # different texts with one hash: told apart all the same
            patch.setattr(_validate, "hash", lambda text: len(text) % 3, raising=False)
            collided = validate_file(path, model="gpt-4o-mini")
        fast = validate_examples(as_numbered(examples), model="gpt-4o-mini")
        originals = _validate._fast_chat, _validate._typed_chat_decoder
        _validate._fast_chat = lambda *args: None
        _validate._typed_chat_decoder = lambda: None  # type: ignore[assignment]
        try:
            full = validate_examples(as_numbered(examples), model="gpt-4o-mini")
            full_file = validate_file(path, model="gpt-4o-mini")
        finally:
            _validate._fast_chat, _validate._typed_chat_decoder = originals
    assert fast.as_dict() == full.as_dict()
    assert fast.example_tokens == full.example_tokens
    assert typed.as_dict() == full_file.as_dict() == batches.as_dict() == collided.as_dict()
    assert typed.example_tokens == full_file.example_tokens == batches.example_tokens == collided.example_tokens


def test_usual_examples_take_the_inline_checks() -> None:
    """The shapes a well-formed file is made of are checked inline (else the speed is lost, not the result)."""
    from agenthone.datasets import _validate
    from agenthone.datasets._tokens import TokenCounter
    from agenthone.datasets._validate import _fast_chat

    counter = TokenCounter("o200k_base")
    get, miss = counter.lookups()
    usual = [
        GOOD,
        {"messages": [{"role": "developer", "content": "x"}, USER, {**ASSISTANT, "weight": 0}, ASSISTANT]},
        {
            "messages": [
                USER,
                {"role": "assistant", "content": None, "tool_calls": [_CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": "{}"},
                ASSISTANT,
            ],
            "tools": [_TOOL],
        },
    ]
    decoder = _validate._typed_chat_decoder()
    assert decoder is not None
    reader = _validate._ChatReader(decoder, counter)
    others: list[bytes] = []
    check_alone = reader._other
    reader._other = lambda raw, line, found: others.append(raw) or check_alone(raw, line, found)  # type: ignore[method-assign]
    for example in usual:
        assert _fast_chat(example, get, miss, {}) is not None, example
    reader.read([[json.dumps(example).encode() for example in usual]])
    assert others == []  # every line checked with its block
    [part] = reader.parts(None)
    assert part.n_examples == 3 and part.errors == {} and list(part.n_messages) == [3, 4, 4]


def test_json_that_msgspec_refuses_is_read_as_json_reads_it(tmp_path: Path) -> None:
    """NaN, integers beyond 64 bits, lone surrogates and a BOM are valid for Python's json: so they stay."""
    lines = [
        '\ufeff{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
        '{"messages": [{"role": "user", "content": "\\ud800 lone"}, {"role": "assistant", "content": "ok"}]}',
        json.dumps({**GOOD, "tools": [{**_TOOL, "function": {"name": "f", "big": 2**70}}]}),
        json.dumps({**GOOD, "tools": [{**_TOOL, "function": {"name": "f", "x": float("nan")}}]}),
        json.dumps({**GOOD, "tools": [{**_TOOL, "function": {"name": "f", "x": None}}]}),
        '{"messages": [',
        b"\xff\xfe not utf-8".decode("latin-1"),
    ]
    path = tmp_path / "odd.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8").replace("ÿþ".encode(), b"\xff\xfe") + b"\r\n")
    report = validate_file(path, model="gpt-4o-mini")
    assert report.errors == {"invalid_json": [6, 7]}
    assert report.n_examples == 7
    import tiktoken

    enc = tiktoken.get_encoding("o200k_base")
    expected = []
    for line in path.read_bytes().split(b"\n")[:5]:
        example = json.loads(line)
        total = 3 + sum(3 + sum(len(enc.encode_ordinary(v)) for v in m.values()) for m in example["messages"])
        if "tools" in example:
            total += len(enc.encode_ordinary(json.dumps(example["tools"], ensure_ascii=False, separators=(",", ":"))))
        expected.append(total)
    assert report.example_tokens == expected


def test_tool_calls_are_counted_as_their_compact_json(tmp_path: Path) -> None:
    """Whatever values tool calls hold (floats written two ways, big integers, escapes), they are counted as
    ``json.dumps`` writes them compactly, as the cookbook counts any value that is not text."""
    import tiktoken

    from agenthone.datasets import _validate

    odd = [
        {**_CALL, "extra": 1e22, "small": 1.5e-07, "half": 0.5},
        {**_CALL, "big": 10**25, "flags": [True, None, -3]},
        {**_CALL, "function": {"name": 'é\u2028"\\', "arguments": '{"q": "\\u00e9\\n"}'}},
    ]
    examples = [{"messages": [USER, {"role": "assistant", "content": None, "tool_calls": [call]}]} for call in odd]
    path = write_jsonl(tmp_path / "calls.jsonl", examples)
    enc = tiktoken.get_encoding("o200k_base")
    user_tokens = 3 + len(enc.encode_ordinary("user")) + len(enc.encode_ordinary(USER["content"]))
    expected = [
        3 + user_tokens + 3 + len(enc.encode_ordinary("assistant"))
        + len(enc.encode_ordinary(json.dumps([call], ensure_ascii=False, separators=(",", ":"))))
        for call in odd
    ]  # fmt: skip
    report = validate_file(path, model="gpt-4o-mini")
    assert report.example_tokens == expected and not report.errors
    original = _validate._typed_chat_decoder
    _validate._typed_chat_decoder = lambda: None  # type: ignore[assignment]
    try:
        assert validate_file(path, model="gpt-4o-mini").example_tokens == expected
    finally:
        _validate._typed_chat_decoder = original
