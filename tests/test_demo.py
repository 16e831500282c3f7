"""The demo's steps: an explicit list in the library."""

from __future__ import annotations

from agenthone import cli
from agenthone.demo import STEPS


def test_steps_are_listed_in_the_order_of_the_loop() -> None:
    names = [s.name for s in STEPS]
    assert len(set(names)) == len(names)
    order = ["sample", "ingest", "workspace", "summary", "alerts", "insights"]
    order += ["dataset", "validate", "train", "evaluate", "register"]
    assert [n for n in names if n in order] == order
    # the command modules no longer carry steps of their own
    for module in ("_analytics", "_datasets", "_training", "_demo"):
        assert not hasattr(getattr(cli, module), "DEMO_STEPS")
