"""The peer: a plain pandas + Great Expectations (pandas engine) script doing a night's basics.

What a user would write without the twin, on the same readings: read the day's sensor readings
and the sensor master data, check that readings are not null, inside each sensor's valid range,
of known sensors and unique per (sensor_id, ts), and write per-sensor daily statistics. Issue
23 compares the twin's nightly with it, in CPU seconds, in one run:

    # the peer alone, on a home's landing folder
    .venv/bin/python bench/pandas_peer.py peer --landing HOME/landing --out /tmp/peer
    # both, whole processes, alternating, on a generated home (its landing is copied)
    .venv/bin/python bench/pandas_peer.py compare --home HOME --as-of 2026-03-02 [--runs 2]

``compare`` runs ``twin init`` + ``twin nightly`` on a fresh home holding a copy of the landing
folder, and this script's ``peer``, each in its own process, and prints CPU s (user + system
of the child), wall s and peak memory of each, and the twin / peer CPU ratio (target: <= 0.25).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TARGET_RATIO = 0.25


def _read(folder: Path) -> Any:
    import pandas as pd

    frames = []
    for p in sorted(folder.iterdir()):
        if p.name.endswith(".parquet"):
            frames.append(pd.read_parquet(p))
        elif p.name.endswith((".csv", ".csv.gz")):
            frames.append(pd.read_csv(p))
    if not frames:
        raise SystemExit(f"no .parquet or .csv files in {folder}")
    return pd.concat(frames, ignore_index=True)


def peer(landing: Path, out: Path) -> dict[str, Any]:
    """The peer's night: read, check with GX (pandas engine), write daily stats."""
    import great_expectations as gx
    import pandas as pd

    readings = _read(landing / "sensor_readings")
    sensors = _read(landing / "sensors")
    readings["ts"] = pd.to_datetime(readings["ts"], utc=False)
    bounds = sensors[["sensor_id", "valid_min", "valid_max"]]
    checked = readings.merge(bounds, on="sensor_id", how="left")
    # Inside the sensor's own valid range (a missing bound does not limit).
    checked["in_range"] = (
        checked["valid_min"].isna() | (checked["value"] >= checked["valid_min"])
    ) & (checked["valid_max"].isna() | (checked["value"] <= checked["valid_max"]))

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("peer").add_dataframe_asset("readings")
    batch = asset.add_batch_definition_whole_dataframe("night").get_batch(
        batch_parameters={"dataframe": checked}
    )
    suite = gx.ExpectationSuite(name="readings")
    for col in ("sensor_id", "ts", "value"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=col))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeInSet(column="in_range", value_set=[True])
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="sensor_id", value_set=sorted(sensors["sensor_id"].dropna().unique())
        )
    )
    suite.add_expectation(
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["sensor_id", "ts"])
    )
    suite = context.suites.add(suite)
    result = batch.validate(suite)
    failed = {
        r.expectation_config.type: r.result.get("unexpected_count")
        for r in result.results
        if not r.success
    }

    good = checked[checked["in_range"] & checked["value"].notna()]
    stats = (
        good.assign(day=good["ts"].dt.date)
        .groupby(["sensor_id", "day"])["value"]
        .agg(["count", "mean", "min", "max", "std"])
        .reset_index()
    )
    out.mkdir(parents=True, exist_ok=True)
    stats.to_parquet(out / "sensor_daily_stats.parquet", index=False)
    return {"readings": len(readings), "stats_rows": len(stats), "failed": failed}


def _measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "wall_s": wall,
        # ru_maxrss of children is the largest child so far (KiB on Linux)
        "max_rss_gb_so_far": after.ru_maxrss / 1024**2,
    }


def compare(home: Path, as_of: str, runs: int) -> list[dict[str, Any]]:
    """Twin nightly and peer, whole processes, alternating."""
    twin = str(BIN / "twin")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=home.parent) as tmp:
        for i in range(runs):
            fresh = Path(tmp) / f"twin{i}"
            fresh.mkdir()
            shutil.copytree(home / "landing", fresh / "landing")
            env = {**os.environ, "TWIN_HOME": str(fresh)}

            script = (
                "import subprocess, sys; "
                f"subprocess.run([{twin!r}, 'init'], check=True, stdout=subprocess.DEVNULL); "
                f"subprocess.run([{twin!r}, 'nightly', '--as-of', {as_of!r}], check=True, "
                "stdout=subprocess.DEVNULL)"
            )
            t = _measure([sys.executable, "-c", script], env)
            results.append({"who": "twin", "run": i + 1, **t})
            print(f"twin run {i + 1}: {t}", flush=True)
            shutil.rmtree(fresh)
            p = _measure(
                [
                    sys.executable,
                    __file__,
                    "peer",
                    "--landing",
                    str(home / "landing"),
                    "--out",
                    str(Path(tmp) / f"peer{i}"),
                ],
                dict(os.environ),
            )
            results.append({"who": "peer", "run": i + 1, **p})
            print(f"peer run {i + 1}: {p}", flush=True)
    twin_cpu = min(r["cpu_s"] for r in results if r["who"] == "twin")
    peer_cpu = min(r["cpu_s"] for r in results if r["who"] == "peer")
    ratio = twin_cpu / peer_cpu
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
    print(
        f"CPU s: twin {twin_cpu:.1f}, peer {peer_cpu:.1f}; twin/peer {ratio:.2f} "
        f"(target <= {TARGET_RATIO}): {verdict}"
    )
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("peer")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("--home", type=Path, required=True)
    c.add_argument("--as-of", required=True)
    c.add_argument("--runs", type=int, default=2)
    c.add_argument("--json", type=Path, default=Path("bench-out/peer.json"))
    args = ap.parse_args()
    if args.cmd == "peer":
        print(json.dumps(peer(args.landing, args.out), default=str))
    else:
        results = compare(args.home, args.as_of, args.runs)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
