"""Time the quality snapshot: the builder on the synthetic demo plant, and the sensor input
``sql/inputs/quality_sensor_hourly.sql`` on a bench-scale day.

Grain of the output: one line per measurement (what, wall seconds, rows), then the process's
peak RSS. Everything is written under a temporary folder and deleted afterwards.
Run: ``.venv/bin/python bench/quality_bench.py [--demo-days 7] [--sensor-day]``
(``--sensor-day`` fills 86.4M readings first, about 3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from twin_core.rebuild import CoreInputs, SnapshotContext
from twin_core.settings import Settings
from twin_core.twin import quality, sensor_cache
from twin_core.warehouse import connect, fetch_polars, open_warehouse


def demo(days: int, root: Path) -> None:
    """Generate, ingest and validate the demo plant, then time the quality builder (best of 3)."""
    from twin_core.ingest import ingest_landing
    from twin_core.synth import generate
    from twin_core.validation import validate_pending

    home = root / "demo"
    home.mkdir()
    truth = generate(home, days=days, seed=7)
    settings = Settings(home=home)
    ingest_landing(settings)
    validate_pending(settings)
    as_of = truth.start + timedelta(days=truth.days - 1)
    with open_warehouse(settings) as con:
        ctx = SnapshotContext(1, as_of, settings)
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            out = quality.build(CoreInputs(con, ctx), ctx)
            best = min(best, time.perf_counter() - t)
        rows = {name: frame.height for name, frame in out.items()}
    print(f"quality builder, demo plant {days} days: {best:.2f} s  {rows}")


def sensor_day(root: Path) -> None:
    """1,000 sensors on 250 machines at 1 Hz for a day, machines idle one half-hour in five."""
    con = connect(root / "bench.duckdb")
    from twin_core.warehouse import apply_schema

    apply_schema(con)
    con.execute("set threads = 2")
    t = time.perf_counter()
    con.execute(
        "insert into core.sensors (sensor_id, machine_id, metric, unit, _batch_id, _file, _row) "
        "select 'S' || i, 'M' || (i // 4), ['temperature', 'vibration', 'power', 'speed'][i % 4 + 1], "
        "'u', 'b', 'f', i from range(1000) t(i)"
    )
    con.execute(
        "insert into core.machine_events (machine_id, start_ts, end_ts, state, _batch_id, _file, _row) "
        "select 'M' || m, timestamp '2026-03-02' + to_seconds(k * 1800), "
        "timestamp '2026-03-02' + to_seconds(k * 1800 + 1800), "
        "case when k % 5 = 4 then 'idle' else 'running' end, 'b', 'f', m * 100 + k "
        "from range(250) a(m), range(48) b(k)"
    )
    con.execute(
        "insert into raw.sensor_readings (sensor_id, ts, value, quality, _batch_id, _file, _row, "
        "_ingested_at) "
        "select 'S' || i, timestamp '2026-03-02' + to_seconds(s), 50 + (hash(i * 86400 + s) % 1000) / 100.0, "
        "'good', 'b', 'f', i * 86400 + s, timestamp '2026-03-03' from range(1000) a(i), range(86400) b(s)"
    )
    # Readings are promoted in place: core.sensor_readings shows the promoted batches' raw rows.
    con.execute(
        "insert into core.promoted_batches select 'sensor_readings', 'b', now()::timestamp, "
        "count(*), min(ts), max(ts) from raw.sensor_readings where _batch_id = 'b'"
    )
    print(f"fill 86.4M readings: {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    # The query over the whole day from the readings, as the cache computes one day of it.
    start = datetime(2026, 3, 2)
    frame = fetch_polars(
        con,
        sensor_cache.direct_sql("quality_sensor_hourly"),
        {"start": start, "end": start + timedelta(days=1), "day": start.date()},
    )
    print(
        f"quality_sensor_hourly, one bench day: {time.perf_counter() - t:.1f} s  {frame.height} rows"
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-days", type=int, default=7)
    parser.add_argument("--sensor-day", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="quality-bench-") as tmp:
        root = Path(tmp)
        demo(args.demo_days, root)
        if args.sensor_day:
            sensor_day(root)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
