"""The two HTML reports of a snapshot: ``index.html`` (what each department does tomorrow,
and the charts behind it) and ``quality.html`` (SPC, capability, holds, feedback, data
quality). Both are single self-contained documents rendered from the Jinja2 templates
``templates/index.html.j2`` and ``templates/quality.html.j2``; this module turns the
snapshot's frames into the small views those templates lay out.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from twin_core.report import figures
from twin_core.report.blocks import (
    cell,
    frame_table,
    header,
    instruction_sections,
)
from twin_core.report.data import ReportData
from twin_core.report.render import Cell, Table, not_available_text, note_view, page, table_view
from twin_core.report.rules import DEPARTMENTS, Instruction, line_outlooks
from twin_core.report.rules.quality import CPK_TARGET
from twin_core.report.triage import Previous

INDEX_LINKS = (
    ("Quality report", "quality.html"),
    ("Instructions (Markdown)", "instructions.md"),
    ("Instructions (CSV)", "instructions.csv"),
)
QUALITY_LINKS = (
    ("Plant report", "index.html"),
    ("Instructions (CSV)", "instructions.csv"),
    ("Validation", "#validation"),
)

# Rows open on a page before the rest of a table folds into <details> (height budgets):
# the plant report shows the worst few of each table, the quality report a few more.
OPEN_ROWS = 5
INDEX_ROWS = 3
CPK_MIN = CPK_TARGET  # the quality rule's target: below it, an instruction and red


def line_table(data: ReportData, items: list[Instruction]) -> Table:
    """Per line: the numbers of the first forecast day and what each department does."""
    outlooks = line_outlooks(data)
    if not outlooks:
        if data.table("line_forecast") is None:
            return note_view(not_available_text("Line outlook", "history.line_forecast"))
        return note_view("Line outlook: no forecast days after as-of.")
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
    return table_view(
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


@dataclass(frozen=True)
class Changes:
    """The "Since yesterday" section: a note, or the table of new/escalated/resolved."""

    note: str | None
    table: Table | None


def changes_section(items: list[Instruction], resolved: Sequence[Previous]) -> Changes:
    """New today and resolved since the night before, first on the page."""
    new = [i for i in items if i.state == "new" and i.mode != "watch"]
    escalated = [i for i in items if i.state == "escalated"]
    if not any(i.state in ("open", "escalated") for i in items) and not resolved:
        # Nothing to compare with: listing every item as new would repeat the lists below.
        return Changes("First night tracked: every item is new.", None)
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
    if not rows:
        return Changes(None, note_view("No new, escalated or resolved items."))
    return Changes(
        None,
        table_view(
            ["state", "department", "priority", "instruction"],
            rows,
            caption="Source: history.instruction_history (state against the previous "
            "night's instructions, by instruction_key).",
            shown=OPEN_ROWS,
            more=f"{max(0, len(rows) - OPEN_ROWS)} more change(s)",
        ),
    )


def index_html(
    data: ReportData,
    items: list[Instruction],
    resolved: Sequence[Previous] = (),
    max_items: int = 5,
) -> str:
    counts = {d: sum(1 for i in items if i.department == d) for d in DEPARTMENTS}
    outlooks = line_outlooks(data)
    urgent = sum(1 for i in items if i.priority == 1)
    return page(
        "index.html.j2",
        f"Plant report {data.snapshot.as_of}",
        header=header(data, f"Plant report, {data.snapshot.as_of}", INDEX_LINKS),
        cards=[
            ("lines short tomorrow", sum(1 for o in outlooks if o.short)),
            ("lines short in horizon", sum(1 for o in outlooks if o.in_trouble)),
            ("priority 1 items", urgent),
            *[(f"{d} items", n) for d, n in counts.items()],
        ],
        changes=changes_section(items, resolved),
        line_table=line_table(data, items),
        fans=figures.line_fans(data),
        max_items=max_items,
        sections=instruction_sections(items, max_items=max_items),
        oee=figures.oee_figures(data),
        health=frame_table(
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
            shown=INDEX_ROWS,
        ),
        sensors=frame_table(
            _faulty(data.table("sensor_status")),
            source="history.sensor_status",
            what="Sensor faults",
            columns=["sensor_id", "machine_id", "status", "since", "evidence"],
            shown=INDEX_ROWS,
        ),
        inventory=figures.inventory_figures(data),
        materials=frame_table(
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
            shown=INDEX_ROWS,
        ),
        suppliers=frame_table(
            _sorted(data.table("supplier_performance"), "risk_score", descending=True),
            source="history.supplier_performance",
            what="Supplier performance",
            shown=INDEX_ROWS,
        ),
        quality_glance=figures.control_figures(data, limit=1)
        + figures.defect_pareto(data)
        + figures.feedback_pareto(data)[:1],
    )


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


@dataclass(frozen=True)
class DataDocs:
    """Where Great Expectations' Data Docs are, relative to the report (``None``: not built)."""

    href: str | None
    missing: str


