"""Monte Carlo engine of serial lines: numpy arrays in and out, vectorized over replications.

Grain: per line, per horizon day, per replication, the good units that left the last station
(``units``), and per station and day its busy and open seconds (busy summed over replications).

Model (a tandem line with finite buffers and blocking after service):

- Units move in transfer batches of q units (q per line, so a line needs at most about
  ``max_batches`` batches over the horizon; q = 1 for slow lines), with q dividing every
  finite buffer and WIP cap and leaving each at least 10 x max(1, cv^2) batches, so buffers
  are exact and batching moves throughput by less than ``ACCURACY`` (0.5 %); small buffers
  run in batches of one. A batch's work at a station
  is gamma distributed with mean q x cycle_s and coefficient of variation cv / sqrt(q) (the
  sum of q unit times of CV cv); cv = 0 is deterministic.
- Failures are operation dependent: each station's working time between failures is
  exponential with mean mtbf_s; a failure adds a repair, gamma with mean mttr_s and CV
  repair_cv, to the batch it interrupts. A station down at the start first finishes a repair.
- Each station works only inside its open intervals (planned windows less its planned stops
  and outages): work and repairs advance on its open-time clock.
- Departure recursion, for batch n at station j with b batches of buffer before j + 1:
  S = max(D[n, j-1], D[n-1, j]); C = clock_j^-1(clock_j(S) + effort);
  D[n, j] = max(C, D[n-b-1, j+1]) (the batch leaves only when the buffer has room).
  The first station is fed without limit, or by CONWIP: D[n - w, last] for a WIP cap w.
- A warm-up before time 0 (open everywhere) fills the line, so day 1 starts with work in
  progress; only departures inside the horizon days count.

Speed: each line runs on its own base clock, the union of its stations' open time, so a
station open whenever any station of its line is (the usual case: breaks and shifts stop the
whole line) needs no calendar lookups; failures are found per chunk of batches from the
cumulative work, not per batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin_core.sim.lines.clock import Clock, open_clock, same, to_base, union

__all__ = ["ACCURACY", "EngineResult", "LineSpec", "StationSpec", "run_engine"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_CHUNK = 64
_NORMAL_SHAPE = 100.0
# Replications whose station busy time is recorded: enough for the mean utilization that
# picks the bottleneck, at a fraction of the cost of recording them all.
_BUSY_REPS = 200
# Batches a finite buffer or WIP cap holds at least (x max(1, cv^2)); see _batch_units.
_MIN_BATCHES = 10
ACCURACY = 0.005  # relative throughput error bound of batching, for unit CV up to 3


@dataclass(frozen=True)
class StationSpec:
    """One station: mean unit work while up, variability, failures, buffer and calendar."""

    machine_id: str
    cycle_s: float
    cv: float = 0.25
    mtbf_s: float = math.inf
    mttr_s: float = 0.0
    repair_cv: float = 1.0
    buffer_before: float = math.inf  # units that fit before this station (first: ignored)
    # Sorted, disjoint open intervals (k, 2) [start, end) in seconds from the horizon start;
    # None: always open. The warm-up before 0 and everything after the horizon are open.
    open_intervals: F64 | None = None
    down_at_start: bool = False


@dataclass(frozen=True)
class LineSpec:
    """A serial line: stations in order, the good share of its output, an optional WIP cap."""

    line_id: str
    stations: tuple[StationSpec, ...]
    yield_: float = 1.0
    wip_cap: float | None = None


@dataclass
class EngineResult:
    """units: (lines, days, replications) good units out of each line's last station.
    busy_s, open_s: (lines, max stations, days) busy (working or under repair, mean over the
    first ``_BUSY_REPS`` replications) and open seconds per station and day. line_open_s:
    (lines, days) seconds at least one station of the line is open. batch_units: q per line."""

    units: F64
    busy_s: F64
    open_s: F64
    line_open_s: F64
    batch_units: I64


@dataclass
class _Prepared:
    """Per station index j (stacked over lines): parameters as (J, L, 1) arrays."""

    q: I64
    cycle: F64
    shape: F64  # gamma shape of a batch's work (inf: deterministic)
    scale: F64
    mtbf: F64
    mttr: F64
    r_shape: F64
    buf: F64  # (J, L) batches of room before station j (inf: unlimited)
    real: npt.NDArray[np.bool_]  # (J, L)


def _prepare(lines: list[LineSpec], span: float, max_batches: int) -> _Prepared:
    n_st = max(len(ln.stations) for ln in lines)

    def col(name: str, pad: float) -> F64:
        return np.array(
            [
                [
                    float(getattr(ln.stations[j], name)) if j < len(ln.stations) else pad
                    for ln in lines
                ]
                for j in range(n_st)
            ]
        )[:, :, None]

    slowest = np.array([max(s.cycle_s for s in ln.stations) for ln in lines])
    q_span = np.maximum(1, np.ceil(span / (slowest * max_batches))).astype(np.int64)
    q = np.array([_batch_units(ln, int(q_span[i])) for i, ln in enumerate(lines)], np.int64)
    qf = q.astype(np.float64)[None, :, None]
    cycle, cv = col("cycle_s", 0.0), col("cv", 0.0)
    shape = np.where(cv > 0, qf / np.maximum(cv, 1e-9) ** 2, np.inf)
    scale = np.where(np.isfinite(shape), cycle * qf / np.where(np.isfinite(shape), shape, 1.0), 0.0)
    buf = np.full((n_st, len(lines)), np.inf)
    for li, ln in enumerate(lines):
        for j, st in enumerate(ln.stations):
            if j > 0 and math.isfinite(st.buffer_before):
                buf[j, li] = min(4095.0, max(0.0, math.floor(st.buffer_before / q[li])))
    real = np.array([[j < len(ln.stations) for ln in lines] for j in range(n_st)])
    return _Prepared(
        q=q,
        cycle=cycle * qf,
        shape=shape,
        scale=scale,
        mtbf=col("mtbf_s", math.inf),
        mttr=col("mttr_s", 0.0),
        r_shape=1.0 / np.maximum(col("repair_cv", 1.0), 0.05) ** 2,
        buf=buf,
        real=real,
    )


def _batch_units(line: LineSpec, q_span: int) -> int:
    """Units per transfer batch: the largest q <= q_span that divides every finite buffer and
    the WIP cap (so they hold whole batches, exactly) and leaves each of them at least
    ``_MIN_BATCHES`` x max(1, cv^2) batches (cv: the line's largest unit CV). Batching lowers
    the variability a buffer sees; with that many batches per buffer the forecast stays within
    ``ACCURACY`` of batches of one (measured by ``bench/line_engine_accuracy.py``, tested in
    tests/sim/lines/test_engine.py). A buffer under that many units gives q = 1."""
    sizes = [
        math.floor(st.buffer_before) for st in line.stations[1:] if math.isfinite(st.buffer_before)
    ]
    if line.wip_cap is not None:
        sizes.append(max(1, math.ceil(line.wip_cap)))
    if not sizes:
        return q_span
    cv = max(st.cv for st in line.stations)
    cap = min(q_span, math.floor(min(sizes) / (_MIN_BATCHES * max(1.0, cv * cv))))
    common = 0
    for size in sizes:
        common = math.gcd(common, size)
    return max([d for d in range(1, max(1, cap) + 1) if common % d == 0] or [1])


def run_engine(
    lines: list[LineSpec],
    day_bounds: F64,
    *,
    replications: int,
    seed: int,
    warmup_s: float = 4 * 3600.0,
    max_batches: int = 1500,
) -> EngineResult:
    """Simulate every line over the days bounded by ``day_bounds`` (seconds from the horizon
    start: 0, end of day 1, ..., end of the last day); the module docstring has the model."""
    n_lines, n_days, reps = len(lines), len(day_bounds) - 1, replications
    horizon = float(day_bounds[-1])
    n_st = max(len(ln.stations) for ln in lines)
    prep = _prepare(lines, horizon + warmup_s, max_batches)
    slowest = np.array([max(s.cycle_s for s in ln.stations) for ln in lines])
    n_batches = int(np.max(np.ceil(1.25 * (horizon + warmup_s) / (prep.q * slowest)))) + n_st + 8

    streams = np.random.SeedSequence(seed).spawn(4)
    rng_work, rng_fail, rng_repair, rng_yield = (np.random.default_rng(s) for s in streams)

    # Base clock per line: the union of its stations' open time. Stations open exactly then
    # need no clock of their own (identity in base time).
    station_iv = [[st.open_intervals for st in ln.stations] for ln in lines]
    unions = [union(ivs, horizon) for ivs in station_iv]
    base = open_clock(unions, -warmup_s, np.full(n_lines, horizon))
    base_end = base.clock(np.full((n_lines, 1), horizon))[:, 0]
    clocks: list[Clock] = []
    for j in range(n_st):
        own: list[F64 | None] = []
        for li, ln in enumerate(lines):
            iv = ln.stations[j].open_intervals if j < len(ln.stations) else None
            if j >= len(ln.stations) or same(iv, unions[li]) or iv is None:
                own.append(None)
            else:
                own.append(to_base(base, li, iv, n_lines))
        clocks.append(open_clock(own, -warmup_s, base_end))
    base_days = base.clock(np.broadcast_to(day_bounds, (n_lines, n_days + 1)).copy())
    day_clock = np.stack([clocks[j].clock(base_days) for j in range(n_st)])  # (J, L, days + 1)
    open_s = np.diff(day_clock, axis=2) * prep.real[:, :, None]

    shape_lr = (n_lines, reps)
    rows = np.arange(n_lines)
    finite = prep.buf[np.isfinite(prep.buf)]
    ring_size = int(finite.max()) + 2 if finite.size else 2  # last slot stays -inf
    ring = np.full((n_st, ring_size, n_lines, reps), -np.inf)
    wip = np.array(
        [
            math.inf if ln.wip_cap is None else max(1.0, math.ceil(ln.wip_cap / prep.q[i]))
            for i, ln in enumerate(lines)
        ]
    )
    capped = np.isfinite(wip)
    wip_ring = int(wip[capped].max()) + 1 if capped.any() else 1
    last_ring = np.full((wip_ring, n_lines, reps), -np.inf)
    d_prev = [np.full(shape_lr, -warmup_s) for _ in range(n_st)]
    ttf = rng_fail.exponential(1.0, (n_st, *shape_lr)) * prep.mtbf
    pending = np.zeros((n_st, n_lines, reps))
    for li, ln in enumerate(lines):
        for j, st in enumerate(ln.stations):
            if st.down_at_start and st.mttr_s > 0:
                k = 1.0 / max(st.repair_cv, 0.05) ** 2
                pending[j, li] = rng_repair.gamma(k, st.mttr_s / k, reps)
    has_pending = [bool(pending[j].any()) for j in range(n_st)]
    has_failures = [bool(np.isfinite(prep.mtbf[j]).any()) for j in range(n_st)]
    gamma_lines = np.isfinite(prep.shape[:, :, 0])

    counts = np.zeros(n_lines * n_days * reps)
    busy = np.zeros(n_st * n_lines * n_days)
    for c0 in range(0, n_batches, _CHUNK):
        size = min(_CHUNK, n_batches - c0)
        effort = np.empty((n_st, size, n_lines, reps))
        for j in range(n_st):
            fin = gamma_lines[j]
            if fin.any() and float(prep.shape[j][fin].min()) >= _NORMAL_SHAPE:
                # A gamma this peaked is normal to within its own sampling noise, and much
                # cheaper to draw.
                sd = np.where(
                    fin[:, None],
                    prep.cycle[j] / np.sqrt(np.where(fin[:, None], prep.shape[j], 1.0)),
                    0.0,
                )
                draw = rng_work.standard_normal((size, n_lines, reps))
                effort[j] = np.maximum(prep.cycle[j] + sd * draw, 1e-3 * prep.cycle[j])
            elif fin.any():
                k_work = np.where(fin[:, None], prep.shape[j], 1.0)
                effort[j] = rng_work.gamma(k_work, 1.0, (size, n_lines, reps)) * prep.scale[j]
            if (~fin).any():
                effort[j][:, ~fin, :] = prep.cycle[j][~fin][None]
            if has_failures[j]:
                _add_repairs(effort[j], ttf[j], prep, j, rng_fail, rng_repair)
        n_idx = c0 + np.arange(size)
        blocks = []
        for j in range(n_st):
            back = n_idx[:, None] - prep.buf[min(j + 1, n_st - 1)][None, :] - 1
            ok = np.isfinite(back) & (back >= 0) & (j + 1 < n_st)
            blocks.append(
                np.where(
                    ok, np.where(ok, back, 0).astype(np.int64) % (ring_size - 1), ring_size - 1
                )
            )
        gate_back = n_idx[:, None] - wip[None, :]
        gate_ok = capped[None, :] & (gate_back >= 0)
        gates = np.where(gate_ok, np.where(gate_ok, gate_back, 0).astype(np.int64) % wip_ring, -1)
        starts = np.empty((n_st, size, n_lines, reps))
        lasts = np.empty((size, n_lines, reps))
        free = np.full(shape_lr, -warmup_s)
        for i in range(size):
            n = c0 + i
            arrive = free
            if capped.any():
                gate = np.where((gates[i] >= 0)[:, None], last_ring[gates[i], rows], -warmup_s)
                arrive = np.maximum(gate, -warmup_s)
            for j in range(n_st):
                s = np.maximum(arrive, d_prev[j])
                p = effort[j, i]
                if has_pending[j]:
                    due = (pending[j] > 0) & (s >= 0)
                    if due.any():
                        p = p + np.where(due, pending[j], 0.0)
                        effort[j, i] = p
                        pending[j] = np.where(due, 0.0, pending[j])
                cl = clocks[j]
                c = s + p if cl.identity else cl.wall(cl.clock(s) + p)
                if j + 1 < n_st:
                    np.maximum(c, ring[j + 1][blocks[j][i], rows], out=c)
                ring[j][n % (ring_size - 1)] = c
                d_prev[j] = c
                starts[j, i] = s
                arrive = c
            lasts[i] = arrive
            if capped.any():
                last_ring[n % wip_ring] = arrive
        _count(counts, lasts, base_days, prep.q, reps)
        for j in range(n_st):
            _busy(
                busy,
                j,
                starts[j, :, :, :_BUSY_REPS],
                effort[j, :, :, :_BUSY_REPS],
                day_clock[j],
                clocks[j],
            )
        if bool((lasts[-1] >= base_end[:, None]).all()):
            break
    units = counts.reshape(n_lines, n_days, reps)
    yields = np.clip(np.array([ln.yield_ for ln in lines]), 0.0, 1.0)
    good = rng_yield.binomial(units.astype(np.int64), yields[:, None, None]).astype(np.float64)
    return EngineResult(
        units=good,
        busy_s=busy.reshape(n_st, n_lines, n_days).transpose(1, 0, 2) / min(reps, _BUSY_REPS),
        open_s=open_s.transpose(1, 0, 2),
        line_open_s=np.diff(base_days, axis=1),
        batch_units=prep.q,
    )


def _add_repairs(
    effort: F64,
    ttf: F64,
    prep: _Prepared,
    j: int,
    rng_fail: np.random.Generator,
    rng_repair: np.random.Generator,
) -> None:
    """Add repairs to the batches of a chunk in which the cumulative work passes the time to
    failure (several per batch if need be), and carry the remaining time to failure."""
    cum = np.cumsum(effort, axis=0)
    total = cum[-1].copy()
    while True:
        crossed = cum >= ttf[None]
        hit = crossed.any(axis=0)
        if not hit.any():
            break
        at = crossed.argmax(axis=0)
        ll, rr = np.nonzero(hit)
        k = prep.r_shape[j, ll, 0]
        effort[at[ll, rr], ll, rr] += rng_repair.gamma(k, prep.mttr[j, ll, 0] / k)
        ttf[ll, rr] += rng_fail.exponential(1.0, ll.size) * prep.mtbf[j, ll, 0]
    ttf -= total


def _count(counts: F64, lasts: F64, base_days: F64, q: I64, reps: int) -> None:
    """Add the chunk's batches leaving the last station to their day's count."""
    n_lines, n_days = base_days.shape[0], base_days.shape[1] - 1
    for li in range(n_lines):
        day = np.searchsorted(base_days[li], lasts[:, li, :], side="right") - 1
        ok = (day >= 0) & (day < n_days)
        rep = np.broadcast_to(np.arange(reps)[None, :], day.shape)
        flat = (li * n_days + day[ok]) * reps + rep[ok]
        counts += np.bincount(flat, minlength=counts.size) * float(q[li])


def _busy(busy: F64, j: int, starts: F64, effort: F64, day_clock: F64, clock: Clock) -> None:
    """Add each batch's busy open time (work and repairs) to the day it starts on the
    station's clock, and what runs past that day's end to the next day."""
    n_lines, n_days = day_clock.shape[0], day_clock.shape[1] - 1
    o_start = clock.clock(starts.transpose(1, 0, 2).reshape(n_lines, -1)).reshape(
        n_lines, starts.shape[0], -1
    )
    eff = effort.transpose(1, 0, 2)
    for li in range(n_lines):
        day = np.searchsorted(day_clock[li], o_start[li], side="right") - 1
        ok = (day >= 0) & (day < n_days)
        d = np.clip(day, 0, n_days - 1)
        first = np.clip(
            np.minimum(o_start[li] + eff[li], day_clock[li][d + 1]) - o_start[li], 0.0, None
        )
        base = (j * n_lines + li) * n_days
        busy += np.bincount(base + d[ok], weights=first[ok], minlength=busy.size)
        nxt = ok & (d + 1 < n_days)
        busy += np.bincount(base + d[nxt] + 1, weights=(eff[li] - first)[nxt], minlength=busy.size)
