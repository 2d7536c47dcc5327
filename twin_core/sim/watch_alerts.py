"""The quality watch's findings as alert rows: pure polars over what the nightly's own
computations return (run-rule violations, drift links, sensor status).

Grain: one row per finding, identified by ``alert_key``:

| kind | key | one finding is |
|---|---|---|
| spc | ``spc:<product>:<characteristic>:<lot>`` | a lot a run rule fired on (the rules listed) |
| drift | ``drift:<machine>:<metric>:<up/down>`` | a machine metric drifting one way |
| sensor | ``sensor:<sensor>:<status>:<since>`` | one sensor fault (stuck, dropout, out of range) |

Columns of every function's output: ALERT_SCHEMA.
"""

from __future__ import annotations

import polars as pl

__all__ = ["ALERT_SCHEMA", "drift_findings", "sensor_findings", "spc_findings"]

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


def spc_findings(
    violations: pl.LazyFrame, new_lots: pl.LazyFrame, lot_machines: pl.LazyFrame
) -> pl.LazyFrame:
    """One finding per (product, characteristic, lot) of ``new_lots`` that a rule fired on
    outside the baseline. ``violations``: ``twin_core.sim.spc.violations`` output;
    ``new_lots``: lot_id; ``lot_machines``: product_id, characteristic, lot_id, machine_id."""
    fired = (
        violations.filter(~pl.col("in_baseline").fill_null(False))
        .join(new_lots.select("lot_id").unique(), on="lot_id", how="semi")
        .group_by("product_id", "characteristic", "lot_id")
        .agg(
            rules=pl.col("rule").unique().sort(),
            charts=pl.format("{} {}", pl.col("chart"), pl.col("rule")).unique().sort(),
            value=pl.col("value").first(),
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
                "lot {} of {} {}: {} against the current snapshot's control limits "
                "(first measured {})",
                "lot_id",
                "product_id",
                "characteristic",
                pl.col("charts").list.join(", "),
                _ts(pl.col("data_ts")),
            ),
        )
    ).sort("alert_key")


def drift_findings(links: pl.LazyFrame, new_records: pl.LazyFrame) -> pl.LazyFrame:
    """One finding per (machine, metric, direction) alarming on a production record of
    ``new_records`` (record_id). ``links``: ``twin_core.sim.prequality.drift_links`` output."""
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
    """One finding per faulty sensor of ``status`` (``twin_core.sim.sensor_faults.sensor_status``
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
