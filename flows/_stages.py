"""The nightly's stages as Prefect tasks: each calls its one library door
(``twin_core.stages``) and returns a small summary (ids, counts, paths), never a DataFrame.

Grain: one task run per stage per nightly (five), so a backfill of a month is ~150 task
runs, well inside what the local API's SQLite handles. A stage whose result means the night
must stop raises ``StageFailed`` (from the library), so the stages after it (publish last)
do not run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from twin_core import stages
from twin_core.errors import StageFailed
from twin_core.markdown import md_text
from twin_core.settings import Settings, get_settings

from flows.retry import is_transient, retry_if_transient

__all__ = [
    "NIGHTLY_STAGES",
    "StageFailed",
    "StageOutcome",
    "ingest_stage",
    "is_transient",
    "outcomes_markdown",
    "publish_stage",
    "rebuild_stage",
    "report_stage",
    "retry_if_transient",
    "settings_for",
    "validate_stage",
]

NIGHTLY_STAGES: tuple[str, ...] = stages.STAGES

Status = Literal["completed", "failed"]


@dataclass
class StageOutcome:
    """What one stage did, small enough to log and return."""

    stage: str
    status: Status
    seconds: float = 0.0
    detail: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def settings_for(sites: list[str]) -> Settings:
    """Settings from the environment (TWIN_HOME, ...), restricted to ``sites`` if given."""
    return get_settings(site_ids=list(sites)) if sites else get_settings()


@task(
    name="ingest",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def ingest_stage(sites: list[str]) -> StageOutcome:
    """Load new landing files into raw (files already seen are skipped by content hash)."""
    started = time.perf_counter()
    try:
        result = stages.ingest(settings_for(sites))
    except StageFailed as exc:
        if exc.result is not None:
            _reconciliation(exc.result)
        raise
    _reconciliation(result)
    return StageOutcome(
        "ingest",
        "completed",
        time.perf_counter() - started,
        result.summary(),
        {"batch_id": result.batch_id},
    )


def _reconciliation(result: Any) -> None:
    """The ingest-reconciliation artifact: every file's rows in, loaded and quarantined."""
    create_markdown_artifact(
        markdown=result.to_markdown(),
        key="ingest-reconciliation",
        description=f"ingest batch {result.batch_id or '(nothing new)'}",
    )


@task(name="validate", cache_policy=NONE)
def validate_stage(sites: list[str], as_of: date) -> StageOutcome:
    """Validate every pending raw batch with Great Expectations and promote it to core."""
    started = time.perf_counter()
    result = stages.validate(settings_for(sites), as_of)
    return StageOutcome(
        "validate",
        "completed",
        time.perf_counter() - started,
        result.summary(),
        {"batches": result.statuses},
    )


@task(name="rebuild", cache_policy=NONE)
def rebuild_stage(sites: list[str], as_of: date, allow_partial: bool = False) -> StageOutcome:
    """Build a new twin snapshot for ``as_of`` from the validated core tables; stop before
    building when a required source is missing or stale (unless ``allow_partial``)."""
    started = time.perf_counter()
    result = stages.rebuild(settings_for(sites), as_of, allow_partial=allow_partial)
    return StageOutcome(
        "rebuild",
        "completed",
        time.perf_counter() - started,
        result.summary(),
        {"snapshot_id": result.snapshot_id, "degraded": result.degraded},
    )


@task(
    name="report",
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def report_stage(sites: list[str], as_of: date, snapshot_id: int | None) -> StageOutcome:
    """Write the department instructions and the quality report for the snapshot."""
    started = time.perf_counter()
    result = stages.report(settings_for(sites), as_of, snapshot_id=snapshot_id)
    create_markdown_artifact(
        markdown=result.summary_markdown, key="nightly-report", description=f"twin report {as_of}"
    )
    create_markdown_artifact(
        markdown=result.instructions_markdown,
        key="department-instructions",
        description=f"instructions for {as_of}",
    )
    listed = [str(p) for p in result.paths.values()]
    return StageOutcome(
        "report",
        "completed",
        time.perf_counter() - started,
        f"{len(listed)} file(s)",
        {"paths": listed},
    )


@task(
    name="publish",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def publish_stage(sites: list[str]) -> StageOutcome:
    """Swap a fresh read-only plant.duckdb in (atomic; readers keep the old file)."""
    started = time.perf_counter()
    result = stages.publish(settings_for(sites))
    moved = [str(p) for p in result.moved_aside]
    if moved:
        get_run_logger().warning(
            "moved aside a stale WAL beside plant.duckdb (a read-write session wrote to the "
            "published file): %s",
            ", ".join(moved),
        )
    return StageOutcome(
        "publish",
        "completed",
        time.perf_counter() - started,
        f"snapshot {result.snapshot_id} -> {result.path}"
        + (f"; moved aside {', '.join(Path(p).name for p in moved)}" if moved else ""),
        {"snapshot_id": result.snapshot_id, "path": str(result.path)},
    )


def outcomes_markdown(title: str, outcomes: list[StageOutcome], missing: list[str]) -> str:
    """A markdown table of the stages of one run (the run's summary artifact)."""
    lines = [f"## {title}", "", "| stage | status | seconds | detail |", "|---|---|---:|---|"]
    ran = {o.stage for o in outcomes}
    for o in outcomes:
        # The detail can quote an error naming a landing file: escaped like all extract text.
        lines.append(f"| {o.stage} | {o.status} | {o.seconds:.2f} | {md_text(o.detail)} |")
    for s in missing:
        if s not in ran:
            lines.append(f"| {s} | not run | | an earlier stage failed |")
    return "\n".join(lines) + "\n"
