"""What the twin cannot say: one note per department whose inputs are missing for the as-of
day, in place of the items those missing inputs would produce, and one item per machine whose
sensors all stopped reporting (not one per sensor).

Grain: one "cannot say" item per department and missing source (history.data_coverage rows of
the as-of day with status missing); one item per machine with two or more dropout sensors.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl

from twin_core.report.data import ReportData
from twin_core.report.rules._common import Instruction, short_list

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


def apply(data: ReportData, items: list[Instruction]) -> list[Instruction]:
    """Items with the missing-input notes added and silent machines' sensor items merged."""
    missing = missing_sources(data)
    out = list(items)
    if "sensor_readings" in missing:
        # No readings at all: every sensor "stopped reporting" says nothing about the sensors.
        out = [i for i in out if i.kind != "sensor_dropout"]
    for machine, dropped in sorted(_dropouts_by_machine(out).items()):
        if len(dropped) < 2:
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
                None,
                "history.sensor_status",
                kind="machine_data_link",
                cause_id=f"machine:{machine}",
            )
        )
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
    return out
