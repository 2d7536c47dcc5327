"""Process capability per series: Cp, Cpk (within-subgroup sigma) and Pp, Ppk (overall sigma).

Grain: one row per (product_id, characteristic) with at least 2 measurements.

- sigma_within is estimated as the series' control chart does (MRbar/1.128, mean R_i/d2,
  mean S_i/c4; chart chosen from the baseline, see ``twin_core.sim.quality.spc``), over every
  subgroup so far; sigma_overall is the sample standard deviation (ddof 1) of every value;
  mu is the mean of every value; n counts the values.
- Spec limits are each series' latest stated LSL and USL (a revised drawing replaces the
  old limits). Cp = (USL - LSL) / 6 sigma_within; Cpk = min(USL - mu, mu - LSL) / 3 sigma_within,
  one-sided where one limit is missing (Cp null then); Pp and Ppk likewise with sigma_overall.
  Without any limit, or with a zero sigma, the indices are null.
"""

from __future__ import annotations

import polars as pl

from twin_core.sim.quality.spc import SERIES, sigma_estimates, subgroups, with_chart


def _latest_spec(inspections: pl.LazyFrame, column: str) -> pl.LazyFrame:
    return (
        inspections.filter(pl.col(column).is_not_null())
        .sort([*SERIES, "ts", "lot_id"])
        .group_by(SERIES)
        .agg(pl.col(column).last())
    )


def _indices(spread: str, lsl: pl.Expr, usl: pl.Expr, mu: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    sigma = pl.when(pl.col(spread) > 0).then(pl.col(spread))
    both = (usl - lsl) / (6 * sigma)
    upper = (usl - mu) / (3 * sigma)
    lower = (mu - lsl) / (3 * sigma)
    # min_horizontal skips nulls, which is exactly the one-sided index.
    return both, pl.min_horizontal(upper, lower)


def capability(inspections: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """Capability of each series from its measurements.

    Input columns: product_id, characteristic, lot_id, ts, value, lsl, usl.
    Output: product_id, characteristic, n, cp, cpk, pp, ppk, mean, sigma_within,
    sigma_overall, lsl, usl.
    """
    groups = sigma_estimates(with_chart(subgroups(inspections), baseline_subgroups))
    within = groups.group_by(SERIES).agg(sigma_within=pl.col("sigma_est").mean())
    overall = inspections.group_by(SERIES).agg(
        n=pl.len().cast(pl.Int64),
        mean=pl.col("value").mean(),
        sigma_overall=pl.col("value").std(ddof=1),
    )
    lsl, usl, mu = pl.col("lsl"), pl.col("usl"), pl.col("mean")
    cp, cpk = _indices("sigma_within", lsl, usl, mu)
    pp, ppk = _indices("sigma_overall", lsl, usl, mu)
    return (
        overall.filter(pl.col("n") >= 2)
        .join(within, on=SERIES, how="left")
        .join(_latest_spec(inspections, "lsl"), on=SERIES, how="left")
        .join(_latest_spec(inspections, "usl"), on=SERIES, how="left")
        .select(
            *SERIES,
            "n",
            cp=cp,
            cpk=cpk,
            pp=pp,
            ppk=ppk,
            mean="mean",
            sigma_within="sigma_within",
            sigma_overall="sigma_overall",
            lsl="lsl",
            usl="usl",
        )
        .sort(SERIES)
    )
