"""The reports' figures, from a snapshot's frames to captioned charts.

Each function returns a list of figures (possibly a "no data" note); captions name the
table behind the chart. Grain per figure: fans one per line; OEE one bar chart by machine,
one trend by line and day, one loss waterfall per line, one loss breakdown by machine and
one downtime Pareto by state and reason; projections one per material at risk; control
charts one per (product, characteristic) with its dispersion panel; capability histograms
one per (product, characteristic), lowest Cpk first; Paretos and the complaint rates one
per snapshot.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import polars as pl

from twin_core.report import charts
from twin_core.report.blocks import figure, not_available
from twin_core.report.data import ReportData
from twin_core.report.html import Html
from twin_core.report.rules._common import as_list

COMPLAINTS = ("complaint", "return", "warranty")
CPK_TARGET = 1.33


def _day(frame: pl.DataFrame) -> pl.Series:
    return frame["day"].dt.strftime("%m-%d").alias("day")


def line_fans(data: ReportData) -> list[Html]:
    frame = data.table("line_forecast")
    if frame is None:
        return [not_available("Line forecast", "history.line_forecast")]
    ahead = frame.filter(pl.col("day") > data.snapshot.as_of).sort("line_id", "day")
    if ahead.is_empty():
        return [charts.no_data("Line forecast")]
    out = []
    for (line,), rows in ahead.group_by("line_id", maintain_order=True):
        fan = rows.select(
            _day(rows),
            pl.col("p10_qty").cast(pl.Float64).fill_null(0.0).alias("p10"),
            pl.col("p50_qty").cast(pl.Float64).fill_null(0.0).alias("p50"),
            pl.col("p90_qty").cast(pl.Float64).fill_null(0.0).alias("p90"),
            pl.col("required_qty").cast(pl.Float64).alias("required"),
        )
        out.append(
            figure(
                charts.fan_chart(f"Line {line}: forecast output per day", fan),
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
        by_machine.select(
            pl.col("machine_id").cast(pl.String).alias("label"),
            pl.col("oee").cast(pl.Float64).alias("value"),
        ),
        x_title="machine",
        y_title="OEE (mean of days)",
        percent=True,
        reference=("85% world class", 0.85),
    )
    trend = (
        frame.filter(pl.col("day") > as_of - timedelta(days=trend_days), pl.col("day") <= as_of)
        .group_by("line_id", "day")
        .agg(pl.col("oee").mean())
        .sort("line_id", "day", nulls_last=True)
    )
    line = charts.line_chart(
        f"OEE trend by line, last {trend_days} days",
        trend.select(
            pl.format("line {}", pl.col("line_id")).alias("series"),
            _day(trend),
            pl.col("oee").cast(pl.Float64).alias("value"),
        ),
        y_title="OEE (mean of the line's machines)",
        percent=True,
    )
    out = [
        figure(
            bars, f"Mean OEE per machine over {days} plant days to {as_of} (history.machine_day)."
        ),
        figure(line, "Mean OEE of each line's machines per day (history.machine_day)."),
    ]
    out += loss_waterfalls(recent, days)
    out += downtime_pareto(data, days)
    return out


LOSS_STEPS = (
    ("down", "down_h"),
    ("setup", "setup_h"),
    ("starved", "starved_h"),
    ("blocked", "blocked_h"),
    ("other idle", "other_idle_h"),
    ("unrecorded", "unrecorded_h"),
    ("speed loss", "speed_loss_h"),
    ("scrap", "scrap_h"),
)


def loss_hours(machine_day: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per ``keys``: planned hours, each loss in hours (LOSS_STEPS) and the fully productive
    hours (ideal cycle time x good units), from machine_day rows. Losses add up: planned =
    down + setup + starved + blocked + other idle + unrecorded + speed loss + scrap +
    productive, and productive / planned is the OEE of the summed time."""
    zero = pl.lit(0.0)
    starved = pl.col("starved_s") if "starved_s" in machine_day.columns else zero
    blocked = pl.col("blocked_s") if "blocked_s" in machine_day.columns else zero
    ict = pl.col("ideal_cycle_time_s").fill_null(0.0)
    rows = machine_day.with_columns(
        _starved=starved.fill_null(0.0),
        _blocked=blocked.fill_null(0.0),
        _ideal=ict * (pl.col("good_qty").fill_null(0) + pl.col("scrap_qty").fill_null(0)),
        _scrap=ict * pl.col("scrap_qty").fill_null(0),
        _good=ict * pl.col("good_qty").fill_null(0),
    )
    h = 3600.0
    return (
        rows.group_by(keys)
        .agg(
            (pl.col("planned_busy_s").fill_null(0.0).sum() / h).alias("planned_h"),
            (pl.col("down_s").fill_null(0.0).sum() / h).alias("down_h"),
            (pl.col("setup_s").fill_null(0.0).sum() / h).alias("setup_h"),
            (pl.col("_starved").sum() / h).alias("starved_h"),
            (pl.col("_blocked").sum() / h).alias("blocked_h"),
            (
                (pl.col("idle_s").fill_null(0.0) - pl.col("_starved") - pl.col("_blocked")).sum()
                / h
            ).alias("other_idle_h"),
            (pl.col("unrecorded_s").fill_null(0.0).sum() / h).alias("unrecorded_h"),
            ((pl.col("running_s").fill_null(0.0) - pl.col("_ideal")).sum() / h).alias(
                "speed_loss_h"
            ),
            (pl.col("_scrap").sum() / h).alias("scrap_h"),
            (pl.col("_good").sum() / h).alias("productive_h"),
        )
        .sort(keys)
    )


