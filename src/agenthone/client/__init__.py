"""What agents import to send events to a collector service (``hone serve``)."""

from agenthone.client._collector import Collector, CollectorStats

__all__ = ["Collector", "CollectorStats"]
