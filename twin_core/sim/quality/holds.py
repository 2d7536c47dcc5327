"""What quality acts on: drifts that threaten a characteristic, and the lots to hold.

Grain: ``characteristic_trend`` one row per variables lot (EWMA of its series' standardized
lot means, and the trend projected to the nearer spec limit); ``quality_drift`` one row per
machine, sensor metric, product and characteristic that drifted (with the lead it had over
the characteristic's first run rule); ``lots_to_hold`` one row per lot, product, machine and
reason, with the evidence in words:

- ``sensor_drift``: the lot was made on a machine whose sensor drifted (``prequality``) and
  a characteristic of the product is linked to that machine;
- ``characteristic_trend``: the EWMA of the characteristic alarms on a lot no run rule flagged;
- ``spc_violation``: a run rule flagged the lot on a location chart after the baseline.
"""

from __future__ import annotations

import polars as pl

from twin_core.sim.quality.prequality import DRIFT, SERIES, PrequalityParams, ewma, runs

VARIABLES_LOCATION = ("X", "Xbar")


def _num(expr: pl.Expr) -> pl.Expr:
    """A number for evidence text: 4 significant digits."""
    return expr.round_sig_figs(4).cast(pl.String)


def _p(expr: pl.Expr) -> pl.Expr:
    """A p-value for evidence text: 2 significant digits, or "<0.001"."""
    return pl.when(expr < 0.001).then(pl.lit("<0.001")).otherwise(_num(expr.round_sig_figs(2)))


def lot_machines(inspections: pl.LazyFrame) -> pl.LazyFrame:
    """The machine a characteristic's inspections name for each lot (first by id if several)."""
    return inspections.group_by(*SERIES, "lot_id").agg(machine_id=pl.col("machine_id").min())


def characteristic_trend(
    points: pl.LazyFrame,
    specs: pl.LazyFrame,
    baseline_subgroups: int,
    params: PrequalityParams,
) -> pl.LazyFrame:
    """EWMA of each variables series' z (location chart), ``alarm`` after the baseline, and a
    straight line through the last ``trend_window`` lot means: slope per lot, the limit it
    heads for (``toward``: USL or LSL) and ``lots_to_limit``.

    specs: product_id, characteristic, lsl, usl (``twin_core.sim.quality.capability``).
    """
    w = params.trend_window
    loc = (
        points.filter((pl.col("kind") == "location") & pl.col("chart").is_in(VARIABLES_LOCATION))
        .sort([*SERIES, "position"])
        .with_columns(pl.col("z").clip(-1e6, 1e6))  # a zero-variance series gives +-inf
    )
    e, limit = ewma(pl.col("z"), SERIES, params.ewma_lambda, params.ewma_l)
    pos = pl.col("position").cast(pl.Float64)
    slope = pl.rolling_cov(pos, pl.col("value"), window_size=w).over(SERIES) / pos.rolling_var(
        w
    ).over(SERIES)
    scored = (
        loc.with_columns(ewma=e, ewma_limit=limit, slope=slope)
        .join(specs.select(*SERIES, "lsl", "usl"), on=SERIES, how="left")
        .sort([*SERIES, "position"])  # joins do not keep row order; the runs need it
    )
    target = (
        pl.when(pl.col("slope") > 0)
        .then(pl.col("usl"))
        .when(pl.col("slope") < 0)
        .then(pl.col("lsl"))
    )
    lots = (target - pl.col("value")) / pl.col("slope")
    after = pl.col("position") > baseline_subgroups
    beyond = pl.col("ewma").abs() > pl.col("ewma_limit")
    return runs(
        scored.with_columns(
            toward=pl.when(pl.col("slope") > 0)
            .then(pl.lit("USL"))
            .when(pl.col("slope") < 0)
            .then(pl.lit("LSL")),
            limit_value=target,
            lots_to_limit=pl.when(lots >= 0).then(lots),
        ),
        SERIES,
        after & beyond & (pl.col("ewma") > 0),
        after & beyond & (pl.col("ewma") < 0),
        params.min_alarm_run,
    )


