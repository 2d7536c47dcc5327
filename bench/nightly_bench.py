"""The nightly's cost against the physical floor, and how it grows (`make bench`).

In one run, on the bench-scale plant (1,000 sensors at 1 Hz for a day, plus the enterprise
extracts of the synthetic plant):

- F_scan: DuckDB scanning every raw input of the day once, parsing every column;
- F_ingest: a bare ``CREATE TABLE AS SELECT * FROM read_*`` of the same inputs into a file;
- the nightly's stages (ingest, validate, rebuild, report, publish) on that day, each with
  wall time, rows per second and peak resident memory (VmHWM, reset before each stage);
- ratios: nightly / F_scan with CSV sensor input; nightly / F_ingest with Parquet input;
- growth: the nightly for the newest day with 1, 3 and 7 days of history already loaded, and
  for 100, 300 and 1,000 sensors;
- one scenario run (the line forecast of 3 lines x 6 machines x 14 days x 1,000 replications,
  ``bench/sim_bench.py``) and typical ad hoc queries on the bench day's published
  ``plant.duckdb`` (the queries of ``bench/publish_bench.py``);
- the machine's conditions (cores, memory, load average before and after each part): the
  2-core machine is shared, so CPU seconds are recorded beside wall seconds.

Writes ``bench-out/nightly.json`` and ``bench-out/nightly.md`` (targets against measured).
Parts run alone merge into the JSON already there, so a long run can be split:

    make bench                                              # everything (long: tens of minutes)
    .venv/bin/python bench/nightly_bench.py --only floor    # parts: floor,growth,sensors,scenario,peer
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from twin_core.ingest import ingest_landing
from twin_core.publish import publish
from twin_core.rebuild import rebuild_snapshot
from twin_core.report import build_reports
from twin_core.settings import Settings
from twin_core.synth import generate
from twin_core.validation import validate_pending

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_targets  # a sibling script module, not a package

OUT = Path("bench-out")
START = date(2026, 3, 2)
PARTS = ("floor", "growth", "sensors", "scenario", "peer")


def reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM) so the next reading is the next stage's peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def conditions() -> dict[str, Any]:
    """The machine as the measurement saw it: load average (1, 5, 15 min) and free memory."""
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        if key in ("MemTotal", "MemAvailable"):
            mem[key] = round(int(value.split()[0]) / 1024 / 1024, 1)
    return {
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "mem_total_gb": mem.get("MemTotal"),
        "mem_available_gb": mem.get("MemAvailable"),
    }


@dataclass
class Stage:
    stage: str
    seconds: float
    cpu_s: float
    peak_mb: float
    rows: int | None = None
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds > 0 else None


@dataclass
class NightlyRun:
    label: str
    as_of: str
    stages: list[Stage] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.stages)

    def as_dict(self) -> dict[str, Any]:
        stages = [asdict(s) | {"rows_per_s": s.rows_per_s} for s in self.stages]
        return {
            "label": self.label,
            "as_of": self.as_of,
            "stages": stages,
            "seconds": self.seconds,
            "cpu_s": sum(s.cpu_s for s in self.stages),
            "peak_mb": self.peak_mb,
        }


def timed(
    stage: str, fn: Callable[[], Any], rows: Callable[[Any], int | None] | None = None
) -> tuple[Stage, Any]:
    reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return Stage(stage, seconds, cpu, peak_mb(), rows(result) if rows else None), result


class _BuilderTimes(logging.Handler):
    """Collects the rebuild's per-builder seconds from its log records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and "built" in str(record.msg):
            module = str(args[1]).rsplit(".", 1)[-1]
            self.seconds[module] = round(float(args[4]), 2)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the plant


