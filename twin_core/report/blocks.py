"""Building blocks both report pages share: header, value formatting, frame tables,
instruction tables and "not available" notes.

Every block states the table its numbers come from, so a reader can trace any number to
a table of the snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from twin_core.report.coverage import coverage_banner
from twin_core.report.data import ReportData
from twin_core.report.html import Html, el, table
from twin_core.report.rules import DEPARTMENTS, Instruction


def cell(v: Any) -> str:
    """A value as a table shows it: floats to 2 decimals (0 for big ones), dates ISO."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return ""
        return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.2f}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def not_available(what: str, table_name: str) -> Html:
    return el(
        "p", f"{what}: not available ({table_name} does not exist in this warehouse).", class_="na"
    )


def frame_table(
    frame: pl.DataFrame | None,
    *,
    source: str,
    what: str,
    columns: Sequence[str] | None = None,
    limit: int = 50,
) -> Html:
    """A polars frame as an escaped HTML table (first ``limit`` rows), with its source."""
    if frame is None:
        return not_available(what, source)
    if frame.is_empty():
        return el("p", f"{what}: none in this snapshot ({source}).", class_="na")
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    shown = frame.select(cols).head(limit)
    numeric = [shown.schema[c].is_numeric() for c in cols]
    more = f"; first {limit} of {frame.height} rows" if frame.height > limit else ""
    return el(
        "div",
        table(
            cols,
            [[cell(v) for v in row] for row in shown.iter_rows()],
            numeric=numeric,
            caption=f"Source: {source}{more}.",
        ),
        class_="scroll",
    )


def header(data: ReportData, title: str, links: Sequence[tuple[str, str]]) -> list[Html]:
    s = data.snapshot
    created = cell(s.created_at) if s.created_at else "?"
    return [
        el("h1", title),
        el(
            "p",
            f"As of {s.as_of} (plant days in {s.timezone}); snapshot {s.snapshot_id}, built "
            f"{created} UTC by plant-twin {s.code_version}. Every number below comes from this "
            "snapshot's history.* tables (or the core table named beside it).",
            class_="meta",
        ),
        el("nav", [el("a", label, href=href) for label, href in links]),
        coverage_banner(data),
    ]


def priority_badge(priority: int) -> Html:
    return el("span", f"P{priority}", class_=f"badge p{min(priority, 5)}")


def _instruction_rows(items: Sequence[Instruction]) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in items:
        state = i.state or ""
        if (i.nights_open or 0) > 1:
            state += f", {i.nights_open} nights (since {i.first_seen})"
        rows.append(
            [
                Html(priority_badge(i.priority) + (" watch" if i.mode == "watch" else "")),
                state,
                cell(i.due_date),
                Html(el("div", i.action) + el("div", i.reason, class_="reason")),
                i.loss_text(),
                f"{i.entity_type} {i.entity_id}",
            ]
        )
    return rows


INSTRUCTION_HEADERS = [
    "priority",
    "state",
    "due",
    "action and the numbers behind it",
    "loss prevented",
    "entity",
]


def instruction_tables(
    items: list[Instruction],
    departments: Sequence[str] = DEPARTMENTS,
    max_items: int | None = None,
) -> list[Html]:
    """One table per department, in reading order. With ``max_items`` the first that many
    actions show; the rest of the department (and its watch notes) sit below, collapsed."""
    out: list[Html] = []
    for department in departments:
        mine = [i for i in items if i.department == department]
        out.append(el("h3", f"{department.capitalize()} ({len(mine)})", id=f"dept-{department}"))
        if not mine:
            out.append(el("p", "Nothing to do.", class_="na"))
            continue
        caption = "Source: history.instructions (tables named in each reason)."
        if max_items is None:
            shown, rest = mine, []
        else:
            actions = [i for i in mine if i.mode != "watch"]
            shown = actions[:max_items]
            rest = [i for i in mine if i not in shown]
        out.append(table(INSTRUCTION_HEADERS, _instruction_rows(shown), caption=caption))
        if rest:
            out.append(
                el(
                    "details",
                    el(
                        "summary",
                        f"{len(rest)} more {department} item(s) (lower priority or watch notes)",
                    ),
                    table(INSTRUCTION_HEADERS, _instruction_rows(rest), caption=caption),
                    class_="more",
                )
            )
    return out


def cards(items: Sequence[tuple[str, object]]) -> Html:
    return el(
        "div",
        [el("div", el("b", cell(v)), label, class_="card") for label, v in items],
        class_="cards",
    )


def figure(chart: Html, caption: str) -> Html:
    return el("figure", chart, el("figcaption", caption))
