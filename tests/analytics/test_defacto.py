"""Real human corrections (DeFacto): edit-distance statistics against an independent computation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agenthone.analytics import performance
from agenthone.analytics.edits import edit_patterns, tone_shift
from agenthone.store import Store
from tests.conftest import shared_data, write_jsonl

_TOKENS = re.compile(r"\w+|[^\w\s]")


def _levenshtein(a: list[str], b: list[str]) -> int:
    """Plain dynamic-programming Levenshtein distance over token lists (two rows)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def _distance(a: str, b: str) -> float:
    ta, tb = _TOKENS.findall(a), _TOKENS.findall(b)
    longest = max(len(ta), len(tb))
    return _levenshtein(ta, tb) / longest if longest else 0.0


@pytest.fixture(scope="module")
def defacto(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[dict[str, str]]]:
    rows = [json.loads(line) for line in shared_data("defacto", "train.jsonl").read_text(encoding="utf-8").splitlines()]
    edits = []
    for i, r in enumerate(rows):
        summary = (r.get("feedback") or {}).get("summary")
        edits.append(
            {
                "id": f"defacto-{r.get('doc_id', i)}-{i}",
                "timestamp": f"2026-10-{1 + i % 28:02d}T00:00:00Z",
                "agent_name": "summarizer",
                "intent_type": "summary",
                "prompt": r["article"],
                "ai_output": r["candidate"],
                "final_output": summary if summary else r["candidate"],
            }
        )
    folder: Path = tmp_path_factory.mktemp("defacto")
    store = Store(folder / "defacto.duckdb")
    report = store.ingest(write_jsonl(folder / "edits.jsonl", edits), "edit")
    assert report.rejected == 0
    return store, edits


def test_edit_distance_statistics_match_an_independent_computation(defacto: tuple[Store, list[dict[str, str]]]) -> None:
    store, edits = defacto
    expected = [_distance(e["ai_output"], e["final_output"]) for e in edits]
    accepted = [e["ai_output"].split() == e["final_output"].split() for e in edits]
    df = performance(store, range="all").set_index("agent")
    row = df.loc["summarizer"]
    assert row["edits"] == len(edits) == 1000
    assert row["edit_distance_mean"] == pytest.approx(sum(expected) / len(expected), rel=1e-12)
    assert row["acceptance_rate"] == pytest.approx(sum(accepted) / len(accepted))
    # per edit, not only on average
    from agenthone.analytics import edit_measures

    measures = edit_measures(store).set_index("id")["edit_distance"]
    by_id = {e["id"]: d for e, d in zip(edits, expected, strict=True)}
    assert max(abs(measures[i] - d) for i, d in by_id.items()) < 1e-12


def test_patterns_and_tone_run_cleanly_on_real_corrections(defacto: tuple[Store, list[dict[str, str]]]) -> None:
    store, _ = defacto
    patterns = edit_patterns(store, "summarizer", range="all")
    assert patterns.attrs["edits"] == 1000
    assert patterns["share"].between(0, 1).all() and (patterns["edits"] >= 3).all()
    tone = tone_shift(store, agent="summarizer", range="all").set_index("measure")
    assert set(tone.index) == {"words", "formality", "sentiment", "readability"}
    assert tone.loc["words", "n"] > 500  # about 700 summaries were corrected
    # corrections of factual errors mostly delete unsupported content: summaries get shorter
    assert tone.loc["words", "change"] < 0
