"""Word-level diff of an edit: opcodes over the project's tokens, rendering, sentence view."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from agenthone.analytics import UnknownEditError
from agenthone.analytics.edits import diff, load_edit, sentences, show_edit
from agenthone.text import normalized_edit_distance
from tests.analytics.conftest import make_store


def test_opcodes_and_spans_by_hand() -> None:
    d = diff("Let me analyze this. The pack is big.", "The pack is huge. Returns are free.")
    assert d.tokens_before[:5] == ["Let", "me", "analyze", "this", "."]
    assert d.deleted[0] == ["Let", "me", "analyze", "this", "."]
    assert ["big"] in d.deleted and ["huge"] in d.inserted
    assert ["Returns", "are", "free", "."] in d.inserted or any("Returns" in s for s in d.inserted)
    assert d.distance == normalized_edit_distance(d.before, d.after)
    frame = d.to_frame()
    assert set(frame["op"]) <= {"equal", "delete", "insert", "replace"}
    assert frame.loc[frame["op"] == "delete", "before"].iloc[0] == "Let me analyze this."


def test_rendering_keeps_the_original_spacing() -> None:
    d = diff("foo baz", "foo bar baz")
    assert d.to_rich().plain == "foo bar baz"
    d = diff({"id": "e1", "ai_output": "Hello, world!", "final_output": "Hello world!"})
    assert d.edit_id == "e1" and d.to_rich().plain == "Hello, world!"
    console = Console(record=True, force_terminal=True, color_system="truecolor", width=80)
    console.print(d.to_rich())
    assert "\x1b[9" in console.export_text(styles=True)  # strikethrough on the deleted comma
    assert "<del" in d.to_html() and diff("a", "a b").to_html().count("<ins") == 1
    assert not diff("same text", "same  text").changed


def test_sentence_by_sentence() -> None:
    df = sentences("Let me analyze this. The pack is big. It is red.", "The pack is huge. It is red. Returns are free.")
    assert list(df["status"]) == ["deleted", "changed", "kept", "added"]
    assert df.loc[1, "edit_distance"] == pytest.approx(0.2)


def test_stored_edit_and_missing_id(tmp_path: Path) -> None:
    store = make_store(
        tmp_path / "s.duckdb",
        edits=[
            {
                "id": "e1",
                "timestamp": "2026-10-01T00:00:00Z",
                "agent_name": "a",
                "ai_output": "a b",
                "final_output": "a c",
            }
        ],
    )
    try:
        assert load_edit(store, "e1")["agent_name"] == "a"
        assert show_edit(store, "e1").deleted == [["b"]]
        with pytest.raises(UnknownEditError, match="no edit with id 'nope'") as raised:
            show_edit(store, "nope")
        assert str(raised.value) == "no edit with id 'nope' in the store" and isinstance(raised.value, KeyError)
    finally:
        store.close()
    with pytest.raises(ValueError, match="final text"):
        diff("only one text")
