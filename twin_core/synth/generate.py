"""``generate``: a whole synthetic plant run into ``out/landing/<source>/`` plus
``out/ground_truth.json``.

Order: master data, the machine timeline, enterprise and quality extracts, dirt,
daily files, sensor readings (streamed a block of sensors at a time), the malformed
file, then the ground truth with the row numbers the writers reported.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from twin_core.contracts import MASTER_SOURCES
from twin_core.synth import dirt
from twin_core.synth.config import DEFAULT_START, FileFormat, Scale, SynthConfig, make_config
from twin_core.synth.enterprise import build_enterprise
from twin_core.synth.faultplan import DAY, FaultPlan, plan_faults
from twin_core.synth.plant import Plant, build_plant
from twin_core.synth.quality import FLAGGED_FACTOR, build_quality
from twin_core.synth.rng import stream
from twin_core.synth.sensors import SensorGenerator
from twin_core.synth.timeline import simulate
from twin_core.synth.truth import Fault, GroundTruth
from twin_core.synth.writer import ReadingsWriter, file_name, readings_table, write_frame

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
    out: Path, cfg: SynthConfig, *, overwrite: bool = False, progress: Progress | None = None
) -> GroundTruth:
    """Generate from a ready config (see ``generate``)."""
    report = progress or (lambda _task, _done, _total: None)
    _clear(out, overwrite)
    landing = out / "landing"
    plant = build_plant(cfg)
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
    total = len(files) + cfg.days
    done = 0
    for (name, day), part in sorted(files.items()):
        fmt = cfg.formats[name]
        rel = f"landing/{name}/{file_name(name, fmt, cfg.start + timedelta(days=day))}"
        rows[(name, day)] = write_frame(part, out / rel, fmt, name)
        paths[(name, day)] = rel
        done += 1
        report("writing extracts", done, total)

    sensor_items = _write_readings(
        out, cfg, plant, plan, tl, rows, paths, lambda: report("writing extracts", done, total)
    )
    malformed = _malform(out, cfg, paths, files)
    faults = _process_faults(plant, plan, cfg, ent.truth, sensor_items.pop("_stuck", {}))
    faults += _dirt_faults(pending, sensor_items, rows, paths)
    faults += malformed
    truth = GroundTruth(
        seed=cfg.seed, start=cfg.start, days=cfg.days, scale=cfg.scale, faults=faults
    )
    truth.write(out / "ground_truth.json")
    report("writing extracts", total, total)
    return truth


def _ts(col: str, cfg: SynthConfig) -> pl.Expr:
    return pl.lit(cfg.start).cast(pl.Datetime("us")) + pl.duration(seconds=pl.col(col))


def _at(cfg: SynthConfig, seconds: int) -> datetime:
    return datetime.combine(cfg.start, datetime.min.time()) + timedelta(seconds=int(seconds))


def _write_readings(
    out: Path,
    cfg: SynthConfig,
    plant: Plant,
    plan: FaultPlan,
    tl: Any,
    rows: dict[tuple[str, int], dict[str, int]],
    paths: dict[tuple[str, int], str],
    tick: Callable[[], None],
) -> dict[str, Any]:
    """Stream each day's readings; dirty the blocks that hold a dirt sensor."""
    name = "sensor_readings"
    fmt = cfg.formats[name]
    gen = SensorGenerator(plant, plan, tl, cfg)
    ops_by_day = dirt.sensor_plan(plant, cfg)
    items: dict[str, Any] = {"_stuck": {}}
    block_ids = plant.sensor_params["sensor_id"].to_list()
    for day in range(cfg.days):
        d = cfg.start + timedelta(days=day)
        rel = f"landing/{name}/{file_name(name, fmt, d)}"
        writer = ReadingsWriter(out / rel, fmt)
        copy = (
            ReadingsWriter(out / "copies" / name / file_name(name, "csv", d), "csv")
            if cfg.csv_copy
            else None
        )
        tags: dict[str, int] = {}
        rng = stream(cfg.seed, "sensor-dirt", day)
        for b, table in gen.day(day):
            in_block = set(block_ids[b * 50 : (b + 1) * 50])
            ops = [op for op in ops_by_day.get(day, []) if op.sensor_id in in_block]
            if ops:
                frame = pl.from_arrow(table)
                assert isinstance(frame, pl.DataFrame)
                frame, found = dirt.apply_sensor_ops(frame, day, ops, rng)
                frame = frame.sort("_ord", maintain_order=True)
                idx = frame.with_row_index("_r").filter(pl.col("_tag").is_not_null())
                tags |= {
                    str(t): writer.rows + int(r) + 1
                    for t, r in zip(idx["_tag"], idx["_r"], strict=True)
                }
                for kind, item in found:
                    items.setdefault(kind, []).append(item)
                table = readings_table(frame)
            if plan.enabled and plan.stuck_sensor in in_block:
                sub = pl.from_arrow(table)
                assert isinstance(sub, pl.DataFrame)
                hit = sub.filter(
                    (pl.col("sensor_id") == plan.stuck_sensor)
                    & (pl.col("ts") >= _at(cfg, plan.stuck.start))
                    & (pl.col("ts") < _at(cfg, plan.stuck.end))
                )
                if hit.height:
                    items["_stuck"] = {"value": float(hit["value"][0]), "samples": hit.height}
            writer.write(table)
            if copy is not None:
                copy.write(table)
            tick()
        writer.close()
        if copy is not None:
            copy.close()
        rows[(name, day)] = tags
        paths[(name, day)] = rel
    return items


