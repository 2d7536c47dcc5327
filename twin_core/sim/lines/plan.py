"""What each line is asked to make and when it may work, over the forecast horizon.

Grain: ``requirements`` one row per line and horizon day; ``line_windows`` one row per
planned production window of a line; ``planned_stops`` one row per projected planned stop of
a machine; ``outage_stops`` one row per scenario outage.

- Horizon: the plant days as_of + 1 .. as_of + horizon_days.
- Required quantity per line and day: open work orders (planned / released / in_progress)
  due that day, plus customer demand the work orders do not cover. Per product, the plan
  must reach max(cumulative work orders, cumulative demand) by each day (open orders past due
  count on the first day; demand due before the horizon is not counted: v1 has no shipment
  extract to tell whether it was met); the day's requirement is the increase of that
  running maximum, split into its work-order part and the uncovered rest. A product's demand
  goes to the line of its latest revision. Demand multipliers scale both.
- Planned windows: a line with shifts repeats, for each horizon day, the shifts that
  started on the same weekday of the last week up to the as-of day (in local time, so a
  06:00 shift stays at 06:00 across a clock change); a line without shifts is planned all
  the time. A shift row that plans no time (06:00-06:00, or quarantined as inverted) is not
  projected but still makes its line one with shifts, so such a line alone is planned 0 h. Planned stops of each machine repeat the same way. Builders only see rows up to
  the end of the as-of day, so future plans are projected, never read.
- Scenario: an outage closes its machine from start for the given hours; extra shift hours
  open that much more time on each horizon day, first right after the day's last window,
  then before its first (a line planned around the clock gains nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from twin_core.sim.calendar import local_day, plant_days

__all__ = [
    "OPEN_WORK_ORDER_STATUSES",
    "LineScenario",
    "extra_hours",
    "horizon",
    "line_windows",
    "outage_stops",
    "planned_stops",
    "requirements",
]

OPEN_WORK_ORDER_STATUSES = ("planned", "released", "in_progress")


@dataclass(frozen=True)
class LineScenario:
    """Changes a what-if applies to the line forecast (plain values, so a flow can pass them).

    outages: (machine_id, start as naive UTC, hours); demand_multipliers: product_id ->
    factor on its requirement; extra_shift_hours: line_id -> hours added per horizon day.
    """

    outages: tuple[tuple[str, datetime, float], ...] = ()
    demand_multipliers: Mapping[str, float] = field(default_factory=dict)
    extra_shift_hours: Mapping[str, float] = field(default_factory=dict)


def horizon(as_of: date, horizon_days: int, tz: str) -> pl.DataFrame:
    """The forecast's plant days: day, start_ts, end_ts (naive UTC)."""
    return plant_days(as_of + timedelta(days=1), as_of + timedelta(days=horizon_days), tz)


def _factor(multipliers: Mapping[str, float]) -> pl.Expr:
    if not multipliers:
        return pl.lit(1.0)
    return pl.col("product_id").replace_strict(
        dict(multipliers), default=1.0, return_dtype=pl.Float64
    )


