"""Sensor faults, told apart from machine faults: one row per sensor (history.sensor_status).

A sensor is judged on the hours of the status window (the as-of plant day), using the hourly
aggregates of the whole lookback for context:

- dropout: a gap between readings of at least ``dropout_min_s`` and ``dropout_periods`` usual
  sampling periods overlaps the window (between hours: last reading of one hour to the first
  of the next; at the end: last reading to the as-of cut; inside an hour: readings missing
  for that long). A sensor with no reading in the whole lookback is a dropout too.
- stuck: at least ``stuck_min_hours`` consecutive flat hours (every usable reading equal, the
  same value across the hours) of a sensor that normally varies, overlapping the window,
  while its machine ran for at least ``stuck_running_share`` of the spell (a healthy sensor
  changes when its machine changes state; a stopped machine may honestly read flat).
- out_of_range: at least ``out_of_range_min`` readings outside the sensor's valid range in the
  window (the physical range: the sensor, not the process, is wrong).

When several apply, a fault still going on at the as-of cut comes first, then dropout, stuck,
out_of_range. ``since`` is when the chosen fault started; evidence lists every finding.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from twin_core.sim.machines.sensor_hours import HOUR, HealthParams

__all__ = ["sensor_status"]

_RANK = {"dropout": 0, "stuck": 1, "out_of_range": 2}
_FINDING = {
    "sensor_id": pl.String,
    "status": pl.String,
    "since": pl.Datetime("us"),
    "ongoing": pl.Boolean,
    "text": pl.String,
}


def _ts(col: str | pl.Expr) -> pl.Expr:
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.strftime("%Y-%m-%d %H:%M:%S")


def _num(col: str | pl.Expr, digits: int = 3) -> pl.Expr:
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.round_sig_figs(6).round(digits).cast(pl.String)


def _dropouts(
    hours: pl.LazyFrame, start: datetime, end: datetime, params: HealthParams
) -> pl.LazyFrame:
    threshold = pl.max_horizontal(
        pl.lit(params.dropout_min_s), params.dropout_periods * pl.col("period_s")
    )
    h = hours.sort("sensor_id", "hour").with_columns(
        _prev=pl.col("last_ts").shift(1).over("sensor_id", order_by="hour"),
        _is_last=pl.col("hour") == pl.col("hour").max().over("sensor_id"),
    )
    gap_s = (pl.col("first_ts") - pl.col("_prev")).dt.total_microseconds() / 1e6
    between = h.filter(gap_s >= threshold).select(
        "sensor_id", "period_s", gap_start=pl.col("_prev"), gap_end=pl.col("first_ts")
    )
    tail_s = (pl.lit(end) - pl.col("last_ts")).dt.total_microseconds() / 1e6
    at_end = h.filter(pl.col("_is_last") & (tail_s >= threshold)).select(
        "sensor_id",
        "period_s",
        gap_start=pl.col("last_ts"),
        gap_end=pl.lit(None, pl.Datetime("us")),
    )
    missing_s = (pl.col("expected_n") - pl.col("n")) * pl.col("period_s")
    edge_s = pl.max_horizontal(
        (pl.col("first_ts") - pl.col("hour")).dt.total_microseconds() / 1e6,
        (pl.col("hour") + HOUR - pl.col("last_ts")).dt.total_microseconds() / 1e6,
    )
    inside = h.filter((missing_s >= threshold) & (edge_s < threshold)).select(
        "sensor_id", "period_s", gap_start=pl.col("hour"), gap_end=pl.col("hour") + HOUR
    )
    gaps = pl.concat([between, at_end, inside], how="vertical").filter(
        (pl.col("gap_start") < pl.lit(end)) & (pl.coalesce("gap_end", pl.lit(end)) > pl.lit(start))
    )
    hours_text = _num(
        (pl.coalesce("gap_end", pl.lit(end)) - pl.col("gap_start")).dt.total_microseconds() / 3.6e9,
        1,
    )
    every = pl.format("normally every {} s", _num("period_s", 1))
    text = (
        pl.when(pl.col("gap_end").is_null())
        .then(
            pl.format(
                "dropout: no readings since {} ({} h to the as-of cut; {})",
                _ts("gap_start"),
                hours_text,
                every,
            )
        )
        .otherwise(
            pl.format(
                "dropout: no readings from {} to {} ({} h; {})",
                _ts("gap_start"),
                _ts("gap_end"),
                hours_text,
                every,
            )
        )
    )
    return gaps.select(
        "sensor_id",
        status=pl.lit("dropout"),
        since=pl.col("gap_start"),
        ongoing=pl.col("gap_end").is_null(),
        text=text,
    )


def _stuck(hours: pl.LazyFrame, start: datetime, params: HealthParams) -> pl.LazyFrame:
    flat = hours.filter(pl.col("flat")).sort("sensor_id", "hour")
    prev_hour = pl.col("hour").shift(1).over("sensor_id", order_by="hour")
    prev_value = pl.col("min_value").shift(1).over("sensor_id", order_by="hour")
    new_run = (
        (pl.col("hour") - prev_hour != pl.lit(HOUR)) | (pl.col("min_value") != prev_value)
    ).fill_null(True)
    last_seen = hours.group_by("sensor_id").agg(_last=pl.col("last_ts").max())
    runs = (
        flat.with_columns(_run=new_run.cast(pl.Int64).cum_sum().over("sensor_id", order_by="hour"))
        .group_by("sensor_id", "_run")
        .agg(
            since=pl.col("first_ts").min(),
            until=pl.col("last_ts").max(),
            last_hour=pl.col("hour").max(),
            value=pl.col("min_value").first(),
            readings=pl.col("ok_n").sum(),
            hours=pl.len(),
            _running=pl.col("running_n").sum(),
            _n=pl.col("n").sum(),
        )
        .filter(
            (pl.col("hours") >= params.stuck_min_hours)
            & (pl.col("_running") >= params.stuck_running_share * pl.col("_n"))
            & (pl.col("last_hour") + HOUR > pl.lit(start))
        )
        .join(last_seen, on="sensor_id", how="left")
    )
    span_h = _num((pl.col("until") - pl.col("since")).dt.total_microseconds() / 3.6e9, 1)
    ongoing = pl.col("until") >= pl.col("_last")
    tail = (
        pl.when(ongoing)
        .then(pl.lit("still at its last reading"))
        .otherwise(pl.format("until {}", _ts("until")))
    )
    text = pl.format(
        "stuck: reads {} without change for {} h from {}, {} ({} readings, {}% of them while "
        "the machine ran)",
        _num("value", 6),
        span_h,
        _ts("since"),
        tail,
        pl.col("readings"),
        (100 * pl.col("_running") / pl.col("_n")).round(0).cast(pl.Int64),
    )
    return runs.select(
        "sensor_id", status=pl.lit("stuck"), since="since", ongoing=ongoing, text=text
    )


def _out_of_range(
    hours: pl.LazyFrame, sensors: pl.LazyFrame, start: datetime, params: HealthParams
) -> pl.LazyFrame:
    found = (
        hours.filter((pl.col("hour") + HOUR > pl.lit(start)) & (pl.col("oor_n") > 0))
        .group_by("sensor_id")
        .agg(
            readings=pl.col("oor_n").sum(),
            total=pl.col("n").sum(),
            since=pl.col("oor_first_ts").min(),
            lo=pl.col("oor_min").min(),
            hi=pl.col("oor_max").max(),
            last_hour=pl.col("hour").max(),
        )
        .filter(pl.col("readings") >= params.out_of_range_min)
        .join(sensors.select("sensor_id", "valid_min", "valid_max"), on="sensor_id", how="left")
    )
    last_hours = hours.group_by("sensor_id").agg(_last_hour=pl.col("hour").max())
    text = pl.format(
        "out_of_range: {} of {} readings outside the valid range [{}, {}] since {} (from {} to {})",
        pl.col("readings"),
        pl.col("total"),
        _num("valid_min").fill_null("-inf"),
        _num("valid_max").fill_null("inf"),
        _ts("since"),
        _num("lo"),
        _num("hi"),
    )
    return found.join(last_hours, on="sensor_id", how="left").select(
        "sensor_id",
        status=pl.lit("out_of_range"),
        since="since",
        ongoing=pl.col("last_hour") == pl.col("_last_hour"),
        text=text,
    )


def sensor_status(
    hours: pl.LazyFrame,
    sensors: pl.LazyFrame,
    *,
    lookback_start: datetime,
    status_start: datetime,
    end: datetime,
    params: HealthParams,
) -> pl.LazyFrame:
    """One row per sensor of ``sensors``: sensor_id, machine_id, status (ok / stuck / dropout /
    out_of_range), since and evidence.

    ``hours``: ``prepare_hours`` output over [lookback_start, end); ``sensors``: sensor_id,
    machine_id, valid_min, valid_max. Faults are judged on [status_start, end).
    """
    silent = sensors.join(hours.select("sensor_id").unique(), on="sensor_id", how="anti").select(
        "sensor_id",
        status=pl.lit("dropout"),
        since=pl.lit(None, pl.Datetime("us")),
        ongoing=pl.lit(True),
        text=pl.format(
            "dropout: no readings from {} to {}",
            pl.lit(lookback_start).dt.strftime("%Y-%m-%d %H:%M"),
            pl.lit(end).dt.strftime("%Y-%m-%d %H:%M"),
        ),
    )
    findings = pl.concat(
        [
            f.cast(_FINDING)  # type: ignore[arg-type]
            for f in (
                _dropouts(hours, status_start, end, params),
                _stuck(hours, status_start, params),
                _out_of_range(hours, sensors, status_start, params),
                silent,
            )
        ],
        how="vertical",
    ).with_columns(_rank=pl.col("status").replace_strict(_RANK, return_dtype=pl.Int64))
    ordered = findings.sort(
        "sensor_id",
        "ongoing",
        "_rank",
        "since",
        descending=[False, True, False, False],
        nulls_last=False,
    )
    chosen = ordered.group_by("sensor_id", maintain_order=True).agg(
        status=pl.col("status").first(),
        since=pl.col("since").first(),
        evidence=pl.col("text").str.join("; "),
    )
    window = (
        hours.filter(pl.col("hour") + HOUR > pl.lit(status_start))
        .group_by("sensor_id")
        .agg(_n=pl.col("n").sum(), _last=pl.col("last_ts").max())
    )
    ok_text = pl.format(
        "ok: {} readings in the status window, last at {}", pl.col("_n"), _ts("_last")
    )
    return (
        sensors.select("sensor_id", "machine_id")
        .join(chosen, on="sensor_id", how="left")
        .join(window, on="sensor_id", how="left")
        .with_columns(
            status=pl.col("status").fill_null("ok"),
            evidence=pl.coalesce(
                "evidence", ok_text, pl.lit("ok: no readings in the status window")
            ),
        )
        .select("sensor_id", "machine_id", "status", "since", "evidence")
        .sort("sensor_id")
    )
