"""Inventory: material requirements, open receipts, the daily projection and days of cover.

Grain: ``material_requirements`` and ``open_receipts`` give one row per site, material and
day; ``project_inventory`` one row per site, material and day of the projection window;
``days_of_cover`` one row per site and material.

Conventions (README, "Inventory and supply"):

- Days are plant days. The snapshot describes the end of ``as_of``: on-hand is the stock at
  the end of its inventory day, and the projection starts on ``as_of + 1``.
- Requirement of a material on a day = sum over open work orders (planned, released,
  in_progress) due that day of ``qty x qty_per``, times an optional demand multiplier per
  product (scenarios). Open work orders already due on or before ``as_of`` are past due:
  their requirement is owed now and lands on the first projected day, kept apart in
  ``past_due_requirement`` so ``requirement`` stays exactly the definition above.
- Receipts: open purchase orders (ordered on or before ``as_of``, not received by its end)
  arrive on their promised date plus an optional supplier delay (scenarios) with their open
  quantity ``qty - received_qty`` (a partial receipt leaves the rest open). A promise already
  passed lands on the first projected day, as MRP treats past-due receipts.
- Inputs carry ``site_id`` (null where unknown); keys with a null site match each other.
- Sums sort their values first: the engine may combine partial sums in any order, and
  the same inputs must give bit-identical tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl

__all__ = [
    "OPEN_WORK_ORDER_STATUSES",
    "attribute_po_sites",
    "days_of_cover",
    "material_requirements",
    "open_receipts",
    "project_inventory",
]

OPEN_WORK_ORDER_STATUSES: tuple[str, ...] = ("planned", "released", "in_progress")

_KEY = ["site_id", "material_id"]


def _multiplier(column: str, factors: Mapping[str, float] | None) -> pl.Expr:
    """Factor per id from a mapping, 1.0 for ids it does not name."""
    if not factors:
        return pl.lit(1.0)
    return (
        pl.col(column)
        .replace_strict(dict(factors), default=1.0, return_dtype=pl.Float64)
        .cast(pl.Float64)
    )


def _days_after(column: str, start: date) -> pl.Expr:
    return (pl.col(column) - pl.lit(start)).dt.total_days()


def material_requirements(
    work_orders: pl.LazyFrame,
    bom: pl.LazyFrame,
    *,
    as_of: date,
    demand_multipliers: Mapping[str, float] | None = None,
) -> pl.LazyFrame:
    """Daily requirement per site and material from open work orders and the BOM.

    ``work_orders``: site_id, product_id, qty, due_date, status. ``bom``: product_id,
    material_id, qty_per. Returns site_id, material_id, day (>= as_of + 1), requirement
    (work orders due that day) and past_due_requirement (open work orders due on or before
    as_of, all on the first day). Every known future day is returned, not only a horizon.
    """
    first_day = as_of + timedelta(days=1)
    orders = work_orders.filter(pl.col("status").is_in(OPEN_WORK_ORDER_STATUSES)).with_columns(
        qty=pl.col("qty") * _multiplier("product_id", demand_multipliers),
        past_due=pl.col("due_date") <= pl.lit(as_of),
    )
    lines = orders.join(bom.select("product_id", "material_id", "qty_per"), on="product_id")
    qty = pl.col("qty") * pl.col("qty_per")
    return (
        lines.with_columns(
            day=pl.when(pl.col("past_due")).then(pl.lit(first_day)).otherwise(pl.col("due_date"))
        )
        .group_by([*_KEY, "day"])
        .agg(
            requirement=qty.filter(~pl.col("past_due")).sort().sum().cast(pl.Float64),
            past_due_requirement=qty.filter(pl.col("past_due")).sort().sum().cast(pl.Float64),
        )
        .sort([*_KEY, "day"], nulls_last=True)
    )


def open_receipts(
    purchase_orders: pl.LazyFrame,
    *,
    as_of: date,
    supplier_delays: Mapping[str, float] | None = None,
) -> pl.LazyFrame:
    """Expected receipts per site, material and day from purchase orders open at as_of.

    ``purchase_orders``: site_id, material_id, supplier_id, qty, order_date, promised_date,
    received_date, received_qty. A PO is open at as_of when it was ordered on or before
    as_of and has no received_date on or before as_of; a PO received after as_of was still
    fully open then. Its open quantity is ``qty - received_qty`` (received_qty counts only
    while received_date is null: a partial receipt). ``supplier_delays`` adds whole days
    (rounded up) to the promised dates of a supplier's open POs.
    """
    first_day = as_of + timedelta(days=1)
    received_by_as_of = pl.col("received_date").is_not_null() & (
        pl.col("received_date") <= pl.lit(as_of)
    )
    partial = pl.when(pl.col("received_date").is_null()).then(pl.col("received_qty").fill_null(0.0))
    delay = (
        pl.col("supplier_id").replace_strict(
            {k: math.ceil(v) for k, v in supplier_delays.items()},
            default=0,
            return_dtype=pl.Int64,
        )
        if supplier_delays
        else pl.lit(0, dtype=pl.Int64)
    )
    arrival = pl.col("promised_date") + pl.duration(days=delay)
    return (
        purchase_orders.filter((pl.col("order_date") <= pl.lit(as_of)) & ~received_by_as_of)
        .with_columns(
            open_qty=(pl.col("qty") - partial.otherwise(0.0)).clip(lower_bound=0.0),
            day=pl.max_horizontal(arrival, pl.lit(first_day)),
        )
        .filter(pl.col("open_qty") > 0)
        .group_by([*_KEY, "day"])
        .agg(receipts=pl.col("open_qty").sort().sum().cast(pl.Float64))
        .sort([*_KEY, "day"], nulls_last=True)
    )


def attribute_po_sites(purchase_orders: pl.LazyFrame, material_sites: pl.LazyFrame) -> pl.LazyFrame:
    """Give each purchase order a site_id: contract v1 POs carry none, so a PO goes to the
    lowest site_id among the sites that hold or require its material (``material_sites``:
    site_id, material_id), null when no site does. Exact for one-site plants; with several
    sites per material the receipts all land at one of them (a known gap of contract v1)."""
    first_site = (
        material_sites.filter(pl.col("site_id").is_not_null())
        .group_by("material_id")
        .agg(pl.col("site_id").min())
    )
    return purchase_orders.drop("site_id", strict=False).join(
        first_site, on="material_id", how="left"
    )


def project_inventory(
    on_hand: pl.LazyFrame,
    requirements: pl.LazyFrame,
    receipts: pl.LazyFrame,
    *,
    as_of: date,
    days: int,
) -> pl.LazyFrame:
    """Projected on-hand per site, material and day for ``days`` days after as_of.

    ``on_hand``: site_id, material_id, on_hand (missing keys start at 0). Every key found in
    any input gets every day. Returns site_id, material_id, day, opening_on_hand,
    past_due_requirement, requirement, receipts, closing_on_hand, where
    closing = opening - past_due_requirement - requirement + receipts and the next day opens
    with the previous close. Negative closing means a shortage (a stockout).
    """
    if days < 1:
        raise ValueError(f"the projection needs at least one day, got {days}")
    first_day = as_of + timedelta(days=1)
    grid_days = pl.LazyFrame(
        {"day": pl.date_range(first_day, as_of + timedelta(days=days), eager=True)}
    )
    keys = pl.concat(
        [f.select(_KEY) for f in (on_hand, requirements, receipts)], how="vertical_relaxed"
    ).unique()
    stock = on_hand.group_by(_KEY).agg(on_hand=pl.col("on_hand").sort().sum().cast(pl.Float64))
    flow_total = (
        pl.col("past_due_requirement") + pl.col("requirement") - pl.col("receipts")
    ).cum_sum()
    return (
        keys.join(grid_days, how="cross")
        .join(stock, on=_KEY, how="left", nulls_equal=True)
        .join(requirements, on=[*_KEY, "day"], how="left", nulls_equal=True)
        .join(receipts, on=[*_KEY, "day"], how="left", nulls_equal=True)
        .with_columns(
            pl.col("on_hand", "requirement", "past_due_requirement", "receipts").fill_null(0.0)
        )
        .sort([*_KEY, "day"], nulls_last=True)
        .with_columns(closing_on_hand=pl.col("on_hand") - flow_total.over(_KEY))
        .with_columns(
            opening_on_hand=pl.col("closing_on_hand")
            + pl.col("past_due_requirement")
            + pl.col("requirement")
            - pl.col("receipts")
        )
        .select(
            *_KEY,
            "day",
            "opening_on_hand",
            "past_due_requirement",
            "requirement",
            "receipts",
            "closing_on_hand",
        )
    )


def days_of_cover(
    on_hand: pl.LazyFrame, requirements: pl.LazyFrame, *, as_of: date
) -> pl.LazyFrame:
    """Time-phased days of cover per site and material, on-hand only (no receipts).

    Walks the daily requirements forward from as_of + 1 and counts the fractional last day:
    stock 10 against 2, 3, 4, 2 covers 3 full days and half of the fourth, 3.5. Past-due
    requirement is owed first (stock below it covers 0 days). Stock that no known
    requirement exhausts (including no future demand at all) is unbounded: days_of_cover
    null and days_of_cover_unbounded true, never a large number.
    """
    stock = on_hand.group_by(_KEY).agg(on_hand=pl.col("on_hand").sort().sum().cast(pl.Float64))
    req = requirements.with_columns(
        need=pl.col("past_due_requirement") + pl.col("requirement"),
        offset=_days_after("day", as_of),
    ).filter(pl.col("need") > 0)
    walked = (
        req.join(stock, on=_KEY, how="left", nulls_equal=True)
        .with_columns(pl.col("on_hand").fill_null(0.0))
        .sort([*_KEY, "day"], nulls_last=True)
        .with_columns(cum_need=pl.col("need").cum_sum().over(_KEY))
        .filter(pl.col("cum_need") > pl.col("on_hand"))
        .group_by(_KEY)
        .agg(pl.all().sort_by("day").first())
        .with_columns(
            # Stock left for the day that exhausts it, after any past-due share (owed before
            # the day starts, so it takes no time): that day counts the fraction it covers.
            left=pl.col("on_hand")
            - (pl.col("cum_need") - pl.col("need"))
            - pl.col("past_due_requirement"),
        )
        .with_columns(
            cover=(pl.col("offset") - 1).cast(pl.Float64)
            + pl.when((pl.col("left") > 0) & (pl.col("requirement") > 0))
            .then(pl.col("left") / pl.col("requirement"))
            .otherwise(0.0)
        )
        .select(*_KEY, "cover")
    )
    keys = pl.concat([stock.select(_KEY), req.select(_KEY)], how="vertical_relaxed").unique()
    return (
        keys.join(stock, on=_KEY, how="left", nulls_equal=True)
        .join(walked, on=_KEY, how="left", nulls_equal=True)
        .select(
            *_KEY,
            on_hand=pl.col("on_hand").fill_null(0.0),
            days_of_cover=pl.col("cover"),
            days_of_cover_unbounded=pl.col("cover").is_null(),
        )
        .sort(_KEY, nulls_last=True)
    )
