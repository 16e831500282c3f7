"""The errors analytics raise on bad input: unknown names, empty or malformed windows, bad options."""

from __future__ import annotations

from agenthone.errors import HoneError

__all__ = ["AnalyticsError", "UnknownEditError"]


class AnalyticsError(HoneError, ValueError):
    """A question analytics cannot answer as asked; the message says what to change.

    Also a ``ValueError``, so code written against the earlier ``ValueError`` keeps working.
    """


class UnknownEditError(AnalyticsError, KeyError):
    """No stored edit has the id asked for (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
