"""Uncovered demand: customer demand not covered by open work orders, cumulatively per product."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from twin_core.sim.supply.uncovered_demand import uncovered_demand

AS_OF = date(2026, 3, 1)


def day(n: int) -> date:
    """The n-th day after the as-of date."""
    return AS_OF + timedelta(days=n)


def _demand(rows: list[tuple[str, int, float]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [("S1", p, day(d), q) for p, d, q in rows],
        schema={
            "site_id": pl.String,
            "product_id": pl.String,
            "due_date": pl.Date,
            "qty": pl.Float64,
        },
        orient="row",
    )


def _orders(rows: list[tuple[str, int, float, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [(p, q, day(d), s) for p, d, q, s in rows],
        schema={
            "product_id": pl.String,
            "qty": pl.Float64,
            "due_date": pl.Date,
            "status": pl.String,
        },
        orient="row",
    )


def test_demand_beyond_the_plan_is_uncovered_cumulatively() -> None:
    """Demand 30 then 20 against orders of 25 and 10: 5 short on day 2, 15 short on day 4."""
    demand = _demand([("P1", 2, 30.0), ("P1", 4, 20.0)])
    orders = _orders([("P1", 1, 25.0, "released"), ("P1", 3, 10.0, "planned")])
    got = uncovered_demand(demand, orders, as_of=AS_OF, horizon_days=7).collect()
    expected = pl.DataFrame(
        {
            "site_id": ["S1", "S1"],
            "product_id": ["P1", "P1"],
            "day": [day(2), day(4)],
            "demand_qty": [30.0, 20.0],
            "planned_qty": [0.0, 0.0],
            "cum_demand_qty": [30.0, 50.0],
            "cum_planned_qty": [25.0, 35.0],
            "uncovered_qty": [5.0, 15.0],
        }
    )
    assert_frame_equal(got, expected)


def test_a_later_work_order_does_not_cover_earlier_demand() -> None:
    """An order due after the demand leaves the demand uncovered on its day."""
    demand = _demand([("P1", 2, 10.0)])
    orders = _orders([("P1", 5, 10.0, "planned")])
    got = uncovered_demand(demand, orders, as_of=AS_OF, horizon_days=7).collect()
    assert got.select("uncovered_qty").item() == 10.0


def test_closed_orders_do_not_cover_and_past_due_open_orders_do() -> None:
    """Completed and cancelled orders are not supply; an open order already past due is."""
    demand = _demand([("P1", 1, 10.0)])
    orders = _orders(
        [("P1", 1, 10.0, "completed"), ("P1", 1, 10.0, "cancelled"), ("P1", -2, 4.0, "in_progress")]
    )
    got = uncovered_demand(demand, orders, as_of=AS_OF, horizon_days=7).collect()
    assert got.select("planned_qty", "uncovered_qty").row(0) == (4.0, 6.0)


def test_demand_outside_the_horizon_is_not_reported() -> None:
    """Demand due on or before as_of, or after the horizon, gives no row."""
    demand = _demand([("P1", 0, 10.0), ("P1", 8, 10.0)])
    got = uncovered_demand(demand, _orders([]), as_of=AS_OF, horizon_days=7).collect()
    assert got.height == 0


def test_demand_multiplier_shows_a_jump_as_uncovered() -> None:
    """Doubling P1's demand against a plan that covered it exactly leaves the jump uncovered."""
    demand = _demand([("P1", 1, 10.0), ("P2", 1, 10.0)])
    orders = _orders([("P1", 1, 10.0, "released"), ("P2", 1, 10.0, "released")])
    got = uncovered_demand(
        demand, orders, as_of=AS_OF, horizon_days=7, demand_multipliers={"P1": 2.0}
    ).collect()
    assert got.select("product_id", "uncovered_qty").rows() == [("P1", 10.0), ("P2", 0.0)]
