"""Time windows: relative ranges anchored at as_of (default: the latest data), explicit dates, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenthone.analytics import resolve_window
from tests.analytics.conftest import make_store
from tests.conftest import run_record


def test_relative_and_explicit_ranges(tmp_path: Path) -> None:
    store = make_store(tmp_path / "s.duckdb", runs=[run_record(i) for i in range(30)])
    try:
        # run_record timestamps run from 2026-10-01 to 2026-10-28; the latest is the anchor
        w = resolve_window(store, "7d")
        assert (str(w.start.date()), str(w.last_day), w.days) == ("2026-10-22", "2026-10-28", 7)
        assert resolve_window(store, "2w").days == 14
        w = resolve_window(store, "30d", as_of="2026-10-10")
        assert (str(w.start.date()), str(w.last_day)) == ("2026-09-11", "2026-10-10")
        w = resolve_window(store, "2026-10-03..2026-10-05")
        assert (str(w.start.date()), str(w.last_day), w.days) == ("2026-10-03", "2026-10-05", 3)
        w = resolve_window(store, ("2026-10-03", "2026-10-03"))
        assert w.days == 1
        w = resolve_window(store, "all")
        assert (str(w.start.date()), str(w.last_day)) == ("2026-10-01", "2026-10-28")
        assert w.as_dict()["range"] == "all"
    finally:
        store.close()


@pytest.mark.parametrize("bad", ["30x", "-3d", "0d", "2026-13-01..2026-10-01", "2026-10-05..2026-10-01"])
def test_bad_ranges_say_what_is_expected(tmp_path: Path, bad: str) -> None:
    store = make_store(tmp_path / "s.duckdb", runs=[run_record(0)])
    try:
        with pytest.raises(ValueError, match=r"range|date|ends before"):
            resolve_window(store, bad)
    finally:
        store.close()
