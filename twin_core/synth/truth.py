"""ground_truth.json: every fault the generator injected, with its entities and window.

One entry per injected fault; dirty-data entries list the exact rows they touched
(file relative to the output folder, 1-based data row number, key values).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

FaultKind = Literal[
    "bearing_degradation",
    "machine_failure",
    "stuck_sensor",
    "sensor_dropout",
    "temperature_drift",
    "quality_mean_shift",
    "late_supplier",
    "stockout_risk",
    "demand_spike",
    "complaint_revision",
    "duplicate_rows",
    "out_of_order_rows",
    "late_corrections",
    "invalid_values",
    "malformed_file",
]
FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]
DIRT_KINDS: tuple[str, ...] = (
    "duplicate_rows",
    "out_of_order_rows",
    "late_corrections",
    "invalid_values",
    "malformed_file",
)
ENTITY_KEYS = (
    "machine_id",
    "sensor_id",
    "line_id",
    "material_id",
    "supplier_id",
    "product_id",
    "revision",
    "characteristic",
    "source",
    "file",
)


def iso(ts: datetime) -> str:
    """ISO 8601 without offset (the contract reads it as UTC), whole seconds."""
    return ts.replace(microsecond=0).isoformat()


class Fault(BaseModel):
    """One injected fault: what, on which entities, when, and the particulars."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    entities: dict[str, str] = Field(description="Only the keys that apply (ENTITY_KEYS).")
    start: datetime
    end: datetime
    details: dict[str, Any] = Field(default_factory=dict)

    @field_serializer("start", "end")
    def _ts(self, v: datetime) -> str:
        return iso(v)


class GroundTruth(BaseModel):
    """The generator's answer key for a run."""

    model_config = ConfigDict(extra="forbid")

    seed: int
    start: date
    days: int
    scale: str
    timezone: str = "UTC"
    faults: list[Fault] = Field(default_factory=list)

    def of_kind(self, kind: str) -> list[Fault]:
        """Every fault of a kind (dirt kinds have one entry per file)."""
        return [f for f in self.faults if f.kind == kind]

    def one(self, kind: str) -> Fault:
        """The single fault of a kind; an error if there is not exactly one."""
        found = self.of_kind(kind)
        if len(found) != 1:
            raise LookupError(f"expected one {kind} fault, found {len(found)}")
        return found[0]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
