"""Time the inventory and supply computation (``simulate_supply``) on synthetic frames.

Grain of the output: one line per plant size: materials, products, work orders, POs, the
wall time of building and collecting the four tables (best of 3), and their row counts;
then the process's peak RSS.
Run: ``.venv/bin/python bench/supply_bench.py [--sizes 30,300,3000]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date, timedelta

import numpy as np
import polars as pl

from twin_core.sim.supply.chain import SupplyFrames, SupplyParams, simulate_supply

AS_OF = date(2026, 3, 1)


def frames(materials: int, seed: int = 1) -> SupplyFrames:
    """A plant with ``materials`` materials, a tenth as many products (8 materials each), one
    open work order per product per day for 60 days, and 2 years of POs (one per material a week)."""
    rng = np.random.default_rng(seed)
    products = max(materials // 10, 1)
    mids = [f"M{i:05d}" for i in range(materials)]
    pids = [f"P{i:04d}" for i in range(products)]
    suppliers = [f"S{i:03d}" for i in range(max(materials // 5, 1))]
    bom_p = np.repeat(pids, 8)
    bom_m = rng.choice(mids, size=bom_p.size)
    bom = pl.DataFrame(
        {"product_id": bom_p, "material_id": bom_m, "qty_per": rng.uniform(0.1, 3, bom_p.size)}
    ).unique(["product_id", "material_id"])
    days = np.arange(-10, 60)
    wo_p = np.repeat(pids, days.size)
    wo_d = np.tile(days, products)
    work_orders = pl.DataFrame(
        {
            "site_id": "SITE1",
            "product_id": wo_p,
            "qty": rng.integers(5, 50, wo_p.size).astype(float),
            "due_date": [AS_OF + timedelta(days=int(d)) for d in wo_d],
            "status": np.where(wo_d < 0, "completed", "released"),
        }
    )
    sup_of = {m: suppliers[i % len(suppliers)] for i, m in enumerate(mids)}
    po_m = np.repeat(mids, 104)
    order_off = np.tile(np.arange(-728, 0, 7), materials)
    lead = rng.integers(3, 20, po_m.size)
    received = order_off + lead + rng.integers(-2, 5, po_m.size)
    is_open = received > 0
    purchase_orders = pl.DataFrame(
        {
            "po_id": [f"PO{i}" for i in range(po_m.size)],
            "material_id": po_m,
            "supplier_id": [sup_of[m] for m in po_m],
            "qty": rng.integers(50, 500, po_m.size).astype(float),
            "order_date": [AS_OF + timedelta(days=int(d)) for d in order_off],
            "promised_date": [AS_OF + timedelta(days=int(d)) for d in order_off + lead],
            "received_date": [
                None if o else AS_OF + timedelta(days=int(d))
                for d, o in zip(received, is_open, strict=True)
            ],
            "received_qty": [None] * po_m.size,
        },
        schema_overrides={"received_qty": pl.Float64},
    )
    return SupplyFrames(
        work_orders=work_orders.lazy(),
        bom=bom.lazy(),
        on_hand=pl.LazyFrame(
            {"site_id": "SITE1", "material_id": mids, "on_hand": rng.uniform(0, 2000, materials)}
        ),
        purchase_orders=purchase_orders.lazy(),
        materials=pl.LazyFrame(
            {
                "material_id": mids,
                "supplier_id": [sup_of[m] for m in mids],
                "unit_cost": rng.uniform(0.5, 50, materials),
                "lead_time_days": rng.integers(3, 20, materials).astype(float),
                "min_order_qty": [None if x else 100.0 for x in rng.integers(0, 2, materials)],
                "service_level": [(None, 0.95, 0.99)[x] for x in rng.integers(0, 3, materials)],
            },
            schema_overrides={"min_order_qty": pl.Float64, "service_level": pl.Float64},
        ),
        suppliers=pl.LazyFrame({"supplier_id": suppliers}),
        demand=work_orders.filter(pl.col("status") == "released")
        .select("site_id", "product_id", "due_date", qty=pl.col("qty") * 1.1)
        .lazy(),
    )


def run(materials: int) -> None:
    f = frames(materials)
    params = SupplyParams(as_of=AS_OF, horizon_days=14)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        lazy = simulate_supply(f, params)
        tables = dict(zip(lazy, pl.collect_all(list(lazy.values())), strict=True))
        best = min(best, time.perf_counter() - start)
    wos = f.work_orders.select(pl.len()).collect().item()
    pos = f.purchase_orders.select(pl.len()).collect().item()
    rows = ", ".join(f"{k} {v.height}" for k, v in tables.items())
    print(
        f"{materials} materials, {materials // 10} products, {wos} work orders, {pos} POs: {best:.3f} s ({rows})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="30,300,3000")
    for size in parser.parse_args().sizes.split(","):
        run(int(size))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process (inputs included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