def _malform(
    out: Path, cfg: SynthConfig, paths: dict[tuple[str, int], str], files: dirt.Files
) -> list[Fault]:
    if not cfg.with_faults:
        return []
    day = cfg.days - 2
    rel = paths[("defects", day)]
    path = out / rel
    data = path.read_bytes()
    path.write_bytes(dirt.malform(data))
    return [
        Fault(
            kind="malformed_file",
            entities={"source": "defects", "file": rel},
            start=_at(cfg, day * DAY),
            end=_at(cfg, (day + 1) * DAY),
            details={
                "reason": "transfer cut short mid-row at 60% of the bytes, followed by bytes that are not UTF-8",
                "intended_rows": files[("defects", day)].height,
                "expected": "whole file quarantined (cannot be parsed); nothing from it loaded",
            },
        )
    ]


def _resolve(
    v: Any, rows: dict[tuple[str, int], dict[str, int]], paths: dict[tuple[str, int], str]
) -> Any:
    if isinstance(v, dirt.Ref):
        return rows[(v.source, v.day)][v.tag]
    return v


def _item(
    item: dict[str, Any],
    rows: dict[tuple[str, int], dict[str, int]],
    paths: dict[tuple[str, int], str],
) -> dict[str, Any]:
    ref = item["row"]
    out: dict[str, Any] = {"file": paths[(ref.source, ref.day)]}
    for k, v in item.items():
        if k == "original_row":
            out["original_file"] = paths[(v.source, v.day)]
        out[k] = _resolve(v, rows, paths)
    return out


def _dirt_faults(
    pending: list[dirt.PendingFault],
    sensor_items: dict[str, Any],
    rows: dict[tuple[str, int], dict[str, int]],
    paths: dict[tuple[str, int], str],
) -> list[Fault]:
    faults: list[Fault] = []
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for p in pending:
        groups.setdefault((p.kind, p.source, p.day), []).extend(p.rows)
    for kind, items in sensor_items.items():
        for it in items:
            ref = it["row"]
            groups.setdefault((kind, ref.source, ref.day), []).append(it)
    for (kind, source, day), items in sorted(groups.items()):
        resolved = [_item(it, rows, paths) for it in items]
        when = [
            datetime.fromisoformat(str(v))
            for it in resolved
            for k, v in it["key"].items()
            if k in ("ts", "start_ts")
        ]
        start = (
            min(when)
            if when
            else datetime.fromisoformat(f"{paths[(source, day)][-15:-5]}")
            if False
            else None
        )
        file_day = datetime.combine(
            date.fromisoformat(paths[(source, day)].rsplit("_", 1)[1].split(".")[0]),
            datetime.min.time(),
        )
        faults.append(
            Fault(
                kind=kind,  # type: ignore[arg-type]
                entities={"source": source, "file": paths[(source, day)]},
                start=start or file_day,
                end=max(when) if when else file_day + timedelta(days=1),
                details={"rows": resolved},
            )
        )
    return faults


