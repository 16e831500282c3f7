"""Time windows: "7d", "30d", "90d", "all" or explicit dates, anchored at ``as_of``.

Windows are whole UTC days, half-open ``[start, end)``: a relative range of N days ends at midnight after
the ``as_of`` day and starts N days earlier, so "30d" is the 30 calendar days up to and including the
``as_of`` day and daily trends line up with calendar days. ``as_of`` defaults to the latest timestamp in
the data (runs and edits), so historical logs behave like live ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from agenthone.analytics._errors import AnalyticsError
from agenthone.analytics._query import fetch

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from agenthone.store import Store

__all__ = ["DateLike", "RangeLike", "Window", "latest_timestamp", "resolve_as_of", "resolve_window"]

DateLike: TypeAlias = "str | dt.date | dt.datetime | pd.Timestamp"
RangeLike: TypeAlias = "str | tuple[DateLike, DateLike]"

_RELATIVE = re.compile(r"^\s*(\d+)\s*([dw])\s*$", re.IGNORECASE)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval ``[start, end)`` and the range it was asked as."""

    start: pd.Timestamp
    end: pd.Timestamp
    label: str

    @property
    def days(self) -> int:
        return int((self.end - self.start) / _DAY)

    @property
    def last_day(self) -> dt.date:
        """The last calendar day the window covers (``end`` is the midnight after it)."""
        return (self.end - _DAY).date()  # type: ignore[no-any-return]

    def as_dict(self) -> dict[str, Any]:
        return {
            "range": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "first_day": self.start.date().isoformat(),
            "last_day": self.last_day.isoformat(),
            "days": self.days,
        }

    def filter(self, table: ir.Table, column: str = "timestamp") -> ir.Table:
        """``table`` restricted to rows whose ``column`` falls in the window."""
        col = table[column]
        return table.filter((col >= self.start.to_pydatetime()) & (col < self.end.to_pydatetime()))

    def shift(self, days: int) -> Window:
        """The window of the same length ``days`` earlier (negative: later)."""
        delta = dt.timedelta(days=days)
        return Window(self.start - delta, self.end - delta, f"{self.label} - {days}d")

    def __str__(self) -> str:
        return f"{self.label}: {self.start.date()} to {self.last_day} (UTC, {self.days} days)"


def _timestamp(value: DateLike) -> pd.Timestamp:
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise AnalyticsError(f"not a date: {value!r} (expected YYYY-MM-DD or an ISO timestamp)") from None
    if ts is pd.NaT:
        raise AnalyticsError(f"not a date: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _midnight(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.normalize()


def _bound(store: Store, which: str) -> pd.Timestamp | None:
    """The latest (``which="max"``) or earliest (``"min"``) timestamp of any run or edit, in one query."""

    def build() -> str:  # SQL, not Ibis: every call asks it first (see agenthone.analytics._query.fetch)
        parts = " UNION ALL ".join(f"SELECT {which}(timestamp) AS ts FROM {t}" for t in ("runs", "edits"))
        return f"SELECT {which}(ts) AS ts FROM ({parts})"

    value = fetch(store, ("window_bound", which), build).column(0)[0].as_py()
    return None if value is None else _timestamp(value)


def latest_timestamp(store: Store) -> pd.Timestamp | None:
    """The latest timestamp of any run or edit in the store (None when both are empty)."""
    return _bound(store, "max")


def resolve_as_of(store: Store, as_of: DateLike | None = None) -> pd.Timestamp:
    """``as_of`` as a UTC timestamp; a bare date means the end of that day; None means the latest data."""
    import pandas as pd

    if as_of is None:
        latest = latest_timestamp(store)
        return latest if latest is not None else pd.Timestamp.now(tz="UTC")
    if isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of.strip()):
        return _timestamp(as_of) + _DAY - pd.Timedelta(microseconds=1)
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return _timestamp(as_of) + _DAY - pd.Timedelta(microseconds=1)
    return _timestamp(as_of)


def _earliest(store: Store) -> pd.Timestamp | None:
    return _bound(store, "min")


def resolve_window(store: Store, range: RangeLike = "30d", *, as_of: DateLike | None = None) -> Window:  # noqa: A002
    """The window a range names.

    ``range`` is ``"Nd"`` / ``"Nw"`` (N days or weeks up to the ``as_of`` day), ``"all"``, explicit dates
    ``"2026-10-01..2026-10-31"`` (both days included), or a ``(first_day, last_day)`` tuple.
    """
    if isinstance(range, tuple):
        if len(range) != 2:
            raise AnalyticsError(f"a range tuple needs (first_day, last_day), got {range!r}")
        first, last = _timestamp(range[0]), _timestamp(range[1])
        start, end = _midnight(first), _midnight(last) + _DAY
        label = f"{start.date()}..{(end - _DAY).date()}"
    elif not isinstance(range, str):
        raise AnalyticsError(f"unknown range {range!r}; expected 7d, 30d, 90d, all or FIRST..LAST dates")
    elif ".." in range:
        a, b = range.split("..", 1)
        return resolve_window(store, (a.strip(), b.strip()), as_of=as_of)
    elif range.strip().lower() == "all":
        anchor = resolve_as_of(store, as_of)
        end = _midnight(anchor) + _DAY
        first = _earliest(store)
        start = _midnight(first) if first is not None and first < end else end - _DAY
        label = "all"
    else:
        match = _RELATIVE.match(range)
        if not match:
            raise AnalyticsError(f"unknown range {range!r}; expected 7d, 30d, 90d, 4w, all or FIRST..LAST dates")
        n = int(match.group(1)) * (7 if match.group(2).lower() == "w" else 1)
        if n <= 0:
            raise AnalyticsError(f"range {range!r} must cover at least one day")
        anchor = resolve_as_of(store, as_of)
        end = _midnight(anchor) + _DAY
        start = end - n * _DAY
        label = f"{n}d"
    if end <= start:
        raise AnalyticsError(f"range {range!r} ends before it starts")
    return Window(start, end, label)
