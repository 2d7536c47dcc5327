"""Production instructions: one item per line for the first forecast day, plus one per line
whose median forecast misses its requirement later in the horizon.

Numbers: history.line_forecast (required, p10, p50), history.machine_day (the bottleneck's
recent OEE), core.machines (ideal cycle time) and core.machine_events (planned stops); one
item per product whose customer demand the open work orders do not cover
(history.uncovered_demand).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from twin_core.report.data import ReportData
from twin_core.report.rules._common import Instruction, LineOutlook, line_outlooks, num, records

SOURCE = "history.line_forecast, history.machine_day, core.machines, core.machine_events"


def _capacity_text(o: LineOutlook) -> str:
    parts = [f"takt {num(o.takt_s)} s/unit over {num(o.planned_h, 1)} h planned"]
    if o.bottleneck is not None:
        rate = o.rate_per_h
        parts.append(
            f"bottleneck {o.bottleneck} at {num(rate, 1)} units/h "
            f"(ideal cycle {num(o.bottleneck_cycle_s, 1)} s x OEE "
            f"{num(o.bottleneck_oee if o.bottleneck_oee else 1.0, 2)})"
        )
    return "; ".join(parts)


def _tomorrow_item(o: LineOutlook) -> Instruction:
    reason = f"{o.headline()}; {_capacity_text(o)}"
    bottleneck = o.bottleneck or "the slowest machine"
    if o.required <= 0:
        return Instruction(
            "production",
            5,
            f"Use line {o.line_id}'s free capacity on {o.day} to build ahead of the next due work orders.",
            reason,
            o.day,
            "line",
            o.line_id,
            o.line_id,
            SOURCE,
            kind="use_free_capacity",
            cause_id=f"line:{o.line_id}",
        )
    if o.short:
        hours = o.hours_for(o.gap)
        free_h = max(0.0, 24.0 - o.planned_h)
        head = f"Close line {o.line_id}'s gap of {num(o.gap)} units on {o.day}: "
        due_first = f"run the work orders due {o.day} first"
        if hours is not None and hours <= free_h:
            action = (
                f"{head}add {num(hours, 1)} h of production at bottleneck {bottleneck} "
                f"(overtime or an extra shift in the {num(free_h, 1)} h the line is not "
                f"planned), {due_first}, and keep {bottleneck} fed and staffed"
            )
        elif free_h > 0:
            unmet = o.gap - (o.rate_per_h or 0.0) * free_h
            action = (
                f"{head}add all {num(free_h, 1)} h the line is not planned that day at "
                f"bottleneck {bottleneck}, {due_first}, and agree a later due date for the "
                f"remaining {num(unmet)} units with sales"
            )
        else:
            action = (
                f"{head}the line is already planned 24 h, so recover {num(hours, 1)} h of lost "
                f"time at bottleneck {bottleneck} (no starving, blocking or unplanned stops; see "
                f"maintenance), {due_first}, and agree a later due date for what is still "
                "missing with sales"
            )
        reason += f"; extra hours = gap {num(o.gap)} / {num(o.rate_per_h, 1)} units/h"
        return Instruction(
            "production",
            1,
            action + ".",
            reason,
            o.day,
            "line",
            o.line_id,
            o.line_id,
            SOURCE,
            o.gap,
            kind="close_gap",
            loss=o.gap,
            loss_unit="units short",
            loss_day=o.day,
            cause_id=f"line:{o.line_id}",
        )
    if o.gap_p10 > 0:
        return Instruction(
            "production",
            2,
            f"Protect line {o.line_id}'s output on {o.day}: start the work orders due that day "
            f"first and keep bottleneck {bottleneck} running through breaks; the p10 forecast "
            f"misses the requirement by {num(o.gap_p10)} units.",
            reason,
            o.day,
            "line",
            o.line_id,
            o.line_id,
            SOURCE,
            o.gap_p10,
            kind="protect_output",
            # A one-in-ten risk, not an expected loss: no loss day.
            loss=o.gap_p10,
            loss_unit="units short at p10",
            cause_id=f"line:{o.line_id}",
        )
    return Instruction(
        "production",
        4,
        f"Run line {o.line_id} to plan on {o.day}: {num(o.required)} units required, "
        f"{num(o.p50)} expected.",
        reason,
        o.day,
        "line",
        o.line_id,
        o.line_id,
        SOURCE,
        kind="run_to_plan",
        cause_id=f"line:{o.line_id}",
    )


def _horizon_item(o: LineOutlook) -> Instruction | None:
    """A shortfall later in the horizon is closed by building ahead before it: first with the
    surplus of the days before (p50 above required), then with extra hours."""
    first = o.first_short_day
    if first is None or first == o.day:
        return None
    bottleneck = o.bottleneck or "the slowest machine"
    reason = (
        f"history.line_forecast: p50 below required on {len(o.short_days)} day(s) from {first}, "
        f"total gap {num(o.horizon_gap)} units, {num(o.net_gap)} after the surplus of earlier "
        f"days; {_capacity_text(o)}"
    )
    head = (
        f"Build ahead on line {o.line_id} before {first}: run the surplus of the days before "
        f"(p50 above required) into stock for the {num(o.horizon_gap)} units the forecast misses "
        f"over the next {o.horizon_days} days"
    )
    if o.net_gap <= 0:
        action, priority = head, 3
    elif o.planned_h >= 24:
        hours = o.hours_for(o.net_gap)
        action = (
            f"{head}; the line is planned around the clock, so recover {num(hours, 1)} h of lost "
            f"time at bottleneck {bottleneck} and agree later due dates with sales for what "
            f"stays short ({num(o.net_gap)} units)"
        )
        priority = 2
    else:
        hours = o.hours_for(o.net_gap)
        action = (
            f"{head}, and plan {num(hours, 1)} h of extra production at bottleneck {bottleneck} "
            f"for the remaining {num(o.net_gap)} units"
        )
        priority = 2
    return Instruction(
        "production",
        priority,
        action + ".",
        reason,
        max(o.day, first - timedelta(days=1)),
        "line",
        o.line_id,
        o.line_id,
        SOURCE,
        o.horizon_gap,
        kind="build_ahead",
        loss=o.net_gap,
        loss_unit="units short",
        loss_day=first if o.net_gap > 0 else None,
        cause_id=f"line:{o.line_id}",
    )


def _uncovered_items(data: ReportData) -> list[Instruction]:
    """Customer demand the open work orders do not cover (history.uncovered_demand): plan
    work orders for it on the product's line before the first day it is short."""
    lines: dict[str, list[str]] = {}
    for r in records(data.query("products")):
        lines.setdefault(str(r["product_id"]), []).append(str(r["line_id"]))
    by_product: dict[str, list[dict[str, Any]]] = {}
    for r in records(data.table("uncovered_demand")):
        if (r.get("uncovered_qty") or 0) > 0:
            by_product.setdefault(str(r["product_id"]), []).append(r)
    items: list[Instruction] = []
    for product, rows in sorted(by_product.items()):
        rows.sort(key=lambda r: r["day"])
        first, qty = rows[0]["day"], max(float(r["uncovered_qty"]) for r in rows)
        line = lines[product][0] if lines.get(product) else None
        where = f" on line {line}" if line else ""
        items.append(
            Instruction(
                "production",
                # A planning task, not a line stop: the line gaps are the emergencies.
                2 if first <= data.snapshot.tomorrow + timedelta(days=1) else 3,
                f"Plan work orders for {num(qty)} more units of {product}{where}, the first due "
                f"{first}: customer demand exceeds the open work orders.",
                f"history.uncovered_demand: from {first}, cumulative demand "
                f"{num(rows[0].get('cum_demand_qty'))} vs planned "
                f"{num(rows[0].get('cum_planned_qty'))}; most uncovered {num(qty)} units within "
                "the horizon",
                max(data.snapshot.tomorrow, first - timedelta(days=1)),
                "product",
                product,
                line,
                "history.uncovered_demand, core.products",
                qty,
                kind="plan_work_orders",
                # A planning gap, not a loss: whether the line can make it is the line
                # forecast's business (close_gap / build_ahead carry the units short).
                loss=qty,
                loss_unit="units of demand without a work order",
                cause_id=f"product:{product}",
            )
        )
    return items


def production_instructions(data: ReportData) -> list[Instruction]:
    items: list[Instruction] = _uncovered_items(data)
    for o in line_outlooks(data):
        items.append(_tomorrow_item(o))
        later = _horizon_item(o)
        if later is not None:
            items.append(later)
    return items
