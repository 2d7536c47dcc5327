"""The quality watch's cost per hour against the nightly's, on a generated plant.

Grain of the output: one line per measurement, then a JSON summary (``--json``). It generates
a plant (default: bench scale, 1,000 sensors at 1 Hz, 2 days; ``--sensors`` / ``--period-s``
shrink it), lands day 1 and times its nightly (ingest, validate, rebuild, publish: what the
nightly spends on a day), then lands day 2 hour by hour and times each watch cycle
(``twin_core.watch.run_watch``: ingest, validate, judge, small publish). The target: a cycle
under 1/24 of the nightly, so 24 cycles a day cost less than one nightly.
Everything is written under a temporary folder and deleted afterwards.

Run: ``.venv/bin/python bench/watch_bench.py [--sensors 1000 --period-s 1] [--hours 6]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.watch import run_watch
from twin_core.watch.driver import nightly
from twin_core.watch.replay import hour_files, plan_replay


def run(sensors: int, period_s: int, hours: int, root: Path) -> dict[str, Any]:
    plant_dir = root / "plant"
    t = time.perf_counter()
    generate(plant_dir, days=2, seed=7, scale="bench", sensors=sensors, period_s=period_s)
    gen_s = time.perf_counter() - t
    plant = plan_replay(plant_dir)
    settings = Settings(home=root / "home")
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    day1, day2 = plant.days[0], plant.days[1]
    for hour in range(24):
        hour_files(plant, settings.landing_dir, day1, hour)
    t = time.perf_counter()
    nightly(settings, day1)
    publish(settings)
    nightly_s = time.perf_counter() - t
    cycles: list[float] = []
    alerts = 0
    for hour in range(hours):
        hour_files(plant, settings.landing_dir, day2, hour)
        now = datetime.combine(day2, datetime.min.time()) + timedelta(hours=hour + 1)
        t = time.perf_counter()
        result = run_watch(settings, as_of=day2, now=now, lock_wait_s=0)
        cycles.append(time.perf_counter() - t)
        alerts += len(result.alerts)
    readings_per_hour = sensors * 3600 // period_s
    out = {
        "sensors": sensors,
        "period_s": period_s,
        "readings_per_hour": readings_per_hour,
        "generate_s": round(gen_s, 2),
        "nightly_s": round(nightly_s, 2),
        "cycle_s": [round(c, 2) for c in cycles],
        "cycle_median_s": round(statistics.median(cycles), 2),
        "cycle_over_nightly": round(statistics.median(cycles) / nightly_s, 4),
        "target": round(1 / 24, 4),
        "alerts": alerts,
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sensors", type=int, default=1000)
    ap.add_argument("--period-s", type=int, default=1)
    ap.add_argument("--hours", type=int, default=6, help="Watch cycles timed on day 2.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the summary here.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="twin-watch-bench-") as tmp:
        out = run(args.sensors, args.period_s, args.hours, Path(tmp))
    print(
        f"{out['sensors']} sensors every {out['period_s']} s ({out['readings_per_hour']:,} "
        f"readings an hour): nightly of a day {out['nightly_s']:.2f} s; watch cycle median "
        f"{out['cycle_median_s']:.2f} s over {len(out['cycle_s'])} hours = "
        f"{out['cycle_over_nightly']:.3f} of the nightly (target < {out['target']:.3f})"
    )
    print(json.dumps(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
