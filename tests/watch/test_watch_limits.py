"""The watch judges attribute charts against the snapshot's stored limits
(``twin_core.sim.quality.attributes.rates_from_limits``), not limits recomputed from what it reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from twin_core.sim.quality import attributes as attr
from twin_core.sim.quality.spc import violations
from twin_core.sim.quality.spc_rules import RuleConfig

T0 = datetime(2026, 3, 2, 6, 0)


def _defects(rows: list[tuple[str, float, str, int]], product: str = "P1") -> pl.LazyFrame:
    """(lot_id, inspected_qty, defect_code, defect_qty) of ``product``, lots an hour apart."""
    order = list(dict.fromkeys(r[0] for r in rows))
    return pl.LazyFrame(
        [
            (lot, T0 + timedelta(hours=order.index(lot)), product, n, code, d)
            for lot, n, code, d in rows
        ],
        schema={
            "lot_id": pl.String,
            "ts": pl.Datetime,
            "product_id": pl.String,
            "inspected_qty": pl.Float64,
            "defect_code": pl.String,
            "defect_qty": pl.Int64,
        },
        orient="row",
    )


CONSTANT = [(f"L{i:02d}", 100.0, "scratch", 1 + i % 3) for i in range(12)]
VARYING = [(f"V{i:02d}", 80.0 + 10 * (i % 4), "dent", 2 + i % 2) for i in range(12)]


def test_points_from_stored_limits_equal_points_from_the_baseline() -> None:
    """np / c and p / u series: the rates read back from the limits judge every lot exactly as
    the baseline they came from."""
    groups = attr.attribute_subgroups(pl.concat([_defects(CONSTANT), _defects(VARYING, "P2")]))
    limits = attr.attribute_limits(groups, 8)
    assert set(limits.collect()["chart"]) == {"np", "c", "p", "u"}
    recomputed = attr.attribute_points(groups, 8).collect()
    stored = attr.attribute_points(groups, 8, attr.rates_from_limits(limits)).collect()
    assert_frame_equal(stored, recomputed, check_exact=False, rtol=1e-9)


def test_stored_limits_judge_even_when_the_baseline_read_now_differs() -> None:
    """The snapshot's limits came from a baseline of 1-3 scratches a lot; a late correction
    rewrote the baseline lots to 6-8. Judged against the stored limits, a lot of 9 is beyond
    them; limits recomputed from the corrected rows would have let it pass."""
    snapshot = attr.attribute_limits(attr.attribute_subgroups(_defects(CONSTANT)), 8)
    corrected = [(lot, n, code, d + 5) for lot, n, code, d in CONSTANT[:8]]
    now = attr.attribute_subgroups(_defects([*corrected, ("L12", 100.0, "scratch", 9)]))
    rules = RuleConfig(default=("WE1",))
    judged = violations(attr.attribute_points(now, 8, attr.rates_from_limits(snapshot)), rules)
    assert "L12" in judged.collect()["lot_id"].to_list()
    assert violations(attr.attribute_points(now, 8), rules).collect().height == 0


def test_variables_limits_give_no_attribute_rates() -> None:
    limits = pl.LazyFrame(
        {
            "product_id": ["P1"],
            "characteristic": ["bore"],
            "chart": ["Xbar-R"],
            "limit_method": [None],
            "subgroup_size": [5.0],
            "center": [12.0],
        }
    )
    assert attr.rates_from_limits(limits).collect().height == 0
