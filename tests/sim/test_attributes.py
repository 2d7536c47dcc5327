"""Attribute charts: p / np per defect code, c / u for all defects, chosen by inspected size."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.sim import attributes as attr
from twin_core.sim.spc import violations
from twin_core.sim.spc_rules import RuleConfig

T0 = datetime(2026, 3, 2, 6, 0)


def _defects(rows: list[tuple[str, int, str, int]]) -> pl.LazyFrame:
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
            "inspected_qty": pl.Int64,
            "defect_code": pl.String,
            "defect_qty": pl.Int64,
        },
        orient="row",
    )


def _limits(defects: pl.LazyFrame, baseline: int = 25) -> dict[str, dict[str, object]]:
    frame = attr.attribute_limits(attr.attribute_subgroups(defects), baseline).collect()
    return {r["characteristic"]: r for r in frame.to_dicts()}


def test_constant_inspected_size_gives_np_and_c_charts() -> None:
    """Three lots of 100 with 2, 4, 3 scratches: np centre 3, limits 3 +- 3 sqrt(3 * 0.97)."""
    got = _limits(
        _defects([("A", 100, "scratch", 2), ("B", 100, "scratch", 4), ("C", 100, "scratch", 3)])
    )
    np_sigma = math.sqrt(100 * 0.03 * 0.97)
    expected = {
        "chart": "np",
        "center": pytest.approx(3.0),
        "lcl": 0.0,
        "ucl": pytest.approx(3.0 + 3 * np_sigma),
        "sigma": pytest.approx(np_sigma),
    }
    assert {k: got["defect:scratch"][k] for k in expected} == expected
    assert got["defects:all"]["chart"] == "c"
    assert got["defects:all"]["ucl"] == pytest.approx(3.0 + 3 * math.sqrt(3.0))


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
    """After 10 lots with 1 or 2 defects in 100, a lot with 20 is flagged WE1 on the np chart."""
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
