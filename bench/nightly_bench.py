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
- the scenario run and typical queries are measured by bench/sim_bench.py and bench/publish_bench.py.

Writes ``bench-out/nightly.json`` and ``bench-out/nightly.md``.

    .venv/bin/python bench/nightly_bench.py                 # everything (long: tens of minutes)
    .venv/bin/python bench/nightly_bench.py --only floor    # one part: floor, growth, sensors
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
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

OUT = Path("bench-out")
START = date(2026, 3, 2)


def reset_peak() -> None:
    """Reset this process's peak RSS (VmHWM) so the next reading is the next stage's peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Stage:
    stage: str
    seconds: float
    peak_mb: float
    rows: int | None = None

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


def timed(
    stage: str, fn: Callable[[], Any], rows: Callable[[Any], int | None] | None = None
) -> tuple[Stage, Any]:
    reset_peak()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    return Stage(stage, seconds, peak_mb(), rows(result) if rows else None), result


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
        print(f"generated {out} in {time.perf_counter() - t0:.0f} s")
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


def f_scan(files: list[tuple[str, Path]]) -> float:
    """Scan every input once with DuckDB, parsing every column (an aggregate over each)."""
    con = duckdb.connect()
    t0 = time.perf_counter()
    for _, f in files:
        con.execute(f"select count(*), min(columns(*)) from {_reader(f)}", [str(f)]).fetchall()
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def f_ingest(files: list[tuple[str, Path]], db: Path) -> float:
    """A bare CREATE TABLE AS of every input into a DuckDB file."""
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
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
    st, _ = timed(
        "validate",
        lambda: validate_pending(settings, as_of=as_of),
        lambda r: ing.totals.rows_loaded,
    )
    run.stages.append(st)
    st, sid = timed("rebuild", lambda: rebuild_snapshot(settings, as_of))
    run.stages.append(st)
    st, _ = timed("report", lambda: build_reports(settings, snapshot_id=sid))
    run.stages.append(st)
    st, _ = timed("publish", lambda: publish(settings))
    run.stages.append(st)
    return run


def fresh_home(root: Path, name: str) -> Settings:
    home = root / name
    if home.exists():
        shutil.rmtree(home)
    (home / "landing").mkdir(parents=True)
    return Settings(home=home, duckdb_threads=os.cpu_count() or 2)


def history_run(root: Path, plant_dir: Path, history: int, fmt: str, label: str) -> NightlyRun:
    """Load ``history`` days (nightly each, untimed), then time the nightly for the next day."""
    settings = fresh_home(root, f"home-{label}")
    land(settings.home, master_files(plant_dir))
    for d in range(history):
        day = START + timedelta(days=d)
        land(settings.home, day_files(plant_dir, day, fmt))
        nightly(settings, day, f"{label} load {day}")
    newest = START + timedelta(days=history)
    land(settings.home, day_files(plant_dir, newest, fmt))
    run = nightly(settings, newest, label)
    shutil.rmtree(settings.home)
    return run


# ------------------------------------------------------------------ report


def md_table(runs: list[NightlyRun]) -> str:
    lines = ["| run | stage | seconds | rows/s | peak MB |", "|---|---|---:|---:|---:|"]
    for r in runs:
        for s in r.stages:
            rps = f"{s.rows_per_s:,.0f}" if s.rows_per_s else ""
            lines.append(f"| {r.label} | {s.stage} | {s.seconds:.2f} | {rps} | {s.peak_mb:,.0f} |")
        lines.append(f"| {r.label} | **nightly** | **{r.seconds:.2f}** | | **{r.peak_mb:,.0f}** |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--root", type=Path, default=Path("/tmp/twin-bench"))
    ap.add_argument("--sensors", type=int, default=1000)
    ap.add_argument("--history", default="1,3,7", help="days of history before the measured day")
    ap.add_argument(
        "--growth-sensors",
        type=int,
        default=100,
        help="sensor count for the history-growth runs (kept small so 8 days fit)",
    )
    ap.add_argument("--sensor-counts", default="100,300,1000")
    ap.add_argument("--only", choices=["floor", "growth", "sensors"], default=None)
    args = ap.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count()},
        "date": date.today().isoformat(),
    }
    md: list[str] = ["# Nightly benchmark", ""]

    if args.only in (None, "floor"):
        p = plant(args.root, 1, args.sensors)
        csv_files, pq_files = day_files(p, START, "csv"), day_files(p, START, "parquet")
        floors = {
            "f_scan_csv_s": f_scan(master_files(p) + csv_files),
            "f_scan_parquet_s": f_scan(master_files(p) + pq_files),
            "f_ingest_csv_s": f_ingest(master_files(p) + csv_files, args.root / "floor.duckdb"),
            "f_ingest_parquet_s": f_ingest(master_files(p) + pq_files, args.root / "floor.duckdb"),
        }
        runs = [
            history_run(args.root, p, 0, "csv", "csv input"),
            history_run(args.root, p, 0, "parquet", "parquet input"),
        ]
        ratios = {
            "nightly_over_f_scan_csv": runs[0].seconds / floors["f_scan_csv_s"],
            "nightly_over_f_ingest_parquet": runs[1].seconds / floors["f_ingest_parquet_s"],
            "ingest_over_f_ingest_csv": runs[0].stages[0].seconds / floors["f_ingest_csv_s"],
            "ingest_over_f_ingest_parquet": runs[1].stages[0].seconds
            / floors["f_ingest_parquet_s"],
            "validate_over_ingest_parquet": runs[1].stages[1].seconds / runs[1].stages[0].seconds,
        }
        results["floor"] = {
            "floors": floors,
            "ratios": ratios,
            "runs": [asdict(r) | {"seconds": r.seconds, "peak_mb": r.peak_mb} for r in runs],
        }
        md += [
            f"## One bench day ({args.sensors} sensors at 1 Hz)",
            "",
            "| floor | seconds |",
            "|---|---:|",
        ]
        md += [f"| {k} | {v:.2f} |" for k, v in floors.items()]
        md += ["", md_table(runs), "", "| ratio | value |", "|---|---:|"]
        md += [f"| {k} | {v:.2f} |" for k, v in ratios.items()]
        md.append("")
        print("\n".join(md))

    if args.only in (None, "growth"):
        histories = [int(x) for x in args.history.split(",")]
        p = plant(args.root, max(histories) + 1, args.growth_sensors, "demo")
        runs = [history_run(args.root, p, h, "parquet", f"{h} days history") for h in histories]
        results["growth_history"] = [
            asdict(r) | {"seconds": r.seconds, "peak_mb": r.peak_mb} for r in runs
        ]
        md += [
            f"## Growth with history (demo layout, {args.growth_sensors} sensors at 1 Hz, Parquet)",
            "",
            md_table(runs),
            "",
        ]
        print(md_table(runs))

    if args.only in (None, "sensors"):
        runs = []
        for n in [int(x) for x in args.sensor_counts.split(",")]:
            p = plant(args.root, 1, n, "demo")
            runs.append(history_run(args.root, p, 0, "parquet", f"{n} sensors"))
        results["growth_sensors"] = [
            asdict(r) | {"seconds": r.seconds, "peak_mb": r.peak_mb} for r in runs
        ]
        md += [
            "## Growth with sensor count (demo layout, one day, 1 Hz, Parquet)",
            "",
            md_table(runs),
            "",
        ]
        print(md_table(runs))

    (OUT / "nightly.json").write_text(json.dumps(results, indent=2, default=str))
    (OUT / "nightly.md").write_text("\n".join(md) + "\n")
    print(f"wrote {OUT / 'nightly.json'} and {OUT / 'nightly.md'}")


if __name__ == "__main__":
    main()
