"""Advice from past studies: which parameters mattered, a narrowed space, and configurations to try first."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agenthone.errors import HoneError
from agenthone.tuning._space import SearchSpace, space_as_dict, space_from_dict

if TYPE_CHECKING:
    import optuna

__all__ = ["Advice", "advise"]


@dataclass
class Advice:
    """What earlier studies say: a narrowed search space, configurations to enqueue, and the evidence."""

    space: SearchSpace
    enqueue: list[dict[str, Any]]
    importances: dict[str, float]
    sensitivities: dict[str, float]
    """Spearman correlation of each numeric parameter with the objective across the completed trials."""
    studies: list[str]
    trials: int
    objective: str
    direction: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "space": space_as_dict(self.space),
            "enqueue": self.enqueue,
            "importances": self.importances,
            "sensitivities": self.sensitivities,
            "studies": self.studies,
            "trials": self.trials,
            "objective": self.objective,
            "direction": self.direction,
            "notes": self.notes,
        }

    def summary(self) -> list[str]:
        lines = [f"based on {self.trials} completed trials of {len(self.studies)} studies: {', '.join(self.studies)}"]
        for name, value in sorted(self.importances.items(), key=lambda kv: -kv[1]):
            rho = self.sensitivities.get(name)
            lines.append(
                f"  {name}: importance {value:.2f}" + (f", rank correlation {rho:+.2f}" if rho is not None else "")
            )
        for name, p in self.space.items():
            rng = list(p.choices) if p.choices else f"{p.low:.4g}..{p.high:.4g}" + (" (log)" if p.log else "")
            lines.append(f"  narrowed {name}: {rng}")
        lines += [f"  enqueue {c}" for c in self.enqueue]
        return lines + self.notes


def advise(
    storage: optuna.storages.BaseStorage,
    dataset: str,
    *,
    provider: str | None = None,
    method: str | None = None,
    objective: str = "valid_loss",
    top: float = 0.25,
    enqueue: int = 3,
) -> Advice:
    """Read the studies in ``storage`` on the same dataset (else the same agent or category), and propose.

    The narrowed space spans the best ``top`` share of completed trials (widened a little, never beyond the
    original bounds); the configurations to enqueue are the ``enqueue`` best trials' parameters.
    """
    import optuna
    from scipy.stats import spearmanr

    from agenthone.tuning._objective import objectives
    from agenthone.tuning._report import importances

    obj = objectives(objective)[0]
    summaries = storage.get_all_studies()
    chosen = [s for s in summaries if _fits(s.user_attrs, provider, method, obj.name) and
              s.user_attrs.get("dataset_name") == dataset]  # fmt: skip
    if not chosen:
        agents = {s.user_attrs.get("agent") for s in summaries if s.user_attrs.get("dataset_name") == dataset}
        chosen = [s for s in summaries if _fits(s.user_attrs, provider, method, obj.name) and
                  s.user_attrs.get("agent") in agents - {None}]  # fmt: skip
    if not chosen:
        raise HoneError(f"no earlier study on {dataset} (or its agent) optimises {obj.name}; run `hone tune` first")
    sign = 1.0 if obj.direction == "minimize" else -1.0
    scored: list[tuple[float, dict[str, Any]]] = []
    weights: dict[str, list[float]] = {}
    space: SearchSpace = {}
    names = []
    for summary in chosen:
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        index = list(study.user_attrs.get("objectives") or []).index(obj.name)
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if not done:
            continue
        names.append(study.study_name)
        space = {**space_from_dict(study.user_attrs.get("space") or {}), **space}
        scored += [(sign * float(t.values[index]), dict(t.params)) for t in done]
        if len(study.directions) == 1:
            for name, value in importances(study).items():
                weights.setdefault(name, []).append(value)
    if not scored:
        raise HoneError(f"the studies on {dataset} have no completed trial yet")
    scored.sort(key=lambda item: item[0])
    best = scored[: max(1, round(len(scored) * top))]
    narrowed = {
        name: p.narrowed([params[name] for _, params in best if name in params])
        for name, p in space.items()
    }  # fmt: skip
    sensitivities: dict[str, float] = {}
    for name, p in space.items():
        pairs = [(params[name], v) for v, params in scored if name in params]
        if p.kind != "categorical" and len(pairs) >= 3 and len({x for x, _ in pairs}) > 1:
            rho = spearmanr([x for x, _ in pairs], [sign * y for _, y in pairs]).statistic
            if not math.isnan(rho):
                sensitivities[name] = float(rho)
    configs: list[dict[str, Any]] = []
    for _, params in scored:
        if params not in configs:
            configs.append(params)
        if len(configs) >= enqueue:
            break
    notes = [] if weights else ["(too few completed trials for parameter importances)"]
    return Advice(
        space=narrowed,
        enqueue=configs,
        importances={k: sum(v) / len(v) for k, v in weights.items()},
        sensitivities=sensitivities,
        studies=names,
        trials=len(scored),
        objective=obj.name,
        direction=obj.direction,
        notes=notes,
    )


def _fits(attrs: dict[str, Any], provider: str | None, method: str | None, objective: str) -> bool:
    return (
        (provider is None or attrs.get("provider") == provider)
        and (method is None or attrs.get("method") == method)
        and objective in (attrs.get("objectives") or [])
    )
