"""Plant days: calendar days in the plant's timezone, as naive-UTC bounds.

Grain: one row per plant day (day, start_ts, end_ts), ``end_ts`` exclusive. Timestamps in the
warehouse are naive UTC, so every day boundary is computed here once, with the IANA rules of
the plant's timezone (a day is 23 or 25 hours long when the clocks change; a midnight the
clocks skip starts the day at the first instant that exists).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

__all__ = [
    "day_end_utc",
    "day_start_utc",
    "default_as_of",
    "local_day",
    "plant_days",
    "split_by_day",
]


def day_start_utc(day: date, tz: str) -> datetime:
    """The first instant of a plant day, as naive UTC."""
    # fold=0 on a skipped midnight uses the offset before the jump, which is exactly the
    # instant the clocks jump: the first instant of that day.
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def day_end_utc(day: date, tz: str) -> datetime:
    """The end (exclusive) of a plant day, as naive UTC: the start of the next day."""
    return day_start_utc(day + timedelta(days=1), tz)


def default_as_of(timezone: str, scheduled: datetime | None = None) -> date:
    """The plant day a nightly describes by default: the day before its scheduled start (now
    when not scheduled), in the plant's timezone (a run scheduled for 02:30 covers yesterday,
    even if it starts late)."""
    when = scheduled or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)


def plant_days(first: date, last: date, tz: str) -> pl.DataFrame:
    """One row per plant day from ``first`` to ``last`` inclusive: day, start_ts, end_ts."""
    n = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(max(n, 0))]
    return pl.DataFrame(
        {
            "day": days,
            "start_ts": [day_start_utc(d, tz) for d in days],
            "end_ts": [day_end_utc(d, tz) for d in days],
        },
        schema={"day": pl.Date, "start_ts": pl.Datetime("us"), "end_ts": pl.Datetime("us")},
    )


def local_day(col: str | pl.Expr, tz: str) -> pl.Expr:
    """The plant day of a naive-UTC timestamp column."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()


def split_by_day(
    frame: pl.LazyFrame, start: str, end: str, days: pl.DataFrame, tz: str
) -> pl.LazyFrame:
    """Cut intervals [start, end) at plant-day boundaries.

    Each row becomes one row per plant day it touches, with ``day`` added and ``start`` /
    ``end`` clipped to that day; only days present in ``days`` (a ``plant_days`` frame) are
    kept, so the result is also cut to the reporting window.
    """
    bounds = days.lazy().select(
        "day", pl.col("start_ts").alias("_day_start"), pl.col("end_ts").alias("_day_end")
    )
    # The last instant inside the interval decides its last day (end is exclusive).
    last = pl.col(end) - pl.duration(microseconds=1)
    return (
        frame.filter(pl.col(end) > pl.col(start))
        .with_columns(day=pl.date_ranges(local_day(start, tz), local_day(last, tz)))
        .explode("day")
        .join(bounds, on="day", how="inner")
        .with_columns(
            pl.max_horizontal(start, "_day_start").alias(start),
            pl.min_horizontal(end, "_day_end").alias(end),
        )
        .filter(pl.col(end) > pl.col(start))
        .drop("_day_start", "_day_end")
    )
