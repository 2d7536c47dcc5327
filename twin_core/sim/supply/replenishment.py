"""Replenishment: safety stock, reorder point, order quantity and order-by date per material.

Grain: one row per site and material (``material_status``).

The arithmetic (README, "Inventory and supply"; reference cases in tests):

- Mean and sd of daily demand: over the ``horizon_days`` projected days, the daily
  ``requirement`` (zeros included, past-due excluded: a backlog is not a rate); sample sd.
- Safety stock SS = z x sqrt(L x sd_d^2 + mean_d^2 x sd_L^2) and reorder point
  ROP = mean_d x L + SS, with z = Phi^-1(service level) exactly, for any level strictly
  between 0 and 1 (0 and 1 have no finite z and are refused, naming the material; the
  extract contract quarantines them first). Below 0.5, z and so SS are negative and not
  floored at 0: ROP = mean_d x L + z x sigma is the stock that meets the stated cycle service
  level, below mean lead-time demand (flooring would silently plan 50%).
- Order-by date: let B be the first day, within the horizon plus ceil(L) days, on which
  projected closing on-hand (receipts included) falls below SS. An order placed on day o
  arrives on o + ceil(L), so the last day to place it is B - ceil(L) (it may already have
  passed: then order at once). No such day: no order needed, order_by_date null.
- Order quantity: the largest of EOQ = sqrt(2 K D / h) (D = mean_d x days_per_year,
  h = holding_rate x unit_cost, K = ordering_cost), min_order_qty, and, when an order is
  due, the shortfall SS - (lowest projected closing from B to the window's end), so one
  order arriving by B keeps the projection at or above safety stock through the window.
  Without a unit cost EOQ is undefined and ``fallback_cover_days`` of mean demand replace
  it. Rounded up to a whole unit. ``order_policy`` names the term that set it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ReplenishmentPolicy",
    "demand_stats",
    "eoq",
    "material_status",
    "refuse_bad_service_levels",
    "reorder_point",
    "safety_stock",
    "z_score",
]

_KEY = ["site_id", "material_id"]


class ReplenishmentPolicy(BaseModel):
    """How much to order: EOQ costs and the fallback where EOQ is undefined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    holding_rate: float = Field(
        default=0.25, gt=0, description="Yearly cost of holding one unit, as a share of unit_cost."
    )
    ordering_cost: float = Field(
        default=50.0, ge=0, description="Fixed cost K of placing one purchase order."
    )
    days_per_year: float = Field(default=365.0, gt=0, description="Days in a demand year.")
    fallback_cover_days: float = Field(
        default=30.0,
        gt=0,
        description="Order this many days of mean demand where unit_cost is missing or 0.",
    )


def _ndtri(s: pl.Series) -> pl.Series:
    # polars orders NaN above every number, so NaN fails "< 1"; null (no level) stays null.
    bad = s.filter(s.is_not_null() & ~((s > 0.0) & (s < 1.0))).unique().sort()
    if bad.len():
        shown = ", ".join(f"{v:g}" for v in bad.to_list())
        raise ValueError(f"service level {shown} is not strictly between 0 and 1")
    # scipy.special takes about 0.25 s to import: loaded on first use, not when the nightly starts
    from scipy.special import ndtri

    return pl.Series(s.name, ndtri(s.to_numpy().astype(np.float64)))


def z_score(service_level: pl.Expr) -> pl.Expr:
    """z = Phi^-1(service level) for a level strictly between 0 and 1 (negative below 0.5);
    a level of 0, 1 or beyond raises ValueError. Null stays null."""
    return service_level.map_batches(_ndtri, return_dtype=pl.Float64)


