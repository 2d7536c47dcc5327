"""Report fixtures: a warehouse with one complete snapshot and a helper to insert rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import duckdb
import polars as pl
import pytest

from twin_core.report import ReportData, load_report_data, resolve_snapshot
from twin_core.settings import Settings
from twin_core.warehouse import apply_schema, connect

AS_OF = date(2026, 3, 10)
TOMORROW = date(2026, 3, 11)

Insert = Callable[[str, list[dict[str, Any]]], None]

# Quality tables older warehouses may lack; the rules tests create them when they need them.
LOTS_TO_HOLD_DDL = (
    "create table if not exists history.lots_to_hold (snapshot_id bigint, lot_id varchar, "
    "product_id varchar, machine_id varchar, reason varchar, evidence varchar, "
    "flagged_at timestamp, characteristics varchar)"
)
QUALITY_DRIFT_DDL = (
    "create table if not exists history.quality_drift (snapshot_id bigint, machine_id varchar, "
    "metric varchar, product_id varchar, characteristic varchar, direction varchar, "
    "first_alarm_ts timestamp, max_ewma double, predicted_shift double)"
)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dict rows by column name; history tables get snapshot_id 1 unless given.
    Core tables get the provenance columns they require."""
    schema, _ = table.split(".")
    filled = []
    for r in rows:
        row = dict(r)
        if schema == "history" and table != "history.snapshots":
            row.setdefault("snapshot_id", 1)
        if schema == "core":
            row.setdefault("_batch_id", "b1")
            row.setdefault("_file", "f.csv")
            row.setdefault("_row", len(filled) + 1)
        filled.append(row)
    frame = pl.DataFrame(filled, infer_schema_length=None)
    con.register("_rows", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from _rows")
    finally:
        con.unregister("_rows")


def add_snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int = 1, as_of: date = AS_OF) -> None:
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, "
        "code_version, site_ids, params) values (?, ?, timestamp '2026-03-11 02:30:00', "
        "'complete', '[]', '0.1.0', '[]', '{\"timezone\": \"UTC\"}')",
        [snapshot_id, as_of],
    )


@pytest.fixture
def warehouse(mem_db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse holding complete snapshot 1 of 2026-03-10, with no twin rows."""
    add_snapshot(mem_db)
    return mem_db


@pytest.fixture
def insert(warehouse: duckdb.DuckDBPyConnection) -> Insert:
    def _insert(table: str, rows: list[dict[str, Any]]) -> None:
        insert_rows(warehouse, table, rows)

    return _insert


@pytest.fixture
def load(warehouse: duckdb.DuckDBPyConnection) -> Callable[[], ReportData]:
    """Load snapshot 1 as the report sees it."""

    def _load() -> ReportData:
        return load_report_data(warehouse, resolve_snapshot(warehouse, snapshot_id=1))

    return _load


@pytest.fixture
def file_warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The settings' warehouse.duckdb with the schema and snapshot 1; close it before
    calling build_reports (one process, one connection configuration)."""
    con = connect(settings.warehouse_path, settings=settings)
    apply_schema(con)
    add_snapshot(con)
    yield con
    con.close()


def machines(insert: Insert) -> None:
    """Line L1: M1 (cycle 30 s) then bottleneck M2 (cycle 60 s); line L2: M3."""
    insert(
        "core.machines",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "site_id": "S1",
                "line_position": 1,
                "ideal_cycle_time_s": 30.0,
            },
            {
                "machine_id": "M2",
                "line_id": "L1",
                "site_id": "S1",
                "line_position": 2,
                "ideal_cycle_time_s": 60.0,
            },
            {
                "machine_id": "M3",
                "line_id": "L2",
                "site_id": "S1",
                "line_position": 1,
                "ideal_cycle_time_s": 20.0,
            },
        ],
    )


def forecast(
    insert: Insert,
    line: str,
    required: float,
    p50: float,
    p10: float,
    bottleneck: str,
    day: date = TOMORROW,
) -> None:
    insert(
        "history.line_forecast",
        [
            {
                "line_id": line,
                "day": day,
                "required_qty": required,
                "p10_qty": p10,
                "p50_qty": p50,
                "p90_qty": p50 + 50,
                "bottleneck_machine_id": bottleneck,
            }
        ],
    )


def short_line(insert: Insert) -> None:
    """Line L1 needs 1000 tomorrow and the median forecast makes 800; it builds P1 from MAT1."""
    machines(insert)
    forecast(insert, "L1", 1000, 800, 700, "M2")
    insert(
        "core.work_orders",
        [
            {
                "work_order_id": "W1",
                "product_id": "P1",
                "line_id": "L1",
                "qty": 1000.0,
                "due_date": TOMORROW,
                "status": "released",
            }
        ],
    )
    insert("core.bom", [{"product_id": "P1", "material_id": "MAT1", "qty_per": 2.0}])
    insert(
        "core.materials",
        [
            {
                "material_id": "MAT1",
                "name": "steel",
                "unit": "kg",
                "unit_cost": 1.0,
                "supplier_id": "SUP1",
                "lead_time_days": 5.0,
            }
        ],
    )
    insert(
        "history.material_status",
        [
            {
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "on_hand": 5000.0,
                "days_of_cover": 2.5,
                "safety_stock": 100.0,
                "reorder_point": 900.0,
            }
        ],
    )
