"""The ``validate`` flow: validate pending ingest batches and promote them to core.

Grain: one flow run validates every pending batch (or the one named); one task run per batch
(the library's ``validate_batch``), so the UI shows each batch's outcome. The run publishes a
Markdown artifact with each batch's per-source results and a link to the Great Expectations
Data Docs. A failed batch (a batch-level error) fails the flow run after the other batches
are validated; an expectation that raises fails its task at once.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from pydantic import BaseModel, ConfigDict, Field
from twin_core import stages
from twin_core.errors import StageFailed
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.scenario.spec import PlantDate
from twin_core.settings import get_settings
from twin_core.validation.facts import pending_batches
from twin_core.warehouse import open_warehouse

from flows.params import BATCH_PATTERN, OptionalBatch, OptionalDay


class ValidateParams(BaseModel):
    """What to validate; unknown fields are refused when the run is created."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: PlantDate | None = Field(
        default=None,
        description="Plant day freshness is judged against; default: today in the plant's "
        "timezone.",
    )
    batch_id: str | None = Field(
        default=None,
        pattern=BATCH_PATTERN,
        description="Validate (again) only this ingest batch; default: every pending batch.",
    )
    lock_wait_s: int = Field(
        default=STAGE_WAIT_S,
        ge=0,
        le=24 * 3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )


class BatchFailed(RuntimeError):
    """A batch failed a batch-level expectation of severity error; nothing of it was promoted."""


@task(name="pending-batches", cache_policy=NONE)
def pending_batches_task() -> list[str]:
    """Completed ingest batches not validated yet, oldest first."""
    with open_warehouse(get_settings()) as con:
        return pending_batches(con)


@task(name="validate-batch", cache_policy=NONE)
def validate_batch_task(batch_id: str, as_of: date | None) -> dict[str, Any]:
    """Validate one batch with Great Expectations; quarantine and promote; a small summary."""
    try:
        done = stages.validate(get_settings(), as_of, batch=batch_id)
    except StageFailed as exc:
        # A failed batch is reported here and fails the flow after the other batches ran.
        if not isinstance(exc.result, stages.ValidateResult):
            raise
        done = exc.result
    result = done.batches[0]
    return {
        "batch_id": result.batch_id,
        "status": result.status,
        "counts": result.counts,
        "data_docs": str(result.data_docs_path) if result.data_docs_path else None,
        "markdown": result.to_markdown(),
    }


@flow(name="validate")
def validate(
    as_of: OptionalDay = None,
    batch_id: OptionalBatch = None,
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = STAGE_WAIT_S,
) -> list[dict[str, Any]]:
    """Validate pending ingest batches (or one) and promote what passes to core.

    Args:
        as_of: Plant day freshness is judged against; empty: today in the plant's timezone.
        batch_id: Validate (again) only this ingest batch; empty: every pending batch.
        lock_wait_s: Seconds to wait for another run writing the same TWIN_HOME before failing.
    """
    params = ValidateParams(as_of=as_of, batch_id=batch_id, lock_wait_s=lock_wait_s)
    settings = get_settings()
    with home_lock(settings, "validate", wait_s=params.lock_wait_s):
        batch_ids = [params.batch_id] if params.batch_id else pending_batches_task()
        summaries = [validate_batch_task(b, params.as_of) for b in batch_ids]
    body = "\n\n".join(s["markdown"] for s in summaries) or "No pending batches."
    create_markdown_artifact(
        markdown="## Validation\n\n" + body,
        key="validation",
        description=f"{len(summaries)} batch(es) validated",
    )
    logger = get_run_logger()
    for s in summaries:
        logger.info("batch %s: %s %s", s["batch_id"], s["status"], s["counts"])
    failed = [s["batch_id"] for s in summaries if s["status"] == "failed"]
    if failed:
        raise BatchFailed(
            f"batch(es) {', '.join(failed)} failed validation and were not promoted; see the "
            "validation artifact, quality.validation_runs and the Data Docs"
        )
    return [{k: v for k, v in s.items() if k != "markdown"} for s in summaries]
