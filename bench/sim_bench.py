"""Twin core I benchmark: the line forecast and a machine-table rebuild at bench scale.

1. Line forecast (``forecast_lines``, polars in and out around the numpy engine): 3 serial lines
   of 6 machines, 14 days, 1,000 replications, with measured-style failures (MTBF 2 days,
   MTTR 15 min), three 30-minute breaks a day, buffers of 50 units. Target: < 5 s.
2. Machine tables of one bench-scale day (machines builder through ``rebuild``: machine_day,
   sensor hourly aggregates, sensor status, machine health): 10 lines x 5 machines, 1,000
   sensors sampling every second (86.4M readings, generated with DuckDB SQL into a warehouse
   in a temporary folder), machine events and production records. Target: < 30 s.

    .venv/bin/python bench/sim_bench.py [--part lines|machines|all] [--repeat 3] [--sensors 1000]

The warehouse of part 2 (about 1 GB) lives in a temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.sim.lines.forecast import LineInputs, LineSimParams, forecast_lines
from twin_core.twin import machines
from twin_core.warehouse import open_warehouse

AS_OF = date(2026, 3, 8)
TS = pl.Datetime("us")


def line_inputs(lines: int = 3, per_line: int = 6) -> LineInputs:
    """Stations as the reliability table would give them, breaks as planned_stop events."""
    stations = pl.DataFrame(
        [
            {
                "site_id": "S1",
                "machine_id": f"L{li}-M{k}",
                "line_id": f"L{li}",
                "line_position": k,
                "cycle_s": 20.0 + 4.0 * ((li * 7 + k * 3) % 6),
                "mtbf_h": 48.0,
                "mttr_h": 0.25,
                "repair_cv": 1.0,
                "quality": 0.995,
                "down_at_cut": False,
            }
            for li in range(1, lines + 1)
            for k in range(1, per_line + 1)
        ]
    )
    breaks = [
        (m, datetime(2026, 3, d, h), datetime(2026, 3, d, h, 30), "planned_stop")
        for m in stations["machine_id"]
        for d in range(1, 9)
        for h in (2, 10, 18)
    ]
    events = pl.DataFrame(
        breaks,
        schema={"machine_id": pl.String, "start_ts": TS, "end_ts": TS, "state": pl.String},
        orient="row",
    )
    orders = pl.DataFrame(
        [
            (f"P{li}", f"L{li}", 2000.0, AS_OF + timedelta(days=d), "released")
            for li in range(1, lines + 1)
            for d in range(1, 15)
        ],
        schema={
            "product_id": pl.String,
            "line_id": pl.String,
            "qty": pl.Float64,
            "due_date": pl.Date,
            "status": pl.String,
        },
        orient="row",
    )
    return LineInputs(
        as_of=AS_OF,
        tz="UTC",
        stations=stations,
        shifts=pl.DataFrame(schema={"line_id": pl.String, "start_ts": TS, "end_ts": TS}),
        events=events,
        work_orders=orders,
        demand=pl.DataFrame(
            schema={"product_id": pl.String, "due_date": pl.Date, "qty": pl.Float64}
        ),
        products=pl.DataFrame(
            {
                "product_id": [f"P{li}" for li in range(1, lines + 1)],
                "revision": ["A"] * lines,
                "line_id": [f"L{li}" for li in range(1, lines + 1)],
            }
        ),
    )


def bench_lines(repeat: int) -> dict[str, float]:
    inputs = line_inputs()
    params = LineSimParams(horizon_days=14, replications=1000, seed=1)
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        out = forecast_lines(inputs, params).collect()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    assert out.height == 3 * 14
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "cpu_s": statistics.median(cpu),
        "rows": out.height,
    }


def seed_bench_day(settings: Settings, sensors: int) -> int:
    """Master data, one day of events and production, and one reading per sensor per second."""
    day0 = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    with open_warehouse(settings) as con:
        con.execute(
            "insert into core.machines by name select "
            "'L' || (m // 5 + 1) || '-M' || (m % 5 + 1) as machine_id, 'L' || (m // 5 + 1) as line_id, "
            "'S1' as site_id, 'machine ' || m as name, 'cnc' as machine_type, "
            "m % 5 + 1 as line_position, 20 + (m % 5) * 4 as ideal_cycle_time_s, "
            "'B1' as _batch_id, 'machines.csv' as _file, m + 1 as _row from range(50) t(m)"
        )
        con.execute(
            "insert into core.sensors by name select 'SEN' || lpad(s::varchar, 4, '0') as sensor_id, "
            "'L' || ((s % 50) // 5 + 1) || '-M' || ((s % 50) % 5 + 1) as machine_id, "
            "'temperature' as metric, 'degC' as unit, -20 as valid_min, 200 as valid_max, "
            "90 as alarm_high, 'B1' as _batch_id, 'sensors.csv' as _file, s + 1 as _row "
            "from range(?) t(s)",
            [sensors],
        )
        # Each machine: 50 minutes running, 10 minutes idle, every hour; a record per hour.
        con.execute(
            "insert into core.machine_events by name select m.machine_id, "
            "$day + h * interval 1 hour + k * interval 50 minute as start_ts, "
            "$day + h * interval 1 hour + (k * 10 + 50) * interval 1 minute as end_ts, "
            "case when k = 0 then 'running' else 'idle' end as state, 'B1' as _batch_id, "
            "'events.csv' as _file, row_number() over () as _row "
            "from core.machines m, range(24) t(h), range(2) u(k)",
            {"day": day0},
        )
        con.execute(
            "insert into core.production by name select m.machine_id || '-' || h as record_id, "
            "'WO1' as work_order_id, m.machine_id, 'P1' as product_id, 'LOT' || h as lot_id, "
            "$day + h * interval 1 hour as start_ts, "
            "$day + h * interval 1 hour + interval 50 minute as end_ts, 120 as good_qty, "
            "1 as scrap_qty, 'B1' as _batch_id, 'production.csv' as _file, "
            "row_number() over () as _row from core.machines m, range(24) t(h)",
            {"day": day0},
        )
        started = time.perf_counter()
        con.execute(
            "insert into raw.sensor_readings by name select "
            "'SEN' || lpad(s::varchar, 4, '0') as sensor_id, $day + t * interval 1 second as ts, "
            "50 + 2 * sin(t / 600.0 + s) + (hash(s, t) % 1000) / 1000.0 as value, "
            "'good' as quality, 'B1' as _batch_id, 'readings.parquet' as _file, "
            "s * 86400 + t as _row, $day + interval 1 day as _ingested_at "
            "from range($sensors) a(s), range(86400) b(t)",
            {"day": day0, "sensors": sensors},
        )
        # Readings are promoted in place: core.sensor_readings shows the promoted batches' rows.
        con.execute(
            "insert into core.promoted_batches select 'sensor_readings', 'B1', now()::timestamp, "
            "count(*), min(ts), max(ts) from raw.sensor_readings where _batch_id = 'B1'"
        )
        seconds = time.perf_counter() - started
        rows = con.execute("select count(*) from core.sensor_readings").fetchone()
        con.execute("checkpoint")
    print(f"  generated {rows[0] if rows else 0:,} readings in {seconds:.1f} s")
    return int(rows[0]) if rows else 0


def bench_machines(repeat: int, sensors: int, memory_limit: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as tmp:
        settings = Settings(home=Path(tmp), duckdb_memory_limit=memory_limit)
        readings = seed_bench_day(settings, sensors)
        times, cpu = [], []
        with open_warehouse(settings) as con:
            for _ in range(repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                sid = rebuild(con, settings, AS_OF, builder_list=[machines.build])
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            got = con.execute(
                "select (select count(*) from history.machine_day where snapshot_id = ?), "
                "(select count(*) from history.sensor_status where snapshot_id = ?)",
                [sid, sid],
            ).fetchone()
    assert got is not None
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "cpu_s": statistics.median(cpu),
        "readings": readings,
        "machine_day_rows": got[0],
        "sensor_rows": got[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("lines", "machines", "all"), default="all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--memory-limit", default="6GB")
    args = parser.parse_args()
    # The process's CPU time is shown beside the wall time: on a shared machine the wall time
    # mostly measures the other processes (load average below).
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.part in ("lines", "all"):
        r = bench_lines(args.repeat)
        print(
            f"line forecast, 3 lines x 6 machines x 14 days x 1,000 replications: "
            f"median {r['median_s']:.2f} s (min {r['min_s']:.2f} s), CPU {r['cpu_s']:.2f} s"
        )
    if args.part in ("machines", "all"):
        r = bench_machines(args.repeat, args.sensors, args.memory_limit)
        print(
            f"machine tables of one day, {r['readings']:,.0f} readings: median "
            f"{r['median_s']:.2f} s (min {r['min_s']:.2f} s), CPU {r['cpu_s']:.2f} s; "
            f"{r['machine_day_rows']:.0f} "
            f"machine_day rows, {r['sensor_rows']:.0f} sensors"
        )


if __name__ == "__main__":
    main()
