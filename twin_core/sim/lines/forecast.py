"""Line throughput forecast: one row per line per horizon day (history.line_forecast).

Polars in, polars out around the numpy engine (``engine``): the measured machines
(``reliability``), the planned windows and requirements (``plan``) and a scenario's
changes become one ``LineSpec`` per serial line; the engine's replications become, per line
and day, the p10 / p50 / p90 and mean of good units out of the last station, the share of
replications that reach the required quantity, and the bottleneck: the station busiest
(working or under repair) for the largest share of its open time that day.

Good units = units out of the last station x the product of the stations' measured quality
(each station's scrap leaves the flow). Contract v1 carries no buffer sizes or unit-level
process times: ``buffer_units`` and ``process_cv`` are parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from twin_core.sim.lines import plan
from twin_core.sim.lines.engine import F64, LineSpec, StationSpec, run_engine

__all__ = ["LineInputs", "LineSimParams", "forecast_lines"]


class LineSimParams(BaseModel):
    """Knobs of the line forecast (settings give horizon, replications and seed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_days: int = Field(default=14, ge=1, le=120, description="Days forecast after as_of.")
    replications: int = Field(default=500, ge=10, le=100_000, description="Monte Carlo runs.")
    seed: int = Field(default=20261126, description="Seed of every draw.")
    process_cv: float = Field(
        default=0.25, ge=0, le=3, description="Coefficient of variation of a unit's process time."
    )
    buffer_units: float = Field(
        default=50.0,
        ge=0,
        description="Units that fit between two stations (v1 has no buffer data).",
    )
    warmup_hours: float = Field(
        default=4.0, ge=0, le=168, description="Run before the horizon, so day 1 starts with WIP."
    )
    max_batches: int = Field(
        default=1200,
        ge=50,
        le=100_000,
        description="Transfer batches per line over the horizon; units move in batches of "
        "ceil(horizon / (slowest cycle x max_batches)), or fewer so every buffer holds whole "
        "batches, at least 10 x max(1, cv^2) of them (batches of one for small buffers).",
    )


@dataclass(frozen=True)
class LineInputs:
    """Everything the forecast reads, cut to the as-of day (``twin_core.twin.lines`` loads it).

    stations: ``machine_reliability`` rows; shifts: line_id, start_ts, end_ts; events:
    machine_id, start_ts, end_ts, state (their planned stops repeat); work_orders: product_id,
    line_id, qty, due_date, status; demand: product_id, due_date, qty; products: product_id,
    revision, line_id.
    """

    as_of: date
    tz: str
    stations: pl.DataFrame
    shifts: pl.DataFrame
    events: pl.DataFrame
    work_orders: pl.DataFrame
    demand: pl.DataFrame
    products: pl.DataFrame


def _seconds(ts: list[datetime], origin: datetime) -> F64:
    return np.array([(t - origin).total_seconds() for t in ts], dtype=np.float64)


def _merge(iv: F64) -> F64:
    """Sorted, disjoint union of intervals (k, 2)."""
    iv = iv[iv[:, 1] > iv[:, 0]]
    if iv.size == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(iv[:, 1])
    new = np.concatenate([[True], iv[1:, 0] > reach[:-1]])
    ends = np.append(reach[np.flatnonzero(new)[1:] - 1], reach[-1])
    return np.column_stack([iv[new, 0], ends])


def _subtract(open_: F64, closed: F64) -> F64:
    """Open intervals less closed ones (both sorted and disjoint)."""
    if closed.size == 0 or open_.size == 0:
        return open_
    cuts = np.unique(np.concatenate([open_.ravel(), closed.ravel()]))
    lo, hi = cuts[:-1], cuts[1:]
    mid = (lo + hi) / 2
    in_open = (np.searchsorted(open_[:, 0], mid, side="right") - 1).clip(0)
    is_open = (open_[in_open, 0] <= mid) & (mid < open_[in_open, 1])
    in_closed = (np.searchsorted(closed[:, 0], mid, side="right") - 1).clip(0)
    is_closed = (closed[in_closed, 0] <= mid) & (mid < closed[in_closed, 1])
    keep = is_open & ~is_closed
    return _merge(np.column_stack([lo[keep], hi[keep]]))


def _intervals(frame: pl.DataFrame, origin: datetime) -> F64:
    if frame.is_empty():
        return np.zeros((0, 2))
    pairs = np.column_stack(
        [_seconds(frame["start_ts"].to_list(), origin), _seconds(frame["end_ts"].to_list(), origin)]
    )
    return _merge(pairs)


def _line_specs(
    stations: pl.DataFrame,
    windows: pl.DataFrame,
    stops: pl.DataFrame,
    origin: datetime,
    p: LineSimParams,
) -> list[LineSpec]:
    specs: list[LineSpec] = []
    for (line_id,), rows in stations.sort("line_id", "line_position", "machine_id").group_by(
        "line_id", maintain_order=True
    ):
        open_line = _intervals(windows.filter(pl.col("line_id") == line_id), origin)
        built: list[StationSpec] = []
        quality = 1.0
        for k, r in enumerate(rows.iter_rows(named=True)):
            closed = _intervals(stops.filter(pl.col("machine_id") == r["machine_id"]), origin)
            mtbf = r["mtbf_h"]
            built.append(
                StationSpec(
                    machine_id=str(r["machine_id"]),
                    cycle_s=float(r["cycle_s"]),
                    cv=p.process_cv,
                    mtbf_s=math.inf if mtbf is None else float(mtbf) * 3600.0,
                    mttr_s=float(r["mttr_h"] or 0.0) * 3600.0,
                    repair_cv=float(r["repair_cv"] if r["repair_cv"] is not None else 1.0),
                    buffer_before=math.inf if k == 0 else p.buffer_units,
                    open_intervals=_subtract(open_line, closed),
                    down_at_start=bool(r["down_at_cut"]),
                )
            )
            quality *= float(r["quality"] if r["quality"] is not None else 1.0)
        specs.append(LineSpec(str(line_id), tuple(built), yield_=quality))
    return specs


def forecast_lines(
    inputs: LineInputs, params: LineSimParams, scenario: plan.LineScenario | None = None
) -> pl.LazyFrame:
    """site_id, line_id, day, required_qty, work_order_qty, uncovered_demand_qty, p10_qty,
    p50_qty, p90_qty, mean_qty, p_meet, bottleneck_machine_id, bottleneck_utilization,
    planned_hours, replications: one row per line with stations and horizon day."""
    days = plan.horizon(inputs.as_of, params.horizon_days, inputs.tz)
    stations = inputs.stations.filter(pl.col("line_id").is_not_null())
    lines = stations.select("line_id", "site_id").group_by("line_id").agg(pl.col("site_id").min())
    sc = scenario or plan.LineScenario()
    windows = plan.line_windows(
        inputs.shifts.lazy(), lines.lazy(), days, inputs.as_of, inputs.tz
    ).collect()
    windows = plan.extra_hours(windows, days, sc.extra_shift_hours)
    stops = pl.concat(
        [
            plan.planned_stops(inputs.events.lazy(), days, inputs.as_of, inputs.tz),
            plan.outage_stops(sc),
        ]
    ).collect()
    need = plan.requirements(
        inputs.work_orders.lazy(),
        inputs.demand.lazy(),
        inputs.products.lazy(),
        lines.lazy(),
        days,
        sc.demand_multipliers,
    ).collect()
    out_schema = {
        "line_id": pl.String,
        "day": pl.Date,
        "p10_qty": pl.Float64,
        "p50_qty": pl.Float64,
        "p90_qty": pl.Float64,
        "mean_qty": pl.Float64,
        "p_meet": pl.Float64,
        "bottleneck_machine_id": pl.String,
        "bottleneck_utilization": pl.Float64,
        "planned_hours": pl.Float64,
        "replications": pl.Int64,
    }
    if stations.is_empty():
        sim = pl.DataFrame(schema=out_schema)
    else:
        origin = days["start_ts"][0]
        specs = _line_specs(stations, windows, stops, origin, params)
        bounds = _seconds(days["end_ts"].to_list(), origin)
        result = run_engine(
            specs,
            np.concatenate([[0.0], bounds]),
            replications=params.replications,
            seed=params.seed,
            warmup_s=params.warmup_hours * 3600.0,
            max_batches=params.max_batches,
        )
        sim = _summarize(
            specs,
            days,
            need,
            result.units,
            result.busy_s,
            result.open_s,
            result.line_open_s,
            params,
            out_schema,
        )
    return (
        need.lazy()
        .join(lines.lazy(), on="line_id", how="inner")
        .join(sim.lazy(), on=["line_id", "day"], how="left")
        .with_columns(
            p_meet=pl.when(pl.col("required_qty") <= 0).then(1.0).otherwise(pl.col("p_meet"))
        )
        .select(
            "site_id",
            "line_id",
            "day",
            "required_qty",
            "work_order_qty",
            "uncovered_demand_qty",
            "p10_qty",
            "p50_qty",
            "p90_qty",
            "mean_qty",
            "p_meet",
            "bottleneck_machine_id",
            "bottleneck_utilization",
            "planned_hours",
            "replications",
        )
        .sort("line_id", "day")
    )


def _summarize(
    specs: list[LineSpec],
    days: pl.DataFrame,
    need: pl.DataFrame,
    units: F64,
    busy: F64,
    open_s: F64,
    line_open: F64,
    params: LineSimParams,
    schema: Mapping[str, type[pl.DataType] | pl.DataType],
) -> pl.DataFrame:
    """Quantiles, p_meet and bottleneck per line and day from the engine's arrays."""
    required = {
        (r["line_id"], r["day"]): float(r["required_qty"]) for r in need.iter_rows(named=True)
    }
    q10, q50, q90 = np.quantile(units, [0.1, 0.5, 0.9], axis=2)
    mean = units.mean(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(open_s > 0, busy / open_s, -1.0)
    rows = []
    day_list = days["day"].to_list()
    for li, spec in enumerate(specs):
        for d, day in enumerate(day_list):
            req = required.get((spec.line_id, day), 0.0)
            n_st = len(spec.stations)
            station_util = util[li, :n_st, d]
            best = int(np.argmax(station_util)) if line_open[li, d] > 0 else -1
            rows.append(
                (
                    spec.line_id,
                    day,
                    float(q10[li, d]),
                    float(q50[li, d]),
                    float(q90[li, d]),
                    float(mean[li, d]),
                    float((units[li, d] >= req).mean()),
                    spec.stations[best].machine_id
                    if best >= 0 and station_util[best] >= 0
                    else None,
                    float(min(1.0, station_util[best]))
                    if best >= 0 and station_util[best] >= 0
                    else None,
                    float(line_open[li, d]) / 3600.0,
                    params.replications,
                )
            )
    return pl.DataFrame(rows, schema=schema, orient="row")
