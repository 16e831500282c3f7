"""Token counts: exact (same as tiktoken) and offline (shipped encodings, verified, no download)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agenthone.datasets import TokenCounter
from agenthone.datasets._tokens import ENCODINGS, ensure_encodings, tiktoken_cache_dir

NO_NETWORK = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    """
)


def test_encodings_load_offline_into_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "tiktoken-cache"
    script = NO_NETWORK + textwrap.dedent(
        """
        import tiktoken
        from agenthone.datasets import get_encoding
        from agenthone.datasets._tokens import encoding_for_model

        for name in ("cl100k_base", "o200k_base"):
            enc = get_encoding(name)
            text = "hello world, offline café"
            print(name, enc.decode(enc.encode(text)) == text)
        # once installed, plain tiktoken finds them too (e.g. code that never imports agenthone)
        print(tiktoken.encoding_for_model("gpt-4o-mini").name, encoding_for_model("ft:gpt-4o-mini-2024-07-18:org::abc"))
        """
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cl100k_base", "True", "o200k_base", "True", "o200k_base", "o200k_base"]
    # the installed files are byte-identical to OpenAI's (the sha256 tiktoken expects)
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in cache.iterdir()}
    assert sorted(files.values()) == sorted(ENCODINGS.values())


def test_a_corrupt_cached_file_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agenthone.datasets import _tokens

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_tokens, "_installed", set())
    ensure_encodings(["cl100k_base"])
    (cached,) = list(tmp_path.iterdir())
    cached.write_bytes(b"garbage")
    monkeypatch.setattr(_tokens, "_installed", set())
    ensure_encodings(["cl100k_base"])
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == ENCODINGS["cl100k_base"]
    assert tiktoken_cache_dir() == tmp_path


def test_empty_cache_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from agenthone.datasets import EncodingUnavailableError

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(EncodingUnavailableError, match="TIKTOKEN_CACHE_DIR is empty"):
        tiktoken_cache_dir()


COUNTERS = {name: TokenCounter(name) for name in ("cl100k_base", "o200k_base")}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_counts_equal_tiktoken_and_repeat(texts: list[str]) -> None:
    for counter in COUNTERS.values():
        for text in [*texts, *texts]:  # the second round comes from the cache
            assert counter.count(text) == len(counter.encoding.encode_ordinary(text))


def test_cookbook_message_count() -> None:
    counter = COUNTERS["cl100k_base"]
    enc = counter.encoding
    messages = [{"role": "system", "content": "Be kind."}, {"role": "user", "name": "bob", "content": "Hi there"}]
    expected = 3 + sum(3 + sum(len(enc.encode(v)) for v in m.values()) + (1 if "name" in m else 0) for m in messages)
    assert counter.message_tokens(messages) == expected


def _texts_of(value: object) -> list[str]:
    """Every string of a parsed JSON value, and each object's compact JSON (as values are counted)."""
    import json

    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        out = [json.dumps(value, ensure_ascii=False, separators=(",", ":"))]
        return out + [t for v in value.values() for t in _texts_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts_of(v)]
    return []


def test_counts_equal_tiktoken_on_the_public_data() -> None:
    """Whatever tokenizer counts (bpe-openai when installed), every text of the public data set counts
    exactly what tiktoken counts, in both shipped encodings."""
    import json

    from tests.conftest import shared_data

    texts: set[str] = set()
    for folder in ("cookbook", "defacto", "bfcl"):
        for path in sorted(shared_data(folder).glob("*.json*")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    texts.update(_texts_of(json.loads(line)))
    assert len(texts) > 10_000
    for counter in COUNTERS.values():
        assert counter.tokenizer in ("bpe-openai", "tiktoken")
        encode = counter.encoding.encode_ordinary
        mismatched = [t[:80] for t in texts if counter.count(t) != len(encode(t))]
        assert not mismatched, (counter.encoding_name, counter.tokenizer, mismatched[:5])


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_fast_counter_is_exact_on_awkward_text(name: str) -> None:
    from agenthone.datasets._tokens import fast_counter

    count, _ = fast_counter(name)
    encode = COUNTERS[name].encoding.encode_ordinary
    awkward = [
        "",
        " ",
        "   \n\n\t  ",
        "<|endoftext|> is text here",
        "<|fim_prefix|><|im_start|>",
        "lone \ud800 surrogate",
        "\udc00",
        "naïve café 🙂 👨‍👩‍👧 你好 ｆｕｌｌ",
        "1234567890 3.14159 $12.50 2026-11-03",
        "I'll we've THEY'RE ’s",
        "x" * 100_000,
        "ab1" * 50_000,
    ]
    assert [count(t) for t in awkward] == [len(encode(t)) for t in awkward]
    assert COUNTERS[name].count_all(awkward) == [len(encode(t)) for t in awkward]
    assert COUNTERS[name].count_all(awkward[:4]) == [len(encode(t)) for t in awkward[:4]]
    # counted longest first, answered in the order asked (ties and repeats included)
    mixed = [*awkward[::-1], "ab", "cd", *awkward, "ab"]
    assert COUNTERS[name].count_all(mixed) == [len(encode(t)) for t in mixed]
