"""Hourly sensor aggregates (as ``sql/inputs/sensor_hours.sql`` returns them) built inline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import polars as pl

HOUR = timedelta(hours=1)
END = datetime(2026, 3, 9)  # the as-of cut: end of plant day 2026-03-08 (UTC)
DAY_START = datetime(2026, 3, 8)
LOOKBACK_START = END - timedelta(hours=7 * 24 + 24)

SCHEMA = {
    "sensor_id": pl.String,
    "hour": pl.Datetime("us"),
    "n": pl.Int64,
    "bad_n": pl.Int64,
    "oor_n": pl.Int64,
    "running_n": pl.Int64,
    "first_ts": pl.Datetime("us"),
    "last_ts": pl.Datetime("us"),
    "oor_first_ts": pl.Datetime("us"),
    "oor_min": pl.Float64,
    "oor_max": pl.Float64,
    "ok_n": pl.Int64,
    "min_value": pl.Float64,
    "max_value": pl.Float64,
    "run_n": pl.Int64,
    "run_mean": pl.Float64,
    "run_sd": pl.Float64,
}


def hours(
    sensor: str,
    values: Sequence[float | None],
    *,
    start: datetime = LOOKBACK_START,
    spread: float = 0.2,
    n: int = 60,
    running: Sequence[float] | None = None,
) -> list[dict[str, object]]:
    """One aggregate row per hour from ``start`` for each value (None: no readings that
    hour); readings every minute, spread +-``spread`` around the value (0: flat), taken while
    the machine ran in the share ``running[i]`` of the hour (default: all of it)."""
    rows: list[dict[str, object]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        hour = start + i * HOUR
        run = round(n * (1.0 if running is None else running[i]))
        rows.append(
            {
                "sensor_id": sensor,
                "hour": hour,
                "n": n,
                "bad_n": 0,
                "oor_n": 0,
                "running_n": run,
                "first_ts": hour,
                "last_ts": hour + (n - 1) * (HOUR / n),
                "oor_first_ts": None,
                "oor_min": None,
                "oor_max": None,
                "ok_n": n,
                "min_value": v - spread,
                "max_value": v + spread,
                "run_n": run,
                "run_mean": v if run else None,
                "run_sd": spread / 2 if run > 1 else None,
            }
        )
    return rows


def frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=SCHEMA)


def flatten(rows: list[dict[str, object]], first: datetime, hours_: int, value: float) -> None:
    """Make ``hours_`` hours from ``first`` read exactly ``value`` (a flat signal)."""
    for r in rows:
        if first <= r["hour"] < first + hours_ * HOUR:  # type: ignore[operator]
            r.update(min_value=value, max_value=value, run_mean=value, run_sd=0.0)


def sensors(rows: list[tuple[str, str, str, float | None, float | None]]) -> pl.LazyFrame:
    """sensor_id, machine_id, metric, alarm_low, alarm_high (valid range 0..1000)."""
    return pl.LazyFrame(
        [(s, m, metric, "u", 0.0, 1000.0, lo, hi) for s, m, metric, lo, hi in rows],
        schema={
            "sensor_id": pl.String,
            "machine_id": pl.String,
            "metric": pl.String,
            "unit": pl.String,
            "valid_min": pl.Float64,
            "valid_max": pl.Float64,
            "alarm_low": pl.Float64,
            "alarm_high": pl.Float64,
        },
        orient="row",
    )


TOTAL_HOURS = 8 * 24


def linear_drift(
    *,
    start_hour: float,
    first: float,
    slope_per_hour: float,
    noise_sd: float,
    seed: int,
    total: int = TOTAL_HOURS,
) -> list[float | None]:
    """Hourly means of a sensor reading ``first`` until ``start_hour`` (hours from the first
    hour of history; negative: the rise began before history), then rising ``slope_per_hour``,
    plus seeded Gaussian noise of sd ``noise_sd`` on each hourly mean. Hour i's mean stands
    for the value at its midpoint, i + 0.5 h."""
    rng = np.random.default_rng(seed)
    return [
        first + slope_per_hour * max(0.0, i + 0.5 - start_hour) + float(rng.normal(0.0, noise_sd))
        for i in range(total)
    ]


def drift_crossing(
    *, start_hour: float, first: float, slope_per_hour: float, limit: float
) -> datetime:
    """The instant the noise-free ramp of ``linear_drift`` reaches ``limit``."""
    return LOOKBACK_START + timedelta(hours=start_hour + (limit - first) / slope_per_hour)
