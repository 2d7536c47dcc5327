"""Inventory: requirements from open work orders, open PO receipts, projection and days of cover."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.sim.supply.inventory import (
    attribute_po_sites,
    days_of_cover,
    material_requirements,
    open_receipts,
    project_inventory,
)

AS_OF = date(2026, 3, 1)


def day(n: int) -> date:
    """The n-th day after the as-of date (day(1) is the first projected day)."""
    return AS_OF + timedelta(days=n)


def _work_orders(rows: list[tuple[str, float, date, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [("S1", *r) for r in rows],
        schema={
            "site_id": pl.String,
            "product_id": pl.String,
            "qty": pl.Float64,
            "due_date": pl.Date,
            "status": pl.String,
        },
        orient="row",
    )


BOM = pl.LazyFrame(
    {"product_id": ["P1", "P1", "P2"], "material_id": ["A", "B", "A"], "qty_per": [2.0, 0.5, 3.0]}
)

_PO_SCHEMA = {
    "site_id": pl.String,
    "po_id": pl.String,
    "material_id": pl.String,
    "supplier_id": pl.String,
    "qty": pl.Float64,
    "order_date": pl.Date,
    "promised_date": pl.Date,
    "received_date": pl.Date,
    "received_qty": pl.Float64,
}


def _pos(rows: list[tuple[object, ...]]) -> pl.LazyFrame:
    """Rows of (po_id, supplier_id, qty, order_date, promised_date, received_date, received_qty)
    for material A at site S1."""
    return pl.LazyFrame([("S1", r[0], "A", *r[1:]) for r in rows], schema=_PO_SCHEMA, orient="row")


def _stock(on_hand: float, material: str = "A") -> pl.LazyFrame:
    return pl.LazyFrame({"site_id": ["S1"], "material_id": [material], "on_hand": [on_hand]})


def _daily(values: list[float], material: str = "A", past_due: float = 0.0) -> pl.LazyFrame:
    """Requirements of one material on days 1..n (zeros dropped, as material_requirements does)."""
    rows = [
        ("S1", material, day(i + 1), v, past_due if i == 0 else 0.0)
        for i, v in enumerate(values)
        if v or (i == 0 and past_due)
    ]
    return pl.LazyFrame(
        rows,
        schema={
            "site_id": pl.String,
            "material_id": pl.String,
            "day": pl.Date,
            "requirement": pl.Float64,
            "past_due_requirement": pl.Float64,
        },
        orient="row",
    )


def _no_receipts() -> pl.LazyFrame:
    return pl.LazyFrame(
        schema={
            "site_id": pl.String,
            "material_id": pl.String,
            "day": pl.Date,
            "receipts": pl.Float64,
        }
    )


def test_requirement_sums_qty_times_qty_per_of_open_orders_due_that_day() -> None:
    """Planned, released and in-progress orders count; completed and cancelled do not."""
    orders = _work_orders(
        [
            ("P1", 10, day(2), "planned"),
            ("P2", 1, day(2), "released"),
            ("P1", 4, day(3), "in_progress"),
            ("P1", 100, day(3), "completed"),
            ("P2", 100, day(3), "cancelled"),
        ]
    )
    got = material_requirements(orders, BOM, as_of=AS_OF).collect()
    expected = pl.DataFrame(
        {
            "site_id": ["S1"] * 4,
            "material_id": ["A", "A", "B", "B"],
            "day": [day(2), day(3), day(2), day(3)],
            "requirement": [23.0, 8.0, 5.0, 2.0],
            "past_due_requirement": [0.0] * 4,
        }
    )
    assert_frame_equal(got, expected)


def test_past_due_open_orders_land_on_the_first_day_apart_from_requirement() -> None:
    """An open order due on or before as_of is owed on the first day, in past_due_requirement."""
    orders = _work_orders(
        [("P2", 2, AS_OF - timedelta(days=3), "released"), ("P2", 1, AS_OF, "planned")]
    )
    got = material_requirements(orders, BOM, as_of=AS_OF).collect()
    expected = pl.DataFrame(
        {
            "site_id": ["S1"],
            "material_id": ["A"],
            "day": [day(1)],
            "requirement": [0.0],
            "past_due_requirement": [9.0],
        }
    )
    assert_frame_equal(got, expected)


def test_demand_multiplier_scales_only_the_named_product() -> None:
    """A scenario multiplier of 1.5 on P2 scales its requirement and leaves P1's alone."""
    orders = _work_orders([("P1", 10, day(1), "planned"), ("P2", 10, day(1), "planned")])
    got = material_requirements(orders, BOM, as_of=AS_OF, demand_multipliers={"P2": 1.5})
    expected = pl.DataFrame({"material_id": ["A", "B"], "requirement": [20.0 + 45.0, 5.0]})
    assert_frame_equal(got.select("material_id", "requirement").collect(), expected)