def data_docs_link(validation_dir: Path, report_dir: Path) -> DataDocs:
    """A relative link to the Great Expectations Data Docs, if they were built."""
    found = sorted(validation_dir.glob("**/index.html")) if validation_dir.exists() else []
    if not found:
        return DataDocs(None, f"Data Docs: not built yet (expected under {validation_dir}).")
    target = min(found, key=lambda p: (len(p.parts), str(p)))
    return DataDocs(os.path.relpath(target, report_dir), "")


def quality_html(
    data: ReportData,
    items: list[Instruction],
    validation_dir: Path,
    report_dir: Path,
    max_items: int = 5,
    *,
    cpk_target: float = figures.CPK_TARGET,
) -> str:
    viol = data.table("spc_violations")
    validation = data.query("validation_latest")
    return page(
        "quality.html.j2",
        f"Quality report {data.snapshot.as_of}",
        header=header(data, f"Quality report, {data.snapshot.as_of}", QUALITY_LINKS),
        control=figures.control_figures(data, limit=12),
        violations=_violation_series(viol),
        latest_violations=frame_table(
            None if viol is None else _latest(viol),
            source="history.spc_violations",
            what="SPC violations",
            limit=40,
            shown=0,
        ),
        capability=_capability_table(data.table("capability"), cpk_target),
        capability_figures=figures.capability_figures(data, cpk_target),
        cpk_min=CPK_MIN,
        holds=_holds_table(data.table("lots_to_hold")),
        drift=frame_table(
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
            shown=OPEN_ROWS,
        ),
        feedback_charts=figures.feedback_pareto(data),
        revisions=_revisions_table(data.table("revision_flags")),
        feedback=_feedback_table(data),
        complaints=frame_table(
            data.query("recent_feedback"),
            source="core.customer_feedback, last 30 days",
            what="Recent complaints",
            shown=OPEN_ROWS,
        ),
        defects=figures.defect_pareto(data),
        sections=instruction_sections(
            items, departments=("quality", "engineering"), max_items=max_items
        ),
        quarantine=frame_table(
            data.query("quarantine_by_rule"),
            source="quality.quarantine",
            what="Quarantine",
            limit=100,
            shown=OPEN_ROWS,
        ),
        quarantine_rows=frame_table(
            data.query("quarantine_samples"),
            source="quality.quarantine",
            what="Quarantined rows",
            shown=5,
        ),
        expectations=_expectations(validation),
        ingest=frame_table(
            data.query("ingest_files"), source="ingest.files", what="Ingested files", shown=0
        ),
        data_docs=data_docs_link(validation_dir, report_dir),
    )


def _revisions_table(frame: pl.DataFrame | None) -> Table:
    """Revisions against their siblings, most significant first; the test, when every row
    used the same one, named once in the caption instead of in every row."""
    cols = [
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
    ]
    source = "history.revision_flags"
    if frame is not None and "test" in frame.columns and frame["test"].n_unique() == 1:
        cols.remove("test")
        source += f"; test: {frame['test'][0]}"
    return frame_table(
        _sorted(frame, "p_value"),
        source=source,
        what="Revision flags",
        columns=cols,
        shown=OPEN_ROWS,
    )


