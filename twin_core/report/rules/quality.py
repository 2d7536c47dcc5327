"""Quality instructions: SPC series out of control, low capability, lots to hold, and
tighter inspection of lots from machines whose sensors drift.

Grain: one item per (product, characteristic) with recent rule firings, per
(product, characteristic) with Cpk below 1.33, per lot to hold, per drifting machine.
Numbers: history.spc_violations, history.spc_limits, history.capability,
history.lots_to_hold (when present), history.machine_health, core.inspections.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from twin_core.report.data import ReportData, day_bounds_utc
from twin_core.report.rules._common import (
    Instruction,
    as_list,
    lot_quantities,
    num,
    out_of_spec_share,
    product_material_costs,
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


# Rules that are actions on their own: a point beyond the 3-sigma limits, or a sustained run
# (8 / 9 in a row on one side, 6 in a row trending). Any other rule firing on one lot of an
# otherwise stable series is a note to watch.
ACTION_RULES = {"WE1", "NELSON1", "WE4", "NELSON2", "NELSON3"}
# Expected out-of-spec parts below this are not a loss that makes an item priority 1.
MIN_PARTS_AT_RISK = 1.0


@dataclass
class _Quality:
    """What the quality rules share, read once: recent violations and holds, significant
    drift, lot sizes, spec limits."""

    data: ReportData
    series: dict[tuple[str, str], list[dict[str, Any]]]
    holds: dict[tuple[str, str, str], list[dict[str, Any]]]
    drift: dict[str, list[dict[str, Any]]]
    lot_qty: dict[str, float]
    unit_cost: dict[str, float]
    capability: dict[tuple[str, str], dict[str, Any]]
    limits: dict[tuple[str, str], dict[str, Any]]
    lot_mean: dict[tuple[str, str, str], float]

    @classmethod
    def of(cls, data: ReportData) -> _Quality:
        return cls(
            data,
            _recent_series(data),
            _recent_holds(data),
            _significant_drift(data),
            lot_quantities(data),
            product_material_costs(data),
            {
                (str(r["product_id"]), str(r["characteristic"])): r
                for r in records(data.table("capability"))
            },
            {
                (str(r["product_id"]), str(r["characteristic"])): r
                for r in records(data.table("spc_limits"))
            },
            {
                (str(r["product_id"]), str(r["characteristic"]), str(r["lot_id"])): float(r["mean"])
                for r in records(data.query("lot_means"))
                if r.get("mean") is not None
            },
        )

    def parts_at_risk(self, product: str, chars: list[str], lots: list[str]) -> float | None:
        """Expected parts outside spec in ``lots``: each lot's units x the share of a normal
        process at the lot's measured mean (sigma_within, spec limits of history.capability)
        outside the limits, the worst characteristic per lot. None: no lot has both a size and
        a characteristic with spec limits."""
        total, known = 0.0, False
        for lot in lots:
            qty = self.lot_qty.get(lot)
            if qty is None:
                continue
            shares = []
            for char in chars:
                cap = self.capability.get((product, char)) or {}
                mean = self.lot_mean.get((product, char, lot), cap.get("mean"))
                share = out_of_spec_share(
                    mean, cap.get("sigma_within"), cap.get("lsl"), cap.get("usl")
                )
                if share is not None:
                    shares.append(share)
            if shares:
                known = True
                total += qty * max(shares)
        return total if known else None

    def money(self, product: str, parts: float | None) -> float | None:
        cost = self.unit_cost.get(product)
        return None if parts is None or cost is None else parts * cost


def _loss_fields(q: _Quality, product: str, parts: float | None) -> dict[str, Any]:
    """Loss keywords of a quality item about lots that can ship tomorrow."""
    at_risk = parts is not None and parts >= MIN_PARTS_AT_RISK
    return {
        "loss": None if parts is None else round(parts, 1),
        "loss_unit": "parts at risk of shipping out of spec",
        "loss_day": q.data.snapshot.tomorrow if at_risk else None,
        "loss_cost": q.money(product, parts),
    }


def _recent_series(data: ReportData) -> dict[tuple[str, str], list[dict[str, Any]]]:
    since = data.snapshot.as_of - timedelta(days=VIOLATION_DAYS - 1)
    series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("spc_violations")):
        ts = r.get("ts")
        if r.get("in_baseline") or (ts is not None and ts.date() < since):
            continue
        series[(str(r["product_id"]), str(r["characteristic"]))].append(r)
    return series


def _is_watch(rows: list[dict[str, Any]]) -> bool:
    """One lot broke a rule that is not an action on its own (see ACTION_RULES)."""
    lots = {str(r["lot_id"]) for r in rows}
    rules = {str(r["rule"]).upper() for r in rows}
    return len(lots) == 1 and not (rules & ACTION_RULES)


def _spc_evidence(product: str, char: str, rows: list[dict[str, Any]], lim: dict[str, Any]) -> str:
    since = min((r["ts"] for r in rows if r.get("ts") is not None), default=None)
    rules = Counter(str(r["rule"]) for r in rows)
    lots = sorted({str(r["lot_id"]) for r in rows})
    last = max((r["ts"] for r in rows if r.get("ts") is not None), default=None)
    rule_text = ", ".join(f"{k} x{v}" for k, v in sorted(rules.items()))
    values = ", ".join(
        f"{r['lot_id']}={num(r.get('value'), 3)}" + (f" ({r['chart']})" if r.get("chart") else "")
        for r in rows[:5]
    )
    return (
        f"history.spc_violations on {product} {char}: {rule_text} on {len(lots)} lot(s) from "
        f"{ts_text(since)}, last {ts_text(last)}; values {values}; limits centre "
        f"{num(lim.get('center'), 3)}, LCL {num(lim.get('lcl'), 3)}, UCL {num(lim.get('ucl'), 3)} "
        f"({lim.get('chart') or '?'}, history.spc_limits)"
    )


def _spc_items(
    q: _Quality, absorbed: set[tuple[str, str]]
) -> tuple[list[Instruction], set[tuple[str, str]]]:
    """One item per (product, characteristic) with recent rule firings not already explained
    by a drifting machine; a series's spc_violation holds join its item (returned as used)."""
    data = q.data
    snap = data.snapshot
    since = snap.as_of - timedelta(days=VIOLATION_DAYS - 1)
    holds = q.holds
    holds_listed = data.table("lots_to_hold") is not None
    used: set[tuple[str, str]] = set()
    items: list[Instruction] = []
    for (product, char), rows in sorted(q.series.items()):
        if (product, char) in absorbed:
            continue
        lots = sorted({str(r["lot_id"]) for r in rows})
        by_time = sorted(
            rows, key=lambda r: (r.get("ts") is not None, r.get("ts") or 0, str(r["lot_id"]))
        )
        latest = list(dict.fromkeys(str(r["lot_id"]) for r in by_time))
        lim = q.limits.get((product, char)) or {}
        evidence = [_spc_evidence(product, char, rows, lim)]
        # The series's own holds (lots_to_hold, reason spc_violation, this characteristic).
        held: list[str] = []
        machines: list[str] = []
        for (hp, machine, reason), hrows in sorted(holds.items()):
            if hp != product or reason != "spc_violation":
                continue
            mine = [r for r in hrows if char in as_list(r.get("characteristics"))]
            if not mine:
                continue
            used.add((product, machine))
            machines.append(machine)
            held += [str(r.get("lot_id")) for r in mine]
            evidence.append(
                f"history.lots_to_hold (spc_violation): {len(mine)} lot(s) from machine "
                f"{machine or '?'}"
            )
        held = sorted(set(held)) or lots
        parts = q.parts_at_risk(product, [char], held)
        where = f" from machine {short_list(sorted(set(machines)), 2)}" if machines else ""
        if _is_watch(rows):
            items.append(
                Instruction(
                    "quality",
                    3,
                    f"Watch {product} {char}: one lot ({lots[0]}{where}) broke "
                    f"{short_list(sorted({str(r['rule']) for r in rows}))}; act if the next "
                    "lots break a rule too.",
                    "; ".join(evidence) + "; a single run-rule firing on an otherwise stable "
                    "series is a note, not an action",
                    snap.tomorrow,
                    "product",
                    f"{product}/{char}",
                    None,
                    "history.spc_violations, history.spc_limits",
                    float(len(rows)),
                    kind="spc_watch",
                    mode="watch",
                    **_loss_fields(q, product, parts),
                    cause_id=f"product:{product}/{char}",
                )
            )
            continue
        if holds_listed:
            action = (
                f"Find the special cause on {product} {char}: {len(lots)} lot(s) broke "
                f"control rules, latest {short_list(latest[-3:])}"
            )
            if machines:
                action += (
                    f"; hold {len(held)} lot(s){where} ({short_list(held, 4)}) until it is cleared"
                )
        else:
            action = (
                f"Find the special cause on {product} {char} and hold lots "
                f"{short_list(lots)} until it is cleared"
            )
        items.append(
            Instruction(
                "quality",
                2,
                action + ".",
                "; ".join(evidence).replace(
                    "history.spc_violations on", f"history.spc_violations since {since} on", 1
                ),
                snap.tomorrow,
                "product",
                f"{product}/{char}",
                None,
                "history.spc_violations, history.spc_limits, history.lots_to_hold",
                float(len(rows)),
                kind="spc_special_cause",
                **_loss_fields(q, product, parts),
                cause_id=f"product:{product}/{char}",
            )
        )
    return items, used


