"""Publish and query benchmark: publish time with 1..30 days of history, and the latency of
typical queries on the latest snapshot of the published plant.duckdb.

History is synthesized in SQL at the bench plant's size (3 lines x 6 machines, 1,000 sensors
as hourly aggregates, 30 materials, 14-day forecasts, SPC on 6 series) so the numbers show
how publishing grows with history, independent of the other stages.

    .venv/bin/python bench/publish_bench.py [--days 30] [--out bench-out/publish.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.warehouse import SQL_DIR, connect, open_warehouse

MACHINES = 18
SENSORS = 1000


def add_day(settings: Settings, day: int) -> None:
    """One nightly's worth of history: a snapshot of every twin table, one day of sensor aggregates."""
    with open_warehouse(settings) as con:
        sid = day
        con.execute(
            "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, code_version, site_ids, params) values (?, date '2026-01-01' + ?::integer, now()::timestamp,"
            " 'complete', '[]', 'bench', '[\"S1\"]', '{}')",
            [sid, day],
        )
        # machine_day grows with days: each snapshot recomputes all days so far (as the twin does).
        con.execute(
            "insert into history.machine_day by name select ? as snapshot_id, 'S1' as site_id,"
            " 'L' || (m // 6 + 1) || '-M' || (m % 6 + 1) as machine_id, 'L' || (m // 6 + 1) as line_id,"
            " date '2026-01-01' + d::integer as day, 86400 as planned_busy_s, 80000 as running_s,"
            " 3000 as down_s, 2000 as setup_s, 1400 as idle_s, 50000 as good_qty, 500 as scrap_qty,"
            " 0.93 as availability, 0.9 as performance, 0.99 as quality, 0.82 as oee"
            " from range(?) t(m), range(?) u(d)",
            [sid, MACHINES, day],
        )
        con.execute(
            "insert into history.machine_health by name select ? as snapshot_id, 'S1' as site_id,"
            " 'M' || m as machine_id, 'L1' as line_id, 0.9 as health_score, 0 as anomalies,"
            " 'ok' as evidence from range(?) t(m)",
            [sid, MACHINES],
        )
        con.execute(
            "insert into history.sensor_status by name select ? as snapshot_id, 'S1' as site_id,"
            " 'S' || s as sensor_id, 'M' || (s % 18) as machine_id, 'ok' as status from range(?) t(s)",
            [sid, SENSORS],
        )
        con.execute(
            "insert into history.line_forecast by name select ? as snapshot_id, 'S1' as site_id,"
            " 'L' || l as line_id, date '2026-01-01' + (? + d)::integer as day, 1000 as required_qty,"
            " 800 as p10_qty, 900 as p50_qty, 1000 as p90_qty, 'L1-M3' as bottleneck_machine_id"
            " from range(3) t(l), range(14) u(d)",
            [sid, day],
        )
        con.execute(
            "insert into history.material_status by name select ? as snapshot_id, 'S1' as site_id,"
            " 'MAT-' || m as material_id, 'SUP-' || (m % 6) as supplier_id, 100 as on_hand,"
            " 5.5 as days_of_cover, false as days_of_cover_unbounded, 10 as safety_stock,"
            " 50 as reorder_point, 200 as order_qty from range(30) t(m)",
            [sid],
        )
        con.execute(
            "insert into history.spc_violations by name select ? as snapshot_id, 'P' || p as product_id,"
            " 'c' as characteristic, 'LOT-' || l as lot_id, 'WE1' as rule, 1.0 as value,"
            " now()::timestamp as ts from range(6) t(p), range(10) u(l)",
            [sid],
        )
        con.execute(
            "insert into core.sensor_hourly select 'S' || s, timestamp '2026-01-01' + to_hours((? * 24 + h)::bigint),"
            " 3600, 1.0, 0.5, 1.5, 0.1, 0 from range(?) t(s), range(24) u(h)",
            [day, SENSORS],
        )
        con.execute(
            "insert into core.production by name select 'R' || ? || '-' || r as record_id,"
            " 'WO' as work_order_id, 'M1' as machine_id, 'P1' as product_id, 'LOT-' || r as lot_id,"
            " now()::timestamp as start_ts, now()::timestamp as end_ts, 10 as good_qty, 0 as scrap_qty,"
            " 'A' as revision, 'b' as _batch_id, 'f' as _file, r as _row from range(2000) t(r)",
            [day],
        )


QUERIES = {
    "material_status (latest)": "select * from twin.material_status order by days_of_cover nulls last limit 10",
    "oee_losses_this_week.sql": (SQL_DIR / "queries" / "oee_losses_this_week.sql").read_text(),
    "machine_health_trend.sql": (SQL_DIR / "queries" / "machine_health_trend.sql").read_text(),
    "sensor_hourly one machine, 7 days": "select sensor_id, avg(mean) from core.sensor_hourly "
    "where sensor_id in ('S1','S19','S37','S55') and hour >= timestamp '2026-01-24' group by all",
}


def time_query(path: Path, sql: str, repeat: int = 20) -> float:
    """Median wall time (ms) of a query on a fresh read-only connection held open."""
    con = connect(path, read_only=True)
    try:
        con.execute(sql).fetchall()  # warm the buffer like an analyst's second query
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        con.close()
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path("bench-out/publish.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        publish_s: dict[int, float] = {}
        for day in range(1, args.days + 1):
            add_day(settings, day)
            r = publish(settings)
            publish_s[day] = r.seconds
            if day in (1, 7, 14, 30) or day == args.days:
                print(
                    f"history {day:>2} days: publish {r.seconds:.2f} s, {r.rows:,} rows, {r.size_bytes / 1e6:.1f} MB"
                )
        query_ms = {name: time_query(settings.published_path, sql) for name, sql in QUERIES.items()}
    for name, ms in query_ms.items():
        print(f"query {name}: {ms:.1f} ms (median of 20)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"publish_seconds_by_history_days": publish_s, "query_ms": query_ms}, indent=2)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
