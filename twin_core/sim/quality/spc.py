"""Variables control charts: subgroups, baseline limits and the points they judge.

A series is (product_id, characteristic); a subgroup is one lot of the series, ordered by
the time of its first measurement (ties by lot_id). The chart follows the nominal
subgroup size n, the most frequent size among the baseline subgroups (ties: the smaller):

| n | chart | sigma_within | location limits | dispersion chart |
|---|---|---|---|---|
| 1 | I-MR | MRbar / 1.128 | mean +- 2.66 MRbar | MR: 0 .. 3.267 MRbar |
| 2..10 | Xbar-R | Rbar / d2 | Xbarbar +- A2 Rbar | R: D3 Rbar .. D4 Rbar |
| > 10 | Xbar-S | Sbar / c4 | Xbarbar +- A3 Sbar | S: B3 Sbar .. B4 Sbar |

Limits come from the first ``baseline_subgroups`` subgroups of each series and apply to
every subgroup (the baseline's own included, so an unstable baseline shows). A series with
fewer subgroups so far gets trial limits from all of them (``baseline_subgroups`` in the
limits says how many); one with fewer than 2 gets none. Subgroups whose size differs
from the nominal one are judged with limits for their own size from the same sigma
(sigma is then the mean of R_i/d2(n_i) or S_i/c4(n_i) over the baseline: qcc's UWAVE-R /
UWAVE-SD). With variable sizes an X-bar centre is the size-weighted grand mean
sum(n_i xbar_i) / sum(n_i) (Montgomery eq. 6.30, qcc's stats.xbar), and the S chart is qcc's:
centre sum(n_i S_i) / sum(n_i) (stats.S), limits that centre +- 3 sigma sqrt(1 - c4(n_i)^2)
(limits.S); with one size these are exactly the table's forms above.

Grain: ``subgroups`` one row per series and lot; ``control_limits`` one row per series;
``chart_points`` one row per series, lot and plotted statistic (location and dispersion).
"""

from __future__ import annotations

import math

import polars as pl

from twin_core.sim.quality.spc_rules import LIMIT_RULES, RuleConfig, flag_rules

SERIES = ["product_id", "characteristic"]
ATTRIBUTE_CHARTS = ("p", "np", "c", "u")

# Published factors (ASTM STP 15D / Montgomery, Appendix VI), rounded as printed: the
# reference cases pin these printed values, and plants compare against the same tables.
D2 = {2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847, 9: 2.970, 10: 3.078}
A2 = {2: 1.880, 3: 1.023, 4: 0.729, 5: 0.577, 6: 0.483, 7: 0.419, 8: 0.373, 9: 0.337, 10: 0.308}
D3 = {2: 0.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0, 7: 0.076, 8: 0.136, 9: 0.184, 10: 0.223}
D4 = {2: 3.267, 3: 2.574, 4: 2.282, 5: 2.114, 6: 2.004, 7: 1.924, 8: 1.864, 9: 1.816, 10: 1.777}
E2 = 2.66  # individuals chart: 3 / d2(2), as printed
MR_D4 = D4[2]
MAX_R_CHART_N = 10


def c4(n: int) -> float:
    """Bias factor of the sample standard deviation: E[S] = c4 sigma (exact, via gamma)."""
    if n < 2:
        raise ValueError("c4 needs n >= 2")
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def a3(n: int) -> float:
    """X-bar limit factor on Sbar for the X-bar and S chart."""
    return 3.0 / (c4(n) * math.sqrt(n))


def b3(n: int) -> float:
    """Lower S-chart limit factor on Sbar (clipped at 0)."""
    return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - c4(n) ** 2) / c4(n))


def b4(n: int) -> float:
    """Upper S-chart limit factor on Sbar."""
    return 1.0 + 3.0 * math.sqrt(1.0 - c4(n) ** 2) / c4(n)


def chart_for(n: int) -> str:
    """The chart a nominal subgroup size calls for."""
    if n < 1:
        raise ValueError("subgroup size must be >= 1")
    return "I-MR" if n == 1 else "Xbar-R" if n <= MAX_R_CHART_N else "Xbar-S"


def _factor_table(sizes: list[int]) -> pl.LazyFrame:
    """Per subgroup size n: the published R-chart factors (n <= 10) and the S-chart ones."""
    rows = []
    for n in sorted(set(sizes)):
        r = 2 <= n <= MAX_R_CHART_N
        s = n >= 2
        rows.append(
            (
                n,
                D2[n] if r else None,
                A2[n] * D2[n] if r else None,
                D3[n] if r else None,
                D4[n] if r else None,
                c4(n) if s else None,
                b3(n) if s else None,
                b4(n) if s else None,
            )
        )
    return pl.LazyFrame(
        rows,
        schema={
            "n": pl.Int64,
            "_d2": pl.Float64,
            "_a2d2": pl.Float64,
            "_d3f": pl.Float64,
            "_d4f": pl.Float64,
            "_c4": pl.Float64,
            "_b3": pl.Float64,
            "_b4": pl.Float64,
        },
        orient="row",
    )