def quality_drift(links: pl.LazyFrame, violations: pl.LazyFrame) -> pl.LazyFrame:
    """One row per machine, metric, product and characteristic with an alarming record.

    links: ``prequality.drift_links``; violations: ``spc.violations`` (location charts count).
    first_rule_ts is the first run rule on the characteristic's location chart at or after the
    first alarming record started; lead_hours how long the drift flag came before it.
    """
    keys = [*DRIFT, *SERIES]
    first = (
        links.sort("end_ts", "record_id")
        .group_by(keys)
        .agg(
            first_alarm_ts=pl.col("end_ts").first(),
            first_alarm_start=pl.col("start_ts").first(),
            first_alarm_lot=pl.col("lot_id").first(),
            last_alarm_ts=pl.col("end_ts").last(),
            alarm_lots=pl.col("lot_id").n_unique().cast(pl.Int64),
            direction=pl.when(pl.col("ewma").first() > 0)
            .then(pl.lit("up"))
            .otherwise(pl.lit("down")),
            baseline_mean=pl.col("baseline_mean").first(),
            baseline_sd=pl.col("baseline_sd").first(),
            drift_level=pl.col("drift_level").last(),
            max_ewma=pl.col("ewma").abs().max(),
            link=pl.col("link").first(),
            slope=pl.col("slope").first(),
            p_value=pl.col("p_value").first(),
            predicted_shift=pl.col("predicted_shift").last(),
        )
    )
    rules = violations.filter(
        pl.col("chart").is_in(VARIABLES_LOCATION) & ~pl.col("in_baseline")
    ).select(*SERIES, rule_ts="ts")
    first_rule = (
        first.select(*keys, "first_alarm_start")
        .join(rules, on=SERIES)
        .filter(pl.col("rule_ts") >= pl.col("first_alarm_start"))
        .group_by(keys)
        .agg(first_rule_ts=pl.col("rule_ts").min())
    )
    lead = (pl.col("first_rule_ts") - pl.col("first_alarm_ts")).dt.total_seconds() / 3600.0
    evidence = pl.format(
        "{} on {} drifted {} from {} (baseline sd {}) to {} over {} lot(s) from {}; "
        "{} of {} is {}; {}",
        pl.col("metric"),
        pl.col("machine_id"),
        pl.col("direction"),
        _num(pl.col("baseline_mean")),
        _num(pl.col("baseline_sd")),
        _num(pl.col("drift_level")),
        pl.col("alarm_lots"),
        pl.col("first_alarm_ts").dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("characteristic"),
        pl.col("product_id"),
        pl.when(pl.col("link") == "process")
        .then(pl.format("made on {}", pl.col("machine_id")))
        .otherwise(
            pl.format(
                "{}moved by it ({} per unit, p {})",
                pl.when(pl.col("link") == "both")
                .then(pl.format("made on {} and ", pl.col("machine_id")))
                .otherwise(pl.lit("")),
                _num(pl.col("slope")),
                _p(pl.col("p_value")),
            )
        ),
        pl.when(pl.col("first_rule_ts").is_null())
        .then(pl.lit("no run rule has fired on it since"))
        .otherwise(pl.format("its first run rule fired {} h later", _num(pl.col("lead_hours")))),
    )
    return (
        first.join(first_rule, on=keys, how="left")
        .with_columns(lead_hours=lead)
        .with_columns(evidence=evidence)
        .drop("first_alarm_start")
        .sort(keys)
    )


def _drift_holds(links: pl.LazyFrame, flagged_lots: pl.LazyFrame) -> pl.LazyFrame:
    part = pl.format(
        "{} {} vs baseline {} +- {} (EWMA {} sd, limit {}); {} {}{}",
        pl.col("metric"),
        _num(pl.col("value")),
        _num(pl.col("baseline_mean")),
        _num(pl.col("baseline_sd")),
        _num(pl.col("ewma")),
        _num(pl.col("ewma_limit")),
        pl.col("characteristic"),
        pl.when(pl.col("link") == "process")
        .then(pl.lit("is made on this machine"))
        .when(pl.col("link") == "both")
        .then(pl.lit("is made on this machine and moves with this metric"))
        .otherwise(pl.lit("moves with this metric")),
        pl.when(pl.col("predicted_shift").is_not_null())
        .then(pl.format(", predicted shift {}", _num(pl.col("predicted_shift"))))
        .otherwise(pl.lit("")),
    )
    return (
        links.with_columns(_part=part)
        .join(flagged_lots, on=["product_id", "lot_id"], how="left")
        .sort("metric", "characteristic", "start_ts", "record_id")
        .group_by("lot_id", "product_id", "machine_id")
        .agg(
            flagged_at=pl.col("end_ts").max(),
            characteristics=pl.col("characteristic").unique().sort(),
            _parts=pl.col("_part").unique(maintain_order=True),
            _rules=pl.col("rules").first(),
        )
        .select(
            "lot_id",
            "product_id",
            "machine_id",
            reason=pl.lit("sensor_drift"),
            evidence=pl.format(
                "sensor drift on {} while making the lot: {}; {}",
                pl.col("machine_id"),
                pl.col("_parts").list.join("; "),
                pl.when(pl.col("_rules").is_null())
                .then(pl.lit("no run rule has flagged this lot"))
                .otherwise(pl.format("run rules on this lot: {}", pl.col("_rules"))),
            ),
            flagged_at="flagged_at",
            characteristics="characteristics",
        )
    )


