"""Parameters of the deployed flows, as pydantic models.

One model per flow, ``extra="forbid"``: Prefect turns each into the deployment's parameter
schema, so the UI renders a form and the API refuses a run with an unknown or mistyped
field, a wrong type, an out-of-range number or a malformed date when the run is created
(409), before any worker picks it up. Checks that span fields (a backfill's start before
its end) run when the flow starts and fail it at once with the reason.

Prefect's schema does not forbid unknown TOP-level parameters; ``flows.deploy`` closes that
gap on the server after ``prefect deploy`` (see its docstring).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from twin_core.scenario.spec import ID_PATTERN, PlantDate, ScenarioSpec

SiteId = Annotated[str, Field(pattern=ID_PATTERN)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        default=1800,
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
    lock_wait_s: int = Field(default=1800, ge=0, le=24 * 3600, description="As in the nightly.")
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

    lock_wait_s: int = Field(default=1800, ge=0, le=24 * 3600, description="As in the nightly.")

    def spec(self) -> ScenarioSpec:
        return ScenarioSpec.model_validate(self.model_dump(exclude={"lock_wait_s"}))


__all__ = ["BackfillParams", "NightlyParams", "ScenarioParams", "SiteId"]
