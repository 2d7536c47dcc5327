"""Supply builder: core rows in the warehouse become twin.material_status and its siblings."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.twin.core_rows import insert_by_name
from twin_core.rebuild import builders, rebuild
from twin_core.settings import Settings
from twin_core.twin import supply
from twin_core.warehouse import fetch_polars

AS_OF = date(2026, 3, 10)


def day(n: int) -> date:
    """The n-th day after the as-of date (negative: before it)."""
    return AS_OF + timedelta(days=n)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, object]]) -> None:
    """Insert rows into core.<table> by column name, with provenance filled in."""
    frame = pl.DataFrame(rows).with_columns(
        _batch_id=pl.lit("b1"), _file=pl.lit(f"{table}.csv"), _row=pl.int_range(pl.len())
    )
    insert_by_name(con, table, frame)


@pytest.fixture
def plant(mem_db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """One site S1, line L1 building P1 from 2 x A (supplier SUP1) at 10 units a day."""
    _insert(
        mem_db,
        "machines",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "site_id": "S1",
                "name": "press",
                "machine_type": "press",
                "line_position": 1,
                "ideal_cycle_time_s": 10.0,
            },
        ],
    )
    _insert(
        mem_db,
        "products",
        [{"product_id": "P1", "name": "widget", "revision": "A", "line_id": "L1"}],
    )
    _insert(mem_db, "bom", [{"product_id": "P1", "material_id": "A", "qty_per": 2.0}])
    _insert(mem_db, "suppliers", [{"supplier_id": "SUP1", "name": "Acme", "country": "DE"}])
    _insert(
        mem_db,
        "materials",
        [
            {
                "material_id": "A",
                "name": "steel",
                "unit": "kg",
                "unit_cost": 4.0,
                "supplier_id": "SUP1",
                "lead_time_days": 3.0,
                "min_order_qty": 1000.0,
                "service_level": 0.95,
            },
        ],
    )
    _insert(
        mem_db,
        "inventory",
        [
            {"site_id": "S1", "material_id": "A", "on_hand": 90.0, "as_of": day(-2)},
            {"site_id": "S1", "material_id": "A", "on_hand": 70.0, "as_of": day(-1)},
            # Arrives in a later extract: a rebuild as of AS_OF must not see it.
            {"site_id": "S1", "material_id": "A", "on_hand": 999.0, "as_of": day(1)},
        ],
    )
    _insert(
        mem_db,
        "work_orders",
        [
            {
                "work_order_id": f"W{n}",
                "product_id": "P1",
                "line_id": "L1",
                "qty": 10.0,
                "due_date": day(n),
                "status": "released",
            }
            for n in range(1, 15)
        ],
    )
    _insert(
        mem_db,
        "purchase_orders",
        [
            {
                "po_id": "PO1",
                "material_id": "A",
                "supplier_id": "SUP1",
                "qty": 100.0,
                "order_date": day(-5),
                "promised_date": day(5),
                "received_date": None,
                "received_qty": None,
            },
            # Ordered after as_of: not known yet.
            {
                "po_id": "PO2",
                "material_id": "A",
                "supplier_id": "SUP1",
                "qty": 500.0,
                "order_date": day(2),
                "promised_date": day(3),
                "received_date": None,
                "received_qty": None,
            },
        ],
    )
    _insert(
        mem_db,
        "demand",
        [
            {
                "order_id": "D1",
                "product_id": "P1",
                "due_date": day(2),
                "qty": 50.0,
                "customer_id": "C1",
            }
        ],
    )
    return mem_db


def test_builder_is_registered_in_the_snapshot() -> None:
    """builders() includes the supply builder, so every nightly rebuild runs it."""
    assert supply.build in builders()


def test_rebuild_writes_material_status_from_core_rows(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Stock 70 as of the day before, 20/day, 100 arriving on day 5: out on day 4, order by day 1."""
    sid = rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    got = fetch_polars(
        plant,
        "select snapshot_id, site_id, material_id, supplier_id, on_hand, on_hand_as_of, "
        "days_of_cover, stockout_date, safety_stock, order_qty, order_policy, order_by_date "
        "from twin.material_status",
    )
    expected = pl.DataFrame(
        {
            "snapshot_id": [sid],
            "site_id": ["S1"],
            "material_id": ["A"],
            "supplier_id": ["SUP1"],
            "on_hand": [70.0],
            "on_hand_as_of": [day(-1)],
            "days_of_cover": [3.5],
            "stockout_date": [day(4)],
            "safety_stock": [0.0],
            "order_qty": [1000.0],
            "order_policy": ["min_order_qty"],
            "order_by_date": [day(1)],
        }
    )
    assert_frame_equal(got, expected, check_dtypes=False)


def test_rebuild_writes_the_projection_over_the_horizon(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """horizon_days rows from as_of + 1; the known PO lands on day 5, the future one nowhere."""
    rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    got = fetch_polars(plant, "select day, receipts from twin.inventory_projection order by day")
    assert got.height == settings.horizon_days
    assert got.filter(pl.col("receipts") > 0).rows() == [(day(5), 100.0)]


def test_rebuild_reports_uncovered_demand_and_supplier_performance(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Demand 50 by day 2 against 20 planned leaves 30 uncovered; SUP1 has one open PO."""
    rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    uncovered = fetch_polars(
        plant, "select site_id, product_id, day, uncovered_qty from twin.uncovered_demand"
    )
    assert uncovered.rows() == [("S1", "P1", day(2), 30.0)]
    perf = fetch_polars(
        plant, "select supplier_id, received_pos, open_pos from twin.supplier_performance"
    )
    assert perf.rows() == [("SUP1", 0, 1)]


def test_rebuilding_the_same_day_gives_identical_tables(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Two rebuilds of one as_of on the same core rows differ only in snapshot_id."""
    first = rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    second = rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    for table in (
        "inventory_projection",
        "material_status",
        "supplier_performance",
        "uncovered_demand",
    ):
        a, b = (
            fetch_polars(
                plant,
                f"select * exclude (snapshot_id) from history.{table} where snapshot_id = ?",
                [s],
            )
            for s in (first, second)
        )
        assert_frame_equal(a, b)


def test_site_selection_excludes_other_sites(
    plant: duckdb.DuckDBPyConnection, twin_home: object
) -> None:
    """With site_ids = ['S2'] the S1 plant contributes no material rows."""
    settings = Settings(site_ids=["S2"])
    rebuild(plant, settings, AS_OF, builder_list=[supply.build])
    got = fetch_polars(plant, "select count(*) as n from twin.material_status")
    assert got.item() == 0


def test_empty_core_gives_empty_tables(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A warehouse with no rows yet rebuilds without error and writes no supply rows."""
    rebuild(mem_db, settings, AS_OF, builder_list=[supply.build])
    got = fetch_polars(
        mem_db,
        "select (select count(*) from twin.material_status) + "
        "(select count(*) from twin.inventory_projection) as n",
    )
    assert got.item() == 0
