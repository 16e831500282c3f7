"""Run a parameterised report notebook with papermill and render it to HTML."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from agenthone import _env
from agenthone.config import Settings
from agenthone.errors import HoneError

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

KERNEL = "agenthone"


class ReportError(HoneError):
    """A report notebook is missing or could not be started."""


@dataclass(frozen=True)
class ReportResult:
    """Where an executed report landed; ``ok`` is False when a cell failed (the partial output is kept)."""

    name: str
    notebook: Path
    html: Path | None
    ok: bool
    parameters: dict[str, Any]
    failed_cell: int | None = None
    """Position (1-based, counting every cell of the source notebook) of the cell that failed."""
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "notebook": str(self.notebook),
            "html": str(self.html) if self.html else None,
            "ok": self.ok,
            "parameters": self.parameters,
            "failed_cell": self.failed_cell,
            "error": self.error,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class ReportNotebook:
    """A report notebook and where it comes from: the workspace's own folder or the installed package."""

    name: str
    source: Literal["workspace", "package"]
    path: Traversable

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "path": str(self.path)}


def report_notebooks(settings: Settings) -> list[ReportNotebook]:
    """Every report by name: the workspace's ``notebooks/reports/NAME.ipynb`` wins over the one shipped."""
    found = {
        entry.name.removesuffix(".ipynb"): ReportNotebook(entry.name.removesuffix(".ipynb"), "package", entry)
        for entry in _shipped_folder().iterdir()
        if entry.name.endswith(".ipynb") and entry.is_file()
    }
    folder = settings.notebooks_dir / "reports"
    if folder.is_dir():
        found.update({p.stem: ReportNotebook(p.stem, "workspace", p) for p in folder.glob("*.ipynb") if p.is_file()})
    return [found[name] for name in sorted(found)]


def available_reports(settings: Settings) -> list[str]:
    """Names of the reports a workspace can run: its own and those shipped with the package."""
    return [r.name for r in report_notebooks(settings)]


def _shipped_folder() -> Traversable:
    return resources.files("agenthone.reports").joinpath("notebooks")


