"""Machine health from sensor evidence: one row per sensor (``sensor_health``) and one row per
machine (``machine_health``).

Per sensor, over the hours its machine mostly ran (signals differ by machine state) and
that are not flat (``sensor_hours.prepare_hours``):

- baseline: median m and robust sigma s of the hourly means in the baseline window (the
  ``baseline_days`` before the latest ``recent_hours``); s = max(1.4826 MAD, ``noise_floor`` x
  median within-hour sd, ``relative_floor`` x |m|), so a very steady signal is not alarmed by
  a tiny move.
- level: mean of the latest ``level_hours`` hourly means; z = (level - m) / s.
- drift: the EWMA (weight ``ewma_lambda``) of the hourly z, or the level's z, beyond
  ``drift_z``.
- trend: least-squares line through the hourly means of the latest ``trend_hours``; it counts
  when the OLS slope t statistic (slope / its standard error, n - 2 degrees of freedom)
  reaches ``trend_t`` and it moves at least ``trend_min_sigmas_per_day`` residual sigmas (the
  scatter of those hours about the line) per day. Extrapolated, it gives the plant day it
  reaches the alarm limit it moves toward (``predicted_limit_date``; the as-of day when the
  level is already there; none beyond ``prediction_max_days``). The baseline takes no part:
  a sensor that has risen steadily since the first day of history has a baseline that moved
  with it (z near 0), yet its trend still dates the limit.
- health: 1 at the baseline, 0 at the alarm limit on the side the level moved to: (limit -
  level) / (limit - m), clipped to 0..1. Without an alarm limit on that side the limit is
  m +- ``no_limit_sigmas`` s.
- anomaly (machine side): drift, a level at or beyond an alarm limit, or a trend to a limit.

A sensor whose status (``sensor_faults``) is not ok is left out: its machine is judged
without it. The machine's health is its worst sensor's; its predicted limit date the
earliest of its sensors'; its evidence names the sensors and numbers.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl

from twin_core.sim.calendar import local_day
from twin_core.sim.machines.sensor_hours import HealthParams

__all__ = ["machine_health", "sensor_health"]


def _num(expr: pl.Expr, digits: int = 3) -> pl.Expr:
    return expr.round_sig_figs(4).round(digits).cast(pl.String)


def _signed(expr: pl.Expr, digits: int = 1) -> pl.Expr:
    return pl.when(expr >= 0).then(pl.lit("+")).otherwise(pl.lit("")) + _num(expr, digits)


def _baseline(used: pl.LazyFrame, recent_start: datetime, params: HealthParams) -> pl.LazyFrame:
    base = used.filter(pl.col("hour") < pl.lit(recent_start))
    m = pl.col("run_mean").median()
    return (
        base.group_by("sensor_id")
        .agg(
            baseline_hours=pl.len(),
            baseline_median=m,
            _mad=(pl.col("run_mean") - m).abs().median(),
            _within=pl.col("run_sd").median(),
        )
        .with_columns(
            baseline_scale=pl.max_horizontal(
                1.4826 * pl.col("_mad"),
                params.noise_floor * pl.col("_within").fill_null(0.0),
                params.relative_floor * pl.col("baseline_median").abs(),
                pl.lit(1e-9),
            )
        )
        .drop("_mad", "_within")
    )


def _trend(used: pl.LazyFrame, end: datetime, params: HealthParams) -> pl.LazyFrame:
    """slope_per_hour, t statistic, residual sigma and the fitted value at the last hour, per
    sensor."""
    x = (pl.col("hour") + timedelta(minutes=30) - pl.lit(end)).dt.total_microseconds() / 3.6e9
    recent = used.filter(pl.col("hour") >= pl.lit(end - timedelta(hours=params.trend_hours)))
    fit = (
        recent.with_columns(_x=x)
        .group_by("sensor_id")
        .agg(
            trend_n=pl.len(),
            _xm=pl.col("_x").mean(),
            _ym=pl.col("run_mean").mean(),
            _sxx=((pl.col("_x") - pl.col("_x").mean()) ** 2).sum(),
            _sxy=(
                (pl.col("_x") - pl.col("_x").mean())
                * (pl.col("run_mean") - pl.col("run_mean").mean())
            ).sum(),
            _syy=((pl.col("run_mean") - pl.col("run_mean").mean()) ** 2).sum(),
            _x_last=pl.col("_x").max(),
        )
        .with_columns(slope=pl.when(pl.col("_sxx") > 0).then(pl.col("_sxy") / pl.col("_sxx")))
    )
    sse = (pl.col("_syy") - pl.col("slope") * pl.col("_sxy")).clip(lower_bound=0.0)
    resid_sd = (sse / (pl.col("trend_n") - 2)).sqrt()
    se = resid_sd / pl.col("_sxx").sqrt()
    return fit.with_columns(
        trend_resid_sd=pl.when(pl.col("trend_n") > 2).then(resid_sd),
        trend_t=pl.when(pl.col("trend_n") > 2)
        .then(
            pl.when(se > 0)
            .then(pl.col("slope") / se)
            .otherwise(pl.lit(math.inf) * pl.col("slope").sign())
        )
        .otherwise(None),
        fitted_last=pl.col("_ym") + pl.col("slope") * (pl.col("_x_last") - pl.col("_xm")),
        x_last=pl.col("_x_last"),
    ).select("sensor_id", "trend_n", "slope", "trend_t", "trend_resid_sd", "fitted_last", "x_last")


def sensor_health(
    hours: pl.LazyFrame,
    sensors: pl.LazyFrame,
    status: pl.LazyFrame,
    *,
    end: datetime,
    tz: str,
    params: HealthParams,
) -> pl.LazyFrame:
    """One row per sensor of ``sensors`` (module docstring for the columns' meaning).

    ``hours``: ``prepare_hours`` output; ``sensors``: sensor_id, machine_id, metric, unit,
    alarm_low, alarm_high; ``status``: sensor_id, status (``sensor_status``).
    """
    p = params
    used = hours.filter(pl.col("used")).sort("sensor_id", "hour")
    recent_start = end - timedelta(hours=p.recent_hours)
    base = _baseline(used, recent_start, p)
    z = (pl.col("run_mean") - pl.col("baseline_median")) / pl.col("baseline_scale")
    series = (
        used.join(base, on="sensor_id", how="inner")
        .with_columns(_z=z)
        .with_columns(
            _ewma=pl.col("_z")
            .ewm_mean(alpha=p.ewma_lambda, adjust=False)
            .over("sensor_id", order_by="hour")
        )
        .group_by("sensor_id")
        .agg(
            ewma_z=pl.col("_ewma").sort_by("hour").last(),
            level=pl.col("run_mean").sort_by("hour").tail(p.level_hours).mean(),
            last_hour=pl.col("hour").max(),
        )
    )
    s = pl.col("baseline_scale")
    m = pl.col("baseline_median")
    level = pl.col("level")
    up = level >= m
    hi = pl.coalesce("alarm_high", m + p.no_limit_sigmas * s)
    lo = pl.coalesce("alarm_low", m - p.no_limit_sigmas * s)
    health = (
        pl.when(up)
        .then((hi - level) / pl.max_horizontal(hi - m, s))
        .otherwise((level - lo) / pl.max_horizontal(m - lo, s))
        .clip(0.0, 1.0)
    )
    reached = (pl.col("alarm_high").is_not_null() & (level >= pl.col("alarm_high"))) | (
        pl.col("alarm_low").is_not_null() & (level <= pl.col("alarm_low"))
    )
    slope = pl.col("slope")
    # Significance and size are judged on the trend window alone, never on the baseline: a
    # steady rise since the first day of history drags the baseline median and MAD along.
    trend = (
        (pl.col("trend_n") >= p.trend_min_points)
        & (pl.col("trend_t").abs() >= p.trend_t)
        & (slope.abs() * 24 >= p.trend_min_sigmas_per_day * pl.col("trend_resid_sd"))
    ).fill_null(False)
    to_high = trend & (slope > 0) & pl.col("alarm_high").is_not_null()
    to_low = trend & (slope < 0) & pl.col("alarm_low").is_not_null()
    x_cross = (
        pl.when(to_high)
        .then(
            pl.col("x_last")
            + ((pl.col("alarm_high") - pl.col("fitted_last")) / slope).clip(lower_bound=0.0)
        )
        .when(to_low)
        .then(
            pl.col("x_last")
            + ((pl.col("fitted_last") - pl.col("alarm_low")) / -slope).clip(lower_bound=0.0)
        )
    )
    cross_ts = pl.lit(end) + pl.duration(microseconds=(x_cross * 3.6e9).round(0).cast(pl.Int64))
    last_instant = pl.lit(end) - pl.duration(microseconds=1)
    predicted_ts = (
        pl.when(reached)
        .then(last_instant)
        .when(x_cross.is_not_null() & (x_cross <= p.prediction_max_days * 24))
        .then(pl.max_horizontal(cross_ts, last_instant))
    )
    drift = (pl.col("ewma_z").abs() > p.drift_z) | (((level - m) / s).abs() > p.drift_z)
    unit = pl.coalesce("unit", pl.lit(""))
    zv = (level - m) / s
    numbers = pl.format(
        "{} ({}): level {} {} vs baseline {} (sigma {}; z {}, EWMA z {}{}); trend {} {}/day{}{}; health {}",
        pl.col("sensor_id"),
        pl.col("metric"),
        _num(level),
        unit,
        _num(m),
        _num(s),
        _signed(zv),
        _signed(pl.col("ewma_z")),
        pl.when(pl.col("drift")).then(pl.lit(", drift")).otherwise(pl.lit("")),
        _signed(slope * 24, 3).fill_null("n/a"),
        unit,
        pl.when(pl.col("trend"))
        .then(pl.format(" (t {})", _num(pl.col("trend_t"), 1)))
        .otherwise(pl.lit("")),
        pl.when(pl.col("predicted_limit_date").is_not_null())
        .then(
            pl.format(
                ", reaches {} {} by {}",
                pl.when(up).then(pl.lit("alarm_high")).otherwise(pl.lit("alarm_low")),
                _num(pl.when(up).then(pl.col("alarm_high")).otherwise(pl.col("alarm_low"))),
                pl.col("predicted_limit_date").cast(pl.String),
            )
        )
        .otherwise(pl.lit("")),
        _num(pl.col("health"), 2),
    )
    scored = (
        sensors.select("sensor_id", "machine_id", "metric", "unit", "alarm_low", "alarm_high")
        .join(status.select("sensor_id", "status"), on="sensor_id", how="left")
        .join(base, on="sensor_id", how="left")
        .join(series, on="sensor_id", how="left")
        .join(used.group_by("sensor_id").agg(hours_used=pl.len()), on="sensor_id", how="left")
        .join(_trend(used, end, p), on="sensor_id", how="left")
        .with_columns(
            status=pl.col("status").fill_null("ok"),
            hours_used=pl.col("hours_used").fill_null(0),
        )
        .with_columns(
            _ok=(pl.col("status") == "ok")
            & pl.col("level").is_not_null()
            & (pl.col("baseline_hours") >= p.baseline_min_hours),
        )
        .with_columns(
            z=pl.when("_ok").then(zv),
            ewma_z=pl.when("_ok").then(pl.col("ewma_z")),
            drift=pl.when("_ok").then(drift),
            slope_per_day=pl.when("_ok").then(slope * 24),
            trend=pl.when("_ok").then(trend),
            health=pl.when("_ok").then(health),
            predicted_limit_date=pl.when("_ok").then(local_day(predicted_ts, tz)),
            _reached=pl.when("_ok").then(reached),
        )
        .with_columns(
            anomaly=pl.when("_ok").then(
                pl.col("drift")
                | pl.col("_reached")
                | (pl.col("trend") & pl.col("predicted_limit_date").is_not_null())
            )
        )
    )
    evidence = (
        pl.when(pl.col("status") != "ok")
        .then(pl.format("{}: excluded, sensor status {}", pl.col("sensor_id"), pl.col("status")))
        .when(pl.col("_ok"))
        .then(numbers)
        .when(pl.col("hours_used") == 0)
        .then(
            pl.format("{}: no usable hours (machine running, readings usable)", pl.col("sensor_id"))
        )
        .otherwise(pl.format("{}: no baseline hours before the recent window", pl.col("sensor_id")))
    )
    return (
        scored.with_columns(evidence=evidence)
        .select(
            "sensor_id",
            "machine_id",
            "metric",
            "unit",
            "status",
            "hours_used",
            "baseline_median",
            "baseline_scale",
            "level",
            "z",
            "ewma_z",
            "drift",
            "slope_per_day",
            "trend",
            "alarm_low",
            "alarm_high",
            "health",
            "predicted_limit_date",
            "anomaly",
            "evidence",
        )
        .sort("sensor_id")
    )


def machine_health(
    sensors: pl.LazyFrame, machines: pl.LazyFrame, max_evidence: int = 3
) -> pl.LazyFrame:
    """One row per machine of ``machines`` (machine_id, line_id, site_id): health_score,
    anomalies, predicted_limit_date, evidence, sensors_used, sensor_faults, worst_sensor_id,
    from ``sensor_health`` rows."""
    scored = sensors.filter(pl.col("health").is_not_null())
    ranked = scored.sort("machine_id", "health", "sensor_id")
    per = ranked.group_by("machine_id", maintain_order=True).agg(
        health_score=pl.col("health").min(),
        anomalies=pl.col("anomaly").sum().cast(pl.Int64),
        predicted_limit_date=pl.col("predicted_limit_date").min(),
        sensors_used=pl.len().cast(pl.Int64),
        worst_sensor_id=pl.col("sensor_id").first(),
        _flagged=pl.col("evidence").filter(pl.col("anomaly")).head(max_evidence).str.join("; "),
        _worst=pl.col("evidence").first(),
        _max_z=pl.col("z").abs().max(),
    )
    faults = (
        sensors.filter(pl.col("status") != "ok")
        .sort("machine_id", "sensor_id")
        .group_by("machine_id", maintain_order=True)
        .agg(
            sensor_faults=pl.len().cast(pl.Int64),
            _faults=pl.format("{} {}", pl.col("sensor_id"), pl.col("status")).str.join(", "),
        )
    )
    counted = sensors.group_by("machine_id").agg(_sensors=pl.len())
    fault_note = (
        pl.when(pl.col("sensor_faults") > 0)
        .then(pl.format("; sensor faults, left out: {}", pl.col("_faults")))
        .otherwise(pl.lit(""))
    )
    body = (
        pl.when(pl.col("_sensors").is_null())
        .then(pl.lit("no sensors"))
        .when(pl.col("sensors_used") == 0)
        .then(pl.lit("no usable sensor data in the health window"))
        .when(pl.col("anomalies") > 0)
        .then(pl.format("{} anomalous sensor(s): {}", pl.col("anomalies"), pl.col("_flagged")))
        .otherwise(
            pl.format(
                "{} sensor(s) within their baselines (largest |z| {}); worst: {}",
                pl.col("sensors_used"),
                _num(pl.col("_max_z"), 2),
                pl.col("_worst"),
            )
        )
    )
    return (
        machines.select("site_id", "machine_id", "line_id")
        .join(per, on="machine_id", how="left")
        .join(faults, on="machine_id", how="left")
        .join(counted, on="machine_id", how="left")
        .with_columns(
            sensor_faults=pl.col("sensor_faults").fill_null(0),
            sensors_used=pl.col("sensors_used").fill_null(0),
            anomalies=pl.col("anomalies").fill_null(0),
        )
        .with_columns(evidence=body + fault_note)
        .select(
            "site_id",
            "machine_id",
            "line_id",
            "health_score",
            "anomalies",
            "predicted_limit_date",
            "evidence",
            "sensors_used",
            "sensor_faults",
            "worst_sensor_id",
        )
        .sort("machine_id")
    )
