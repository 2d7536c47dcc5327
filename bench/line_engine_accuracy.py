"""Line engine accuracy and speed: the default settings' transfer batches against batches of one.

Lines of 2 and 6 stations of 60 s with exponential unit times (CV 1, the hardest case the
batch rule is set for), buffers of 0, 1, 2, 5, 8, 10, 20 units (and 50, the forecast's default),
14 days, 4 h warm-up, ``max_batches`` 1,200 (``LineSimParams``' defaults). Per case: the units
per day of days 2..14 on the default settings, with batches of one (q = 1), the exact value
for two stations (birth-death chain: 1440 (B + 2) / (B + 3)), the error of the default against
exact (two stations) or batches of one (six), and both wall times.

    .venv/bin/python bench/line_engine_accuracy.py [--replications 200] [--seed 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from twin_core.sim.lines.engine import ACCURACY, LineSpec, StationSpec, run_engine

DAYS = 14
BOUNDS = np.arange(DAYS + 1) * 86400.0
BUFFERS = (0, 1, 2, 5, 8, 10, 20, 50)


def _run(line: LineSpec, reps: int, seed: int, max_batches: int) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    got = run_engine([line], BOUNDS, replications=reps, seed=seed, max_batches=max_batches)
    wall = time.perf_counter() - t0
    return float(got.units[0, 1:, :].mean()), wall, int(got.batch_units[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    print("stations buffer  q  default/day  q=1/day   exact/day  error    wall default  wall q=1")
    worst = 0.0
    for n in (2, 6):
        for b in BUFFERS:
            line = LineSpec(
                "L",
                tuple(
                    StationSpec(f"S{i}", 60.0, cv=1.0, buffer_before=b if i else math.inf)
                    for i in range(n)
                ),
            )
            got, t_def, q = _run(line, args.replications, args.seed, 1200)
            one, t_one, _ = _run(line, args.replications, args.seed, 10**6)
            exact = 1440.0 * (b + 2) / (b + 3) if n == 2 else math.nan
            ref = exact if n == 2 else one
            err = got / ref - 1.0
            worst = max(worst, abs(err))
            print(
                f"{n:8d} {b:6d} {q:2d} {got:12.1f} {one:9.1f} {exact:11.1f} {err:+7.2%}"
                f" {t_def:10.2f} s {t_one:8.2f} s"
            )
    print(f"largest |error| {worst:.2%} (bound {ACCURACY:.1%})")


if __name__ == "__main__":
    main()
