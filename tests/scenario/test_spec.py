"""Scenario parameters: validation and the identity of a question."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from twin_core.scenario import MachineOutage, ResolvedScenario, ScenarioSpec, SupplierDelay


def _resolved(spec: ScenarioSpec) -> ResolvedScenario:
    return ResolvedScenario(
        spec=spec, snapshot_id=3, as_of=date(2026, 1, 5), horizon_days=14, replications=500, seed=7
    )


def test_an_unknown_field_is_rejected() -> None:
    """A mistyped field name is an error, not silently ignored."""
    with pytest.raises(ValidationError, match="supplier_delay"):
        ScenarioSpec.model_validate({"supplier_delay": [{"supplier_id": "S1", "days": 3}]})


def test_a_negative_demand_multiplier_is_rejected() -> None:
    """Demand cannot be multiplied by less than zero."""
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        ScenarioSpec(demand_multipliers={"P1": -1.0})


def test_an_outage_start_with_an_offset_is_stored_as_utc() -> None:
    """08:00 in Berlin in winter is 07:00 UTC (the warehouse stores naive UTC)."""
    outage = MachineOutage.model_validate(
        {"machine_id": "M1", "start": "2026-01-06T08:00:00+01:00", "hours": 4}
    )
    expected = datetime(2026, 1, 6, 7, 0)
    assert outage.start == expected


def test_the_order_of_changes_does_not_change_the_scenario_id() -> None:
    """The same delays listed in another order are the same question."""
    a = ScenarioSpec(
        supplier_delays=[
            SupplierDelay(supplier_id="A", days=2),
            SupplierDelay(supplier_id="B", days=5),
        ]
    )
    b = ScenarioSpec(
        supplier_delays=[
            SupplierDelay(supplier_id="B", days=5),
            SupplierDelay(supplier_id="A", days=2),
        ]
    )
    assert _resolved(a).scenario_id == _resolved(b).scenario_id


def test_another_seed_is_another_scenario() -> None:
    """The seed is part of the question: a different seed gives a different id."""
    spec = ScenarioSpec(demand_multipliers={"P1": 1.5})
    other = ResolvedScenario(
        spec=spec, snapshot_id=3, as_of=date(2026, 1, 5), horizon_days=14, replications=500, seed=8
    )
    assert other.scenario_id != _resolved(spec).scenario_id


def test_the_scenario_id_starts_with_the_name_and_snapshot() -> None:
    """Ids read well in folder names: slug of the name, the snapshot, a hash."""
    rid = _resolved(ScenarioSpec(name="Press 3 down")).scenario_id
    assert rid.startswith("press-3-down-s3-")
