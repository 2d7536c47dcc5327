"""The supply computation of a snapshot: the four tables, sites, determinism and scenario knobs."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from twin_core.sim.supply.chain import SupplyFrames, SupplyParams, simulate_supply

AS_OF = date(2026, 3, 1)


def day(n: int) -> date:
    """The n-th day after the as-of date."""
    return AS_OF + timedelta(days=n)


def _frames() -> SupplyFrames:
    """Two sites: S1 builds P1 (material A from SUP1) daily, S2 builds P2 (material B from SUP2)."""
    orders = [("S1", "P1", 10.0, day(d), "released") for d in range(1, 21)]
    orders += [("S2", "P2", 5.0, day(d), "planned") for d in range(1, 21)]
    return SupplyFrames(
        work_orders=pl.LazyFrame(
            orders,
            schema=["site_id", "product_id", "qty", "due_date", "status"],
            orient="row",
        ),
        bom=pl.LazyFrame(
            {"product_id": ["P1", "P2"], "material_id": ["A", "B"], "qty_per": [1.0, 2.0]}
        ),
        on_hand=pl.LazyFrame(
            {"site_id": ["S1", "S2"], "material_id": ["A", "B"], "on_hand": [45.0, 150.0]}
        ),
        purchase_orders=pl.LazyFrame(
            [("PO1", "A", "SUP1", 100.0, AS_OF - timedelta(days=2), day(4), None, None)],
            schema={
                "po_id": pl.String,
                "material_id": pl.String,
                "supplier_id": pl.String,
                "qty": pl.Float64,
                "order_date": pl.Date,
                "promised_date": pl.Date,
                "received_date": pl.Date,
                "received_qty": pl.Float64,
            },
            orient="row",
        ),
        materials=pl.LazyFrame(
            {
                "material_id": ["A", "B"],
                "supplier_id": ["SUP1", "SUP2"],
                "unit_cost": [2.0, 3.0],
                "lead_time_days": [4.0, 6.0],
                "min_order_qty": [None, 50.0],
                "service_level": [0.95, None],
            }
        ),
        suppliers=pl.LazyFrame({"supplier_id": ["SUP1", "SUP2"]}),
        demand=pl.LazyFrame(
            {
                "site_id": ["S1", "S2"],
                "product_id": ["P1", "P2"],
                "due_date": [day(2), day(3)],
                "qty": [40.0, 5.0],
            }
        ),
    )


def _run(**params: object) -> dict[str, pl.DataFrame]:
    lazy = simulate_supply(_frames(), SupplyParams(as_of=AS_OF, horizon_days=10, **params))  # type: ignore[arg-type]
    return {name: frame.collect() for name, frame in lazy.items()}


def _status(tables: dict[str, pl.DataFrame], material: str) -> dict[str, object]:
    return tables["material_status"].filter(pl.col("material_id") == material).row(0, named=True)


def test_same_inputs_give_identical_tables() -> None:
    """Two runs on the same frames and parameters return equal tables, row order included."""
    first, second = _run(), _run()
    for name in first:
        assert_frame_equal(first[name], second[name])


def test_projection_covers_exactly_the_horizon() -> None:
    """inventory_projection has horizon_days rows per site and material, from as_of + 1."""
    proj = _run()["inventory_projection"]
    got = proj.group_by("site_id", "material_id").agg(
        n=pl.len(), first=pl.col("day").min(), last=pl.col("day").max()
    )
    expected = pl.DataFrame(
        {
            "site_id": ["S1", "S2"],
            "material_id": ["A", "B"],
            "n": [10, 10],
            "first": [day(1), day(1)],
            "last": [day(10), day(10)],
        },
        schema_overrides={"n": pl.UInt32},
    )
    assert_frame_equal(got.sort("site_id"), expected)


def test_po_receipts_land_at_the_site_of_their_material() -> None:
    """PO1 for material A arrives at S1 (the only site holding A) on its promised day."""
    proj = _run()["inventory_projection"]
    got = proj.filter(pl.col("receipts") > 0).select("site_id", "material_id", "day", "receipts")
    assert got.rows() == [("S1", "A", day(4), 100.0)]


def test_site_selection_keeps_only_the_selected_site() -> None:
    """site_ids=('S2',) leaves S1's materials and demand out."""
    tables = _run(site_ids=("S2",))
    assert tables["material_status"].get_column("site_id").to_list() == ["S2"]
    assert tables["uncovered_demand"].get_column("site_id").unique().to_list() == ["S2"]
    assert tables["inventory_projection"].get_column("site_id").unique().to_list() == ["S2"]


def test_supplier_delay_pushes_the_receipt_past_the_stockout() -> None:
    """Stock 45 at 10/day with 100 due on day 4: no stockout; SUP1 five days late: out on day 5."""
    baseline = _status(_run(), "A")
    delayed = _status(_run(supplier_delays={"SUP1": 5}), "A")
    assert (baseline["stockout_date"], delayed["stockout_date"]) == (None, day(5))
    assert delayed["lead_time_days"] == 9.0


def test_demand_multiplier_shortens_cover() -> None:
    """Doubling P2 halves the cover of its material B: 150 at 10/day lasts 15 days, at 20/day 7.5."""
    baseline = _status(_run(), "B")
    doubled = _status(_run(demand_multipliers={"P2": 2.0}), "B")
    assert (baseline["days_of_cover"], doubled["days_of_cover"]) == (15.0, 7.5)


def test_uncovered_demand_compares_demand_with_the_plan() -> None:
    """P1 wants 40 by day 2 against 20 planned: 20 uncovered; P2 is covered."""
    got = _run()["uncovered_demand"].select("product_id", "uncovered_qty")
    assert got.rows() == [("P1", 20.0), ("P2", 0.0)]


def test_supplier_performance_lists_every_supplier() -> None:
    """Both suppliers appear with a score in 0..1."""
    perf = _run()["supplier_performance"]
    assert perf.get_column("supplier_id").to_list() == ["SUP1", "SUP2"]
    assert perf.get_column("risk_score").is_between(0.0, 1.0).all()


@pytest.mark.parametrize(
    "bad",
    [
        {"demand_multipliers": {"P1": -1.0}},
        {"supplier_delays": {"SUP1": float("nan")}},
        {"bogus": 1},
    ],
    ids=["negative-multiplier", "nan-delay", "unknown-field"],
)
def test_bad_scenario_parameters_are_refused(bad: dict[str, object]) -> None:
    """A negative multiplier, a NaN delay or an unknown field fails validation, naming it."""
    with pytest.raises(ValidationError):
        SupplyParams(as_of=AS_OF, **bad)  # type: ignore[arg-type]
