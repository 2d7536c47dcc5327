"""Open-time clocks of the line engine: wall time to the time a station (or a line) has been
open, and back, for many lines at once.

Grain: one piecewise-linear clock per line, built from sorted, disjoint open intervals in
seconds from the horizon start; the warm-up before 0 and everything after the horizon are
open. Clocks of several lines are concatenated with offsets so one ``searchsorted`` serves
them all (arrays carry lines on their first axis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Clock", "open_clock", "same", "to_base", "union"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_TAIL_S = 400 * 86400.0


@dataclass
class Clock:
    """Piecewise-linear open-time clocks of several lines, concatenated with offsets so one
    ``searchsorted`` serves every line. clock(t) = t for a line that is always open."""

    identity: bool
    a: F64  # segment starts (shifted by line x offset)
    b: F64
    o_start: F64  # open time at each segment start (shifted likewise)
    o_end: F64
    first: I64  # first and last segment of each line
    last: I64
    offset: float

    def clock(self, t: F64) -> F64:
        """Open time at wall time t; t has lines on its first axis."""
        if self.identity:
            return t
        shift = (np.arange(t.shape[0], dtype=np.float64) * self.offset).reshape(
            -1, *[1] * (t.ndim - 1)
        )
        tt = t + shift
        k = np.searchsorted(self.a, tt, side="right") - 1
        k = np.clip(k, self.first.reshape(shift.shape), self.last.reshape(shift.shape))
        return self.o_start[k] + np.clip(tt - self.a[k], 0.0, self.b[k] - self.a[k]) - shift

    def wall(self, o: F64) -> F64:
        """Wall time at which open time o is reached (the inverse of ``clock``)."""
        if self.identity:
            return o
        shift = (np.arange(o.shape[0], dtype=np.float64) * self.offset).reshape(
            -1, *[1] * (o.ndim - 1)
        )
        oo = o + shift
        k = np.searchsorted(self.o_end, oo, side="left")
        k = np.clip(k, self.first.reshape(shift.shape), self.last.reshape(shift.shape))
        return self.a[k] + (oo - self.o_start[k]) - shift


def open_clock(intervals: list[F64 | None], lo: float, his: F64) -> Clock:
    """Clocks for one interval set per line (None: always open): open on [lo, 0) (warm-up),
    on the intervals inside [0, his[l]), and from his[l] on."""
    if all(iv is None for iv in intervals):
        empty = np.zeros(0)
        none = np.zeros(0, np.int64)
        return Clock(True, empty, empty, empty, empty, none, none, 0.0)
    tail = float(np.max(his)) + _TAIL_S
    offset = 4.0 * (tail - lo)
    parts: list[list[F64]] = [[], [], [], []]
    first, last, count = [], [], 0
    for line, iv in enumerate(intervals):
        hi = float(his[line])
        if iv is None:
            seg = np.array([[lo, tail]])
        else:
            body = np.clip(iv.reshape(-1, 2), 0.0, hi)
            body = body[body[:, 1] > body[:, 0]]
            seg = np.vstack([[[lo, 0.0]], body, [[hi, tail]]])
        length = seg[:, 1] - seg[:, 0]
        o_end = np.cumsum(length) + lo
        for store, values in zip(parts, (seg[:, 0], seg[:, 1], o_end - length, o_end), strict=True):
            store.append(values + line * offset)
        first.append(count)
        count += seg.shape[0]
        last.append(count - 1)
    a, b, o_start, o_end_all = (np.concatenate(p) for p in parts)
    return Clock(
        False, a, b, o_start, o_end_all, np.array(first, np.int64), np.array(last, np.int64), offset
    )


def union(intervals: list[F64 | None], horizon: float) -> F64 | None:
    """Union of interval sets inside [0, horizon), None when one of them is always open."""
    if any(iv is None for iv in intervals):
        return None
    allv = np.vstack([iv.reshape(-1, 2) for iv in intervals if iv is not None])
    allv = np.clip(allv, 0.0, horizon)
    allv = allv[allv[:, 1] > allv[:, 0]]
    if allv.size == 0:
        return np.zeros((0, 2))
    allv = allv[np.argsort(allv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(allv[:, 1])
    new = np.concatenate([[True], allv[1:, 0] > reach[:-1]])
    starts = allv[new, 0]
    ends = np.append(reach[np.flatnonzero(new)[1:] - 1], reach[-1])
    return np.column_stack([starts, ends])


def same(a: F64 | None, b: F64 | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))


def to_base(base: Clock, line: int, iv: F64, n_lines: int) -> F64:
    """A station's open intervals (wall time) on its line's base clock."""
    t = np.zeros((n_lines, iv.size))
    t[line] = iv.ravel()
    mapped: F64 = base.clock(t)[line].reshape(-1, 2)
    return mapped
