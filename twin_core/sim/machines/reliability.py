"""What each machine's history says about its speed and failures: one row per machine
(history.machine_reliability), the measured inputs of the line simulation.

Over a lookback window [start, end) of machine events and production records:

- running_h, setup time: event time in each state (overlapping events cut as in OEE).
- failures: down periods, adjacent down events merged (an extract splits a stop at
  midnight; it is still one failure). mtbf_h = running hours per failure (null: none seen,
  the simulation then draws no failures); mttr_h and repair_cv: mean and coefficient of
  variation of the down periods' length.
- performance = ideal_cycle_time_s x (good + scrap) / running time, capped at 1 (a higher
  value means wrong counts, flagged in machine_day; the simulation uses the ideal speed);
  1 without data. quality = good / (good + scrap), 1 without data.
- setup_share = setup time / running time: changeovers cost this much extra time per unit.
- cycle_s = ideal_cycle_time_s / performance x (1 + setup_share): mean seconds per unit
  while the machine is not failed.
- down_at_cut: the machine's last event is a down period still open at ``end``.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from twin_core.sim.machines.oee import clean_events

__all__ = ["machine_reliability"]

_US = 1_000_000


def machine_reliability(
    events: pl.LazyFrame,
    production: pl.LazyFrame,
    machines: pl.LazyFrame,
    *,
    start: datetime,
    end: datetime,
) -> pl.LazyFrame:
    """One row per machine of ``machines`` (machine_id, line_id, site_id, line_position,
    ideal_cycle_time_s); see the module docstring for the columns.

    ``events``: machine_id, start_ts, end_ts, state; ``production``: machine_id, end_ts,
    good_qty, scrap_qty.
    """
    ev = (
        clean_events(events)
        .with_columns(
            start_ts=pl.max_horizontal("start_ts", pl.lit(start)),
            end_ts=pl.min_horizontal("end_ts", pl.lit(end)),
        )
        .filter(pl.col("end_ts") > pl.col("start_ts"))
        .with_columns(_us=(pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds())
    )
    times = ev.group_by("machine_id").agg(
        running_us=pl.col("_us").filter(pl.col("state") == "running").sum(),
        setup_us=pl.col("_us").filter(pl.col("state") == "setup").sum(),
        _last_state=pl.col("state").sort_by("start_ts").last(),
        _last_end=pl.col("end_ts").max(),
    )
    down = ev.filter(pl.col("state") == "down").sort("machine_id", "start_ts")
    prev_end = pl.col("end_ts").shift(1).over("machine_id", order_by="start_ts")
    periods = (
        down.with_columns(
            _new=(pl.col("start_ts") > prev_end).fill_null(True).cast(pl.Int64),
        )
        .with_columns(_period=pl.col("_new").cum_sum().over("machine_id", order_by="start_ts"))
        .group_by("machine_id", "_period")
        .agg(_us=pl.col("_us").sum())
        .group_by("machine_id")
        .agg(
            failures=pl.len().cast(pl.Int64),
            _mttr_us=pl.col("_us").mean(),
            _sd_us=pl.col("_us").std(),
        )
    )
    made = (
        production.filter((pl.col("end_ts") >= pl.lit(start)) & (pl.col("end_ts") < pl.lit(end)))
        .group_by("machine_id")
        .agg(pl.col("good_qty").sum().cast(pl.Float64), pl.col("scrap_qty").sum().cast(pl.Float64))
    )
    ict = pl.col("ideal_cycle_time_s")
    running_s = pl.col("running_us") / _US
    done = pl.col("good_qty") + pl.col("scrap_qty")
    performance = (
        pl.when(running_s > 0).then((ict * done / running_s).clip(upper_bound=1.0)).otherwise(None)
    )
    return (
        machines.select("site_id", "machine_id", "line_id", "line_position", "ideal_cycle_time_s")
        .join(times, on="machine_id", how="left")
        .join(periods, on="machine_id", how="left")
        .join(made, on="machine_id", how="left")
        .with_columns(
            pl.col("running_us", "setup_us").fill_null(0),
            failures=pl.col("failures").fill_null(0),
        )
        .with_columns(
            running_h=pl.col("running_us") / (3600 * _US),
            mtbf_h=pl.when(pl.col("failures") > 0).then(
                pl.col("running_us") / (3600 * _US) / pl.col("failures")
            ),
            mttr_h=pl.col("_mttr_us") / (3600 * _US),
            repair_cv=pl.when(pl.col("failures") >= 2).then(pl.col("_sd_us") / pl.col("_mttr_us")),
            performance=pl.when(done > 0).then(performance).otherwise(None).fill_null(1.0),
            setup_share=pl.when(pl.col("running_us") > 0)
            .then(pl.col("setup_us") / pl.col("running_us"))
            .otherwise(0.0),
            quality=pl.when(done > 0).then(pl.col("good_qty") / done).otherwise(1.0),
            down_at_cut=(pl.col("_last_state") == "down") & (pl.col("_last_end") >= pl.lit(end)),
        )
        .with_columns(
            performance=pl.when(pl.col("performance") > 0).then("performance").otherwise(1.0),
        )
        .with_columns(
            cycle_s=ict / pl.col("performance") * (1.0 + pl.col("setup_share")),
            down_at_cut=pl.col("down_at_cut").fill_null(False),
        )
        .select(
            "site_id",
            "machine_id",
            "line_id",
            "line_position",
            "ideal_cycle_time_s",
            "running_h",
            "failures",
            "mtbf_h",
            "mttr_h",
            "repair_cv",
            "performance",
            "setup_share",
            "quality",
            "cycle_s",
            "down_at_cut",
        )
        .sort("line_id", "line_position", "machine_id")
    )