def lots_to_hold(
    links: pl.LazyFrame,
    trend: pl.LazyFrame,
    violations: pl.LazyFrame,
    machines_of_lots: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per lot, product, machine and reason: evidence, flagged_at, characteristics."""
    post = violations.filter(pl.col("chart").is_in(VARIABLES_LOCATION) & ~pl.col("in_baseline"))
    lot_rules = (
        post.sort("characteristic", "rule")
        .with_columns(_r=pl.format("{} on {}", pl.col("rule"), pl.col("characteristic")))
        .group_by("product_id", "lot_id")
        .agg(rules=pl.col("_r").unique(maintain_order=True))
        .with_columns(pl.col("rules").list.join(", "))
    )
    spc_holds = (
        post.join(machines_of_lots, on=[*SERIES, "lot_id"], how="left")
        .sort("characteristic", "rule")
        .with_columns(
            _what=pl.format(
                "{} on {} (lot mean {})",
                pl.col("rule"),
                pl.col("characteristic"),
                _num(pl.col("value")),
            )
        )
        .group_by("lot_id", "product_id", "machine_id")
        .agg(
            flagged_at=pl.col("ts").min(),
            characteristics=pl.col("characteristic").unique().sort(),
            _what=pl.col("_what").unique(maintain_order=True),
        )
        .select(
            "lot_id",
            "product_id",
            "machine_id",
            reason=pl.lit("spc_violation"),
            evidence=pl.format("run rules fired: {}", pl.col("_what").list.join(", ")),
            flagged_at="flagged_at",
            characteristics="characteristics",
        )
    )
    quiet = trend.filter("alarm").join(
        post.select(*SERIES, "lot_id"), on=[*SERIES, "lot_id"], how="anti"
    )
    projection = (
        pl.when(pl.col("lots_to_limit").is_not_null())
        .then(
            pl.format(
                ", last lot means moving {} per lot toward {} {} (about {} lots away)",
                _num(pl.col("slope")),
                pl.col("toward"),
                _num(pl.col("limit_value")),
                _num(pl.col("lots_to_limit")),
            )
        )
        .otherwise(pl.lit(""))
    )
    trend_holds = (
        quiet.join(machines_of_lots, on=[*SERIES, "lot_id"], how="left")
        .with_columns(
            _what=pl.format(
                "{} lot mean {}, EWMA {} sd (limit {}){}",
                pl.col("characteristic"),
                _num(pl.col("value")),
                _num(pl.col("ewma")),
                _num(pl.col("ewma_limit")),
                projection,
            )
        )
        .sort("characteristic")
        .group_by("lot_id", "product_id", "machine_id")
        .agg(
            flagged_at=pl.col("ts").min(),
            characteristics=pl.col("characteristic").unique().sort(),
            _what=pl.col("_what"),
        )
        .select(
            "lot_id",
            "product_id",
            "machine_id",
            reason=pl.lit("characteristic_trend"),
            evidence=pl.format("trending before any run rule: {}", pl.col("_what").list.join("; ")),
            flagged_at="flagged_at",
            characteristics="characteristics",
        )
    )
    return pl.concat([_drift_holds(links, lot_rules), trend_holds, spc_holds]).sort(
        "flagged_at", "lot_id", "reason", "machine_id"
    )
