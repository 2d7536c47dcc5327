"""Fixed costs of `twin nightly` run from the shell: the seconds spent outside its stages.

Issue 23's target: the nightly run by the CLI spends at most 2 s before its first stage starts
(imports, Prefect's ephemeral API, the flow's start). On a tiny plant, where the stages do
almost nothing, this runs the real command in a fresh process and reports its wall and CPU
time, the sum of the stage times it prints, and the difference: the time outside the stages
(start-up before the first stage plus shutdown after the last).

It also splits that time. The CLI prints a line on stderr the moment each stage ends, with the
stage's own seconds (``twin_cli.progress``); read as they arrive, the first line's arrival less
its stage's seconds is when the first stage started (the start-up itself), and the wall time
less the last line's arrival is the shutdown after the last stage.

Three ways a nightly meets Prefect, each measured --repeat times on its own fresh twin home:
Prefect's ephemeral API with a new PREFECT_HOME (a user's very first run: the API starts and
migrates its database), the ephemeral API with an existing PREFECT_HOME (later runs from the
shell), and a real ``prefect server`` already running (``make server``, the deployments' way).

    .venv/bin/python bench/fixed_cost_bench.py [--repeat 3] [--out bench-out/fixed_cost.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TARGET_S = 2.0
_STAGE = re.compile(r"^\s{2}(\w+)\s+([\d.]+) s\b", re.M)
_LIVE = re.compile(r"^\d{4}-\d{2}-\d{2} (\w+)\s+([\d.]+) s\b")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, list[tuple[float, float]]]:
    """(wall s, CPU s, stdout, [(arrival s, stage s) per live stage line on stderr])."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    live: list[tuple[float, float]] = []
    err_lines: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if m := _LIVE.match(line):
                live.append((time.perf_counter() - t0, float(m.group(2))))

    reader = threading.Thread(target=read_stderr)
    reader.start()
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait()
    reader.join()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd, out, "".join(err_lines))
    return wall, cpu, out, live


def one_night(twin: str, home: Path, env: dict[str, str]) -> dict[str, Any]:
    """A fresh home with one generated day, then its nightly, measured."""
    env = {**env, "TWIN_HOME": str(home)}
    subprocess.run([twin, "init"], env=env, check=True, capture_output=True)
    generate = [twin, "generate", "--out", str(home), "--days", "1", "--start", "2026-03-02"]
    subprocess.run([*generate, "--force"], env=env, check=True, capture_output=True)
    wall, cpu, out, live = run([twin, "nightly", "--as-of", "2026-03-02"], env)
    stages = {m.group(1): float(m.group(2)) for m in _STAGE.finditer(out)}
    if not live:
        raise SystemExit("the nightly printed no live stage lines on stderr")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "stages_s": stages,
        "outside_s": wall - sum(stages.values()),
        "before_first_stage_s": live[0][0] - live[0][1],
        "after_last_stage_s": wall - live[-1][0],
    }


@contextmanager
def prefect_server(prefect_home: Path) -> Iterator[str]:
    """A real ``prefect server`` on a free local port (SQLite under ``prefect_home``), as
    ``make server`` runs one; yields its API URL and stops it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    cmd = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("prefect server did not start")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench-out/fixed_cost.json"))
    args = ap.parse_args()
    twin = str(BIN / "twin")
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        n = 0

        def measure(mode: str, env_for: Callable[[int], dict[str, str]]) -> None:
            nonlocal n
            results[mode] = []
            for i in range(args.repeat):
                n += 1
                row = one_night(twin, root / f"home{n}", env_for(i))
                results[mode].append(row)
                print(
                    f"{mode}, run {i + 1}: wall {row['wall_s']:.1f} s, CPU {row['cpu_s']:.1f} s,"
                    f" stages {sum(row['stages_s'].values()):.1f} s; before the first stage "
                    f"{row['before_first_stage_s']:.1f} s, after the last "
                    f"{row['after_last_stage_s']:.1f} s",
                    flush=True,
                )

        # A user's very first run: Prefect's local API starts and migrates a new database.
        measure(
            "ephemeral API, new PREFECT_HOME",
            lambda i: {**base, "PREFECT_HOME": str(root / f"ph{i}")},
        )
        # Later runs from the shell: the local API starts again, its database already there.
        warm = {**base, "PREFECT_HOME": str(root / "ph0")}
        measure("ephemeral API, existing PREFECT_HOME", lambda i: warm)
        # With `make server` running (the deployments' way): no API to start.
        with prefect_server(root / "ph-server") as url:
            measure("prefect server running", lambda i: {**base, "PREFECT_API_URL": url})
    print()
    for mode, rows in results.items():
        med = statistics.median(r["before_first_stage_s"] for r in rows)
        after = statistics.median(r["after_last_stage_s"] for r in rows)
        verdict = "ok" if med <= TARGET_S else "OVER"
        print(
            f"{mode}: median of {len(rows)}, before the first stage {med:.1f} s "
            f"(target <= {TARGET_S} s: {verdict}), after the last {after:.1f} s"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
