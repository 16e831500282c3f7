"""Search spaces: the hyperparameters a study samples per provider and method, and the spec file overriding them."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agenthone.errors import ConfigError

if TYPE_CHECKING:
    import optuna

__all__ = ["Param", "SearchSpace", "TuneSpec", "default_space", "load_spec"]

Kind = Literal["float", "int", "categorical"]


@dataclass(frozen=True)
class Param:
    """One hyperparameter of a search space: a float or int range (optionally log-scaled) or a set of choices."""

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if not self.choices:
                raise ConfigError(f"search space {self.name!r}: give at least one choice")
            return
        if self.low is None or self.high is None or not self.low <= self.high:
            raise ConfigError(f"search space {self.name!r}: needs low <= high, got {self.low!r}..{self.high!r}")
        if self.log and self.low <= 0:
            raise ConfigError(f"search space {self.name!r}: a log range must start above 0, got {self.low!r}")

    def suggest(self, trial: optuna.Trial) -> Any:
        """The value ``trial`` samples for this parameter."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low or 0), int(self.high or 0), log=self.log)
        return trial.suggest_float(self.name, float(self.low or 0), float(self.high or 0), log=self.log)

    def contains(self, value: Any) -> bool:
        if self.kind == "categorical":
            return value in self.choices
        return isinstance(value, (int, float)) and float(self.low or 0) <= float(value) <= float(self.high or 0)

    def narrowed(self, values: list[Any], *, margin: float = 0.25) -> Param:
        """This parameter restricted to the range of ``values`` (widened by ``margin``), never beyond its bounds."""
        if not values:
            return self
        if self.kind == "categorical":
            kept = tuple(c for c in self.choices if c in values)
            return Param(self.name, self.kind, choices=kept or self.choices)
        lo, hi = float(min(values)), float(max(values))
        if self.log:
            span = max(math.log(hi / lo), 0.0) if lo > 0 else 0.0
            widen = math.exp(max(span * margin, math.log(1.5)))
            lo, hi = lo / widen, hi * widen
        else:
            span = hi - lo
            widen = max(span * margin, (float(self.high or 0) - float(self.low or 0)) * 0.1)
            lo, hi = lo - widen, hi + widen
        lo, hi = max(lo, float(self.low or lo)), min(hi, float(self.high or hi))
        if self.kind == "int":
            lo, hi = math.floor(lo), math.ceil(hi)
        return Param(self.name, self.kind, low=lo, high=hi, log=self.log)

    def as_dict(self) -> dict[str, Any]:
        if self.kind == "categorical":
            return {"choices": list(self.choices)}
        d: dict[str, Any] = {"type": self.kind, "low": self.low, "high": self.high}
        if self.log:
            d["log"] = True
        return d

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any]) -> Param:
        unknown = set(spec) - {"kind", "type", "low", "high", "log", "choices"}
        if unknown:
            raise ConfigError(f"search space {name!r}: unknown keys {sorted(unknown)} (low, high, log, choices, type)")
        if "choices" in spec:
            return cls(name, "categorical", choices=tuple(spec["choices"]))
        kind = spec.get("kind") or spec.get("type")
        if kind is None:
            both_int = isinstance(spec.get("low"), int) and isinstance(spec.get("high"), int)
            kind = "int" if both_int else "float"
        if kind not in ("float", "int"):
            raise ConfigError(f"search space {name!r}: type must be float, int or choices, got {kind!r}")
        typed: Kind = "int" if kind == "int" else "float"
        return cls(name, typed, low=spec.get("low"), high=spec.get("high"), log=bool(spec.get("log", False)))


SearchSpace = dict[str, Param]
"""Parameters by name."""


def _space(*params: Param) -> SearchSpace:
    return {p.name: p for p in params}


