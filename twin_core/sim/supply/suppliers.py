"""Supply: supplier lead times measured from purchase orders, and supplier performance and risk.

Grain: ``supplier_lead_times``, ``supplier_lead_deviation`` and ``supplier_performance``
give one row per supplier; ``material_lead_times`` one row per material.

- A PO is received at as_of when its received_date is on or before as_of (and it was
  ordered by then); its lead time is received_date - order_date in days, on time when
  received_date <= promised_date.
- A PO is open at as_of when ordered on or before as_of and not received by its end; it is
  late when its promised_date is on or before as_of (the snapshot describes the end of
  that day, so a delivery promised for it is already overdue).
- Material lead time L and its sd, measured from the supplier's received POs when it has
  at least ``min_history``: the material's planned (master) lead time plus the supplier's
  mean deviation from the planned lead times of what it delivered, and the sample sd of
  those deviations. Else master data with sd 0. Scenario delays add days to L.

Risk score (0..1, higher is riskier), a weighted sum of four parts each in 0..1 (weights in
``RiskWeights``, default 0.4 / 0.2 / 0.15 / 0.25):

- late: share of received POs late, smoothed with one pseudo on-time and one pseudo late
  PO, (late + 1) / (received + 2), so a supplier with no record counts 0.5, not 0;
- open_late: late open POs / open POs (0 without open POs);
- variability: sd of the lead times' deviations from plan over the mean lead time,
  capped at 1 (deviations, so different planned lead times do not count as spread);
- dependency: 1 - exp(-sum of exposure) over the (site, material) rows that depend on
  the supplier alone (no other supplier in master data or on any PO of the material),
  exposure = min(1, L / days_of_cover) (1 at no cover, 0 when cover is unbounded): many
  sole-sourced materials with short cover relative to the lead time push it towards 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "RiskWeights",
    "material_lead_times",
    "supplier_lead_deviation",
    "supplier_lead_times",
    "supplier_performance",
]


class RiskWeights(BaseModel):
    """Weights of the supplier risk score's parts; non-negative, summing to 1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    late: float = Field(default=0.4, ge=0, description="Share of received POs that came late.")
    open_late: float = Field(default=0.2, ge=0, description="Share of open POs already late.")
    variability: float = Field(
        default=0.15, ge=0, description="Lead-time coefficient of variation (capped at 1)."
    )
    dependency: float = Field(
        default=0.25, ge=0, description="Sole-sourced materials weighted by short cover."
    )

    @model_validator(mode="after")
    def _sum_to_one(self) -> RiskWeights:
        total = self.late + self.open_late + self.variability + self.dependency
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"risk weights must sum to 1, got {total}")
        return self


