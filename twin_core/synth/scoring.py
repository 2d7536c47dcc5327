"""How well a night's instructions answer the synthetic plant's labelled faults.

Pure: ground-truth faults and instruction rows in, counts out (used by
``bench/instruction_quality.py`` and the tests). Definitions (the README's "Measured against
labelled faults"):

- An instruction *traces to* a fault when it names the fault's entity (its entity, cause,
  line, action or reason names the machine, sensor, material, supplier, product (with its
  characteristic or revision) or line of the fault) and the fault is *relevant* to the night:
  its window overlaps the week before the as-of day through the horizon (lots made under a
  fault stay on hold for a week).
- A fault *needs action* on a night when it is not over by the end of the as-of day and it
  is visible: it started by then, or it is one the twin forecasts (demand spikes, stockouts)
  and it starts inside the horizon.
- Precision: priority-1 instructions that trace to a fault / priority-1 instructions.
  Recall: faults needing action that have at least one action (priority 1 or 2, not a watch
  note) tracing to them / faults needing action. Dirt (DIRT_KINDS) is the validation's
  business, not the departments', and is left out of both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from twin_core.synth.truth import DIRT_KINDS, Fault

# Faults the twin sees coming from forward-looking data (demand, projected stock).
FORECAST_KINDS = frozenset({"demand_spike", "stockout_risk"})
HOLD_WEEK = timedelta(days=7)


def _names(fault: Fault) -> list[tuple[str, ...]]:
    """Alternative sets of words an instruction must all contain to name the fault."""
    e = fault.entities
    if fault.kind in ("quality_mean_shift",):
        return [(e["product_id"], e["characteristic"]), (e["machine_id"],)]
    if fault.kind == "complaint_revision":
        return [(f"{e['product_id']}@{e['revision']}",)]
    if fault.kind == "demand_spike":
        return [(e["line_id"],), (e["product_id"],)]
    if fault.kind == "stockout_risk":
        return [(e["material_id"],)]
    if fault.kind == "late_supplier":
        return [(e["supplier_id"],)]
    if "sensor_id" in e and fault.kind in ("stuck_sensor", "sensor_dropout"):
        return [(e["sensor_id"],)]
    if "machine_id" in e:
        return [(e["machine_id"],)]
    return []


def _text(row: Mapping[str, Any]) -> str:
    keys = ("entity_id", "cause_id", "line_id", "action", "reason")
    return " ".join(str(row.get(k) or "") for k in keys)


def traces_to(row: Mapping[str, Any], fault: Fault) -> bool:
    text = _text(row)
    return any(all(word in text for word in words) for words in _names(fault))


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time())


def relevant(fault: Fault, as_of: date, horizon_days: int) -> bool:
    lo = datetime.combine(as_of, time()) - HOLD_WEEK
    hi = _day_end(as_of + timedelta(days=horizon_days))
    return fault.start < hi and fault.end > lo


def needs_action(fault: Fault, as_of: date, horizon_days: int) -> bool:
    end = _day_end(as_of)
    if fault.kind in DIRT_KINDS or fault.end <= end:
        return False
    if fault.kind in FORECAST_KINDS:
        return fault.start < _day_end(as_of + timedelta(days=horizon_days))
    return fault.start < end


@dataclass(frozen=True)
class NightScore:
    as_of: date
    p1: int
    p1_traced: int
    needing: int
    answered: int
    missed: tuple[str, ...]
    untraced_p1: tuple[str, ...]
    p1_quality_maintenance: int


def score_night(
    rows: Iterable[Mapping[str, Any]], faults: Iterable[Fault], as_of: date, horizon_days: int
) -> NightScore:
    items = list(rows)
    process = [f for f in faults if f.kind not in DIRT_KINDS]
    near = [f for f in process if relevant(f, as_of, horizon_days)]
    p1 = [r for r in items if int(r["priority"]) == 1]
    traced = [r for r in p1 if any(traces_to(r, f) for f in near)]
    need = [f for f in process if needs_action(f, as_of, horizon_days)]
    actions = [r for r in items if int(r["priority"]) <= 2 and r.get("mode") != "watch"]
    answered = [f for f in need if any(traces_to(r, f) for r in actions)]
    return NightScore(
        as_of=as_of,
        p1=len(p1),
        p1_traced=len(traced),
        needing=len(need),
        answered=len(answered),
        missed=tuple(f"{f.kind} {f.entities}" for f in need if f not in answered),
        untraced_p1=tuple(
            f"{r['department']}: {str(r['action'])[:100]}" for r in p1 if r not in traced
        ),
        p1_quality_maintenance=sum(1 for r in p1 if r["department"] in ("quality", "maintenance")),
    )


def precision(nights: Iterable[NightScore]) -> float | None:
    n = list(nights)
    total = sum(s.p1 for s in n)
    return None if total == 0 else sum(s.p1_traced for s in n) / total


def recall(nights: Iterable[NightScore]) -> float | None:
    n = list(nights)
    total = sum(s.needing for s in n)
    return None if total == 0 else sum(s.answered for s in n) / total