def plant(root: Path, days: int, sensors: int, scale: Literal["demo", "bench"] = "bench") -> Path:
    """Generate (once, cached by parameters) a plant with sensors at 1 Hz and CSV copies of
    the sensor readings. ``bench``: 10 lines, 50 machines; ``demo``: 3 lines, 15 machines
    (used for the sweeps, whose sensor counts go below the bench layout's minimum of 200)."""
    out = root / f"plant-{scale}-{sensors}s-{days}d"
    if not (out / "ground_truth.json").exists():
        if out.exists():
            shutil.rmtree(out)
        t0 = time.perf_counter()
        generate(
            out,
            days=days,
            start=START,
            seed=11,
            scale=scale,
            sensors=sensors,
            period_s=1,
            csv_copy=True,
        )
        print(f"generated {out} in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def day_files(plant_dir: Path, day: date, fmt: str) -> list[tuple[str, Path]]:
    """(source, path) of the extracts a nightly for ``day`` receives: that day's transaction
    files, with sensor readings as Parquet (landing) or CSV (copies/)."""
    stamp = day.isoformat()
    found: list[tuple[str, Path]] = []
    for src_dir in sorted((plant_dir / "landing").iterdir()):
        for f in sorted(src_dir.iterdir()):
            if stamp in f.name:
                if src_dir.name == "sensor_readings" and fmt == "csv":
                    continue
                found.append((src_dir.name, f))
    if fmt == "csv":
        found += [
            ("sensor_readings", f) for f in sorted((plant_dir / "copies").rglob(f"*{stamp}*.csv"))
        ]
    return found


def master_files(plant_dir: Path) -> list[tuple[str, Path]]:
    """Master data: the landing files whose names carry no date."""
    dated = re.compile(r"\d{4}-\d{2}-\d{2}")
    return [
        (p.parent.name, p)
        for p in sorted((plant_dir / "landing").rglob("*"))
        if p.is_file() and not dated.search(p.name)
    ]


def land(home: Path, files: list[tuple[str, Path]]) -> None:
    """Drop files into TWIN_HOME/landing the way an upstream system would (hard links: no copy cost)."""
    for source, f in files:
        target = home / "landing" / source / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(f, target)
            except OSError:
                shutil.copy2(f, target)


# ------------------------------------------------------------------ floors


def _reader(path: Path) -> str:
    fn = {".csv": "read_csv", ".parquet": "read_parquet"}.get(path.suffix, "read_json")
    return f"{fn}(?)"


def f_scan(files: list[tuple[str, Path]], threads: int) -> float:
    """Scan every input once with DuckDB, parsing every column (an aggregate over each)."""
    con = duckdb.connect(config={"threads": threads})
    con.execute("set enable_progress_bar = false")
    t0 = time.perf_counter()
    for _, f in files:
        con.execute(f"select count(*), min(columns(*)) from {_reader(f)}", [str(f)]).fetchall()
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def f_ingest(files: list[tuple[str, Path]], db: Path, threads: int) -> float:
    """A bare CREATE TABLE AS of every input into a DuckDB file."""
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"threads": threads})
    con.execute("set enable_progress_bar = false")
    t0 = time.perf_counter()
    for i, (_, f) in enumerate(files):
        con.execute(f"create table t{i} as select * from {_reader(f)}", [str(f)])
    con.execute("checkpoint")
    seconds = time.perf_counter() - t0
    con.close()
    db.unlink(missing_ok=True)
    return seconds


# ------------------------------------------------------------------ the nightly


def nightly(settings: Settings, as_of: date, label: str) -> NightlyRun:
    """The nightly's five stages, called as the flow calls them, each timed."""
    run = NightlyRun(label, as_of.isoformat())
    st, ing = timed("ingest", lambda: ingest_landing(settings), lambda r: r.totals.rows_read)
    run.stages.append(st)
    st, validated = timed(
        "validate",
        lambda: validate_pending(settings, as_of=as_of),
        lambda r: ing.totals.rows_loaded,
    )
    for v in validated:
        for phase, s in v.seconds.items():
            st.detail[phase] = round(st.detail.get(phase, 0.0) + s, 2)
    run.stages.append(st)
    builders = _BuilderTimes()
    rebuild_log = logging.getLogger("twin_core.rebuild")
    rebuild_log.addHandler(builders)
    rebuild_log.setLevel(logging.INFO)
    try:
        st, sid = timed("rebuild", lambda: rebuild_snapshot(settings, as_of))
    finally:
        rebuild_log.removeHandler(builders)
    st.detail = builders.seconds
    run.stages.append(st)
    st, _ = timed("report", lambda: build_reports(settings, snapshot_id=sid))
    run.stages.append(st)
    st, _ = timed("publish", lambda: publish(settings), lambda r: r.rows)
    run.stages.append(st)
    return run


