"""What the twin cannot say: one note per department whose inputs are missing for the as-of
day, in place of the items those missing inputs would produce (an item standing on a source
missing for its line or the site is dropped); one item per machine whose
sensors stopped reporting (not one per sensor), or per line when two or more of its machines
went wholly silent; and a "(partial input: ...)" note on the reason of every item whose inputs
are partial.

Grain: one "cannot say" item per department and missing source (history.data_coverage rows of
the as-of day with status missing); one item per line with two or more wholly silent machines,
else one per machine with two or more dropout sensors.
An item's inputs are the history tables its ``source`` names, mapped to contract sources by
``twin_core.twin.coverage.STAMPS`` (and the ``core.<machine source>`` tables it names), on its
line (its own, its machine's, or its cause's) for the as-of day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import polars as pl

from twin_core.report.data import ReportData
from twin_core.report.rules._common import Instruction, num, records, short_list
from twin_core.twin.coverage import MACHINE_SOURCES, STAMPS

# Which departments' items stand on which source.
DEPARTMENTS_OF = {
    "sensor_readings": ("maintenance",),
    "machine_events": ("production", "maintenance"),
    "production": ("production",),
    "inventory": ("procurement",),
    "inspections": ("quality",),
    "defects": ("quality",),
    "customer_feedback": ("engineering",),
}
WHAT = {
    "sensor_readings": "machine health and sensor faults",
    "machine_events": "OEE, reliability and the line forecast",
    "production": "output, OEE and the line forecast",
    "inventory": "stock cover and stockouts",
    "inspections": "control charts, capability and lots to hold",
    "defects": "attribute charts",
    "customer_feedback": "feedback by revision",
}


def missing_sources(data: ReportData) -> dict[str, list[dict[str, Any]]]:
    """Required sources ([coverage.<source>] required) missing on the as-of day (by source;
    rows per line or site). An optional source with no rows on a day is not a gap to report."""
    frame = data.table("data_coverage")
    if frame is None or frame.is_empty():
        return {}
    rows = frame.filter(
        (pl.col("day") == data.snapshot.as_of)
        & (pl.col("status") == "missing")
        & pl.col("required").fill_null(False)
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows.iter_rows(named=True):
        out[str(r["source"])].append(r)
    return dict(out)


def _dropouts_by_machine(items: list[Instruction]) -> dict[str, list[Instruction]]:
    out: dict[str, list[Instruction]] = defaultdict(list)
    for i in items:
        if i.kind == "sensor_dropout" and i.cause_id:
            out[i.cause_id.removeprefix("machine:")].append(i)
    return out


def _machine_lines(data: ReportData) -> dict[str, str]:
    return {
        str(r["machine_id"]): str(r["line_id"])
        for r in records(data.query("machines"))
        if r.get("line_id") is not None
    }


def _without_missing_input(
    data: ReportData, items: list[Instruction], missing: dict[str, list[dict[str, Any]]]
) -> list[Instruction]:
    """Items minus those standing on a source missing for their line (or the whole site) on
    the as-of day: the "cannot say" note speaks for them. With no readings at all, every
    sensor "stopped reporting" and a bottleneck's "health ?" say nothing."""
    if not missing:
        return items
    gone = {
        (source, None if r.get("line_id") is None else str(r["line_id"]))
        for source, rows in missing.items()
        for r in rows
    }
    machine_line = _machine_lines(data)
    kept = []
    for item in items:
        line = _line_of(item, machine_line)
        sources = input_sources(item.source)
        if any((s, None) in gone or (line is not None and (s, line) in gone) for s in sources):
            continue
        kept.append(item)
    return kept


def _silent_machines(data: ReportData) -> set[str]:
    """Machines every sensor of which is a dropout in history.sensor_status."""
    statuses: dict[str, set[str]] = defaultdict(set)
    for r in records(data.table("sensor_status")):
        if r.get("machine_id") is not None:
            statuses[str(r["machine_id"])].add(str(r.get("status") or "ok"))
    return {m for m, found in statuses.items() if found == {"dropout"}}


