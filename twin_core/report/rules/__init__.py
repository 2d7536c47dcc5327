"""Department instruction rules: deterministic templates over one snapshot (no language model).

Grain of ``compute_instructions``: one row per instruction, ordered by department, priority,
then the rule's own ranking. Each department's rules live in a module named after it.
"""

from __future__ import annotations

from collections.abc import Callable

from twin_core.report.data import ReportData
from twin_core.report.rules._common import DEPARTMENTS, Instruction, LineOutlook, line_outlooks
from twin_core.report.rules.engineering import engineering_instructions
from twin_core.report.rules.maintenance import maintenance_instructions
from twin_core.report.rules.procurement import procurement_instructions
from twin_core.report.rules.production import production_instructions
from twin_core.report.rules.quality import quality_instructions

__all__ = [
    "DEPARTMENTS",
    "RULES",
    "Instruction",
    "LineOutlook",
    "compute_instructions",
    "line_outlooks",
]

RULES: dict[str, Callable[[ReportData], list[Instruction]]] = {
    "production": production_instructions,
    "maintenance": maintenance_instructions,
    "procurement": procurement_instructions,
    "quality": quality_instructions,
    "engineering": engineering_instructions,
}


def compute_instructions(data: ReportData) -> list[Instruction]:
    """Every department's instructions for the snapshot, prioritised by the loss each
    prevents (twin_core.report.triage), in reading order."""
    from twin_core.report.rules import cannot_say
    from twin_core.report.triage import triage

    items = [i for department in DEPARTMENTS for i in RULES[department](data)]
    items = cannot_say.apply(data, items)
    return triage(items, data.snapshot.as_of, data.snapshot.horizon_days)
