"""The anthropic provider: generation through the real SDK against a local Messages API stub."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone.config import Settings
from agenthone.providers import ChatProvider, FineTuner, NotSupportedError, ProviderError, get_fine_tuner, get_provider
from agenthone.providers._anthropic import to_anthropic_messages
from tests.providers.stub_server import Stub


def test_generation_sends_system_separately(stub: Stub, workspace: Path) -> None:
    provider = get_provider("anthropic", settings=Settings.load(workspace))
    prompt = [
        {"role": "system", "content": "You write short product copy."},
        {"role": "user", "content": "Describe the red lamp by Acme; it is quiet, ships in 3 days."},
    ]
    out = provider.generate("claude-haiku-4-5", [prompt])
    assert out == ["The Acme lamp comes in red. It is quiet and ships in 3 days. [system seen]"]
    sent = stub.state.calls("POST", "/v1/messages")[0]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert stub.anthropic_key in (headers.get("x-api-key"), headers.get("authorization", "").removeprefix("Bearer "))


def test_messages_are_made_to_alternate() -> None:
    system, turns = to_anthropic_messages(
        [
            {"role": "system", "content": "be brief"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "1", "function": {"name": "f"}}]},
            {"role": "tool", "content": "42", "tool_call_id": "1"},
        ]
    )
    assert system == "be brief"
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant", "user"]
    assert turns[2]["content"] == "a\n\nb"
    assert turns[4]["content"] == "Tool result: 42"


def test_anthropic_is_a_chat_provider_only_and_says_how_to_fine_tune(stub: Stub, workspace: Path) -> None:
    settings = Settings.load(workspace)
    provider = get_provider("anthropic", settings=settings)
    assert isinstance(provider, ChatProvider)
    assert not isinstance(provider, FineTuner)
    assert not hasattr(provider, "create_job") and not hasattr(provider, "estimate_cost")
    with pytest.raises(NotSupportedError) as info:
        get_fine_tuner("anthropic", settings=settings)
    message = str(info.value)
    assert "no public fine-tuning API" in message
    assert "hone dataset export NAME --format bedrock" in message


def test_missing_key(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ProviderError, match="set ANTHROPIC_API_KEY"):
        get_provider("anthropic", settings=Settings.load(workspace)).generate(
            "claude", [[{"role": "user", "content": "hi"}]]
        )
