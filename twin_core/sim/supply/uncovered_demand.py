"""Uncovered demand: customer demand the open work orders do not cover, time-phased.

Grain: one row per product and day of the horizon on which demand is due.

For each product, demand due on days as_of + 1 .. as_of + horizon is compared cumulatively
with open work orders (planned, released, in_progress) due by the same day; open work
orders already past due count as supply on the first day (they are still to be built).
On each demand day: demand_qty and planned_qty due that day, their running totals from the
first day, and uncovered_qty = max(0, cum_demand_qty - cum_planned_qty), the demand due
by that day that the plan does not build by then. Demand due on or before as_of is not
counted (contract v1 has no shipments to tell whether it was met).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl

from twin_core.sim.supply.inventory import OPEN_WORK_ORDER_STATUSES

__all__ = ["uncovered_demand"]


def _factor(factors: Mapping[str, float] | None) -> pl.Expr:
    if not factors:
        return pl.lit(1.0)
    return pl.col("product_id").replace_strict(dict(factors), default=1.0, return_dtype=pl.Float64)


def uncovered_demand(
    demand: pl.LazyFrame,
    work_orders: pl.LazyFrame,
    *,
    as_of: date,
    horizon_days: int,
    demand_multipliers: Mapping[str, float] | None = None,
) -> pl.LazyFrame:
    """Per product and demand day in the horizon: site_id, product_id, day, demand_qty,
    planned_qty, cum_demand_qty, cum_planned_qty and uncovered_qty (module docstring).

    ``demand``: site_id (the product's site, carried through), product_id, due_date, qty.
    ``work_orders``: product_id, qty, due_date, status; matched to demand by product. ``demand_multipliers`` scale demand per product (a scenario's demand jump); the
    plan is left as it is, so the jump shows as uncovered demand.
    """
    first_day = as_of + timedelta(days=1)
    last_day = as_of + timedelta(days=horizon_days)
    in_horizon = (pl.col("day") >= pl.lit(first_day)) & (pl.col("day") <= pl.lit(last_day))
    wanted = (
        demand.rename({"due_date": "day"})
        .filter(in_horizon)
        .group_by("product_id", "day")
        .agg(demand_qty=(pl.col("qty") * _factor(demand_multipliers)).sort().sum().cast(pl.Float64))
    )
    planned = (
        work_orders.filter(pl.col("status").is_in(OPEN_WORK_ORDER_STATUSES))
        .with_columns(day=pl.max_horizontal(pl.col("due_date"), pl.lit(first_day)))
        .filter(in_horizon)
        .group_by("product_id", "day")
        .agg(planned_qty=pl.col("qty").sort().sum().cast(pl.Float64))
    )
    sites = demand.group_by("product_id").agg(pl.col("site_id").min())
    return (
        pl.concat(
            [wanted.select("product_id", "day"), planned.select("product_id", "day")],
            how="vertical_relaxed",
        )
        .unique()
        .join(wanted, on=["product_id", "day"], how="left")
        .join(planned, on=["product_id", "day"], how="left")
        .with_columns(pl.col("demand_qty", "planned_qty").fill_null(0.0))
        .sort("product_id", "day")
        .with_columns(
            cum_demand_qty=pl.col("demand_qty").cum_sum().over("product_id"),
            cum_planned_qty=pl.col("planned_qty").cum_sum().over("product_id"),
        )
        .with_columns(
            uncovered_qty=(pl.col("cum_demand_qty") - pl.col("cum_planned_qty")).clip(
                lower_bound=0.0
            )
        )
        .filter(pl.col("demand_qty") > 0)
        .join(sites, on="product_id", how="left")
        .select(
            "site_id",
            "product_id",
            "day",
            "demand_qty",
            "planned_qty",
            "cum_demand_qty",
            "cum_planned_qty",
            "uncovered_qty",
        )
        .sort("product_id", "day")
    )