def _received(purchase_orders: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    return purchase_orders.filter(
        (pl.col("order_date") <= pl.lit(as_of))
        & pl.col("received_date").is_not_null()
        & (pl.col("received_date") <= pl.lit(as_of))
    )


def _open(purchase_orders: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    return purchase_orders.filter(
        (pl.col("order_date") <= pl.lit(as_of))
        & (pl.col("received_date").is_null() | (pl.col("received_date") > pl.lit(as_of)))
    )


def supplier_lead_times(purchase_orders: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Per supplier from POs received by as_of: received_pos, on_time_pos,
    lead_time_mean_days and lead_time_sd_days (sample sd, null below two POs)."""
    lead = (pl.col("received_date") - pl.col("order_date")).dt.total_days().cast(pl.Float64)
    return (
        _received(purchase_orders, as_of)
        .group_by("supplier_id")
        .agg(
            received_pos=pl.len().cast(pl.Int64),
            on_time_pos=(pl.col("received_date") <= pl.col("promised_date")).sum().cast(pl.Int64),
            lead_time_mean_days=lead.sort().mean(),
            lead_time_sd_days=lead.sort().std(),
        )
        .sort("supplier_id")
    )


def supplier_lead_deviation(
    purchase_orders: pl.LazyFrame, materials: pl.LazyFrame, *, as_of: date
) -> pl.LazyFrame:
    """Per supplier from POs received by as_of: how far their lead times (received_date -
    order_date) deviate from the planned lead time of their material (master data).

    Returns supplier_id, measured_pos (received POs of materials with a planned lead time),
    deviation_mean_days and deviation_sd_days (sample sd, null below two POs). Deviations,
    not raw lead times, so a supplier delivering materials with different planned lead
    times is not read as erratic.
    """
    planned = materials.select("material_id", planned=pl.col("lead_time_days"))
    deviation = (pl.col("received_date") - pl.col("order_date")).dt.total_days().cast(
        pl.Float64
    ) - pl.col("planned")
    return (
        _received(purchase_orders, as_of)
        .join(planned, on="material_id", how="inner")
        .filter(pl.col("planned").is_not_null())
        .group_by("supplier_id")
        .agg(
            measured_pos=pl.len().cast(pl.Int64),
            deviation_mean_days=deviation.sort().mean(),
            deviation_sd_days=deviation.sort().std(),
        )
        .sort("supplier_id")
    )


def material_lead_times(
    materials: pl.LazyFrame,
    purchase_orders: pl.LazyFrame,
    *,
    as_of: date,
    min_history: int,
    supplier_delays: Mapping[str, float] | None = None,
) -> pl.LazyFrame:
    """Lead time L and its sd per material, measured from its supplier's received POs.

    With at least ``min_history`` received POs, L = the material's planned lead_time_days
    plus the supplier's mean deviation from plan, sd_L = the sd of those deviations (when
    all of a supplier's materials share one planned lead time, exactly the mean and sd of
    received_date - order_date). Otherwise master data: planned lead time, sd 0. Scenario
    delays add days to L (never below 0). Returns material_id, supplier_id,
    lead_time_days, lead_time_sd_days, lead_time_source ('measured' or 'master').
    """
    deviations = supplier_lead_deviation(purchase_orders, materials, as_of=as_of)
    measured = pl.col("measured_pos").fill_null(0) >= min_history
    delay = (
        pl.col("supplier_id").replace_strict(
            dict(supplier_delays), default=0.0, return_dtype=pl.Float64
        )
        if supplier_delays
        else pl.lit(0.0)
    )
    return (
        materials.select("material_id", "supplier_id", "lead_time_days")
        .join(deviations, on="supplier_id", how="left")
        .select(
            "material_id",
            "supplier_id",
            lead_time_days=(
                pl.col("lead_time_days")
                + pl.when(measured).then(pl.col("deviation_mean_days")).otherwise(0.0)
                + delay
            ).clip(lower_bound=0.0),
            lead_time_sd_days=pl.when(measured)
            .then(pl.col("deviation_sd_days").fill_null(0.0))
            .otherwise(0.0),
            lead_time_source=pl.when(measured).then(pl.lit("measured")).otherwise(pl.lit("master")),
        )
        .sort("material_id")
    )


def _sole_sourced(materials: pl.LazyFrame, purchase_orders: pl.LazyFrame) -> pl.LazyFrame:
    """material_id -> supplier_id for materials with exactly one supplier anywhere."""
    pairs = pl.concat(
        [
            materials.select("material_id", "supplier_id"),
            purchase_orders.select("material_id", "supplier_id"),
        ],
        how="vertical_relaxed",
    ).unique()
    return (
        pairs.group_by("material_id")
        .agg(pl.col("supplier_id").first(), n=pl.col("supplier_id").n_unique())
        .filter(pl.col("n") == 1)
        .select("material_id", "supplier_id")
    )


def supplier_performance(
    purchase_orders: pl.LazyFrame,
    material_status: pl.LazyFrame,
    materials: pl.LazyFrame,
    suppliers: pl.LazyFrame,
    *,
    as_of: date,
    weights: RiskWeights | None = None,
) -> pl.LazyFrame:
    """Performance and risk per supplier (every supplier in master data, on a material or a PO).

    ``material_status``: site_id, material_id, days_of_cover, days_of_cover_unbounded,
    lead_time_days (from ``material_status`` of the same snapshot). Returns supplier_id,
    received_pos, on_time_rate (null without received POs), lead_time_mean_days,
    lead_time_sd_days, lead_time_deviation_mean_days and _sd_days (from plan, see
    ``supplier_lead_deviation``), open_pos, late_open_pos, sole_source_materials, the four risk parts
    (risk_late, risk_open_late, risk_variability, risk_dependency) and risk_score.
    """
    w = weights or RiskWeights()
    ids = (
        pl.concat(
            [
                suppliers.select("supplier_id"),
                materials.select("supplier_id"),
                purchase_orders.select("supplier_id"),
            ],
            how="vertical_relaxed",
        )
        .filter(pl.col("supplier_id").is_not_null())
        .unique()
    )
    history = supplier_lead_times(purchase_orders, as_of=as_of)
    deviation = supplier_lead_deviation(purchase_orders, materials, as_of=as_of).select(
        "supplier_id",
        lead_time_deviation_mean_days="deviation_mean_days",
        lead_time_deviation_sd_days="deviation_sd_days",
    )
    open_pos = (
        _open(purchase_orders, as_of)
        .group_by("supplier_id")
        .agg(
            open_pos=pl.len().cast(pl.Int64),
            late_open_pos=(pl.col("promised_date") <= pl.lit(as_of)).sum().cast(pl.Int64),
        )
    )
    cover = pl.col("days_of_cover")
    exposure = (
        pl.when(pl.col("days_of_cover_unbounded"))
        .then(0.0)
        .when(cover <= 0)
        .then(1.0)
        .otherwise((pl.col("lead_time_days").fill_null(0.0) / cover).clip(upper_bound=1.0))
    )
    dependency = (
        material_status.join(_sole_sourced(materials, purchase_orders), on="material_id")
        .group_by("supplier_id")
        .agg(
            sole_source_materials=pl.col("material_id").n_unique().cast(pl.Int64),
            exposure=exposure.sort().sum(),
        )
    )
    received = pl.col("received_pos")
    parts = {
        "risk_late": (received - pl.col("on_time_pos") + 1) / (received + 2),
        "risk_open_late": pl.when(pl.col("open_pos") > 0)
        .then(pl.col("late_open_pos") / pl.col("open_pos"))
        .otherwise(0.0),
        "risk_variability": (pl.col("lead_time_deviation_sd_days") / pl.col("lead_time_mean_days"))
        .fill_nan(None)
        .fill_null(0.0)
        .clip(0.0, 1.0),
        "risk_dependency": 1.0 - (-pl.col("exposure")).exp(),
    }
    score = (
        w.late * pl.col("risk_late")
        + w.open_late * pl.col("risk_open_late")
        + w.variability * pl.col("risk_variability")
        + w.dependency * pl.col("risk_dependency")
    )
    return (
        ids.join(history, on="supplier_id", how="left")
        .join(deviation, on="supplier_id", how="left")
        .join(open_pos, on="supplier_id", how="left")
        .join(dependency, on="supplier_id", how="left")
        .with_columns(
            pl.col("received_pos", "on_time_pos", "open_pos", "late_open_pos").fill_null(0),
            pl.col("sole_source_materials").fill_null(0),
            pl.col("exposure").fill_null(0.0),
        )
        .with_columns(
            on_time_rate=pl.when(received > 0).then(pl.col("on_time_pos") / received),
            **parts,
        )
        .with_columns(risk_score=score.clip(0.0, 1.0))
        .select(
            "supplier_id",
            "received_pos",
            "on_time_rate",
            "lead_time_mean_days",
            "lead_time_sd_days",
            "lead_time_deviation_mean_days",
            "lead_time_deviation_sd_days",
            "open_pos",
            "late_open_pos",
            "sole_source_materials",
            "risk_late",
            "risk_open_late",
            "risk_variability",
            "risk_dependency",
            "risk_score",
        )
        .sort("supplier_id")
    )