def _waterfall_frame(row: dict[str, float]) -> pl.DataFrame:
    steps = [("planned time", row["planned_h"], "total")]
    steps += [(name, row[col], "loss") for name, col in LOSS_STEPS if abs(row[col]) > 1e-9]
    planned = row["planned_h"]
    oee = row["productive_h"] / planned if planned > 0 else math.nan
    label = "OEE (productive)" if math.isnan(oee) else f"OEE {oee:.1%} (productive)"
    steps.append((label, row["productive_h"], "result"))
    return pl.DataFrame(
        {
            "step": [s[0] for s in steps],
            "value": [float(s[1]) for s in steps],
            "kind": [s[2] for s in steps],
        }
    )


def loss_waterfalls(recent: pl.DataFrame, days: int) -> list[Html]:
    """One loss waterfall per line and one bar of the same losses per machine, over
    machine_day rows ``recent``."""
    if recent.is_empty() or "planned_busy_s" not in recent.columns:
        return [charts.no_data("OEE loss waterfall")]
    out = []
    source = f"over {days} plant days (history.machine_day)"
    lines = loss_hours(recent, ["line_id"]).filter(pl.col("planned_h") > 0)
    if lines.is_empty():
        return [charts.no_data("OEE loss waterfall (no planned time recorded)")]
    for row in lines.iter_rows(named=True):
        out.append(
            figure(
                charts.waterfall_chart(
                    f"Line {row['line_id']}: where planned time went", _waterfall_frame(row)
                ),
                f"Line {row['line_id']}: planned hours of its machines less each loss, "
                f"down to fully productive time (ideal cycle time x good units) {source}.",
            )
        )
    per_machine = loss_hours(recent, ["line_id", "machine_id"]).filter(pl.col("planned_h") > 0)
    steps = [name for name, _ in LOSS_STEPS] + ["productive"]
    cols = [col for _, col in LOSS_STEPS] + ["productive_h"]
    long = (
        per_machine.with_columns(pl.col("machine_id").cast(pl.String).alias("label"))
        .unpivot(index=["label", "planned_h"], on=cols, variable_name="col", value_name="value")
        .with_columns(
            pl.col("col").replace_strict(dict(zip(cols, steps, strict=True))).alias("step"),
            (pl.col("value") / pl.col("planned_h")).alias("share"),
        )
        .filter(pl.col("value").abs() > 1e-9)
    )
    out.append(
        figure(
            charts.stacked_loss_chart(
                f"Where each machine's planned time went, last {days} days", long, steps
            ),
            f"Per machine: the same losses as the line waterfalls and the fully productive "
            f"time; each bar is the machine's planned hours {source}. Starved and blocked are "
            "idle time whose machine events give that reason code.",
        )
    )
    return out


