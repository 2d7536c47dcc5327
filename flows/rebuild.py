"""The ``rebuild`` flow: one twin snapshot of a plant day from the validated core tables.

Grain: one flow run per snapshot, one task run (the library's ``rebuild``, which writes every
twin table in one transaction). The run holds the TWIN_HOME write lock and publishes the
rows per table as a Markdown artifact. The nightly calls the same library function
(``twin_core.stages.rebuild``) in its own rebuild stage.
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from pydantic import BaseModel, ConfigDict, Field
from twin_core import stages
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.scenario.spec import ID_PATTERN, PlantDate
from twin_core.settings import get_settings

SiteId = Annotated[str, Field(pattern=ID_PATTERN)]


class RebuildParams(BaseModel):
    """The plant day to rebuild; unknown fields are refused when the run is created."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: PlantDate = Field(
        description="The plant day the snapshot describes (data up to its end)."
    )
    sites: list[SiteId] = Field(
        default_factory=list,
        description="Sites to include; empty: the configured TWIN_SITE_IDS (default every site).",
    )
    lock_wait_s: int = Field(
        default=STAGE_WAIT_S,
        ge=0,
        le=24 * 3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )


@task(name="rebuild-snapshot", cache_policy=NONE)
def rebuild_task(params: RebuildParams) -> dict[str, Any]:
    """Build and commit the snapshot; return its id and rows per table (never the frames)."""
    settings = get_settings(site_ids=list(params.sites)) if params.sites else get_settings()
    with home_lock(settings, f"rebuild {params.as_of}", wait_s=params.lock_wait_s):
        # A standalone rebuild builds a degraded snapshot on partial input (marked so), like
        # `twin rebuild`; the nightly applies the coverage gate.
        result = stages.rebuild(settings, params.as_of, allow_partial=True, count_rows=True)
    snapshot_id, counts = result.snapshot_id, result.rows
    lines = "\n".join(f"| history.{t} | {n:,} |" for t, n in counts.items())
    create_markdown_artifact(
        markdown=f"## Snapshot {snapshot_id} ({params.as_of})\n\n| table | rows |\n|---|---:|\n{lines}\n",
        key="rebuild-summary",
        description=f"twin snapshot {snapshot_id} for {params.as_of}",
    )
    return {"snapshot_id": snapshot_id, "as_of": params.as_of.isoformat(), "rows": counts}


@flow(name="rebuild", flow_run_name="rebuild-{as_of}")
def rebuild(
    as_of: PlantDate,
    sites: list[SiteId] = [],  # noqa: B006 - Prefect copies parameters per run
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = STAGE_WAIT_S,
) -> dict[str, Any]:
    """Build a new twin snapshot for one plant day (machine, line, supply and quality tables).

    Args:
        as_of: The plant day the snapshot describes (data up to its end).
        sites: Sites to include; empty: the configured TWIN_SITE_IDS (default every site).
        lock_wait_s: Seconds to wait for another run writing the same TWIN_HOME before failing.
    """
    params = RebuildParams(as_of=as_of, sites=sites, lock_wait_s=lock_wait_s)
    summary = rebuild_task(params)
    get_run_logger().info(
        "snapshot %s for %s: %s rows",
        summary["snapshot_id"],
        summary["as_of"],
        sum(summary["rows"].values()),
    )
    return summary