def _pick(chart: pl.Expr, r_col: str, s_col: str) -> pl.Expr:
    """The R-chart factor in Xbar-R series, the S-chart one in Xbar-S series."""
    return (
        pl.when(chart == "Xbar-R").then(pl.col(r_col)).when(chart == "Xbar-S").then(pl.col(s_col))
    )


def _unbias(chart: pl.Expr) -> pl.Expr:
    """Expected dispersion statistic per unit sigma at the subgroup's size: d2(n) or c4(n)."""
    return _pick(chart, "_d2", "_c4")


def _loc_half_width(chart: pl.Expr) -> pl.Expr:
    """Location half-width in units of sigma_within at the subgroup's size: A2 d2 on an
    R chart (the printed factors), 3 / sqrt(n) otherwise (A3 c4 is exactly that)."""
    r_chart = pl.when(chart == "Xbar-R").then(pl.col("_a2d2"))
    return pl.coalesce(r_chart, 3.0 / pl.col("n").cast(pl.Float64).sqrt())


def _s_limit(center: pl.Expr, sigma: pl.Expr, side: int) -> pl.Expr:
    """S-chart limit at the subgroup's size (qcc's limits.S): the centre +- 3 sigma
    sqrt(1 - c4(n)^2), the lower one clipped at 0. With one subgroup size the centre is
    c4 sigma and these are B3 Sbar, B4 Sbar."""
    half = 3.0 * sigma * (1.0 - pl.col("_c4") ** 2).sqrt()
    return pl.max_horizontal(center - half, pl.lit(0.0)) if side < 0 else center + half


def subgroups(inspections: pl.LazyFrame) -> pl.LazyFrame:
    """One row per series and lot: n, mean, range, sd, first ts, 1-based position in time.

    Input columns: product_id, characteristic, lot_id, ts, value.
    """
    return (
        inspections.group_by([*SERIES, "lot_id"])
        .agg(
            n=pl.len().cast(pl.Int64),
            mean=pl.col("value").mean(),
            range=pl.col("value").max() - pl.col("value").min(),
            sd=pl.col("value").std(ddof=1),
            ts=pl.col("ts").min(),
        )
        .sort([*SERIES, "ts", "lot_id"])
        .with_columns(position=pl.int_range(1, pl.len() + 1).over(SERIES).cast(pl.Int64))
    )


