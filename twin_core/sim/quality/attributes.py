"""Attribute control charts (p, np, c, u) from the defects extract.

Series, one chart each:
- ``defect:<code>`` per product and defect code: defective units of that code per lot,
  a binomial count (defect_qty <= inspected_qty), so a p or np chart;
- ``defects:all`` per product: all defects of a lot, summed over codes (a unit can carry
  several), a count of nonconformities, so a c or u chart.

Choice rule: when every baseline lot inspected the same quantity, the count chart (np, c);
otherwise the rate chart (p, u), whose limits follow each lot's own inspected quantity.
A lot of a product inspected for any code counts 0 for the codes it did not report.

Limits come from the baseline lots (the first ``baseline_subgroups`` of the series by time):
the rate r = sum(defects) / sum(inspected); a series whose baseline found no defect gets no
chart (no rate to judge by; the defects:all chart still sees a new failure mode). Each lot
is judged at its own size n_i. Where the baseline expects at least 5 defects per lot, the
textbook 3-sigma limits: p: r +- 3 sqrt(r(1-r)/n_i); np: n_i r +- 3 sqrt(n_i r(1-r));
u: r +- 3 sqrt(r/n_i); c: n_i r +- 3 sqrt(n_i r); lower limits clipped at 0. Below that the
normal approximation fails (one defect in a lot of 30 at r = 0.2 % is "beyond 3 sigma"), so
the limits are exact probability limits with the same 0.135 % tail on each side: a lot is
beyond when P(X >= its count) or P(X <= its count) under Binomial(n_i, r) (p, np) or
Poisson(n_i r) (c, u) is below that. ``limit_method`` says which. Counts are discrete and
skewed, so attribute charts are judged with rule 1 only (points beyond the limits).

Sizes are kept exact: a u chart over 9.5 units of cloth judges that lot at n = 9.5 (qcc's
``dyedcloth``). A p or np chart counts defective units, so only lots inspected in whole units
enter the ``defect:<code>`` series; a lot with a fractional inspected_qty is on the u chart
only (validation promotes it and warns under ``inspected_whole_units``; set to "error", that
rule quarantines such rows instead).

Grain: ``attribute_points`` one row per series and lot; ``attribute_limits`` one row per series.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SERIES = ["product_id", "characteristic"]
ALL_DEFECTS = "defects:all"
# One-sided tail of a 3-sigma limit under normality: the false-alarm rate probability limits keep.
TAIL = 0.00135
# Expected defects per lot from which the normal 3-sigma limits are good enough.
MIN_EXPECTED = 5.0
CODE_PREFIX = "defect:"


def attribute_subgroups(defects: pl.LazyFrame) -> pl.LazyFrame:
    """One row per series and lot: n (inspected), d (defects), ts, position, count or rate kind.

    Input columns: lot_id, ts, product_id, inspected_qty, defect_code, defect_qty.
    """
    lots = defects.group_by("product_id", "lot_id").agg(
        n=pl.col("inspected_qty").max().cast(pl.Float64), ts=pl.col("ts").min()
    )
    codes = defects.select("product_id", "defect_code").unique()
    per_code = (
        lots.filter(pl.col("n") == pl.col("n").floor())
        .join(codes, on="product_id")
        .join(
            defects.group_by("product_id", "lot_id", "defect_code").agg(
                d=pl.col("defect_qty").sum()
            ),
            on=["product_id", "lot_id", "defect_code"],
            how="left",
        )
        .select(
            "product_id",
            characteristic=pl.lit(CODE_PREFIX) + pl.col("defect_code"),
            lot_id="lot_id",
            ts="ts",
            n="n",
            d=pl.col("d").fill_null(0).cast(pl.Int64),
            binomial=pl.lit(True),
        )
    )
    total = (
        defects.group_by("product_id", "lot_id")
        .agg(d=pl.col("defect_qty").sum().cast(pl.Int64))
        .join(lots, on=["product_id", "lot_id"])
        .select(
            "product_id",
            characteristic=pl.lit(ALL_DEFECTS),
            lot_id="lot_id",
            ts="ts",
            n="n",
            d="d",
            binomial=pl.lit(False),
        )
    )
    return (
        pl.concat([per_code, total])
        .sort([*SERIES, "ts", "lot_id"])
        .with_columns(position=pl.int_range(1, pl.len() + 1).over(SERIES).cast(pl.Int64))
    )


def _baseline(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """Per series: the baseline rate, its sizes, chart and limit method (series whose baseline
    found no defect at all are left out: there is no rate to judge against)."""
    base = groups.filter(pl.col("position") <= baseline_subgroups)
    expected = pl.col("mean_n") * pl.col("rate")
    return (
        base.group_by(SERIES)
        .agg(
            binomial=pl.col("binomial").first(),
            constant_n=pl.col("n").n_unique() == 1,
            mean_n=pl.col("n").mean(),
            rate=pl.col("d").sum() / pl.col("n").sum(),
            baseline_subgroups=pl.len().cast(pl.Int64),
        )
        .filter(pl.col("rate") > 0)
        .with_columns(
            chart=_chart(),
            limit_method=pl.when(expected >= MIN_EXPECTED)
            .then(pl.lit("3-sigma"))
            .otherwise(pl.lit("probability")),
        )
    )


def _chart() -> pl.Expr:
    return (
        pl.when(pl.col("binomial") & pl.col("constant_n"))
        .then(pl.lit("np"))
        .when(pl.col("binomial"))
        .then(pl.lit("p"))
        .when(pl.col("constant_n"))
        .then(pl.lit("c"))
        .otherwise(pl.lit("u"))
    )


def _count_limits(s: pl.Series) -> pl.Series:
    """Exact count limits: lo = the count below which P <= TAIL, hi = the count above which
    P <= TAIL, under Binomial(n, r) or Poisson(n r)."""
    # scipy.stats takes about 0.7 s to import: loaded on first use, not when the nightly starts
    from scipy.stats import binom, poisson

    n = s.struct.field("_n").to_numpy().astype(float)
    r = s.struct.field("rate").to_numpy().astype(float)
    binomial = s.struct.field("binomial").to_numpy().astype(bool)
    # Binomial trials are whole (a p / np series holds whole sizes only, but its reported
    # limits are at the mean baseline size); a Poisson mean takes the exact size.
    trials = np.rint(n)
    hi = np.where(binomial, binom.isf(TAIL, trials, r), poisson.isf(TAIL, n * r))
    lo = np.where(binomial, binom.ppf(TAIL, trials, r), poisson.ppf(TAIL, n * r))
    return pl.DataFrame({"lo": lo, "hi": hi}).to_struct("limits")


def _with_limits(lf: pl.LazyFrame, n: pl.Expr) -> pl.LazyFrame:
    """Add center, sigma, lcl, ucl of the plotted statistic for a lot of size ``n``."""
    chart, r = pl.col("chart"), pl.col("rate")
    nf = n.cast(pl.Float64)
    center = pl.when(chart.is_in(["np", "c"])).then(nf * r).otherwise(r)
    var = (
        pl.when(chart == "p")
        .then(r * (1 - r) / nf)
        .when(chart == "np")
        .then(nf * r * (1 - r))
        .when(chart == "u")
        .then(r / nf)
        .otherwise(nf * r)
    )
    # Count limits are in defects; p and u charts plot defects per unit inspected.
    scale = pl.when(chart.is_in(["p", "u"])).then(nf).otherwise(1.0)
    counts = pl.struct(_n=nf, rate=r, binomial="binomial").map_batches(
        _count_limits,
        return_dtype=pl.Struct({"lo": pl.Float64, "hi": pl.Float64}),
    )
    sigma_method = pl.col("limit_method") == "3-sigma"
    return (
        lf.with_columns(center=center, sigma=var.sqrt(), _counts=counts)
        .with_columns(
            lcl=pl.when(sigma_method)
            .then(pl.max_horizontal(pl.col("center") - 3 * pl.col("sigma"), pl.lit(0.0)))
            .otherwise(pl.col("_counts").struct.field("lo") / scale),
            ucl=pl.when(sigma_method)
            .then(pl.col("center") + 3 * pl.col("sigma"))
            .otherwise(pl.col("_counts").struct.field("hi") / scale),
        )
        .drop("_counts")
    )


def attribute_limits(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """One row per series: chart, limit_method, subgroup_size (mean baseline n), center, lcl,
    ucl and sigma at that size, baseline_subgroups, subgroups; no dispersion chart."""
    counts = groups.group_by(SERIES).agg(subgroups=pl.len().cast(pl.Int64))
    return (
        _with_limits(_baseline(groups, baseline_subgroups), pl.col("mean_n"))
        .join(counts, on=SERIES)
        .select(
            *SERIES,
            "chart",
            "limit_method",
            subgroup_size=pl.col("mean_n"),
            center="center",
            lcl="lcl",
            ucl="ucl",
            sigma="sigma",
            range_center=pl.lit(None, pl.Float64),
            range_lcl=pl.lit(None, pl.Float64),
            range_ucl=pl.lit(None, pl.Float64),
            baseline_subgroups="baseline_subgroups",
            subgroups="subgroups",
        )
        .sort(SERIES)
    )


def rates_from_limits(limits: pl.LazyFrame) -> pl.LazyFrame:
    """The baseline of each attribute series back from its stored limits (``attribute_limits``
    output, as history.spc_limits holds it): chart, rate, binomial, limit_method per series.

    The rate is the centre line of a p / u chart and the centre over the nominal size of an
    np / c chart; variables charts (I-MR, Xbar-R, Xbar-S) are left out. ``attribute_points``
    given these judges new lots against a snapshot's limits without recomputing them.
    """
    chart = pl.col("chart")
    return limits.filter(chart.is_in(["p", "np", "c", "u"])).select(
        *SERIES,
        "chart",
        rate=pl.when(chart.is_in(["np", "c"]))
        .then(pl.col("center") / pl.col("subgroup_size"))
        .otherwise(pl.col("center"))
        .cast(pl.Float64),
        binomial=chart.is_in(["p", "np"]),
        limit_method=pl.col("limit_method"),
    )


def attribute_points(
    groups: pl.LazyFrame, baseline_subgroups: int, rates: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """One row per series and lot with the limits for its own size and ``z`` for the rules.

    ``rates`` (``rates_from_limits``): judge against stored limits (a snapshot's) instead of
    the baseline of ``groups``; only the series it names get points.

    ``z`` is scaled so that the point's own limits sit at +-3 (the limits of a rare count
    are not symmetric). Columns: product_id, characteristic, lot_id, ts, position,
    in_baseline, chart, kind, value, center, lcl, ucl, z (the shape of
    ``twin_core.sim.quality.spc.chart_points``).
    """
    base = _baseline(groups, baseline_subgroups) if rates is None else rates
    chart = pl.col("chart")
    value = (
        pl.when(chart.is_in(["p", "u"]))
        .then(pl.col("d").cast(pl.Float64) / pl.col("n"))
        .otherwise(pl.col("d").cast(pl.Float64))
    )
    v, c = pl.col("value"), pl.col("center")
    up, down = pl.col("ucl") - c, c - pl.col("lcl")
    scaled = (
        pl.when(v == c)
        .then(0.0)
        .when((v > c) & (up > 0))
        .then(3 * (v - c) / up)
        .when((v < c) & (down > 0))
        .then(-3 * (c - v) / down)
    )
    # Decide beyond / within on the limits themselves, not on rounded ratios: a lot on its
    # limit (0 defects against a lower limit of 0) is within.
    beyond = 3.0 + 1e-9
    z = (
        pl.when(v > pl.col("ucl"))
        .then(pl.max_horizontal(scaled.fill_null(float("inf")), pl.lit(beyond)))
        .when(v < pl.col("lcl"))
        .then(pl.min_horizontal(scaled.fill_null(-float("inf")), pl.lit(-beyond)))
        .otherwise(scaled.fill_null(0.0).clip(-3.0, 3.0))
    )
    joined = groups.drop("binomial").join(
        base.select(*SERIES, "chart", "rate", "binomial", "limit_method"), on=SERIES, how="inner"
    )
    return (
        _with_limits(joined.with_columns(value=value), pl.col("n"))
        .select(
            *SERIES,
            "lot_id",
            "ts",
            "position",
            in_baseline=pl.col("position") <= baseline_subgroups,
            chart="chart",
            kind=pl.lit("location"),
            value="value",
            center="center",
            lcl="lcl",
            ucl="ucl",
            z=z,
        )
        .sort([*SERIES, "position"])
    )
