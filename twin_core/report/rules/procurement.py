"""Procurement instructions: purchase orders to place, open orders to expedite, and the
materials behind every line that misses its requirement.

Grain: one item per material to order, per open PO to expedite, per short line.
Numbers: history.material_status, history.supplier_performance, history.line_forecast,
core.purchase_orders (open POs), core.bom and core.work_orders (what a line builds).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from twin_core.report.data import ReportData
from twin_core.report.rules._common import (
    Instruction,
    LineOutlook,
    line_outlooks,
    material_unit_costs,
    num,
    pct,
    records,
    short_list,
)

# Orders whose order-by date is further out than this are not tomorrow's business.
ORDER_WINDOW_DAYS = 14


def material_lines(data: ReportData) -> dict[str, dict[str, float]]:
    """material -> line -> material per unit of the line's output, weighted by the line's
    open work order mix (core.work_orders, core.bom)."""
    bom: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records(data.query("bom")):
        bom[str(r["product_id"])].append(r)
    totals: dict[str, float] = defaultdict(float)
    mix = records(data.query("line_product_mix"))
    for r in mix:
        totals[str(r["line_id"])] += float(r["open_qty"] or 0)
    per_unit: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in mix:
        line, total = str(r["line_id"]), totals[str(r["line_id"])]
        share = float(r["open_qty"] or 0) / total if total > 0 else 0.0
        for b in bom.get(str(r["product_id"]), []):
            per_unit[str(b["material_id"])][line] += share * float(b["qty_per"] or 0)
    return {m: dict(lines) for m, lines in per_unit.items()}


def _trouble_line(
    material: str, uses: dict[str, dict[str, float]], trouble: dict[str, LineOutlook]
) -> str | None:
    lines = sorted(ln for ln in uses.get(material, {}) if ln in trouble)
    return lines[0] if lines else None


def _supplier_text(data: ReportData, supplier: str | None) -> str:
    if supplier is None:
        return "supplier unknown"
    perf = {str(r["supplier_id"]): r for r in records(data.table("supplier_performance"))}
    p = perf.get(supplier)
    if p is None:
        return f"supplier {supplier}"
    return (
        f"supplier {supplier}: on time {pct(p.get('on_time_rate'))}, lead time "
        f"{num(p.get('lead_time_mean_days'), 1)} +- {num(p.get('lead_time_sd_days'), 1)} days, "
        f"{p.get('late_open_pos') or 0} late open POs (history.supplier_performance)"
    )


def _stockout_loss(
    data: ReportData, r: dict[str, Any], unit_cost: dict[str, float]
) -> dict[str, Any]:
    """Days the material is projected out of stock inside the horizon (from its stockout date
    to the horizon's last day) and, with a unit cost, the value of the requirement unmet in
    them (days x demand_mean_daily x unit_cost)."""
    stockout = r.get("stockout_date")
    snap = data.snapshot
    end = snap.as_of + timedelta(days=snap.horizon_days)
    if stockout is None or stockout > end:
        return {"loss": None, "loss_unit": "days out of stock", "loss_day": None}
    days = float((end - stockout).days + 1)
    cost = unit_cost.get(str(r["material_id"]))
    daily = r.get("demand_mean_daily")
    money = None if cost is None or daily is None else days * float(daily) * cost
    return {
        "loss": days,
        "loss_unit": "days out of stock",
        "loss_day": stockout,
        "loss_cost": money,
    }


def _order_items(
    data: ReportData, uses: dict[str, dict[str, float]], trouble: dict[str, LineOutlook]
) -> list[Instruction]:
    snap = data.snapshot
    names = {str(r["material_id"]): r for r in records(data.query("bom"))}
    costs = material_unit_costs(data)
    items: list[Instruction] = []
    for r in records(data.table("material_status")):
        by, qty = r.get("order_by_date"), r.get("order_qty")
        if by is None or qty is None or qty <= 0:
            continue
        if by > snap.as_of + timedelta(days=ORDER_WINDOW_DAYS):
            continue
        material = str(r["material_id"])
        unit = (names.get(material) or {}).get("unit") or "units"
        supplier = r.get("supplier_id") or (names.get(material) or {}).get("supplier_id")
        stockout = r.get("stockout_date")
        line = _trouble_line(material, uses, trouble)
        when = f"by {by}" if by >= snap.tomorrow else f"now (order-by date {by} has passed)"
        action = (
            f"Place a purchase order for {num(qty)} {unit} of {material} with supplier "
            f"{supplier or '?'} {when}"
        )
        if line:
            action += f"; line {line} needs it to make its requirement"
        cover = "unbounded" if r.get("days_of_cover_unbounded") else num(r.get("days_of_cover"), 1)
        reason = (
            f"history.material_status: on hand {num(r.get('on_hand'))}, cover {cover} days, "
            f"reorder point {num(r.get('reorder_point'))}, safety stock "
            f"{num(r.get('safety_stock'))}, stockout {stockout or 'none in horizon'}, order-by "
            f"{by}; {_supplier_text(data, supplier)}"
        )
        urgent = by <= snap.tomorrow or stockout is not None
        priority = 1 if urgent else 2 if by <= snap.as_of + timedelta(days=7) else 3
        items.append(
            Instruction(
                "procurement",
                priority,
                action + ".",
                reason,
                max(by, snap.tomorrow),
                "material",
                material,
                line,
                "history.material_status, history.supplier_performance",
                -float((by - snap.as_of).days),
                kind="place_order",
                **_stockout_loss(data, r, costs),
                # A material a short line needs shares the line's cause with its other items.
                cause_id=f"line:{line}" if line else f"material:{material}",
            )
        )
    return items


def _expedite_items(
    data: ReportData, uses: dict[str, dict[str, float]], trouble: dict[str, LineOutlook]
) -> list[Instruction]:
    snap = data.snapshot
    status = {str(r["material_id"]): r for r in records(data.table("material_status"))}
    costs = material_unit_costs(data)
    items: list[Instruction] = []
    for po in records(data.query("open_purchase_orders")):
        promised: date | None = po.get("promised_date")
        material = str(po["material_id"])
        stockout = (status.get(material) or {}).get("stockout_date")
        late = promised is not None and promised < snap.tomorrow
        after_stockout = stockout is not None and (promised is None or promised >= stockout)
        if not (late or after_stockout):
            continue
        why = []
        if late:
            why.append(f"promised for {promised}, {(snap.as_of - promised).days + 1} day(s) late")  # type: ignore[operator]
        if after_stockout:
            why.append(f"{material} runs out on {stockout}, before this PO arrives ({promised})")
        target = stockout - timedelta(days=1) if stockout is not None else snap.tomorrow
        line = _trouble_line(material, uses, trouble)
        action = (
            f"Expedite PO {po['po_id']} ({num(po.get('qty'))} of {material}) with supplier "
            f"{po.get('supplier_id') or '?'} to arrive by {max(target, snap.tomorrow)}"
        )
        if line:
            action += f"; line {line} needs it to make its requirement"
        items.append(
            Instruction(
                "procurement",
                1,
                action + ".",
                f"core.purchase_orders: open PO ordered {po.get('order_date')}, "
                + "; ".join(why)
                + f" (history.material_status); {_supplier_text(data, po.get('supplier_id'))}",
                snap.tomorrow,
                "purchase_order",
                str(po["po_id"]),
                line,
                "core.purchase_orders, history.material_status, history.supplier_performance",
                kind="expedite_po",
                **_stockout_loss(data, status.get(material) or {"material_id": material}, costs),
                cause_id=f"line:{line}" if line else f"material:{material}",
            )
        )
    return items


def _line_items(
    data: ReportData, uses: dict[str, dict[str, float]], trouble: dict[str, LineOutlook]
) -> list[Instruction]:
    """What procurement does for each line that misses its requirement."""
    status = {str(r["material_id"]): r for r in records(data.table("material_status"))}
    items: list[Instruction] = []
    for line, o in sorted(trouble.items()):
        extra = o.horizon_gap
        day = o.first_short_day or o.day
        last_day = o.day + timedelta(days=max(0, o.horizon_days - 1))
        needs = sorted(
            (m, per.get(line, 0.0) * extra) for m, per in uses.items() if per.get(line, 0.0) > 0
        )
        if not needs:
            items.append(
                Instruction(
                    "procurement",
                    2,
                    f"Confirm with production which materials line {line}'s extra {num(extra)} "
                    f"units need before {day}; its open work orders have no bill of materials.",
                    f"{o.headline()}; no core.bom rows for the products of line {line}'s open "
                    "work orders (core.work_orders)",
                    day - timedelta(days=1) if day > o.day else o.day,
                    "line",
                    line,
                    line,
                    "history.line_forecast, core.work_orders, core.bom",
                    kind="confirm_line_material",
                    cause_id=f"line:{line}",
                )
            )
            continue
        short, fine = [], []
        for m, need in needs:
            s = status.get(m) or {}
            stockout, on_hand = s.get("stockout_date"), s.get("on_hand")
            text = f"{m} {num(need, 1)} needed, on hand {num(on_hand)}"
            if (stockout is not None and stockout <= last_day) or (
                on_hand is not None and on_hand < need
            ):
                short.append(text + f", stockout {stockout or 'now'}")
            else:
                fine.append(text)
        if short:
            action = (
                f"Secure material for line {line}'s extra {num(extra)} units by {day}: order or "
                f"expedite {short_list([t.split(' ')[0] for t in short])}"
            )
        else:
            action = (
                f"Confirm material for line {line}'s extra {num(extra)} units by {day}: "
                f"enough {short_list([m for m, _ in needs])} on hand"
            )
        items.append(
            Instruction(
                "procurement",
                1 if short else 3,
                action + ".",
                f"{o.headline()}; horizon gap {num(extra)} units; material per extra output "
                "(core.bom x open work order mix): "
                + "; ".join(short + fine)
                + " (history.material_status)",
                day - timedelta(days=1) if day > o.day else o.day,
                "line",
                line,
                line,
                "history.line_forecast, history.material_status, core.bom, core.work_orders",
                extra,
                kind="secure_line_material" if short else "confirm_line_material",
                loss=o.net_gap if short else None,
                loss_unit="units short",
                loss_day=day if short and o.net_gap > 0 else None,
                cause_id=f"line:{line}",
            )
        )
    return items


def _stockout_items(
    data: ReportData,
    uses: dict[str, dict[str, float]],
    trouble: dict[str, LineOutlook],
    done: set[str],
) -> list[Instruction]:
    """A projected stockout with neither an order to place nor an open PO still needs
    procurement (the replenishment policy gave no order-by date)."""
    snap = data.snapshot
    open_for = {str(po["material_id"]) for po in records(data.query("open_purchase_orders"))}
    costs = material_unit_costs(data)
    items: list[Instruction] = []
    for r in records(data.table("material_status")):
        material, stockout = str(r["material_id"]), r.get("stockout_date")
        if stockout is None or material in done or material in open_for:
            continue
        line = _trouble_line(material, uses, trouble)
        qty = r.get("order_qty")
        what = f"{num(qty)} units of {material}" if qty else f"material {material}"
        items.append(
            Instruction(
                "procurement",
                1,
                f"Place a purchase order for {what} with supplier {r.get('supplier_id') or '?'} "
                f"now: it runs out on {stockout} and nothing is on order"
                + (f"; line {line} needs it" if line else "")
                + ".",
                f"history.material_status: on hand {num(r.get('on_hand'))}, stockout {stockout}, "
                f"no order-by date, no open PO (core.purchase_orders); "
                f"{_supplier_text(data, r.get('supplier_id'))}",
                snap.tomorrow,
                "material",
                material,
                line,
                "history.material_status, core.purchase_orders",
                -float((stockout - snap.as_of).days),
                kind="order_now",
                **_stockout_loss(data, r, costs),
                cause_id=f"line:{line}" if line else f"material:{material}",
            )
        )
    return items


def procurement_instructions(data: ReportData) -> list[Instruction]:
    trouble = {o.line_id: o for o in line_outlooks(data) if o.in_trouble}
    uses = material_lines(data)
    orders = _order_items(data, uses, trouble)
    return (
        orders
        + _stockout_items(data, uses, trouble, {i.entity_id for i in orders})
        + _expedite_items(data, uses, trouble)
        + _line_items(data, uses, trouble)
    )
