"""``import agenthone`` (and any of its stages) leaves the process alone: no environment, no warning filters."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHECK = """
import json, os, sys, warnings
import duckdb, numpy, pandas, pydantic, rich  # third-party filters set by these on import are theirs
env, filters = dict(os.environ), list(warnings.filters)
import agenthone, agenthone.store, agenthone.analytics, agenthone.datasets, agenthone.providers
import agenthone.training, agenthone.evaluation, agenthone.registry, agenthone.reports
changed = sorted(k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k))
print(json.dumps({"env": changed, "filters": len(warnings.filters) - len(filters)}))
"""


def test_importing_the_package_changes_neither_environment_nor_warning_filters() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "DO_NOT_TRACK", "TOKENIZERS_PARALLELISM")}
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"env": [], "filters": 0}