def _capability_table(frame: pl.DataFrame | None, target: float = CPK_MIN) -> Table:
    """Capability per product and characteristic, lowest Cpk first; Cpk below ``target``
    (``[report] cpk_target``, by default the quality rule's ``CPK_MIN``) in red."""
    cols = ["product_id", "characteristic", "n", "cp", "cpk", "pp", "ppk"]
    if frame is None or frame.is_empty():
        return frame_table(frame, source="history.capability", what="Capability")
    shown = _sorted(frame, "cpk")
    assert shown is not None
    rows = [
        [
            Cell(cell(v), "cpk-low")
            if c == "cpk" and v is not None and float(v) < target
            else Cell(cell(v))
            for c, v in zip(cols, r, strict=True)
        ]
        for r in shown.select(cols).head(200).iter_rows()
    ]
    return table_view(
        cols,
        rows,
        numeric=[False, False, True, True, True, True, True],
        caption=f"Source: history.capability; Cpk below {target:g} in red.",
        shown=OPEN_ROWS,
        more=f"{max(0, len(rows) - OPEN_ROWS)} more characteristic(s), higher Cpk",
    )


def _characteristics(values: pl.Series) -> str:
    names: set[str] = set()
    for v in values:
        if v is None:
            continue
        try:
            parsed = json.loads(v)
        except (TypeError, ValueError):
            parsed = [v]
        names.update(str(x) for x in (parsed if isinstance(parsed, list) else [parsed]))
    return ", ".join(sorted(names))


def hold_groups(frame: pl.DataFrame) -> pl.DataFrame:
    """history.lots_to_hold grouped by product, machine and reason: lots, first and last
    lot (by flag time, then id), the characteristics concerned and the latest evidence."""
    ordered = frame.sort("flagged_at", "lot_id", nulls_last=True)
    grouped = (
        ordered.group_by("product_id", "machine_id", "reason", maintain_order=True)
        .agg(
            pl.col("lot_id").n_unique().alias("lots"),
            pl.col("lot_id").first().alias("first_lot"),
            pl.col("flagged_at").first().alias("first_flagged"),
            pl.col("lot_id").last().alias("last_lot"),
            pl.col("flagged_at").last().alias("last_flagged"),
            pl.col("characteristics"),
            pl.col("evidence").last().alias("latest_evidence"),
        )
        .with_columns(
            pl.col("characteristics").map_elements(_characteristics, return_dtype=pl.String)
        )
    )
    return grouped.sort(
        "lots", "product_id", "machine_id", "reason", descending=[True, False, False, False]
    )


def _holds_table(frame: pl.DataFrame | None) -> Table:
    if frame is None or frame.is_empty():
        return frame_table(frame, source="history.lots_to_hold", what="Lots to hold")
    groups = hold_groups(frame)
    return table_view(
        [
            "product",
            "machine",
            "reason",
            "lots",
            "first lot",
            "last lot",
            "characteristics",
            "evidence (latest lot)",
        ],
        [
            [
                r["product_id"],
                r["machine_id"] or "",
                r["reason"],
                r["lots"],
                f"{r['first_lot']} ({cell(r['first_flagged'])})",
                f"{r['last_lot']} ({cell(r['last_flagged'])})",
                r["characteristics"],
                r["latest_evidence"] or "",
            ]
            for r in groups.iter_rows(named=True)
        ],
        numeric=[False, False, False, True, False, False, False, False],
        caption=f"Source: history.lots_to_hold, {frame.height} rows (one per lot and reason) "
        f"in {groups.height} groups; every lot id is in report.instructions and "
        "twin.lots_to_hold.",
        shown=OPEN_ROWS,
        more=f"{max(0, groups.height - OPEN_ROWS)} more group(s), fewer lots",
    )


