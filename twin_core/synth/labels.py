"""Ground truth entries: process faults from the fault plan, dirt from the rows the
writers placed (``Ref`` swapped for file and 1-based row), and the malformed file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from twin_core.synth import dirt
from twin_core.synth.config import SynthConfig
from twin_core.synth.faultplan import DAY, FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.quality import FLAGGED_FACTOR
from twin_core.synth.truth import Fault

Rows = dict[tuple[str, int], dict[str, int]]
Paths = dict[tuple[str, int], str]


def at(cfg: SynthConfig, seconds: int) -> datetime:
    """Seconds from the start of the first day as a (naive UTC) timestamp."""
    return datetime.combine(cfg.start, datetime.min.time()) + timedelta(seconds=int(seconds))


def malformed_file(out: Path, cfg: SynthConfig, paths: Paths, files: dirt.Files) -> list[Fault]:
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
            start=at(cfg, day * DAY),
            end=at(cfg, (day + 1) * DAY),
            details={
                "reason": "transfer cut short mid-row at 60% of the bytes, followed by bytes that are not UTF-8",
                "intended_rows": files[("defects", day)].height,
                "expected": "whole file quarantined (cannot be parsed); nothing from it loaded",
            },
        )
    ]


def _resolve(v: Any, rows: Rows, paths: Paths) -> Any:
    if isinstance(v, dirt.Ref):
        return rows[(v.source, v.day)][v.tag]
    return v


def _item(
    item: dict[str, Any],
    rows: Rows,
    paths: Paths,
) -> dict[str, Any]:
    ref = item["row"]
    out: dict[str, Any] = {"file": paths[(ref.source, ref.day)]}
    for k, v in item.items():
        if k == "original_row":
            out["original_file"] = paths[(v.source, v.day)]
        out[k] = _resolve(v, rows, paths)
    return out


def dirt_faults(
    pending: list[dirt.PendingFault],
    sensor_items: dict[str, Any],
    rows: Rows,
    paths: Paths,
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
        file_day = datetime.combine(
            date.fromisoformat(paths[(source, day)].rsplit("_", 1)[1].split(".")[0]),
            datetime.min.time(),
        )
        faults.append(
            Fault(
                kind=kind,  # type: ignore[arg-type]
                entities={"source": source, "file": paths[(source, day)]},
                start=min(when) if when else file_day,
                end=max(when) if when else file_day + timedelta(days=1),
                details={"rows": resolved},
            )
        )
    return faults


def process_faults(
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
    end = at(cfg, plan.horizon_s)
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
            start=at(cfg, plan.bearing.start),
            end=at(cfg, plan.bearing.end),
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
            start=at(cfg, plan.failure.start),
            end=at(cfg, plan.failure.end),
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
            start=at(cfg, plan.stuck.start),
            end=at(cfg, plan.stuck.end),
            details=stuck,
        ),
        Fault(
            kind="sensor_dropout",
            entities={
                "sensor_id": plan.dropout_sensor,
                "machine_id": plan.dropout_sensor.rsplit("-", 1)[0],
            },
            start=at(cfg, plan.dropout.start),
            end=at(cfg, plan.dropout.end),
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
            start=at(cfg, plan.drift_start),
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
            start=at(cfg, plan.shift_start),
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
            start=at(cfg, 0),
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
            start=at(cfg, spike["due_from"] * DAY),
            end=at(cfg, (spike["due_to"] + 1) * DAY),
            details={k: v for k, v in spike.items() if k not in ("due_from", "due_to")},
        ),
        Fault(
            kind="complaint_revision",
            entities={
                "product_id": plan.complaint_product,
                "revision": plan.complaint_revision,
                "line_id": plan.spike_line,
            },
            start=at(cfg, 0),
            end=end,
            details={
                "complaint_factor": float(FLAGGED_FACTOR[0]),
                "return_factor": float(FLAGGED_FACTOR[1]),
                "warranty_factor": float(FLAGGED_FACTOR[2]),
                "symptom": "housing clip cracks",
            },
        ),
    ]
