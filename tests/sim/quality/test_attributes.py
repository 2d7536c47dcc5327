"""Attribute charts: p / np per defect code, c / u for all defects, chosen by inspected size."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import binom

from twin_core.sim.quality import attributes as attr
from twin_core.sim.quality.spc import violations
from twin_core.sim.quality.spc_rules import RuleConfig

T0 = datetime(2026, 3, 2, 6, 0)


def _defects(rows: list[tuple[str, float, str, int]]) -> pl.LazyFrame:
    """(lot_id, inspected_qty, defect_code, defect_qty), lots an hour apart in first-seen order."""
    order = list(dict.fromkeys(r[0] for r in rows))
    return pl.LazyFrame(
        [
            (lot, T0 + timedelta(hours=order.index(lot)), "P1", "LINE1", n, code, d)
            for lot, n, code, d in rows
        ],
        schema={
            "lot_id": pl.String,
            "ts": pl.Datetime,
            "product_id": pl.String,
            "line_id": pl.String,
            "inspected_qty": pl.Float64,
            "defect_code": pl.String,
            "defect_qty": pl.Int64,
        },
        orient="row",
    )


def _limits(defects: pl.LazyFrame, baseline: int = 25) -> dict[str, dict[str, object]]:
    frame = attr.attribute_limits(attr.attribute_subgroups(defects), baseline).collect()
    return {r["characteristic"]: r for r in frame.to_dicts()}


def test_constant_inspected_size_gives_np_and_c_charts() -> None:
    """Three lots of 100 with 5, 7, 6 scratches: np centre 6, limits 6 +- 3 sqrt(6 * 0.94)."""
    got = _limits(
        _defects([("A", 100, "scratch", 5), ("B", 100, "scratch", 7), ("C", 100, "scratch", 6)])
    )
    np_sigma = math.sqrt(100 * 0.06 * 0.94)
    expected = {
        "chart": "np",
        "limit_method": "3-sigma",
        "center": pytest.approx(6.0),
        "lcl": 0.0,
        "ucl": pytest.approx(6.0 + 3 * np_sigma),
        "sigma": pytest.approx(np_sigma),
    }
    assert {k: got["defect:scratch"][k] for k in expected} == expected
    assert got["defects:all"]["chart"] == "c"
    assert got["defects:all"]["ucl"] == pytest.approx(6.0 + 3 * math.sqrt(6.0))


def test_rare_defects_get_exact_probability_limits() -> None:
    """One scratch in 90 units (1/3 per lot of 30): the upper limit is the binomial count whose
    upper tail is at most 0.135 %, not the normal 3-sigma line one defect already crosses."""
    got = _limits(
        _defects([("A", 30, "scratch", 0), ("B", 30, "scratch", 1), ("C", 30, "scratch", 0)])
    )
    row = got["defect:scratch"]
    expected_ucl = binom.isf(attr.TAIL, 30, 1 / 90)
    assert (row["limit_method"], row["ucl"]) == ("probability", expected_ucl)
    assert binom.sf(expected_ucl, 30, 1 / 90) <= attr.TAIL < binom.sf(expected_ucl - 1, 30, 1 / 90)


def test_series_without_baseline_defects_gets_no_chart() -> None:
    """A code never seen in the baseline has no rate to judge by: no limits row for it."""
    defects = _defects([("A", 30, "scratch", 1), ("A", 30, "dent", 0), ("B", 30, "scratch", 0)])
    assert set(_limits(defects)) == {"defect:scratch", "defects:all"}


def test_attribute_charts_are_judged_by_their_limits_only() -> None:
    """Nine lots without defects under a positive centre are no WE4 run; only beyond-limit lots count."""
    rows = [(f"L{i:02d}", 100, "scratch", 6 + (i % 3)) for i in range(10)]
    rows += [(f"M{i:02d}", 100, "scratch", 4) for i in range(9)]
    points = attr.attribute_points(attr.attribute_subgroups(_defects(rows)), 10)
    got = violations(points, RuleConfig(default=("WE1", "WE4"))).collect()
    assert got.height == 0


def test_varying_inspected_size_gives_p_and_u_charts_judged_at_each_lot_size() -> None:
    """Lots of 100 and 400 with 5 and 15 defects: pbar 0.04, each lot's limits at its own n."""
    defects = _defects([("A", 100, "scratch", 5), ("B", 400, "scratch", 15)])
    assert _limits(defects)["defect:scratch"]["chart"] == "p"
    assert _limits(defects)["defects:all"]["chart"] == "u"
    points = attr.attribute_points(attr.attribute_subgroups(defects), 25).filter(
        pl.col("characteristic") == "defect:scratch"
    )
    expected = pl.DataFrame(
        {
            "lot_id": ["A", "B"],
            "value": [0.05, 0.0375],
            "ucl": [
                0.04 + 3 * math.sqrt(0.04 * 0.96 / 100),
                0.04 + 3 * math.sqrt(0.04 * 0.96 / 400),
            ],
        }
    )
    assert_frame_equal(points.select("lot_id", "value", "ucl").collect(), expected)


