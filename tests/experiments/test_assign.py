"""Assignment by hashing: deterministic everywhere, balanced, and independent between experiments."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from agenthone.experiments._assign import BUCKETS, assign, bucket

UNITS = [f"user-{i}" for i in range(100_000)]
SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_bucket_is_the_first_eight_bytes_of_sha256_mod_buckets() -> None:
    digest = hashlib.sha256(b"prompt-ab:user-42").digest()
    assert bucket("prompt-ab", "user-42") == int.from_bytes(digest[:8], "big") % BUCKETS
    assert BUCKETS == 10_000


def test_assignment_is_the_same_in_other_processes_whatever_their_hash_seed() -> None:
    units = UNITS[:500]
    here = [assign("exp", u, ["a", "b", "c"], [1, 1, 2]) for u in units]
    code = (
        "import json, sys\n"
        "from agenthone.experiments._assign import assign\n"
        "units = json.load(sys.stdin)\n"
        "print(json.dumps([assign('exp', u, ['a', 'b', 'c'], [1, 1, 2]) for u in units]))\n"
    )
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        out = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(units), capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(out.stdout) == here


def test_balanced_within_one_percent_at_100k_units() -> None:
    arms = [assign("balance", u, ["control", "treatment"], [0.5, 0.5]) for u in UNITS]
    share = arms.count("treatment") / len(arms)
    assert abs(share - 0.5) < 0.01
    three = [assign("balance", u, ["a", "b", "c"], [1, 1, 2]) for u in UNITS]
    for name, planned in (("a", 0.25), ("b", 0.25), ("c", 0.5)):
        assert abs(three.count(name) / len(three) - planned) < 0.01, name


def test_two_experiments_assign_independently() -> None:
    first = np.array([assign("prompt-ab", u, ["c", "t"], [1, 1]) == "t" for u in UNITS])
    second = np.array([assign("model-ab", u, ["c", "t"], [1, 1]) == "t" for u in UNITS])
    table = np.array(
        [[np.sum(~first & ~second), np.sum(~first & second)], [np.sum(first & ~second), np.sum(first & second)]]
    )
    assert chi2_contingency(table).pvalue > 0.01
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.01  # sd of r is 1/sqrt(100k) ~ 0.003
    buckets_a = np.array([bucket("prompt-ab", u) for u in UNITS[:20_000]])
    buckets_b = np.array([bucket("model-ab", u) for u in UNITS[:20_000]])
    assert abs(np.corrcoef(buckets_a, buckets_b)[0, 1]) < 0.03


def test_the_independence_check_would_catch_a_shared_salt() -> None:
    first = np.array([assign("same", u, ["c", "t"], [1, 1]) == "t" for u in UNITS[:10_000]])
    second = np.array([assign("same", u, ["x", "y"], [1, 1]) == "y" for u in UNITS[:10_000]])
    assert np.corrcoef(first, second)[0, 1] > 0.99


def test_weights_are_normalised_and_a_zero_weight_gets_nobody() -> None:
    units = UNITS[:5000]
    assert [assign("w", u, ["a", "b"], [1, 3]) for u in units] == [
        assign("w", u, ["a", "b"], [0.25, 0.75]) for u in units
    ]
    assert {assign("w", u, ["a", "b", "c"], [1, 0, 1]) for u in units} == {"a", "c"}
    assert {assign("w", u, ["a", "b"], [0, 1]) for u in units} == {"b"}


def test_changing_weights_moves_only_the_boundary_units() -> None:
    before = [assign("ramp", u, ["control", "treatment"], [0.9, 0.1]) for u in UNITS[:20_000]]
    after = [assign("ramp", u, ["control", "treatment"], [0.5, 0.5]) for u in UNITS[:20_000]]
    assert all(a == "treatment" for b, a in zip(before, after, strict=True) if b == "treatment")


@pytest.mark.parametrize(
    ("variants", "weights"), [(["a", "b"], [1]), (["a"], [-1]), (["a", "b"], [0, 0]), ([], []), (["a"], [float("nan")])]
)
def test_bad_weights_are_refused(variants: list[str], weights: list[float]) -> None:
    with pytest.raises(ValueError):
        assign("x", "u", variants, weights)
