"""Maintenance instructions: machines ranked by failure risk times their effect on line
output, each with a slot in a planned stop where one exists; the bottleneck of every line
that misses its requirement; and sensors that report faults of their own.

Grain: one item per at-risk machine, per short line's bottleneck (when not already at
risk), and per faulty sensor. Numbers: history.machine_health, history.sensor_status,
history.line_forecast, core.machine_events (planned stops).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from twin_core.report.data import ReportData, day_bounds_utc
from twin_core.report.rules._common import (
    Instruction,
    LineOutlook,
    PlannedStop,
    line_outlooks,
    num,
    planned_stops,
    records,
    ts_text,
)

# A machine below this health score (1 healthy .. 0 at its limits) gets an item even
# without a predicted limit date.
HEALTH_THRESHOLD = 0.7
URGENT_HEALTH = 0.2
# Effect on line output: a bottleneck's lost hour is the line's lost hour.
EFFECT_OTHER, EFFECT_BOTTLENECK, EFFECT_SHORT_BOTTLENECK = 1.0, 2.0, 3.0

SENSOR_ACTIONS = {
    "stuck": "Check sensor {s} on machine {m} and replace it if faulty: its readings are stuck",
    "dropout": "Check the wiring and data link of sensor {s} on machine {m}: it stopped reporting",
    "out_of_range": "Check the calibration of sensor {s} on machine {m} and replace it if faulty: "
    "it reads outside its physical range",
}


def failure_risk(health: float | None, limit: date | None, as_of: date, horizon: int) -> float:
    """0..1: the larger of the health deficit and how soon the limit date comes."""
    deficit = 0.0 if health is None else min(1.0, max(0.0, 1.0 - float(health)))
    if limit is None:
        return deficit
    days_left = (limit - as_of).days
    soon = min(1.0, max(0.1, 1.0 - (days_left - 1) / max(1, horizon)))
    return max(deficit, soon)


# Hours a machine that reaches its limit is expected to be down when it has no repair history.
DEFAULT_REPAIR_H = 8.0


def _downtime_loss(
    mttr_h: Any, limit: date | None, imminent: bool, tomorrow: date, as_of: date, horizon: int
) -> dict[str, Any]:
    """Unplanned downtime expected if the machine is not serviced: one repair (its mean time to
    repair, history.machine_reliability.mttr_h when known, else
    DEFAULT_REPAIR_H) on its predicted limit date, or tomorrow when it is at its limits."""
    if limit is None and not imminent:
        return {"loss": None, "loss_unit": "hours of unplanned downtime", "loss_day": None}
    day = limit if limit is not None else tomorrow
    ok = mttr_h is not None and mttr_h == mttr_h and float(mttr_h) > 0
    hours = float(mttr_h) if ok else DEFAULT_REPAIR_H
    inside = day <= as_of + timedelta(days=horizon)
    return {
        "loss": hours,
        "loss_unit": "hours of unplanned downtime",
        "loss_day": day if inside else None,
    }


def _slot(
    stops: list[PlannedStop], machine: str, line: str | None, after: datetime, before: date | None
) -> PlannedStop | None:
    """The first planned stop of the machine (else of its line) starting after ``after`` and
    before the limit date."""
    for own in (True, False):
        for s in stops:
            if s.start < after:
                continue
            if before is not None and s.start.date() >= before:
                continue
            if (own and s.machine_id == machine) or (not own and line and s.line_id == line):
                return s
    return None


def _machine_items(data: ReportData, outlooks: list[LineOutlook]) -> list[Instruction]:
    snap = data.snapshot
    horizon = snap.horizon_days
    bottleneck_of = {o.bottleneck: o for o in outlooks if o.bottleneck}
    stops = planned_stops(data)
    after, _ = day_bounds_utc(snap.tomorrow, snap.timezone)
    mttr = {
        str(m["machine_id"]): m.get("mttr_h") for m in records(data.table("machine_reliability"))
    }
    items: list[Instruction] = []
    for r in records(data.table("machine_health")):
        health, limit = r.get("health_score"), r.get("predicted_limit_date")
        if limit is None and (health is None or health >= HEALTH_THRESHOLD):
            continue
        machine, line = str(r["machine_id"]), r.get("line_id")
        risk = failure_risk(health, limit, snap.as_of, horizon)
        outlook = bottleneck_of.get(machine)
        effect = (
            EFFECT_OTHER
            if outlook is None
            else (EFFECT_SHORT_BOTTLENECK if outlook.in_trouble else EFFECT_BOTTLENECK)
        )
        score = risk * effect
        line = line or (outlook.line_id if outlook else None)
        slot = _slot(stops, machine, line, after, limit)
        where = f"machine {machine}" + (f" on line {line}" if line else "")
        before = f" before its predicted limit on {limit}" if limit else ""
        if slot is not None:
            action = (
                f"Service {where} during the planned stop {ts_text(slot.start)} to "
                f"{ts_text(slot.end)} ({num(slot.hours, 1)} h){before}"
            )
            due = slot.start.date()
        else:
            if limit is not None and limit <= snap.tomorrow:
                action = (
                    f"Stop and service {where} at the first chance on {snap.tomorrow}: it is "
                    f"predicted to reach its limit on {limit} and no planned stop comes first"
                )
                due = snap.tomorrow
            else:
                action = f"Schedule a maintenance stop for {where}{before}; no planned stop fits"
                due = (
                    max(snap.tomorrow, limit - timedelta(days=1))
                    if limit
                    else snap.as_of + timedelta(days=7)
                )
        effect_text = "not a bottleneck"
        if outlook is not None:
            effect_text = f"bottleneck of line {outlook.line_id}"
            if outlook.in_trouble:
                effect_text += f", which misses its requirement: {outlook.headline()}"
                action += (
                    f"; it is the bottleneck of line {outlook.line_id}, which is short: agree "
                    f"the time with production so the stop costs line {outlook.line_id} the "
                    "least output"
                )
        reason = (
            f"history.machine_health: health {num(health, 2)}, anomalies "
            f"{r.get('anomalies') if r.get('anomalies') is not None else '?'}, predicted limit "
            f"{limit or 'none'}; evidence: {r.get('evidence') or 'none'}; effect: {effect_text}; "
            f"risk {num(risk, 2)} x effect {num(effect, 0)} = {num(score, 2)}"
        )
        # A limit within two days or a machine at its limits is urgent whatever its effect.
        imminent = (limit is not None and limit <= snap.as_of + timedelta(days=2)) or (
            health is not None and health <= URGENT_HEALTH
        )
        priority = 1 if score >= 1.5 or imminent else 2 if score >= 0.6 else 3
        items.append(
            Instruction(
                "maintenance",
                priority,
                action + ".",
                reason,
                due,
                "machine",
                machine,
                line,
                "history.machine_health, history.line_forecast, core.machine_events",
                score,
                kind="service_machine",
                **_downtime_loss(
                    mttr.get(machine), limit, imminent, snap.tomorrow, snap.as_of, horizon
                ),
                # The bottleneck of a short line: the line's shortfall is the shared cause.
                cause_id=f"line:{outlook.line_id}"
                if outlook is not None and outlook.in_trouble
                else f"machine:{machine}",
            )
        )
    return items


def _short_line_items(
    data: ReportData, outlooks: list[LineOutlook], at_risk: set[str]
) -> list[Instruction]:
    """Every line that misses its requirement gets a maintenance item naming it."""
    health = {str(r["machine_id"]): r for r in records(data.table("machine_health"))}
    items: list[Instruction] = []
    for o in outlooks:
        if not o.in_trouble or (o.bottleneck and o.bottleneck in at_risk):
            continue
        day = o.first_short_day or o.day
        machine = o.bottleneck or "the slowest machine"
        action = (
            f"Keep bottleneck {machine} of line {o.line_id} running on {day}: check it before "
            "the shift, keep spares and a technician on call, and postpone non-urgent work on it"
        )
        # Planned stops are only looked up for the first forecast day.
        on_day = list(o.stops_on_day) if day == o.day else []
        if on_day:
            stop = on_day[0]
            action += (
                f"; move the planned stop of {stop.machine_id} at {ts_text(stop.start)} "
                f"({num(stop.hours, 1)} h) to after {day} if no repair needs it"
            )
        h = health.get(o.bottleneck or "")
        reason = (
            f"{o.headline()}; first short day {day}; bottleneck {machine} health "
            f"{num(h.get('health_score') if h else None, 2)} (history.machine_health)"
        )
        items.append(
            Instruction(
                "maintenance",
                1 if o.short else 2,
                action + ".",
                reason,
                day,
                "machine" if o.bottleneck else "line",
                o.bottleneck or o.line_id,
                o.line_id,
                "history.line_forecast, history.machine_health, core.machine_events",
                o.horizon_gap,
                kind="keep_bottleneck_running",
                loss=o.gap if o.short else o.net_gap,
                loss_unit="units short",
                loss_day=day if (o.gap if o.short else o.net_gap) > 0 else None,
                cause_id=f"line:{o.line_id}",
            )
        )
    return items


def _sensor_items(data: ReportData) -> list[Instruction]:
    items: list[Instruction] = []
    for r in records(data.table("sensor_status")):
        status = str(r.get("status") or "ok")
        if status == "ok":
            continue
        template = SENSOR_ACTIONS.get(
            status, "Check sensor {s} on machine {m}: it reports status " + status
        )
        sensor, machine = str(r["sensor_id"]), str(r.get("machine_id") or "?")
        since = r.get("since")
        items.append(
            Instruction(
                "maintenance",
                2,
                template.format(s=sensor, m=machine) + ".",
                f"history.sensor_status: {status} since {ts_text(since)}; evidence: "
                f"{r.get('evidence') or 'none'}; machine health is judged without this sensor "
                "until it is fixed",
                data.snapshot.tomorrow,
                "sensor",
                sensor,
                None,
                "history.sensor_status",
                kind=f"sensor_{status}",
                cause_id=f"machine:{machine}",
            )
        )
    return items


def maintenance_instructions(data: ReportData) -> list[Instruction]:
    outlooks = line_outlooks(data)
    machines = _machine_items(data, outlooks)
    at_risk = {i.entity_id for i in machines}
    return machines + _short_line_items(data, outlooks, at_risk) + _sensor_items(data)
