from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.stub_server import Stub, stub_server, wire_workspace


@pytest.fixture
def stub(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    """The OpenAI/Anthropic stub server, the workspace pointed at it, and secret keys in the environment."""
    with stub_server() as (url, state):
        openai_key = "sk-test-" + secrets.token_hex(16)
        anthropic_key = "sk-ant-test-" + secrets.token_hex(16)
        monkeypatch.setenv("OPENAI_API_KEY", openai_key)
        monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_key)
        wire_workspace(workspace, url)
        yield Stub(url, state, openai_key, anthropic_key)
