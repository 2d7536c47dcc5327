"""Core inputs shared by the machine and line builders, cut to what was known at the end of
the as-of day (plant timezone) and to the snapshot's sites.

Grain: the frames of ``core.machines`` (one row per machine), machine events, production
records and shifts over a lookback window ending with the as-of day, as naive-UTC
timestamps. Big or time-bounded inputs come from ``sql/inputs/<name>.sql`` with the window
bound as parameters, so nothing after the as-of day reaches a builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from twin_core.sim.calendar import day_end_utc, day_start_utc, plant_days
from twin_core.twin.inputs import CoreInputs, SnapshotContext

__all__ = ["Lookback", "events", "lookback", "machines", "production", "shifts"]


@dataclass(frozen=True)
class Lookback:
    """The plant days a builder looks back over: first_day .. as_of, as naive-UTC bounds."""

    first_day: date
    as_of: date
    tz: str

    @property
    def start(self) -> datetime:
        return day_start_utc(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        return day_end_utc(self.as_of, self.tz)

    def days(self) -> pl.DataFrame:
        return plant_days(self.first_day, self.as_of, self.tz)


def lookback(ctx: SnapshotContext, days: int) -> Lookback:
    """The ``days`` plant days ending with (and including) the as-of day."""
    return Lookback(ctx.as_of - timedelta(days=days - 1), ctx.as_of, ctx.settings.timezone)


def machines(inputs: CoreInputs, ctx: SnapshotContext) -> pl.DataFrame:
    """machine_id, line_id, site_id, name, line_position, ideal_cycle_time_s of the snapshot's
    sites, sorted by line and position."""
    frame = inputs.table(
        "machines",
        ("machine_id", "line_id", "site_id", "name", "line_position", "ideal_cycle_time_s"),
    )
    if ctx.site_ids:
        frame = frame.filter(pl.col("site_id").is_in(list(ctx.site_ids)))
    return frame.sort("line_id", "line_position", "machine_id")


def _window_query(inputs: CoreInputs, name: str, window: Lookback) -> pl.DataFrame:
    return inputs.query(name, start=window.start, end=window.end)


def events(inputs: CoreInputs, window: Lookback, machine_ids: pl.Series) -> pl.DataFrame:
    """machine_id, start_ts, end_ts, state, reason_code of the machines' events in the window
    (an event open at the as-of cut ends there)."""
    frame = _window_query(inputs, "machine_events", window)
    return frame.filter(pl.col("machine_id").is_in(machine_ids.implode()))


def production(inputs: CoreInputs, window: Lookback, machine_ids: pl.Series) -> pl.DataFrame:
    """machine_id, product_id, start_ts, end_ts, good_qty, scrap_qty of records that ended in
    the window."""
    frame = _window_query(inputs, "production", window)
    return frame.filter(pl.col("machine_id").is_in(machine_ids.implode()))


def shifts(inputs: CoreInputs, window: Lookback, line_ids: pl.Series) -> pl.DataFrame:
    """line_id, start_ts, end_ts of shifts in the window that started by the as-of cut."""
    frame = _window_query(inputs, "shifts", window)
    return frame.filter(pl.col("line_id").is_in(line_ids.implode()))
