"""Validation benchmark: a bench-scale day of sensor readings (1,000 sensors at 1 Hz = 86.4M
rows) validated by ``twin_core.validation.validate_batch`` (Great Expectations in DuckDB, the
quarantine, promotion to ``core.sensor_readings``), compared with ingesting the same day in the
same run. The target: validation costs at most a quarter of ingest.

The day is made with DuckDB SQL (range + random): by default written as one Parquet extract
and loaded with ``twin_core.ingest.ingest_landing`` (timed), then validated (timed, per phase);
with ``--raw-sql`` the rows are inserted into ``raw.sensor_readings`` directly with SQL (timed
as the floor of any ingest) and validated. The sensors' master data is validated first, outside
the timing. ``--dirt N`` makes every N-th reading bad (NaN value, or an unknown sensor), so
the quarantine path is timed too.

    .venv/bin/python bench/validate_bench.py [--rows 86400000] [--work /tmp/validate-bench]
        [--raw-sql] [--dirt 0] [--threads 2] [--memory-limit 6GB] [--keep]

Prints one markdown table row; ``--json`` writes the numbers too.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from datetime import date, datetime
from pathlib import Path

SENSORS = 1000
MACHINES = 20
DAY = date(2026, 1, 1)


def _readings_sql(rows: int, dirt: int) -> str:
    """A day of readings: sensor i % 1000 at second i // 1000; every ``dirt``-th row bad,
    alternately an unknown sensor and a NaN value (by the bad row's number, not by i's parity,
    which for an even ``dirt`` is always odd)."""
    bad = "$dirt > 0 and i % greatest($dirt, 1) = $dirt - 1"
    return f"""
        select case when {bad} and (i // greatest($dirt, 1)) % 2 = 0 then 'UNKNOWN'
                    else 'S' || lpad((i % {SENSORS})::varchar, 4, '0') end as sensor_id,
            timestamp '{DAY}' + to_seconds((i // {SENSORS})::bigint) as ts,
            case when {bad} and (i // greatest($dirt, 1)) % 2 = 1 then 'nan'::double
                 else round(20 + 5 * sin(i / 1e5) + random(), 3) end as value,
            case when i % 997 = 0 then 'uncertain' else 'good' end as quality
        from range({rows}) t(i)
    """


def _masters(settings: object) -> None:
    from twin_core.validation import validate_batch
    from twin_core.warehouse import open_warehouse

    at = datetime(2026, 1, 1, 0, 0)
    with open_warehouse(settings) as con:  # type: ignore[arg-type]
        con.execute(
            "insert into ingest.batches (batch_id, started_at, finished_at, status) "
            "values ('masters', $t, $t, 'completed')",
            {"t": at},
        )
        con.execute(
            f"""insert into raw.machines select 'M' || i, 'L1', 'S1', 'machine ' || i, 'press',
            i + 1, 2.0, 'masters', 'machines/m.csv', i + 1, null, $t from range({MACHINES}) t(i)""",
            {"t": at},
        )
        con.execute(
            f"""insert into raw.sensors select 'S' || lpad(i::varchar, 4, '0'),
            'M' || (i % {MACHINES}), 'temperature', 'C', -50, 500, null, null,
            'masters', 'sensors/s.csv', i + 1, null, $t from range({SENSORS}) t(i)""",
            {"t": at},
        )
    validate_batch(settings, "masters", as_of=DAY)  # type: ignore[arg-type]


def _raw_by_sql(settings: object, rows: int, dirt: int) -> tuple[str, float]:
    from twin_core.warehouse import open_warehouse

    t0 = time.perf_counter()
    with open_warehouse(settings) as con:  # type: ignore[arg-type]
        at = datetime(2026, 1, 2, 1, 0)
        con.execute(
            "insert into ingest.batches (batch_id, started_at, finished_at, status) "
            "values ('day', $t, $t, 'completed')",
            {"t": at},
        )
        con.execute(
            f"insert into raw.sensor_readings select *, 'day', 'sensor_readings/day.parquet', "
            f"row_number() over (), null, $t from ({_readings_sql(rows, dirt)})",
            {"t": at, "dirt": dirt},
        )
        con.execute("checkpoint")
    return "day", time.perf_counter() - t0


def _raw_by_ingest(settings: object, work: Path, rows: int, dirt: int) -> tuple[str, float]:
    import duckdb

    from twin_core.ingest import ingest_landing

    landing = work / "home" / "landing" / "sensor_readings"
    landing.mkdir(parents=True, exist_ok=True)
    path = landing / "day.parquet"
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    con.execute(
        f"copy ({_readings_sql(rows, dirt)}) to '{path}' (format parquet, compression zstd)",
        {"dirt": dirt},
    )
    con.close()
    t0 = time.perf_counter()
    result = ingest_landing(settings, sources=["sensor_readings"])  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    assert result.batch_id is not None, "ingest found nothing"
    return result.batch_id, seconds


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", type=int, default=86_400_000)
    p.add_argument("--work", type=Path, default=Path("/tmp/validate-bench"))
    p.add_argument("--raw-sql", action="store_true", help="insert raw rows with SQL, no ingest")
    p.add_argument("--dirt", type=int, default=0, help="one bad reading every N rows (0: none)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--memory-limit", default="6GB")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args()

    from twin_core.settings import Settings
    from twin_core.validation import validate_batch
    from twin_core.warehouse import open_warehouse

    shutil.rmtree(args.work, ignore_errors=True)
    home = args.work / "home"
    home.mkdir(parents=True)
    settings = Settings(
        home=home, duckdb_threads=args.threads, duckdb_memory_limit=args.memory_limit
    )
    try:
        _masters(settings)
        if args.raw_sql:
            batch_id, load_s = _raw_by_sql(settings, args.rows, args.dirt)
            load = "SQL insert into raw"
        else:
            batch_id, load_s = _raw_by_ingest(settings, args.work, args.rows, args.dirt)
            load = "ingest_landing (Parquet)"
        print(f"{load}: {load_s:.1f} s", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        result = validate_batch(settings, batch_id, as_of=date(2026, 1, 2))
        validate_s = time.perf_counter() - t0
        counts = result.counts["sensor_readings"]
        with open_warehouse(settings) as con:
            core = con.execute("select count(*) from core.sensor_readings").fetchone()
        assert core is not None and core[0] == counts["promoted"]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        phases = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
        print(
            "| rows | load | load s | validate s | ratio | phases s | quarantined | promoted "
            "| peak RSS MB |"
        )
        print("|---:|---|---:|---:|---:|---|---:|---:|---:|")
        print(
            f"| {counts['rows']:,} | {load} | {load_s:.1f} | {validate_s:.1f} "
            f"| {validate_s / load_s:.2f} | {phases} | {counts['quarantined']:,} "
            f"| {counts['promoted']:,} | {rss:,.0f} |",
            flush=True,
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "rows": counts["rows"],
                        "load": load,
                        "load_s": load_s,
                        "validate_s": validate_s,
                        "phases_s": result.seconds,
                        "counts": counts,
                        "rss_mb": rss,
                    },
                    indent=2,
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
