"""Ingest benchmark: one bench-scale day of sensor readings (1,000 sensors at 1 Hz = 86.4M
rows) in one file, loaded by ``twin_core.ingest.ingest_landing`` and by a bare DuckDB
``create table t as select * from read_csv(...)`` of the same file, in the same run;
likewise from Parquet. The target: ingest within 3x the bare load.

The file is generated with DuckDB SQL (ISO timestamps without offset, three-decimal values,
quality mostly good). ``--dirt N`` puts an unreadable value in one row of every N, so the
quarantine path is part of what is timed; a bare ``read_csv`` fails on such a file, so the
bare load then gets ``ignore_errors=true`` (it drops those rows, ingest quarantines them).
Pass ``--csv``/``--parquet`` to time your own file.
Each measurement runs in a fresh process against a fresh database; the minimum of
``--repeat`` rounds is reported, rounds interleave bare and ingest so a busy machine hurts
both alike.

    .venv/bin/python bench/ingest_bench.py [--rows 86400000] [--work /tmp/ingest-bench]
        [--repeat 2] [--threads N] [--memory-limit 8GB] [--keep]

Prints one markdown row per format; ``--json`` writes the numbers too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

SENSORS = 1000


def generate(work: Path, rows: int, dirt: int) -> tuple[Path, Path]:
    """A day of readings as CSV, and the same rows as Parquet."""
    csv_path = work / "landing" / "sensor_readings" / "day.csv"
    parquet_path = work / "parquet" / "sensor_readings" / "day.parquet"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    parquet_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    select = f"""
        select 'S' || lpad((i % {SENSORS})::varchar, 4, '0') as sensor_id,
            strftime(timestamp '2026-01-01' + to_seconds(i // {SENSORS}), '%Y-%m-%dT%H:%M:%S') as ts,
            case when $dirt > 0 and i % $dirt = $dirt - 1 then 'n/a'
                else round(20 + 5 * sin(i / 1e5) + random(), 3)::varchar end as value,
            case when i % 997 = 0 then 'uncertain' else 'good' end as quality
        from range($rows) t(i)
    """
    con.execute(f"copy ({select}) to '{csv_path}' (header)", {"rows": rows, "dirt": dirt})
    # Parquet carries types (timestamp, double); with dirt the value column stays text, as
    # an export holding "n/a" would write it.
    typing = ", all_varchar=true" if dirt else ""
    con.execute(
        f"copy (select * from read_csv('{csv_path}'{typing})) to '{parquet_path}' "
        "(format parquet, compression zstd)"
    )
    con.close()
    return csv_path, parquet_path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    # All threads of this process: what the load cost, less sensitive to a busy machine.
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure_one(
    kind: str, path: Path, work: Path, threads: int | None, memory: str | None, lenient: bool
) -> dict[str, float]:
    """One measurement in this (fresh) process: 'bare' or 'ingest' of ``path``."""
    db_dir = work / f"run-{kind}-{os.getpid()}"
    db_dir.mkdir(parents=True)
    try:
        if kind == "bare":
            config: dict[str, str | int] = {}
            if threads:
                config["threads"] = threads
            if memory:
                config["memory_limit"] = memory
            con = duckdb.connect(str(db_dir / "bare.duckdb"), config=config)
            if path.suffix == ".parquet":
                reader = "read_parquet(?)"
            else:
                reader = "read_csv(?, ignore_errors=true)" if lenient else "read_csv(?)"
            t0, c0 = time.perf_counter(), _cpu_s()
            con.execute(f"create table t as select * from {reader}", [str(path)])
            con.execute("checkpoint")
            seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
            n = con.execute("select count(*) from t").fetchone()
            con.close()
            return {
                "seconds": seconds,
                "cpu_s": cpu,
                "rows": float(n[0] if n else 0),
                "rss_mb": _rss_mb(),
            }

        from twin_core.ingest import ingest_landing
        from twin_core.settings import Settings
        from twin_core.warehouse import open_warehouse

        home = db_dir / "home"
        landing = home / "landing" / "sensor_readings"
        landing.mkdir(parents=True)
        # The extract itself, not a copy: a hard link (ingest refuses symbolic links that
        # point out of landing), else a copy on another file system.
        try:
            os.link(path, landing / path.name)
        except OSError:
            shutil.copyfile(path, landing / path.name)
        settings = Settings(home=home, duckdb_threads=threads, duckdb_memory_limit=memory)
        with open_warehouse(settings):
            pass  # schema applied outside the timing: it is a one-time cost of a warehouse
        t0, c0 = time.perf_counter(), _cpu_s()
        result = ingest_landing(settings, sources=["sensor_readings"])
        seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
        (f,) = result.files
        assert f.status == "loaded" and f.reconciles, f
        return {
            "seconds": seconds,
            "cpu_s": cpu,
            "rows": float(f.rows_read),
            "loaded": float(f.rows_loaded),
            "quarantined": float(f.rows_quarantined),
            "rss_mb": _rss_mb(),
        }
    finally:
        shutil.rmtree(db_dir, ignore_errors=True)


def _child(kind: str, path: Path, args: argparse.Namespace) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--one", kind, str(path), "--work", str(args.work)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.memory_limit:
        cmd += ["--memory-limit", args.memory_limit]
    if args.dirt:
        cmd += ["--dirt", str(args.dirt)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} of {path} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", type=int, default=86_400_000)
    p.add_argument(
        "--dirt", type=int, default=0, help="one unreadable value every N rows (0: none)"
    )
    p.add_argument("--work", type=Path, default=Path("/tmp/ingest-bench"))
    p.add_argument("--csv", type=Path, help="time this CSV instead of generating one")
    p.add_argument("--parquet", type=Path, help="time this Parquet file instead of generating one")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--threads", type=int)
    p.add_argument("--memory-limit")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    p.add_argument("--one", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.one:
        kind, path = args.one
        m = measure_one(kind, Path(path), args.work, args.threads, args.memory_limit, args.dirt > 0)
        print(json.dumps(m))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    generated = args.csv is None and args.parquet is None
    try:
        if generated:
            t0 = time.perf_counter()
            csv_path, parquet_path = generate(args.work, args.rows, args.dirt)
            print(
                f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr
            )
            files = {"csv": csv_path, "parquet": parquet_path}
        else:
            files = {k: v for k, v in (("csv", args.csv), ("parquet", args.parquet)) if v}
        results = {}
        print(
            "| format | rows | file MB | bare CTAS s | ingest s | ratio | CPU s bare / ingest "
            "| quarantined | peak RSS MB bare / ingest |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for fmt, path in files.items():
            bare_runs: list[dict[str, float]] = []
            ing: list[dict[str, float]] = []
            for _ in range(args.repeat):
                bare_runs.append(_child("bare", path.resolve(), args))
                ing.append(_child("ingest", path.resolve(), args))
            bare = [r["seconds"] for r in bare_runs]
            best_bare = min(bare)
            best = min(ing, key=lambda r: r["seconds"])
            ratio = best["seconds"] / best_bare
            cpu_bare = min(r["cpu_s"] for r in bare_runs)
            results[fmt] = {
                "rows": best["rows"],
                "file_mb": path.stat().st_size / 1e6,
                "bare_s": bare,
                "ingest_s": [r["seconds"] for r in ing],
                "ratio_best": ratio,
                "ratio_median": statistics.median(r["seconds"] for r in ing)
                / statistics.median(bare),
                "quarantined": best["quarantined"],
                "ingest_rss_mb": max(r["rss_mb"] for r in ing),
                "bare_rss_mb": max(r["rss_mb"] for r in bare_runs),
                "bare_cpu_s": [r["cpu_s"] for r in bare_runs],
                "ingest_cpu_s": [r["cpu_s"] for r in ing],
            }
            print(
                f"| {fmt} | {int(best['rows']):,} | {path.stat().st_size / 1e6:,.0f} | {best_bare:.1f} "
                f"| {best['seconds']:.1f} | {ratio:.2f}x | {cpu_bare:.1f} / {best['cpu_s']:.1f} "
                f"| {int(best['quarantined']):,} "
                f"| {results[fmt]['bare_rss_mb']:,.0f} / {results[fmt]['ingest_rss_mb']:,.0f} |",
                flush=True,
            )
        print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        if generated and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
