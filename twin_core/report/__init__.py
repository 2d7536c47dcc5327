"""Nightly department instructions and the plant and quality reports of a twin snapshot.

``build_reports(settings, as_of=..., snapshot_id=...)`` is the entry point; the rules that
turn a snapshot into instructions are in ``twin_core.report.rules``.
"""

from __future__ import annotations

from twin_core.report.build import ReportResult, build_reports, report_snapshot
from twin_core.report.data import ReportData, ReportError, load_report_data, resolve_snapshot
from twin_core.report.rules import DEPARTMENTS, Instruction, compute_instructions

__all__ = [
    "DEPARTMENTS",
    "Instruction",
    "ReportData",
    "ReportError",
    "ReportResult",
    "build_reports",
    "compute_instructions",
    "load_report_data",
    "report_snapshot",
    "resolve_snapshot",
]
