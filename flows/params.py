"""Parameters of the deployed flows: flat, typed fields, and one pydantic model per flow.

Each flow takes one argument per setting a planner changes (``as_of``, ``sites``, ``outages``,
``demand_multipliers``, ...), so the Prefect UI renders one form field each: a date picker for
days, rows for outages, delays and shifts, a product -> number map for demand multipliers.
Their types below carry what the API can check when a run is created (HTTP 409 before any
worker picks it up): wrong type, out-of-range number, malformed or impossible date (the
pattern accepts calendar days only), unknown field; ``flows.deploy`` adds the master data's
ids as the allowed values (an unknown machine, product, supplier, line or site is refused
with the list of known ones) and forbids unknown top-level parameters.

The flow then builds its model (``NightlyParams`` ...) from the arguments: the same checks in
Python for direct calls, and the ones that span fields (a backfill's start before its end).
The master data is checked again when the flow starts, before anything is written (it may
have changed since the deployment's schema was refreshed).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from twin_core.runlock import NIGHT_WAIT_S
from twin_core.scenario.spec import DATE_PATTERN, ID_PATTERN, PlantDate, ScenarioSpec

SiteId = Annotated[str, Field(pattern=ID_PATTERN)]

# Optional fields as the UI should show them: one typed input that may stay empty (its
# default), not a choice between the type and "None".
OptionalDay = Annotated[
    date | None, WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN})
]

OptionalSnapshot = Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1})]
OptionalHorizon = Annotated[
    int | None, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 120})
]
OptionalReplications = Annotated[
    int | None, WithJsonSchema({"type": "integer", "minimum": 10, "maximum": 100_000})
]
OptionalSeed = Annotated[int | None, WithJsonSchema({"type": "integer"})]
OptionalBool = Annotated[bool | None, WithJsonSchema({"type": "boolean"})]
BATCH_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
OptionalBatch = Annotated[
    str | None, WithJsonSchema({"type": "string", "pattern": BATCH_PATTERN, "maxLength": 128})
]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def kwargs(self) -> dict[str, Any]:
        """The fields as the flow's keyword arguments (nested models kept as they are)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


class NightlyParams(_Params):
    """One nightly: ingest, validate, rebuild, report, publish."""

    as_of: PlantDate | None = Field(
        default=None,
        description="The plant day to build the twin for (its data up to the end of that day). "
        "Default: the day before the run's scheduled time, in the plant's timezone.",
    )
    sites: list[SiteId] = Field(
        default_factory=list,
        description="Sites to process; empty: the configured TWIN_SITE_IDS (default every site).",
    )
    lock_wait_s: int = Field(
        default=NIGHT_WAIT_S,
        ge=0,
        le=24 * 3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )
    allow_partial: bool = Field(
        default=False,
        description="Build the snapshot even when a required source is missing or stale for the "
        "day; it is marked degraded (twin.snapshots.degraded) with the reasons.",
    )


class BackfillParams(_Params):
    """Nightly for every day from start to end, in order."""

    start: PlantDate = Field(description="First plant day (inclusive).")
    end: PlantDate = Field(description="Last plant day (inclusive).")
    sites: list[SiteId] = Field(default_factory=list, description="As in the nightly.")
    lock_wait_s: int = Field(
        default=NIGHT_WAIT_S, ge=0, le=24 * 3600, description="As in the nightly."
    )
    allow_partial: bool = Field(default=False, description="As in the nightly.")

    @model_validator(mode="after")
    def _ordered(self) -> BackfillParams:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.end - self.start).days > 3660:
            raise ValueError("a backfill covers at most ten years; split it")
        return self


class ScenarioParams(ScenarioSpec):
    """A what-if on a snapshot (see twin_core.scenario.ScenarioSpec)."""

    lock_wait_s: int = Field(
        default=NIGHT_WAIT_S, ge=0, le=24 * 3600, description="As in the nightly."
    )

    def spec(self) -> ScenarioSpec:
        return ScenarioSpec.model_validate(self.model_dump(exclude={"lock_wait_s"}))

    def kwargs(self) -> dict[str, Any]:
        """The fields as the scenario flow's keyword arguments."""
        return {name: getattr(self, name) for name in type(self).model_fields}


__all__ = [
    "BATCH_PATTERN",
    "BackfillParams",
    "NightlyParams",
    "OptionalBatch",
    "OptionalBool",
    "OptionalDay",
    "OptionalHorizon",
    "OptionalReplications",
    "OptionalSeed",
    "OptionalSnapshot",
    "ScenarioParams",
    "SiteId",
]
