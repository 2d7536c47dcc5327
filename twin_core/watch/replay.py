"""Replay a generated plant hour by hour: each hour's slice of the daily extracts goes into
landing, as a plant whose systems export every hour would deliver them.

Grain: one call of ``hour_files`` per plant hour writes at most one file per source,
``landing/<source>/<source>_<YYYY-MM-DDTHH>.<ext>``, with the rows of that hour.

Which rows belong to an hour (UTC, the extracts' time): inspections, defects and sensor
readings by ``ts``; production by ``end_ts`` (a record is known when it ends); machine
events by ``start_ts`` (the generator's daily split). Every other transactional source
(work orders, demand, inventory, purchase orders, feedback) is a daily extract and lands
whole in the last hour of its day; master data lands in the first hour replayed. A row whose
time cannot be read (the generator's dirty rows) lands with the last hour of its file's day,
so validation still sees it; a file that cannot be read at all (the malformed one) is copied
whole in that hour too.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from twin_core.contracts import MASTER_SOURCES

__all__ = ["HOURLY_COLUMNS", "ReplaySource", "hour_files", "plan_replay"]

HOURLY_COLUMNS: dict[str, str] = {
    "inspections": "ts",
    "defects": "ts",
    "sensor_readings": "ts",
    "production": "end_ts",
    "machine_events": "start_ts",
}
_TS_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True)
class ReplaySource:
    """The generated plant to replay: its folder (with ``landing/``) and plant days."""

    root: Path
    days: list[date]

    @property
    def landing(self) -> Path:
        return self.root / "landing"


def plan_replay(root: Path) -> ReplaySource:
    """The days of the generated plant in ``root`` (from its extracts' file names)."""
    landing = root / "landing"
    if not landing.is_dir():
        raise FileNotFoundError(f"{landing} does not exist: generate a plant first (twin generate)")
    days: set[date] = set()
    for f in landing.glob("*/*"):
        d = _file_day(f)
        if d is not None:
            days.add(d)
    if not days:
        raise FileNotFoundError(f"{landing} holds no daily extracts (<source>_<YYYY-MM-DD>.<ext>)")
    return ReplaySource(root, sorted(days))


def _file_day(path: Path) -> date | None:
    stem = path.name.split(".")[0]
    _, _, tail = stem.rpartition("_")
    try:
        return date.fromisoformat(tail)
    except ValueError:
        return None


def _hour_of(text: str | None) -> int | None:
    if not text:
        return None
    for fmt in _TS_FORMATS:
        try:
            return datetime.strptime(text, fmt).hour
        except ValueError:
            continue
    return None


def _split_csv(data: bytes, column: str) -> dict[int, bytes] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.splitlines(keepends=True)
    if not lines:
        return None
    header = next(csv.reader([lines[0]]))
    if column not in header:
        return None
    idx = header.index(column)
    out: dict[int, list[str]] = {}
    for line in lines[1:]:
        try:
            row = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            row = []
        hour = _hour_of(row[idx]) if len(row) > idx else None
        out.setdefault(23 if hour is None else hour, []).append(line)
    return {h: (lines[0] + "".join(rows)).encode("utf-8") for h, rows in out.items()}


def _split_jsonl(data: bytes, column: str) -> dict[int, bytes] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out: dict[int, list[str]] = {}
    for line in text.splitlines(keepends=True):
        try:
            value = json.loads(line).get(column)
        except (ValueError, AttributeError):
            value = None
        hour = _hour_of(value if isinstance(value, str) else None)
        out.setdefault(23 if hour is None else hour, []).append(line)
    return {h: "".join(rows).encode("utf-8") for h, rows in out.items()}


def _split_parquet(path: Path, column: str) -> dict[int, pl.DataFrame] | None:
    try:
        frame = pl.read_parquet(path)
    except Exception:  # a file polars cannot read lands whole
        return None
    if column not in frame.columns or frame.schema[column] not in (
        pl.Datetime("us"),
        pl.Datetime("ns"),
        pl.Datetime("ms"),
    ):
        return None
    hours = frame.with_columns(_h=pl.col(column).dt.hour().fill_null(23))
    return {
        int(h): part.drop("_h")
        for (h,), part in hours.partition_by("_h", as_dict=True, maintain_order=True).items()
    }


def _write_hour(src: Path, target_dir: Path, day: date, hour: int) -> Path | None:
    """This hour's rows of the daily file ``src`` into ``target_dir``; None: no rows."""
    source = src.parent.name
    column = HOURLY_COLUMNS.get(source)
    ext = src.name.split(".", 1)[1]
    name = f"{source}_{day.isoformat()}T{hour:02d}.{ext}"
    target = target_dir / name
    if column is None:
        if hour != 23:
            return None
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        return target
    if ext == "parquet":
        parts = _split_parquet(src, column)
        if parts is None:
            return _write_hour_whole(src, target, hour)
        part = parts.get(hour)
        if part is None:
            return None
        target_dir.mkdir(parents=True, exist_ok=True)
        part.write_parquet(target, compression="zstd")
        return target
    data = src.read_bytes()
    split = _split_csv(data, column) if ext == "csv" else _split_jsonl(data, column)
    if split is None:
        return _write_hour_whole(src, target, hour)
    chunk = split.get(hour)
    if chunk is None:
        return None
    target_dir.mkdir(parents=True, exist_ok=True)
    target.write_bytes(chunk)
    return target


def _write_hour_whole(src: Path, target: Path, hour: int) -> Path | None:
    if hour != 23:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    return target


def hour_files(plant: ReplaySource, landing: Path, day: date, hour: int) -> list[Path]:
    """Drop hour ``hour`` (0-23, UTC) of plant day ``day`` into ``landing``; returns the files
    written (master data too, on the first call for a landing without it)."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    written: list[Path] = []
    for name in MASTER_SOURCES:
        folder = plant.landing / name
        if not folder.is_dir():
            continue
        for src in sorted(folder.iterdir()):
            target = landing / name / src.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                written.append(target)
    for folder in sorted(p for p in plant.landing.iterdir() if p.is_dir()):
        if folder.name in MASTER_SOURCES:
            continue
        for src in sorted(folder.iterdir()):
            if _file_day(src) != day:
                continue
            out = _write_hour(src, landing / folder.name, day, hour)
            if out is not None:
                written.append(out)
    return written


def hours_of(plant: ReplaySource, first: date | None = None) -> list[tuple[date, int]]:
    """Every (day, hour) of the plant from ``first`` (default its first day), in order."""
    start = first or plant.days[0]
    return [(d, h) for d in plant.days if d >= start for h in range(24)]


def day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def day_end(day: date) -> datetime:
    return day_start(day) + timedelta(days=1)


@dataclass
class ReplayHour:
    """One replayed hour: its files, the cycle's counts and new alert keys."""

    day: date
    hour: int
    files: int
    cycle_id: int | None
    alerts: list[str]
    seconds: float
    nightly_snapshot: int | None = None
