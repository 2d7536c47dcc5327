"""Fixed costs of `twin nightly` run from the shell: the seconds spent outside its stages.

Issue 23's target: the nightly run by the CLI spends at most 2 s before its first stage starts
(imports, Prefect's ephemeral API, the flow's start). On a tiny plant, where the stages do
almost nothing, this runs the real command in a fresh process and reports its wall and CPU
time, the sum of the stage times it prints, and the difference: the time outside the stages
(start-up before the first stage plus shutdown after the last, so an upper bound of the
start-up alone).

    .venv/bin/python bench/fixed_cost_bench.py [--repeat 3] [--out bench-out/fixed_cost.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_S = 2.0
_STAGE = re.compile(r"^\s{2}(\w+)\s+([\d.]+) s\b", re.M)


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench-out/fixed_cost.json"))
    args = ap.parse_args()
    twin = str(BIN / "twin")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            home = Path(tmp) / f"home{i}"
            env = {**os.environ, "TWIN_HOME": str(home)}
            env.pop("PREFECT_API_URL", None)  # the ephemeral API, as a user's first run
            subprocess.run([twin, "init"], env=env, check=True, capture_output=True)
            subprocess.run(
                [twin, "generate", "--out", str(home), "--days", "1", "--start", "2026-03-02"],
                env=env,
                check=True,
                capture_output=True,
            )
            wall, cpu, out = run([twin, "nightly", "--as-of", "2026-03-02"], env)
            stages = {m.group(1): float(m.group(2)) for m in _STAGE.finditer(out)}
            outside = wall - sum(stages.values())
            rows.append({"wall_s": wall, "cpu_s": cpu, "stages_s": stages, "outside_s": outside})
            print(
                f"run {i + 1}: wall {wall:.1f} s, CPU {cpu:.1f} s, stages "
                f"{sum(stages.values()):.1f} s, outside the stages {outside:.1f} s",
                flush=True,
            )
    med = statistics.median(r["outside_s"] for r in rows)
    verdict = "ok" if med <= TARGET_S else "OVER"
    print(
        f"outside the stages (median of {args.repeat}): {med:.1f} s; target <= {TARGET_S} s "
        f"before the first stage: {verdict}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