def fresh_home(root: Path, name: str, threads: int) -> Settings:
    home = root / name
    if home.exists():
        shutil.rmtree(home)
    (home / "landing").mkdir(parents=True)
    return Settings(home=home, duckdb_threads=threads)


def history_run(
    root: Path,
    plant_dir: Path,
    history: int,
    fmt: str,
    label: str,
    threads: int,
    newest: date = START,
    after: Callable[[Settings], None] | None = None,
) -> NightlyRun:
    """Load the ``history`` days before ``newest`` (a nightly each, untimed), then time the
    nightly for ``newest``. ``after`` sees the home before it is removed (the query part
    reads its plant.duckdb)."""
    settings = fresh_home(root, f"home-{label.replace(' ', '-')}", threads)
    land(settings.home, master_files(plant_dir))
    for d in range(history, 0, -1):
        day = newest - timedelta(days=d)
        land(settings.home, day_files(plant_dir, day, fmt))
        nightly(settings, day, f"{label} load {day}")
    land(settings.home, day_files(plant_dir, newest, fmt))
    run = nightly(settings, newest, label)
    print(bench_targets.runs_table([run.as_dict()]), flush=True)
    try:
        if after is not None:
            after(settings)
    finally:
        shutil.rmtree(settings.home)
    return run


# ------------------------------------------------------------------ scenario and query


def scenario_seconds(repeat: int = 3) -> dict[str, float]:
    """The line forecast of one scenario run, 3 lines x 6 machines x 14 days x 1,000
    replications (``sim_bench.bench_lines``: median of ``repeat``)."""
    import sim_bench

    return sim_bench.bench_lines(repeat)


def query_ms(settings: Settings) -> dict[str, float]:
    """Median latency of the typical ad hoc queries on a published plant.duckdb."""
    import publish_bench

    queries = dict(publish_bench.QUERIES)
    # The readings' hourly aggregates of one machine's sensors over the published days.
    queries["sensor_hourly one machine, 7 days"] = (
        "select sensor_id, avg(mean) from core.sensor_hourly where sensor_id in "
        "(select sensor_id from core.sensors where machine_id = 'L1-M1') "
        "and hour >= (select max(hour) from core.sensor_hourly) - interval 7 day group by all"
    )
    return {
        name: round(publish_bench.time_query(settings.published_path, sql), 2)
        for name, sql in queries.items()
    }


# ------------------------------------------------------------------ parts


def part_floor(args: argparse.Namespace, results: dict[str, Any]) -> None:
    p = plant(args.root, 1, args.sensors)
    masters = master_files(p)
    csv_files, pq_files = day_files(p, START, "csv"), day_files(p, START, "parquet")
    th = args.threads
    floors = {
        "f_scan_csv_s": f_scan(masters + csv_files, th),
        "f_scan_parquet_s": f_scan(masters + pq_files, th),
        "f_ingest_csv_s": f_ingest(masters + csv_files, args.root / "floor.duckdb", th),
        "f_ingest_parquet_s": f_ingest(masters + pq_files, args.root / "floor.duckdb", th),
    }
    print(json.dumps(floors, indent=1), flush=True)
    queries: dict[str, float] = {}
    runs = [
        history_run(args.root, p, 0, "csv", "csv input", th),
        history_run(
            args.root,
            p,
            0,
            "parquet",
            "parquet input",
            th,
            after=lambda s: queries.update(query_ms(s)),
        ),
    ]
    results["floor"] = {
        "sensors": args.sensors,
        "readings": runs[1].stages[0].rows,
        "floors": floors,
        "runs": [r.as_dict() for r in runs],
    }
    results["query_ms"] = queries


