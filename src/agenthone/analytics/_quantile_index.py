"""A warm, in-process index for the medians and percentiles of any day-aligned window.

Medians and percentiles do not add up across days, so a summary of a window the rollup has no quantiles for
asks DuckDB's ``quantile_cont`` over the window's runs (one scan). A process that asks for a second such
window (another range, or the same after new data) builds this index instead, once per state of the data:
for each measured column (``score``, ``latency_ms``), its non-NULL values as one float64 array ordered by
group then UTC day (each day's values sorted), and per (group, day) where its values start. A window's
quantile per group is then a selection within one contiguous slice of that array: the band between the
smallest and the largest of its days' own order statistics at the same fraction is found by binary search
in each day, the values below it and in it are counted (the whole slice is used when the band misses), and
only the band is partitioned (``np.partition``). The two order statistics ``floor`` and ``ceil`` of
``(n - 1) * q`` are interpolated exactly as ``quantile_cont`` does.

The index lives on the rollup object (:class:`agenthone.analytics._rollup.Daily`), so it is dropped with it
whenever the data changes, and is never written to disk. It costs 8 bytes per measured value (about 160 MB
at 10M runs). The interpolation formula is checked once per process against DuckDB on a few hundred pairs
of values (its rounding depends on how DuckDB was compiled); when no candidate reproduces DuckDB to the
last bit, the index is not used and every window asks DuckDB, as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agenthone.analytics._groups import run_key_sql
from agenthone.analytics._rollup import day_number

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from agenthone.analytics._rollup import Daily
    from agenthone.analytics._window import Window
    from agenthone.store import Store

__all__ = ["QuantileIndex", "index_quantiles", "interpolation"]

MEASURES = {"score": (("score_median", 0.5),), "latency_ms": (("latency_p50", 0.5), ("latency_p95", 0.95))}
"""per measured column: the quantiles a summary shows of it"""

_Interpolate = Callable[[float, float, float], float]


def _weighted_fma(lo: float, hi: float, d: float) -> float:
    """``lo * (1 - d) + hi * d`` with the first product and the sum fused (one rounding): a fused
    multiply-add, computed exactly (a Fraction converts to the nearest double)."""
    from fractions import Fraction  # not on the cold path: only when an index is built

    return float(Fraction(lo) * Fraction(1.0 - d) + Fraction(hi * d))


def _delta_fma(lo: float, hi: float, d: float) -> float:
    """``lo + (hi - lo) * d`` as a fused multiply-add."""
    from fractions import Fraction

    return float(Fraction(hi - lo) * Fraction(d) + Fraction(lo))


# lo + (hi - lo) * d in the ways a compiler may evaluate it (fused multiply-add or not)
_CANDIDATES: dict[str, _Interpolate] = {
    "weighted_fma": _weighted_fma,
    "weighted": lambda lo, hi, d: lo * (1.0 - d) + hi * d,
    "delta": lambda lo, hi, d: lo + (hi - lo) * d,
    "delta_fma": _delta_fma,
}
_chosen: list[_Interpolate | None] = []


def interpolation(store: Store) -> _Interpolate | None:
    """The interpolation between two order statistics that gives DuckDB's ``quantile_cont`` to the last
    bit on a few hundred pairs of values (checked once per process), None if no candidate does."""
    if _chosen:
        return _chosen[0]
    import numpy as np

    rng = np.random.default_rng(0)
    lo = np.round(rng.uniform(0, 5000, 400), 1)
    hi = lo + np.round(rng.uniform(0, 10, 400), 1)
    qs = (0.95, 0.3, 0.77)
    rows = ", ".join(
        f"({i}, {a!r}), ({i}, {b!r})" for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True))
    )
    columns = ", ".join(f"quantile_cont(CAST(v AS DOUBLE), {q!r})" for q in qs)
    with store.locked() as con:
        got = con.execute(f"SELECT g, {columns} FROM (VALUES {rows}) t(g, v) GROUP BY g ORDER BY g").fetchall()
    for candidate in _CANDIDATES.values():
        if all(
            candidate(float(lo[g]), float(hi[g]), q) == value  # two values: (n - 1) * q = q
            for g, *values in got
            for q, value in zip(qs, values, strict=True)
        ):
            _chosen.append(candidate)
            break
    else:
        _chosen.append(None)
    return _chosen[0]


@dataclass
class QuantileIndex:
    """The non-NULL values of each measured column of the runs, ordered by group then UTC day.

    Bucket ``g * span + (day - origin)`` holds group ``g``'s values of that day: ``offsets[column][b]``
    to ``offsets[column][b + 1]`` in ``values[column]``.
    """

    names: list[str]
    origin: int
    span: int
    offsets: dict[str, npt.NDArray[np.int64]]
    values: dict[str, npt.NDArray[np.float64]]
    interpolate: _Interpolate

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.values.values()) + sum(o.nbytes for o in self.offsets.values())

    def quantiles(self, window: Window, names: Any) -> dict[str, npt.NDArray[np.float64]]:
        """Per group of ``names`` (NaN where a group has no value in the window): the summary's quantiles."""
        import numpy as np

        group = {name: g for g, name in enumerate(self.names)}
        first = min(max(day_number(window.start) - self.origin, 0), self.span)
        end = min(max(day_number(window.end) - self.origin, 0), self.span)
        out = {name: np.full(len(names), np.nan) for spec in MEASURES.values() for name, _ in spec}
        for at, name in enumerate(names):
            g = group.get(str(name))
            if g is None or end <= first:
                continue
            for column, spec in MEASURES.items():
                offsets = self.offsets[column][g * self.span + first : g * self.span + end + 1]
                n = int(offsets[-1] - offsets[0])
                for quantile, q in spec:
                    rn = (n - 1) * q
                    if n:
                        out[quantile][at] = self._select(self.values[column], offsets, rn)
        return out

    def _select(self, values: npt.NDArray[np.float64], offsets: npt.NDArray[np.int64], rn: float) -> float:
        """The interpolated order statistic ``rn`` of the days ``offsets`` delimit (each day sorted).

        The answer lies between the smallest and the largest of the days' own order statistics at the same
        fraction (checked: the values below the band and in it are counted); only the band is partitioned.
        """
        import numpy as np

        low, high = math.floor(rn), math.ceil(rn)
        days = [(int(a), int(b)) for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True) if b > a]
        total = offsets[-1] - offsets[0]
        fraction = rn / (total - 1) if total > 1 else 0.0
        los = [values[a + math.floor(fraction * (b - a - 1))] for a, b in days]
        his = [values[a + math.ceil(fraction * (b - a - 1))] for a, b in days]
        band = below = None
        if len(days) > 1:
            lower, upper = min(los), max(his)
            starts = [a + int(np.searchsorted(values[a:b], lower, "left")) for a, b in days]
            ends = [a + int(np.searchsorted(values[a:b], upper, "right")) for a, b in days]
            below = sum(s - a for s, (a, _) in zip(starts, days, strict=True))
            inside = sum(e - s for s, e in zip(starts, ends, strict=True))
            if below <= low and below + inside > high:
                band = np.concatenate([values[s:e] for s, e in zip(starts, ends, strict=True)])
        if band is None or below is None:  # one day, or the band missed: the whole slice
            band, below = values[offsets[0] : offsets[-1]], 0
        chosen = np.partition(band, sorted({low - below, high - below}))
        a = float(chosen[low - below])
        return a if low == high else self.interpolate(a, float(chosen[high - below]), rn - low)


