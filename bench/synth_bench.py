"""Bench-scale synthetic plant: wall time and peak memory of one bench day.

One day of 1,000 sensors at 1 Hz (86.4M readings) plus every other extract, as
`twin generate --scale bench` writes it; once with Parquet readings only, once with the
CSV copy as well (the ingest benchmark needs both formats of the same day). Each run is
a fresh child process so its peak RSS (getrusage, self) is its own. Output goes to a
temporary folder that is deleted afterwards unless --keep.

    .venv/bin/python bench/synth_bench.py [--out /tmp/synth-bench] [--keep] [--only parquet|csv]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from twin_core.synth import generate
out, csv_copy = Path(sys.argv[1]), sys.argv[2] == "1"
t = time.perf_counter()
generate(out, scale="bench", csv_copy=csv_copy, overwrite=True)
wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _size_mb(folder: Path) -> float:
    return (
        sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        if folder.exists()
        else 0.0
    )


def measure(out: Path, csv_copy: bool) -> dict[str, float | str]:
    """Run one bench generation in a child process and report its numbers."""
    load = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), "1" if csv_copy else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    import pyarrow.parquet as pq

    readings = next((out / "landing" / "sensor_readings").glob("*.parquet"))
    return {
        "variant": "parquet + csv copy" if csv_copy else "parquet",
        "readings": pq.read_metadata(readings).num_rows,
        "wall_s": round(numbers["wall_s"], 1),
        "peak_rss_mb": round(numbers["peak_rss_mb"]),
        "parquet_mb": round(_size_mb(out / "landing" / "sensor_readings")),
        "csv_mb": round(_size_mb(out / "copies")),
        "load_before": round(load, 1),
        "cpus": os.cpu_count() or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/synth-bench"))
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    parser.add_argument("--only", choices=["parquet", "csv"], help="Run one variant only.")
    args = parser.parse_args()
    variants = {"parquet": [False], "csv": [True]}.get(args.only or "", [False, True])
    rows = []
    try:
        for csv_copy in variants:
            rows.append(measure(args.out, csv_copy))
            print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(args.out, ignore_errors=True)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
