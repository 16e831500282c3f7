"""The one way commands print a result: a Rich view, or one JSON document with --json; dynamic text verbatim."""

from __future__ import annotations

import json

import pytest
from rich.text import Text

from agenthone.cli._app import markup, render, table


def test_render_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    render({"name": "[prices]", "n": 2}, as_json=True, view=lambda: pytest.fail("the view is not built for --json"))
    assert json.loads(capsys.readouterr().out) == {"name": "[prices]", "n": 2}


def test_default_views_keep_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    render({"path": "/data/[prices]/x.toml", "rate": "[bold]0.5"}, as_json=False)
    out = capsys.readouterr().out
    assert "/data/[prices]/x.toml" in out and "[bold]0.5" in out
    render([{"agent": "[red]a", "n": 1}, {"agent": "b", "n": 2}], as_json=False)
    out = capsys.readouterr().out
    assert "agent" in out.splitlines()[1] and "[red]a" in out


def test_views_escape_values_but_keep_their_own_markup(capsys: pytest.CaptureFixture[str]) -> None:
    styled = markup("[bold]{}[/] has {:>4}", "[x]", 7)  # the template's markup styles, the values are text
    assert isinstance(styled, Text) and styled.plain == "[x] has    7"
    assert [(s.start, s.end, str(s.style)) for s in styled.spans] == [(0, 3, "bold")]
    render(
        None,
        as_json=False,
        view=[table(["[col]"], [["[cell]"], [markup("[green]{}[/]", "[ok]")]], title="[title]"), "plain [text]"],
    )
    out = capsys.readouterr().out
    for literal in ("[col]", "[cell]", "[ok]", "[title]", "plain [text]"):
        assert literal in out, literal