def _build(store: Store, by: str, rollup: Daily, interpolate: _Interpolate) -> QuantileIndex | None:
    """The index of the runs the (current) rollup summarises: per measured column, one scan of its non-NULL
    values and their group and day, put in order of group and day here (a stable sort on the bucket, then
    each day's values sorted). None if the values do not add up to the rollup's counts."""
    import numpy as np

    names = [str(name) for name in rollup.names]
    origin = int(rollup.day.min()) if len(rollup.day) else 0
    span = int(rollup.day.max()) - origin + 1 if len(rollup.day) else 1
    size = max(len(names) * span, 1)
    key = run_key_sql(by)
    day = "CAST(FLOOR(EPOCH_US(timestamp) / 86400000000) AS BIGINT)"
    table = ", ".join(f"({g}, '{name.replace(chr(39), chr(39) * 2)}')" for g, name in enumerate(names)) or "(0, '')"
    bucket_type = "INTEGER" if size < 1 << 31 else "BIGINT"
    offsets = {}
    values = {}
    for column in MEASURES:
        with store.locked() as con:
            fetched = con.execute(
                f"SELECT CAST(n.g * {span} + ({day} - {origin}) AS {bucket_type}) AS bucket,"
                f" CAST({column} AS DOUBLE) AS v FROM runs JOIN (VALUES {table}) n(g, k) ON {key} = n.k"
                f" WHERE {column} IS NOT NULL"
            ).fetchnumpy()
        bucket = np.asarray(fetched.pop("bucket"))
        counts = np.bincount(bucket, minlength=size)
        order = np.argsort(bucket.astype("uint16") if size <= 1 << 16 else bucket, kind="stable")
        del bucket
        column_values = np.asarray(fetched.pop("v"), dtype="float64")[order]
        del order
        offsets[column] = np.concatenate([np.zeros(1, dtype="int64"), np.cumsum(counts)])
        for a, b in zip(offsets[column][:-1].tolist(), offsets[column][1:].tolist(), strict=True):
            if b - a > 1:
                column_values[a:b].sort()  # each day's values in order: windows select within a band
        values[column] = column_values
    if len(values["score"]) != int(rollup.sums["score_n"].sum()) or len(offsets["score"]) != size + 1:
        return None
    return QuantileIndex(names=names, origin=origin, span=span, offsets=offsets, values=values, interpolate=interpolate)


def index_quantiles(
    store: Store, by: str, rollup: Daily, window: Window, names: Any
) -> dict[str, npt.NDArray[np.float64]] | None:
    """The summary quantiles of ``window`` per group of ``names`` from the rollup's index, or None: the
    first window of a rollup is left to DuckDB (a fresh process asking one summary builds no index), the
    second builds the index (kept on the rollup, dropped with it when the data changes)."""
    if rollup.index is None:
        rollup.window_requests += 1
        if rollup.window_requests < 2:
            return None
        interpolate = interpolation(store)
        if interpolate is None:
            rollup.index = False
            return None
        rollup.index = _build(store, by, rollup, interpolate) or False
    if rollup.index is False:
        return None
    assert isinstance(rollup.index, QuantileIndex)
    return rollup.index.quantiles(window, names)
