"""The ``report`` flow: department instructions and reports of one twin snapshot.

Grain: one flow run per report, one task run (the library's ``build_reports``). The run
publishes the morning summary and the instructions as Prefect artifacts (two Markdown
artifacts and one table), so the Prefect UI shows them on the flow run. The nightly calls
the same library function in its own report stage.
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from pydantic import BaseModel, ConfigDict, Field
from twin_core import stages
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.scenario.spec import PlantDate
from twin_core.settings import get_settings

from flows.params import OptionalDay, OptionalSnapshot


class ReportParams(BaseModel):
    """Which snapshot to report on; unknown fields are refused when the run is created."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: PlantDate | None = Field(
        default=None,
        description="Report the latest complete snapshot of this plant day; default: the "
        "latest complete snapshot.",
    )
    snapshot_id: int | None = Field(
        default=None, ge=1, description="Report this snapshot (overrides the latest of as_of)."
    )
    lock_wait_s: int = Field(
        default=STAGE_WAIT_S,
        ge=0,
        le=24 * 3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )


@task(name="build-reports", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def build_reports_task(params: ReportParams) -> dict[str, Any]:
    """Compute and store the instructions and write the report files; publish artifacts."""
    settings = get_settings()
    with home_lock(settings, "report", wait_s=params.lock_wait_s):
        result = stages.report(settings, params.as_of, snapshot_id=params.snapshot_id)
    create_markdown_artifact(
        markdown=result.summary_markdown,
        key="report-summary",
        description=f"twin report {result.as_of}, snapshot {result.snapshot_id}",
    )
    create_markdown_artifact(
        markdown=result.instructions_markdown,
        key="department-instructions",
        description=f"instructions for the day after {result.as_of}",
    )
    create_table_artifact(
        table=result.instructions or [{"department": "", "action": "no instructions"}],
        key="instructions-table",
        description=f"history.instructions of snapshot {result.snapshot_id}",
    )
    return {
        "snapshot_id": result.snapshot_id,
        "as_of": result.as_of.isoformat(),
        "counts": result.counts,
        "paths": {k: str(p) for k, p in result.paths.items()},
    }


@flow(name="report")
def report(
    as_of: OptionalDay = None,
    snapshot_id: OptionalSnapshot = None,
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = STAGE_WAIT_S,
) -> dict[str, Any]:
    """Department instructions, plant report and quality report of one snapshot.

    Args:
        as_of: Report the latest complete snapshot of this plant day; empty: the latest
            complete snapshot.
        snapshot_id: Report this snapshot (overrides the latest of as_of).
        lock_wait_s: Seconds to wait for another run writing the same TWIN_HOME before failing.
    """
    params = ReportParams(as_of=as_of, snapshot_id=snapshot_id, lock_wait_s=lock_wait_s)
    summary = build_reports_task(params)
    get_run_logger().info(
        "report of snapshot %s (%s): %s",
        summary["snapshot_id"],
        summary["as_of"],
        summary["counts"],
    )
    return summary
