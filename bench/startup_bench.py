"""Start-up cost of the command line: process CPU time of commands that do little work.

Every command pays its imports before it does anything. The targets (issue 22): `twin --help`
under 1 s of process time and `twin query "select 1"` under 1.5 s. The floor beside them is a
bare `python -c pass` in the same interpreter, measured in the same run.

    .venv/bin/python bench/startup_bench.py [--repeat 5] [--out bench-out/startup.json]

CPU time (user + system of the child) is the number compared with the targets: wall time on
this shared 2-core machine includes waiting for other jobs. Both are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGETS_S = {"twin --help": 1.0, "twin query 'select 1'": 1.5}


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one run of ``cmd``, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("bench-out/startup.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TWIN_HOME": str(Path(tmp) / "home")}
        twin = str(BIN / "twin")
        subprocess.run([twin, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([twin, "publish"], env=env, check=True, stdout=subprocess.DEVNULL)
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "twin --help": [twin, "--help"],
            "twin query 'select 1'": [twin, "query", "select 1"],
        }
        rows = []
        for name, cmd in cases.items():
            runs = [measure(cmd, env) for _ in range(args.repeat)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            target = TARGETS_S.get(name)
            rows.append({"command": name, "cpu_s": cpu, "wall_s": wall, "target_cpu_s": target})
    print(f"{'command':<26} {'CPU s':>7} {'wall s':>7} {'target':>7}  (median of {args.repeat})")
    for r in rows:
        target = "" if r["target_cpu_s"] is None else f"< {r['target_cpu_s']:.1f}"
        verdict = ""
        if r["target_cpu_s"] is not None:
            verdict = "ok" if r["cpu_s"] < r["target_cpu_s"] else "OVER"
        print(f"{r['command']:<26} {r['cpu_s']:>7.2f} {r['wall_s']:>7.2f} {target:>7}  {verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
