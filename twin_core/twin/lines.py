"""Snapshot builder for lines: history.line_forecast (line, horizon day) and
machine_reliability (machine), the measured inputs the forecast draws from.

It loads the machines, their events and production over a lookback ending with the as-of day
(nothing later), the shifts of that lookback, and the open work orders and demand, then calls
``twin_core.sim.machines.reliability`` and ``twin_core.sim.lines.forecast``. Scenarios reuse
``load_line_inputs`` and ``line_params`` and call ``forecast_lines`` with a ``LineScenario``.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from twin_core.sim.lines.forecast import LineInputs, LineSimParams, forecast_lines
from twin_core.sim.lines.plan import LineScenario
from twin_core.sim.machines.reliability import machine_reliability
from twin_core.twin import plant_inputs as pi
from twin_core.twin.inputs import CoreInputs, SnapshotContext

__all__ = ["LineScenario", "LineTablesParams", "build", "line_params", "load_line_inputs"]


class LineTablesParams(BaseModel):
    """How far back the line forecast measures the machines and repeats the calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lookback_days: int = Field(
        default=28,
        ge=1,
        le=366,
        description="Plant days of events and production behind MTBF, MTTR, performance, "
        "and of shifts and planned stops the calendar repeats.",
    )


def load_line_inputs(
    inputs: CoreInputs, ctx: SnapshotContext, params: LineTablesParams | None = None
) -> LineInputs:
    """The forecast's inputs for the snapshot: measured machines, shifts and events of the
    lookback, work orders, demand and products."""
    p = params or LineTablesParams()
    window = pi.lookback(ctx, p.lookback_days)
    m = pi.machines(inputs, ctx)
    ev = pi.events(inputs, window, m["machine_id"])
    made = pi.production(inputs, window, m["machine_id"])
    stations = machine_reliability(
        ev.lazy(), made.lazy(), m.lazy(), start=window.start, end=window.end
    ).collect()
    lines = m["line_id"].unique()
    return LineInputs(
        as_of=ctx.as_of,
        tz=ctx.settings.timezone,
        stations=stations.with_columns(lookback_days=pl.lit(p.lookback_days, pl.Int64)),
        shifts=pi.shifts(inputs, window, lines),
        events=ev.select("machine_id", "start_ts", "end_ts", "state"),
        work_orders=inputs.table(
            "work_orders", ("product_id", "line_id", "qty", "due_date", "status")
        ).filter(pl.col("line_id").is_in(lines.implode())),
        demand=inputs.table("demand", ("product_id", "due_date", "qty")),
        products=inputs.table("products", ("product_id", "revision", "line_id")),
    )


def line_params(ctx: SnapshotContext) -> LineSimParams:
    """The snapshot's forecast parameters, from its settings."""
    s = ctx.settings
    return LineSimParams(horizon_days=s.horizon_days, replications=s.replications, seed=s.seed)


def build(inputs: CoreInputs, ctx: SnapshotContext) -> dict[str, pl.DataFrame]:
    """history.line_forecast and machine_reliability."""
    line_inputs = load_line_inputs(inputs, ctx)
    return {
        "line_forecast": forecast_lines(line_inputs, line_params(ctx)).collect(),
        "machine_reliability": line_inputs.stations,
    }