# Great Expectations writes an open bound as the largest double (or None): show "none".
_OPEN_BOUND = re.compile(r"\b(min_value|max_value)=(?:-?1\.7976931348623157e\+308|None|-?inf)\b")


def readable_expectation(text: str) -> str:
    """An expectation as the page shows it: open bounds read ``none``."""
    return _OPEN_BOUND.sub(r"\1=none", text)


@dataclass(frozen=True)
class Expectations:
    """The validation section: failed or warned expectations, and how many passed."""

    table: Table
    passed: int
    total: int
    sources: int
    passed_table: Table | None = None


def _expectations(frame: pl.DataFrame | None) -> Expectations:
    if frame is None:
        return Expectations(
            note_view(not_available_text("Validation results", "quality.validation_runs")),
            0,
            0,
            0,
        )
    bad = frame.filter(~pl.col("success") | pl.col("raised"))
    passed = frame.height - bad.height
    cols = ["source", "expectation", "severity", "raised", "unexpected_count", "validated_at"]
    rows = [
        [
            r["source"],
            readable_expectation(str(r["expectation"])),
            "failed to run" if r["raised"] else r["severity"],
            r["raised"],
            r["unexpected_count"],
            r["validated_at"],
        ]
        for r in bad.iter_rows(named=True)
    ]
    table = (
        table_view(
            cols,
            rows,
            numeric=[False, False, False, False, True, False],
            caption="Source: quality.validation_runs (latest run per source); "
            "severity error fails the row or file, warning only reports it.",
            shown=OPEN_ROWS,
        )
        if rows
        else note_view("Every expectation of the latest runs passed (quality.validation_runs).")
    )
    ok = frame.filter(pl.col("success") & ~pl.col("raised"))
    passed_table = (
        table_view(
            ["source", "expectation", "severity", "element_count"],
            [
                [
                    r["source"],
                    readable_expectation(str(r["expectation"])),
                    r["severity"],
                    r["element_count"],
                ]
                for r in ok.iter_rows(named=True)
            ],
            numeric=[False, False, False, True],
            caption="Source: quality.validation_runs (latest run per source).",
        )
        if not ok.is_empty()
        else None
    )
    return Expectations(table, passed, frame.height, frame["source"].n_unique(), passed_table)


def _violation_series(viol: pl.DataFrame | None) -> Table:
    """One row per series (product and characteristic): firings, lots, the rules that
    fired with their counts, and the first and last firing."""
    if viol is None or viol.is_empty():
        return frame_table(viol, source="history.spc_violations", what="SPC violations")
    per_rule = (
        viol.group_by("product_id", "characteristic", "rule")
        .len()
        .sort("len", "rule", descending=[True, False])
        .group_by("product_id", "characteristic", maintain_order=True)
        .agg((pl.col("rule") + " x" + pl.col("len").cast(pl.String)).str.join(", ").alias("rules"))
    )
    series = (
        viol.group_by("product_id", "characteristic")
        .agg(
            pl.len().alias("firings"),
            pl.col("lot_id").n_unique().alias("lots"),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
        )
        .join(per_rule, on=["product_id", "characteristic"], how="left")
        .sort("firings", "product_id", "characteristic", descending=[True, False, False])
    )
    return frame_table(
        series.select(
            "product_id", "characteristic", "firings", "lots", "rules", "first_ts", "last_ts"
        ),
        source="history.spc_violations, grouped by series",
        what="SPC violations",
        limit=100,
        shown=OPEN_ROWS,
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


def _feedback_table(data: ReportData) -> Table:
    frame = data.table("feedback_insights")
    if frame is None:
        return note_view(not_available_text("Feedback by revision", "history.feedback_insights"))
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
        return note_view("Feedback by revision: none in this snapshot.")
    return table_view(
        ["product", "revision", "category", "count", "per 1000 units", "lots", "lines", "machines"],
        rows,
        numeric=[False, False, False, True, True, False, False, False],
        caption="Source: history.feedback_insights.",
        shown=OPEN_ROWS,
    )
