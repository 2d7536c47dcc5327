"""What the warehouse integrity check costs: ``open_warehouse`` when the file is as this code
last left it (a stat and a compare), and when it is not (after a crash, or another program
wrote it: every block of every table is read), with N sensor readings in raw.

    .venv/bin/python bench/warehouse_check_bench.py [--readings 20000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse, seen_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=20_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp))
        with open_warehouse(settings) as con:
            con.execute(
                "insert into raw.sensor_readings (sensor_id, ts, value, quality, _batch_id, "
                "_file, _row, _ingested_at) select 'S' || (i % 1000), "
                "timestamp '2026-03-02' + to_seconds(i // 1000), random() * 100, 'good', "
                "'b1', 'sensor_readings/2026-03-02.csv', i + 1, now() from range(?) t(i)",
                [args.readings],
            )
        size = settings.warehouse_path.stat().st_size
        started = time.perf_counter()
        with open_warehouse(settings):
            pass
        fast = time.perf_counter() - started
        seen_path(settings.warehouse_path).unlink()  # as after a crash: read it whole
        started = time.perf_counter()
        with open_warehouse(settings):
            pass
        full = time.perf_counter() - started
        print(
            f"{args.readings:,} readings, warehouse {size / 1e9:.2f} GB: open as last left "
            f"{fast * 1000:.0f} ms; open after a crash or a foreign write (read whole) {full:.1f} s "
            f"({size / 1e6 / full:.0f} MB/s)"
        )


if __name__ == "__main__":
    main()
