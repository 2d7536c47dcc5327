"""The quality watch's findings as alert rows: pure polars over what the nightly's own
computations return (run-rule violations, drift links, sensor status).

Grain: one row per finding, identified by ``alert_key``:

| kind | key | one finding is |
|---|---|---|
| spc | ``spc:<product>:<characteristic>:<lot>`` | a lot whose run-rule firing is corroborated (``WatchRules``) |
| drift | ``drift:<machine>:<metric>:<up/down>`` | a machine metric drifting one way |
| sensor | ``sensor:<sensor>:<status>:<since>`` | one sensor fault (stuck, dropout, out of range) |

Columns of every function's output: ALERT_SCHEMA.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ALERT_SCHEMA",
    "WatchRules",
    "corroborated",
    "drift_findings",
    "sensor_findings",
    "spc_findings",
]

ALERT_SCHEMA: dict[str, pl.DataType] = {
    "alert_key": pl.String(),
    "kind": pl.String(),
    "lot_id": pl.String(),
    "product_id": pl.String(),
    "characteristic": pl.String(),
    "machine_id": pl.String(),
    "sensor_id": pl.String(),
    "rule": pl.String(),
    "evidence": pl.String(),
    "data_ts": pl.Datetime("us"),
}


def _ts(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m-%d %H:%M")


def _num(expr: pl.Expr) -> pl.Expr:
    return expr.round_sig_figs(4).cast(pl.String)


def _shape(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.select(
        [
            (pl.col(c) if c in lf.collect_schema().names() else pl.lit(None)).cast(t).alias(c)
            for c, t in ALERT_SCHEMA.items()
        ]
    )


class WatchRules(BaseModel):
    """When a control-chart firing is a hold: the watch holds a lot within the hour, so an
    isolated firing (Western Electric's four rules give one about every 90 in-control
    points) is not enough; the signal must be corroborated on the series' recent lots."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_lots: int = Field(
        default=5, ge=1, description="Recent lots of the series (this one included) looked at."
    )
    min_lots: int = Field(
        default=3, ge=1, description="Lots among them a rule fired on, this one included."
    )
    min_rules: int = Field(
        default=2,
        ge=1,
        description="Different rules among those firings, on charts checked with more than "
        "one rule (variables location charts); dispersion and attribute charts have rule 1.",
    )


LOCATION_CHARTS = ("X", "Xbar", "p", "np", "c", "u")
MULTI_RULE_CHARTS = ("X", "Xbar")


def corroborated(
    violations: pl.LazyFrame, positions: pl.LazyFrame, rules: WatchRules
) -> pl.LazyFrame:
    """The firings of ``violations`` on lots whose signal is corroborated (``WatchRules``):
    columns product_id, characteristic, lot_id, ts, chart, rules (the window's rules).
    ``positions``: product_id, characteristic, lot_id, position (the series' lot order)."""
    keys = ["product_id", "characteristic"]
    flagged = (
        violations.filter(~pl.col("in_baseline").fill_null(False))
        .join(positions.select(*keys, "lot_id", "position").unique(), on=[*keys, "lot_id"])
        .with_columns(
            family=pl.when(pl.col("chart").is_in(LOCATION_CHARTS))
            .then(pl.lit("location"))
            .otherwise(pl.lit("dispersion")),
            multi=pl.col("chart").is_in(MULTI_RULE_CHARTS),
        )
        .group_by(*keys, "family", "lot_id", "position")
        .agg(
            ts=pl.col("ts").min(),
            chart=pl.col("chart").first(),
            multi=pl.col("multi").any(),
            lot_rules=pl.col("rule").unique(),
        )
    )
    window = flagged.select(*keys, "family", w_position="position", w_rules="lot_rules")
    pairs = flagged.join(window, on=[*keys, "family"]).filter(
        (pl.col("w_position") <= pl.col("position"))
        & (pl.col("w_position") > pl.col("position") - rules.window_lots)
    )
    per_lot = pairs.group_by(*keys, "family", "lot_id", "position").agg(
        ts=pl.col("ts").first(),
        chart=pl.col("chart").first(),
        multi=pl.col("multi").first(),
        lots=pl.len(),
        rules=pl.col("w_rules").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
    )
    enough_rules = ~pl.col("multi") | (pl.col("rules").list.len() >= rules.min_rules)
    return per_lot.filter((pl.col("lots") >= rules.min_lots) & enough_rules).select(
        *keys, "lot_id", "ts", "chart", "rules", "lots"
    )


