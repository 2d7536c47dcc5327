"""Building blocks the report pages share: header, value formatting, frame tables,
instruction tables and "not available" notes, as view models for the templates.

Every block states the table its numbers come from, so a reader can trace any number to
a table of the snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from twin_core.report.coverage import Banner, coverage_view
from twin_core.report.data import ReportData
from twin_core.report.html import Html
from twin_core.report.render import (
    Table,
    cell,
    frame_view,
    macro,
    not_available_text,
    split_long,
)
from twin_core.report.rules import DEPARTMENTS, Instruction

__all__ = [
    "Header",
    "InstructionRow",
    "InstructionSection",
    "cell",
    "figure",
    "frame_table",
    "header",
    "instruction_sections",
    "instruction_tables",
    "not_available",
]


def not_available(what: str, table_name: str) -> Html:
    return macro("not_available", not_available_text(what, table_name))


def frame_table(
    frame: pl.DataFrame | None,
    *,
    source: str,
    what: str,
    columns: Sequence[str] | None = None,
    limit: int = 50,
    shown: int | None = None,
) -> Table:
    """A polars frame as a table (first ``limit`` rows, the first ``shown`` of them open)."""
    return frame_view(frame, source=source, what=what, columns=columns, limit=limit, shown=shown)


@dataclass(frozen=True)
class Header:
    title: str
    meta: str
    links: Sequence[tuple[str, str]]
    banner: Banner


def header(data: ReportData, title: str, links: Sequence[tuple[str, str]]) -> Header:
    s = data.snapshot
    created = cell(s.created_at) if s.created_at else "?"
    return Header(
        title=title,
        meta=f"As of {s.as_of} (plant days in {s.timezone}); snapshot {s.snapshot_id}, built "
        f"{created} UTC by plant-twin {s.code_version}. Every number below comes from this "
        "snapshot's history.* tables (or the core table named beside it).",
        links=links,
        banner=coverage_view(data),
    )


# A reason longer than this shows its first words; the rest opens below (nothing is cut).
REASON_TEXT = 150


@dataclass(frozen=True)
class InstructionRow:
    priority: int
    watch: bool
    state: str
    due: str
    action: str
    reason: str
    reason_tail: str
    loss: str
    entity: str


def _row(i: Instruction) -> InstructionRow:
    state = i.state or ""
    if (i.nights_open or 0) > 1:
        state += f", {i.nights_open} nights (since {i.first_seen})"
    reason, tail = split_long(i.reason, REASON_TEXT)
    return InstructionRow(
        priority=i.priority,
        watch=i.mode == "watch",
        state=state,
        due=cell(i.due_date),
        action=i.action,
        reason=reason,
        reason_tail=tail,
        loss=i.loss_text(),
        entity=f"{i.entity_type} {i.entity_id}",
    )


@dataclass(frozen=True)
class InstructionSection:
    department: str
    count: int
    shown: list[InstructionRow]
    rest: list[InstructionRow]


def instruction_sections(
    items: list[Instruction],
    departments: Sequence[str] = DEPARTMENTS,
    max_items: int | None = None,
) -> list[InstructionSection]:
    """One section per department, in reading order. With ``max_items`` the first that many
    actions show; the rest of the department (and its watch notes) sit below, collapsed."""
    out = []
    for department in departments:
        mine = [i for i in items if i.department == department]
        if max_items is None:
            shown, rest = mine, []
        else:
            shown = [i for i in mine if i.mode != "watch"][:max_items]
            rest = [i for i in mine if i not in shown]
        out.append(
            InstructionSection(
                department, len(mine), [_row(i) for i in shown], [_row(i) for i in rest]
            )
        )
    return out


def instruction_tables(
    items: list[Instruction],
    departments: Sequence[str] = DEPARTMENTS,
    max_items: int | None = None,
) -> list[Html]:
    """The department sections as HTML fragments (what the templates render)."""
    return [
        macro("instruction_section", s) for s in instruction_sections(items, departments, max_items)
    ]


def figure(chart: Html, caption: str) -> Html:
    return macro("figure", chart, caption)