def _capability_items(q: _Quality) -> list[Instruction]:
    data = q.data
    snap = data.snapshot
    # Expected out-of-spec parts over the horizon: the share outside spec at the process's
    # mean and sigma_within times the product's output rate (its lots of the last 30 days).
    made: dict[str, float] = defaultdict(float)
    days: dict[str, int] = defaultdict(int)
    for r in records(data.query("lot_quantities")):
        made[str(r["product_id"])] += float(r["made_qty"] or 0)
        days[str(r["product_id"])] = max(days[str(r["product_id"])], int(r["days"] or 0))
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
        share = out_of_spec_share(r.get("mean"), r.get("sigma_within"), r.get("lsl"), r.get("usl"))
        rate = made[product] / max(1, days[product]) if product in made else None
        parts = None if share is None or rate is None else share * rate * snap.horizon_days
        reason = (
            f"history.capability: Cpk {num(cpk, 2)} < {CPK_TARGET}, Cp {num(cp, 2)}, Ppk "
            f"{num(r.get('ppk'), 2)}, n {r.get('n') if r.get('n') is not None else '?'}"
        )
        if parts is not None:
            reason += (
                f"; {num(1e6 * (share or 0.0), 0)} ppm outside spec x {num(rate, 0)} units/day x "
                f"{snap.horizon_days} days = {num(parts, 1)} parts expected out of spec "
                "(core.production)"
            )
        # A capable process (Cpk >= 1) makes its few out-of-spec parts by design: improving
        # it is priority 2; below 1 the expected parts out of spec are a loss in the horizon.
        at_risk = parts is not None and parts >= MIN_PARTS_AT_RISK and cpk < 1.0
        items.append(
            Instruction(
                "quality",
                1 if cpk < 1.0 else 2,
                f"Raise the capability of {product} {char}: {how}, and inspect every lot until "
                f"Cpk reaches {CPK_TARGET}.",
                reason,
                snap.as_of + timedelta(days=7),
                "product",
                f"{product}/{char}",
                None,
                "history.capability",
                CPK_TARGET - float(cpk),
                kind="capability",
                loss=None if parts is None else round(parts, 1),
                loss_unit="parts expected out of spec",
                loss_day=snap.as_of + timedelta(days=snap.horizon_days) if at_risk else None,
                loss_cost=q.money(product, parts),
                cause_id=f"product:{product}/{char}",
            )
        )
    return items


