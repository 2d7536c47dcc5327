"""SPC: published constants, baseline limits of each chart, and the violations they find."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.sim.quality import spc
from twin_core.sim.quality.spc_rules import RuleConfig, RuleOverride

T0 = datetime(2026, 3, 2, 6, 0)


def _inspections(lots: list[list[float]], characteristic: str = "bore") -> pl.LazyFrame:
    """One product, one characteristic, lots in order an hour apart, values a minute apart."""
    rows = [
        ("P1", characteristic, f"L{i:03d}", T0 + timedelta(hours=i, minutes=k), v)
        for i, values in enumerate(lots)
        for k, v in enumerate(values)
    ]
    return pl.LazyFrame(
        rows, schema=["product_id", "characteristic", "lot_id", "ts", "value"], orient="row"
    )


def _limits(lots: list[list[float]], baseline: int = 25) -> dict[str, object]:
    rows = spc.control_limits(spc.subgroups(_inspections(lots)), baseline).collect().to_dicts()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("table", "n", "expected"),
    [
        (spc.D2, 2, 1.128),
        (spc.D4, 2, 3.267),
        (spc.A2, 5, 0.577),
        (spc.D2, 5, 2.326),
        (spc.D4, 5, 2.114),
    ],
)
def test_r_chart_constants_match_the_published_table(
    table: dict[int, float], n: int, expected: float
) -> None:
    """d2, A2 and D4 are the printed values of reference-cases.md."""
    assert table[n] == expected


def test_c4_matches_the_published_table() -> None:
    """c4 from the gamma function agrees with the printed table (4 decimals) at n = 12 and 25."""
    assert spc.c4(12) == pytest.approx(0.9776, abs=5e-5)
    assert spc.c4(25) == pytest.approx(0.9896, abs=5e-5)


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "I-MR"), (2, "Xbar-R"), (10, "Xbar-R"), (11, "Xbar-S")]
)
def test_chart_follows_subgroup_size(n: int, expected: str) -> None:
    """n = 1 individuals, 2..10 X-bar and R, above 10 X-bar and S."""
    assert spc.chart_for(n) == expected


def test_individuals_limits_are_mean_plus_minus_2_66_mrbar() -> None:
    """I-MR on 1, 3, 2, 4: mean 2.5, MRbar 5/3, sigma MRbar/1.128, MR limits 0..3.267 MRbar."""
    got = _limits([[1.0], [3.0], [2.0], [4.0]])
    mrbar = 5.0 / 3.0
    expected = {
        "subgroup_size": 1.0,
        "center": 2.5,
        "lcl": 2.5 - 2.66 * mrbar,
        "ucl": 2.5 + 2.66 * mrbar,
        "sigma": mrbar / 1.128,
        "range_center": mrbar,
        "range_lcl": 0.0,
        "range_ucl": 3.267 * mrbar,
    }
    assert {k: got[k] for k in expected} == pytest.approx(expected, rel=1e-12)
    assert got["chart"] == "I-MR"


def test_xbar_r_limits_use_a2_d3_d4_of_the_subgroup_size() -> None:
    """Lots of 5 with means 10, 12 and ranges 2, 4: limits 11 +- 0.577*3, R chart 0..2.114*3."""
    got = _limits([[9.0, 10.0, 11.0, 10.0, 10.0], [10.0, 14.0, 11.0, 11.0, 14.0]])
    expected = {
        "subgroup_size": 5.0,
        "center": 11.0,
        "lcl": 11.0 - 0.577 * 3.0,
        "ucl": 11.0 + 0.577 * 3.0,
        "sigma": 3.0 / 2.326,
        "range_center": 3.0,
        "range_lcl": 0.0,
        "range_ucl": 2.114 * 3.0,
    }
    assert {k: got[k] for k in expected} == pytest.approx(expected, rel=1e-12)
    assert got["chart"] == "Xbar-R"


def test_xbar_s_limits_use_c4_a3_b3_b4() -> None:
    """Lots of 12: sigma = Sbar/c4, location Xbarbar +- A3 Sbar, S chart B3 Sbar..B4 Sbar."""
    lots = [[float(v) for v in range(12)], [float(v) + 1 for v in range(0, 24, 2)]]
    got = _limits(lots)
    sds = [pl.Series(lot).std() for lot in lots]
    sbar = sum(sds) / 2  # type: ignore[arg-type]
    center = (5.5 + 12.0) / 2
    expected = {
        "center": center,
        "lcl": center - spc.a3(12) * sbar,
        "ucl": center + spc.a3(12) * sbar,
        "sigma": sbar / spc.c4(12),
        "range_center": sbar,
        "range_lcl": spc.b3(12) * sbar,
        "range_ucl": spc.b4(12) * sbar,
    }
    assert {k: got[k] for k in expected} == pytest.approx(expected, rel=1e-12)
    assert got["chart"] == "Xbar-S"


def test_limits_come_from_the_baseline_only() -> None:
    """With a baseline of 3, a fourth lot far away moves neither centre nor sigma."""
    base = [[1.0], [3.0], [2.0]]
    expected = _limits(base, baseline=3)
    got = _limits([*base, [100.0]], baseline=3)
    assert (got["center"], got["sigma"], got["baseline_subgroups"], got["subgroups"]) == (
        expected["center"],
        expected["sigma"],
        3,
        4,
    )


def test_short_series_gets_trial_limits_and_a_single_lot_none() -> None:
    """Two lots against a baseline of 25 give trial limits from both; one lot gives no row."""
    assert _limits([[1.0], [3.0]])["baseline_subgroups"] == 2
    assert spc.control_limits(spc.subgroups(_inspections([[1.0, 2.0]])), 25).collect().height == 0


def test_subgroups_are_ordered_by_time_not_lot_id() -> None:
    """A lot with a smaller id measured later comes later in the series."""
    insp = pl.LazyFrame(
        {
            "product_id": ["P1", "P1"],
            "characteristic": ["bore", "bore"],
            "lot_id": ["B", "A"],
            "ts": [T0, T0 + timedelta(hours=1)],
            "value": [1.0, 2.0],
        }
    )
    expected = pl.DataFrame({"lot_id": ["B", "A"], "position": [1, 2]})
    got = spc.subgroups(insp).select("lot_id", "position").collect()
    assert_frame_equal(got, expected)


def test_point_beyond_baseline_limits_is_a_we1_violation_naming_the_lot() -> None:
    """A later lot far above the baseline is flagged WE1 on the X chart with its lot_id."""
    lots = [[v] for v in (10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.3, 9.9)] + [[13.0]]
    groups = spc.subgroups(_inspections(lots))
    limits = spc.control_limits(groups, 8)
    points = spc.chart_points(groups, limits, baseline_subgroups=8)
    got = spc.violations(points, RuleConfig(default=("WE1",))).filter(pl.col("chart") == "X")
    expected = pl.DataFrame({"lot_id": ["L008"], "rule": ["WE1"], "value": [13.0]})
    assert_frame_equal(got.select("lot_id", "rule", "value").collect(), expected)


def test_dispersion_chart_is_checked_with_rule_one_only() -> None:
    """A lot with a huge range is flagged on the R chart by WE1, and not when WE1 is off."""
    lots = [[10.0, 10.1, 9.9, 10.0, 10.1]] * 2 + [[10.0, 10.2, 9.9, 10.1, 9.9]] * 3
    lots = [*lots, [8.0, 12.0, 10.0, 10.0, 10.0]]
    groups = spc.subgroups(_inspections(lots))
    limits = spc.control_limits(groups, 5)
    points = spc.chart_points(groups, limits, baseline_subgroups=5)
    on = spc.violations(points, RuleConfig(default=("WE1",))).filter(pl.col("chart") == "R")
    off = spc.violations(points, RuleConfig(default=("WE4",))).filter(pl.col("chart") == "R")
    assert on.select("lot_id").collect()["lot_id"].to_list() == ["L005"]
    assert off.collect().height == 0


def test_override_replaces_the_default_rules_of_one_series() -> None:
    """A characteristic-level override beats a product-level one, which beats the default."""
    config = RuleConfig(
        default=("WE1",),
        overrides=(
            RuleOverride(product_id="P1", rules=("WE2",)),
            RuleOverride(product_id="P1", characteristic="bore", rules=("NELSON3", "NELSON7")),
        ),
    )
    series = pl.LazyFrame(
        {"product_id": ["P1", "P1", "P2"], "characteristic": ["bore", "od", "bore"]}
    )
    expected = pl.DataFrame(
        {
            "product_id": ["P1", "P1", "P1", "P2"],
            "characteristic": ["bore", "bore", "od", "bore"],
            "rule": ["NELSON3", "NELSON7", "WE2", "WE1"],
        }
    )
    got = config.enabled(series).sort("product_id", "characteristic", "rule").collect()
    assert_frame_equal(got, expected)


def test_unknown_rule_name_is_refused() -> None:
    """A misspelt rule in the configuration is an error naming it, not a silently unused rule."""
    with pytest.raises(ValueError, match="WE5"):
        RuleConfig(default=("WE5",))  # type: ignore[arg-type]


def test_xbar_centre_is_size_weighted_as_qcc() -> None:
    """Variable subgroup sizes: the X-bar centre is sum(n_i xbar_i) / sum(n_i) (Montgomery eq.
    6.30; qcc's stats.xbar). qcc's own test data (tests/testthat/test-spc.xbar.R): subgroups
    (2, 4, 6, 8), (1, 5), (3, 6, 9) have centre 44/9, and UWAVE-R sigma 3.334735 (qcc uses
    exact d2; the twin the printed table, hence qcc's own 5e-4 tolerance). The plain mean of
    the means, (5 + 3 + 6) / 3 = 4.667, was the old answer."""
    lots = [[2.0, 4.0, 6.0, 8.0], [1.0, 5.0], [3.0, 6.0, 9.0]]
    lim = _limits(lots)
    assert lim["chart"] == "Xbar-R"
    assert lim["center"] == pytest.approx(44 / 9, rel=1e-12)
    assert lim["sigma"] == pytest.approx(3.334735, rel=5e-4)
    points = spc.chart_points(
        spc.subgroups(_inspections(lots)),
        spc.control_limits(spc.subgroups(_inspections(lots)), 25),
        25,
    ).collect()
    xbar = points.filter(pl.col("kind") == "location")
    assert xbar["center"].to_list() == pytest.approx([44 / 9] * 3, rel=1e-12)


def _qcc_s_chart(groups: list[list[float]]) -> dict[str, object]:
    """qcc's X-bar / S chart with variable sizes, from its definitions (R/spc.xbar.R and
    R/spc.s.R): centre sum(n xbar) / sum(n); sigma UWAVE-SD = mean(S_i / c4(n_i)); X-bar
    limits centre +- 3 sigma / sqrt(n_i); S centre sum(n S) / sum(n); S limits that centre
    +- 3 sigma sqrt(1 - c4(n_i)^2), the lower one clipped at 0."""
    import numpy as np

    n = np.array([len(g) for g in groups], dtype=float)
    xbar = np.array([np.mean(g) for g in groups])
    s = np.array([np.std(g, ddof=1) for g in groups])
    c4 = np.array([spc.c4(len(g)) for g in groups])
    center = float((n * xbar).sum() / n.sum())
    sigma = float((s / c4).mean())
    s_center = float((n * s).sum() / n.sum())
    half_s = 3 * sigma * np.sqrt(1 - c4**2)
    return {
        "center": center,
        "sigma": sigma,
        "xbar_lcl": center - 3 * sigma / np.sqrt(n),
        "xbar_ucl": center + 3 * sigma / np.sqrt(n),
        "s_center": s_center,
        "s_lcl": np.maximum(s_center - half_s, 0.0),
        "s_ucl": s_center + half_s,
    }


def test_xbar_s_with_variable_sizes_matches_qcc() -> None:
    """An X-bar / S series (sizes 11 to 15) with variable sizes: centre, sigma, and both
    charts' limits at each subgroup's own size are qcc's (stats.xbar, sd.xbar UWAVE-SD,
    limits.xbar, stats.S, limits.S), and with one size they reduce to A3 Sbar, B3 Sbar and
    B4 Sbar."""
    import numpy as np

    rng = np.random.default_rng(20)
    sizes = [11, 15, 12, 15, 13, 11, 14, 15, 12, 15, 15, 13]
    groups = [[float(v) for v in rng.normal(10.0, 0.2, k).round(3)] for k in sizes]
    expected = _qcc_s_chart(groups)
    lim = _limits(groups)
    assert lim["chart"] == "Xbar-S"
    assert lim["center"] == pytest.approx(expected["center"], rel=1e-12)
    assert lim["sigma"] == pytest.approx(expected["sigma"], rel=1e-12)
    assert lim["range_center"] == pytest.approx(expected["s_center"], rel=1e-12)
    subgroups = spc.subgroups(_inspections(groups))
    pts = spc.chart_points(subgroups, spc.control_limits(subgroups, 25), 25).collect()
    loc = pts.filter(pl.col("kind") == "location").sort("position")
    disp = pts.filter(pl.col("kind") == "dispersion").sort("position")
    assert loc["lcl"].to_list() == pytest.approx(list(expected["xbar_lcl"]), rel=1e-12)
    assert loc["ucl"].to_list() == pytest.approx(list(expected["xbar_ucl"]), rel=1e-12)
    assert disp["center"].to_list() == pytest.approx([expected["s_center"]] * 12, rel=1e-12)
    assert disp["lcl"].to_list() == pytest.approx(list(expected["s_lcl"]), rel=1e-12)
    assert disp["ucl"].to_list() == pytest.approx(list(expected["s_ucl"]), rel=1e-12)
    # One size: the printed-factor forms A3 Sbar, B3 Sbar, B4 Sbar.
    same = [g[:11] for g in groups]
    one = _limits(same)
    sbar = float(np.mean([np.std(g, ddof=1) for g in same]))
    assert one["range_center"] == pytest.approx(sbar, rel=1e-12)
    assert one["ucl"] - one["center"] == pytest.approx(spc.a3(11) * sbar, rel=1e-12)
    assert one["range_lcl"] == pytest.approx(spc.b3(11) * sbar, rel=1e-12)
    assert one["range_ucl"] == pytest.approx(spc.b4(11) * sbar, rel=1e-12)
