"""The inventory and supply part of a snapshot, from input frames to the four twin tables.

Grain of the outputs: ``inventory_projection`` one row per site, material and horizon day;
``material_status`` one row per site and material; ``supplier_performance`` one row per
supplier; ``uncovered_demand`` one row per product and demand day in the horizon.

This is the entry point for the rebuild (``twin_core.twin.supply``) and for scenarios: a
what-if passes the same frames with ``SupplyParams`` carrying demand multipliers per
product and supplier delays in days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from twin_core.sim.supply.inventory import (
    attribute_po_sites,
    days_of_cover,
    material_requirements,
    open_receipts,
    project_inventory,
)
from twin_core.sim.supply.replenishment import ReplenishmentPolicy, material_status
from twin_core.sim.supply.suppliers import (
    RiskWeights,
    material_lead_times,
    supplier_performance,
)
from twin_core.sim.supply.uncovered_demand import uncovered_demand

__all__ = ["SupplyFrames", "SupplyParams", "simulate_supply"]

# Longest lead time the projection window stretches to (beyond it, plans are fiction).
MAX_LEAD_DAYS = 366


class SupplyParams(BaseModel):
    """Everything that shapes the supply computation besides the data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: date = Field(description="The plant day the snapshot describes (data to its end).")
    horizon_days: int = Field(default=14, ge=1, description="Days the projection covers.")
    service_level_default: float = Field(
        default=0.95, gt=0, lt=1, description="Service level of materials that state none."
    )
    min_lead_time_history: int = Field(
        default=5, ge=2, description="Received POs before measured lead times replace master data."
    )
    demand_multipliers: dict[str, float] = Field(
        default_factory=dict,
        description="Scenario: factor on work-order requirements and demand, per product_id.",
    )
    supplier_delays: dict[str, float] = Field(
        default_factory=dict,
        description="Scenario: days added to a supplier's lead time and open promised dates.",
    )
    site_ids: tuple[str, ...] = Field(
        default=(), description="Sites to compute; empty means every site in the data."
    )
    policy: ReplenishmentPolicy = Field(default_factory=ReplenishmentPolicy)
    risk_weights: RiskWeights = Field(default_factory=RiskWeights)

    @field_validator("demand_multipliers")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: f for k, f in v.items() if not (f >= 0 and math.isfinite(f))}
        if bad:
            raise ValueError(f"demand multipliers must be finite and >= 0: {bad}")
        return v

    @field_validator("supplier_delays")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: d for k, d in v.items() if not math.isfinite(d)}
        if bad:
            raise ValueError(f"supplier delays must be finite days: {bad}")
        return v


@dataclass(frozen=True)
class SupplyFrames:
    """The inputs. Transactions may run past as_of (the functions cut them); site_id is
    the plant site (null where unknown).

    work_orders: site_id (of its line), product_id, qty, due_date, status. bom: product_id,
    material_id, qty_per. on_hand: site_id, material_id, on_hand (the latest inventory per
    site and material on or before as_of). purchase_orders: po_id, material_id,
    supplier_id, qty, order_date, promised_date, received_date, received_qty (no site in
    contract v1: ``attribute_po_sites`` places them). materials: material_id, supplier_id,
    unit_cost, lead_time_days, min_order_qty, service_level. suppliers: supplier_id.
    demand: site_id (of the product's line), product_id, due_date, qty.
    """

    work_orders: pl.LazyFrame
    bom: pl.LazyFrame
    on_hand: pl.LazyFrame
    purchase_orders: pl.LazyFrame
    materials: pl.LazyFrame
    suppliers: pl.LazyFrame
    demand: pl.LazyFrame


def simulate_supply(frames: SupplyFrames, params: SupplyParams) -> dict[str, pl.LazyFrame]:
    """inventory_projection, material_status, supplier_performance and uncovered_demand.

    Lazy frames; the steps several tables share are collected here once (the lead times
    also because their maximum sets the projection length).
    """
    as_of = params.as_of
    work_orders = _at_sites(frames.work_orders, params.site_ids)
    on_hand = _at_sites(frames.on_hand, params.site_ids)
    demand = _at_sites(frames.demand, params.site_ids)
    # The requirements, the projection and the status feed several later steps: they are
    # collected once here (measured: a third of the time of planning them lazily into
    # each consumer).
    requirements = (
        material_requirements(
            work_orders, frames.bom, as_of=as_of, demand_multipliers=params.demand_multipliers
        )
        .collect()
        .lazy()
    )
    material_sites = pl.concat(
        [on_hand.select("site_id", "material_id"), requirements.select("site_id", "material_id")],
        how="vertical_relaxed",
    )
    # Supplier history uses every PO (a supplier's record is not per site); receipts only
    # those of the selected sites.
    site_pos = _at_sites(
        attribute_po_sites(frames.purchase_orders, material_sites), params.site_ids
    )
    lead_times = material_lead_times(
        frames.materials,
        frames.purchase_orders,
        as_of=as_of,
        min_history=params.min_lead_time_history,
        supplier_delays=params.supplier_delays,
    ).collect()
    longest = lead_times.get_column("lead_time_days").max()
    extra = min(math.ceil(float(longest)), MAX_LEAD_DAYS) if isinstance(longest, float) else 0
    receipts = open_receipts(site_pos, as_of=as_of, supplier_delays=params.supplier_delays)
    # Projected past the horizon by the longest lead time, so an order whose order-by date
    # falls in the horizon for a shortage just after it is not missed.
    projection = (
        project_inventory(
            on_hand,
            requirements,
            receipts,
            as_of=as_of,
            days=params.horizon_days + extra,
        )
        .collect()
        .lazy()
    )
    cover = days_of_cover(on_hand, requirements, as_of=as_of)
    status = (
        material_status(
            projection,
            cover,
            lead_times.lazy(),
            frames.materials,
            as_of=as_of,
            horizon_days=params.horizon_days,
            service_level_default=params.service_level_default,
            policy=params.policy,
        )
        .collect()
        .lazy()
    )
    suppliers = supplier_performance(
        frames.purchase_orders,
        status,
        frames.materials,
        frames.suppliers,
        as_of=as_of,
        weights=params.risk_weights,
    )
    last_day = as_of + timedelta(days=params.horizon_days)
    return {
        "inventory_projection": projection.filter(pl.col("day") <= pl.lit(last_day)),
        "material_status": status,
        "supplier_performance": suppliers,
        "uncovered_demand": uncovered_demand(
            demand,
            work_orders,
            as_of=as_of,
            horizon_days=params.horizon_days,
            demand_multipliers=params.demand_multipliers,
        ),
    }


def _at_sites(frame: pl.LazyFrame, site_ids: tuple[str, ...]) -> pl.LazyFrame:
    return frame.filter(pl.col("site_id").is_in(site_ids)) if site_ids else frame
