"""Pre-emptive quality: sensor drift on the machines that make a characteristic, caught
before the characteristic's control chart fires.

Links. A lot is made on machines (production records: lot_id, machine_id, start_ts, end_ts);
a characteristic is linked to a machine when its inspections name the machine (the process
link), or when the machine's sensor metric has measurably moved its lot means so far (the
measured link: OLS of lot means on the metric's production-window mean, p below
``sensitivity_alpha``).

Drift. Each (machine, metric) is a series of production records, ordered by start. Its
feature is the mean of the metric over the record's production window, from hourly means of
the readings taken while the machine ran (``sql/inputs/quality_sensor_hourly.sql``: idle and
down periods are not drift). Against a baseline of the machine's first ``baseline_subgroups``
records, z = (x - mean) / sd; an EWMA of z (clipped at +-4, lambda 0.2) alarms beyond its
exact limit L sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^2j)), L = 3, when the smoothed level
has also moved by at least ``min_relative_drift`` (5 %) of the baseline mean, on
``min_alarm_run`` (4) records in a row on one side, after the baseline.

Grain: ``lot_sensor_features`` and ``sensor_drift`` one row per production record and metric;
``sensitivity`` one row per product, characteristic, machine and metric; ``process_links`` one
row per product, characteristic and machine; ``drift_links`` one row per alarming record and
linked characteristic. What quality acts on (the characteristic trend, twin.quality_drift and
twin.lots_to_hold) is built from these in ``twin_core.sim.quality.holds``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

SERIES = ["product_id", "characteristic"]
DRIFT = ["machine_id", "metric"]


class PrequalityParams(BaseModel):
    """Knobs of the drift and trend detectors (defaults are the textbook EWMA chart)."""

    model_config = ConfigDict(frozen=True)

    ewma_lambda: float = Field(
        default=0.2, gt=0, le=1, description="EWMA weight of the newest point."
    )
    ewma_l: float = Field(default=3.0, gt=0, description="EWMA limit width in sigmas of the EWMA.")
    min_alarm_run: int = Field(
        default=4, ge=1, description="Alarming records in a row (one side) before a drift counts."
    )
    min_baseline: int = Field(
        default=5, ge=2, description="Baseline records a sensor series needs to be judged."
    )
    sensitivity_alpha: float = Field(
        default=0.001, gt=0, lt=1, description="p-value below which a measured link counts."
    )
    trend_window: int = Field(default=6, ge=3, description="Lot means the trend projection fits.")
    min_relative_drift: float = Field(
        default=0.05,
        ge=0,
        description="Smallest drift that counts, as a share of the baseline mean (EWMA level x "
        "baseline sd / |baseline mean|): statistics alone flag 0.5 % moves of a steady signal.",
    )
    lookback_days: int = Field(
        default=7,
        ge=1,
        description="Days of sensor history before the as-of day's end that drift is judged on "
        "(its baseline is the machine's first records in them): reading every sensor since the "
        "plant began would cost a bench-scale plant half a minute per day of history.",
    )
    z_clip: float = Field(
        default=4.0,
        gt=0,
        description="z is clipped to +-z_clip before the EWMA, so one wild record cannot "
        "carry the EWMA past its limit for many records on its own.",
    )


def lot_sensor_features(production: pl.LazyFrame, hourly: pl.LazyFrame) -> pl.LazyFrame:
    """Mean of each metric over each production record's window (hours it touches,
    weighted by readings). Input hourly: machine_id, metric, hour, mean_value, readings."""
    hours = production.select(
        "record_id",
        "machine_id",
        "product_id",
        "lot_id",
        "start_ts",
        "end_ts",
        hour=pl.datetime_ranges(
            pl.col("start_ts").dt.truncate("1h"), pl.col("end_ts").dt.truncate("1h"), "1h"
        ),
    ).explode("hour")
    return (
        hours.join(hourly, on=["machine_id", "hour"], how="inner")
        .group_by("record_id", "machine_id", "product_id", "lot_id", "start_ts", "end_ts", "metric")
        .agg(
            value=(pl.col("mean_value") * pl.col("readings")).sum() / pl.col("readings").sum(),
            readings=pl.col("readings").sum().cast(pl.Int64),
        )
        .sort([*DRIFT, "start_ts", "record_id"])
    )


def ewma(z: pl.Expr, by: list[str], lam: float, width: float) -> tuple[pl.Expr, pl.Expr]:
    """EWMA started at 0 and its exact limit, per series (rows sorted in order)."""
    j = pl.int_range(1, pl.len() + 1).over(by).cast(pl.Float64)
    # polars' recursive EWMA starts at the first point; remove that start to begin at 0.
    ewma = z.ewm_mean(alpha=lam, adjust=False).over(by) - (1 - lam) ** j * z.first().over(by)
    limit = width * (lam / (2 - lam) * (1 - (1 - lam) ** (2 * j))).sqrt()
    return ewma, limit


def runs(lf: pl.LazyFrame, by: list[str], up: pl.Expr, down: pl.Expr, k: int) -> pl.LazyFrame:
    """Add ``alarm``: ``k`` or more rows in a row alarming on the same side."""
    lf = lf.with_columns(_up=up.fill_null(False), _down=down.fill_null(False))
    lf = lf.with_columns(
        _up_id=pl.col("_up").rle_id().over(by), _down_id=pl.col("_down").rle_id().over(by)
    )
    return lf.with_columns(
        alarm=(pl.col("_up") & (pl.int_range(1, pl.len() + 1).over([*by, "_up_id"]) >= k))
        | (pl.col("_down") & (pl.int_range(1, pl.len() + 1).over([*by, "_down_id"]) >= k))
    ).drop("_up", "_down", "_up_id", "_down_id")


def sensor_drift(
    features: pl.LazyFrame, baseline_subgroups: int, params: PrequalityParams
) -> pl.LazyFrame:
    """Each record's metric against the machine's baseline: baseline_mean, baseline_sd, z,
    ewma, ewma_limit and ``alarm`` (after the baseline, ``min_alarm_run`` in a row)."""
    ordered = features.sort([*DRIFT, "start_ts", "record_id"]).with_columns(
        position=pl.int_range(1, pl.len() + 1).over(DRIFT)
    )
    base = (
        ordered.filter(pl.col("position") <= baseline_subgroups)
        .group_by(DRIFT)
        .agg(
            baseline_mean=pl.col("value").mean(),
            baseline_sd=pl.col("value").std(ddof=1),
            _nb=pl.len(),
        )
        .filter((pl.col("_nb") >= params.min_baseline) & (pl.col("baseline_sd") > 0))
        .drop("_nb")
    )
    clipped = pl.col("z").clip(-params.z_clip, params.z_clip)
    e, limit = ewma(clipped, DRIFT, params.ewma_lambda, params.ewma_l)
    # The drift's size comes from the unclipped values (the clip only guards the alarm).
    level, _ = ewma(pl.col("z"), DRIFT, params.ewma_lambda, params.ewma_l)
    scored = (
        ordered.join(base, on=DRIFT, how="inner")
        .sort([*DRIFT, "position"])
        .with_columns(z=(pl.col("value") - pl.col("baseline_mean")) / pl.col("baseline_sd"))
        .with_columns(ewma=e, ewma_limit=limit, _level=level)
        # The smoothed level in the metric's units, relative to its baseline: the drift size.
        .with_columns(
            drift_level=pl.col("baseline_mean") + pl.col("_level") * pl.col("baseline_sd"),
            relative_drift=pl.when(pl.col("baseline_mean") != 0).then(
                pl.col("_level") * pl.col("baseline_sd") / pl.col("baseline_mean").abs()
            ),
        )
        .drop("_level")
    )
    after = pl.col("position") > baseline_subgroups
    material = pl.col("relative_drift").abs().fill_null(float("inf")) >= params.min_relative_drift
    beyond = (pl.col("ewma").abs() > pl.col("ewma_limit")) & material
    return runs(
        scored,
        DRIFT,
        after & beyond & (pl.col("ewma") > 0),
        after & beyond & (pl.col("ewma") < 0),
        params.min_alarm_run,
    )


def _t_p_values(s: pl.Series) -> pl.Series:
    # scipy.stats takes about 0.7 s to import: loaded on first use, not when the nightly starts
    from scipy.stats import t as student_t

    r = s.struct.field("r").to_numpy().astype(float)
    n = s.struct.field("n").to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(r) * np.sqrt((n - 2) / np.clip(1 - r**2, 1e-300, None))
        p = 2 * student_t.sf(t, np.clip(n - 2, 1, None))
    return pl.Series(np.where((n > 2) & np.isfinite(r), p, np.nan)).fill_nan(None)


def sensitivity(features: pl.LazyFrame, lot_means: pl.LazyFrame) -> pl.LazyFrame:
    """OLS of a characteristic's lot means on a machine metric's window means over every lot
    so far: n, slope (characteristic units per metric unit), r, p_value (two-sided t test).

    lot_means: product_id, characteristic, lot_id, mean (``twin_core.sim.quality.spc.subgroups``).
    """
    x, y = pl.col("value"), pl.col("mean")
    pairs = features.group_by("product_id", "lot_id", *DRIFT).agg(value=pl.col("value").mean())
    return (
        pairs.join(lot_means.select(*SERIES, "lot_id", "mean"), on=["product_id", "lot_id"])
        .group_by(*SERIES, *DRIFT)
        .agg(
            n=pl.len().cast(pl.Int64),
            slope=pl.cov(x, y) / x.var(),
            r=pl.corr(x, y),
        )
        .with_columns(p_value=pl.struct("r", "n").map_batches(_t_p_values, return_dtype=pl.Float64))
        .sort([*SERIES, *DRIFT])
    )


def process_links(inspections: pl.LazyFrame) -> pl.LazyFrame:
    """(product_id, characteristic, machine_id): the machines a characteristic's inspections name."""
    return inspections.select(*SERIES, "machine_id").unique().sort([*SERIES, "machine_id"])


