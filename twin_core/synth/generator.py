"""``generate``: a whole synthetic plant run into ``out/landing/<source>/`` plus
``out/ground_truth.json``.

Order: master data, the machine timeline, enterprise and quality extracts, dirt,
daily files, sensor readings (streamed a block of sensors at a time), the malformed
file, then the ground truth with the row numbers the writers reported.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from twin_core.contracts import MASTER_SOURCES
from twin_core.synth import dirt, labels
from twin_core.synth.config import (
    DEFAULT_START,
    Faults,
    FileFormat,
    Scale,
    SynthConfig,
    make_config,
)
from twin_core.synth.enterprise import build_enterprise
from twin_core.synth.faultplan import DAY, plan_faults
from twin_core.synth.plant import Plant, build_plant
from twin_core.synth.quality import build_quality
from twin_core.synth.readings import write_readings
from twin_core.synth.rng import stream
from twin_core.synth.timeline import simulate
from twin_core.synth.truth import GroundTruth
from twin_core.synth.writer import file_name, write_frame

Progress = Callable[[str, int, int], None]


class SynthError(ValueError):
    """A generate call that cannot proceed as asked (the message says why)."""


def generate(
    out: Path,
    days: int | None = None,
    start: date = DEFAULT_START,
    seed: int = 7,
    scale: Scale = "demo",
    *,
    sensors: int | None = None,
    period_s: int | None = None,
    formats: dict[str, FileFormat] | None = None,
    csv_copy: bool = False,
    faults: Faults = "labelled",
    overwrite: bool = False,
    progress: Progress | None = None,
) -> GroundTruth:
    """Generate a plant into ``out`` and return its ground truth (also written to
    ``out/ground_truth.json``). Same arguments, same bytes.

    Faults and dirt need at least 5 days; shorter runs are clean.
    """
    cfg = make_config(
        days,
        start,
        seed,
        scale,
        sensors=sensors,
        period_s=period_s,
        faults=faults,
        formats=formats,
        csv_copy=csv_copy,
    )
    return run(out, cfg, overwrite=overwrite, progress=progress)


def _clear(out: Path, overwrite: bool) -> None:
    targets = [out / "landing", out / "copies", out / "ground_truth.json"]
    present = [t for t in targets if t.exists()]
    if present and not overwrite:
        raise SynthError(
            f"{out} already holds generated data ({', '.join(p.name for p in present)}); pass overwrite (--force) to replace it"
        )
    for t in present:
        if t.is_dir():
            shutil.rmtree(t)
        else:
            t.unlink()


def run(
    out: Path,
    cfg: SynthConfig,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    plant: Plant | None = None,
) -> GroundTruth:
    """Generate from a ready config (see ``generate``). ``plant``: the plant to simulate
    instead of ``build_plant(cfg)`` (the sites of a group share master data; synth.sites)."""
    report = progress or (lambda _task, _done, _total: None)
    _clear(out, overwrite)
    landing = out / "landing"
    plant = plant if plant is not None else build_plant(cfg)
    plan = plan_faults(plant, cfg)
    report("simulating the plant", 0, 1)
    tl = simulate(plant, plan, cfg)
    ent = build_enterprise(plant, plan, tl, cfg)
    qual = build_quality(plant, plan, tl, cfg)
    report("simulating the plant", 1, 1)

    for name in MASTER_SOURCES:
        frame = getattr(plant, name, None)
        if isinstance(frame, pl.DataFrame):
            write_frame(
                frame, landing / name / file_name(name, cfg.formats[name]), cfg.formats[name], name
            )

    tx: dict[str, pl.DataFrame] = {
        "machine_events": tl.events.with_columns(
            start_ts=_ts("start_s", cfg), end_ts=_ts("end_s", cfg), _day=pl.col("start_s") // DAY
        ),
        "production": tl.production.with_columns(
            start_ts=_ts("start_s", cfg), end_ts=_ts("end_s", cfg), _day=pl.col("end_s") // DAY
        ),
        "work_orders": ent.work_orders,
        "demand": ent.demand,
        "inventory": ent.inventory,
        "purchase_orders": ent.purchase_orders,
        "inspections": qual.inspections,
        "defects": qual.defects,
        "customer_feedback": qual.feedback,
    }
    files: dirt.Files = {}
    for name, frame in tx.items():
        for (day,), part in frame.partition_by("_day", as_dict=True, maintain_order=True).items():
            files[(name, int(day))] = part.drop("_day")
    pending = dirt.apply_table_dirt(files, cfg, stream(cfg.seed, "dirt"))

    rows: dict[tuple[str, int], dict[str, int]] = {}
    paths: dict[tuple[str, int], str] = {}
    for done, ((name, day), part) in enumerate(sorted(files.items()), start=1):
        fmt = cfg.formats[name]
        rel = f"landing/{name}/{file_name(name, fmt, cfg.start + timedelta(days=day))}"
        rows[(name, day)] = write_frame(part, out / rel, fmt, name)
        paths[(name, day)] = rel
        report("writing extracts", done, len(files))

    readings = write_readings(
        out, cfg, plant, plan, tl, lambda d, t: report("sensor readings", d, t)
    )
    for day, rel in readings.paths.items():
        rows[("sensor_readings", day)] = readings.rows[day]
        paths[("sensor_readings", day)] = rel
    faults = labels.process_faults(plant, plan, cfg, ent.truth, readings.stuck)
    faults += labels.dirt_faults(pending, readings.items, rows, paths)
    faults += labels.malformed_file(out, cfg, paths, files)
    truth = GroundTruth(
        seed=cfg.seed, start=cfg.start, days=cfg.days, scale=cfg.scale, faults=faults
    )
    truth.write(out / "ground_truth.json")
    return truth


def _ts(col: str, cfg: SynthConfig) -> pl.Expr:
    return pl.lit(cfg.start).cast(pl.Datetime("us")) + pl.duration(seconds=pl.col(col))