def downtime_pareto(data: ReportData, days: int = 7, limit: int = 12) -> list[Html]:
    frame = data.query("downtime_reasons")
    if frame is None:
        return [not_available("Downtime Pareto", "core.machine_events")]
    top = frame.head(limit)
    return [
        figure(
            charts.pareto_chart(
                f"Lost time by state and reason code, last {days} days",
                top.select(
                    pl.format("{}: {}", pl.col("state"), pl.col("reason_code")).alias("label"),
                    pl.col("hours").cast(pl.Float64).alias("value"),
                ),
                x_title="state: reason code",
                y_title="machine hours",
            ),
            f"Machine hours down, in setup or idle by reason code over the {days} plant days "
            f"to as-of, all machines, with the cumulative share (core.machine_events); the "
            f"{min(limit, frame.height)} largest of {frame.height}.",
        )
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
        receipts = (
            pl.col("receipts").cast(pl.Float64).fill_null(0.0)
            if "receipts" in rows.columns
            else pl.lit(0.0)
        )
        out.append(
            figure(
                charts.projection_chart(
                    f"Material {s['material_id']}: projected on hand",
                    rows.select(
                        _day(rows),
                        pl.col("closing_on_hand").cast(pl.Float64),
                        receipts.alias("receipts"),
                    ),
                    reorder_point=s.get("reorder_point"),
                    safety_stock=s.get("safety_stock"),
                    unit="material units",
                ),
                f"Material {s['material_id']}: closing on hand per day with open PO receipts, "
                f"stockout {s.get('stockout_date') or 'none'}, order by "
                f"{s.get('order_by_date') or 'n/a'} (history.inventory_projection, "
                "history.material_status).",
            )
        )
    return out or [charts.no_data("Inventory projection")]


def _fired(data: ReportData) -> dict[tuple[str, str, str], list[str]]:
    viol = data.rows("spc_violations")
    fired: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in viol.iter_rows(named=True) if not viol.is_empty() else []:
        key = (str(r["product_id"]), str(r["characteristic"]), str(r["lot_id"]))
        if str(r["rule"]) not in fired[key]:
            fired[key].append(str(r["rule"]))
    return fired


def control_points(
    lots: pl.DataFrame,
    product: str,
    characteristic: str,
    chart: str,
    fired: dict[tuple[str, str, str], list[str]],
    points: int,
) -> pl.DataFrame:
    """The last ``points`` lots of a series as control_chart draws them: lot, value (the
    lot mean), spread (R, S, or the moving range of the means on I-MR) and rules."""
    rows = lots.filter(
        pl.col("product_id") == product, pl.col("characteristic") == characteristic
    ).sort("ts", "lot_id")
    if chart == "I-MR":
        spread = (pl.col("mean") - pl.col("mean").shift(1)).abs()
    elif chart == "Xbar-S" and "sd" in rows.columns:
        spread = pl.col("sd")
    elif "range" in rows.columns:
        spread = pl.col("range")
    else:
        spread = pl.lit(None, pl.Float64)
    shown = rows.select(
        pl.col("lot_id").cast(pl.String).alias("lot"),
        pl.col("mean").cast(pl.Float64).alias("value"),
        spread.cast(pl.Float64).alias("spread"),
    ).tail(points)
    rules = [
        ", ".join(fired.get((product, characteristic, lot), [])) or None for lot in shown["lot"]
    ]
    return shown.with_columns(pl.Series("rules", rules, dtype=pl.String))


def control_figures(data: ReportData, limit: int = 4, points: int = 60) -> list[Html]:
    limits, lots = data.table("spc_limits"), data.query("lot_means")
    if limits is None:
        return [not_available("Control charts", "history.spc_limits")]
    if lots is None or limits.is_empty():
        return [charts.no_data("Control charts")]
    fired = _fired(data)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p, c, _ in fired:
        counts[(p, c)] += 1
    if "chart" in limits.columns:
        # One chart per series: the location chart (the first row when more are stored).
        limits = limits.sort("product_id", "characteristic", "chart").unique(
            ["product_id", "characteristic"], keep="first", maintain_order=True
        )
    specs: dict[tuple[str, str], dict[str, object]] = {}
    cap = data.table("capability")
    if cap is not None and "lsl" in cap.columns:
        for r in cap.iter_rows(named=True):
            specs[(str(r["product_id"]), str(r["characteristic"]))] = r
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
        kind = str(lim.get("chart") or "Xbar-R")
        frame = control_points(lots, p, c, kind, fired, points)
        if frame.is_empty():
            continue  # attribute charts (defects) have no inspection means
        spec = specs.get((p, c), {})
        out.append(
            figure(
                charts.control_chart(
                    f"{p} {c}",
                    frame,
                    chart=kind,
                    center=lim.get("center"),
                    lcl=lim.get("lcl"),
                    ucl=lim.get("ucl"),
                    sigma=lim.get("sigma"),
                    range_center=lim.get("range_center"),
                    range_lcl=lim.get("range_lcl"),
                    range_ucl=lim.get("range_ucl"),
                    lsl=spec.get("lsl"),  # type: ignore[arg-type]
                    usl=spec.get("usl"),  # type: ignore[arg-type]
                    value_title=f"{c}, lot mean" if kind != "I-MR" else f"{c}, individual",
                ),
                f"{p} {c}: the last {frame.height} lots (core.inspections) against {kind} "
                "limits with the 1- and 2-sigma zones (history.spc_limits) and the spec limits "
                "(history.capability); red and named: the rules that fired "
                "(history.spc_violations).",
            )
        )
    return out or [charts.no_data("Control charts")]


def capability_figures(
    data: ReportData, cpk_target: float = CPK_TARGET, limit: int = 6
) -> list[Html]:
    """Histograms of the series with the lowest Cpk first; below ``cpk_target`` in red."""
    cap, values = data.table("capability"), data.query("inspection_values")
    if cap is None:
        return [not_available("Capability", "history.capability")]
    if values is None or cap.is_empty():
        return [charts.no_data("Capability")]
    out: list[Html] = []
    for r in cap.sort("cpk", "product_id", "characteristic", nulls_last=True).iter_rows(named=True):
        if len(out) >= limit:
            break
        p, c = str(r["product_id"]), str(r["characteristic"])
        vals = values.filter(pl.col("product_id") == p, pl.col("characteristic") == c)["value"]
        if vals.is_empty():
            continue
        sigma = r.get("sigma_within") or r.get("sigma_overall")
        out.append(
            figure(
                charts.capability_chart(
                    f"{p} {c}",
                    [float(v) for v in vals],
                    lsl=r.get("lsl"),
                    usl=r.get("usl"),
                    mean=r.get("mean"),
                    sigma=sigma,
                    cpk=r.get("cpk"),
                    cpk_target=cpk_target,
                ),
                f"{p} {c}: {vals.len()} measurements of the last 30 days (core.inspections), "
                f"spec limits and the normal fitted with mean and sigma_within "
                f"(history.capability); red: Cpk below {cpk_target:g} ([report] cpk_target).",
            )
        )
    return out or [charts.no_data("Capability")]


def defect_pareto(data: ReportData, limit: int = 12) -> list[Html]:
    frame = data.query("defect_pareto")
    if frame is None:
        return [not_available("Defect Pareto", "core.defects")]
    top = frame.head(limit)
    return [
        figure(
            charts.pareto_chart(
                "Defects by code, last 30 days",
                top.select(
                    pl.col("defect_code").cast(pl.String).alias("label"),
                    pl.col("defect_qty").cast(pl.Float64).fill_null(0.0).alias("value"),
                ),
                x_title="defect code",
                y_title="defective units",
            ),
            "Defective units by defect code over the 30 plant days to as-of, with the "
            "cumulative share (core.defects).",
        )
    ]


def poisson_interval(count: int, units: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a rate per 1,000 units from ``count`` events."""
    if units <= 0:
        return math.nan, math.nan
    # scipy.stats takes about 0.7 s to import: loaded on first use, not when the nightly starts
    from scipy import stats

    a = (1 - level) / 2
    lo = 0.0 if count == 0 else float(stats.chi2.ppf(a, 2 * count)) / 2
    hi = float(stats.chi2.ppf(1 - a, 2 * count + 2)) / 2
    return lo / units * 1000, hi / units * 1000


def complaint_rates(data: ReportData, limit: int = 12) -> pl.DataFrame | None:
    """Per product revision (most complaints first): label, rate per 1,000 units, its 95%
    interval (lo, hi), the siblings' rate (reference) and flagged, from revision_flags."""
    flags = data.table("revision_flags")
    if flags is None:
        return None
    rows = (
        flags.filter(pl.col("units_shipped").fill_null(0) > 0)
        .sort(
            "complaints", "product_id", "revision", descending=[True, False, False], nulls_last=True
        )
        .head(limit)
    )
    bounds = [
        poisson_interval(int(k or 0), float(u))
        for k, u in zip(rows["complaints"], rows["units_shipped"], strict=True)
    ]
    return pl.DataFrame(
        {
            "label": [
                f"{p}@{r}" for p, r in zip(rows["product_id"], rows["revision"], strict=True)
            ],
            "rate": rows["rate_per_1000_units"].cast(pl.Float64),
            "lo": [b[0] for b in bounds],
            "hi": [b[1] for b in bounds],
            "reference": rows["sibling_rate_per_1000_units"].cast(pl.Float64),
            "flagged": rows["flagged"].fill_null(False),
        },
        schema={
            "label": pl.String,
            "rate": pl.Float64,
            "lo": pl.Float64,
            "hi": pl.Float64,
            "reference": pl.Float64,
            "flagged": pl.Boolean,
        },
    )


def feedback_pareto(data: ReportData, limit: int = 12) -> list[Html]:
    frame = data.table("feedback_insights")
    if frame is None:
        return [not_available("Feedback Pareto", "history.feedback_insights")]
    rates = complaint_rates(data, limit)
    by_cat = (
        frame.group_by("category")
        .agg(pl.col("feedback_count").sum())
        .sort("feedback_count", "category", descending=[True, False])
    )
    first = (
        figure(
            charts.rate_chart("Complaint rate per product revision", rates),
            "Complaints, returns and warranty claims per 1,000 units shipped of each revision "
            "with its exact 95% Poisson interval, and the rate of the product's other revisions "
            "(history.revision_flags); red: flagged.",
        )
        if rates is not None
        else not_available("Complaint rate per revision", "history.revision_flags")
    )
    return [
        first,
        figure(
            charts.pareto_chart(
                "Feedback by category",
                by_cat.select(
                    pl.col("category").cast(pl.String).alias("label"),
                    pl.col("feedback_count").cast(pl.Float64).fill_null(0.0).alias("value"),
                ),
                x_title="category",
                y_title="feedback items",
            ),
            "Feedback count per category, all revisions (history.feedback_insights).",
        ),
    ]


def traced(value: object) -> str:
    """A JSON list column as short text."""
    items = as_list(value)
    return ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
