"""What-if parameters: the frozen, validated description of one scenario.

Grain: one ``ScenarioSpec`` per scenario question. It is a pydantic model with
``extra="forbid"`` so the Prefect UI renders it as a form and the API rejects an unknown
or mistyped field (and wrong types, out-of-range numbers, malformed dates) when a run is
created, before anything runs. Its canonical JSON, with the defaults it resolved against
(snapshot, horizon, replications, seed), names the scenario: the same question on the same
snapshot gets the same ``scenario_id`` and the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# JSON Schema's "format: date" is not asserted by the API's validator (Prefect validates run
# parameters without a format checker); a pattern is. It accepts calendar days only: months
# of 30 and 31 days, February 29 in leap years (every 4th year, centuries every 400th).
_DAY = (
    r"(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))"
    r"|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
)
# Prefect's message for a refused parameter is JSON Schema's: "'8 March' does not match
# '<pattern>'", with no way to give a message of its own. So each pattern opens with what it
# wants in words, as an empty lookahead that always holds (it looks for a text no date can
# start with), and the reader of the message sees that first, not the calendar's regex.
_SAYS_DAY = r"(?!expected YYYY-MM-DD, a day the calendar has)"
_SAYS_TIME = r"(?!expected YYYY-MM-DDTHH:MM, a day the calendar has)"
DATE_PATTERN = rf"^{_SAYS_DAY}{_DAY}$"
DATETIME_PATTERN = (
    rf"^{_SAYS_TIME}{_DAY}[T ]([01]\d|2[0-3]):[0-5]\d"
    r"(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"

PlantDate = Annotated[date, Field(json_schema_extra={"pattern": DATE_PATTERN})]
Timestamp = Annotated[datetime, Field(json_schema_extra={"pattern": DATETIME_PATTERN})]
EntityId = Annotated[str, Field(pattern=ID_PATTERN, description="An id from the master data.")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MachineOutage(_Frozen):
    """A machine that is down for a while (unplanned; it makes nothing)."""

    machine_id: EntityId
    start: Timestamp = Field(
        description="When the outage starts, ISO 8601; without an offset it is UTC "
        "(as in the extracts)."
    )
    hours: float = Field(gt=0, le=24 * 120, description="How long it stays down, in hours.")

    @field_validator("start", mode="after")
    @classmethod
    def _to_naive_utc(cls, v: datetime) -> datetime:
        # The warehouse stores naive UTC; an explicit offset is converted, none means UTC.
        return v if v.tzinfo is None else v.astimezone(UTC).replace(tzinfo=None)


class SupplierDelay(_Frozen):
    """Every open purchase order of a supplier arrives this many days later than promised."""

    supplier_id: EntityId
    days: int = Field(ge=1, le=365, description="Days added to each promised date.")


class ExtraShift(_Frozen):
    """More planned production time on a line, every day of the horizon."""

    line_id: EntityId
    hours_per_day: float = Field(
        default=8.0, gt=0, le=24, description="Extra planned hours per day (8 = one shift)."
    )


class ScenarioSpec(_Frozen):
    """A what-if question on a twin snapshot. Empty lists and maps mean "as planned"."""

    name: str = Field(
        default="what-if",
        pattern=r"^[A-Za-z0-9 _.\-]{1,60}$",
        description="A short label; it prefixes the scenario_id and the report folder.",
    )
    snapshot_id: int | None = Field(
        default=None, ge=1, description="The snapshot to start from; default: the latest."
    )
    outages: list[MachineOutage] = Field(default_factory=list, max_length=200)
    demand_multipliers: dict[str, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=dict,
        description="product_id -> factor on its open demand and work orders (1.2 = +20%).",
    )
    supplier_delays: list[SupplierDelay] = Field(default_factory=list, max_length=500)
    extra_shifts: list[ExtraShift] = Field(default_factory=list, max_length=200)
    horizon_days: int | None = Field(
        default=None, ge=1, le=120, description="Days ahead; default: the snapshot's."
    )
    replications: int | None = Field(
        default=None, ge=10, le=100_000, description="Monte Carlo runs; default: the snapshot's."
    )
    seed: int | None = Field(default=None, description="Random seed; default: the snapshot's.")

    @field_validator("demand_multipliers", mode="after")
    @classmethod
    def _product_ids(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k in v if not re.fullmatch(ID_PATTERN, k)]
        if bad:
            raise ValueError(f"not a product id: {bad}")
        return v

    def is_baseline(self) -> bool:
        """True when the scenario changes nothing (it reproduces the snapshot)."""
        return not (
            self.outages or self.demand_multipliers or self.supplier_delays or self.extra_shifts
        )


class ResolvedScenario(_Frozen):
    """A spec with every default filled in from the snapshot it runs on."""

    spec: ScenarioSpec
    snapshot_id: int
    as_of: date
    horizon_days: int
    replications: int
    seed: int

    def canonical(self) -> dict[str, Any]:
        """The parameters that determine the result, in a stable order."""
        body = self.spec.model_dump(mode="json", exclude={"name", "snapshot_id"})
        body.update(
            snapshot_id=self.snapshot_id,
            horizon_days=self.horizon_days,
            replications=self.replications,
            seed=self.seed,
        )
        # Order-insensitive lists: the same outages in another order are the same question.
        for key in ("outages", "supplier_delays", "extra_shifts"):
            body[key] = sorted(body[key], key=lambda d: json.dumps(d, sort_keys=True))
        return body

    @property
    def params_hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def scenario_id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.spec.name.lower()).strip("-") or "scenario"
        return f"{slug}-s{self.snapshot_id}-{self.params_hash[:10]}"
