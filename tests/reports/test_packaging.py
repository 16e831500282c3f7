"""The built wheel carries the report notebooks: installed on its own, `hone report` works in an empty workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

SHIPPED = sorted(p.stem for p in (ROOT / "src" / "agenthone" / "reports" / "notebooks").glob("*.ipynb"))


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    # build from a copy of what the build reads: no build/ or egg-info left in the checkout, and no stale
    # build/lib from an earlier build can slip into the wheel
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        dist,
        source,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("agenthone-*.whl")
    return wheel


def test_wheel_ships_the_reports_and_runs_one_in_an_empty_workspace(tmp_path: Path, workspace: Path) -> None:
    assert "workspace_overview" in SHIPPED
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {f"agenthone/reports/notebooks/{n}.ipynb" for n in SHIPPED} <= names

    # a fresh environment holding only the wheel; its dependencies come from this interpreter's
    # site-packages through a .pth file, added after the wheel is installed so pip sees none of them
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path
    )
    site = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip()
    )
    here = sysconfig.get_paths()
    (site / "_agenthone_test_deps.pth").write_text(f"{here['purelib']}\n{here['platlib']}\n", encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HONE_HOME")}
    # nbconvert's HTML templates are data files of this environment, not of the fresh one
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH")) if p
    )
    imported = run(python, "-c", "import agenthone; print(agenthone.__file__)", cwd=workspace, env=env).stdout.strip()
    assert Path(imported).is_relative_to(venv), imported

    hone = venv / "bin" / "hone"
    listed = json.loads(run(hone, "report", "--list", "--json", cwd=workspace, env=env).stdout)
    assert [r["name"] for r in listed] == SHIPPED
    assert {r["source"] for r in listed} == {"package"}
    assert all(Path(r["path"]).is_relative_to(venv) for r in listed)
    assert "workspace_overview  package" in run(hone, "report", "--list", cwd=workspace, env=env).stdout

    result = json.loads(run(hone, "report", "workspace_overview", "--json", cwd=workspace, env=env).stdout)
    assert result["ok"], result
    html = Path(result["html"])
    assert html.is_file() and html.is_relative_to(workspace / "reports" / "workspace_overview")
    assert html.stat().st_size > 10_000