def spc_findings(
    firings: pl.LazyFrame,
    new_lots: pl.LazyFrame,
    lot_machines: pl.LazyFrame,
    rules: WatchRules,
) -> pl.LazyFrame:
    """One finding per (product, characteristic, lot) of ``new_lots`` (lot_id) whose firing is
    corroborated. ``firings``: ``corroborated`` output; ``lot_machines``: product_id,
    characteristic, lot_id, machine_id."""
    fired = (
        firings.join(new_lots.select("lot_id").unique(), on="lot_id", how="semi")
        .group_by("product_id", "characteristic", "lot_id")
        .agg(
            rules=pl.col("rules")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort(),
            charts=pl.col("chart").unique().sort(),
            lots=pl.col("lots").max(),
            data_ts=pl.col("ts").min(),
        )
        .join(lot_machines, on=["product_id", "characteristic", "lot_id"], how="left")
    )
    return _shape(
        fired.with_columns(
            kind=pl.lit("spc"),
            alert_key=pl.format("spc:{}:{}:{}", "product_id", "characteristic", "lot_id"),
            rule=pl.col("rules").list.join(","),
            evidence=pl.format(
                "lot {} of {} {} (first measured {}): {} on the {} chart, against the current "
                "snapshot's control limits; {} of the series' last {} lots fired",
                "lot_id",
                "product_id",
                "characteristic",
                _ts(pl.col("data_ts")),
                pl.col("rules").list.join(", "),
                pl.col("charts").list.join("/"),
                "lots",
                pl.lit(rules.window_lots),
            ),
        )
    ).sort("alert_key")


def drift_findings(links: pl.LazyFrame, new_records: pl.LazyFrame) -> pl.LazyFrame:
    """One finding per (machine, metric, direction) alarming on a production record of
    ``new_records`` (record_id). ``links``: ``twin_core.sim.quality.prequality.drift_links`` output."""
    alarms = (
        links.join(new_records.select("record_id").unique(), on="record_id", how="semi")
        .with_columns(
            direction=pl.when(pl.col("ewma") > 0).then(pl.lit("up")).otherwise(pl.lit("down"))
        )
        .sort("start_ts", "record_id")
        .group_by("machine_id", "metric", "direction")
        .agg(
            lot_id=pl.col("lot_id").first(),
            product_id=pl.col("product_id").first(),
            characteristic=pl.col("characteristic").unique().sort().str.join(", "),
            data_ts=pl.col("end_ts").min(),
            lots=pl.col("lot_id").n_unique(),
            value=pl.col("value").last(),
            baseline_mean=pl.col("baseline_mean").last(),
            ewma=pl.col("ewma").last(),
            limit=pl.col("ewma_limit").last(),
        )
    )
    return _shape(
        alarms.with_columns(
            kind=pl.lit("drift"),
            alert_key=pl.format("drift:{}:{}:{}", "machine_id", "metric", "direction"),
            rule=pl.format("drift:{}:{}", "metric", "direction"),
            evidence=pl.format(
                "{} of {} drifting {}: {} over its production windows against a baseline mean "
                "of {} (EWMA {} beyond its limit {} sd), {} new lot(s) from {}; linked: {}",
                "metric",
                "machine_id",
                "direction",
                _num(pl.col("value")),
                _num(pl.col("baseline_mean")),
                _num(pl.col("ewma")),
                _num(pl.col("limit")),
                "lots",
                "lot_id",
                "characteristic",
            ),
        )
    ).sort("alert_key")


def sensor_findings(status: pl.LazyFrame) -> pl.LazyFrame:
    """One finding per faulty sensor of ``status`` (``twin_core.sim.machines.sensor_faults.sensor_status``
    output); ok sensors give none."""
    bad = status.filter(pl.col("status") != "ok")
    since = pl.col("since").dt.strftime("%Y-%m-%dT%H:%M:%S").fill_null("silent")
    return _shape(
        bad.with_columns(
            kind=pl.lit("sensor"),
            alert_key=pl.format("sensor:{}:{}:{}", "sensor_id", "status", since),
            rule=pl.col("status"),
            data_ts=pl.col("since"),
        )
    ).sort("alert_key")
