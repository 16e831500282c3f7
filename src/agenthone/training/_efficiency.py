"""Training-efficiency analysis from a job's curves: where it was best, and what came after.

Answers the questions a user asks of a finished run before paying for the next one: which step was
best, did it overfit (validation loss rising while training loss falls), had it converged, how much
compute went into steps after the best checkpoint, and when should it have stopped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["EfficiencyReport", "analyze_curves", "plot_curves"]

REL_TOLERANCE = 0.02
"""A validation loss more than 2% above the best counts as having risen."""
PLATEAU_TOLERANCE = 0.01
"""Less than 1% improvement over the last part of training counts as converged."""


@dataclass(frozen=True)
class EfficiencyReport:
    """What a job's curves say about how well its compute was spent."""

    metric: str | None
    """The curve the analysis is based on: ``validation_loss``, else ``train_loss``."""
    best_step: int | None = None
    best_epoch: float | None = None
    best_value: float | None = None
    final_step: int | None = None
    final_value: float | None = None
    first_value: float | None = None
    steps_after_best: int = 0
    compute_after_best: float = 0.0
    """Share of the run's steps (tokens when known) spent after the best step."""
    tokens_after_best: float | None = None
    overfitting: bool = False
    overfitting_onset_step: int | None = None
    converged: bool = False
    improving_at_end: bool = False
    suggested_steps: int | None = None
    suggested_epochs: int | None = None
    suggestion: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> list[str]:
        """Short lines for a terminal or a report."""
        if self.metric is None:
            return ["no loss curve was reported"]
        lines = [
            f"best {self.metric} {self.best_value:.4f} at step {self.best_step}"
            + (f" (epoch {self.best_epoch:.2f})" if self.best_epoch is not None else "")
            + f"; final {self.final_value:.4f} at step {self.final_step}",
        ]
        if self.steps_after_best:
            lines.append(
                f"{self.steps_after_best} steps ({self.compute_after_best:.0%} of the compute) came after the best step"
            )
        state = []
        if self.overfitting:
            state.append(f"overfitting from step {self.overfitting_onset_step}")
        if self.converged:
            state.append("converged")
        if self.improving_at_end:
            state.append("still improving at the end")
        if state:
            lines.append("; ".join(state))
        lines.extend(self.notes)
        if self.suggestion:
            lines.append(f"suggestion: {self.suggestion}")
        return lines