def test_open_po_receipt_is_the_open_qty_on_the_promised_date() -> None:
    """A partially received PO (received_qty, no received_date) still brings qty - received_qty."""
    pos = _pos(
        [
            ("PO1", "SUP", 100.0, AS_OF, day(4), None, 30.0),
            ("PO2", "SUP", 50.0, AS_OF, day(4), None, None),
        ]
    )
    got = open_receipts(pos, as_of=AS_OF).collect()
    expected = pl.DataFrame(
        {"site_id": ["S1"], "material_id": ["A"], "day": [day(4)], "receipts": [120.0]}
    )
    assert_frame_equal(got, expected)


def test_po_received_after_as_of_was_still_open_at_as_of() -> None:
    """Replaying an earlier day, a PO received later counts as open with its full quantity."""
    pos = _pos([("PO1", "SUP", 100.0, AS_OF, day(2), day(3), 100.0)])
    got = open_receipts(pos, as_of=AS_OF).collect()
    assert got.select("day", "receipts").rows() == [(day(2), 100.0)]


def test_received_and_future_pos_bring_no_receipts() -> None:
    """A PO received by as_of is closed; a PO ordered after as_of was not known then."""
    pos = _pos(
        [
            ("PO1", "SUP", 100.0, AS_OF - timedelta(days=9), day(2), AS_OF, 100.0),
            ("PO2", "SUP", 100.0, day(1), day(5), None, None),
        ]
    )
    assert open_receipts(pos, as_of=AS_OF).collect().height == 0


def test_a_passed_promise_lands_on_the_first_day() -> None:
    """An open PO whose promised date has passed is expected on the first projected day."""
    pos = _pos(
        [("PO1", "SUP", 10.0, AS_OF - timedelta(days=9), AS_OF - timedelta(days=2), None, None)]
    )
    assert open_receipts(pos, as_of=AS_OF).collect().select("day").item() == day(1)


def test_supplier_delay_moves_the_promised_receipt() -> None:
    """A scenario delay of 2.5 days on the supplier moves its receipt 3 whole days later."""
    pos = _pos(
        [
            ("PO1", "SUP", 10.0, AS_OF, day(4), None, None),
            ("PO2", "OTHER", 5.0, AS_OF, day(4), None, None),
        ]
    )
    got = open_receipts(pos, as_of=AS_OF, supplier_delays={"SUP": 2.5}).collect()
    assert got.select("day", "receipts").rows() == [(day(4), 5.0), (day(7), 10.0)]


def test_projection_closes_with_opening_less_requirements_plus_receipts() -> None:
    """Each day opens with the previous close; past-due requirement comes off the first day."""
    receipts = pl.LazyFrame(
        {"site_id": ["S1"], "material_id": ["A"], "day": [day(2)], "receipts": [5.0]}
    )
    got = project_inventory(
        _stock(10.0), _daily([2.0, 3.0, 0.0], past_due=1.0), receipts, as_of=AS_OF, days=3
    ).collect()
    expected = pl.DataFrame(
        {
            "site_id": ["S1"] * 3,
            "material_id": ["A"] * 3,
            "day": [day(1), day(2), day(3)],
            "opening_on_hand": [10.0, 7.0, 9.0],
            "past_due_requirement": [1.0, 0.0, 0.0],
            "requirement": [2.0, 3.0, 0.0],
            "receipts": [0.0, 5.0, 0.0],
            "closing_on_hand": [7.0, 9.0, 9.0],
        }
    )
    assert_frame_equal(got, expected)


