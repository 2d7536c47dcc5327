"""The scenario flow: a what-if on a twin snapshot, triggered from the Prefect UI or the CLI.

Grain: one flow run per scenario question, one task run (the library computes baseline and
scenario together, stores them in the ``scenario.*`` tables and writes the report under
``reports/scenarios/<scenario_id>/``), and one markdown artifact with the differences.

The run holds the home's Prefect concurrency slot and TWIN_HOME lock (``flows._homeslot``;
it reads and writes the warehouse), so it waits for a
running nightly and a nightly waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from pydantic import Field
from twin_core.runlock import NIGHT_WAIT_S
from twin_core.scenario.report import render_markdown, report_dir
from twin_core.scenario.run import run_scenario
from twin_core.scenario.spec import ExtraShift, MachineOutage, ScenarioSpec, SupplierDelay
from twin_core.settings import get_settings

from flows._homeslot import home_slot
from flows.params import (
    OptionalHorizon,
    OptionalReplications,
    OptionalSeed,
    OptionalSnapshot,
    ScenarioParams,
)


@dataclass
class ScenarioSummary:
    """What a scenario run produced: its id, where its report is, rows written per table."""

    scenario_id: str
    snapshot_id: int
    report_dir: Path
    rows: dict[str, int]
    changes: int
    not_modelled: list[str]


@task(name="simulate-scenario", cache_policy=NONE)
def simulate_scenario(spec: ScenarioSpec) -> ScenarioSummary:
    """Compute baseline and scenario, store both, write the report; return the small facts."""
    settings = get_settings()
    outcome, written = run_scenario(settings, spec)
    target = report_dir(settings, outcome.scenario_id)
    create_markdown_artifact(
        markdown=render_markdown(outcome),
        key="scenario-report",
        description=f"scenario {outcome.scenario_id}",
    )
    return ScenarioSummary(
        scenario_id=outcome.scenario_id,
        snapshot_id=outcome.resolved.snapshot_id,
        report_dir=target,
        rows=written,
        changes=outcome.changes.height,
        not_modelled=outcome.not_modelled,
    )


def _scenario_run_name() -> str:
    return f"scenario-{flow_run.parameters.get('name') or 'what-if'}"


@flow(name="scenario", flow_run_name=_scenario_run_name)
def scenario(
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9 _.\-]{1,60}$")] = "what-if",
    snapshot_id: OptionalSnapshot = None,
    outages: Annotated[list[MachineOutage], Field(max_length=200)] = [],  # noqa: B006
    demand_multipliers: dict[str, Annotated[float, Field(ge=0, le=100)]] = {},  # noqa: B006
    supplier_delays: Annotated[list[SupplierDelay], Field(max_length=500)] = [],  # noqa: B006
    extra_shifts: Annotated[list[ExtraShift], Field(max_length=200)] = [],  # noqa: B006
    horizon_days: OptionalHorizon = None,
    replications: OptionalReplications = None,
    seed: OptionalSeed = None,
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = NIGHT_WAIT_S,
) -> ScenarioSummary:
    """A what-if on a twin snapshot: machine outages, demand multipliers, supplier delays,
    extra shifts; results next to the baseline in the scenario.* tables and a report.

    Args:
        name: A short label; it prefixes the scenario_id and the report folder.
        snapshot_id: The snapshot to start from; empty: the latest.
        outages: Machines down for a while: machine, start (ISO 8601, UTC without an offset),
            hours.
        demand_multipliers: Product -> factor on its open demand and work orders (1.2 = +20%).
        supplier_delays: Suppliers whose open purchase orders arrive this many days late.
        extra_shifts: Lines with more planned hours per day (8 = one shift).
        horizon_days: Days ahead; empty: the snapshot's.
        replications: Monte Carlo runs; empty: the snapshot's.
        seed: Random seed; empty: the snapshot's.
        lock_wait_s: Seconds to wait for another run on the same TWIN_HOME before failing.
    """
    params = ScenarioParams(
        name=name,
        snapshot_id=snapshot_id,
        outages=outages,
        demand_multipliers=demand_multipliers,
        supplier_delays=supplier_delays,
        extra_shifts=extra_shifts,
        horizon_days=horizon_days,
        replications=replications,
        seed=seed,
        lock_wait_s=lock_wait_s,
    )
    logger = get_run_logger()
    settings = get_settings()
    spec = params.spec()
    with home_slot(
        settings,
        f"scenario {spec.name}",
        wait_s=params.lock_wait_s,
        logger=logger,
        on_wait=lambda holder: logger.info("waiting for TWIN_HOME: %s holds it", holder),
    ):
        summary = simulate_scenario(spec)
    logger.info(
        "scenario %s on snapshot %s: %d instruction change(s); report in %s",
        summary.scenario_id,
        summary.snapshot_id,
        summary.changes,
        summary.report_dir,
    )
    for gap in summary.not_modelled:
        logger.warning("not modelled in this build: %s", gap)
    return summary