def with_chart(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """Mark baseline subgroups and attach the series' nominal n and chart."""
    marked = groups.with_columns(in_baseline=pl.col("position") <= baseline_subgroups)
    nominal = (
        marked.filter("in_baseline")
        .group_by([*SERIES, "n"])
        .agg(count=pl.len())
        .sort([*SERIES, "count", "n"], descending=[False, False, True, False])
        .group_by(SERIES, maintain_order=True)
        .first()
        .select(*SERIES, nominal_n=pl.col("n"))
    )
    chart = (
        pl.when(pl.col("nominal_n") == 1)
        .then(pl.lit("I-MR"))
        .when(pl.col("nominal_n") <= MAX_R_CHART_N)
        .then(pl.lit("Xbar-R"))
        .otherwise(pl.lit("Xbar-S"))
    )
    return marked.join(nominal, on=SERIES).with_columns(chart=chart)


def sigma_estimates(groups: pl.LazyFrame) -> pl.LazyFrame:
    """Add the size factors, ``mr`` (moving range of subgroup means) and ``sigma_est``, each
    subgroup's unbiased estimate of sigma_within for its series' chart: MR/1.128 (I-MR),
    R/d2(n) (Xbar-R), S/c4(n) (Xbar-S); null where the subgroup gives none.

    Needs ``chart`` on every row (see ``with_chart``).
    """
    sizes = groups.select("n").unique().collect()["n"].to_list()
    chart = pl.col("chart")
    within = pl.when(chart == "Xbar-R").then(pl.col("range")).otherwise(pl.col("sd"))
    return (
        groups.sort([*SERIES, "position"])
        .with_columns(mr=(pl.col("mean") - pl.col("mean").shift(1)).abs().over(SERIES))
        .join(_factor_table(sizes), on="n", how="left")
        .with_columns(
            sigma_est=pl.when(chart == "I-MR")
            .then(pl.col("mr") / D2[2])
            .otherwise(within / _unbias(chart))
        )
    )


def control_limits(groups: pl.LazyFrame, baseline_subgroups: int) -> pl.LazyFrame:
    """One row per series with at least 2 baseline subgroups: the chart, nominal subgroup
    size, centre and limits of the location and dispersion charts, and sigma_within.

    Columns: product_id, characteristic, chart, limit_method, subgroup_size, center, lcl, ucl,
    sigma, range_center, range_lcl, range_ucl, baseline_subgroups, subgroups.
    """
    marked = sigma_estimates(with_chart(groups, baseline_subgroups))
    counts = marked.group_by(SERIES).agg(subgroups=pl.len().cast(pl.Int64))
    base = (
        marked.filter("in_baseline")
        .group_by(SERIES)
        .agg(
            chart=pl.col("chart").first(),
            n=pl.col("nominal_n").first(),
            # X-bar charts: the size-weighted grand mean (Montgomery eq. 6.30, qcc's
            # stats.xbar); an individuals chart: the plain mean of its points.
            center=pl.when(pl.col("chart").first() == "I-MR")
            .then(pl.col("mean").mean())
            .otherwise((pl.col("mean") * pl.col("n")).sum() / pl.col("n").sum()),
            # S chart centre: the size-weighted mean of S_i (qcc's stats.S).
            s_center=(pl.col("sd") * pl.col("n")).filter(pl.col("sd").is_not_null()).sum()
            / pl.col("n").filter(pl.col("sd").is_not_null()).sum(),
            sigma=pl.col("sigma_est").mean(),
            mrbar=pl.col("mr").mean(),
            baseline_subgroups=pl.len().cast(pl.Int64),
        )
        .filter(pl.col("baseline_subgroups") >= 2)
    )
    sizes = base.select("n").unique().collect()["n"].to_list()
    chart = pl.col("chart")
    is_imr = chart == "I-MR"
    half_width = (
        pl.when(is_imr)
        .then(E2 * pl.col("mrbar"))
        .otherwise(_loc_half_width(chart) * pl.col("sigma"))
    )
    return (
        base.join(_factor_table(sizes), on="n", how="left")
        .join(counts, on=SERIES)
        .with_columns(
            _hw=half_width,
            range_center=pl.when(is_imr)
            .then(pl.col("mrbar"))
            .when(chart == "Xbar-S")
            .then(pl.col("s_center"))
            .otherwise(_unbias(chart) * pl.col("sigma")),
        )
        .select(
            *SERIES,
            "chart",
            limit_method=pl.lit("3-sigma"),
            subgroup_size=pl.col("n").cast(pl.Float64),
            center="center",
            lcl=pl.col("center") - pl.col("_hw"),
            ucl=pl.col("center") + pl.col("_hw"),
            sigma="sigma",
            range_center="range_center",
            range_lcl=pl.when(is_imr)
            .then(0.0)
            .when(chart == "Xbar-S")
            .then(_s_limit(pl.col("range_center"), pl.col("sigma"), -1))
            .otherwise(pl.col("_d3f") * pl.col("range_center")),
            range_ucl=pl.when(is_imr)
            .then(MR_D4 * pl.col("range_center"))
            .when(chart == "Xbar-S")
            .then(_s_limit(pl.col("range_center"), pl.col("sigma"), 1))
            .otherwise(pl.col("_d4f") * pl.col("range_center")),
            baseline_subgroups="baseline_subgroups",
            subgroups="subgroups",
        )
        .sort(SERIES)
    )


def chart_points(
    groups: pl.LazyFrame, limits: pl.LazyFrame, baseline_subgroups: int
) -> pl.LazyFrame:
    """One row per series, lot and plotted statistic, with the limits that judge it.

    ``chart`` is X (individuals), Xbar, MR, R or S; ``kind`` is location or dispersion;
    ``z`` (location only) is the distance from the centre in sigmas of the statistic, for
    the run rules. Columns: product_id, characteristic, lot_id, ts, position, in_baseline,
    chart, kind, value, center, lcl, ucl, z.
    """
    sizes = groups.select("n").unique().collect()["n"].to_list()
    lim = limits.select(
        *SERIES,
        "chart",
        _c=pl.col("center"),
        _hw_nominal=pl.col("ucl") - pl.col("center"),
        _s=pl.col("sigma"),
        _rc=pl.col("range_center"),
        _rl=pl.col("range_lcl"),
        _ru=pl.col("range_ucl"),
    )
    chart = pl.col("chart")
    is_imr = chart == "I-MR"
    pts = (
        groups.with_columns(in_baseline=pl.col("position") <= baseline_subgroups)
        .sort([*SERIES, "position"])
        .with_columns(mr=(pl.col("mean") - pl.col("mean").shift(1)).abs().over(SERIES))
        .join(lim, on=SERIES, how="inner")
        .join(_factor_table(sizes), on="n", how="left")
    )
    # An I-MR series plots each lot's mean as an individual; X-bar series use the
    # half-width for the subgroup's own size (the nominal size reproduces A2 Rbar / A3 Sbar).
    hw = (
        pl.when(is_imr).then(pl.col("_hw_nominal")).otherwise(_loc_half_width(chart) * pl.col("_s"))
    )
    dev = pl.col("mean") - pl.col("_c")
    z = (
        pl.when(pl.col("_hw") > 0)
        .then(dev / (pl.col("_hw") / 3.0))
        .when(dev == 0)
        .then(0.0)
        # A series with no variation at all: any move is beyond every limit.
        .otherwise(dev.sign() * float("inf"))
    )
    common = [*SERIES, "lot_id", "ts", "position", "in_baseline"]
    location = pts.with_columns(_hw=hw).select(
        *common,
        chart=pl.when(is_imr).then(pl.lit("X")).otherwise(pl.lit("Xbar")),
        kind=pl.lit("location"),
        value=pl.col("mean"),
        center=pl.col("_c"),
        lcl=pl.col("_c") - pl.col("_hw"),
        ucl=pl.col("_c") + pl.col("_hw"),
        z=z,
    )
    # R chart: centre d2(n_i) sigma and D3, D4 on it at the subgroup's size; S chart: the
    # series' weighted mean of S_i, limits at the subgroup's size (qcc's stats.S / limits.S).
    r_center = pl.col("_d2") * pl.col("_s")
    dispersion = (
        pts.with_columns(
            value=pl.when(is_imr)
            .then(pl.col("mr"))
            .when(chart == "Xbar-R")
            .then(pl.col("range"))
            .otherwise(pl.col("sd")),
            center=pl.when(chart == "Xbar-R").then(r_center).otherwise(pl.col("_rc")),
            lcl=pl.when(is_imr)
            .then(pl.col("_rl"))
            .when(chart == "Xbar-R")
            .then(pl.col("_d3f") * r_center)
            .otherwise(_s_limit(pl.col("_rc"), pl.col("_s"), -1)),
            ucl=pl.when(is_imr)
            .then(pl.col("_ru"))
            .when(chart == "Xbar-R")
            .then(pl.col("_d4f") * r_center)
            .otherwise(_s_limit(pl.col("_rc"), pl.col("_s"), 1)),
        )
        # Subgroups of one (no range) or beyond the R table in an R series have no point.
        .filter(pl.col("value").is_not_null() & pl.col("ucl").is_not_null())
        .select(
            *common,
            chart=pl.when(is_imr)
            .then(pl.lit("MR"))
            .when(chart == "Xbar-R")
            .then(pl.lit("R"))
            .otherwise(pl.lit("S")),
            kind=pl.lit("dispersion"),
            value="value",
            center="center",
            lcl="lcl",
            ucl="ucl",
            z=pl.lit(None, pl.Float64),
        )
    )
    return pl.concat([location, dispersion]).sort([*SERIES, "position", "kind"])


def violations(points: pl.LazyFrame, rules: RuleConfig) -> pl.LazyFrame:
    """One row per rule firing on a plotted point: a variables location chart is checked with
    the series' rule set; dispersion (MR, R, S) and attribute (p, np, c, u) charts only with
    its rule 1 (WE1 / NELSON1, if enabled), since run rules assume a symmetric statistic.

    Columns: product_id, characteristic, lot_id, ts, chart, rule, value, in_baseline.
    """
    enabled = rules.enabled(points)
    limit_only = enabled.filter(pl.col("rule").is_in(sorted(LIMIT_RULES)))
    location = points.filter(pl.col("kind") == "location")
    attribute = pl.col("chart").is_in(ATTRIBUTE_CHARTS)
    # Both passes read the same configuration (the Nelson 8 reading only matters to the first:
    # attribute charts are checked with rule 1 alone).
    variables = flag_rules(
        location.filter(~attribute),
        by=SERIES,
        order="position",
        enabled=enabled,
        nelson8=rules.nelson8,
    )
    counts = flag_rules(
        location.filter(attribute),
        by=SERIES,
        order="position",
        enabled=limit_only,
        nelson8=rules.nelson8,
    )
    beyond = (pl.col("value") > pl.col("ucl")) | (pl.col("value") < pl.col("lcl"))
    dispersion = points.filter((pl.col("kind") == "dispersion") & beyond).join(
        enabled.filter(pl.col("rule").is_in(sorted(LIMIT_RULES))), on=SERIES
    )
    cols = [*SERIES, "lot_id", "ts", "chart", "rule", "value", "in_baseline", "position"]
    return (
        pl.concat([variables.select(cols), counts.select(cols), dispersion.select(cols)])
        .sort([*SERIES, "position", "chart", "rule"])
        .drop("position")
    )
