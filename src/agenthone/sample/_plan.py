"""The plan of one sample: time span, which agent carries which effect, and each agent's base rates.

Everything random is drawn from streams derived from the seed by name, so adding a draw to one stage
never shifts another stage's data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import numpy as np

from agenthone.sample._agents import AGENTS, AgentSpec

__all__ = ["DAY", "Plan", "Timeline", "make_plan", "np_stream", "py_stream", "stratified_flags"]

DAY = 86_400
WEEK = 7 * DAY
_WEEKDAY = np.array([1.0, 1.04, 1.06, 1.02, 0.95, 0.55, 0.45])
"""relative volume Monday..Sunday"""
_HOURS = np.array(
    [0.25, 0.2, 0.18, 0.18, 0.22, 0.3, 0.45, 0.7, 0.95, 1.1, 1.2, 1.2, 1.15, 1.2, 1.25, 1.25, 1.2, 1.1, 0.95, 0.8,
     0.65, 0.5, 0.4, 0.3]
)  # fmt: skip
"""relative volume by UTC hour (users on several continents, busiest in European afternoons)"""
HOUR_P = _HOURS / _HOURS.sum()

_STREAMS = (
    "plan", "runs", "run-text", "edits", "edit-text", "conversations", "duplicates", "malformed", "experiments",
)  # fmt: skip


def py_stream(seed: int, name: str) -> random.Random:
    """A Python RNG for one named stage (string seeds are hashed with SHA-512: stable everywhere)."""
    return random.Random(f"agenthone-sample/{seed}/{name}")


def np_stream(seed: int, name: str) -> np.random.Generator:
    """A NumPy RNG for one named stage."""
    return np.random.default_rng([seed & 0xFFFFFFFF, _STREAMS.index(name)])


@dataclass(frozen=True)
class Timeline:
    """``days`` whole UTC days ending with ``end``; the last seven are the regression window."""

    start: int
    """epoch seconds of the first instant"""
    end: int
    """epoch seconds of the last second"""
    days: int
    since: int
    """epoch seconds when the regression window opens"""

    @classmethod
    def ending(cls, end: dt.date, days: int) -> Timeline:
        last = int(dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC).timestamp())
        start = last - (days - 1) * DAY
        return cls(start=start, end=last + DAY - 1, days=days, since=last - 6 * DAY)

    def day_weights(self) -> np.ndarray:
        """Relative volume of each day: fewer on weekends."""
        weekday0 = dt.datetime.fromtimestamp(self.start, dt.UTC).weekday()
        return _WEEKDAY[(weekday0 + np.arange(self.days)) % 7]

    @staticmethod
    def iso(ts: int) -> str:
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Plan:
    seed: int
    scale: str
    timeline: Timeline
    agents: tuple[AgentSpec, ...]
    filler: int
    omission: int
    regression: int
    tone: int
    p_success: np.ndarray
    """per agent, the stable run success rate (before the regression window for the regressing agent)"""
    p_accept: np.ndarray
    """per agent, the share of edits accepted unchanged (healthy and regressing agents)"""
    success_after: float
    accept_after: float
    switches: tuple[np.ndarray, ...]
    """per agent, the epoch seconds at which prompt versions v2, v3 took over"""
    ab_test: int
    """the agent running the planted prompt A/B test"""
    aa_test: int
    """the agent running the planted A/A test"""
    experiment_start: int
    """epoch seconds when both planted experiments start (they run to the end of the sample)"""

    @property
    def planted(self) -> dict[str, int]:
        return {
            "filler_phrase": self.filler,
            "omission": self.omission,
            "regression": self.regression,
            "tone_shift": self.tone,
        }

    def healthy(self, agent: int) -> bool:
        return agent not in self.planted.values()


EXPERIMENT_WEEKS = 6
"""The planted experiments run over the sample's last six weeks."""
AB_BASE_ACCEPT = 0.84
"""Acceptance of the A/B agent outside the test; its two arms sit half the planted lift either side of it."""