def _series(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if name not in frame.columns:
        return frame.iloc[0:0][["step"]].assign(value=[])
    part = frame[["step", name, *(["epoch"] if "epoch" in frame.columns else [])]].dropna(subset=[name])
    part = part.groupby("step", as_index=False).last().sort_values("step")
    return part.rename(columns={name: "value"})


def analyze_curves(metrics: pd.DataFrame, *, total_steps: int | None = None) -> EfficiencyReport:
    """Analyse a wide metrics table (one row per step; columns such as ``train_loss``, ``validation_loss``)."""
    import numpy as np

    if metrics is None or len(metrics) == 0 or "step" not in metrics.columns:
        return EfficiencyReport(metric=None, suggestion="no metrics were reported")
    frame = metrics.sort_values("step")
    val = _series(frame, "validation_loss")
    train = _series(frame, "train_loss")
    metric = "validation_loss" if len(val) else ("train_loss" if len(train) else None)
    if metric is None:
        return EfficiencyReport(metric=None, suggestion="no loss curve was reported")
    curve = val if metric == "validation_loss" else train
    values = curve["value"].to_numpy(dtype=float)
    steps = curve["step"].to_numpy(dtype=int)
    best_i = int(np.nanargmin(values))
    best_step, best_value = int(steps[best_i]), float(values[best_i])
    last_step = int(max(frame["step"].max(), steps[-1]))
    best_epoch = None
    if "epoch" in curve.columns and not math.isnan(float(curve["epoch"].iloc[best_i])):
        best_epoch = float(curve["epoch"].iloc[best_i])
    elif "epoch" in frame.columns:
        near = frame.dropna(subset=["epoch"])
        near = near[near["step"] <= best_step]
        if len(near):
            best_epoch = float(near["epoch"].iloc[-1])

    steps_after = max(0, last_step - best_step)
    compute_after = steps_after / max(last_step, 1)
    tokens_after = None
    if "tokens" in frame.columns and frame["tokens"].notna().any():
        tok = frame.dropna(subset=["tokens"])
        total_tokens = float(tok["tokens"].max())
        at_best = tok[tok["step"] <= best_step]["tokens"]
        tokens_best = float(at_best.max()) if len(at_best) else 0.0
        tokens_after = max(0.0, total_tokens - tokens_best)
        if total_tokens > 0:
            compute_after = tokens_after / total_tokens

    notes: list[str] = []
    tol = max(REL_TOLERANCE * abs(best_value), 1e-3)
    overfitting, onset = False, None
    if metric == "validation_loss" and best_i < len(values) - 1:
        risen = [i for i in range(best_i + 1, len(values)) if values[i] > best_value + tol]
        if risen and values[-1] > best_value + tol:
            window = train[train["step"] >= best_step]
            if len(window) >= 2:
                slope = float(np.polyfit(window["step"].to_numpy(float), window["value"].to_numpy(float), 1)[0])
                train_falling = slope < 0
            else:
                train_falling = False
            if train_falling:
                overfitting, onset = True, int(steps[risen[0]])
                rise = (values[-1] - best_value) / abs(best_value) if best_value else 0.0
                notes.append(f"validation loss rose {rise:.0%} after step {best_step} while training loss kept falling")

    # converged: the last fifth of the run improved the curve by less than 1% of the loss drop so far
    first_value = float(values[0])
    cut = steps[0] + 0.8 * (steps[-1] - steps[0])
    before = values[steps <= cut]
    ref = float(np.nanmin(before)) if len(before) else first_value
    end_best = float(np.nanmin(values[steps > cut])) if (steps > cut).any() else ref
    improvement = (ref - end_best) / abs(ref) if ref else 0.0
    converged = len(values) >= 3 and improvement < PLATEAU_TOLERANCE
    improving_at_end = not converged and best_i == len(values) - 1 and len(values) >= 2

    suggested_steps, suggested_epochs = None, None
    steps_per_epoch = None
    if best_epoch and best_epoch > 0:
        steps_per_epoch = best_step / best_epoch
    if metric != "validation_loss":
        suggestion = "no validation curve: give the dataset a validation split to see when to stop"
    elif overfitting:
        suggested_steps = best_step
        suggested_epochs = max(1, math.ceil(best_epoch)) if best_epoch else None
        suggestion = (
            f"stop at step {best_step}"
            + (f" (set epochs to {suggested_epochs})" if suggested_epochs else "")
            + ", or use early stopping with a patience of 2 evaluations and keep the best checkpoint"
        )
    elif converged and compute_after > 0.2:
        suggested_steps = best_step
        if steps_per_epoch:
            suggested_epochs = max(1, math.ceil(best_step / steps_per_epoch))
        suggestion = (
            f"validation loss stopped improving at step {best_step}; "
            f"{compute_after:.0%} of the compute could be saved"
            + (f" (epochs {suggested_epochs})" if suggested_epochs else "")
        )
    elif improving_at_end:
        suggestion = (
            "validation loss was still falling at the last step: train longer (more epochs or a larger dataset)"
        )
    else:
        suggestion = "the run ended close to its best point; no change needed"
    return EfficiencyReport(
        metric=metric,
        best_step=best_step,
        best_epoch=best_epoch,
        best_value=best_value,
        final_step=int(steps[-1]),
        final_value=float(values[-1]),
        first_value=first_value,
        steps_after_best=steps_after,
        compute_after_best=float(compute_after),
        tokens_after_best=tokens_after,
        overfitting=overfitting,
        overfitting_onset_step=onset,
        converged=bool(converged),
        improving_at_end=bool(improving_at_end),
        suggested_steps=suggested_steps,
        suggested_epochs=suggested_epochs,
        suggestion=suggestion,
        notes=notes,
    )


def plot_curves(metrics: pd.DataFrame, report: EfficiencyReport | None = None, *, title: str = "") -> Figure:
    """Loss, token accuracy, learning rate and throughput against the step, the best step marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    panels = [
        (axes[0][0], ("train_loss", "validation_loss", "full_validation_loss"), "loss"),
        (axes[0][1], ("train_token_accuracy", "validation_token_accuracy", "validation_reward_accuracy"), "accuracy"),
        (axes[1][0], ("learning_rate",), "learning rate"),
        (axes[1][1], ("tokens_per_second",), "tokens/s"),
    ]
    frame = metrics.sort_values("step") if metrics is not None and len(metrics) else None
    for ax, names, label in panels:
        drawn = False
        if frame is not None:
            for name in names:
                if name in frame.columns and frame[name].notna().any():
                    part = frame.dropna(subset=[name])
                    marker = "o" if name.startswith(("validation", "full_")) else None
                    ax.plot(part["step"], part[name], label=name.replace("_", " "), marker=marker, markersize=3)
                    drawn = True
        if report is not None and report.best_step is not None and label in ("loss", "accuracy"):
            ax.axvline(report.best_step, color="grey", linestyle="--", linewidth=1, label="best step")
        if report is not None and report.overfitting_onset_step is not None and label == "loss":
            ax.axvspan(report.overfitting_onset_step, report.final_step or report.overfitting_onset_step,
                       color="red", alpha=0.08, label="overfitting")  # fmt: skip
        ax.set_xlabel("step")
        ax.set_ylabel(label)
        if drawn:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "not reported", ha="center", va="center", transform=ax.transAxes, color="grey")
    if title:
        fig.suptitle(title)
    return fig
