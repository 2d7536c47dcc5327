"""Parameters of one synthetic-plant run: scale presets, knobs and output formats."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twin_core.contracts import SOURCES

Scale = Literal["demo", "bench"]
Faults = Literal["labelled", "none"]
FileFormat = Literal["csv", "parquet", "jsonl"]

# Nightly extracts as upstream systems typically deliver them: ERP/MES/QMS as CSV,
# the IoT historian as Parquet, the CRM's feedback feed as JSON Lines.
_CSV: FileFormat = "csv"
DEFAULT_FORMATS: dict[str, FileFormat] = dict.fromkeys(SOURCES, _CSV) | {
    "sensor_readings": "parquet",
    "customer_feedback": "jsonl",
}

# Sensors of one machine are generated together; the RNG stream of a block is keyed by
# its index, so the block size is fixed (changing it would change the data).
SENSOR_BLOCK = 50

DEFAULT_START = date(2026, 3, 2)
MIN_DAYS_WITH_FAULTS = 5
FAULT_FREE_DAYS = 3


class SynthConfig(BaseModel):
    """Everything that determines the generated files: same config, same bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(ge=1, le=366, description="Days of extracts, one file per day.")
    start: date = Field(default=DEFAULT_START, description="First day (plant-local = UTC).")
    seed: int = Field(default=7, ge=0, description="Seed of every random draw.")
    site_id: str = Field(
        default="S1",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        description="The site every site-bearing row names (several sites: see synth.sites).",
    )
    scale: Scale = "demo"
    lines: int = Field(ge=1, description="Serial production lines.")
    sensors: int = Field(ge=1, description="Total sensors, spread evenly over the machines.")
    period_s: int = Field(ge=1, le=3600, description="Sensor sample period in seconds.")
    formats: dict[str, FileFormat] = Field(default_factory=lambda: dict(DEFAULT_FORMATS))
    csv_copy: bool = Field(
        default=False,
        description="Also write sensor readings as CSV under copies/ (outside landing), "
        "for format benchmarks.",
    )
    faults: Faults = Field(
        default="labelled",
        description="labelled: inject the process faults and dirt listed in ground_truth.json "
        "(from 5 days); none: a fault-free plant (no fault, no dirt) to measure false alarms.",
    )

    @field_validator("formats")
    @classmethod
    def _known_sources(cls, v: dict[str, FileFormat]) -> dict[str, FileFormat]:
        unknown = sorted(set(v) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown sources in formats: {', '.join(unknown)}")
        return DEFAULT_FORMATS | v

    @model_validator(mode="after")
    def _enough_sensors(self) -> SynthConfig:
        if self.sensors < 4 * self.machine_count:
            raise ValueError(
                f"need at least 4 sensors per machine ({4 * self.machine_count} for "
                f"{self.machine_count} machines), got {self.sensors}"
            )
        if 86400 % self.period_s:
            raise ValueError("period_s must divide a day (86400 s)")
        return self

    @property
    def machines_per_line(self) -> list[int]:
        """Serial lines of 5, 4 and 6 machines, repeated."""
        pattern = (5, 4, 6)
        return [pattern[i % 3] for i in range(self.lines)]

    @property
    def machine_count(self) -> int:
        return sum(self.machines_per_line)

    @property
    def sensors_per_machine(self) -> int:
        return math.ceil(self.sensors / self.machine_count)

    @property
    def with_faults(self) -> bool:
        """Faults need three clean days first (SPC baselines) and room after them."""
        return self.faults == "labelled" and self.days >= MIN_DAYS_WITH_FAULTS


def make_config(
    days: int | None = None,
    start: date = DEFAULT_START,
    seed: int = 7,
    scale: Scale = "demo",
    *,
    sensors: int | None = None,
    period_s: int | None = None,
    formats: dict[str, FileFormat] | None = None,
    csv_copy: bool = False,
    faults: Faults = "labelled",
) -> SynthConfig:
    """A config from the scale's presets, overridden by whatever is given.

    demo: 3 lines (15 machines), 4 sensors per machine at 60 s, 7 days.
    bench: 10 lines (50 machines), 1,000 sensors at 1 s, 1 day (86.4M readings).
    """
    if scale == "demo":
        lines, default_sensors, default_period, default_days = 3, 60, 60, 7
    else:
        lines, default_sensors, default_period, default_days = 10, 1000, 1, 1
    return SynthConfig(
        days=default_days if days is None else days,
        start=start,
        seed=seed,
        scale=scale,
        lines=lines,
        sensors=default_sensors if sensors is None else sensors,
        period_s=default_period if period_s is None else period_s,
        formats=dict(formats or {}),
        csv_copy=csv_copy,
        faults=faults,
    )
