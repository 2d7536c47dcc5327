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

from twin_core.report.data import ReportData, day_bounds_utc
from twin_core.report.rules._common import (
    Instruction,
    as_list,
    num,
    records,
    short_list,
    ts_text,
)

CPK_TARGET = 1.33
# Lots flagged longer ago than this have left the plant; holding them is not tomorrow's work.
HOLD_DAYS = 7
# Violations older than this are history, not tomorrow's work.
VIOLATION_DAYS = 14
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
    holds_listed = data.table("lots_to_hold") is not None
    items: list[Instruction] = []
    for (product, char), rows in sorted(series.items()):
        rules = Counter(str(r["rule"]) for r in rows)
        lots = sorted({str(r["lot_id"]) for r in rows})
        by_time = sorted(
            rows, key=lambda r: (r.get("ts") is not None, r.get("ts") or 0, str(r["lot_id"]))
        )
        latest = list(dict.fromkeys(str(r["lot_id"]) for r in by_time))
        beyond = any(rule.upper() in RULE_WORDS for rule in rules)
        last = max((r["ts"] for r in rows if r.get("ts") is not None), default=None)
        lim = limits.get((product, char)) or {}
        rule_text = ", ".join(f"{k} x{v}" for k, v in sorted(rules.items()))
        values = ", ".join(f"{r['lot_id']}={num(r.get('value'), 3)}" for r in rows[:5])
        items.append(
            Instruction(
                "quality",
                1 if beyond else 2,
                (
                    # With history.lots_to_hold the holds are items of their own.
                    f"Find the special cause on {product} {char}: {len(lots)} lot(s) broke "
                    f"control rules, latest {short_list(latest[-3:])}."
                    if holds_listed
                    else f"Find the special cause on {product} {char} and hold lots "
                    f"{short_list(lots)} until it is cleared."
                ),
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


def _significant_drift(data: ReportData) -> set[tuple[str, str]]:
    """(machine, product) pairs whose sensor drift has a significant link to a characteristic
    (history.quality_drift gives a predicted shift only where the slope is significant)."""
    return {
        (str(r["machine_id"]), str(r["product_id"]))
        for r in records(data.table("quality_drift"))
        if r.get("predicted_shift") is not None
    }


def _hold_items(data: ReportData) -> list[Instruction]:
    """Lots flagged in the last ``HOLD_DAYS`` days (older lots have left the plant), one item
    per product, machine and reason. A control-rule firing, a characteristic trend, or sensor
    drift with a significant link to a characteristic is a hold (priority 1); drift without
    such a link asks for a sample re-inspection (priority 3)."""
    since, _ = day_bounds_utc(
        data.snapshot.as_of - timedelta(days=HOLD_DAYS - 1), data.snapshot.timezone
    )
    significant = _significant_drift(data)
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("lots_to_hold")):
        flagged = r.get("flagged_at")
        if flagged is not None and flagged < since:
            continue
        key = (
            str(r.get("product_id") or ""),
            str(r.get("machine_id") or ""),
            str(r.get("reason") or "flagged"),
        )
        groups[key].append(r)
    items: list[Instruction] = []
    for (product, machine, reason), rows in sorted(groups.items()):
        lots = sorted({str(r.get("lot_id")) for r in rows})
        chars = sorted({c for r in rows for c in as_list(r.get("characteristics"))})
        what = f"{len(lots)} lot(s) of {product or '?'}" + (
            f" from machine {machine}" if machine else ""
        )
        check = f"re-inspect {short_list(chars)}" if chars else "re-inspect them"
        hold = reason != "sensor_drift" or (machine, product) in significant
        if hold:
            action = f"Hold {what} ({short_list(lots, 4)}) and {check} before release"
        else:
            action = (
                f"Re-inspect a sample of {what} ({short_list(lots, 4)}) for "
                f"{short_list(chars) or 'their characteristics'} before release"
            )
        evidence = " | ".join(str(r.get("evidence") or "") for r in rows[:3])
        items.append(
            Instruction(
                "quality",
                1 if hold else 3,
                f"{action}: {HOLD_REASONS.get(reason, reason)}.",
                f"history.lots_to_hold ({reason}, {len(lots)} lots flagged since "
                f"{data.snapshot.as_of - timedelta(days=HOLD_DAYS - 1)}): {evidence}"
                + ("" if hold else "; no significant drift link in history.quality_drift"),
                data.snapshot.tomorrow,
                "lot" if len(lots) == 1 else "lots",
                lots[0] if len(lots) == 1 else f"{product}/{machine}/{reason}",
                None,
                "history.lots_to_hold, history.quality_drift",
                float(len(lots)),
            )
        )
    return items


def _drift_items(data: ReportData) -> list[Instruction]:
    """Sensor drift that predicts a characteristic moving (history.quality_drift): measure
    that characteristic on every lot from the machine until the drift is fixed."""
    by_machine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("quality_drift")):
        # Drift with no significant link to a characteristic predicts no quality trouble.
        if r.get("predicted_shift") is not None:
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
