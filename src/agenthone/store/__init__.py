"""The embedded event store: runs, edits and conversations in DuckDB, read through Ibis."""

from agenthone.store._ingest import FileReport, IngestReport
from agenthone.store._readers import FORMATS, detect_format
from agenthone.store._store import Store

__all__ = ["FORMATS", "FileReport", "IngestReport", "Store", "detect_format"]
