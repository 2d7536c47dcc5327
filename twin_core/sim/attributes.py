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
the rate r = sum(defects) / sum(inspected). Each lot is judged at its own size n_i:
p: r +- 3 sqrt(r(1-r)/n_i); np: n_i r +- 3 sqrt(n_i r(1-r)); u: r +- 3 sqrt(r/n_i);
c: n_i r +- 3 sqrt(n_i r); lower limits clipped at 0. The limits table reports them at the
mean baseline size. Run rules see z = (value - centre) / sigma, as on the variables charts.

Grain: ``attribute_points`` one row per series and lot; ``attribute_limits`` one row per series.
"""

from __future__ import annotations

import polars as pl

SERIES = ["product_id", "characteristic"]
ALL_DEFECTS = "defects:all"
CODE_PREFIX = "defect:"


def attribute_subgroups(defects: pl.LazyFrame) -> pl.LazyFrame:
    """One row per series and lot: n (inspected), d (defects), ts, position, count or rate kind.

    Input columns: lot_id, ts, product_id, inspected_qty, defect_code, defect_qty.
    """
    lots = defects.group_by("product_id", "lot_id").agg(
        n=pl.col("inspected_qty").max().cast(pl.Int64), ts=pl.col("ts").min()
    )
    codes = defects.select("product_id", "defect_code").unique()
    per_code = (
        lots.join(codes, on="product_id")
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
    base = groups.filter(pl.col("position") <= baseline_subgroups)
    return base.group_by(SERIES).agg(
        binomial=pl.col("binomial").first(),
        constant_n=pl.col("n").n_unique() == 1,
        mean_n=pl.col("n").mean(),
        rate=pl.col("d").sum() / pl.col("n").sum(),
        baseline_subgroups=pl.len().cast(pl.Int64),
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


def _center_sigma(n: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Centre and sigma of the plotted statistic for a lot of size ``n``."""
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
    return center, var.sqrt()


def attribute_limits(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """One row per series: chart, subgroup_size (mean baseline n), center, lcl, ucl, sigma,
    baseline_subgroups, subgroups; the range columns are null (no dispersion chart)."""
    counts = groups.group_by(SERIES).agg(subgroups=pl.len().cast(pl.Int64))
    center, sigma = _center_sigma(pl.col("mean_n"))
    return (
        _baseline(groups, baseline_subgroups)
        .with_columns(chart=_chart())
        .with_columns(center=center, sigma=sigma)
        .join(counts, on=SERIES)
        .select(
            *SERIES,
            "chart",
            subgroup_size=pl.col("mean_n"),
            center="center",
            lcl=pl.max_horizontal(pl.col("center") - 3 * pl.col("sigma"), pl.lit(0.0)),
            ucl=pl.col("center") + 3 * pl.col("sigma"),
            sigma="sigma",
            range_center=pl.lit(None, pl.Float64),
            range_lcl=pl.lit(None, pl.Float64),
            range_ucl=pl.lit(None, pl.Float64),
            baseline_subgroups="baseline_subgroups",
            subgroups="subgroups",
        )
        .sort(SERIES)
    )


def attribute_points(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """One row per series and lot with the limits for its own size and ``z`` for the rules.

    Columns: product_id, characteristic, lot_id, ts, position, in_baseline, chart, kind,
    value, center, lcl, ucl, z (the shape of ``twin_core.sim.spc.chart_points``).
    """
    base = _baseline(groups, baseline_subgroups).with_columns(chart=_chart())
    center, sigma = _center_sigma(pl.col("n"))
    chart = pl.col("chart")
    value = (
        pl.when(chart.is_in(["p", "u"]))
        .then(pl.col("d").cast(pl.Float64) / pl.col("n"))
        .otherwise(pl.col("d").cast(pl.Float64))
    )
    dev = pl.col("value") - pl.col("center")
    z = (
        pl.when(pl.col("sigma") > 0)
        .then(dev / pl.col("sigma"))
        .when(dev == 0)
        .then(0.0)
        # A baseline without a single defect: any defect later is beyond the limits.
        .otherwise(dev.sign() * float("inf"))
    )
    return (
        groups.drop("binomial")
        .join(base.select(*SERIES, "chart", "rate"), on=SERIES, how="inner")
        .with_columns(value=value, center=center, sigma=sigma)
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
            lcl=pl.max_horizontal(pl.col("center") - 3 * pl.col("sigma"), pl.lit(0.0)),
            ucl=pl.col("center") + 3 * pl.col("sigma"),
            z=z,
        )
        .sort([*SERIES, "position"])
    )