def refuse_bad_service_levels(materials: pl.LazyFrame, default: float) -> None:
    """ValueError naming every material whose service level (its own, else ``default``) is not
    strictly between 0 and 1."""
    level = pl.col("service_level").fill_null(default)
    bad = (
        materials.filter(~((level > 0) & (level < 1)))
        .select("material_id", level)
        .sort("material_id")
        .collect()
    )
    if bad.height:
        shown = ", ".join(f"{m} ({v:g})" for m, v in bad.iter_rows())
        raise ValueError(
            f"service level must be strictly between 0 and 1; materials refused: {shown}"
        )


def safety_stock(
    mean_d: pl.Expr, sd_d: pl.Expr, lead: pl.Expr, sd_lead: pl.Expr, z: pl.Expr
) -> pl.Expr:
    """z x sqrt(L x sd_d^2 + mean_d^2 x sd_L^2): demand and lead-time variability combined."""
    return z * (lead * sd_d**2 + mean_d**2 * sd_lead**2).sqrt()


def reorder_point(
    mean_d: pl.Expr, sd_d: pl.Expr, lead: pl.Expr, sd_lead: pl.Expr, z: pl.Expr
) -> pl.Expr:
    """mean_d x L + safety stock."""
    return mean_d * lead + safety_stock(mean_d, sd_d, lead, sd_lead, z)


def eoq(annual_demand: pl.Expr, ordering_cost: pl.Expr, holding_cost: pl.Expr) -> pl.Expr:
    """Economic order quantity sqrt(2 K D / h); null where h is not positive."""
    return (
        pl.when(holding_cost > 0)
        .then((2.0 * ordering_cost * annual_demand / holding_cost).sqrt())
        .otherwise(None)
    )


def demand_stats(projection: pl.LazyFrame, *, as_of: date, horizon_days: int) -> pl.LazyFrame:
    """Per site and material over the horizon: demand_mean_daily, demand_sd_daily (sample;
    0 with a single day), past_due_requirement and stockout_date (first day whose closing
    on-hand, receipts included, is below 0)."""
    last = as_of + timedelta(days=horizon_days)
    return (
        projection.filter(pl.col("day") <= pl.lit(last))
        .group_by(_KEY)
        .agg(
            demand_mean_daily=pl.col("requirement").sort().mean(),
            demand_sd_daily=pl.col("requirement").sort().std().fill_null(0.0),
            past_due_requirement=pl.col("past_due_requirement").sort().sum(),
            stockout_date=pl.col("day").filter(pl.col("closing_on_hand") < 0).min(),
        )
    )


