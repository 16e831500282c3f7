"""Local models: a tiny model built from a config with a tokenizer trained on the data, and generation.

Without a model directory the local provider still fine-tunes something real: a byte-level BPE
tokenizer is trained on the dataset's own texts (offline, seconds) and a small Llama-architecture model
is initialised from a config. It starts from noise, so the untrained baseline is honest and whatever
the model knows after training it learnt from the user's data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agenthone.providers._base import Message, ProviderError, message_text

__all__ = [
    "CHAT_TEMPLATE",
    "SCRATCH_DEFAULTS",
    "LocalChatModel",
    "build_scratch_model",
    "count_chat_tokens",
    "is_model_dir",
    "load_local_chat_model",
    "normalise_messages",
    "train_scratch_tokenizer",
]

SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|developer|>"]

# ChatML-like; the assistant turn is wrapped in {% generation %} so assistant-only loss works too, and the
# prompt rendered with add_generation_prompt is a prefix of the full conversation (prompt-completion loss)
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] }}{{ '<|end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

SCRATCH_DEFAULTS: dict[str, int] = {
    "vocab_size": 2048,
    "hidden_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 384,
    "max_position_embeddings": 1024,
}
"""Size of the model built when no model directory is given (~0.7M parameters): a few steps per second on
two CPU cores, enough to learn the phrasing of an agent's outputs. Override with ``[providers.local] scratch``."""

SCRATCH_MARKER = "agenthone_scratch.json"


def is_model_dir(path: Path) -> bool:
    """Does ``path`` hold a transformers model (config) or a PEFT adapter?"""
    return (path / "config.json").is_file() or (path / "adapter_config.json").is_file()