_LOCAL_COMMON = (
    Param("learning_rate", "float", 1e-4, 1e-2, log=True),
    Param("epochs", "int", 1, 4),
    Param("batch_size", "categorical", choices=(4, 8, 16)),
    Param("gradient_accumulation_steps", "categorical", choices=(1, 2)),
    Param("warmup_ratio", "float", 0.0, 0.2),
)
_LORA = (
    Param("lora_r", "categorical", choices=(4, 8, 16, 32)),
    Param("lora_alpha", "categorical", choices=(8, 16, 32, 64)),
    Param("lora_dropout", "float", 0.0, 0.2),
)
_BETA = Param("beta", "float", 0.05, 0.5, log=True)
_OPENAI = (
    Param("n_epochs", "int", 1, 5),
    Param("learning_rate_multiplier", "float", 0.1, 4.0, log=True),
    Param("batch_size", "categorical", choices=(1, 2, 4, 8, 16)),
)


def default_space(provider: str, method: str = "sft", *, peft: str = "full") -> SearchSpace:
    """The built-in search space of a provider and method (local: ``peft`` ``lora`` adds the LoRA parameters)."""
    if provider == "local":
        params = [*_LOCAL_COMMON, *(_LORA if peft == "lora" else ())]
    elif provider == "openai":
        params = list(_OPENAI)
    else:
        raise ConfigError(f"no built-in search space for provider {provider!r}: give one in a spec file ([space])")
    if method == "dpo":
        params.append(_BETA)
    return _space(*params)


@dataclass
class TuneSpec:
    """What a spec file (TOML) sets for a study; anything left out keeps the command's options and defaults.

    ``space`` entries replace or add parameters; a name under ``fixed`` is removed from the space and every
    trial trains with that value.
    """

    objective: list[str] | None = None
    trials: int | None = None
    timeout: float | None = None
    pruner: str | None = None
    sampler: str | None = None
    max_cost_usd: float | None = None
    space: SearchSpace = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)
    enqueue: list[dict[str, Any]] = field(default_factory=list)
    eval_examples: int | None = None
    pruner_options: dict[str, Any] = field(default_factory=dict)

    def apply(self, space: SearchSpace) -> SearchSpace:
        out = {**space, **self.space}
        for name in self.fixed:
            out.pop(name, None)
        return out


_SPEC_KEYS = {"objective", "trials", "timeout", "pruner", "sampler", "max_cost_usd", "space", "fixed", "enqueue",
              "eval_examples", "pruner_options"}  # fmt: skip


def load_spec(path: str | Path) -> TuneSpec:
    """Read a study's spec file (TOML, or JSON); bad keys or values raise a one-line :class:`ConfigError`."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"spec file {path} does not exist")
    try:
        if path.suffix == ".json":
            raw = json.loads(path.read_text(encoding="utf-8"))
        else:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"spec file {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"spec file {path}: expected a table at the top")
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise ConfigError(f"spec file {path}: unknown keys {sorted(unknown)} (known: {', '.join(sorted(_SPEC_KEYS))})")
    space_raw = raw.get("space") or {}
    if not isinstance(space_raw, dict) or not all(isinstance(v, dict) for v in space_raw.values()):
        raise ConfigError(f"spec file {path}: [space] holds one table per parameter, e.g. [space.learning_rate]")
    objective = raw.get("objective")
    if isinstance(objective, str):
        objective = [o.strip() for o in objective.split(",") if o.strip()]
    enqueue = raw.get("enqueue") or []
    if not isinstance(enqueue, list) or not all(isinstance(e, dict) for e in enqueue):
        raise ConfigError(f"spec file {path}: enqueue is a list of parameter tables ([[enqueue]])")
    return TuneSpec(
        objective=objective,
        trials=raw.get("trials"),
        timeout=raw.get("timeout"),
        pruner=raw.get("pruner"),
        sampler=raw.get("sampler"),
        max_cost_usd=raw.get("max_cost_usd"),
        space={name: Param.from_dict(name, spec) for name, spec in space_raw.items()},
        fixed=dict(raw.get("fixed") or {}),
        enqueue=[dict(e) for e in enqueue],
        eval_examples=raw.get("eval_examples"),
        pruner_options=dict(raw.get("pruner_options") or {}),
    )


def space_as_dict(space: SearchSpace) -> dict[str, dict[str, Any]]:
    return {name: p.as_dict() for name, p in space.items()}


def space_from_dict(raw: Mapping[str, Mapping[str, Any]]) -> SearchSpace:
    return {name: Param.from_dict(name, spec) for name, spec in raw.items()}
