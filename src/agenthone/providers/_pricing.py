"""Training prices and billed-token counts behind one call, so the cost guard has a single source.

The datasets stage (``agenthone.datasets``) owns the price table (shipped ``prices.toml`` plus the
workspace's ``[prices."<model>"]`` overrides) and exact offline token counting with tiktoken; both are
used here. Only if that stage cannot be imported does a small built-in table with a
4-characters-per-token estimate stand in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agenthone.config import Settings

__all__ = ["TRAINING_PRICES_USD_PER_MILLION", "billed_example_tokens", "default_epochs", "training_price"]

TRAINING_PRICES_USD_PER_MILLION: dict[str, float] = {
    # fallback only: OpenAI's published training prices per million tokens
    "gpt-4.1": 25.0,
    "gpt-4.1-mini": 5.0,
    "gpt-4.1-nano": 1.5,
    "gpt-4o": 25.0,
    "gpt-4o-mini": 3.0,
    "gpt-3.5-turbo": 8.0,
}

MAX_TOKENS_PER_EXAMPLE = 65_536

# how OpenAI picks n_epochs="auto" (as documented in its fine-tuning cookbook)
_TARGET_EPOCHS = 3
_MIN_TARGET_EXAMPLES = 100
_MAX_TARGET_EXAMPLES = 25_000


def default_epochs(n_examples: int) -> int:
    """The epochs a provider's ``auto`` setting picks for ``n_examples`` training examples."""
    try:
        from agenthone.datasets import default_epochs as shipped

        return max(1, int(shipped(n_examples)))
    except ImportError:
        pass
    if n_examples <= 0:
        return _TARGET_EPOCHS
    if n_examples * _TARGET_EPOCHS < _MIN_TARGET_EXAMPLES:
        return min(25, _MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * _TARGET_EPOCHS > _MAX_TARGET_EXAMPLES:
        return max(1, _MAX_TARGET_EXAMPLES // n_examples)
    return _TARGET_EPOCHS


def _model_info(base_model: str, settings: Settings | None) -> Any:
    try:
        from agenthone.datasets import model_info
    except ImportError:
        return None
    try:
        return model_info(base_model, settings=settings)
    except Exception:  # unknown model: no price, no encoding
        return None


def training_price(base_model: str, *, settings: Settings | None = None) -> tuple[float | None, str]:
    """USD per million training tokens of ``base_model`` and where the figure comes from."""
    info = _model_info(base_model, settings)
    if info is not None and info.training_usd_per_1m is not None:
        return float(info.training_usd_per_1m), "price table (agenthone.datasets, [prices] in hone.toml)"
    name = base_model.removeprefix("ft:").split(":", 1)[0]
    for prefix in sorted(TRAINING_PRICES_USD_PER_MILLION, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "-"):
            return TRAINING_PRICES_USD_PER_MILLION[prefix], "built-in price table"
    return None, "no price known"


def billed_example_tokens(
    examples: Iterable[Mapping[str, Any]], *, base_model: str, method: str = "sft", settings: Settings | None = None
) -> tuple[int, str]:
    """Tokens one epoch of ``examples`` is billed for (capped per example) and how they were counted.

    SFT bills each example's messages; DPO the prompt with both the preferred and the rejected output.
    """
    examples = list(examples)
    info = _model_info(base_model, settings)
    counter = None
    if info is not None:
        try:
            from agenthone.datasets import TokenCounter

            counter = TokenCounter(info.encoding)
        except Exception:
            counter = None
    limit = (info.max_tokens_per_example if info is not None else None) or MAX_TOKENS_PER_EXAMPLE

    def messages_of(ex: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
        msgs = [dict(m) for m in ex.get("messages") or []]
        if method != "dpo":
            return [msgs]
        prompt = msgs[:-1] if msgs and msgs[-1].get("role") == "assistant" else msgs
        chosen = {"role": "assistant", "content": str(ex.get("reference") or "")}
        rejected = {"role": "assistant", "content": str(ex.get("rejected") or "")}
        return [[*prompt, chosen], [rejected]]

    total = 0
    for ex in examples:
        n = 0
        for msgs in messages_of(ex):
            if counter is not None:
                n += counter.message_tokens(msgs)
            else:
                n += len(json.dumps(msgs, ensure_ascii=False)) // 4 + 4 * len(msgs)
        total += min(n, limit)
    if counter is not None:
        return total, f"counted with tiktoken {info.encoding}"
    return total, "approximate (4 characters per token)"
