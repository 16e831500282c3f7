"""Search spaces, spec files and objectives: what a study samples and optimises."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from agenthone.errors import ConfigError
from agenthone.tuning import OBJECTIVES, Param, default_space, load_spec, objectives
from agenthone.tuning._space import space_as_dict, space_from_dict


def test_spaces_per_provider_and_method() -> None:
    local = default_space("local")
    assert {"learning_rate", "epochs", "batch_size", "gradient_accumulation_steps", "warmup_ratio"} == set(local)
    assert local["learning_rate"].log
    assert {"lora_r", "lora_alpha", "lora_dropout"} <= set(default_space("local", peft="lora"))
    assert set(default_space("openai")) == {"n_epochs", "learning_rate_multiplier", "batch_size"}
    assert "beta" in default_space("openai", "dpo") and "beta" in default_space("local", "dpo")
    with pytest.raises(ConfigError, match="no built-in search space"):
        default_space("anthropic")


def test_a_space_round_trips_and_samples_within_its_bounds() -> None:
    space = default_space("local", peft="lora")
    assert space_from_dict(space_as_dict(space)) == space
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        values = {name: p.suggest(trial) for name, p in space.items()}
        assert all(space[name].contains(v) for name, v in values.items())
        study.tell(trial, 0.0)


def test_narrowing_stays_inside_the_original_bounds() -> None:
    lr = Param("learning_rate", "float", 1e-4, 1e-2, log=True)
    narrow = lr.narrowed([2e-3, 3e-3])
    assert 1e-4 <= narrow.low < 2e-3 and 3e-3 < narrow.high <= 1e-2
    assert Param("b", "categorical", choices=(4, 8, 16)).narrowed([8]).choices == (8,)
    assert Param("e", "int", 1, 4).narrowed([2]).kind == "int"


def test_spec_file_overrides_the_space(tmp_path: Path) -> None:
    path = tmp_path / "tune.toml"
    path.write_text(
        'objective = "edit_similarity,cost"\ntrials = 4\npruner = "hyperband"\n'
        "[space.learning_rate]\nlow = 5e-4\nhigh = 5e-3\nlog = true\n"
        "[space.batch_size]\nchoices = [8, 16]\n[fixed]\nepochs = 2\n[[enqueue]]\nlearning_rate = 0.002\n",
        encoding="utf-8",
    )
    spec = load_spec(path)
    assert spec.objective == ["edit_similarity", "cost"] and spec.trials == 4 and spec.pruner == "hyperband"
    space = spec.apply(default_space("local"))
    assert space["learning_rate"].low == 5e-4 and space["batch_size"].choices == (8, 16)
    assert "epochs" not in space and spec.fixed == {"epochs": 2}
    assert spec.enqueue == [{"learning_rate": 0.002}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trails = 3\n", "unknown keys"),
        ("[space.lr]\nlow = 1.0\nhigh = 0.1\n", "low <= high"),
        ("[space.lr]\nlow = 0.0\nhigh = 1.0\nlog = true\n", "above 0"),
        ("[space.lr]\nlower = 1\n", "unknown keys"),
        ("objective = [", "spec file"),
    ],
)
def test_bad_spec_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_spec(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")


def test_objectives_know_their_direction() -> None:
    assert OBJECTIVES["valid_loss"].direction == "minimize"
    assert OBJECTIVES["edit_similarity"].direction == "maximize"
    assert [o.name for o in objectives("edit_similarity, cost")] == ["edit_similarity", "cost"]
    with pytest.raises(ConfigError, match="named twice"):
        objectives("cost,cost")
