"""OEE per ISO 22400: one row per machine per plant day (``machine_day``) and one row per
machine per shift (``machine_shift``, only for lines with shifts).

Definitions (docs/definitions.md, exact):

- planned windows: the whole plant day for a line without shifts; the line's shifts (cut at
  plant-day boundaries) for a line with shifts. Shifts of one line that overlap are merged.
  A line has shifts when it has any shift row, even one that plans no time (zero-length, or
  ending before it starts): a line whose every shift row is empty is planned 0 s, and its
  availability and OEE are null, not the whole day.
- PBT (planned_busy_s) = planned window time less ``planned_stop`` time inside it.
- running_s (APT), down_s, setup_s, idle_s: time in each state inside the planned windows.
  Events crossing midnight are split across plant days; an event that overlaps the next event
  of the same machine is cut where the next one starts (two states at once cannot both count).
- starved_s, blocked_s: the part of idle_s whose events have reason_code ``starved`` (no
  part from upstream) or ``blocked`` (downstream cannot take one); 0 when no event says so.
- unrecorded_s = PBT - running - down - setup - idle: planned time no event covers.
- good_qty, scrap_qty: production records counted on the plant day of their end_ts (on a
  shift: the shift whose window holds end_ts; a record ending outside every shift counts
  for the day only).
- availability = APT / PBT; performance = ideal_cycle_time_s x (good + scrap) / APT;
  quality = good / (good + scrap); OEE = ideal_cycle_time_s x good / PBT (= A x P x Q).
  A ratio whose denominator is 0 is null. performance > 1 sets performance_implausible:
  the counts or the ideal cycle time are wrong, and the number is shown, not hidden.

Durations are summed as integer microseconds so the result does not depend on the order
rows are added in (a rebuild of the same inputs gives identical tables).
"""

from __future__ import annotations

import polars as pl

from twin_core.sim.calendar import local_day, split_by_day

__all__ = ["STATES", "clean_events", "machine_day", "machine_shift", "planned_windows"]

STATES = ("running", "idle", "setup", "down", "planned_stop")
# Idle time whose reason code says why: starved (nothing to work on from upstream) and
# blocked (downstream cannot take the part). Both are part of idle_s.
IDLE_REASONS = ("starved", "blocked")
_US = 1_000_000


def clean_events(events: pl.LazyFrame) -> pl.LazyFrame:
    """machine_id, start_ts, end_ts, state (and reason_code when the events have it) with
    each event cut at the next event's start."""
    nxt = pl.col("start_ts").shift(-1).over("machine_id", order_by="start_ts")
    cols = ["machine_id", "start_ts", "end_ts", "state"]
    if "reason_code" in events.collect_schema().names():
        cols.append("reason_code")
    return (
        events.select(cols)
        .filter(pl.col("end_ts") > pl.col("start_ts"))
        .sort("machine_id", "start_ts", "end_ts")
        .with_columns(end_ts=pl.min_horizontal("end_ts", pl.coalesce(nxt, pl.col("end_ts"))))
        .filter(pl.col("end_ts") > pl.col("start_ts"))
    )


def _merged_shifts(shifts: pl.LazyFrame) -> pl.LazyFrame:
    """line_id, shift_start, shift_end with overlapping shifts of a line merged (shifts that
    only touch stay apart)."""
    ordered = (
        shifts.select("line_id", pl.col("start_ts").alias("s"), pl.col("end_ts").alias("e"))
        .filter(pl.col("e") > pl.col("s"))
        .sort("line_id", "s", "e")
    )
    reach = pl.col("e").cum_max().over("line_id", order_by="s")
    new_group = (
        (pl.col("s") >= reach.shift(1).over("line_id", order_by="s")).fill_null(True).cast(pl.Int64)
    )
    return (
        ordered.with_columns(_g=new_group.cum_sum().over("line_id", order_by="s"))
        .group_by("line_id", "_g")
        .agg(shift_start=pl.col("s").min(), shift_end=pl.col("e").max())
        .drop("_g")
    )


