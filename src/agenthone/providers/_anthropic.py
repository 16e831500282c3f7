"""The ``anthropic`` provider: Claude for generation (evaluation, judging) through the official SDK.

Anthropic offers no public fine-tuning API: Claude models are fine-tuned on Amazon Bedrock. So this
provider plays the chat role only; asking it to fine-tune answers with :class:`NotSupportedError` naming
the way that works: export the dataset in Bedrock's format and submit it there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agenthone.providers._base import ChatModel, ChatProvider, Message, ProviderError, message_text, redact

__all__ = ["NO_FINE_TUNING", "AnthropicProvider", "to_anthropic_messages"]

NO_FINE_TUNING = (
    "the anthropic provider cannot fine-tune: Anthropic has no public fine-tuning API (Claude models are "
    "fine-tuned on Amazon Bedrock); export the dataset in Bedrock's format with "
    "`hone dataset export NAME --format bedrock` and create the job in Bedrock"
)


class AnthropicProvider(ChatProvider):
    """Claude through the Messages API (a chat provider only: see :data:`NO_FINE_TUNING`)."""

    name = "anthropic"
    fine_tuning_hint = NO_FINE_TUNING

    def __init__(
        self, *, base_url: str | None = None, max_retries: int = 4, timeout: float = 60.0, concurrency: int = 4
    ) -> None:
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            key = os.environ.get("ANTHROPIC_API_KEY")
            if not key:
                raise ProviderError("set ANTHROPIC_API_KEY in the environment to use the anthropic provider")
            from anthropic import Anthropic

            self._client = Anthropic(
                api_key=key, base_url=self.base_url, max_retries=self.max_retries, timeout=self.timeout
            )
        return self._client

    def chat_model(self, model: str) -> ChatModel:
        return AnthropicChatModel(self, model)


class AnthropicChatModel:
    """Messages API replies of one Claude model, a few requests at a time."""

    def __init__(self, provider: AnthropicProvider, model: str) -> None:
        self.provider = provider
        self.model = model
        self.name = f"anthropic:{model}"

    def generate(
        self, prompts: Sequence[Sequence[Message]], *, max_new_tokens: int = 256, temperature: float = 0.0
    ) -> list[str]:
        import anthropic

        client = self.provider.client

        def one(messages: Sequence[Message]) -> str:
            system, turns = to_anthropic_messages(messages)
            kwargs: dict[str, Any] = {
                "model": self.model,
                "max_tokens": max_new_tokens,
                "messages": turns,
            }
            if temperature > 0:  # newer SDKs take sampling settings only as extra body fields
                kwargs["extra_body"] = {"temperature": temperature}
            if system:
                kwargs["system"] = system
            try:
                response = client.messages.create(**kwargs)
            except anthropic.APIStatusError as exc:
                body = exc.body if isinstance(exc.body, dict) else {}
                inner = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
                detail = inner.get("message") or str(exc).splitlines()[0]
                raise ProviderError(redact(f"anthropic message failed: HTTP {exc.status_code}: {detail}")) from None
            except anthropic.APIConnectionError as exc:
                raise ProviderError(redact(f"anthropic message: cannot reach the API ({exc})")) from None
            return "".join(getattr(block, "text", "") for block in response.content).strip()

        with ThreadPoolExecutor(max_workers=self.provider.concurrency) as pool:
            return list(pool.map(one, prompts))


def to_anthropic_messages(messages: Sequence[Message]) -> tuple[str, list[dict[str, str]]]:
    """OpenAI-style messages as Anthropic's ``system`` text and alternating user/assistant turns."""
    system_parts: list[str] = []
    turns: list[dict[str, str]] = []
    for m in messages:
        role = str(m.get("role") or "user")
        text = message_text(m)
        if role in ("system", "developer"):
            system_parts.append(text)
            continue
        if role in ("tool", "function"):
            role, text = "user", f"Tool result: {text}"
        if role not in ("user", "assistant"):
            role = "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + text
        else:
            turns.append({"role": role, "content": text})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": "(continue)"})
    return "\n\n".join(system_parts), turns
