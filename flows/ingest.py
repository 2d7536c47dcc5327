"""The ``ingest`` flow: new landing files into raw, one task per source.

Grain: one flow run per ingest; one task run per selected source that has files (plus a
start and a finish task), so the UI shows each source's files and counts. The run
publishes a Markdown artifact ``ingest-reconciliation`` (rows read = loaded + quarantined,
per file). Its final state says whether anything was quarantined: ``Completed`` when
nothing was, ``Completed with quarantine`` (a completed state, named so) when something
was, and ``Failed`` in strict mode (``strict`` or TWIN_STRICT_INGEST) after the good rows
are loaded. Transient errors (``flows.retry``: a locked warehouse, an interrupted read) are
retried; anything else (a missing file, bad data) fails the task at once.

The nightly calls ``twin_core.stages.ingest`` in its own stage; this flow (per-source tasks over
the same library functions: plan, one source, finish) is for
ingesting on its own (the ``ingest-hourly`` deployment, or a run from the UI).
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from twin_core.contracts import SOURCES
from twin_core.ingest import (
    FileResult,
    IngestPlan,
    IngestResult,
    finish_ingest,
    ingest_source,
    start_ingest,
)
from twin_core.ingest.discover import discover
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.settings import get_settings

from flows.params import OptionalBool
from flows.retry import retry_if_transient


def _known_source(name: str) -> str:
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    return name


SourceName = Annotated[
    str, AfterValidator(_known_source), Field(json_schema_extra={"enum": list(SOURCES)})
]


class IngestParams(BaseModel):
    """What to ingest; unknown fields are refused when the run is created."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[SourceName] = Field(
        default_factory=list, description="Sources to ingest; empty: every source."
    )
    strict: bool | None = Field(
        default=None,
        description="Fail the run when anything was quarantined (after loading the good rows); "
        "default: the TWIN_STRICT_INGEST setting.",
    )
    retry_quarantined: bool = Field(
        default=False,
        description="Read again files that were quarantined whole and have not changed "
        "(after fixing a mapping file, say).",
    )
    lock_wait_s: int = Field(
        default=STAGE_WAIT_S,
        ge=0,
        le=24 * 3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )


@task(
    name="start-ingest",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def start_task(sources: list[str], retry_quarantined: bool) -> tuple[IngestPlan, list[str]]:
    """Check the request, name the batch, and list the sources that have files."""
    settings = get_settings()
    plan = start_ingest(settings, sources or None, retry_quarantined=retry_quarantined)
    with_files = [s for s in plan.sources if discover(settings.landing_dir, [s])]
    if plan.unknown_folders:
        get_run_logger().warning(
            "folders in landing/ that are no source (not read): %s", list(plan.unknown_folders)
        )
    return plan, with_files


@task(
    name="ingest-source",
    task_run_name="ingest-{source}",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def source_task(plan: IngestPlan, source: str) -> list[FileResult]:
    """Load the new files of one source (files that committed before a retry are skipped)."""
    logger = get_run_logger()

    def log(f: FileResult) -> None:
        if f.status == "quarantined":
            logger.warning("%s: quarantined whole: %s", f.file, f.reason)
        elif f.status == "skipped" and f.noteworthy:
            logger.info("%s: skipped: %s", f.file, f.reason)
        elif f.status == "loaded":
            logger.info(
                "%s: %s rows read, %s loaded, %s quarantined%s (%.1f s)",
                f.file,
                f"{f.rows_read:,}",
                f"{f.rows_loaded:,}",
                f"{f.rows_quarantined:,}",
                f"; extra columns {list(f.extra_columns)}" if f.extra_columns else "",
                f.seconds,
            )

    return ingest_source(get_settings(), plan, source, progress=log)


@task(
    name="finish-ingest",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def finish_task(plan: IngestPlan, files: list[FileResult]) -> IngestResult:
    """Close the batch with its totals."""
    return finish_ingest(get_settings(), plan, files)


@flow(name="ingest")
def ingest(
    sources: list[SourceName] = [],  # noqa: B006 - Prefect copies parameters per run
    strict: OptionalBool = None,
    retry_quarantined: bool = False,
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = STAGE_WAIT_S,
) -> State[Any]:
    """Load new landing files into raw, one task per source, with a reconciliation artifact.

    Args:
        sources: Sources to ingest; empty: every source.
        strict: Fail the run when anything was quarantined (after loading the good rows);
            empty: the TWIN_STRICT_INGEST setting.
        retry_quarantined: Read again files that were quarantined whole and have not changed
            (after fixing a mapping file, say).
        lock_wait_s: Seconds to wait for another run writing the same TWIN_HOME before failing.
    """
    params = IngestParams(
        sources=sources, strict=strict, retry_quarantined=retry_quarantined, lock_wait_s=lock_wait_s
    )
    logger = get_run_logger()
    settings = get_settings()
    strict = settings.strict_ingest if params.strict is None else params.strict
    files: list[FileResult] = []
    failed: dict[str, str] = {}
    with home_lock(settings, "ingest", wait_s=params.lock_wait_s):
        plan, with_files = start_task(list(params.sources), params.retry_quarantined)
        for source in with_files:
            # A source that fails (after its retries) does not stop the others.
            try:
                files += source_task(plan, source)
            except Exception as exc:
                failed[source] = f"{type(exc).__name__}: {exc}"
                logger.error("source %s failed: %s", source, failed[source])
        # Files that committed form a complete batch even when a source failed.
        result = finish_task(plan, files)
        create_markdown_artifact(
            markdown=result.to_markdown()
            + "".join(f"\n**{s} failed** (retried): {why}\n" for s, why in failed.items()),
            key="ingest-reconciliation",
            description=f"ingest batch {result.batch_id or '(nothing new)'}",
        )
    summary = result.summary()
    logger.info(summary)
    data = {"batch_id": result.batch_id, "totals": result.totals.__dict__, "failed": failed}
    if failed:
        return Failed(
            message=f"source(s) {', '.join(failed)} failed (the files they committed and the "
            f"other sources are loaded): {summary}",
            data=data,
        )
    if not result.reconciles:  # cannot happen unless the library is broken: say so loudly
        return Failed(message=f"reconciliation does not hold: {summary}", data=data)
    if not result.quarantined_anything:
        return Completed(message=summary, data=data)
    if strict:
        return Failed(
            message=f"strict ingest: input was quarantined (the good rows are loaded): {summary}",
            data=data,
        )
    logger.warning("input was quarantined: see quality.quarantine and the artifact")
    return Completed(name="Completed with quarantine", message=summary, data=data)