def requirements(
    work_orders: pl.LazyFrame,
    demand: pl.LazyFrame,
    products: pl.LazyFrame,
    lines: pl.LazyFrame,
    days: pl.DataFrame,
    multipliers: Mapping[str, float] | None = None,
) -> pl.LazyFrame:
    """line_id, day, work_order_qty, uncovered_demand_qty, required_qty for every line of
    ``lines`` and day of ``days`` (module docstring).

    ``work_orders``: product_id, line_id, qty, due_date, status; ``demand``: product_id,
    due_date, qty; ``products``: product_id, revision, line_id.
    """
    first, last = days["day"].min(), days["day"].max()
    factor = _factor(multipliers or {})
    orders = (
        work_orders.filter(pl.col("status").is_in(OPEN_WORK_ORDER_STATUSES))
        .with_columns(day=pl.max_horizontal("due_date", pl.lit(first)), qty=pl.col("qty") * factor)
        .filter(pl.col("day") <= pl.lit(last))
        .group_by("line_id", "product_id", "day")
        .agg(wo=pl.col("qty").sort().sum())
    )
    product_line = (
        products.sort("product_id", "revision").group_by("product_id").agg(pl.col("line_id").last())
    )
    wanted = (
        demand.filter((pl.col("due_date") >= pl.lit(first)) & (pl.col("due_date") <= pl.lit(last)))
        .with_columns(qty=pl.col("qty") * factor)
        .join(product_line, on="product_id", how="inner")
        .group_by("line_id", "product_id", pl.col("due_date").alias("day"))
        .agg(dem=pl.col("qty").sort().sum())
    )
    grid = (
        pl.concat([orders.select("line_id", "product_id"), wanted.select("line_id", "product_id")])
        .unique()
        .join(days.lazy().select("day"), how="cross")
    )
    per_product = (
        grid.join(orders, on=["line_id", "product_id", "day"], how="left")
        .join(wanted, on=["line_id", "product_id", "day"], how="left")
        .with_columns(pl.col("wo", "dem").fill_null(0.0))
        .sort("line_id", "product_id", "day")
        .with_columns(
            cum_wo=pl.col("wo").cum_sum().over("line_id", "product_id"),
            cum_dem=pl.col("dem").cum_sum().over("line_id", "product_id"),
        )
        .with_columns(cum_req=pl.max_horizontal("cum_wo", "cum_dem"))
        .with_columns(
            req=pl.col("cum_req").diff().over("line_id", "product_id").fill_null(pl.col("cum_req"))
        )
        .with_columns(uncovered=(pl.col("req") - pl.col("wo")).clip(lower_bound=0.0))
    )
    totals = per_product.group_by("line_id", "day").agg(
        work_order_qty=pl.col("wo").sort().sum(),
        uncovered_demand_qty=pl.col("uncovered").sort().sum(),
    )
    return (
        lines.select("line_id")
        .unique()
        .join(days.lazy().select("day"), how="cross")
        .join(totals, on=["line_id", "day"], how="left")
        .with_columns(pl.col("work_order_qty", "uncovered_demand_qty").fill_null(0.0))
        .with_columns(required_qty=pl.col("work_order_qty") + pl.col("uncovered_demand_qty"))
        .sort("line_id", "day")
    )


def _shift_local(col: str, days_expr: pl.Expr, tz: str) -> pl.Expr:
    """A naive-UTC timestamp moved by whole days of local time, back in naive UTC."""
    local = (
        pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.replace_time_zone(None)
    )
    moved = (local + pl.duration(days=days_expr)).dt.replace_time_zone(
        tz, ambiguous="earliest", non_existent="null"
    )
    fallback = pl.col(col) + pl.duration(days=days_expr)
    return pl.coalesce(moved.dt.convert_time_zone("UTC").dt.replace_time_zone(None), fallback)


