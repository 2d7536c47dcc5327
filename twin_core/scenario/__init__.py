"""What-if scenarios on a twin snapshot: parameters, simulation and comparison with the baseline."""

from twin_core.scenario.spec import (
    ExtraShift,
    MachineOutage,
    ResolvedScenario,
    ScenarioSpec,
    SupplierDelay,
)

__all__ = ["ExtraShift", "MachineOutage", "ResolvedScenario", "ScenarioSpec", "SupplierDelay"]