def planned_windows(
    machines: pl.LazyFrame, days: pl.DataFrame, shifts: pl.LazyFrame | None, tz: str
) -> pl.LazyFrame:
    """machine_id, day, shift_start, shift_end, win_start, win_end: the planned windows of
    every machine on every day of ``days``. shift_start/end are null for a line without shifts
    (its window is the whole day)."""
    m = machines.select("machine_id", "line_id")
    whole_days = days.lazy().select(
        "day",
        pl.lit(None, pl.Datetime("us")).alias("shift_start"),
        pl.lit(None, pl.Datetime("us")).alias("shift_end"),
        pl.col("start_ts").alias("win_start"),
        pl.col("end_ts").alias("win_end"),
    )
    if shifts is None:
        return m.join(whole_days, how="cross").drop("line_id")
    merged = _merged_shifts(shifts)
    # From the rows as given, not the merged ones: _merged_shifts drops rows that plan no
    # time, and a line whose only shift is 06:00-06:00 must not fall back to the whole day.
    shift_lines = shifts.select("line_id").unique()
    pieces = split_by_day(
        merged.with_columns(win_start=pl.col("shift_start"), win_end=pl.col("shift_end")),
        "win_start",
        "win_end",
        days,
        tz,
    )
    with_shifts = m.join(pieces, on="line_id", how="inner")
    without = m.join(shift_lines, on="line_id", how="anti").join(whole_days, how="cross")
    cols = ["machine_id", "day", "shift_start", "shift_end", "win_start", "win_end"]
    return pl.concat([with_shifts.select(cols), without.select(cols)], how="vertical")


def _state_us(
    events: pl.LazyFrame, windows: pl.LazyFrame, days: pl.DataFrame, tz: str, keys: list[str]
) -> pl.LazyFrame:
    """Microseconds of each state inside the windows, per ``keys``."""
    pieces = split_by_day(clean_events(events), "start_ts", "end_ts", days, tz)
    joined = (
        pieces.join(windows, on=["machine_id", "day"], how="inner")
        .with_columns(
            _s=pl.max_horizontal("start_ts", "win_start"), _e=pl.min_horizontal("end_ts", "win_end")
        )
        .filter(pl.col("_e") > pl.col("_s"))
        .with_columns(_us=(pl.col("_e") - pl.col("_s")).dt.total_microseconds())
    )
    reason = (
        pl.col("reason_code")
        if "reason_code" in joined.collect_schema().names()
        else pl.lit(None, pl.String)
    )
    idle = pl.col("state") == "idle"
    return joined.group_by(keys).agg(
        [pl.col("_us").filter(pl.col("state") == s).sum().alias(f"{s}_us") for s in STATES]
        + [pl.col("_us").filter(idle & (reason == r)).sum().alias(f"{r}_us") for r in IDLE_REASONS]
    )