def part_growth(args: argparse.Namespace, results: dict[str, Any]) -> None:
    histories = [int(x) for x in args.history.split(",")]
    p = plant(args.root, max(histories) + 1, args.growth_sensors, "demo")
    # The same new day (the plant's last) after each amount of history: the synthetic
    # plant's dirt falls on its first days, so only the history differs between the runs.
    newest = START + timedelta(days=max(histories))
    runs = [
        history_run(args.root, p, h, "parquet", f"{h} days history", args.threads, newest)
        for h in histories
    ]
    results["growth_history"] = {
        "sensors": args.growth_sensors,
        "runs": [r.as_dict() | {"history_days": h} for r, h in zip(runs, histories, strict=True)],
    }


def part_sensors(args: argparse.Namespace, results: dict[str, Any]) -> None:
    runs = []
    counts = [int(x) for x in args.sensor_counts.split(",")]
    for n in counts:
        p = plant(args.root, 1, n, "demo")
        runs.append(history_run(args.root, p, 0, "parquet", f"{n} sensors", args.threads))
    results["growth_sensors"] = {
        "runs": [r.as_dict() | {"sensors": n} for r, n in zip(runs, counts, strict=True)]
    }


def part_scenario(args: argparse.Namespace, results: dict[str, Any]) -> None:
    results["scenario"] = scenario_seconds()


def part_peer(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """The twin's nightly (``twin init`` + ``twin nightly``, whole processes) against the
    pandas + GX peer (bench/pandas_peer.py) on the bench day, alternating, CPU s of each."""
    import pandas_peer

    p = plant(args.root, 1, args.sensors)
    home = args.root / "peer-home"
    if home.exists():
        shutil.rmtree(home)
    land(home, master_files(p) + day_files(p, START, "parquet"))
    runs = pandas_peer.compare(home, START.isoformat(), args.peer_runs)
    twin = min(r["cpu_s"] for r in runs if r["who"] == "twin")
    peer = min(r["cpu_s"] for r in runs if r["who"] == "peer")
    results["peer"] = {"runs": runs, "twin_cpu_s": twin, "peer_cpu_s": peer, "ratio": twin / peer}
    shutil.rmtree(home)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--root", type=Path, default=Path("/tmp/twin-bench"))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--sensors", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--history", default="1,3,7", help="days of history before the measured day")
    ap.add_argument(
        "--growth-sensors",
        type=int,
        default=100,
        help="sensor count for the history-growth runs (kept small so 8 days fit)",
    )
    ap.add_argument("--sensor-counts", default="100,300,1000")
    ap.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}"
    )
    ap.add_argument("--peer-runs", type=int, default=2, help="alternating runs of the peer part")
    ap.add_argument("--fresh", action="store_true", help="drop earlier parts' results")
    ap.add_argument("--keep-plants", action="store_true", help="keep the generated plants")
    args = ap.parse_args()
    parts = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {sorted(unknown)}; parts: {', '.join(PARTS)}")
    args.root.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "nightly.json"
    results: dict[str, Any] = {}
    if json_path.exists() and not args.fresh:
        results = json.loads(json_path.read_text())
    results["machine"] = {"cores": os.cpu_count(), "duckdb_threads": args.threads}
    for part in parts:
        before = conditions()
        {
            "floor": part_floor,
            "growth": part_growth,
            "sensors": part_sensors,
            "scenario": part_scenario,
            "peer": part_peer,
        }[part](args, results)
        results.setdefault("conditions", {})[part] = {"before": before, "after": conditions()}
        json_path.write_text(json.dumps(results, indent=2, default=str))
        (args.out / "nightly.md").write_text(bench_targets.markdown(results))
        print(f"{part} done; wrote {json_path} and {args.out / 'nightly.md'}", flush=True)
    if not args.keep_plants:
        for plant_dir in args.root.glob("plant-*"):
            shutil.rmtree(plant_dir)
    print(bench_targets.markdown(results))


if __name__ == "__main__":
    main()
