"""Snapshot builder for inventory and supply: history.inventory_projection (site, material,
day), material_status (site, material), supplier_performance (supplier) and
uncovered_demand (product, demand day).

It loads the core tables, cuts them to what was known at the end of ``ctx.as_of``, gives
work orders and demand the site of their line, and calls ``twin_core.sim.supply.chain``.
Scenarios reuse ``load_supply_frames`` and ``supply_params`` with their own multipliers
and delays.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from twin_core.sim.supply.chain import SupplyFrames, SupplyParams, simulate_supply
from twin_core.twin.inputs import CoreInputs, SnapshotContext

__all__ = ["build", "latest_inventory", "load_supply_frames", "supply_params"]


def latest_inventory(inventory: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """The latest inventory row on or before as_of per site and material:
    site_id, material_id, on_hand, on_hand_as_of."""
    return (
        inventory.filter(pl.col("as_of") <= pl.lit(as_of))
        .sort("site_id", "material_id", "as_of")
        .group_by("site_id", "material_id")
        .agg(pl.col("on_hand").last(), on_hand_as_of=pl.col("as_of").last())
    )


def _line_sites(machines: pl.DataFrame) -> pl.LazyFrame:
    """line_id -> site_id from the machines on the line (the lowest, should a line span sites)."""
    return (
        machines.lazy()
        .filter(pl.col("line_id").is_not_null())
        .group_by("line_id")
        .agg(pl.col("site_id").min())
    )


def _product_sites(products: pl.DataFrame, line_sites: pl.LazyFrame) -> pl.LazyFrame:
    """product_id -> site_id when all its revisions' lines stand at one site, else null."""
    return (
        products.lazy()
        .join(line_sites, on="line_id", how="left")
        .group_by("product_id")
        .agg(site_id=pl.when(pl.col("site_id").n_unique() == 1).then(pl.col("site_id").first()))
    )


def load_supply_frames(inputs: CoreInputs) -> SupplyFrames:
    """The core tables the supply computation reads, with site_id attached."""
    line_sites = _line_sites(inputs.table("machines", ("line_id", "site_id")))
    product_sites = _product_sites(inputs.table("products", ("product_id", "line_id")), line_sites)
    work_orders = (
        inputs.table("work_orders", ("product_id", "line_id", "qty", "due_date", "status"))
        .lazy()
        .join(line_sites, on="line_id", how="left")
    )
    demand = (
        inputs.table("demand", ("product_id", "due_date", "qty"))
        .lazy()
        .join(product_sites, on="product_id", how="left")
    )
    return SupplyFrames(
        work_orders=work_orders,
        bom=inputs.table("bom", ("product_id", "material_id", "qty_per")).lazy(),
        on_hand=latest_inventory(inputs.table("inventory").lazy(), inputs.ctx.as_of),
        purchase_orders=inputs.table(
            "purchase_orders",
            (
                "po_id",
                "material_id",
                "supplier_id",
                "qty",
                "order_date",
                "promised_date",
                "received_date",
                "received_qty",
            ),
        ).lazy(),
        materials=inputs.table(
            "materials",
            (
                "material_id",
                "supplier_id",
                "unit_cost",
                "lead_time_days",
                "min_order_qty",
                "service_level",
            ),
        ).lazy(),
        suppliers=inputs.table("suppliers", ("supplier_id",)).lazy(),
        demand=demand,
    )


def supply_params(ctx: SnapshotContext) -> SupplyParams:
    """The baseline parameters of a snapshot, from its settings."""
    s = ctx.settings
    return SupplyParams(
        as_of=ctx.as_of,
        horizon_days=s.horizon_days,
        service_level_default=s.service_level_default,
        min_lead_time_history=s.min_lead_time_history,
        site_ids=ctx.site_ids,
    )


def build(inputs: CoreInputs, ctx: SnapshotContext) -> dict[str, pl.DataFrame]:
    """history.inventory_projection, material_status, supplier_performance, uncovered_demand."""
    frames = load_supply_frames(inputs)
    lazy = simulate_supply(frames, supply_params(ctx))
    names = list(lazy)
    tables = dict(zip(names, pl.collect_all([lazy[n] for n in names]), strict=True))
    # Where on_hand comes from (and so how stale it is) belongs next to it.
    stamps = frames.on_hand.select("site_id", "material_id", "on_hand_as_of").collect()
    tables["material_status"] = tables["material_status"].join(
        stamps, on=["site_id", "material_id"], how="left", nulls_equal=True
    )
    return tables
