"""Simulated experiment traffic logged through the workbench, for the experiments' tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

END = datetime(2026, 10, 29, tzinfo=UTC)


def log_experiment(
    wb: Any,
    name: str,
    *,
    units: int = 600,
    rates: tuple[float, float] = (0.6, 0.75),
    share: float = 0.5,
    days: int = 10,
    agent: str = "writer",
    pre_days: int = 0,
    seed: int = 0,
) -> dict[str, str]:
    """Edits tagged with ``name`` (variants control/treatment, unit = user_id) and one run per unit.

    ``share`` of units go to the treatment (0.5: a fair split); ``pre_days`` > 0 adds untagged edits of the
    same users before the experiment, correlated with their outcomes (a CUPED covariate).
    """
    rng = random.Random(seed)
    start = END - timedelta(days=days)
    edits: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    assigned: dict[str, str] = {}
    for i in range(units):
        user = f"{name}-u{i}"
        variant = "treatment" if rng.random() < share else "control"
        assigned[user] = variant
        skill = rng.gauss(0, 0.15)
        rate = min(max(rates[variant == "treatment"] + skill, 0.0), 1.0)
        first = start + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
        for k in range(rng.randint(1, 3)):
            accepted = rng.random() < rate
            edits.append(
                {
                    "timestamp": first + timedelta(minutes=10 * k),
                    "agent_name": agent,
                    "user_id": user,
                    "ai_output": f"draft {i} {k}",
                    "final_output": f"draft {i} {k}" if accepted else f"better draft {i} {k} with more words",
                    "accepted": accepted,
                    "metadata": {"experiment": name, "variant": variant},
                }
            )
        runs.append(
            {
                "timestamp": first,
                "agent_name": agent,
                "session_id": f"{name}-s{i}",
                "success": rng.random() < 0.9,
                "latency_ms": rng.gauss(800, 100),
                "cost_usd": 0.001 + rng.random() / 1000,
                "metadata": {"experiment": name, "variant": variant, "unit": user},
            }
        )
        for k in range(pre_days):
            accepted = rng.random() < min(max(0.6 + skill, 0.0), 1.0)
            edits.append(
                {
                    "timestamp": first - timedelta(days=k + 1),
                    "agent_name": agent,
                    "user_id": user,
                    "ai_output": f"pre {i} {k}",
                    "final_output": f"pre {i} {k}" if accepted else f"changed pre {i} {k}",
                    "accepted": accepted,
                }
            )
    wb.log_records("edit", edits)
    wb.log_records("run", runs)
    return assigned