def test_code_missing_from_a_lot_counts_zero() -> None:
    """A lot that reported only dents had no scratches: it is a 0 on the scratch chart."""
    defects = _defects([("A", 50, "scratch", 2), ("B", 50, "dent", 1)])
    groups = attr.attribute_subgroups(defects).filter(pl.col("characteristic") == "defect:scratch")
    expected = pl.DataFrame({"lot_id": ["A", "B"], "d": [2, 0]})
    assert_frame_equal(groups.select("lot_id", "d").collect(), expected)


def test_defect_spike_after_the_baseline_is_a_violation() -> None:
    """After 10 lots with 1 or 2 defects in 100, a lot with 20 is flagged WE1 (np and c charts)."""
    rows = [(f"L{i:02d}", 100, "scratch", 1 + i % 2) for i in range(10)]
    defects = _defects([*rows, ("L10", 100, "scratch", 20)])
    points = attr.attribute_points(attr.attribute_subgroups(defects), 10)
    got = violations(points, RuleConfig(default=("WE1",))).collect()
    expected = pl.DataFrame(
        {
            "characteristic": ["defect:scratch", "defects:all"],
            "lot_id": ["L10", "L10"],
            "chart": ["np", "c"],
            "rule": ["WE1", "WE1"],
        }
    )
    assert_frame_equal(got.select(expected.columns), expected)


# R qcc's data set dyedcloth (qcc's data/dyedcloth.txt, from Montgomery, Introduction to
# Statistical Quality Control, 2nd ed., pp. 183-184): nonconformities x on ten rolls of dyed
# cloth of `size` inspection units of 50 square metres each.
DYEDCLOTH_X = [14, 12, 20, 11, 7, 10, 21, 16, 19, 23]
DYEDCLOTH_SIZE = [10.0, 8.0, 13.0, 10.0, 9.5, 10.0, 12.0, 10.5, 12.0, 12.5]


def test_u_chart_keeps_fractional_sizes_exact() -> None:
    """qcc's u chart of dyedcloth: centre sum(x)/sum(size) = 153/107.5 and, for roll 5
    (9.5 units), UCL 1.42326 + 3 sqrt(1.42326/9.5) = 2.5844. Truncating the sizes to whole
    units (9.5 -> 9, 10.5 -> 10: centre 153/106) gave 2.6448 there."""
    rows = [
        (f"R{i + 1:02d}", n, "flaw", x)
        for i, (n, x) in enumerate(zip(DYEDCLOTH_SIZE, DYEDCLOTH_X, strict=True))
    ]
    groups = attr.attribute_subgroups(_defects(rows))
    lim = _limits(_defects(rows))
    u = lim["defects:all"]
    assert u["chart"] == "u"
    assert u["limit_method"] == "3-sigma"
    ubar = sum(DYEDCLOTH_X) / sum(DYEDCLOTH_SIZE)
    assert u["center"] == pytest.approx(ubar, rel=1e-12)
    points = attr.attribute_points(groups, 25).filter(pl.col("characteristic") == "defects:all")
    got = points.sort("position").collect()
    assert got["ucl"].to_list() == pytest.approx(
        [ubar + 3 * math.sqrt(ubar / n) for n in DYEDCLOTH_SIZE], rel=1e-12
    )
    assert got["ucl"][4] == pytest.approx(2.5844, abs=5e-5)
    assert got["value"][4] == pytest.approx(7 / 9.5, rel=1e-12)
    # The p chart of the code cannot take a fractional size: those rolls are not on it.
    per_code = groups.filter(pl.col("characteristic") == "defect:flaw").collect()
    assert sorted(per_code["lot_id"].to_list()) == [
        f"R{i + 1:02d}" for i, n in enumerate(DYEDCLOTH_SIZE) if n == int(n)
    ]


def test_u_chart_probability_limits_take_the_exact_size() -> None:
    """A rare count on a fractional size: the Poisson mean is n r with n exact (2.5 units at
    r = 0.1 -> mean 0.25), not the rounded size."""
    from scipy.stats import poisson

    rows = [("A", 2.5, "pit", 0), ("B", 3.0, "pit", 1), ("C", 4.0, "pit", 0)]
    groups = attr.attribute_subgroups(_defects(rows))
    got = (
        attr.attribute_points(groups, 25)
        .filter(pl.col("characteristic") == "defects:all")
        .sort("position")
        .collect()
    )
    rate = 1 / 9.5
    assert got["chart"][0] == "u"
    assert got["ucl"][0] == pytest.approx(poisson.isf(attr.TAIL, 2.5 * rate) / 2.5, rel=1e-12)
