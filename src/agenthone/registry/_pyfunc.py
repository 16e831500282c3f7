"""The MLflow pyfunc model every registered version is: chat prompts in, replies out.

A version holds either local model files (a full model, or a LoRA adapter with its base) as
artifacts, or only a provider and model id (``openai``/``anthropic``): its ``model_config`` says which.
Input: a DataFrame (or dict) with a ``messages`` column (JSON chat messages, or a list of message
dicts) or a ``prompt`` column (plain text); output: one reply string per row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mlflow.pyfunc

__all__ = ["HoneChatModel", "prompts_from_input", "signature"]


def prompts_from_input(model_input: Any) -> list[list[dict[str, Any]]]:
    """Chat prompts from what ``predict`` receives (DataFrame, dict of columns, list of strings or messages)."""
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        rows = model_input.to_dict("records")
    elif isinstance(model_input, Mapping):
        rows = pd.DataFrame(dict(model_input)).to_dict("records")
    elif isinstance(model_input, str):
        rows = [{"prompt": model_input}]
    else:
        rows = [
            {"prompt": item}
            if isinstance(item, str)
            else ({"messages": item} if isinstance(item, list) else dict(item))
            for item in model_input
        ]
    prompts: list[list[dict[str, Any]]] = []
    for row in rows:
        messages, prompt = row.get("messages"), row.get("prompt")
        # MLflow turns a dict of lists into one row holding the lists: spread them out again
        if _is_list(messages) and messages and all(isinstance(m, str) for m in messages):
            prompts.extend(_messages(json.loads(m)) for m in messages)
        elif _is_list(prompt) and prompt and all(isinstance(p, str) for p in prompt):
            prompts.extend([{"role": "user", "content": p}] for p in prompt)
        elif isinstance(messages, str) and messages.strip():
            prompts.append(_messages(json.loads(messages)))
        elif _is_list(messages) and len(messages):
            prompts.append(_messages(messages))
        else:
            prompts.append([{"role": "user", "content": str(prompt or "")}])
    return prompts


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray"


def _messages(value: Any) -> list[dict[str, Any]]:
    return [dict(m) for m in value]


def signature() -> Any:
    """A string out per prompt; generation settings as params; no input schema.

    The input is a prompt, a list of prompts or of chats, a dict of columns or a DataFrame with a ``prompt``
    or ``messages`` (JSON) column (see :func:`prompts_from_input`). An input schema would make MLflow reshape
    a plain list of prompts into an unnamed column and then drop it as an unknown input.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    return ModelSignature(
        inputs=None,
        outputs=Schema([ColSpec("string")]),
        params=ParamSchema([ParamSpec("max_new_tokens", "long", 256), ParamSpec("temperature", "double", 0.0)]),
    )


class HoneChatModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Generates with the model a registered version points at (local files or a provider's model id)."""

    # the input is a DataFrame, a dict of columns or a list (see prompts_from_input): MLflow's type-hint
    # validation would only get in the way (and warn on every import)
    _skip_type_hint_validation = True

    def load_context(self, context: Any) -> None:
        config = dict(context.model_config or {})
        self.config = config
        # a served model is an entry point of its own: the workspace (for [providers.<name>]) is wherever it runs
        from agenthone.config import Settings
        from agenthone.providers import get_chat_provider

        options = dict(config.get("provider_options") or {})
        provider = get_chat_provider(str(config.get("provider") or "local"), settings=Settings.load(), **options)
        self.model: Any = provider.registered_model(config, dict(context.artifacts or {}))

    # untyped on purpose: MLflow would read hints as an input schema (the signature is given explicitly)
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        params = params or {}
        prompts = prompts_from_input(model_input)
        return list(
            self.model.generate(
                prompts,
                max_new_tokens=int(params.get("max_new_tokens") or 256),
                temperature=float(params.get("temperature") or 0.0),
            )
        )
