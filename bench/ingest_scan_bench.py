"""Ingest with nothing new: how long a run takes that finds every landed file already ingested,
as the landing folder grows (files are never moved or deleted, so it only grows).

Lands ``--files`` small readings CSVs (``--rows`` rows each, spread over subfolders as daily
extracts would be), ingests them once, then times ``ingest_landing`` on the unchanged folder,
``--repeat`` times (minimum reported), each in a fresh process (as cron would start it).

    .venv/bin/python bench/ingest_scan_bench.py [--files 5000] [--rows 50] [--repeat 3]
        [--work /tmp/ingest-scan-bench] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_RUN = """
import sys, time
from pathlib import Path
from twin_core.ingest import ingest_landing
from twin_core.settings import Settings
t0 = time.perf_counter()
result = ingest_landing(Settings(home=Path(sys.argv[1])))
print(time.perf_counter() - t0, result.batch_id, result.totals.files_seen)
"""


def land(home: Path, files: int, rows: int) -> None:
    folder = home / "landing" / "sensor_readings"
    for i in range(files):
        day = f"2026-{1 + (i // 28) % 12:02d}-{1 + i % 28:02d}"
        path = folder / f"batch-{i // 500:03d}" / f"readings-{day}-{i:05d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"S{i:05d},{day}T00:{r // 60:02d}:{r % 60:02d},{r}.5\n" for r in range(rows))
        path.write_text("sensor_id,ts,value\n" + body)


def run_once(home: Path) -> tuple[float, str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(home)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, batch, seen = done.stdout.split()
    return float(seconds), batch, int(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ingest-scan-bench"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    home = args.work / "home"
    shutil.rmtree(args.work, ignore_errors=True)
    land(home, args.files, args.rows)
    first, batch, seen = run_once(home)
    assert batch != "None" and seen == args.files, (batch, seen)
    times = []
    for _ in range(args.repeat):
        seconds, batch, seen = run_once(home)
        assert batch == "None" and seen == args.files, (batch, seen)  # nothing new, all seen
        times.append(seconds)
    out = {
        "files": args.files,
        "rows_per_file": args.rows,
        "first_run_s": round(first, 2),
        "nothing_new_s": round(min(times), 2),
        "nothing_new_runs_s": [round(t, 2) for t in times],
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(
        f"| {args.files:,} files | first run {out['first_run_s']} s | "
        f"nothing new {out['nothing_new_s']} s (min of {args.repeat}) |"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