def test_projection_gives_a_material_without_stock_row_zero_opening() -> None:
    """A material required but absent from inventory starts the projection at 0."""
    got = project_inventory(
        _stock(5.0, material="B"), _daily([4.0]), _no_receipts(), as_of=AS_OF, days=1
    ).collect()
    assert got.select("material_id", "opening_on_hand", "closing_on_hand").rows() == [
        ("A", 0.0, -4.0),
        ("B", 5.0, 5.0),
    ]


@pytest.mark.parametrize(
    ("stock", "daily", "expected"),
    [(10.0, [2.0, 3.0, 4.0, 2.0], 3.5), (5.0, [2.0, 2.0, 4.0], 2.25)],
    ids=["sap-3.5", "sap-2.25"],
)
def test_days_of_cover_matches_the_reference_cases(
    stock: float, daily: list[float], expected: float
) -> None:
    """Time-phased cover with the fractional last day (reference-cases.md, SAP stock coverage)."""
    got = days_of_cover(_stock(stock), _daily(daily), as_of=AS_OF).collect()
    assert got.select("days_of_cover").item() == pytest.approx(expected, rel=1e-9)
    assert got.select("days_of_cover_unbounded").item() is False


def test_days_of_cover_without_future_demand_is_unbounded() -> None:
    """No future requirement: cover is reported unbounded, days_of_cover null, not a big number."""
    got = days_of_cover(_stock(5.0), _daily([]), as_of=AS_OF).collect()
    expected = pl.DataFrame(
        {
            "site_id": ["S1"],
            "material_id": ["A"],
            "on_hand": [5.0],
            "days_of_cover": [None],
            "days_of_cover_unbounded": [True],
        },
        schema_overrides={"days_of_cover": pl.Float64},
    )
    assert_frame_equal(got, expected)


def test_stock_outlasting_every_known_requirement_is_unbounded() -> None:
    """Stock 10 against 2 and 3 and nothing after is never exhausted: unbounded."""
    got = days_of_cover(_stock(10.0), _daily([2.0, 3.0]), as_of=AS_OF).collect()
    assert got.select("days_of_cover_unbounded").item() is True


def test_days_of_cover_counts_days_without_demand_as_covered() -> None:
    """Stock 4 against 2, 0, 0, 4 lasts two empty days and half of the fourth: 3.5."""
    got = days_of_cover(_stock(4.0), _daily([2.0, 0.0, 0.0, 4.0]), as_of=AS_OF).collect()
    assert got.select("days_of_cover").item() == pytest.approx(3.5)


def test_days_of_cover_pays_past_due_first() -> None:
    """Stock 3 with 4 past due covers nothing; stock 6 with 4 past due covers half of a 4-day."""
    short = days_of_cover(_stock(3.0), _daily([4.0], past_due=4.0), as_of=AS_OF).collect()
    enough = days_of_cover(_stock(6.0), _daily([4.0], past_due=4.0), as_of=AS_OF).collect()
    assert (short.select("days_of_cover").item(), enough.select("days_of_cover").item()) == (
        0.0,
        0.5,
    )


def test_days_of_cover_of_a_material_with_no_stock_row_is_zero() -> None:
    """A required material missing from inventory has on_hand 0 and cover 0."""
    got = days_of_cover(_stock(1.0, material="B"), _daily([2.0]), as_of=AS_OF).collect()
    assert got.filter(pl.col("material_id") == "A").select("on_hand", "days_of_cover").row(0) == (
        0.0,
        0.0,
    )


def test_po_goes_to_the_lowest_site_holding_its_material() -> None:
    """Contract v1 POs carry no site: they land at the lowest site_id that holds or needs it."""
    pos = _pos([("PO1", "SUP", 1.0, AS_OF, day(1), None, None)]).drop("site_id")
    sites = pl.LazyFrame({"site_id": ["S2", "S1", None], "material_id": ["A", "A", "A"]})
    got = attribute_po_sites(pos, sites).collect()
    assert got.select("po_id", "site_id").rows() == [("PO1", "S1")]
