"""Build one snapshot's instructions and reports: the library entry point of ``twin report``
and the Prefect flow ``report``.

Writes history.instructions for the snapshot (its rows replaced: idempotent) and, under
``settings.reports_dir / <as_of>/``: index.html, quality.html, instructions.md and
instructions.csv. The same snapshot gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from twin_core.export import jsonable
from twin_core.report.coverage import coverage_markdown
from twin_core.report.data import ReportData, load_report_data, resolve_snapshot
from twin_core.report.instructions import (
    COLUMNS,
    counts_by_department,
    history_frame,
    instructions_csv,
    instructions_markdown,
    md_cell,
    previous_instructions,
    write_instructions,
)
from twin_core.report.pages import index_html, quality_html
from twin_core.report.rules import Instruction, compute_instructions, line_outlooks
from twin_core.report.triage import track
from twin_core.settings import Settings
from twin_core.shared_files import share_folders, write_text
from twin_core.warehouse import open_warehouse


@dataclass(frozen=True)
class ReportResult:
    """What a report run produced (small: safe to return from a Prefect task)."""

    snapshot_id: int
    as_of: date
    paths: dict[str, Path]
    counts: dict[str, int]
    summary_markdown: str
    instructions_markdown: str
    instructions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all (a reader never sees half a report), 0644."""
    write_text(path, text)


def summary_markdown(data: ReportData, items: list[Instruction]) -> str:
    """The morning summary: per line, the gap and which departments act on it; counts."""
    s = data.snapshot
    counts = counts_by_department(items)
    lines = [
        f"# Plant twin report {s.as_of}",
        "",
        f"Snapshot {s.snapshot_id} (plant-twin {s.code_version}). "
        f"{sum(counts.values())} instructions: "
        + ", ".join(f"{d} {n}" for d, n in counts.items())
        + ".",
        "",
        *coverage_markdown(data),
        "| line | day | required | p50 | p10 | gap | horizon gap | production | maintenance | procurement |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in line_outlooks(data):
        named = {
            d: sum(1 for i in items if i.line_id == o.line_id and i.department == d)
            for d in ("production", "maintenance", "procurement")
        }
        lines.append(
            f"| {md_cell(o.line_id)} | {o.day} | {o.required:.0f} | {o.p50:.0f} | {o.p10:.0f} | "
            f"{o.gap:.0f} | {o.horizon_gap:.0f} | {named['production']} | "
            f"{named['maintenance']} | {named['procurement']} |"
        )
    urgent = [i for i in items if i.priority == 1]
    lines += ["", f"## Priority 1 ({len(urgent)})", ""]
    lines += [f"- **{i.department}**: {md_cell(i.action)}" for i in urgent[:15]] or ["None."]
    if len(urgent) > 15:
        lines.append(f"- ... and {len(urgent) - 15} more (instructions.md)")
    return "\n".join(lines) + "\n"


def report_snapshot(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    as_of: date | None = None,
    snapshot_id: int | None = None,
) -> ReportResult:
    """Build the instructions and reports of a snapshot on an open warehouse connection."""
    snap = resolve_snapshot(con, as_of=as_of, snapshot_id=snapshot_id)
    data = load_report_data(con, snap)
    previous_as_of, previous = previous_instructions(con, snap.as_of)
    items, resolved = track(compute_instructions(data), previous, snap.as_of)
    write_instructions(
        con,
        snap.snapshot_id,
        items,
        history_frame(snap.snapshot_id, snap.as_of, items, resolved, previous_as_of),
    )
    out = settings.reports_dir / snap.as_of.isoformat()
    # The report folders are for others to read (a web server, a colleague): 0755 even when
    # `twin init` ran under a umask that made reports/ private.
    share_folders(settings.reports_dir, out)
    title = f"Instructions for {snap.tomorrow} (as of {snap.as_of}, snapshot {snap.snapshot_id})"
    md = instructions_markdown(items, title)
    paths = {
        "index": out / "index.html",
        "quality": out / "quality.html",
        "instructions_md": out / "instructions.md",
        "instructions_csv": out / "instructions.csv",
    }
    _write(
        paths["index"],
        index_html(data, items, resolved, settings.report.max_items_per_department),
    )
    _write(
        paths["quality"],
        quality_html(
            data,
            items,
            settings.validation_dir,
            out,
            settings.report.max_items_per_department,
            cpk_target=settings.report.cpk_target,
        ),
    )
    _write(paths["instructions_md"], md)
    _write(paths["instructions_csv"], instructions_csv(items, snap.snapshot_id))
    return ReportResult(
        snapshot_id=snap.snapshot_id,
        as_of=snap.as_of,
        paths=paths,
        counts=counts_by_department(items),
        summary_markdown=summary_markdown(data, items),
        instructions_markdown=md,
        instructions=[{c: jsonable(i.full_row()[c]) for c in COLUMNS} for i in items],
    )


def build_reports(
    settings: Settings, *, as_of: date | None = None, snapshot_id: int | None = None
) -> ReportResult:
    """Instructions and reports of a snapshot: ``snapshot_id``, else the latest complete
    snapshot of ``as_of``, else the latest complete snapshot."""
    with open_warehouse(settings) as con:
        return report_snapshot(con, settings, as_of=as_of, snapshot_id=snapshot_id)