def _project(
    windows: pl.LazyFrame, key: str, days: pl.DataFrame, as_of: date, tz: str
) -> pl.LazyFrame:
    """Repeat each key's windows onto the horizon days: day d repeats the same weekday of the
    last week up to as_of, or the as-of day when the key's history is shorter than that."""
    horizon_days = days["day"].to_list()
    weekly = [d - timedelta(days=7 * -(-(d - as_of).days // 7)) for d in horizon_days]
    mapping = pl.LazyFrame(
        {"day": horizon_days, "_weekly": weekly}, schema={"day": pl.Date, "_weekly": pl.Date}
    )
    dated = windows.with_columns(src=local_day("start_ts", tz))
    history = dated.group_by(key).agg(_first=pl.col("src").min())
    sources = history.join(mapping, how="cross").with_columns(
        src=pl.when(pl.col("_weekly") >= pl.col("_first"))
        .then(pl.col("_weekly"))
        .otherwise(pl.lit(as_of))
    )
    shift = (pl.col("day") - pl.col("src")).dt.total_days()
    return (
        dated.join(sources.select(key, "day", "src"), on=[key, "src"], how="inner")
        .with_columns(
            start_ts=_shift_local("start_ts", shift, tz), end_ts=_shift_local("end_ts", shift, tz)
        )
        .select(key, "start_ts", "end_ts")
        .sort(key, "start_ts", "end_ts")
    )


def line_windows(
    shifts: pl.LazyFrame, lines: pl.LazyFrame, days: pl.DataFrame, as_of: date, tz: str
) -> pl.LazyFrame:
    """line_id, start_ts, end_ts: the planned windows of every line over the horizon."""
    start, end = days["start_ts"].min(), days["end_ts"].max()
    # Rows that plan no time open nothing (nor steer a scenario's extra hours), but their line
    # still has shifts: it is not planned around the clock.
    timed = shifts.select("line_id", "start_ts", "end_ts").filter(
        pl.col("end_ts") > pl.col("start_ts")
    )
    projected = _project(timed, "line_id", days, as_of, tz)
    with_shifts = shifts.select("line_id").unique()
    always = (
        lines.select("line_id")
        .unique()
        .join(with_shifts, on="line_id", how="anti")
        .with_columns(
            start_ts=pl.lit(start, pl.Datetime("us")), end_ts=pl.lit(end, pl.Datetime("us"))
        )
    )
    return pl.concat([projected, always], how="vertical").sort("line_id", "start_ts")


def planned_stops(events: pl.LazyFrame, days: pl.DataFrame, as_of: date, tz: str) -> pl.LazyFrame:
    """machine_id, start_ts, end_ts: each machine's planned stops repeated over the horizon."""
    stops = events.filter(pl.col("state") == "planned_stop").select(
        "machine_id", "start_ts", "end_ts"
    )
    return _project(stops, "machine_id", days, as_of, tz)


def outage_stops(scenario: LineScenario | None) -> pl.LazyFrame:
    """machine_id, start_ts, end_ts of the scenario's outages."""
    rows = [
        (m, start, start + timedelta(hours=hours))
        for m, start, hours in (scenario.outages if scenario else ())
    ]
    return pl.LazyFrame(
        rows,
        schema={
            "machine_id": pl.String,
            "start_ts": pl.Datetime("us"),
            "end_ts": pl.Datetime("us"),
        },
        orient="row",
    )


def extra_hours(
    windows: pl.DataFrame, days: pl.DataFrame, hours: Mapping[str, float]
) -> pl.DataFrame:
    """``windows`` (line_id, start_ts, end_ts) with ``hours[line]`` more open hours on each
    horizon day: after the day's last window first, then before its first."""
    if not hours:
        return windows
    added: list[tuple[str, datetime, datetime]] = []
    for line, h in sorted(hours.items()):
        mine = windows.filter(pl.col("line_id") == line).sort("start_ts")
        spans = list(zip(mine["start_ts"].to_list(), mine["end_ts"].to_list(), strict=True))
        for d_start, d_end in zip(
            days["start_ts"].to_list(), days["end_ts"].to_list(), strict=True
        ):
            todays = sorted(
                (max(s, d_start), min(e, d_end)) for s, e in spans if s < d_end and e > d_start
            )
            left = timedelta(hours=h)
            if not todays:
                added.append((line, d_start, min(d_end, d_start + left)))
                continue
            after = (todays[-1][1], d_end)
            before = (d_start, todays[0][0])
            for lo, hi in (after, before):
                if left <= timedelta(0) or hi <= lo:
                    continue
                take = min(left, hi - lo)
                added.append((line, lo, lo + take) if (lo, hi) == after else (line, hi - take, hi))
                left -= take
    extra = pl.DataFrame(
        added,
        schema={"line_id": pl.String, "start_ts": pl.Datetime("us"), "end_ts": pl.Datetime("us")},
        orient="row",
    )
    return pl.concat([windows.select("line_id", "start_ts", "end_ts"), extra]).sort(
        "line_id", "start_ts"
    )
