"""Instructions out of the rules and into the warehouse, Markdown and CSV.

Grain: one row per instruction of one snapshot. ``write_instructions`` replaces the
snapshot's rows of history.instructions in one transaction, so running the report twice
for a snapshot leaves one set of rows.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import polars as pl

from twin_core.export import csv_text
from twin_core.report.rules import DEPARTMENTS, Instruction

COLUMNS = (
    "department",
    "priority",
    "action",
    "reason",
    "due_date",
    "entity_type",
    "entity_id",
    "line_id",
    "source",
)


def instructions_frame(items: list[Instruction], snapshot_id: int) -> pl.DataFrame:
    """The rows of history.instructions for a snapshot, in reading order."""
    schema = {
        "snapshot_id": pl.Int64,
        "rank": pl.Int32,
        "department": pl.String,
        "priority": pl.Int32,
        "action": pl.String,
        "reason": pl.String,
        "due_date": pl.Date,
        "entity_type": pl.String,
        "entity_id": pl.String,
        "line_id": pl.String,
        "source": pl.String,
    }
    rows = [
        {"snapshot_id": snapshot_id, "rank": n, **i.as_row()} for n, i in enumerate(items, start=1)
    ]
    return pl.DataFrame(rows, schema=schema)


def write_instructions(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, items: list[Instruction]
) -> int:
    """Replace the snapshot's rows of history.instructions; return how many were written."""
    frame = instructions_frame(items, snapshot_id)
    con.execute("begin transaction")
    try:
        con.execute("delete from history.instructions where snapshot_id = ?", [snapshot_id])
        if frame.height:
            con.register("_instructions", frame.to_arrow())
            try:
                con.execute("insert into history.instructions by name select * from _instructions")
            finally:
                con.unregister("_instructions")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return frame.height


def counts_by_department(items: list[Instruction]) -> dict[str, int]:
    """Instructions per department, every department listed (0 when it has none)."""
    found = Counter(i.department for i in items)
    return {d: found.get(d, 0) for d in DEPARTMENTS}


def md_cell(text: object) -> str:
    # A pipe or a line break would end the Markdown table cell; angle brackets would be
    # read as HTML by renderers that allow it (the Prefect UI does not, others may).
    return (
        ("" if text is None else str(text))
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\r", " ")
        .replace("\n", " ")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def instructions_markdown(items: list[Instruction], title: str) -> str:
    """One table per department: priority, due date, action, reason."""
    lines = [f"# {title}", ""]
    for department in DEPARTMENTS:
        mine = [i for i in items if i.department == department]
        lines += [f"## {department.capitalize()} ({len(mine)})", ""]
        if not mine:
            lines += ["Nothing to do.", ""]
            continue
        lines += ["| # | priority | due | action | reason |", "|---|---|---|---|---|"]
        for n, i in enumerate(mine, start=1):
            lines.append(
                f"| {n} | {i.priority} | {i.due_date or ''} | {md_cell(i.action)} "
                f"| {md_cell(i.reason)} |"
            )
        lines.append("")
    return "\n".join(lines)


def instructions_csv(items: list[Instruction], snapshot_id: int) -> str:
    """CSV with one row per instruction; text cells are spreadsheet-safe."""
    rows = [[snapshot_id, *[i.as_row()[c] for c in COLUMNS]] for i in items]
    return csv_text(["snapshot_id", *COLUMNS], rows)