def _ratios(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Seconds from microseconds, then the ISO 22400 ratios (module docstring)."""
    pbt = pl.col("window_us") - pl.col("planned_stop_us")
    done = pl.col("good_qty") + pl.col("scrap_qty")
    ict = pl.col("ideal_cycle_time_s")
    out = frame.with_columns(
        pl.col("good_qty", "scrap_qty").fill_null(0),
        *[pl.col(f"{s}_us").fill_null(0) for s in (*STATES, *IDLE_REASONS)],
    ).with_columns(
        starved_s=pl.col("starved_us") / _US,
        blocked_s=pl.col("blocked_us") / _US,
        planned_busy_s=pbt / _US,
        running_s=pl.col("running_us") / _US,
        down_s=pl.col("down_us") / _US,
        setup_s=pl.col("setup_us") / _US,
        idle_s=pl.col("idle_us") / _US,
        planned_stop_s=pl.col("planned_stop_us") / _US,
        unrecorded_s=(
            pbt - pl.col("running_us") - pl.col("down_us") - pl.col("setup_us") - pl.col("idle_us")
        )
        / _US,
    )
    apt = pl.col("running_s")
    return out.with_columns(
        availability=pl.when(pl.col("planned_busy_s") > 0).then(apt / pl.col("planned_busy_s")),
        performance=pl.when(apt > 0).then(ict * done / apt),
        quality=pl.when(done > 0).then(pl.col("good_qty") / done),
        oee=pl.when(pl.col("planned_busy_s") > 0).then(
            ict * pl.col("good_qty") / pl.col("planned_busy_s")
        ),
    ).with_columns(performance_implausible=pl.col("performance").fill_null(0.0) > 1.0)


_OUT = [
    "planned_busy_s",
    "running_s",
    "down_s",
    "setup_s",
    "idle_s",
    "starved_s",
    "blocked_s",
    "planned_stop_s",
    "unrecorded_s",
    "good_qty",
    "scrap_qty",
    "ideal_cycle_time_s",
    "availability",
    "performance",
    "quality",
    "oee",
    "performance_implausible",
]


def machine_day(
    events: pl.LazyFrame,
    production: pl.LazyFrame,
    machines: pl.LazyFrame,
    days: pl.DataFrame,
    tz: str,
    shifts: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per machine per plant day of ``days`` on which it has an event or a production
    record: site_id, machine_id, line_id, day, the state seconds, counts and ratios.

    ``events``: machine_id, start_ts, end_ts, state. ``production``: machine_id, end_ts,
    good_qty, scrap_qty. ``machines``: machine_id, line_id, site_id, ideal_cycle_time_s.
    ``days``: a ``plant_days`` frame. ``shifts``: line_id, start_ts, end_ts, or None.
    """
    windows = planned_windows(machines, days, shifts, tz)
    window_us = windows.group_by("machine_id", "day").agg(
        window_us=(pl.col("win_end") - pl.col("win_start")).dt.total_microseconds().sum()
    )
    states = _state_us(events, windows, days, tz, ["machine_id", "day"])
    made = (
        production.with_columns(day=local_day("end_ts", tz))
        .join(days.lazy().select("day"), on="day", how="semi")
        .group_by("machine_id", "day")
        .agg(pl.col("good_qty").sum().cast(pl.Int64), pl.col("scrap_qty").sum().cast(pl.Int64))
    )
    active = pl.concat(
        [states.select("machine_id", "day"), made.select("machine_id", "day")], how="vertical"
    ).unique()
    m = machines.select("machine_id", "line_id", "site_id", "ideal_cycle_time_s")
    frame = (
        active.join(m, on="machine_id", how="inner")
        .join(window_us, on=["machine_id", "day"], how="left")
        .join(states, on=["machine_id", "day"], how="left")
        .join(made, on=["machine_id", "day"], how="left")
        .with_columns(pl.col("window_us").fill_null(0))
    )
    return (
        _ratios(frame)
        .select("site_id", "machine_id", "line_id", "day", *_OUT)
        .sort("machine_id", "day")
    )


def machine_shift(
    events: pl.LazyFrame,
    production: pl.LazyFrame,
    machines: pl.LazyFrame,
    days: pl.DataFrame,
    tz: str,
    shifts: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per machine per shift of its line starting on a day of ``days``: site_id,
    machine_id, line_id, day (plant day the shift starts), shift_start, shift_end and the
    same seconds, counts and ratios as ``machine_day`` over the shift's window."""
    # Only shifts that start on a day of ``days`` and have ended by its last day's end: a
    # shift still running at the as-of cut is not finished and gets no row yet.
    last_end = days["end_ts"].max() if not days.is_empty() else None
    merged = (
        _merged_shifts(shifts)
        .with_columns(day=local_day("shift_start", tz))
        .join(days.lazy().select("day"), on="day", how="semi")
        .filter(pl.col("shift_end") <= pl.lit(last_end, pl.Datetime("us")))
        .drop("day")
    )
    pieces = split_by_day(
        merged.with_columns(win_start=pl.col("shift_start"), win_end=pl.col("shift_end")),
        "win_start",
        "win_end",
        days,
        tz,
    )
    m = machines.select("machine_id", "line_id", "site_id", "ideal_cycle_time_s")
    windows = m.select("machine_id", "line_id").join(pieces, on="line_id", how="inner")
    states = _state_us(events, windows, days, tz, ["machine_id", "shift_start"])
    per_machine = m.join(merged, on="line_id", how="inner").with_columns(
        window_us=(pl.col("shift_end") - pl.col("shift_start")).dt.total_microseconds()
    )
    made = (
        production.join(
            per_machine.select("machine_id", "shift_start", "shift_end"), on="machine_id"
        )
        .filter(
            (pl.col("end_ts") >= pl.col("shift_start")) & (pl.col("end_ts") < pl.col("shift_end"))
        )
        .group_by("machine_id", "shift_start")
        .agg(pl.col("good_qty").sum().cast(pl.Int64), pl.col("scrap_qty").sum().cast(pl.Int64))
    )
    frame = per_machine.join(states, on=["machine_id", "shift_start"], how="left").join(
        made, on=["machine_id", "shift_start"], how="left"
    )
    return (
        _ratios(frame)
        .with_columns(day=local_day("shift_start", tz))
        .select("site_id", "machine_id", "line_id", "day", "shift_start", "shift_end", *_OUT)
        .sort("machine_id", "shift_start")
    )
