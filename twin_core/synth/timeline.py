"""Machine states and production, per line.

Produces one row per machine state interval (split at midnight, so a daily extract holds
whole rows) and one production record per lot per machine. A line is a serial flow
without buffers: a lot visits every machine in order; breaks stop the whole line
(planned_stop), a machine that goes down stops the line too (the others idle, blocked).

Time is scheduled in *available* seconds (calendar time less the blocked intervals) and
mapped onto the wall clock by inserting the blocks, all with numpy: a record's running
time is its units times the ideal cycle time over a performance below 1, so
good + scrap <= running time / ideal cycle holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from twin_core.synth.config import SynthConfig
from twin_core.synth.faultplan import DAY, HOUR, FaultPlan
from twin_core.synth.plant import DOWN, IDLE, RUN, SETUP, STATE_NAMES, STOP, Plant
from twin_core.synth.rng import stream

I64 = npt.NDArray[np.int64]
REASONS = (
    "",
    "starved",
    "changeover",
    "break",
    "jam",
    "tool_change",
    "electrical",
    "bearing_failure",
    "blocked",
)
R_NONE, R_STARVED, R_CHANGEOVER, R_BREAK, R_JAM, R_TOOL, R_ELEC, R_BEARING, R_BLOCKED = range(9)
BREAK_HOURS = (2, 10, 18)
BREAK_S = 1800
LOT_MIN, LOT_MAX = 24, 40
PERF_MIN, PERF_MAX = 0.86, 0.97


@dataclass(frozen=True)
class Timeline:
    """events: machine_id, line_id, start_s, end_s, state_code, state, reason_code.
    production: record_id, work_order_id, machine_id, product_id, lot_id, start_s, end_s,
    good_qty, scrap_qty, revision, line_id, line_position, n_in.
    lots: lot_id, line_id, product_id, revision, n_start, shipped, start_s, end_s."""

    events: pl.DataFrame
    production: pl.DataFrame
    lots: pl.DataFrame

    def states_of(self, machine_id: str) -> tuple[I64, npt.NDArray[np.int8]]:
        """Interval starts (seconds) and state codes of a machine, sorted."""
        e = self.events.filter(pl.col("machine_id") == machine_id).sort("start_s")
        return e["start_s"].to_numpy(), e["state_code"].to_numpy().astype(np.int8)


@dataclass(frozen=True)
class _Blocks:
    start: I64
    end: I64
    kind: npt.NDArray[np.int8]  # DOWN or STOP
    pos: I64  # machine index that is down, -1 for the whole line
    reason: I64


def _overlaps(s: I64, e: I64, ms: I64, me: I64) -> npt.NDArray[np.bool_]:
    """For each [s, e): does it overlap any of the sorted, disjoint [ms, me)?"""
    k = np.searchsorted(ms, e, side="left") - 1
    return (k >= 0) & (me[np.clip(k, 0, None)] > s)


def _blocks(
    line_idx: int,
    n: int,
    fail_pos: int,
    plan: FaultPlan,
    cfg: SynthConfig,
    rng: np.random.Generator,
) -> _Blocks:
    horizon = cfg.days * DAY
    offset = (line_idx % 3) * 15 * 60  # lines take breaks a little apart
    bs = (np.arange(cfg.days)[:, None] * DAY + np.array(BREAK_HOURS) * HOUR + offset).ravel()
    be = bs + BREAK_S
    kind = np.full(bs.size, STOP, np.int8)
    pos = np.full(bs.size, -1, np.int64)
    reason = np.full(bs.size, R_BREAK, np.int64)
    if fail_pos >= 0:
        keep = ~_overlaps(bs, be, np.array([plan.failure.start]), np.array([plan.failure.end]))
        bs, be, kind, pos, reason = bs[keep], be[keep], kind[keep], pos[keep], reason[keep]
        bs = np.append(bs, plan.failure.start)
        be = np.append(be, plan.failure.end)
        kind = np.append(kind, np.int8(DOWN))
        pos = np.append(pos, fail_pos)
        reason = np.append(reason, R_BEARING)
    order = np.argsort(bs, kind="stable")
    bs, be, kind, pos, reason = bs[order], be[order], kind[order], pos[order], reason[order]

    # Minor stoppages: about three per line per day, a few minutes each.
    k = int(rng.poisson(3.0 * cfg.days))
    ds = np.sort(np.round(rng.uniform(0, horizon, k)).astype(np.int64))
    de = ds + np.clip(np.round(rng.lognormal(np.log(600), 0.6, k)), 120, 3600).astype(np.int64)
    dpos = rng.integers(0, n, k).astype(np.int64)
    dreason = rng.choice(np.array([R_JAM, R_TOOL, R_ELEC]), k).astype(np.int64)
    prev_end = np.concatenate([[-1], np.maximum.accumulate(de)[:-1]])
    keep = (~_overlaps(ds, de, bs, be)) & (ds > prev_end) & (de <= horizon)
    s = np.concatenate([bs, ds[keep]])
    order = np.argsort(s, kind="stable")
    return _Blocks(
        start=s[order],
        end=np.minimum(np.concatenate([be, de[keep]]), horizon)[order],
        kind=np.concatenate([kind, np.full(int(keep.sum()), DOWN, np.int8)])[order],
        pos=np.concatenate([pos, dpos[keep]])[order],
        reason=np.concatenate([reason, dreason[keep]])[order],
    )


def _split_at_midnight(s: I64, e: I64, *cols: npt.NDArray[np.int64]) -> tuple[I64, ...]:
    d0, d1 = s // DAY, (e - 1) // DAY
    pieces = d1 - d0 + 1
    rep = np.repeat(np.arange(s.size), pieces)
    nth = np.arange(rep.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    day = d0[rep] + nth
    return (
        np.maximum(s[rep], day * DAY),
        np.minimum(e[rep], (day + 1) * DAY),
        day,
        *(c[rep] for c in cols),
    )


def _machine_events(
    k: int,
    seg_s: I64,
    seg_e: I64,
    seg_state: I64,
    seg_reason: I64,
    blk: _Blocks,
    p: I64,
    cum: I64,
    avail: int,
) -> tuple[I64, I64, I64, I64]:
    """Tile [0, horizon) for machine k: its lot/setup segments in available time, idle
    between them, mapped to wall time around the line's blocks; split at midnight and
    with adjacent equal states merged."""
    order = np.argsort(seg_s, kind="stable")
    seg_s, seg_e, seg_state, seg_reason = (
        seg_s[order],
        seg_e[order],
        seg_state[order],
        seg_reason[order],
    )
    bounds = np.unique(np.concatenate([[0, avail], seg_s, seg_e, p[(p > 0) & (p < avail)]]))
    el_s, el_e = bounds[:-1], bounds[1:]
    idx = np.searchsorted(seg_s, el_s, side="right") - 1
    inside = (idx >= 0) & (el_s < seg_e[np.clip(idx, 0, None)])
    state = np.where(inside, seg_state[np.clip(idx, 0, None)], IDLE)
    reason = np.where(inside, seg_reason[np.clip(idx, 0, None)], R_STARVED)
    ws = el_s + cum[np.searchsorted(p, el_s, side="right")]
    we = el_e + cum[np.searchsorted(p, el_e, side="left")]
    own = blk.pos == k
    b_state = np.where(blk.kind == STOP, STOP, np.where(own, DOWN, IDLE))
    b_reason = np.where((blk.kind == STOP) | own, blk.reason, R_BLOCKED)
    s = np.concatenate([ws, blk.start])
    e = np.concatenate([we, blk.end])
    st = np.concatenate([state, b_state]).astype(np.int64)
    rs = np.concatenate([reason, b_reason]).astype(np.int64)
    keep = e > s
    order = np.argsort(s[keep], kind="stable")
    s, e, st, rs = s[keep][order], e[keep][order], st[keep][order], rs[keep][order]
    s, e, day, st, rs = _split_at_midnight(s, e, st, rs)
    new = np.ones(s.size, bool)
    new[1:] = (st[1:] != st[:-1]) | (rs[1:] != rs[:-1]) | (day[1:] != day[:-1]) | (s[1:] != e[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, s.size - 1)
    return s[first], e[last], st[first], rs[first]


def _simulate_line(
    line: str, plant: Plant, plan: FaultPlan, cfg: SynthConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = stream(cfg.seed, "line", line)
    li = plant.lines.index(line)
    m = plant.line_machines(line)
    n = m.height
    mids = m["machine_id"].to_list()
    ict = m["ideal_cycle_time_s"].to_numpy()
    scrap_p = m["scrap_p"].to_numpy()
    fail_pos = (
        mids.index(plan.bearing_machine) if plan.enabled and plan.bearing_machine in mids else -1
    )
    blk = _blocks(li, n, fail_pos, plan, cfg, rng)
    dur = blk.end - blk.start
    cum = np.concatenate([[0], np.cumsum(dur)]).astype(np.int64)
    p = blk.start - cum[:-1]  # where each block sits in available time
    avail = cfg.days * DAY - int(cum[-1])

    def wall_start(a: I64) -> I64:
        return a + cum[np.searchsorted(p, a, side="right")]

    def wall_end(a: I64) -> I64:
        return a + cum[np.searchsorted(p, a, side="left")]

    # Lots in campaigns of 3-6 of one product; a product change costs a setup.
    cap = int(avail / (LOT_MIN * ict.max() / PERF_MAX)) + 10
    n_start = rng.integers(LOT_MIN, LOT_MAX + 1, cap)
    products = plant.line_products(line)
    campaign = rng.integers(3, 7, cap)
    prod_idx = np.repeat(np.arange(cap) % len(products), campaign)[:cap]
    change = np.concatenate([[True], prod_idx[1:] != prod_idx[:-1]])
    setup = np.where(change, np.round(rng.uniform(480, 1200, cap)), 0).astype(np.int64)
    perf = rng.uniform(PERF_MIN, PERF_MAX, (n, cap))
    d_max = np.ceil(n_start[None, :] * ict[:, None] / perf).astype(np.int64)
    interval = d_max.max(axis=0) + np.round(rng.uniform(30, 120, cap)).astype(np.int64)
    a0 = np.cumsum(setup) + np.concatenate([[0], np.cumsum(interval)[:-1]])
    reach = np.ceil(LOT_MAX * ict / PERF_MIN).astype(np.int64) + 60
    off = np.concatenate([[0], np.cumsum(reach[:-1])])
    lots = int(np.logical_and.accumulate(a0 + off[-1] + d_max[-1] < avail).sum())
    a0, n_start, prod_idx, change, setup, perf = (
        a0[:lots],
        n_start[:lots],
        prod_idx[:lots],
        change[:lots],
        setup[:lots],
        perf[:, :lots],
    )
    rev_b = rng.random(lots) < 0.25 + 0.5 * a0 / avail  # revision B phases in
    lot_ids = [f"LOT-{line}-{i + 1:05d}" for i in range(lots)]

    rec: list[pl.DataFrame] = []
    ev: list[pl.DataFrame] = []
    n_in = n_start.copy()
    first_start = np.zeros(lots, np.int64)
    for k in range(n):  # machines of a line: at most six
        s_av = a0 + off[k]
        run = np.ceil(n_in * ict[k] / perf[k]).astype(np.int64)
        t0 = wall_start(s_av)
        t1 = wall_end(s_av + run)
        prob = np.full(lots, scrap_p[k])
        if k == fail_pos:
            prob += 0.02 * (plan.bearing_factor(t0) - 1.0)
        if mids[k] == plan.drift_machine and plan.enabled:
            prob += 0.01 * plan.shift_sigma(t0)
        scrap = rng.binomial(n_in, np.clip(prob, 0, 0.5))
        good = n_in - scrap
        if k == 0:
            first_start = t0
        rec.append(
            pl.DataFrame(
                {
                    "lot_id": lot_ids,
                    "machine_id": mids[k],
                    "line_position": k + 1,
                    "start_s": t0,
                    "end_s": t1,
                    "good_qty": good,
                    "scrap_qty": scrap,
                    "n_in": n_in,
                }
            )
        )
        seg_s = np.concatenate([s_av, (s_av - setup)[change]])
        seg_e = np.concatenate([s_av + run, s_av[change]])
        seg_state = np.concatenate([np.full(lots, RUN), np.full(int(change.sum()), SETUP)]).astype(
            np.int64
        )
        seg_reason = np.concatenate(
            [np.full(lots, R_NONE), np.full(int(change.sum()), R_CHANGEOVER)]
        ).astype(np.int64)
        es, ee, est, ers = _machine_events(
            k, seg_s, seg_e, seg_state, seg_reason, blk, p, cum, avail
        )
        ev.append(
            pl.DataFrame(
                {
                    "machine_id": mids[k],
                    "start_s": es,
                    "end_s": ee,
                    "state_code": est,
                    "reason": ers,
                }
            )
        )
        n_in = good
    lot_df = pl.DataFrame(
        {
            "lot_id": lot_ids,
            "line_id": line,
            "product_id": [products[i] for i in prod_idx],
            "revision": np.where(rev_b, "B", "A"),
            "n_start": n_start,
            "shipped": n_in,
            "start_s": first_start,
            "end_s": rec[-1]["end_s"],
        }
    )
    return pl.concat(ev).with_columns(line_id=pl.lit(line)), pl.concat(rec), lot_df


def simulate(plant: Plant, plan: FaultPlan, cfg: SynthConfig) -> Timeline:
    """States, production records and lots of every line."""
    parts = [_simulate_line(line, plant, plan, cfg) for line in plant.lines]
    lots = pl.concat([x[2] for x in parts])
    start = pl.lit(cfg.start)
    wo = pl.format(
        "WO-{}-{}",
        pl.col("product_id"),
        (start + pl.duration(days=pl.col("end_s") // DAY)).dt.strftime("%Y%m%d"),
    )
    lots = lots.with_columns(work_order_id=wo)
    production = (
        pl.concat([x[1] for x in parts])
        .join(
            lots.select("lot_id", "line_id", "product_id", "revision", "work_order_id"), on="lot_id"
        )
        .with_columns(
            record_id=pl.format("PR-{}-{}", pl.col("lot_id").str.slice(4), pl.col("line_position"))
        )
        .sort("end_s", "record_id")
    )
    events = (
        pl.concat([x[0] for x in parts])
        .with_columns(
            state=pl.col("state_code").replace_strict(
                dict(enumerate(STATE_NAMES)), return_dtype=pl.String
            ),
            reason_code=pl.col("reason").replace_strict(
                dict(enumerate(REASONS)), return_dtype=pl.String
            ),
        )
        .with_columns(
            reason_code=pl.when(pl.col("reason_code") == "")
            .then(None)
            .otherwise(pl.col("reason_code"))
        )
        .drop("reason")
        .sort("machine_id", "start_s")
    )
    return Timeline(events=events, production=production, lots=lots)
