"""Scenario comparisons: what a what-if changes against its baseline, in pure polars.

Grains of the outputs: ``instruction_changes`` one row per instruction that is new, dropped
or changed; ``line_output_delta`` one row per line; ``stockout_delta`` one row per site and
material. Inputs carry a ``variant`` column ('baseline' / 'scenario') where they hold both.
"""

from __future__ import annotations

import polars as pl

BASELINE, SCENARIO = "baseline", "scenario"
# An instruction is "the same" across variants when department and entity match; a
# different line, action, priority or due date makes it "changed".
_KEY = ("department", "entity_type", "entity_id")
_SIG = ("priority", "action", "due_date", "line_id")


def _numbered(frame: pl.LazyFrame) -> pl.LazyFrame:
    # Several instructions may share a key (two actions on one machine); pair them in a
    # stable order so an unchanged set compares equal.
    return frame.sort([*_KEY, "priority", "action"], nulls_last=True).with_columns(
        _n=pl.int_range(pl.len()).over(list(_KEY))
    )


def instruction_changes(baseline: pl.LazyFrame, scenario: pl.LazyFrame) -> pl.LazyFrame:
    """Instructions present only under the scenario (new), only in the baseline (dropped),
    or for the same department and entity with another action, priority, due date or line
    (changed). Columns: change, department, entity_type, entity_id, line_id (the
    scenario's, else the baseline's), baseline_/scenario_ priority, action, due_date, and
    reason."""
    cols = [*_KEY, *_SIG, "reason"]
    b = _numbered(baseline.select(cols)).rename({c: f"b_{c}" for c in (*_SIG, "reason")})
    s = _numbered(scenario.select(cols)).rename({c: f"s_{c}" for c in (*_SIG, "reason")})
    joined = b.join(s, on=[*_KEY, "_n"], how="full", coalesce=True, nulls_equal=True)
    in_b = pl.col("b_action").is_not_null()
    in_s = pl.col("s_action").is_not_null()
    same = pl.all_horizontal(pl.col(f"b_{c}").eq_missing(pl.col(f"s_{c}")) for c in _SIG)
    change = (
        pl.when(in_b & in_s & ~same)
        .then(pl.lit("changed"))
        .when(in_s & ~in_b)
        .then(pl.lit("new"))
        .when(in_b & ~in_s)
        .then(pl.lit("dropped"))
    )
    return (
        joined.with_columns(change=change)
        .filter(pl.col("change").is_not_null())
        .select(
            "change",
            *_KEY,
            line_id=pl.coalesce("s_line_id", "b_line_id"),
            baseline_priority=pl.col("b_priority"),
            scenario_priority=pl.col("s_priority"),
            baseline_action=pl.col("b_action"),
            scenario_action=pl.col("s_action"),
            baseline_due_date=pl.col("b_due_date"),
            scenario_due_date=pl.col("s_due_date"),
            reason=pl.coalesce("s_reason", "b_reason"),
        )
        .sort("department", "change", "entity_id", "scenario_action", nulls_last=True)
    )


def line_output_delta(line_forecast: pl.LazyFrame) -> pl.LazyFrame:
    """Per line over the horizon: required, baseline and scenario median output (p50), the
    difference, and the days each variant's p50 falls short of the requirement."""
    short = (pl.col("p50_qty") < pl.col("required_qty")).cast(pl.Int64)
    per_variant = line_forecast.group_by("line_id", "variant").agg(
        required_qty=pl.col("required_qty").sum(),
        p50_qty=pl.col("p50_qty").sum(),
        days_short=short.sum(),
    )
    b = per_variant.filter(pl.col("variant") == BASELINE).select(
        "line_id",
        "required_qty",
        baseline_p50_qty="p50_qty",
        baseline_days_short="days_short",
    )
    s = per_variant.filter(pl.col("variant") == SCENARIO).select(
        "line_id",
        scenario_required_qty="required_qty",
        scenario_p50_qty="p50_qty",
        scenario_days_short="days_short",
    )
    return (
        b.join(s, on="line_id", how="full", coalesce=True)
        .with_columns(delta_p50_qty=pl.col("scenario_p50_qty") - pl.col("baseline_p50_qty"))
        .sort("line_id")
    )


def stockout_delta(material_status: pl.LazyFrame) -> pl.LazyFrame:
    """Per site and material: stockout date and days of cover in each variant, and whether
    the scenario creates, removes or moves a stockout."""
    keys = ["site_id", "material_id"]
    cols = ["stockout_date", "days_of_cover", "order_by_date"]
    b = material_status.filter(pl.col("variant") == BASELINE).select(
        *keys, *[pl.col(c).alias(f"baseline_{c}") for c in cols]
    )
    s = material_status.filter(pl.col("variant") == SCENARIO).select(
        *keys, *[pl.col(c).alias(f"scenario_{c}") for c in cols]
    )
    bo, so = pl.col("baseline_stockout_date"), pl.col("scenario_stockout_date")
    effect = (
        pl.when(bo.is_null() & so.is_not_null())
        .then(pl.lit("new stockout"))
        .when(bo.is_not_null() & so.is_null())
        .then(pl.lit("stockout avoided"))
        .when(so < bo)
        .then(pl.lit("earlier stockout"))
        .when(so > bo)
        .then(pl.lit("later stockout"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return (
        b.join(s, on=keys, how="full", coalesce=True, nulls_equal=True)
        .with_columns(effect=effect)
        .sort(keys, nulls_last=True)
    )