def drift_links(
    drift: pl.LazyFrame,
    links: pl.LazyFrame,
    sens: pl.LazyFrame,
    params: PrequalityParams,
) -> pl.LazyFrame:
    """Alarming records joined to the characteristics of their product linked to the machine:
    link (process / measured / both), slope and p_value of the measured sensitivity, and
    ``predicted_shift`` = slope x (value - baseline_mean) where the sensitivity is significant."""
    alarms = drift.filter("alarm")
    proc = alarms.join(links, on=["product_id", "machine_id"]).with_columns(_process=pl.lit(True))
    measured = sens.filter(pl.col("p_value") < params.sensitivity_alpha).select(
        *SERIES, *DRIFT, "slope", "p_value"
    )
    meas = alarms.join(measured.select(*SERIES, *DRIFT), on=["product_id", *DRIFT]).with_columns(
        _measured=pl.lit(True)
    )
    keys = ["record_id", *DRIFT, "characteristic"]
    both = (
        pl.concat([proc, meas], how="diagonal")
        .group_by(keys)
        .agg(
            pl.all().exclude("_process", "_measured").first(),
            _process=pl.col("_process").any(),
            _measured=pl.col("_measured").any(),
        )
    )
    link = (
        pl.when(pl.col("_process") & pl.col("_measured"))
        .then(pl.lit("both"))
        .when(pl.col("_process"))
        .then(pl.lit("process"))
        .otherwise(pl.lit("measured"))
    )
    return (
        both.join(
            sens.select(*SERIES, *DRIFT, "slope", "p_value"), on=[*SERIES, *DRIFT], how="left"
        )
        .with_columns(
            link=link,
            predicted_shift=pl.when(pl.col("p_value") < params.sensitivity_alpha).then(
                pl.col("slope") * (pl.col("value") - pl.col("baseline_mean"))
            ),
        )
        .drop("_process", "_measured")
        .sort([*DRIFT, "start_ts", "record_id", "characteristic"])
    )
