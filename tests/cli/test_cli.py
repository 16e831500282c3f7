"""The foundation commands as a user runs them: real `hone` processes, exit codes, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_record, write_jsonl


def hone(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agenthone.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=300,
    )


def test_help_lists_the_commands() -> None:
    out = hone("--help")
    assert out.returncode == 0
    for command in ("ingest", "info", "sample", "report", "demo"):
        assert command in out.stdout


def test_ingest_prints_counts_and_exit_codes(workspace: Path, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "runs.jsonl", [run_record(i) for i in range(5)])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(run_record(9)) + "\n{truncated\n", encoding="utf-8")

    first = hone("ingest", str(good), "--kind", "run")
    assert first.returncode == 0, first.stderr
    assert "5" in first.stdout and "accepted" in first.stdout

    again = hone("ingest", str(good), "--kind", "run", "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["duplicate"] == 5

    lax = hone("ingest", str(bad), "--kind", "run")
    assert lax.returncode == 0
    assert f"{bad}:2: invalid JSON" in lax.stderr
    strict = hone("ingest", str(bad), "--kind", "run", "--strict", "--json")
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["rejected"] == 1

    missing = hone("ingest", str(tmp_path / "nope.jsonl"), "--kind", "run")
    assert missing.returncode == 2
    assert "no such file" in missing.stderr

    wrong_kind = hone("ingest", str(good), "--kind", "rune")
    assert wrong_kind.returncode == 2


def test_info_reports_locations_and_counts(workspace: Path, tmp_path: Path) -> None:
    hone("ingest", str(write_jsonl(tmp_path / "r.jsonl", [run_record(i) for i in range(3)])), "--kind", "run")
    out = hone("info", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["counts"] == {"runs": 3, "edits": 0, "conversations": 0}
    assert info["store_path"] == str(workspace / "data" / "agenthone.duckdb")
    assert info["mlflow_tracking_uri"].startswith("sqlite:///")
    text = hone("info")
    assert "mlflow tracking" in text.stdout and "optuna storage" in text.stdout


def test_store_held_by_another_process_is_a_clear_error(workspace: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from agenthone import Workbench; wb = Workbench.open(); print('ready', flush=True);"
            " time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        out = hone("ingest", str(write_jsonl(tmp_path / "r.jsonl", [run_record(1)])), "--kind", "run")
        assert out.returncode == 2
        assert "is open for writing in another process" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        holder.kill()
        holder.wait()


def test_report_command_parameters_and_failure(workspace: Path) -> None:
    import nbformat

    folder = workspace / "notebooks" / "reports"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    params = nbformat.v4.new_code_cell("workspace = None\nfail = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("assert not fail, 'asked to fail'")]
    nbformat.write(nb, folder / "check.ipynb")

    ok = hone("report", "check", "--json")
    assert ok.returncode == 0, ok.stderr
    assert Path(json.loads(ok.stdout)["html"]).exists()
    failed = hone("report", "check", "-p", "fail", "true")
    assert failed.returncode == 1
    assert "failed in cell 2" in failed.stderr and "AssertionError: asked to fail" in failed.stderr
    listed = hone("report", "--list")
    assert "check" in listed.stdout.split()
    unknown = hone("report", "check", "-p", "nope", "1")
    assert unknown.returncode == 2 and "has no parameter 'nope'" in unknown.stderr


def test_sample_writes_files_and_can_ingest(workspace: Path) -> None:
    out = hone("sample", "--seed", "3", "--ingest", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    folder = Path(result["out_dir"])
    assert folder == workspace / "data" / "sample"
    for name in ("runs.jsonl", "edits.jsonl", "conversations.jsonl", "malformed_runs.jsonl", "ground_truth.json"):
        assert (folder / name).stat().st_size > 0
    assert result["ingested"]["run"] == {"accepted": result["counts"]["runs"], "duplicate": 0, "rejected": 0}
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3


def test_brackets_in_values_and_messages_are_printed_as_written(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rich reads "[word]" as markup: names, paths and messages must be escaped wherever they are printed
    monkeypatch.setenv("COLUMNS", "1000")  # table cells on one line
    runs = write_jsonl(tmp_path / "[prices] runs.jsonl", [run_record(i) for i in range(3)])
    table = hone("ingest", str(runs), "--kind", "run")
    assert table.returncode == 0, table.stderr
    assert "[prices] runs.jsonl" in table.stdout
    error = hone("agents", "trend", "[prices]")
    assert error.returncode == 2
    assert error.stderr.startswith("error: no runs or edits of agent '[prices]' in 90d: ")
    assert len(error.stderr.strip().splitlines()) == 1
    missing = hone("edits", "show", "[bold]nope")
    assert missing.returncode == 2 and "no edit with id '[bold]nope' in the store" in missing.stderr


def test_mlflow_setup_logs_stay_off_the_console(workspace: Path) -> None:
    out = hone("models", "list")  # the first MLflow call of a workspace creates its tracking database
    assert out.returncode == 0, out.stderr
    assert (workspace / "mlruns" / "mlflow.db").exists()
    for line in ("Creating initial MLflow database tables", "Updating database tables", "Context impl", "Will assume"):
        assert line not in out.stdout + out.stderr
    assert "no registered models yet" in out.stdout
