"""The two HTML reports of a snapshot: ``index.html`` (what each department does tomorrow,
and the charts behind it) and ``quality.html`` (SPC, capability, holds, feedback, data
quality). Both are single self-contained documents.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from twin_core.report import figures
from twin_core.report.blocks import (
    cards,
    cell,
    frame_table,
    header,
    instruction_tables,
    not_available,
)
from twin_core.report.data import ReportData
from twin_core.report.html import Html, el, page, table
from twin_core.report.rules import DEPARTMENTS, Instruction, line_outlooks
from twin_core.report.triage import Previous

INDEX_LINKS = (
    ("Quality report", "quality.html"),
    ("Instructions (Markdown)", "instructions.md"),
    ("Instructions (CSV)", "instructions.csv"),
)
QUALITY_LINKS = (("Plant report", "index.html"), ("Instructions (CSV)", "instructions.csv"))


def _grid(items: list[Html]) -> Html:
    return el("div", items, class_="grid")


def line_table(data: ReportData, items: list[Instruction]) -> Html:
    """Per line: the numbers of the first forecast day and what each department does."""
    outlooks = line_outlooks(data)
    if not outlooks:
        if data.table("line_forecast") is None:
            return not_available("Line outlook", "history.line_forecast")
        return el("p", "Line outlook: no forecast days after as-of.", class_="na")
    rows = []
    for o in outlooks:
        named = {
            d: sum(1 for i in items if i.line_id == o.line_id and i.department == d)
            for d in DEPARTMENTS[:3]
        }
        rows.append(
            [
                o.line_id,
                cell(o.day),
                cell(o.required),
                cell(o.p50),
                cell(o.p10),
                cell(o.gap),
                "" if o.takt_s is None else f"{o.takt_s:.0f}",
                o.bottleneck or "",
                cell(o.horizon_gap),
                ", ".join(f"{d} {n}" for d, n in named.items() if n) or "-",
            ]
        )
    return table(
        [
            "line",
            "day",
            "required",
            "p50",
            "p10",
            "gap",
            "takt s",
            "bottleneck",
            "gap over horizon",
            "items naming it",
        ],
        rows,
        numeric=[False, False, True, True, True, True, True, False, True, False],
        caption="Source: history.line_forecast (required, p10, p50); takt = planned hours / "
        "required; items from history.instructions.",
    )


def changes_section(items: list[Instruction], resolved: Sequence[Previous]) -> list[Html]:
    """New today and resolved since the night before, first on the page."""
    new = [i for i in items if i.state == "new" and i.mode != "watch"]
    escalated = [i for i in items if i.state == "escalated"]
    out: list[Html] = [el("h2", "Since yesterday")]
    if not any(i.state in ("open", "escalated") for i in items) and not resolved:
        # Nothing to compare with: listing every item as new would repeat the lists below.
        out.append(el("p", "First night tracked: every item is new.", class_="note"))
        return out
    rows = (
        [["new", i.department, f"P{i.priority}", i.action] for i in new]
        + [["escalated", i.department, f"P{i.priority}", i.action] for i in escalated]
        + [
            [
                "resolved",
                str(p.row.get("department") or ""),
                f"P{p.priority}",
                str(p.row.get("action") or ""),
            ]
            for p in resolved
        ]
    )
    if rows:
        out.append(
            table(
                ["state", "department", "priority", "instruction"],
                rows,
                caption="Source: history.instruction_history (state against the previous "
                "night's instructions, by instruction_key).",
            )
        )
    else:
        out.append(el("p", "No new, escalated or resolved items.", class_="na"))
    return out


def index_html(
    data: ReportData,
    items: list[Instruction],
    resolved: Sequence[Previous] = (),
    max_items: int = 5,
) -> str:
    counts = {d: sum(1 for i in items if i.department == d) for d in DEPARTMENTS}
    outlooks = line_outlooks(data)
    urgent = sum(1 for i in items if i.priority == 1)
    body: list[Html] = [
        *header(data, f"Plant report, {data.snapshot.as_of}", INDEX_LINKS),
        cards(
            [
                ("lines short tomorrow", sum(1 for o in outlooks if o.short)),
                ("lines short in horizon", sum(1 for o in outlooks if o.in_trouble)),
                ("priority 1 items", urgent),
                *[(f"{d} items", n) for d, n in counts.items()],
            ]
        ),
        *changes_section(items, resolved),
        el("h2", "Lines: will they make the required output?"),
        line_table(data, items),
        _grid(figures.line_fans(data)),
        el("h2", "Tomorrow's instructions"),
        el(
            "p",
            f"At most {max_items} actions per department here ([report] "
            "max_items_per_department); the rest are under each list, and every item is in "
            "report.instructions, instructions.csv and instructions.md.",
            class_="note",
        ),
        *instruction_tables(items, max_items=max_items),
        el("h2", "Machines"),
        _grid(figures.oee_figures(data)),
        el("h3", "Machine health"),
        frame_table(
            _sorted(data.table("machine_health"), "health_score"),
            source="history.machine_health",
            what="Machine health",
            columns=[
                "machine_id",
                "line_id",
                "health_score",
                "anomalies",
                "predicted_limit_date",
                "evidence",
            ],
        ),
        el("h3", "Sensors with faults"),
        frame_table(
            _faulty(data.table("sensor_status")),
            source="history.sensor_status",
            what="Sensor faults",
            columns=["sensor_id", "machine_id", "status", "since", "evidence"],
        ),
        el("h2", "Materials and suppliers"),
        _grid(figures.inventory_figures(data)),
        el("h3", "Material status (least cover first)"),
        frame_table(
            _sorted(data.table("material_status"), "days_of_cover"),
            source="history.material_status",
            what="Material status",
            columns=[
                "material_id",
                "supplier_id",
                "on_hand",
                "days_of_cover",
                "days_of_cover_unbounded",
                "stockout_date",
                "safety_stock",
                "reorder_point",
                "order_qty",
                "order_by_date",
            ],
            limit=25,
        ),
        el("h3", "Supplier performance (riskiest first)"),
        frame_table(
            _sorted(data.table("supplier_performance"), "risk_score", descending=True),
            source="history.supplier_performance",
            what="Supplier performance",
        ),
        el("h2", "Quality at a glance"),
        el(
            "p",
            "Details, capability, holds and data quality: ",
            el("a", "quality report", href="quality.html"),
            ".",
        ),
        _grid(
            figures.control_figures(data, limit=2)
            + figures.defect_pareto(data)
            + figures.feedback_pareto(data)[:1]
        ),
    ]
    return page(f"Plant report {data.snapshot.as_of}", body)


def _sorted(
    frame: pl.DataFrame | None, column: str, *, descending: bool = False
) -> pl.DataFrame | None:
    if frame is None or frame.is_empty() or column not in frame.columns:
        return frame
    return frame.sort(column, frame.columns[0], descending=[descending, False], nulls_last=True)


def _faulty(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    if frame is None or frame.is_empty():
        return frame
    return frame.filter(pl.col("status") != "ok").sort("sensor_id")


def data_docs_link(validation_dir: Path, report_dir: Path) -> Html:
    """A relative link to the Great Expectations Data Docs, if they were built."""
    found = sorted(validation_dir.glob("**/index.html")) if validation_dir.exists() else []
    if not found:
        return el(
            "p",
            f"Data Docs: not built yet (expected under {validation_dir}).",
            class_="na",
        )
    target = min(found, key=lambda p: (len(p.parts), str(p)))
    rel = os.path.relpath(target, report_dir)
    return el("p", "Great Expectations Data Docs: ", el("a", rel, href=rel))


def quality_html(
    data: ReportData,
    items: list[Instruction],
    validation_dir: Path,
    report_dir: Path,
    cpk_target: float = figures.CPK_TARGET,
) -> str:
    viol = data.table("spc_violations")
    body: list[Html] = [
        *header(data, f"Quality report, {data.snapshot.as_of}", QUALITY_LINKS),
        el("h2", "Control charts"),
        _grid(figures.control_figures(data, limit=12)),
        el("h3", "Rule violations by series and rule"),
        frame_table(
            _violation_summary(viol),
            source="history.spc_violations",
            what="SPC violations",
            limit=100,
        ),
        el("h3", "Latest rule violations"),
        frame_table(
            None if viol is None else _latest(viol),
            source="history.spc_violations",
            what="SPC violations",
            limit=40,
        ),
        el("h2", "Capability"),
        _grid(figures.capability_figures(data, cpk_target)),
        frame_table(
            _sorted(data.table("capability"), "cpk"),
            source="history.capability",
            what="Capability",
            columns=["product_id", "characteristic", "n", "cp", "cpk", "pp", "ppk"],
            limit=200,
        ),
        el("p", "Cpk below 1.33 gets a quality instruction.", class_="note"),
        el("h2", "Lots on hold"),
        frame_table(
            _sorted(data.table("lots_to_hold"), "flagged_at", descending=True),
            source="history.lots_to_hold",
            what="Lots to hold",
            limit=200,
        ),
        el("h2", "Sensor drift that predicts quality"),
        frame_table(
            _sorted(data.table("quality_drift"), "p_value"),
            source="history.quality_drift",
            what="Quality drift",
            columns=[
                "machine_id",
                "metric",
                "product_id",
                "characteristic",
                "link",
                "direction",
                "first_alarm_ts",
                "alarm_lots",
                "max_ewma",
                "p_value",
                "predicted_shift",
                "lead_hours",
            ],
        ),
        el("h2", "Customer feedback by revision"),
        _grid(figures.feedback_pareto(data)),
        el("h3", "Revisions tested against their siblings"),
        frame_table(
            _sorted(data.table("revision_flags"), "p_value"),
            source="history.revision_flags",
            what="Revision flags",
            columns=[
                "product_id",
                "revision",
                "flagged",
                "complaints",
                "units_shipped",
                "rate_per_1000_units",
                "sibling_rate_per_1000_units",
                "test",
                "p_value",
                "themes",
                "lines",
            ],
        ),
        el("h3", "Feedback per revision and category"),
        _feedback_table(data),
        el("h3", "Recent complaints, returns and warranty claims"),
        frame_table(
            data.query("recent_feedback"),
            source="core.customer_feedback, last 30 days",
            what="Recent complaints",
        ),
        el("h2", "Defects"),
        _grid(figures.defect_pareto(data)),
        el("h2", "Quality and engineering instructions"),
        *instruction_tables(items, departments=("quality", "engineering")),
        el("h2", "Data quality"),
        el("h3", "Quarantined rows by source and rule"),
        frame_table(
            data.query("quarantine_by_rule"),
            source="quality.quarantine",
            what="Quarantine",
            limit=100,
        ),
        el("h3", "Latest quarantined rows"),
        frame_table(
            data.query("quarantine_samples"), source="quality.quarantine", what="Quarantined rows"
        ),
        el("h3", "Validation results (latest run per source, failures first)"),
        frame_table(
            data.query("validation_latest"),
            source="quality.validation_runs",
            what="Validation results",
            limit=200,
        ),
        el("h3", "Ingest reconciliation"),
        frame_table(data.query("ingest_files"), source="ingest.files", what="Ingested files"),
        data_docs_link(validation_dir, report_dir),
    ]
    return page(f"Quality report {data.snapshot.as_of}", body)


def _violation_summary(viol: pl.DataFrame | None) -> pl.DataFrame | None:
    """One row per product, characteristic and rule: firings, lots and the last one."""
    if viol is None or viol.is_empty():
        return viol
    return (
        viol.group_by("product_id", "characteristic", "rule")
        .agg(
            pl.len().alias("firings"),
            pl.col("lot_id").n_unique().alias("lots"),
            pl.col("ts").max().alias("last_ts"),
        )
        .sort(
            "firings",
            "product_id",
            "characteristic",
            "rule",
            descending=[True, False, False, False],
        )
    )


def _latest(viol: pl.DataFrame) -> pl.DataFrame:
    if viol.is_empty() or "ts" not in viol.columns:
        return viol
    return viol.sort(
        "ts",
        "product_id",
        "characteristic",
        "lot_id",
        "rule",
        descending=[True, False, False, False, False],
        nulls_last=True,
    )


def _feedback_table(data: ReportData) -> Html:
    frame = data.table("feedback_insights")
    if frame is None:
        return not_available("Feedback by revision", "history.feedback_insights")
    shown = frame.sort(
        "rate_per_1000_units", "product_id", descending=[True, False], nulls_last=True
    )
    rows = [
        [
            r["product_id"],
            r.get("revision") or "",
            r["category"],
            cell(r.get("feedback_count")),
            cell(r.get("rate_per_1000_units")),
            figures.traced(r.get("lots")),
            figures.traced(r.get("lines")),
            figures.traced(r.get("machines")),
        ]
        for r in shown.head(100).iter_rows(named=True)
    ]
    if not rows:
        return el("p", "Feedback by revision: none in this snapshot.", class_="na")
    return table(
        ["product", "revision", "category", "count", "per 1000 units", "lots", "lines", "machines"],
        rows,
        numeric=[False, False, False, True, True, False, False, False],
        caption="Source: history.feedback_insights.",
    )
