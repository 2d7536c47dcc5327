"""Snapshot builder for quality: history.spc_limits and spc_violations (product,
characteristic: variables charts from inspections, attribute charts from defects),
capability (product, characteristic), quality_drift (machine, metric, product,
characteristic), lots_to_hold (lot, product, machine, reason), feedback_insights (product,
revision, category) and revision_flags (product, revision).

It loads the core tables, keeps what was known at the end of ``ctx.as_of`` in the plant
timezone (and the sites of ``ctx.site_ids``, if any), and calls the pure computations in
``twin_core.sim.quality``: spc, attributes, capability, prequality, holds and feedback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from twin_core.sim.quality import attributes, feedback, prequality, spc
from twin_core.sim.quality import holds as quality_holds
from twin_core.sim.quality.capability import capability
from twin_core.twin import sensor_cache
from twin_core.twin.inputs import CoreInputs, SnapshotContext

__all__ = ["build", "cutoff_utc"]

PARAMS = prequality.PrequalityParams()
# Row order of each table (joins do not keep order; the same inputs must give the same rows).
ORDER = {
    "spc_limits": ("product_id", "characteristic"),
    "spc_violations": ("product_id", "characteristic", "ts", "lot_id", "chart", "rule"),
    "capability": ("product_id", "characteristic"),
    "quality_drift": ("machine_id", "metric", "product_id", "characteristic"),
    "lots_to_hold": ("flagged_at", "lot_id", "reason", "machine_id", "product_id"),
    "feedback_insights": ("product_id", "revision", "category"),
    "revision_flags": ("product_id", "revision"),
}


def cutoff_utc(ctx: SnapshotContext) -> datetime:
    """The end of the as-of day in the plant timezone, as naive UTC (how core stores time)."""
    tz = ZoneInfo(ctx.settings.timezone)
    day_after = datetime.combine(ctx.as_of + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return day_after.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


class _Frames:
    """The core rows the quality computations read, cut at the as-of and to the sites."""

    def __init__(self, inputs: CoreInputs, ctx: SnapshotContext) -> None:
        end = pl.lit(cutoff_utc(ctx))
        machines = inputs.table("machines", ("machine_id", "line_id", "site_id", "line_position"))
        if ctx.site_ids:
            machines = machines.filter(pl.col("site_id").is_in(list(ctx.site_ids)))
        self.machines = machines.lazy()
        line_sites = self.machines.group_by("line_id").agg(pl.col("site_id").min())
        self.products = (
            inputs.table("products", ("product_id", "revision", "line_id"))
            .lazy()
            .join(line_sites.select("line_id"), on="line_id", how="semi")
        )
        # A product is at the site of its lines (the lowest id, should they span sites).
        self.product_sites = (
            self.products.join(line_sites, on="line_id")
            .group_by("product_id")
            .agg(pl.col("site_id").min())
        )
        kept_machines = self.machines.select("machine_id")
        self.inspections = (
            inputs.table("inspections")
            .lazy()
            .filter(pl.col("ts") < end)
            .join(kept_machines, on="machine_id", how="semi")
        )
        self.defects = (
            inputs.table("defects")
            .lazy()
            .filter(pl.col("ts") < end)
            .join(line_sites.select("line_id"), on="line_id", how="semi")
        )
        self.production = (
            inputs.table("production")
            .lazy()
            .filter(pl.col("end_ts") < end)
            .join(kept_machines, on="machine_id", how="semi")
        )
        self.feedback = (
            inputs.table("customer_feedback")
            .lazy()
            .filter(pl.col("received_at") < end)
            .join(self.product_sites.select("product_id"), on="product_id", how="semi")
        )
        since = cutoff_utc(ctx) - timedelta(days=PARAMS.lookback_days)
        self.hourly = (
            sensor_cache.quality_hourly(inputs, since, cutoff_utc(ctx))
            .lazy()
            .join(kept_machines, on="machine_id", how="semi")
        )


def _cached(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Materialize a frame several tables read: a lazy plan would recompute it for each."""
    return lf.collect().lazy()


def _spc(f: _Frames, ctx: SnapshotContext) -> dict[str, pl.LazyFrame]:
    baseline = ctx.settings.baseline_subgroups
    rules = ctx.settings.spc_rules
    groups = _cached(spc.subgroups(f.inspections))
    limits = _cached(spc.control_limits(groups, baseline))
    points = _cached(spc.chart_points(groups, limits, baseline))
    agroups = _cached(attributes.attribute_subgroups(f.defects))
    apoints = attributes.attribute_points(agroups, baseline)
    violations = _cached(pl.concat([spc.violations(points, rules), spc.violations(apoints, rules)]))
    cap = _cached(capability(f.inspections, baseline))

    features = _cached(prequality.lot_sensor_features(f.production, f.hourly))
    drift = prequality.sensor_drift(features, baseline, PARAMS)
    sens = prequality.sensitivity(features, groups)
    links = _cached(
        prequality.drift_links(drift, prequality.process_links(f.inspections), sens, PARAMS)
    )
    trend = quality_holds.characteristic_trend(points, cap, baseline, PARAMS)
    holds = quality_holds.lots_to_hold(
        links, trend, violations, quality_holds.lot_machines(f.inspections)
    )
    return {
        "spc_limits": pl.concat(
            [limits, attributes.attribute_limits(agroups, baseline)], how="vertical_relaxed"
        ),
        "spc_violations": violations,
        "capability": cap,
        "quality_drift": quality_holds.quality_drift(links, violations),
        "lots_to_hold": holds,
    }


def _feedback(f: _Frames) -> dict[str, pl.LazyFrame]:
    shipped = feedback.shipped_units(f.production, f.machines, f.products)
    links = feedback.feedback_links(f.feedback, f.production, f.machines, f.products)
    return {
        "feedback_insights": feedback.feedback_insights(links, shipped),
        "revision_flags": feedback.revision_rates(links, shipped, f.products),
    }


def _json_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns become JSON text (the warehouse's portable list format)."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(
        pl.Series(c, [json.dumps(v) for v in frame[c].to_list()], dtype=pl.String) for c in lists
    )


def build(inputs: CoreInputs, ctx: SnapshotContext) -> Mapping[str, pl.DataFrame]:
    """The quality tables of a snapshot."""
    f = _Frames(inputs, ctx)
    lazy = {**_spc(f, ctx), **_feedback(f)}
    machine_sites = f.machines.select("machine_id", machine_site="site_id")
    out: dict[str, pl.DataFrame] = {}
    for name, lf in lazy.items():
        sited = lf.join(f.product_sites, on="product_id", how="left")
        if "machine_id" in lf.collect_schema().names():
            # Where a machine is named, its site; else the product's.
            sited = (
                sited.join(machine_sites, on="machine_id", how="left")
                .with_columns(site_id=pl.coalesce("machine_site", "site_id"))
                .drop("machine_site")
            )
        out[name] = _json_lists(sited.sort(ORDER[name], nulls_last=True).collect())
    return out
