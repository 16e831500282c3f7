"""The report runner: parameters injected, HTML written, a failing cell named with partial output kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from agenthone import _env
from agenthone.config import Settings
from agenthone.reports import ReportError, available_reports, notebook_parameters, report_notebooks, run_report

SHIPPED = {
    "agent_performance",
    "dataset_quality",
    "edit_insights",
    "experiment",
    "model_comparison",
    "service_audit",
    "tools",
    "tuning_study",
    "training_run",
    "weekly",
    "workspace_overview",
}


def make_notebook(path: Path, cells: list[str], parameters: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test report"), params] + [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def settings(workspace: Path) -> Settings:
    s = Settings.load(workspace)
    assert s.notebooks_dir == workspace / "notebooks"
    s.ensure_dirs()
    return s


def test_parameters_are_injected_and_html_is_written(settings: Settings) -> None:
    make_notebook(
        settings.notebooks_dir / "reports" / "greet.ipynb",
        ["import os\nprint(f'{greeting}-{n * 2}-{os.path.basename(workspace)}')"],
        "workspace = None\ngreeting = 'hi'\nn = 1",
    )
    assert set(available_reports(settings)) == {"greet"} | SHIPPED
    assert notebook_parameters(settings.notebooks_dir / "reports" / "greet.ipynb") == {
        "workspace": "None",
        "greeting": "'hi'",
        "n": "1",
    }
    result = run_report("greet", {"greeting": "hello", "n": 21}, settings=settings)
    assert result.ok and result.failed_cell is None
    assert result.notebook.parent.parent == settings.reports_dir / "greet"
    executed = nbformat.read(result.notebook, as_version=4)
    outputs = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert f"hello-42-{settings.home.name}" in outputs
    assert result.html is not None and f"hello-42-{settings.home.name}" in result.html.read_text(encoding="utf-8")
    again = run_report("greet", {}, settings=settings)
    assert again.notebook != result.notebook, "each run gets its own folder"


def test_failing_cell_is_named_and_partial_output_kept(settings: Settings) -> None:
    make_notebook(
        settings.notebooks_dir / "reports" / "broken.ipynb",
        ["print('before the failure')", "1 / 0", "print('never printed')"],
        "workspace = None",
    )
    result = run_report("broken", settings=settings)
    assert not result.ok
    assert result.failed_cell == 4  # markdown, parameters, print, then the failing cell
    assert result.error == "ZeroDivisionError: division by zero"
    html = result.html.read_text(encoding="utf-8") if result.html else ""
    assert "before the failure" in html and "ZeroDivisionError" in html
    executed = nbformat.read(result.notebook, as_version=4)
    code = [
        c for c in executed.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    assert [o.get("ename") for o in code[2].outputs if o.output_type == "error"] == ["ZeroDivisionError"]
    assert code[3].outputs == [], "cells after the failure are not run"


def test_unknown_parameter_and_missing_report_are_clear_errors(settings: Settings) -> None:
    make_notebook(settings.notebooks_dir / "reports" / "greet.ipynb", ["pass"], "workspace = None\nn = 1")
    with pytest.raises(ReportError, match=r"report 'greet' has no parameter 'days' \(its parameters: workspace, n\)"):
        run_report("greet", {"days": 3}, settings=settings)
    with pytest.raises(ReportError, match=r"report notebook nope.ipynb in .* or in the package \(available: .*greet"):
        run_report("nope", settings=settings)
    with pytest.raises(ReportError, match=r"no report notebook .*missing.ipynb$"):
        run_report("missing", settings=settings, notebook=settings.home / "missing.ipynb")


def test_reports_ship_with_the_package_and_the_workspace_overrides(settings: Settings) -> None:
    shipped = {r.name: r for r in report_notebooks(settings)}
    assert set(shipped) == SHIPPED
    assert {r.source for r in shipped.values()} == {"package"}
    assert all(r.path.is_file() for r in shipped.values())

    folder = settings.notebooks_dir / "reports"
    mine = make_notebook(folder / "workspace_overview.ipynb", ["print('my own overview')"], "workspace = None")
    make_notebook(folder / "extra.ipynb", ["pass"], "workspace = None")
    found = {r.name: r for r in report_notebooks(settings)}
    assert set(found) == SHIPPED | {"extra"}
    assert (found["workspace_overview"].source, found["workspace_overview"].path) == ("workspace", mine)
    assert found["extra"].source == "workspace" and found["agent_performance"].source == "package"
    assert found["extra"].as_dict() == {"name": "extra", "source": "workspace", "path": str(found["extra"].path)}
    result = run_report("workspace_overview", settings=settings)
    assert result.ok and result.html is not None
    assert "my own overview" in result.html.read_text(encoding="utf-8")


def test_the_kernel_runs_offline_without_changing_this_process(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in _env.OFFLINE_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("WANDB_MODE", "offline")  # set by the user: the kernel keeps it
    monkeypatch.delenv("HONE_HOME")
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "1")  # what mlflow.set_experiment leaves in the caller's process
    keys = [*_env.OFFLINE_DEFAULTS, "HONE_HOME", "MLFLOW_EXPERIMENT_ID"]
    make_notebook(
        settings.notebooks_dir / "reports" / "env.ipynb",
        [f"import json, os\nprint(json.dumps({{k: os.environ.get(k) for k in {keys!r}}}))"],
        "workspace = None",
    )
    before = dict(os.environ)
    result = run_report("env", settings=settings)
    assert result.ok, result.error
    assert dict(os.environ) == before
    executed = nbformat.read(result.notebook, as_version=4)
    printed = [o["text"] for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []) if "text" in o]
    seen = json.loads(printed[-1])
    assert seen == {
        **_env.OFFLINE_DEFAULTS,
        "WANDB_MODE": "offline",
        "HONE_HOME": str(settings.home),
        "MLFLOW_EXPERIMENT_ID": None,  # the caller's experiment lives in another tracking store
    }


def test_settings_are_required() -> None:
    with pytest.raises(TypeError, match="settings"):
        run_report("workspace_overview")  # type: ignore[call-arg]
