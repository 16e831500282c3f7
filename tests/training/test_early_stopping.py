"""``hone train --early-stopping``: training stops once validation loss stalls and the best model is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agenthone import Workbench
from agenthone.cli import app
from agenthone.errors import ConfigError
from tests.training.copy_task import LOCAL_TOML, write_dataset


@pytest.mark.slow
@pytest.mark.xdist_group("local-training")
def test_early_stopping_stops_and_keeps_the_best_checkpoint(workspace: Path) -> None:
    toml = (
        LOCAL_TOML
        + "\n[training]\neval_steps = 5\nmax_eval_examples = 12\npoll_interval_s = 0.5\nsync_interval_s = 2\n"
    )
    (workspace / "hone.toml").write_text(toml, encoding="utf-8")
    with Workbench.open(workspace) as wb:
        # a tiny training split learnt by heart: validation loss turns up after a few evaluations
        write_dataset(wb.settings.data_dir, "copy", n=60, split=(0.3, 0.5))
        with pytest.raises(ConfigError, match="at least 1"):
            wb.jobs.submit("copy", early_stopping=0)
    args = ["train", "-d", "copy", "--lr", "0.03", "--batch-size", "4", "--early-stopping", "1", "--json"]
    result = CliRunner().invoke(app, [*args, "--epochs", "30"])
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout[result.stdout.index("{") :])
    details = job["details"]
    assert details["stopped_early"] is True
    with Workbench.open(workspace, read_only=True) as wb:
        curve = wb.jobs.metrics(job["job_id"]).dropna(subset=["validation_loss"])
    planned = int(details["total_steps"])
    assert int(details["steps"]) < planned
    best = curve.loc[curve["validation_loss"].idxmin()]
    assert details["best_step"] == int(best["step"])
    assert details["best_validation_loss"] == pytest.approx(float(best["validation_loss"]))
    assert int(curve["step"].iloc[-1]) > details["best_step"]  # it went on for PATIENCE evaluations, then stopped
    model = Path(job["fine_tuned_model"])
    assert (model / "config.json").is_file()
    assert not (Path(job["workdir"]) / "checkpoints").exists()