def _merge_data_links(data: ReportData, items: list[Instruction]) -> list[Instruction]:
    """Dropout items merged by their likeliest common cause: one "check the data link of line
    L" item when two or more of the line's machines went wholly silent, else one "check the
    data link of machine M" item per machine with two or more dropout sensors."""
    by_machine = _dropouts_by_machine(items)
    machine_line = _machine_lines(data)
    silent_by_line: dict[str, list[str]] = defaultdict(list)
    for machine in sorted(_silent_machines(data) & set(by_machine)):
        if machine in machine_line:
            silent_by_line[machine_line[machine]].append(machine)
    out = list(items)
    merged: set[str] = set()
    for line, silent in sorted(silent_by_line.items()):
        if len(silent) < 2:
            continue
        dropped = [i for m in silent for i in by_machine[m]]
        merged |= set(silent)
        out = [i for i in out if i not in dropped]
        out.append(
            Instruction(
                "maintenance",
                2,
                f"Check the data link of line {line}: every sensor of its machines "
                f"{short_list(silent)} stopped reporting ({len(dropped)} sensors; one cause "
                f"on the line is likelier than {len(silent)} failed machines).",
                " | ".join(i.reason for i in dropped[:2]),
                data.snapshot.tomorrow,
                "line",
                line,
                line,
                "history.sensor_status",
                kind="line_data_link",
                cause_id=f"line:{line}",
            )
        )
    for machine, dropped in sorted(by_machine.items()):
        if len(dropped) < 2 or machine in merged:
            continue
        sensors = sorted(i.entity_id for i in dropped)
        out = [i for i in out if i not in dropped]
        out.append(
            Instruction(
                "maintenance",
                2,
                f"Check the data link of machine {machine}: its sensors {short_list(sensors)} "
                "stopped reporting (one cause is likelier than "
                f"{len(sensors)} failed sensors).",
                " | ".join(i.reason for i in dropped[:3]),
                data.snapshot.tomorrow,
                "machine",
                machine,
                machine_line.get(machine),
                "history.sensor_status",
                kind="machine_data_link",
                cause_id=f"machine:{machine}",
            )
        )
    return out


def apply(data: ReportData, items: list[Instruction]) -> list[Instruction]:
    """Items with the missing-input notes added, silent machines' sensor items merged, and
    the reasons of items standing on partial input marked (``mark_partial``)."""
    missing = missing_sources(data)
    out = _without_missing_input(data, items, missing)
    out = _merge_data_links(data, out)
    for source, rows in sorted(missing.items()):
        lines = sorted({str(r["line_id"]) for r in rows if r.get("line_id")})
        where = f" for line {', '.join(lines)}" if lines else ""
        reason = next((str(r["reason"]) for r in rows if r.get("reason")), "no rows")
        for department in DEPARTMENTS_OF.get(source, ()):
            out.append(
                Instruction(
                    department,
                    2,
                    f"Cannot say {WHAT.get(source, source)}{where} for {data.snapshot.as_of}: "
                    f"no {source} arrived; ask the data team for the extract before acting on "
                    "these numbers.",
                    f"history.data_coverage: {source} missing on {data.snapshot.as_of}"
                    f"{where} ({reason})",
                    data.snapshot.tomorrow,
                    "source",
                    source,
                    lines[0] if len(lines) == 1 else None,
                    "history.data_coverage",
                    kind="cannot_say",
                    cause_id=f"source:{source}",
                )
            )
    return mark_partial(data, out)


def _partial_rows(data: ReportData) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The as-of day's partial coverage rows by (source, line) (line None: the site's total)."""
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for r in records(data.table("data_coverage")):
        if r.get("day") != data.snapshot.as_of or r.get("status") != "partial":
            continue
        key = (str(r["source"]), None if r.get("line_id") is None else str(r["line_id"]))
        old = out.get(key)
        # Two sites with the same line id: the lower completeness speaks.
        if old is None or (r.get("completeness") or 0.0) < (old.get("completeness") or 0.0):
            out[key] = r
    return out


def input_sources(source: str) -> list[str]:
    """The contract sources an instruction stands on, from the tables its ``source`` names."""
    found: list[str] = []
    for table in (t.strip() for t in source.split(",")):
        schema, _, name = table.partition(".")
        if schema == "history" and name in STAMPS:
            found += STAMPS[name][0]
        elif schema == "core" and name in MACHINE_SOURCES:
            found.append(name)
    return list(dict.fromkeys(found))


def _line_of(item: Instruction, machine_line: dict[str, str]) -> str | None:
    if item.line_id:
        return item.line_id
    if item.entity_type == "line":
        return item.entity_id
    if item.entity_type == "machine" and item.entity_id in machine_line:
        return machine_line[item.entity_id]
    kind, _, cause = (item.cause_id or "").partition(":")
    if kind == "line":
        return cause
    return machine_line.get(cause) if kind == "machine" else None


def mark_partial(data: ReportData, items: list[Instruction]) -> list[Instruction]:
    """Items whose inputs are partial on the as-of day with "(partial input: <source> line <L>
    <completeness>)" appended to their reason, one part per partial source (the site's row for
    an item with no line). Other items are returned unchanged."""
    partial = _partial_rows(data)
    if not partial:
        return items
    machine_line = _machine_lines(data)
    out: list[Instruction] = []
    for item in items:
        line = _line_of(item, machine_line)
        notes = []
        for source in input_sources(item.source):
            row = partial.get((source, line))
            if row is None:
                continue
            share = row.get("completeness")
            done = "completeness unknown" if share is None else f"{num(100 * share, 0)}% complete"
            where = f"line {line}" if line else f"site {row.get('site_id') or '?'}"
            notes.append(f"{source} {where} {done}")
        if notes:
            item = replace(item, reason=f"{item.reason} (partial input: {'; '.join(notes)})")
        out.append(item)
    return out
