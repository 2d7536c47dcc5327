"""Time ``build_reports`` on a synthetic snapshot written straight into history tables.

Grain of the output: one line per plant size: lines, machines, materials, SPC series, the wall
time of one report run (instructions computed and stored, four files written; best of 3), the
instruction count and the size of index.html and quality.html; then the process's peak RSS.
Run: ``.venv/bin/python bench/report_bench.py [--sizes 3,10,30] [--home /tmp/report-bench]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from twin_core.report import build_reports
from twin_core.settings import Settings
from twin_core.warehouse import apply_schema, connect

AS_OF = date(2026, 3, 10)


def _insert(con: Any, table: str, frame: pl.DataFrame) -> None:
    con.register("_f", frame.to_arrow())
    try:
        con.execute(f"insert into {table} by name select * from _f")
    finally:
        con.unregister("_f")


def seed(settings: Settings, lines: int, rng: np.random.Generator) -> dict[str, int]:
    """A snapshot with ``lines`` lines of 6 machines, 4 sensors each, 40 materials and 4 SPC
    series per line, 60 days of machine_day and a 14-day horizon."""
    con = connect(settings.warehouse_path)
    apply_schema(con)
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, "
        "code_version, site_ids, params) values (1, ?, now()::timestamp, 'complete', '[]', "
        "'bench', '[]', '{\"timezone\": \"UTC\", \"horizon_days\": 14}')",
        [AS_OF],
    )
    machines = [(f"L{ln:02d}-M{m}", f"L{ln:02d}", m) for ln in range(lines) for m in range(1, 7)]
    mids = [m for m, _, _ in machines]
    n_mat = 40 * lines
    mats = [f"MAT{i:05d}" for i in range(n_mat)]
    days60 = [AS_OF - timedelta(days=d) for d in range(60)]
    ahead = [AS_OF + timedelta(days=d) for d in range(1, 15)]
    _insert(
        con,
        "core.machines",
        pl.DataFrame(
            {
                "machine_id": mids,
                "line_id": [ln for _, ln, _ in machines],
                "site_id": "S1",
                "line_position": [p for _, _, p in machines],
                "ideal_cycle_time_s": rng.uniform(20, 60, len(mids)),
                "_batch_id": "b",
                "_file": "f",
                "_row": range(len(mids)),
            }
        ),
    )
    _insert(
        con,
        "history.machine_day",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "machine_id": [m for m in mids for _ in days60],
                "line_id": [ln for _, ln, _ in machines for _ in days60],
                "day": days60 * len(mids),
                "oee": rng.uniform(0.4, 0.9, len(mids) * 60),
            }
        ),
    )
    _insert(
        con,
        "history.line_forecast",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "line_id": [f"L{ln:02d}" for ln in range(lines) for _ in ahead],
                "day": ahead * lines,
                "required_qty": rng.uniform(800, 1200, lines * 14),
                "p10_qty": rng.uniform(700, 900, lines * 14),
                "p50_qty": rng.uniform(900, 1100, lines * 14),
                "p90_qty": rng.uniform(1100, 1300, lines * 14),
                "bottleneck_machine_id": [f"L{ln:02d}-M3" for ln in range(lines) for _ in ahead],
            }
        ),
    )
    _insert(
        con,
        "history.machine_health",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "machine_id": mids,
                "line_id": [ln for _, ln, _ in machines],
                "health_score": rng.uniform(0.3, 1.0, len(mids)),
                "predicted_limit_date": [
                    AS_OF + timedelta(days=int(d)) if d < 10 else None
                    for d in rng.integers(1, 40, len(mids))
                ],
                "evidence": "vibration trend",
            }
        ),
    )
    sensors = [f"{m}-S{k}" for m in mids for k in range(4)]
    _insert(
        con,
        "history.sensor_status",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "sensor_id": sensors,
                "machine_id": [s.rsplit("-", 1)[0] for s in sensors],
                "status": rng.choice(["ok"] * 30 + ["stuck", "dropout"], len(sensors)),
            }
        ),
    )
    _insert(
        con,
        "history.material_status",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "material_id": mats,
                "supplier_id": [f"SUP{i % 20}" for i in range(n_mat)],
                "on_hand": rng.uniform(0, 5000, n_mat),
                "days_of_cover": rng.uniform(1, 30, n_mat),
                "reorder_point": 1000.0,
                "safety_stock": 300.0,
                "order_qty": 2000.0,
                "order_by_date": [
                    AS_OF + timedelta(days=int(d)) for d in rng.integers(0, 30, n_mat)
                ],
            }
        ),
    )
    _insert(
        con,
        "history.inventory_projection",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "material_id": [m for m in mats for _ in ahead],
                "day": ahead * n_mat,
                "closing_on_hand": rng.uniform(-100, 5000, n_mat * 14),
            }
        ),
    )
    series = [(f"P{ln:02d}", f"char{k}") for ln in range(lines) for k in range(4)]
    lots = 200
    _insert(
        con,
        "core.inspections",
        pl.DataFrame(
            {
                "inspection_id": [f"I{i}" for i in range(len(series) * lots * 5)],
                "ts": [
                    datetime(2026, 1, 1) + timedelta(hours=6 * n)
                    for _ in series
                    for n in range(lots)
                    for _ in range(5)
                ],
                "lot_id": [f"LOT{n}" for _ in series for n in range(lots) for _ in range(5)],
                "product_id": [p for p, _ in series for _ in range(lots * 5)],
                "characteristic": [c for _, c in series for _ in range(lots * 5)],
                "machine_id": "L00-M1",
                "value": rng.normal(10, 0.1, len(series) * lots * 5),
                "_batch_id": "b",
                "_file": "f",
                "_row": 1,
            }
        ),
    )
    _insert(
        con,
        "history.spc_limits",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "product_id": [p for p, _ in series],
                "characteristic": [c for _, c in series],
                "chart": "Xbar-R",
                "center": 10.0,
                "lcl": 9.87,
                "ucl": 10.13,
            }
        ),
    )
    _insert(
        con,
        "history.capability",
        pl.DataFrame(
            {
                "snapshot_id": 1,
                "product_id": [p for p, _ in series],
                "characteristic": [c for _, c in series],
                "n": 1000,
                "cp": rng.uniform(0.8, 2, len(series)),
                "cpk": rng.uniform(0.7, 1.8, len(series)),
            }
        ),
    )
    con.close()
    return {"lines": lines, "machines": len(mids), "materials": n_mat, "series": len(series)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="3,10,30")
    ap.add_argument("--home", default="/tmp/report-bench")
    args = ap.parse_args()
    for lines in (int(s) for s in args.sizes.split(",")):
        home = Path(args.home) / f"lines{lines}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        settings = Settings(home=home)
        size = seed(settings, lines, np.random.default_rng(lines))
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            result = build_reports(settings)
            best = min(best, time.perf_counter() - t0)
        kb = {k: result.paths[k].stat().st_size // 1024 for k in ("index", "quality")}
        print(
            f"{size}: best {best:.2f} s, {result.total} instructions, "
            f"index.html {kb['index']} KiB, quality.html {kb['quality']} KiB"
        )
        shutil.rmtree(home, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
