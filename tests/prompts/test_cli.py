"""``hone prompts``: set, alias, show as a user types them; bad input is one error line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _hone(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agenthone.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=os.environ.copy(), timeout=300)  # fmt: skip


def test_set_alias_show_and_errors(workspace: Path) -> None:
    (workspace / "prompt.txt").write_text("You answer tickets.\nBe brief.", encoding="utf-8")
    done = _hone("prompts", "set", "support-bot", "--file", "prompt.txt", "--label", "v3", "--alias", "production",
                 "--json", cwd=workspace)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["label"] == "v3"
    shown = _hone("prompts", "show", "support-bot", "production", "--lineage", "--json", cwd=workspace)
    doc = json.loads(shown.stdout)
    assert doc["template"] == "You answer tickets.\nBe brief." and doc["aliases"] == ["production"]
    bad = _hone("prompts", "show", "support-bot", "v9", cwd=workspace)
    assert (
        bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no prompt version, label or alias 'v9'" in bad.stderr
    )