def make_plan(seed: int, scale: str, timeline: Timeline) -> Plan:
    """Pick effect carriers and base rates for a seed."""
    rnd = py_stream(seed, "plan")
    agents = AGENTS

    def pick(role: str, taken: set[int]) -> int:
        options = [i for i, a in enumerate(agents) if role in a.roles and i not in taken]
        choice = rnd.choice(options)
        taken.add(choice)
        return choice

    taken: set[int] = set()
    tone = pick("tone", taken)
    omission = pick("omission", taken)
    filler = pick("filler", taken)
    regression = pick("regression", taken)
    p_success = np.array([round(rnd.uniform(0.84, 0.94), 3) for _ in agents])
    p_accept = np.array([round(rnd.uniform(0.82, 0.9), 3) for _ in agents])
    p_success[regression] = round(rnd.uniform(0.88, 0.93), 3)
    p_accept[regression] = round(rnd.uniform(0.86, 0.9), 3)
    switches = []
    for i, agent in enumerate(agents):
        lo, hi = timeline.start + 8 * DAY, timeline.since - 5 * DAY
        points = sorted(rnd.uniform(lo, hi) for _ in range(agent.versions - 1))
        if i == regression:  # the newest prompt version ships the day the regression starts
            points[-1] = float(timeline.since)
        switches.append(np.array([int(p) for p in points], dtype=np.int64))
    # the experiments draw from their own stream, so every draw above is what it was before they existed
    exp_rnd = py_stream(seed, "experiments")
    free = [i for i in range(len(agents)) if i not in taken]
    ab_test, aa_test = exp_rnd.sample(free, 2)
    experiment_start = max(timeline.start, timeline.end + 1 - EXPERIMENT_WEEKS * WEEK)
    for i in (ab_test, aa_test):  # the control prompt is the agent's newest, in place before the test starts
        lo, hi = timeline.start + DAY, experiment_start - 3 * DAY
        points = sorted(exp_rnd.uniform(lo, hi) if hi > lo else timeline.start for _ in range(len(switches[i])))
        switches[i] = np.array([int(p) for p in points], dtype=np.int64)
    p_accept[ab_test] = AB_BASE_ACCEPT
    return Plan(
        seed=seed,
        scale=scale,
        timeline=timeline,
        agents=agents,
        filler=filler,
        omission=omission,
        regression=regression,
        tone=tone,
        p_success=p_success,
        p_accept=p_accept,
        success_after=round(rnd.uniform(0.56, 0.64), 3),
        accept_after=round(rnd.uniform(0.52, 0.58), 3),
        switches=tuple(switches),
        ab_test=ab_test,
        aa_test=aa_test,
        experiment_start=experiment_start,
    )


def stratified_flags(
    ts: np.ndarray, timeline: Timeline, p_before: float, p_after: float | None, rng: np.random.Generator
) -> np.ndarray:
    """True/False per record with week-by-week exact rates, so a stable rate looks stable in every window.

    Records are bucketed into weeks counted back from the end; each week gets ``round(p * n)`` trues at
    random places (the rounding error carries over). The last week gets ``p_after`` when given, else the
    realised rate of the earlier weeks, so a healthy agent's last seven days match its history.
    """
    out = np.zeros(len(ts), dtype=bool)
    if len(ts) == 0:
        return out
    week = (timeline.end - ts) // WEEK
    carry = 0.0
    hits = total = 0
    for w in range(int(week.max()), 0, -1):
        idx = np.flatnonzero(week == w)
        if len(idx) == 0:
            continue
        target = p_before * len(idx) + carry
        k = int(min(len(idx), max(0, round(target))))
        carry = target - k
        out[rng.choice(idx, size=k, replace=False)] = True
        hits += k
        total += len(idx)
    idx = np.flatnonzero(week == 0)
    if len(idx):
        p = p_after if p_after is not None else (hits / total if total else p_before)
        k = int(min(len(idx), max(0, round(p * len(idx)))))
        out[rng.choice(idx, size=k, replace=False)] = True
    return out