def _process_faults(
    plant: Plant,
    plan: FaultPlan,
    cfg: SynthConfig,
    ent_truth: dict[str, dict[str, Any]],
    stuck: dict[str, Any],
) -> list[Fault]:
    if not plan.enabled:
        return []
    line_of = dict(plant.machines.select("machine_id", "line_id").iter_rows())
    sup_of = dict(plant.materials.select("material_id", "supplier_id").iter_rows())
    ch = plant.characteristics.filter(
        (pl.col("product_id") == plan.shift_product)
        & (pl.col("characteristic") == plan.shift_characteristic)
    ).row(0, named=True)
    end = _at(cfg, plan.horizon_s)
    spike = ent_truth["demand_spike"]
    stock = ent_truth["stockout_risk"]
    last_day = cfg.start + timedelta(days=cfg.days - 1)
    return [
        Fault(
            kind="bearing_degradation",
            entities={
                "machine_id": plan.bearing_machine,
                "sensor_id": plan.bearing_sensor,
                "line_id": line_of[plan.bearing_machine],
            },
            start=_at(cfg, plan.bearing.start),
            end=_at(cfg, plan.bearing.end),
            details={
                "metric": "vibration",
                "factor_at_start": 1.0,
                "factor_at_end": 4.0,
                "shape": "1 + 3 u^2 over the window (u from 0 to 1)",
                "followed_by": "machine_failure",
            },
        ),
        Fault(
            kind="machine_failure",
            entities={"machine_id": plan.bearing_machine, "line_id": line_of[plan.bearing_machine]},
            start=_at(cfg, plan.failure.start),
            end=_at(cfg, plan.failure.end),
            details={
                "state": "down",
                "reason_code": "bearing_failure",
                "duration_h": (plan.failure.end - plan.failure.start) / 3600,
                "line_stopped": True,
            },
        ),
        Fault(
            kind="stuck_sensor",
            entities={
                "sensor_id": plan.stuck_sensor,
                "machine_id": plan.stuck_sensor.rsplit("-", 1)[0],
            },
            start=_at(cfg, plan.stuck.start),
            end=_at(cfg, plan.stuck.end),
            details=stuck,
        ),
        Fault(
            kind="sensor_dropout",
            entities={
                "sensor_id": plan.dropout_sensor,
                "machine_id": plan.dropout_sensor.rsplit("-", 1)[0],
            },
            start=_at(cfg, plan.dropout.start),
            end=_at(cfg, plan.dropout.end),
            details={
                "missing_samples": (plan.dropout.end - plan.dropout.start) // cfg.period_s,
                "machine_state": "unaffected",
            },
        ),
        Fault(
            kind="temperature_drift",
            entities={
                "machine_id": plan.drift_machine,
                "sensor_id": plan.drift_sensor,
                "line_id": line_of[plan.drift_machine],
            },
            start=_at(cfg, plan.drift_start),
            end=end,
            details={
                "ramp_hours": plan.drift_ramp_s / 3600,
                "max_excess_c": plan.drift_max_c,
                "precedes": "quality_mean_shift",
            },
        ),
        Fault(
            kind="quality_mean_shift",
            entities={
                "product_id": plan.shift_product,
                "characteristic": plan.shift_characteristic,
                "machine_id": plan.drift_machine,
                "line_id": line_of[plan.drift_machine],
            },
            start=_at(cfg, plan.shift_start),
            end=end,
            details={
                "shift_sigmas": plan.shift_sigmas,
                "ramp_hours": plan.shift_ramp_s / 3600,
                "sigma": ch["sigma"],
                "target": ch["target"],
                "lsl": ch["lsl"],
                "usl": ch["usl"],
                "caused_by": "temperature_drift",
            },
        ),
        Fault(
            kind="late_supplier",
            entities={"supplier_id": plan.late_supplier},
            start=_at(cfg, 0),
            end=end,
            details=ent_truth["late_supplier"] | {"delay_days": "4 to 9 after the promised date"},
        ),
        Fault(
            kind="stockout_risk",
            entities={
                "material_id": plan.stockout_material,
                "supplier_id": sup_of[plan.stockout_material],
            },
            start=datetime.combine(last_day, datetime.min.time()) + timedelta(days=1),
            end=datetime.combine(
                date.fromisoformat(stock["projected_stockout_date"]), datetime.min.time()
            ),
            details=stock,
        ),
        Fault(
            kind="demand_spike",
            entities={"line_id": plan.spike_line, "product_id": plan.spike_product},
            start=_at(cfg, spike["due_from"] * DAY),
            end=_at(cfg, (spike["due_to"] + 1) * DAY),
            details={k: v for k, v in spike.items() if k not in ("due_from", "due_to")},
        ),
        Fault(
            kind="complaint_revision",
            entities={
                "product_id": plan.complaint_product,
                "revision": plan.complaint_revision,
                "line_id": plan.spike_line,
            },
            start=_at(cfg, 0),
            end=end,
            details={
                "complaint_factor": float(FLAGGED_FACTOR[0]),
                "return_factor": float(FLAGGED_FACTOR[1]),
                "warranty_factor": float(FLAGGED_FACTOR[2]),
                "symptom": "housing clip cracks",
            },
        ),
    ]
