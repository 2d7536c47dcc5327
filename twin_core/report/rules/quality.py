"""Quality instructions: SPC series out of control, low capability, lots to hold, and
tighter inspection of lots from machines whose sensors drift.

Grain: one item per (product, characteristic) with recent rule firings, per
(product, characteristic) with Cpk below 1.33, per lot to hold, per drifting machine.
Numbers: history.spc_violations, history.spc_limits, history.capability,
history.lots_to_hold (when present), history.machine_health, core.inspections.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from twin_core.report.data import ReportData
from twin_core.report.rules._common import (
    Instruction,
    as_list,
    num,
    records,
    short_list,
    ts_text,
)

CPK_TARGET = 1.33
# Violations older than this are history, not tomorrow's work.
VIOLATION_DAYS = 14
# Columns of history.lots_to_hold that identify a lot; any other non-empty column is
# evidence and goes into the reason as name=value.
LOT_ID_COLUMNS = ("lot_id", "product_id")
RULE_WORDS = {"WE1": "beyond 3 sigma", "NELSON1": "beyond 3 sigma"}


def _spc_items(data: ReportData) -> list[Instruction]:
    snap = data.snapshot
    since = snap.as_of - timedelta(days=VIOLATION_DAYS - 1)
    limits = {
        (str(r["product_id"]), str(r["characteristic"])): r
        for r in records(data.table("spc_limits"))
    }
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("spc_violations")):
        ts = r.get("ts")
        if r.get("in_baseline") or (ts is not None and ts.date() < since):
            continue
        series[(str(r["product_id"]), str(r["characteristic"]))].append(r)
    items: list[Instruction] = []
    for (product, char), rows in sorted(series.items()):
        rules = Counter(str(r["rule"]) for r in rows)
        lots = sorted({str(r["lot_id"]) for r in rows})
        beyond = any(rule.upper() in RULE_WORDS for rule in rules)
        last = max((r["ts"] for r in rows if r.get("ts") is not None), default=None)
        lim = limits.get((product, char)) or {}
        rule_text = ", ".join(f"{k} x{v}" for k, v in sorted(rules.items()))
        values = ", ".join(f"{r['lot_id']}={num(r.get('value'), 3)}" for r in rows[:5])
        items.append(
            Instruction(
                "quality",
                1 if beyond else 2,
                f"Find the special cause on {product} {char} and hold lots "
                f"{short_list(lots)} until it is cleared.",
                f"history.spc_violations since {since}: {rule_text} on {len(lots)} lot(s), last "
                f"{ts_text(last)}; values {values}; limits centre {num(lim.get('center'), 3)}, "
                f"LCL {num(lim.get('lcl'), 3)}, UCL {num(lim.get('ucl'), 3)} "
                f"({lim.get('chart') or '?'}, history.spc_limits)",
                snap.tomorrow,
                "product",
                f"{product}/{char}",
                None,
                "history.spc_violations, history.spc_limits",
                float(len(rows)),
            )
        )
    return items


def _capability_items(data: ReportData) -> list[Instruction]:
    items: list[Instruction] = []
    for r in records(data.table("capability")):
        cpk = r.get("cpk")
        if cpk is None or cpk != cpk or cpk >= CPK_TARGET:
            continue
        product, char, cp = str(r["product_id"]), str(r["characteristic"]), r.get("cp")
        # Cp good but Cpk poor: the spread fits, the process sits off centre.
        how = (
            "centre the process on target"
            if cp is not None and cp >= CPK_TARGET
            else "reduce its variation"
        )
        items.append(
            Instruction(
                "quality",
                1 if cpk < 1.0 else 2,
                f"Raise the capability of {product} {char}: {how}, and inspect every lot until "
                f"Cpk reaches {CPK_TARGET}.",
                f"history.capability: Cpk {num(cpk, 2)} < {CPK_TARGET}, Cp {num(cp, 2)}, Ppk "
                f"{num(r.get('ppk'), 2)}, n {r.get('n') if r.get('n') is not None else '?'}",
                data.snapshot.as_of + timedelta(days=7),
                "product",
                f"{product}/{char}",
                None,
                "history.capability",
                CPK_TARGET - float(cpk),
            )
        )
    return items


HOLD_REASONS = {
    "sensor_drift": "its machine's sensors drifted while it was made",
    "characteristic_trend": "its characteristic trends toward a limit",
    "spc_violation": "a control rule fired on it",
}


def _hold_items(data: ReportData) -> list[Instruction]:
    """One item per lot in history.lots_to_hold (a lot may be there for several reasons)."""
    lots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("lots_to_hold")):
        lots[str(r.get("lot_id") or "?")].append(r)
    items: list[Instruction] = []
    for lot, rows in sorted(lots.items()):
        product = rows[0].get("product_id")
        reasons = sorted({str(r.get("reason") or "flagged") for r in rows})
        why = "; ".join(HOLD_REASONS.get(x, x) for x in reasons)
        chars = sorted({c for r in rows for c in as_list(r.get("characteristics"))})
        machines = sorted({str(r["machine_id"]) for r in rows if r.get("machine_id")})
        evidence = " | ".join(
            "; ".join(
                f"{k}={v}"
                for k, v in r.items()
                if k not in LOT_ID_COLUMNS and k != "site_id" and v is not None and v != ""
            )
            for r in rows
        )
        action = f"Hold lot {lot}" + (f" of {product}" if product else "")
        if machines:
            action += f" (machine {short_list(machines)})"
        if chars:
            action += f" and re-inspect {short_list(chars)} before release"
        else:
            action += " and re-inspect it before release"
        items.append(
            Instruction(
                "quality",
                1,
                f"{action}: {why}.",
                f"history.lots_to_hold: {evidence or 'flagged'}",
                data.snapshot.tomorrow,
                "lot",
                lot,
                None,
                "history.lots_to_hold",
                float(len(reasons)),
            )
        )
    return items


def _drift_items(data: ReportData) -> list[Instruction]:
    """Sensor drift that predicts a characteristic moving (history.quality_drift): measure
    that characteristic on every lot from the machine until the drift is fixed."""
    by_machine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("quality_drift")):
        by_machine[str(r["machine_id"])].append(r)
    items: list[Instruction] = []
    for machine, rows in sorted(by_machine.items()):
        chars = sorted({f"{r['product_id']} {r['characteristic']}" for r in rows})
        metrics = sorted({f"{r['metric']} {r.get('direction') or ''}".strip() for r in rows})
        details = "; ".join(
            f"{r['metric']} {r.get('direction') or ''} from {ts_text(r.get('first_alarm_ts'))} "
            f"(max EWMA {num(r.get('max_ewma'), 1)} sd), predicted shift of "
            f"{r['product_id']} {r['characteristic']} {num(r.get('predicted_shift'), 3)}"
            for r in rows[:4]
        )
        items.append(
            Instruction(
                "quality",
                2,
                f"Tighten inspection of lots from machine {machine}: measure {short_list(chars)} "
                f"on every lot until its {short_list(metrics)} drift is fixed.",
                f"history.quality_drift: {details}",
                data.snapshot.tomorrow,
                "machine",
                machine,
                None,
                "history.quality_drift",
                float(len(rows)),
            )
        )
    return items


def _tighten_items(data: ReportData, covered: set[str]) -> list[Instruction]:
    """Machines whose health drifts make lots worth measuring more often (those not already
    named by history.quality_drift)."""
    inspected: dict[str, list[str]] = defaultdict(list)
    for r in records(data.query("machine_characteristics")):
        inspected[str(r["machine_id"])].append(f"{r['product_id']} {r['characteristic']}")
    items: list[Instruction] = []
    for r in records(data.table("machine_health")):
        machine = str(r["machine_id"])
        drifting = r.get("predicted_limit_date") is not None or (r.get("anomalies") or 0) > 0
        if not drifting or machine not in inspected or machine in covered:
            continue
        chars = sorted(set(inspected[machine]))
        items.append(
            Instruction(
                "quality",
                2,
                f"Tighten inspection of lots from machine {machine}: measure "
                f"{short_list(chars)} on every lot until its drift is fixed.",
                f"history.machine_health: health {num(r.get('health_score'), 2)}, anomalies "
                f"{r.get('anomalies') or 0}, predicted limit {r.get('predicted_limit_date') or 'none'}; "
                f"evidence: {r.get('evidence') or 'none'}; its lots are inspected for "
                f"{short_list(chars)} (core.inspections)",
                data.snapshot.tomorrow,
                "machine",
                machine,
                r.get("line_id"),
                "history.machine_health, core.inspections",
            )
        )
    return items


def quality_instructions(data: ReportData) -> list[Instruction]:
    drift = _drift_items(data)
    return (
        _spc_items(data)
        + _capability_items(data)
        + _hold_items(data)
        + drift
        + _tighten_items(data, {i.entity_id for i in drift})
    )
