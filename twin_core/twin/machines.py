"""Snapshot builder for machines: history.machine_day (machine, plant day), machine_shift
(machine, shift), machine_health (machine), sensor_health (sensor) and sensor_status (sensor).

It loads the core inputs of the lookback window ending with the as-of day (nothing later),
then calls ``twin_core.sim.oee`` and ``twin_core.sim.health``; sensor readings reach it only as
hourly aggregates computed in DuckDB (``sql/inputs/sensor_hourly.sql``).
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from twin_core.rebuild import CoreInputs, SnapshotContext
from twin_core.sim.oee import machine_day, machine_shift
from twin_core.twin import plant_inputs as pi

__all__ = ["MachineTablesParams", "build", "build_oee"]


class MachineTablesParams(BaseModel):
    """How far back the machine tables look."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    oee_days: int = Field(
        default=28, ge=1, le=366, description="Plant days of machine_day / machine_shift rows."
    )


def build_oee(
    inputs: CoreInputs, ctx: SnapshotContext, params: MachineTablesParams | None = None
) -> dict[str, pl.DataFrame]:
    """history.machine_day and machine_shift over the last ``oee_days`` plant days."""
    p = params or MachineTablesParams()
    window = pi.lookback(ctx, p.oee_days)
    tz = ctx.settings.timezone
    m = pi.machines(inputs, ctx)
    ev = pi.events(inputs, window, m["machine_id"])
    made = pi.production(inputs, window, m["machine_id"])
    sh = pi.shifts(inputs, window, m["line_id"].unique())
    days = window.days()
    shift_frame = sh.lazy() if sh.height else None
    day_lazy = machine_day(ev.lazy(), made.lazy(), m.lazy(), days, tz, shift_frame)
    tables = {"machine_day": day_lazy}
    if shift_frame is not None:
        tables["machine_shift"] = machine_shift(
            ev.lazy(), made.lazy(), m.lazy(), days, tz, shift_frame
        )
    names = list(tables)
    return dict(zip(names, pl.collect_all([tables[n] for n in names]), strict=True))


def build(inputs: CoreInputs, ctx: SnapshotContext) -> dict[str, pl.DataFrame]:
    """Every machine table of the snapshot."""
    return build_oee(inputs, ctx)
