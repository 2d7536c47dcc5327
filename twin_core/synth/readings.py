"""Sensor readings files: one per day, streamed a block of sensors at a time.

Blocks holding a dirt sensor are dirtied on the way (their labelled rows get file row
numbers from the running offset); Parquet encoding of a block overlaps with the
generation of the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from twin_core.synth import dirt
from twin_core.synth.config import SENSOR_BLOCK, SynthConfig
from twin_core.synth.faultplan import FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream
from twin_core.synth.sensors import SensorGenerator
from twin_core.synth.timeline import Timeline
from twin_core.synth.writer import ReadingsWriter, file_name, readings_table

SOURCE = "sensor_readings"


@dataclass
class ReadingsResult:
    """Labelled rows (by fault kind), tag row numbers and paths per day, the stuck value."""

    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rows: dict[int, dict[str, int]] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)
    stuck: dict[str, Any] = field(default_factory=dict)


def write_readings(
    out: Path,
    cfg: SynthConfig,
    plant: Plant,
    plan: FaultPlan,
    tl: Timeline,
    progress: Callable[[int, int], None],
) -> ReadingsResult:
    """Write every day's readings file (and the CSV copy if asked); ``progress(done, total)``
    after each block of sensors."""
    gen = SensorGenerator(plant, plan, tl, cfg)
    total = cfg.days * gen.blocks
    count = [0]

    def tick() -> None:
        count[0] += 1
        progress(count[0], total)

    ops_by_day = dirt.sensor_plan(plant, cfg)
    ids = plant.sensor_params["sensor_id"].to_list()
    result = ReadingsResult()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for day in range(cfg.days):
            _write_day(out, cfg, plan, gen, day, ops_by_day.get(day, []), ids, result, tick, pool)
    return result


def _write_day(
    out: Path,
    cfg: SynthConfig,
    plan: FaultPlan,
    gen: SensorGenerator,
    day: int,
    day_ops: list[dirt.SensorOp],
    ids: list[str],
    result: ReadingsResult,
    tick: Callable[[], None],
    pool: ThreadPoolExecutor,
) -> None:
    d = cfg.start + timedelta(days=day)
    rel = f"landing/{SOURCE}/{file_name(SOURCE, cfg.formats[SOURCE], d)}"
    writers = [ReadingsWriter(out / rel, cfg.formats[SOURCE])]
    if cfg.csv_copy:
        writers.append(ReadingsWriter(out / "copies" / SOURCE / file_name(SOURCE, "csv", d), "csv"))
    rng = stream(cfg.seed, "sensor-dirt", day)
    tags: dict[str, int] = {}
    offset = 0
    pending: list[Future[None]] = []
    for b, block in gen.day(day):
        table = block
        in_block = set(ids[b * SENSOR_BLOCK : (b + 1) * SENSOR_BLOCK])
        ops = [op for op in day_ops if op.sensor_id in in_block]
        if ops:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            frame, found = dirt.apply_sensor_ops(frame, day, ops, rng)
            frame = frame.sort("_ord", maintain_order=True)
            idx = frame.with_row_index("_r").filter(pl.col("_tag").is_not_null())
            tags |= {
                str(t): offset + int(r) + 1 for t, r in zip(idx["_tag"], idx["_r"], strict=True)
            }
            for kind, item in found:
                result.items.setdefault(kind, []).append(item)
            table = readings_table(frame)
        if plan.enabled and plan.stuck_sensor in in_block:
            result.stuck = result.stuck or _stuck(table, plan, cfg)
        # Encode this block while the next one is generated (both release the GIL).
        for f in pending:
            f.result()
        pending = [pool.submit(w.write, table) for w in writers]
        offset += table.num_rows
        tick()
    for f in pending:
        f.result()
    for w in writers:
        w.close()
    result.rows[day] = tags
    result.paths[day] = rel


def _stuck(table: Any, plan: FaultPlan, cfg: SynthConfig) -> dict[str, Any]:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    t0 = datetime.combine(cfg.start, datetime.min.time())
    hit = frame.filter(
        (pl.col("sensor_id").cast(pl.String) == plan.stuck_sensor)
        & (pl.col("ts") >= t0 + timedelta(seconds=plan.stuck.start))
        & (pl.col("ts") < t0 + timedelta(seconds=plan.stuck.end))
    )
    return {"value": float(hit["value"][0]), "samples": hit.height} if hit.height else {}
