"""Scale-out benchmark: the enterprise nightly of 4 generated sites with 1 site worker
against 2, on a real Prefect server (PostgreSQL by default, as ``make server DB=postgres``),
and the cost of the fan-out itself per site.

Per configuration: a fresh copy of the same generated home (4 sites, ``--days`` days, no
faults), ``scripts/server.sh workers N`` on it, then ``twin nightly --as-of <last day>``
against the server; wall time of the whole night. The fan-out cost of a site run, from the
API's state history: ``dispatch`` (Pending, a worker took it, to Running, the flow loaded in
its new process) plus ``wrapper`` (the site-nightly run's time minus its nightly subflow's:
settings, the home, the subflow call, the return). The enterprise nightly also polls every
2 s (at most that much more per site).

    .venv/bin/python bench/sites_bench.py [--sites 4] [--days 2] [--db postgres|sqlite]
        [--out bench-out/sites.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], env: dict[str, str], **kw: Any) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return str(done.stdout)


def _fanout_costs(api: str, since: set[Any]) -> list[dict[str, float]]:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    costs: list[dict[str, float]] = []
    with SyncPrefectClient(api) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["site-nightly"]))
        )
        for run in runs:
            if run.id in since:
                continue
            states = client.read_flow_run_states(run.id)
            pending = next(s.timestamp for s in states if s.type.value == "PENDING")
            running = next(s.timestamp for s in states if s.type.value == "RUNNING")
            subs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])
                )
            )
            inner = sum(s.total_run_time.total_seconds() for s in subs)
            costs.append(
                {
                    "dispatch_s": (running - pending).total_seconds(),
                    "wrapper_s": run.total_run_time.total_seconds() - inner,
                    "site_run_s": run.total_run_time.total_seconds(),
                }
            )
    return costs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=4)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--out", type=Path, default=Path("bench-out/sites.json"))
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="twin-sites-bench-", dir="/tmp"))
    root.chmod(0o755)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TWIN_"))}
    gen = root / "generated"
    opts = ["--sites", str(args.sites), "--days", str(args.days), "--faults", "none"]
    _run([str(BIN / "twin"), "generate", "--out", str(gen), *opts], base_env)
    night = date(2026, 3, 2) + timedelta(days=args.days - 1)
    port = _port()
    api = f"http://127.0.0.1:{port}/api"
    env = base_env | {
        "PREFECT_HOME": str(root / "prefect"),
        "PREFECT_PORT": str(port),
        "TWIN_HOME": str(root / "home-0"),
        "TWIN_SERVER_DB": args.db,
        "TWIN_PG_DIR": str(root / "pg"),
        "TWIN_PG_PORT": str(_port()),
        "TWIN_SITE_WORKERS": "0",
        "TWIN_DEPLOYMENTS": "site-nightly,enterprise-publish",
    }
    server = str(REPO / "scripts" / "server.sh")
    results: dict[str, Any] = {
        "sites": args.sites,
        "days": args.days,
        "db": args.db,
        "cores": os.cpu_count(),
        "runs": [],
    }
    try:
        shutil.copytree(gen, root / "home-0")
        _run([server, "start"], env, timeout=900)
        for n in [int(x) for x in args.workers.split(",")]:
            home = root / f"home-{n}"
            shutil.copytree(gen, home)
            run_env = env | {"TWIN_HOME": str(home)}
            _run([server, "workers", "0"], run_env)
            _run([server, "workers", str(n)], run_env)
            from prefect.client.orchestration import SyncPrefectClient

            with SyncPrefectClient(api) as client:
                before = {r.id for r in client.read_flow_runs()}
            started = time.perf_counter()
            out = _run(
                [str(BIN / "twin"), "nightly", "--as-of", night.isoformat()],
                run_env | {"PREFECT_API_URL": api},
                timeout=3600,
            )
            wall = time.perf_counter() - started
            costs = _fanout_costs(api, before)
            row = {
                "workers": n,
                "wall_s": round(wall, 1),
                "per_site_run_s": round(statistics.mean(c["site_run_s"] for c in costs), 1),
                "fanout_dispatch_s": round(statistics.mean(c["dispatch_s"] for c in costs), 2),
                "fanout_wrapper_s": round(statistics.mean(c["wrapper_s"] for c in costs), 2),
                "published": "publish completed" in out,
            }
            results["runs"].append(row)
            print(json.dumps(row))
    finally:
        subprocess.run([server, "stop"], env=env, capture_output=True, timeout=300)
        shutil.rmtree(root, ignore_errors=True)
    runs = results["runs"]
    if len(runs) >= 2:
        results["speedup"] = round(runs[0]["wall_s"] / runs[-1]["wall_s"], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
