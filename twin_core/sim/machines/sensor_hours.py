"""The hourly sensor series machine health and sensor-fault detection read, and their knobs.

Grain: one row per sensor per UTC hour with readings (``sql/inputs/sensor_hours.sql``, which
also splits out the readings taken while the machine ran), enriched here with the sensor's
machine, its usual sampling, and whether the hour is flat (every usable reading equal).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HealthParams", "prepare_hours"]

HOUR = timedelta(hours=1)


class HealthParams(BaseModel):
    """Windows and thresholds of machine health and sensor faults (README: machine health)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    baseline_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="Days before the recent window whose hours set the baseline.",
    )
    recent_hours: int = Field(
        default=24, ge=1, le=24 * 14, description="Latest hours, kept out of the baseline."
    )
    baseline_min_hours: int = Field(
        default=6, ge=1, description="Used baseline hours a sensor needs to be judged."
    )
    min_running_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="An hour counts for health when at least this share of the sensor's usual "
        "readings per hour were taken while its machine ran (signals differ by machine state).",
    )
    level_hours: int = Field(
        default=3, ge=1, description="Latest used hours averaged into the level."
    )
    ewma_lambda: float = Field(
        default=0.2, gt=0, le=1, description="EWMA weight of the newest hour."
    )
    drift_z: float = Field(
        default=3.0,
        gt=0,
        description="The EWMA of the hourly z (or the level's z) beyond this many baseline "
        "sigmas is a drift "
        "(hourly means are autocorrelated, so the iid EWMA limit would alarm too often).",
    )
    trend_hours: int = Field(default=48, ge=4, description="Hours of the trend regression.")
    trend_min_points: int = Field(default=8, ge=3, description="Used hours a trend needs.")
    trend_t: float = Field(default=3.0, gt=0, description="t statistic a trend's slope needs.")
    trend_min_sigmas_per_day: float = Field(
        default=0.5,
        ge=0,
        description="A trend must also move at least this many residual sigmas (the scatter of "
        "its hours about the fitted line) per day.",
    )
    prediction_max_days: int = Field(
        default=90, ge=1, description="Predicted limit dates further ahead are not reported."
    )
    noise_floor: float = Field(
        default=0.5,
        ge=0,
        description="Baseline sigma is at least this share of the median within-hour sd.",
    )
    relative_floor: float = Field(
        default=0.005, ge=0, description="Baseline sigma is at least this share of |median|."
    )
    no_limit_sigmas: float = Field(
        default=12.0,
        gt=0,
        description="Without an alarm limit on the side a sensor moves to, health reaches 0 "
        "this many baseline sigmas from the median.",
    )
    stuck_min_hours: int = Field(
        default=2, ge=1, description="Flat hours (while the machine runs) that make a sensor stuck."
    )
    stuck_running_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="A flat spell is a stuck sensor only if the machine ran for at least this "
        "share of it: a healthy sensor changes when its machine changes state, while a "
        "stopped machine may honestly read flat.",
    )
    dropout_min_s: float = Field(
        default=900.0, gt=0, description="A gap between readings this long is a dropout."
    )
    dropout_periods: float = Field(
        default=10.0, gt=1, description="... and at least this many usual sampling periods."
    )
    out_of_range_min: int = Field(
        default=1, ge=1, description="Readings outside the valid range that make a fault."
    )

    @property
    def lookback_hours(self) -> int:
        return self.baseline_days * 24 + self.recent_hours


def prepare_hours(
    hourly: pl.LazyFrame, sensors: pl.LazyFrame, params: HealthParams
) -> pl.LazyFrame:
    """The hourly aggregates with machine_id, running_share (share of the hour's readings taken
    while the machine ran), expected_n and period_s (the sensor's median readings per hour and
    sampling period), varies (its usable readings normally differ within an hour), flat (this
    hour they do not) and used (the hour feeds health: enough readings while running, not
    flat)."""
    by_sensor = hourly.group_by("sensor_id").agg(
        expected_n=pl.col("n").median(),
        varies=(pl.col("max_value") - pl.col("min_value")).filter(pl.col("ok_n") >= 2).median() > 0,
    )
    return (
        hourly.join(sensors.select("sensor_id", "machine_id"), on="sensor_id", how="inner")
        .join(by_sensor, on="sensor_id", how="left")
        .with_columns(
            running_share=pl.col("running_n") / pl.col("n"),
            period_s=3600.0 / pl.col("expected_n"),
            flat=(pl.col("ok_n") >= 2)
            & ((pl.col("max_value") - pl.col("min_value")).abs() <= 1e-12)
            & pl.col("varies").fill_null(False),
        )
        .with_columns(
            used=(
                pl.col("run_n")
                >= (params.min_running_share * pl.col("expected_n")).clip(lower_bound=2)
            )
            & ~pl.col("flat")
            & pl.col("run_mean").is_not_null()
        )
    )
