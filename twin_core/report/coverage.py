"""What data the reported snapshot stands on, for the top of every page and the summary.

Grain: one line per (source, status) of the as-of day's rows of history.data_coverage that are
not ok (the lines they concern listed), plus the snapshot's degraded reasons
(history.snapshots.degraded_reasons: built with --allow-partial past a failed gate).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from twin_core.report.data import ReportData
from twin_core.report.html import Html
from twin_core.report.render import macro


def degraded_reasons(data: ReportData) -> list[str]:
    s = data.snapshot
    if not s.degraded:
        return []
    try:
        loaded = json.loads(s.degraded_reasons or "[]")
    except json.JSONDecodeError:
        return [s.degraded_reasons or "degraded"]
    return [str(r) for r in loaded] if isinstance(loaded, list) else [str(loaded)]


def recorded(data: ReportData) -> bool:
    """The snapshot has coverage rows (snapshots built before coverage existed have none)."""
    frame = data.table("data_coverage")
    return frame is not None and not frame.is_empty()


def coverage_gaps(data: ReportData) -> list[str]:
    """The as-of day's sources that are partial, missing or stale, in words."""
    frame = data.table("data_coverage")
    if frame is None or frame.is_empty():
        return []
    # An optional source the plant has never delivered (no newest row) is not partial data.
    day = frame.filter(
        (pl.col("day") == data.snapshot.as_of)
        & (pl.col("status") != "ok")
        & (pl.col("required").fill_null(False) | pl.col("newest_ts").is_not_null())
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in day.sort("source", "line_id", nulls_last=False).iter_rows(named=True):
        groups[(str(r["source"]), str(r["status"]))].append(r)
    out = []
    for (source, status), rows in sorted(groups.items()):
        lines = sorted({str(r["line_id"]) for r in rows if r.get("line_id")})
        where = f" on line {', '.join(lines)}" if lines else ""
        worst = min(
            (float(c) for r in rows if (c := r.get("completeness")) is not None), default=None
        )
        share = "" if worst is None else f", {100 * worst:.0f}% of what was expected at worst"
        reason = next((str(r["reason"]) for r in rows if r.get("reason")), "")
        out.append(f"{source}: {status}{where}{share}" + (f" ({reason})" if reason else ""))
    return out


def coverage_markdown(data: ReportData) -> list[str]:
    """Lines for the summary Markdown (empty when every source is complete)."""
    reasons, gaps = degraded_reasons(data), coverage_gaps(data)
    if not reasons and not gaps:
        return []
    head = "**Degraded snapshot**" if reasons else "**Partial data**"
    return [f"{head} (history.data_coverage):", *[f"- {t}" for t in reasons + gaps], ""]


@dataclass(frozen=True)
class Banner:
    """The coverage banner at the top of a page (``macros.html.j2`` draws it)."""

    ok: bool
    title: str
    items: list[str] = field(default_factory=list)
    alert: bool = False


def coverage_banner(data: ReportData) -> Html:
    """The banner at the top of a page, as HTML (``macros.html.j2``'s ``coverage``)."""
    return macro("coverage", coverage_view(data))


def coverage_view(data: ReportData) -> Banner:
    """The banner at the top of a page: what this snapshot does not know, or that it is whole."""
    reasons, gaps = degraded_reasons(data), coverage_gaps(data)
    if not recorded(data) and not reasons:
        return Banner(
            ok=False,
            title="Data coverage: not recorded for this snapshot (built before "
            "twin.data_coverage existed, or by a builder list without it); the twin cannot "
            "say what it stands on.",
        )
    if not reasons and not gaps:
        return Banner(
            ok=True,
            title=f"Data coverage: complete for {data.snapshot.as_of} (twin.data_coverage; an "
            "optional source the plant has never delivered is not counted).",
        )
    title = (
        "Degraded snapshot: built past the coverage gate (--allow-partial); numbers that use "
        "the sources below stand on partial data."
        if reasons
        else f"Partial data for {data.snapshot.as_of}: numbers that use these sources are "
        "less certain than they look."
    )
    return Banner(ok=False, title=title, items=reasons + gaps, alert=True)
