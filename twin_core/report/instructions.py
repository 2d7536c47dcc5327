"""Instructions out of the rules and into the warehouse, Markdown and CSV.

Grain: one row per instruction of one snapshot. ``write_instructions`` replaces the
snapshot's rows of history.instructions in one transaction, so running the report twice
for a snapshot leaves one set of rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import duckdb
import polars as pl

from twin_core.export import csv_text
from twin_core.report.rules import DEPARTMENTS, Instruction
from twin_core.report.triage import Previous
from twin_core.tables import polars_schema
from twin_core.warehouse import append_frame, fetch_polars, transaction

# The instruction columns of history.instructions (all but snapshot_id and rank), declared in
# twin_core/tables.py.
COLUMNS = tuple(polars_schema("history.instructions", without=("snapshot_id", "rank")))


def instructions_frame(items: list[Instruction], snapshot_id: int) -> pl.DataFrame:
    """The rows of history.instructions for a snapshot, in reading order."""
    schema = polars_schema("history.instructions")
    rows = [
        {"snapshot_id": snapshot_id, "rank": n, **i.full_row()}
        for n, i in enumerate(items, start=1)
    ]
    return pl.DataFrame(rows, schema=schema)


def previous_instructions(
    con: duckdb.DuckDBPyConnection, as_of: date
) -> tuple[date | None, dict[str, Previous]]:
    """The instructions of the night before: the latest complete snapshot with an earlier
    as-of date that has instructions, by key (rows written before keys existed have none)."""
    row = con.execute(
        "select s.snapshot_id, s.as_of from history.snapshots s where s.status = 'complete' "
        "and s.as_of < ? and exists (select 1 from history.instructions i "
        "where i.snapshot_id = s.snapshot_id) order by s.as_of desc, s.snapshot_id desc limit 1",
        [as_of],
    ).fetchone()
    if row is None:
        return None, {}
    frame = fetch_polars(
        con,
        "select * from history.instructions where snapshot_id = ? and instruction_key is not null "
        "order by rank",
        [row[0]],
    )
    out: dict[str, Previous] = {}
    for r in frame.iter_rows(named=True):
        out[str(r["instruction_key"])] = Previous(
            str(r["instruction_key"]),
            int(r["priority"]),
            r.get("loss"),
            r.get("first_seen"),
            r.get("nights_open"),
            r,
        )
    return row[1], out


def history_frame(
    snapshot_id: int,
    as_of: date,
    items: list[Instruction],
    resolved: list[Previous],
    previous_as_of: date | None,
) -> pl.DataFrame:
    """Rows of history.instruction_history for one night: its items and the keys resolved."""
    rows: list[dict[str, Any]] = [
        {
            "instruction_key": i.instruction_key,
            "state": i.state or "new",
            "department": i.department,
            "kind": i.kind,
            "priority": i.priority,
            "loss": i.loss,
            "loss_unit": i.loss_unit,
            "cause_id": i.cause_id,
            "entity_type": i.entity_type,
            "entity_id": i.entity_id,
            "action": i.action,
            "first_seen": i.first_seen,
            "nights_open": i.nights_open,
        }
        for i in items
    ]
    rows += [
        {
            "instruction_key": p.instruction_key,
            "state": "resolved",
            "department": p.row.get("department"),
            "kind": p.row.get("kind"),
            "priority": p.priority,
            "loss": p.loss,
            "loss_unit": p.row.get("loss_unit"),
            "cause_id": p.row.get("cause_id"),
            "entity_type": p.row.get("entity_type"),
            "entity_id": p.row.get("entity_id"),
            "action": p.row.get("action"),
            "first_seen": p.first_seen,
            "nights_open": p.nights_open,
        }
        for p in resolved
    ]
    schema = {
        "snapshot_id": pl.Int64,
        "as_of": pl.Date,
        "instruction_key": pl.String,
        "state": pl.String,
        "department": pl.String,
        "kind": pl.String,
        "priority": pl.Int32,
        "loss": pl.Float64,
        "loss_unit": pl.String,
        "cause_id": pl.String,
        "entity_type": pl.String,
        "entity_id": pl.String,
        "action": pl.String,
        "first_seen": pl.Date,
        "nights_open": pl.Int32,
        "previous_as_of": pl.Date,
    }
    full = [
        {"snapshot_id": snapshot_id, "as_of": as_of, **r, "previous_as_of": previous_as_of}
        for r in rows
    ]
    return pl.DataFrame(full, schema=schema)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to history.<table> (``table`` is one of this module's)."""
    append_frame(con, "history", table, frame)


def write_instructions(
    con: duckdb.DuckDBPyConnection,
    snapshot_id: int,
    items: list[Instruction],
    history: pl.DataFrame | None = None,
) -> int:
    """Replace the snapshot's rows of history.instructions (and, given, of
    history.instruction_history) in one transaction; return how many instructions were written."""
    frame = instructions_frame(items, snapshot_id)
    with transaction(con):
        con.execute("delete from history.instructions where snapshot_id = ?", [snapshot_id])
        _insert(con, "instructions", frame)
        if history is not None:
            con.execute(
                "delete from history.instruction_history where snapshot_id = ?", [snapshot_id]
            )
            _insert(con, "instruction_history", history)
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
    """One table per department: priority, state, due date, action, loss, reason."""
    lines = [f"# {title}", ""]
    for department in DEPARTMENTS:
        mine = [i for i in items if i.department == department]
        lines += [f"## {department.capitalize()} ({len(mine)})", ""]
        if not mine:
            lines += ["Nothing to do.", ""]
            continue
        lines += [
            "| # | priority | state | due | action | loss prevented | reason |",
            "|---|---|---|---|---|---|---|",
        ]
        for n, i in enumerate(mine, start=1):
            state = (i.state or "") + (
                f" ({i.nights_open} nights)" if (i.nights_open or 0) > 1 else ""
            )
            lines.append(
                f"| {n} | {i.priority}{' watch' if i.mode == 'watch' else ''} | {state} "
                f"| {i.due_date or ''} | {md_cell(i.action)} | {md_cell(i.loss_text())} "
                f"| {md_cell(i.reason)} |"
            )
        lines.append("")
    return "\n".join(lines)


def instructions_csv(items: list[Instruction], snapshot_id: int) -> str:
    """CSV with one row per instruction; text cells are spreadsheet-safe."""
    rows = [[snapshot_id, *[i.full_row()[c] for c in COLUMNS]] for i in items]
    return csv_text(["snapshot_id", *COLUMNS], rows)
