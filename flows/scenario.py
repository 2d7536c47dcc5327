"""The scenario flow: a what-if on a twin snapshot, triggered from the Prefect UI or the CLI.

Grain: one flow run per scenario question, one task run (the library computes baseline and
scenario together, stores them in the ``scenario.*`` tables and writes the report under
``reports/scenarios/<scenario_id>/``), and one markdown artifact with the differences.

The run holds the TWIN_HOME lock (it reads and writes the warehouse), so it waits for a
running nightly and a nightly waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from twin_core.runlock import home_lock
from twin_core.scenario.report import render_markdown, report_dir
from twin_core.scenario.run import run_scenario
from twin_core.scenario.spec import ScenarioSpec
from twin_core.settings import get_settings

from flows.params import ScenarioParams


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
    params = flow_run.parameters.get("params")
    name = params.get("name") if isinstance(params, dict) else getattr(params, "name", None)
    return f"scenario-{name or 'what-if'}"


@flow(name="scenario", flow_run_name=_scenario_run_name)
def scenario(params: ScenarioParams = ScenarioParams()) -> ScenarioSummary:
    """A what-if on a twin snapshot: machine outages, demand multipliers, supplier delays,
    extra shifts; results next to the baseline in the scenario.* tables and a report.

    Args:
        params: the changes, the snapshot (default latest), horizon, replications, seed.
    """
    logger = get_run_logger()
    settings = get_settings()
    spec = params.spec()
    with home_lock(
        settings,
        f"scenario {spec.name}",
        wait_s=params.lock_wait_s,
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
