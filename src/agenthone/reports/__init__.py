"""Reports: parameterised notebooks executed with papermill and rendered to HTML.

The report notebooks ship with the package (``agenthone/reports/notebooks``); a workspace's own
``notebooks/reports/NAME.ipynb`` overrides the shipped report of that name or adds a new one.
"""

from agenthone.reports._runner import (
    ReportError,
    ReportNotebook,
    ReportResult,
    available_reports,
    notebook_parameters,
    parse_parameter,
    prune_reports,
    report_notebooks,
    run_report,
)

__all__ = [
    "ReportError",
    "ReportNotebook",
    "ReportResult",
    "available_reports",
    "notebook_parameters",
    "parse_parameter",
    "prune_reports",
    "report_notebooks",
    "run_report",
]
