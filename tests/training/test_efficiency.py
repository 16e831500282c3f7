"""Training-efficiency analysis on curves with a known shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from agenthone.training import analyze_curves, plot_curves


def _frame(train: list[float], val: dict[int, float], *, steps_per_epoch: int = 10) -> pd.DataFrame:
    rows = [
        {"step": s, "train_loss": v, "epoch": s / steps_per_epoch, "tokens": 100.0 * s} for s, v in enumerate(train, 1)
    ]
    frame = pd.DataFrame(rows)
    extra = pd.DataFrame(
        [{"step": s, "validation_loss": v} for s, v in val.items()], columns=["step", "validation_loss"]
    )
    return frame.merge(extra, on="step", how="outer").sort_values("step")


def test_overfitting_is_found_with_the_compute_after_the_best_step() -> None:
    train = list(np.linspace(3.0, 0.2, 40))
    val = {0: 3.1, 10: 2.0, 20: 1.5, 30: 1.8, 40: 2.2}
    report = analyze_curves(_frame(train, val))
    assert report.metric == "validation_loss"
    assert (report.best_step, report.best_value, report.best_epoch) == (20, 1.5, 2.0)
    assert report.overfitting and report.overfitting_onset_step == 30
    assert report.steps_after_best == 20
    assert report.compute_after_best == 0.5  # tokens after step 20 out of all tokens
    assert report.suggested_steps == 20 and report.suggested_epochs == 2
    assert "stop at step 20" in report.suggestion
    assert any("validation loss rose" in line for line in report.summary())


def test_still_improving_and_converged() -> None:
    improving = analyze_curves(_frame(list(np.linspace(3, 1, 30)), {0: 3.0, 10: 2.5, 20: 2.0, 30: 1.5}))
    assert improving.improving_at_end and not improving.converged and not improving.overfitting
    assert "train longer" in improving.suggestion

    flat = analyze_curves(_frame(list(np.linspace(3, 1, 50)), {0: 3.0, 10: 1.2, 20: 1.0, 30: 1.0, 40: 1.0, 50: 1.0}))
    assert flat.converged and not flat.overfitting
    assert flat.best_step == 20 and flat.compute_after_best > 0.5
    assert "could be saved" in flat.suggestion


def test_without_validation_or_metrics() -> None:
    report = analyze_curves(_frame([3.0, 2.0, 1.0], {}).drop(columns=["validation_loss"]))
    assert report.metric == "train_loss" and "validation split" in report.suggestion
    assert analyze_curves(pd.DataFrame()).metric is None
    assert isinstance(plot_curves(pd.DataFrame(), None), Figure)
    assert isinstance(plot_curves(_frame([3.0, 2.0], {2: 2.5}), report), Figure)
