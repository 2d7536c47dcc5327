"""A tiny plant in core (one line, one product, one material) and a real snapshot of it, for
scenario and flow tests (a real rebuild of hand-written rows; no synthetic generator needed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

AS_OF = date(2026, 1, 5)


def _insert(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows):
        cols = [*row, "_batch_id", "_file", "_row"]
        values = [*row.values(), "b1", f"{table}.csv", i + 1]
        con.execute(
            f"insert into core.{table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
            values,
        )


def seed_tiny_plant(settings: Settings) -> None:
    """Stock of 100 against 40 a day, saved by a PO of 200 promised on day 3 (Jan 8)."""
    with open_warehouse(settings) as con:
        _insert(
            con,
            "machines",
            [
                dict(
                    machine_id="M1",
                    line_id="L1",
                    site_id="S1",
                    name="press",
                    machine_type="press",
                    line_position=1,
                    ideal_cycle_time_s=30.0,
                ),
                dict(
                    machine_id="M2",
                    line_id="L1",
                    site_id="S1",
                    name="pack",
                    machine_type="pack",
                    line_position=2,
                    ideal_cycle_time_s=20.0,
                ),
            ],
        )
        _insert(con, "products", [dict(product_id="P1", name="widget", revision="A", line_id="L1")])
        _insert(con, "bom", [dict(product_id="P1", material_id="MAT1", qty_per=2.0)])
        _insert(con, "suppliers", [dict(supplier_id="SUP1", name="Acme", country="DE")])
        _insert(
            con,
            "materials",
            [
                dict(
                    material_id="MAT1",
                    name="steel",
                    unit="kg",
                    unit_cost=2.0,
                    supplier_id="SUP1",
                    lead_time_days=5.0,
                    min_order_qty=100.0,
                    service_level=0.95,
                )
            ],
        )
        _insert(
            con, "inventory", [dict(site_id="S1", material_id="MAT1", on_hand=100.0, as_of=AS_OF)]
        )
        _insert(
            con,
            "work_orders",
            [
                dict(
                    work_order_id=f"WO{d}",
                    product_id="P1",
                    line_id="L1",
                    qty=20.0,
                    due_date=AS_OF + timedelta(days=d),
                    status="released",
                )
                for d in range(1, 6)
            ],
        )
        _insert(
            con,
            "demand",
            [
                dict(
                    order_id=f"O{d}",
                    product_id="P1",
                    due_date=AS_OF + timedelta(days=d),
                    qty=20.0,
                    customer_id="C1",
                )
                for d in range(1, 6)
            ],
        )
        _insert(
            con,
            "purchase_orders",
            [
                dict(
                    po_id="PO1",
                    material_id="MAT1",
                    supplier_id="SUP1",
                    qty=200.0,
                    order_date=date(2026, 1, 1),
                    promised_date=date(2026, 1, 8),
                    received_date=None,
                    received_qty=None,
                )
            ],
        )


def tiny_snapshot(settings: Settings) -> int:
    """The tiny plant, rebuilt into a snapshot as of 2026-01-05; returns its snapshot_id."""
    seed_tiny_plant(settings)
    with open_warehouse(settings) as con:
        return rebuild(con, settings, AS_OF)