HOLD_REASONS = {
    "sensor_drift": "its machine's sensors drifted while it was made",
    "characteristic_trend": "its characteristic trends toward a limit",
    "spc_violation": "a control rule fired on it",
}


def _significant_drift(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    """Drift rows per machine whose link to a characteristic is significant
    (history.quality_drift gives a predicted shift only where the slope is significant)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.table("quality_drift")):
        if r.get("predicted_shift") is not None:
            out[str(r["machine_id"])].append(r)
    return out


def _recent_holds(data: ReportData) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Lots flagged in the last ``HOLD_DAYS`` days (older lots have left the plant), grouped by
    product, machine and reason."""
    since, _ = day_bounds_utc(
        data.snapshot.as_of - timedelta(days=HOLD_DAYS - 1), data.snapshot.timezone
    )
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
    return groups


def _drift_cause_items(
    q: _Quality,
) -> tuple[list[Instruction], set[tuple[str, str]], set[tuple[str, str]]]:
    """One item per machine whose sensor drift has a significant link to a characteristic:
    hold every recent lot it made that is flagged (drift, trend or control rules), re-inspect
    the characteristics, and measure them on every lot until the drift is fixed. The
    control-rule firings on its characteristics and its holds are evidence under it.
    Returns the items, the (product, characteristic) series and (product, machine) holds used."""
    data = q.data
    snap = data.snapshot
    holds, series = q.holds, q.series
    series_used: set[tuple[str, str]] = set()
    holds_used: set[tuple[str, str]] = set()
    items: list[Instruction] = []
    for machine, rows in sorted(q.drift.items()):
        first = min(
            (r for r in rows if r.get("first_alarm_ts") is not None),
            key=lambda r: r["first_alarm_ts"],
            default=rows[0],
        )
        metrics = sorted({f"{r['metric']} {r.get('direction') or ''}".strip() for r in rows})
        by_product: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            by_product[str(r["product_id"])].add(str(r["characteristic"]))
        for (product, hmachine, _reason), hrows in holds.items():
            if hmachine == machine:
                by_product[product] |= {c for r in hrows for c in as_list(r.get("characteristics"))}
        cause = (
            f"{first['metric']} {first.get('direction') or ''} drift since "
            f"{ts_text(first.get('first_alarm_ts'))}".replace("  ", " ")
        )
        for product, chars_set in sorted(by_product.items()):
            chars = sorted(chars_set)
            lots = sorted(
                {
                    str(r.get("lot_id"))
                    for (hp, hm, _), hrows in holds.items()
                    if hp == product and hm == machine
                    for r in hrows
                }
            )
            evidence = [
                f"history.quality_drift: {r['metric']} {r.get('direction') or ''} from "
                f"{ts_text(r.get('first_alarm_ts'))} (max EWMA {num(r.get('max_ewma'), 1)} sd), "
                f"predicted shift of {r['product_id']} {r['characteristic']} "
                f"{num(r.get('predicted_shift'), 3)}"
                for r in rows
                if str(r["product_id"]) == product
            ][:4]
            for (hp, hm, reason), hrows in sorted(holds.items()):
                if hp == product and hm == machine:
                    holds_used.add((product, machine))
                    evidence.append(
                        f"history.lots_to_hold ({reason}): {len(hrows)} lot(s), e.g. "
                        f"{str(hrows[0].get('evidence') or '')[:160]}"
                    )
            lot_set = set(lots)
            for (sp, sc), srows in sorted(series.items()):
                slots = {str(r["lot_id"]) for r in srows}
                # A series whose firings are mostly on this machine's flagged lots.
                if sp == product and lot_set and 2 * len(slots & lot_set) >= len(slots):
                    series_used.add((sp, sc))
                    evidence.append(_spc_evidence(sp, sc, srows, q.limits.get((sp, sc)) or {}))
            if lots:
                action = (
                    f"Hold {len(lots)} lot(s) of {product} from machine {machine} "
                    f"({short_list(lots, 4)}) and re-inspect {short_list(chars)} before release; "
                    f"measure {short_list(chars)} on every lot from {machine} until the drift "
                    f"is fixed. Cause: {cause}"
                )
            else:
                action = (
                    f"Tighten inspection of lots from machine {machine}: measure "
                    f"{product} {short_list(chars)} on every lot until its "
                    f"{short_list(metrics)} drift is fixed"
                )
            parts = q.parts_at_risk(product, chars, lots) if lots else None
            items.append(
                Instruction(
                    "quality",
                    2,
                    action + ".",
                    " | ".join(evidence),
                    snap.tomorrow,
                    "machine",
                    machine,
                    None,
                    "history.quality_drift, history.lots_to_hold, history.spc_violations",
                    float(len(lots) or len(rows)),
                    kind="drift_hold" if lots else "drift_inspection",
                    **_loss_fields(q, product, parts),
                    cause_id=f"machine:{machine}",
                )
            )
    return items, series_used, holds_used


def _hold_items(q: _Quality, used: set[tuple[str, str]]) -> list[Instruction]:
    """Flagged lots not already under a drift or control-rule item, one item per product,
    machine and reason. A control-rule firing or a characteristic trend is a hold; sensor
    drift without a significant link to a characteristic asks for a sample re-inspection
    (priority 3)."""
    data = q.data
    significant = {(m, str(r["product_id"])) for m, rows in q.drift.items() for r in rows}
    items: list[Instruction] = []
    for (product, machine, reason), rows in sorted(q.holds.items()):
        if (product, machine) in used:
            continue
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
        parts = q.parts_at_risk(product, chars, lots)
        items.append(
            Instruction(
                "quality",
                2 if hold else 3,
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
                kind="hold_lots" if hold else "sample_reinspection",
                mode="action",
                **_loss_fields(q, product, parts),
                cause_id=f"machine:{machine}" if machine else f"product:{product}",
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
                kind="tighten_inspection",
                cause_id=f"machine:{machine}",
            )
        )
    return items


WATCH_ACTIONS = {
    "spc": "Hold lot {lot} of {product} and re-inspect {characteristic} before release",
    "drift": "Hold the lots made on machine {machine} since {since} and check its {metric}",
    "sensor": "Check sensor {sensor} on machine {machine} ({rule}) before trusting its readings",
}


def watch_alert_items(data: ReportData) -> list[Instruction]:
    """The hourly quality watch's alerts the snapshot does not cover yet (still open): one
    hold per alert (history.quality_alerts; the watch alerted them within the hour)."""
    items: list[Instruction] = []
    for r in records(data.query("watch_open_alerts")):
        kind = str(r["kind"])
        rule = str(r["rule"])
        action = WATCH_ACTIONS.get(kind, "Check {lot}").format(
            lot=r.get("lot_id") or "?",
            product=r.get("product_id") or "?",
            characteristic=r.get("characteristic") or "its characteristics",
            machine=r.get("machine_id") or "?",
            since=ts_text(r.get("data_ts")),
            metric=rule.split(":")[1] if rule.count(":") >= 2 else rule,
            sensor=r.get("sensor_id") or "?",
            rule=rule,
        )
        entity = {"spc": ("lot", r.get("lot_id")), "sensor": ("sensor", r.get("sensor_id"))}
        etype, eid = entity.get(kind, ("machine", r.get("machine_id")))
        items.append(
            Instruction(
                "quality",
                2,
                f"{action}: the hourly quality watch alerted it at {ts_text(r.get('first_seen'))}"
                " and the snapshot does not cover it yet.",
                f"history.quality_alerts {r['alert_key']} ({rule}): {r.get('evidence') or ''}",
                data.snapshot.tomorrow,
                etype,
                str(eid or r["alert_key"]),
                None,
                "history.quality_alerts",
                kind=f"watch_{kind}",
                mode="action",
                cause_id=f"machine:{r['machine_id']}" if r.get("machine_id") else None,
            )
        )
    return items


def quality_instructions(data: ReportData) -> list[Instruction]:
    q = _Quality.of(data)
    drift, series_used, holds_used = _drift_cause_items(q)
    spc, spc_holds = _spc_items(q, series_used)
    return (
        spc
        + _capability_items(q)
        + _hold_items(q, holds_used | spc_holds)
        + drift
        + _tighten_items(data, {i.entity_id for i in drift})
        + watch_alert_items(data)
    )
