"""The MLflow dataset schema read from a few rows is the one MLflow infers from the whole frame."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.types.utils import _infer_schema

from agenthone.datasets._build import _infer_schema as schema_of
from agenthone.datasets._build import _schema_rows


@pytest.mark.filterwarnings("ignore:Hint. Inferred schema:UserWarning")
def test_schema_from_a_few_rows_equals_the_full_inference() -> None:
    n = 500
    frame = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(n)],
            "tokens": list(range(n)),
            "category": [None] * 300 + ["ops"] * 200,  # first values only after the sampled head
            "task_type": ["a"] * 499 + [None],  # one missing value at the very end
            "prompt": ["text " * (i % 7) for i in range(n)],
        }
    )
    assert schema_of(_schema_rows(frame)) == _infer_schema(frame)
    assert len(_schema_rows(frame)) < 120
