"""The reports' charts, from a snapshot's frames to captioned SVG figures.

Each function returns a list of figures (possibly a "no data" note); captions name the
table behind the chart. Grain per figure: fans one per line, OEE one per snapshot (by
machine) plus one trend (by line and day), projections one per material at risk, control
charts one per (product, characteristic), Paretos one per snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import polars as pl

from twin_core.report import charts
from twin_core.report.blocks import figure, not_available
from twin_core.report.data import ReportData
from twin_core.report.html import Html
from twin_core.report.rules._common import as_list

COMPLAINTS = ("complaint", "return", "warranty")


def _pct(v: float) -> str:
    return f"{v:.0%}"


def line_fans(data: ReportData) -> list[Html]:
    frame = data.table("line_forecast")
    if frame is None:
        return [not_available("Line forecast", "history.line_forecast")]
    ahead = frame.filter(pl.col("day") > data.snapshot.as_of).sort("line_id", "day")
    if ahead.is_empty():
        return [charts.no_data("Line forecast")]
    out = []
    for (line,), rows in ahead.group_by("line_id", maintain_order=True):
        days = [d.strftime("%m-%d") for d in rows["day"]]
        out.append(
            figure(
                charts.fan_chart(
                    f"Line {line}: forecast output per day",
                    days,
                    [float(v or 0) for v in rows["p10_qty"]],
                    [float(v or 0) for v in rows["p50_qty"]],
                    [float(v or 0) for v in rows["p90_qty"]],
                    list(rows["required_qty"]),
                ),
                f"Line {line}: p10-p90 band and p50 of simulated output against required output; "
                "red points: p50 below required (history.line_forecast).",
            )
        )
    return out


def oee_figures(data: ReportData, days: int = 7, trend_days: int = 30) -> list[Html]:
    frame = data.table("machine_day")
    if frame is None:
        return [not_available("OEE", "history.machine_day")]
    as_of = data.snapshot.as_of
    recent = frame.filter(pl.col("day") > as_of - timedelta(days=days), pl.col("day") <= as_of)
    by_machine = (
        recent.group_by("machine_id", "line_id")
        .agg(pl.col("oee").mean())
        .sort("line_id", "machine_id", nulls_last=True)
    )
    bars = charts.bar_chart(
        f"OEE by machine, mean of the last {days} days",
        [str(m) for m in by_machine["machine_id"]],
        [None if v is None else float(v) for v in by_machine["oee"]],
        ymax=1.0,
        fmt=_pct,
        reference=("85% world class", 0.85),
    )
    trend = (
        frame.filter(pl.col("day") > as_of - timedelta(days=trend_days), pl.col("day") <= as_of)
        .group_by("line_id", "day")
        .agg(pl.col("oee").mean())
        .sort("line_id", "day", nulls_last=True)
    )
    day_list = sorted(set(trend["day"].to_list()))
    series = []
    for (line,), rows in trend.group_by("line_id", maintain_order=True):
        values = dict(zip(rows["day"].to_list(), rows["oee"].to_list(), strict=True))
        series.append((f"line {line}", [values.get(d) for d in day_list]))
    line = charts.line_chart(
        f"OEE trend by line, last {trend_days} days",
        [d.strftime("%m-%d") for d in day_list],
        series,
        fmt=_pct,
        ymin=0.0,
        ymax=1.0,
    )
    return [
        figure(
            bars, f"Mean OEE per machine over {days} plant days to {as_of} (history.machine_day)."
        ),
        figure(line, "Mean OEE of each line's machines per day (history.machine_day)."),
    ]


def inventory_figures(data: ReportData, limit: int = 6) -> list[Html]:
    proj, status = data.table("inventory_projection"), data.table("material_status")
    if proj is None or status is None:
        return [not_available("Inventory projection", "history.inventory_projection")]
    # Materials most at risk first: a stockout, then the earliest order-by date.
    risky = status.sort(
        pl.col("stockout_date").is_null(),
        pl.col("stockout_date"),
        pl.col("order_by_date").is_null(),
        pl.col("order_by_date"),
        pl.col("days_of_cover").is_null(),
        pl.col("days_of_cover"),
        "material_id",
    ).head(limit)
    out = []
    for s in risky.iter_rows(named=True):
        rows = proj.filter(pl.col("material_id") == s["material_id"]).sort("day")
        out.append(
            figure(
                charts.projection_chart(
                    f"Material {s['material_id']}: projected on hand",
                    [d.strftime("%m-%d") for d in rows["day"]],
                    list(rows["closing_on_hand"]),
                    reorder_point=s.get("reorder_point"),
                    safety_stock=s.get("safety_stock"),
                ),
                f"Material {s['material_id']}: closing on hand per day with open PO receipts, "
                f"stockout {s.get('stockout_date') or 'none'}, order by "
                f"{s.get('order_by_date') or 'n/a'} (history.inventory_projection, "
                "history.material_status).",
            )
        )
    return out or [charts.no_data("Inventory projection")]


def control_figures(data: ReportData, limit: int = 4, points: int = 60) -> list[Html]:
    limits, lots = data.table("spc_limits"), data.query("lot_means")
    if limits is None:
        return [not_available("Control charts", "history.spc_limits")]
    if lots is None or limits.is_empty():
        return [charts.no_data("Control charts")]
    viol = data.rows("spc_violations")
    fired: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in viol.iter_rows(named=True) if not viol.is_empty() else []:
        fired[(str(r["product_id"]), str(r["characteristic"]), str(r["lot_id"]))].append(
            str(r["rule"])
        )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p, c, _ in fired:
        counts[(p, c)] += 1
    if "chart" in limits.columns:
        # One chart per series: the location chart (the first row when more are stored).
        limits = limits.sort("product_id", "characteristic", "chart").unique(
            ["product_id", "characteristic"], keep="first", maintain_order=True
        )
    series = sorted(
        limits.iter_rows(named=True),
        key=lambda r: (
            -counts[(str(r["product_id"]), str(r["characteristic"]))],
            str(r["product_id"]),
            str(r["characteristic"]),
        ),
    )
    out: list[Html] = []
    for lim in series:
        if len(out) >= limit:
            break
        p, c = str(lim["product_id"]), str(lim["characteristic"])
        rows = lots.filter(pl.col("product_id") == p, pl.col("characteristic") == c).tail(points)
        if rows.is_empty():
            continue  # attribute charts (defects) have no inspection means
        labels = [str(v) for v in rows["lot_id"]]
        rules = [", ".join(fired.get((p, c, lot), [])) or None for lot in labels]
        out.append(
            figure(
                charts.control_chart(
                    f"{p} {c}: control chart",
                    labels,
                    [float(v) for v in rows["mean"]],
                    rules,
                    center=lim.get("center"),
                    lcl=lim.get("lcl"),
                    ucl=lim.get("ucl"),
                ),
                f"{p} {c}: lot means of the last {rows.height} lots (core.inspections) against "
                f"{lim.get('chart') or ''} limits (history.spc_limits); red: a rule fired "
                "(history.spc_violations).",
            )
        )
    return out or [charts.no_data("Control charts")]


def defect_pareto(data: ReportData, limit: int = 12) -> list[Html]:
    frame = data.query("defect_pareto")
    if frame is None:
        return [not_available("Defect Pareto", "core.defects")]
    top = frame.head(limit)
    return [
        figure(
            charts.pareto_chart(
                "Defects by code, last 30 days",
                [str(v) for v in top["defect_code"]],
                [float(v or 0) for v in top["defect_qty"]],
            ),
            "Defective units by defect code over the 30 plant days to as-of, with the "
            "cumulative share (core.defects).",
        )
    ]


def feedback_pareto(data: ReportData, limit: int = 12) -> list[Html]:
    frame = data.table("feedback_insights")
    if frame is None:
        return [not_available("Feedback Pareto", "history.feedback_insights")]
    complaints = frame.filter(pl.col("category").is_in(list(COMPLAINTS)))
    by_rev = (
        complaints.group_by("product_id", "revision")
        .agg(pl.col("feedback_count").sum())
        .sort("feedback_count", "product_id", "revision", descending=[True, False, False])
        .head(limit)
    )
    by_cat = (
        frame.group_by("category")
        .agg(pl.col("feedback_count").sum())
        .sort("feedback_count", "category", descending=[True, False])
    )
    return [
        figure(
            charts.pareto_chart(
                "Complaints, returns and warranty claims by product revision",
                [f"{p}@{r}" for p, r in zip(by_rev["product_id"], by_rev["revision"], strict=True)],
                [float(v or 0) for v in by_rev["feedback_count"]],
            ),
            "Feedback count per product revision (history.feedback_insights).",
        ),
        figure(
            charts.pareto_chart(
                "Feedback by category",
                [str(v) for v in by_cat["category"]],
                [float(v or 0) for v in by_cat["feedback_count"]],
            ),
            "Feedback count per category, all revisions (history.feedback_insights).",
        ),
    ]


def traced(value: object) -> str:
    """A JSON list column as short text."""
    items = as_list(value)
    return ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