def parse_parameter(value: str) -> Any:
    """A CLI parameter value: JSON when it parses (numbers, true/false, lists), else the text itself."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _kernel_folder() -> Path:
    """A folder of kernelspecs holding one that runs this very interpreter, so reports see its packages.

    Report kernels are looked up in this private folder only: a user-level ``python3`` kernel pointing
    at another Python can never be picked by mistake.
    """
    digest = hashlib.sha1(sys.executable.encode()).hexdigest()[:10]
    kernels = Path(tempfile.gettempdir()) / f"agenthone-jupyter-{getpass.getuser()}-{digest}" / "kernels"
    spec_dir = kernels / KERNEL
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": "Python (agenthone)",
        "language": "python",
        "env": {"PYTHONWARNINGS": "ignore::DeprecationWarning"},
    }
    spec_file = spec_dir / "kernel.json"
    if not spec_file.exists() or json.loads(spec_file.read_text()) != spec:
        spec_dir.mkdir(parents=True, exist_ok=True)
        tmp = spec_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(spec, indent=1))
        tmp.replace(spec_file)
    return kernels


_CALLER_MLFLOW_STATE = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")
"""Set by ``mlflow.set_experiment``/``start_run`` in the caller for its subprocesses; they name the caller's
experiment and run, which a report on a workspace (with its own tracking store) must not inherit."""


def _kernel_env(settings: Settings) -> dict[str, str]:
    """The environment of a report kernel: this process's, offline and telemetry off where the user set
    nothing else, and ``HONE_HOME`` naming the workspace (the caller's active MLflow experiment and run left out)."""
    env = {**_env.OFFLINE_DEFAULTS, **os.environ, "HONE_HOME": str(settings.home)}
    for name in _CALLER_MLFLOW_STATE:
        env.pop(name, None)
    return env


def _kernel_manager_class(kernels: Path, env: dict[str, str]) -> type:
    """A kernel manager that finds its kernelspec in ``kernels`` and starts the kernel with ``env``.

    So a report run leaves this process's environment (``JUPYTER_PATH``, the offline variables) alone.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReportKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _report_kernel_specs(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(kernels)])

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw.setdefault("env", dict(env))
            await super().start_kernel(**kw)

    return ReportKernelManager


def _output_dir(settings: Settings, name: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    base = settings.reports_dir / name
    out = base / stamp
    n = 1
    while out.exists():
        n += 1
        out = base / f"{stamp}-{n}"
    out.mkdir(parents=True)
    return out


def run_report(
    name: str,
    parameters: dict[str, Any] | None = None,
    *,
    settings: Settings,
    notebook: Path | None = None,
    output_dir: Path | None = None,
    include_input: bool = True,
    progress: bool = False,
    timeout: int | None = 1800,
    keep: int | None = None,
) -> ReportResult:
    """Execute the report ``name`` (or the given ``notebook``) and write the executed notebook and its HTML.

    The workspace's ``notebooks/reports/<name>.ipynb`` wins over the report shipped with the package.
    The workspace root is always passed as the ``workspace`` parameter so the notebook opens the same
    store. A failing cell does not raise: the result says which cell failed and the partial notebook
    and HTML are written all the same. ``keep`` prunes older executions of the report to the ``keep`` newest
    (this one included; see :func:`prune_reports`).
    """
    if keep is not None and keep < 1:
        raise ReportError("keep must be at least 1 (the execution being written)")
    import time

    import papermill
    from papermill.exceptions import PapermillExecutionError

    with _report_source(name, notebook, settings) as source:
        declared = notebook_parameters(source)
        unknown = sorted(set(parameters or {}) - set(declared))
        if unknown:
            names = ", ".join(declared) or "none"
            raise ReportError(f"report {name!r} has no parameter {unknown[0]!r} (its parameters: {names})")
        params = {**({"workspace": str(settings.home)} if "workspace" in declared else {}), **(parameters or {})}
        out_dir = output_dir or _output_dir(settings, name)
        out_dir.mkdir(parents=True, exist_ok=True)
        executed = out_dir / f"{name}.ipynb"
        started = time.perf_counter()
        failed_cell: int | None = None
        error: str | None = None
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=params,
                kernel_name=KERNEL,
                kernel_manager_class=_kernel_manager_class(_kernel_folder(), _kernel_env(settings)),
                cwd=str(settings.home),
                progress_bar=progress,
                execution_timeout=timeout,
                report_mode=not include_input,
            )
        except PapermillExecutionError as exc:
            failed_cell = _source_cell_index(executed)
            error = f"{exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # kernel died, bad notebook JSON, ...
            if not executed.exists():
                raise ReportError(f"report {name!r} could not run: {type(exc).__name__}: {exc}") from exc
            error = f"{type(exc).__name__}: {exc}"
    html = _render_html(executed, include_input=include_input) if executed.exists() else None
    if keep is not None and output_dir is None:
        prune_reports(settings, name, keep=keep)
    return ReportResult(
        name=name,
        notebook=executed,
        html=html,
        ok=error is None,
        parameters=params,
        failed_cell=failed_cell,
        error=error,
        seconds=time.perf_counter() - started,
    )


def prune_reports(settings: Settings, name: str, *, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest executions of report ``name`` (``reports/NAME/<timestamp>/``).

    Only folders that hold an executed ``NAME.ipynb`` count as executions; anything else under
    ``reports/NAME/`` is left alone. Returns the folders removed, oldest first.
    """
    import shutil

    if keep < 1:
        raise ReportError("keep must be at least 1")
    base = settings.reports_dir / name
    if not base.is_dir():
        return []
    runs = sorted(
        (p for p in base.iterdir() if p.is_dir() and (p / f"{name}.ipynb").is_file()),
        key=lambda p: ((p / f"{name}.ipynb").stat().st_mtime, p.name),
    )
    removed = runs[: max(0, len(runs) - keep)]
    for folder in removed:
        shutil.rmtree(folder)
    return removed


@contextmanager
def _report_source(name: str, notebook: Path | None, settings: Settings) -> Iterator[Path]:
    """The notebook file to execute: ``notebook`` when given, else the report ``name`` as a real file."""
    if notebook is not None:
        if not notebook.is_file():
            raise ReportError(f"no report notebook {notebook}")
        yield notebook
        return
    found = {r.name: r for r in report_notebooks(settings)}
    if name not in found:
        known = ", ".join(found) or "none"
        folder = settings.notebooks_dir / "reports"
        raise ReportError(f"no report notebook {name}.ipynb in {folder} or in the package (available: {known})")
    with resources.as_file(found[name].path) as path:
        yield path


def notebook_parameters(notebook: Path) -> dict[str, Any]:
    """Parameters a notebook declares in its ``parameters`` cell, with their defaults."""
    import papermill

    try:
        found = papermill.inspect_notebook(str(notebook))
    except Exception as exc:
        raise ReportError(f"cannot read report notebook {notebook}: {exc}") from None
    return {name: info.get("default") for name, info in found.items()}


def _source_cell_index(executed: Path) -> int | None:
    """1-based position of the failed cell in the *source* notebook (papermill's own cells not counted)."""
    import nbformat

    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:
        return None
    index = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        index += 1
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "failed":
            return index
    return None


def _render_html(executed: Path, *, include_input: bool) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = not include_input
    exporter.exclude_input_prompt = not include_input
    body, _ = exporter.from_notebook_node(nb)
    html = executed.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html