def material_status(
    projection: pl.LazyFrame,
    cover: pl.LazyFrame,
    lead_times: pl.LazyFrame,
    materials: pl.LazyFrame,
    *,
    as_of: date,
    horizon_days: int,
    service_level_default: float,
    policy: ReplenishmentPolicy | None = None,
) -> pl.LazyFrame:
    """Status and replenishment per site and material.

    ``projection``: from ``project_inventory``, covering at least the horizon plus ceil(L)
    days of each material (later days are ignored). ``cover``: from ``days_of_cover``.
    ``lead_times``: material_id, supplier_id, lead_time_days, lead_time_sd_days,
    lead_time_source. ``materials``: material_id, unit_cost, min_order_qty, service_level.
    """
    pol = policy or ReplenishmentPolicy()
    refuse_bad_service_levels(materials, service_level_default)
    stats = demand_stats(projection, as_of=as_of, horizon_days=horizon_days)
    master = materials.select(
        "material_id",
        "unit_cost",
        "min_order_qty",
        service_level=pl.col("service_level").fill_null(service_level_default),
    )
    mean_d, sd_d = pl.col("demand_mean_daily"), pl.col("demand_sd_daily")
    lead, sd_lead = pl.col("lead_time_days"), pl.col("lead_time_sd_days")
    # Every key of the projection (stock, requirement or receipts) gets a status row.
    keys = projection.select(_KEY).unique()
    base = (
        keys.join(cover, on=_KEY, how="left", nulls_equal=True)
        .with_columns(
            pl.col("on_hand").fill_null(0.0),
            pl.col("days_of_cover_unbounded").fill_null(True),
        )
        .join(stats, on=_KEY, how="left", nulls_equal=True)
        .join(lead_times, on="material_id", how="left")
        .join(master, on="material_id", how="left")
        .with_columns(
            pl.col("demand_mean_daily", "demand_sd_daily", "past_due_requirement").fill_null(0.0),
            service_level=pl.col("service_level").fill_null(service_level_default),
        )
        .with_columns(z=z_score(pl.col("service_level")))
        .with_columns(
            safety_stock=safety_stock(mean_d, sd_d, lead, sd_lead, pl.col("z")),
            reorder_point=reorder_point(mean_d, sd_d, lead, sd_lead, pl.col("z")),
            lead_days=lead.ceil().cast(pl.Int64),
        )
    )
    window_end = pl.lit(as_of + timedelta(days=horizon_days)) + pl.duration(
        days=pl.col("lead_days")
    )
    in_window = projection.join(
        base.select(*_KEY, "safety_stock", "lead_days"), on=_KEY, how="inner", nulls_equal=True
    ).filter(pl.col("day") <= window_end)
    breach = (
        in_window.filter(pl.col("closing_on_hand") < pl.col("safety_stock"))
        .group_by(_KEY)
        .agg(below_safety_stock_date=pl.col("day").min())
    )
    lowest = (
        in_window.join(breach, on=_KEY, how="inner", nulls_equal=True)
        .filter(pl.col("day") >= pl.col("below_safety_stock_date"))
        .group_by(_KEY)
        .agg(lowest_closing=pl.col("closing_on_hand").min())
    )
    annual = mean_d * pol.days_per_year
    eoq_qty = eoq(annual, pl.lit(pol.ordering_cost), pol.holding_rate * pl.col("unit_cost"))
    ordering = pl.col("below_safety_stock_date").is_not_null()
    terms = {
        "eoq": pl.col("eoq_qty"),
        "cover_days": pl.when(pl.col("eoq_qty").is_null()).then(mean_d * pol.fallback_cover_days),
        "min_order_qty": pl.when((mean_d > 0) | ordering).then(pl.col("min_order_qty")),
        "shortfall": pl.when(ordering).then(pl.col("safety_stock") - pl.col("lowest_closing")),
    }
    value = {name: term.fill_null(0.0) for name, term in terms.items()}
    best = pl.max_horizontal(*value.values())
    policy_name = (
        pl.when(best <= 0)
        .then(pl.lit("no_demand"))
        .when(value["eoq"] == best)
        .then(pl.lit("eoq"))
        .when(value["cover_days"] == best)
        .then(pl.lit("cover_days"))
        .when(value["min_order_qty"] == best)
        .then(pl.lit("min_order_qty"))
        .otherwise(pl.lit("shortfall"))
    )
    return (
        base.join(breach, on=_KEY, how="left", nulls_equal=True)
        .join(lowest, on=_KEY, how="left", nulls_equal=True)
        .with_columns(eoq_qty=eoq_qty)
        .with_columns(
            # Whole units; the epsilon keeps float noise (10.000000001) from adding one.
            order_qty=(best - 1e-9).ceil().clip(lower_bound=0.0),
            order_policy=policy_name,
            order_by_date=pl.col("below_safety_stock_date") - pl.duration(days=pl.col("lead_days")),
        )
        .select(
            *_KEY,
            "supplier_id",
            "on_hand",
            "days_of_cover",
            "days_of_cover_unbounded",
            "stockout_date",
            "past_due_requirement",
            "demand_mean_daily",
            "demand_sd_daily",
            "lead_time_days",
            "lead_time_sd_days",
            "lead_time_source",
            "service_level",
            "z",
            "safety_stock",
            "reorder_point",
            "below_safety_stock_date",
            "order_qty",
            "order_policy",
            "order_by_date",
        )
        .sort(_KEY, nulls_last=True)
    )