def normalise_messages(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Messages with plain-text content (tool calls written inline), as the built-in chat template expects."""
    out = []
    for m in messages:
        role = str(m.get("role") or "user")
        if role == "function":
            role = "tool"
        out.append({"role": role, "content": message_text(m)})
    return out


def _training_texts(examples: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for ex in examples:
        for m in normalise_messages(ex.get("messages") or []):
            yield m["content"]
        if ex.get("rejected"):
            yield str(ex["rejected"])


def train_scratch_tokenizer(
    examples: Sequence[Mapping[str, Any]], *, vocab_size: int = SCRATCH_DEFAULTS["vocab_size"], max_length: int = 1024
) -> Any:
    """The byte-level BPE tokenizer (with the chat template) that a scratch model is built with."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_texts(examples), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|end|>",
        pad_token="<|pad|>",
        model_max_length=max_length,
        padding_side="right",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def count_chat_tokens(tokenizer: Any, conversations: Iterable[Sequence[Mapping[str, Any]]]) -> list[int]:
    """Tokens of each conversation as ``tokenizer``'s chat template renders it for training."""
    out = []
    for messages in conversations:
        ids = tokenizer.apply_chat_template(normalise_messages(messages), tokenize=True, return_dict=False)
        out.append(len(ids))
    return out


def build_scratch_model(
    examples: Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    seed: int = 0,
    **sizes: int,
) -> Path:
    """Train a BPE tokenizer on ``examples`` and save it with a freshly initialised small model in ``out_dir``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    size = {**SCRATCH_DEFAULTS, **{k: int(v) for k, v in sizes.items() if v is not None}}
    unknown = set(size) - set(SCRATCH_DEFAULTS)
    if unknown:
        raise ProviderError(
            f"unknown scratch model setting {sorted(unknown)[0]!r} (known: {', '.join(SCRATCH_DEFAULTS)})"
        )
    if not examples:
        raise ProviderError("cannot build a model from an empty dataset")
    tokenizer = train_scratch_tokenizer(
        examples, vocab_size=size["vocab_size"], max_length=size["max_position_embeddings"]
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size["hidden_size"],
        intermediate_size=size["intermediate_size"],
        num_hidden_layers=size["num_hidden_layers"],
        num_attention_heads=size["num_attention_heads"],
        num_key_value_heads=size["num_attention_heads"],
        max_position_embeddings=size["max_position_embeddings"],
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    params = sum(p.numel() for p in model.parameters())
    (out_dir / SCRATCH_MARKER).write_text(json.dumps({"sizes": size, "parameters": params, "seed": seed}, indent=1))
    return out_dir


def is_scratch(path: Path) -> bool:
    """Was the model in ``path`` built by :func:`build_scratch_model` (or fine-tuned from one)?"""
    return (path / SCRATCH_MARKER).is_file()


class LocalChatModel:
    """Greedy (or sampled) batched generation with a local transformers model, optionally with a LoRA adapter."""

    def __init__(
        self,
        path: str | Path,
        *,
        adapter: str | Path | None = None,
        device: str = "auto",
        name: str | None = None,
        batch_size: int = 16,
    ) -> None:
        self.path = Path(path)
        self.adapter = Path(adapter) if adapter else None
        self.device = device
        self.name = name or str(self.adapter or self.path)
        self.batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._scratch = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bars in the middle of a CLI progress bar
        if not is_model_dir(self.path):
            raise ProviderError(f"{self.path} holds no model (no config.json)")
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        tokenizer_dir = (
            self.adapter if self.adapter and (self.adapter / "tokenizer_config.json").is_file() else self.path
        )
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        dtype = torch.float32 if device == "cpu" else "auto"
        model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype)
        if self.adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, self.adapter)  # type: ignore[assignment]
        model.to(device)  # type: ignore[arg-type]
        model.eval()
        self._model, self._tokenizer, self._device = model, tokenizer, device
        self._scratch = is_scratch(self.path)

    def generate(
        self, prompts: Sequence[Sequence[Message]], *, max_new_tokens: int = 256, temperature: float = 0.0
    ) -> list[str]:
        """The model's reply to each prompt; prompts are batched and left-padded."""
        import torch

        with self._lock:
            self._load()
            tok, model = self._tokenizer, self._model
            out: list[str] = []
            for start in range(0, len(prompts), self.batch_size):
                batch = prompts[start : start + self.batch_size]
                texts = [
                    tok.apply_chat_template(
                        normalise_messages(p) if self._scratch else [dict(m) for m in p],
                        tokenize=False,
                        add_generation_prompt=True,
                    )
                    for p in batch
                ]
                limit = getattr(model.config, "max_position_embeddings", None) or 4096
                enc = tok(
                    texts,
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=max(8, limit - max_new_tokens),
                    add_special_tokens=False,
                ).to(self._device)
                kwargs: dict[str, Any] = {
                    "max_new_tokens": max_new_tokens,
                    "pad_token_id": tok.pad_token_id,
                    "eos_token_id": tok.eos_token_id,
                }
                if temperature > 0:
                    kwargs.update(do_sample=True, temperature=temperature)
                else:
                    kwargs.update(do_sample=False)
                with torch.no_grad():
                    generated = model.generate(**enc, **kwargs)
                new_tokens = generated[:, enc["input_ids"].shape[1] :]
                out.extend(t.strip() for t in tok.batch_decode(new_tokens, skip_special_tokens=True))
            return out

    def __repr__(self) -> str:
        return f"LocalChatModel({self.name!r})"


_CACHE: dict[tuple[str, str | None, str], LocalChatModel] = {}


def load_local_chat_model(
    path: str | Path, *, adapter: str | Path | None = None, device: str = "auto"
) -> LocalChatModel:
    """A (per-process cached) :class:`LocalChatModel` for a model directory and optional adapter."""
    key = (str(Path(path).resolve()), str(Path(adapter).resolve()) if adapter else None, device)
    if key not in _CACHE:
        _CACHE[key] = LocalChatModel(path, adapter=adapter, device=device)
    return _CACHE[key]
