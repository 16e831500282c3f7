"""Reports: parameterised notebooks executed with papermill and rendered to HTML."""

from agenthone.reports._runner import (
    ReportError,
    ReportResult,
    available_reports,
    notebook_parameters,
    parse_parameter,
    run_report,
)

__all__ = ["ReportError", "ReportResult", "available_reports", "notebook_parameters", "parse_parameter", "run_report"]
