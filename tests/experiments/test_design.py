"""ExperimentDesign: validation names the field at fault; variants parse from NAME=SPEC."""

from __future__ import annotations

from typing import Any

import pytest

from agenthone.experiments._design import DesignError, ExperimentDesign, Variant, parse_variant


def design(**overrides: Any) -> ExperimentDesign:
    fields: dict[str, Any] = {
        "name": "prompt-ab",
        "agent": "writer",
        "variants": ["control=v3", "treatment=v4"],
        "primary_metric": "acceptance",
        "guardrails": ("edit_distance", "latency_ms"),
    }
    fields.update(overrides)
    return ExperimentDesign.build(**fields)


def test_a_valid_design_and_what_it_derives() -> None:
    d = design(variants=["control=v3", parse_variant("big=v3,support-model@champion", 3)])
    assert d.control == "control"
    assert d.treatments == ("big",)
    assert d.weights == {"control": 1.0, "big": 3.0}
    assert d.hash_salt == "prompt-ab"
    assert design(salt="s1").hash_salt == "s1"
    assert d.variant("big").model == "support-model@champion"
    assert d.metrics == ("acceptance", "edit_distance", "latency_ms")
    assert ExperimentDesign.build(**d.as_dict()) == d


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"variants": ["control=v3"]}, "two or more variants"),
        ({"variants": ["a=v1", "a=v2"]}, "unique"),
        ({"variants": [Variant(name="a"), {"name": "b", "weight": 0}]}, "greater than 0"),
        ({"primary_metric": "happiness"}, "unknown metric 'happiness'"),
        ({"guardrails": ("latency_ms", "speed")}, "unknown metric 'speed'"),
        ({"guardrails": ("acceptance",)}, "primary metric"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": 0}, "alpha"),
        ({"power": 1}, "power"),
        ({"mde": 0}, "mde"),
        ({"unit_kind": "tenant"}, "unit_kind"),
        ({"name": "has space"}, "name"),
    ],
)
def test_invalid_designs_are_one_line_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(DesignError) as info:
        design(**overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_guardrails_may_be_a_comma_separated_string() -> None:
    assert design(guardrails="edit_distance, cost_usd").guardrails == ("edit_distance", "cost_usd")


def test_parse_variant() -> None:
    assert parse_variant("treatment=v4") == Variant(name="treatment", prompt_version="v4")
    assert parse_variant("tuned=support@champion", 0.5) == Variant(name="tuned", model="support@champion", weight=0.5)
    both = parse_variant("both=v4, models:/support/3")
    assert (both.prompt_version, both.model) == ("v4", "models:/support/3")
    assert parse_variant("same") == Variant(name="same")
    with pytest.raises(DesignError, match="two prompt versions"):
        parse_variant("x=v1,v2")
    with pytest.raises(DesignError, match="variant"):
        parse_variant("=v1")


def test_required_sample_size_shrinks_as_the_effect_grows() -> None:
    small, large = design(mde=0.05), design(mde=0.10)
    n_small, n_large = small.required_sample_size(0.5), large.required_sample_size(0.5)
    assert n_small > n_large > 0
    mean = design(primary_metric="latency_ms", guardrails=())
    assert mean.required_sample_size(800.0, sd=200.0) > 0
