"""Snapshot builder for machines: history.machine_day (machine, plant day), machine_shift
(machine, shift), sensor_status (sensor), sensor_health (sensor) and machine_health (machine).

It loads the core inputs of the lookback window ending with the as-of day (nothing later),
then calls ``twin_core.sim.machines.oee``, ``sensor_faults`` and ``health``. Sensor readings reach it
only as hourly aggregates computed in DuckDB (``sql/inputs/sensor_hours.sql``), kept
between rebuilds by ``twin_core.twin.sensor_cache``.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from twin_core.sim.calendar import day_start_utc
from twin_core.sim.machines.health import machine_health, sensor_health
from twin_core.sim.machines.oee import machine_day, machine_shift
from twin_core.sim.machines.sensor_faults import sensor_status
from twin_core.sim.machines.sensor_hours import HealthParams, prepare_hours
from twin_core.twin import plant_inputs as pi
from twin_core.twin import sensor_cache
from twin_core.twin.inputs import CoreInputs, SnapshotContext

__all__ = ["MachineTablesParams", "build"]


class MachineTablesParams(BaseModel):
    """How far back the machine tables look, and the health knobs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    oee_days: int = Field(
        default=28, ge=1, le=366, description="Plant days of machine_day / machine_shift rows."
    )
    health: HealthParams = Field(default_factory=HealthParams)


def _oee(
    inputs: CoreInputs,
    ctx: SnapshotContext,
    m: pl.DataFrame,
    p: MachineTablesParams,
) -> dict[str, pl.LazyFrame]:
    window = pi.lookback(ctx, p.oee_days)
    ev = pi.events(inputs, window, m["machine_id"])
    tz = ctx.settings.timezone
    made = pi.production(inputs, window, m["machine_id"])
    sh = pi.shifts(inputs, window, m["line_id"].unique())
    days = window.days()
    shift_frame = sh.lazy() if sh.height else None
    tables = {"machine_day": machine_day(ev.lazy(), made.lazy(), m.lazy(), days, tz, shift_frame)}
    if shift_frame is not None:
        tables["machine_shift"] = machine_shift(
            ev.lazy(), made.lazy(), m.lazy(), days, tz, shift_frame
        )
    return tables


def _health(
    inputs: CoreInputs, ctx: SnapshotContext, m: pl.DataFrame, hp: HealthParams
) -> dict[str, pl.LazyFrame]:
    tz = ctx.settings.timezone
    end = pi.lookback(ctx, 1).end
    start = end - timedelta(hours=hp.lookback_hours)
    sensors = (
        inputs.table(
            "sensors",
            (
                "sensor_id",
                "machine_id",
                "metric",
                "unit",
                "valid_min",
                "valid_max",
                "alarm_low",
                "alarm_high",
            ),
        )
        .filter(pl.col("machine_id").is_in(m["machine_id"].implode()))
        .lazy()
    )
    hourly = sensor_cache.sensor_hours(inputs, start, end).lazy()
    hours = prepare_hours(hourly, sensors, hp).cache()
    status = sensor_status(
        hours,
        sensors,
        lookback_start=start,
        status_start=day_start_utc(ctx.as_of, tz),
        end=end,
        params=hp,
    ).cache()
    per_sensor = sensor_health(hours, sensors, status, end=end, tz=tz, params=hp).cache()
    owners = m.lazy().select("machine_id", "site_id")
    return {
        # Joins do not keep row order; a rebuild must write rows in a stable order.
        "sensor_status": status.join(owners, on="machine_id", how="left").sort("sensor_id"),
        "sensor_health": per_sensor.join(owners, on="machine_id", how="left").sort("sensor_id"),
        "machine_health": machine_health(per_sensor, m.lazy()),
    }


def build(
    inputs: CoreInputs, ctx: SnapshotContext, params: MachineTablesParams | None = None
) -> dict[str, pl.DataFrame]:
    """Every machine table of the snapshot."""
    p = params or MachineTablesParams()
    m = pi.machines(inputs, ctx)
    tables = _oee(inputs, ctx, m, p) | _health(inputs, ctx, m, p.health)
    names = list(tables)
    return dict(zip(names, pl.collect_all([tables[n] for n in names]), strict=True))
