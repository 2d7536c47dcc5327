"""The nightly's stages as Prefect tasks: each calls one library entry point and returns a
small summary (ids, counts, paths), never a DataFrame.

Grain: one task run per stage per nightly (five), so a backfill of a month is ~150 task
runs, well inside what the local API's SQLite handles.

Each stage's entry point is looked up when the stage runs. While the project is being
built some stages may not exist yet; such a stage is reported as ``skipped`` with the
reason, in the run's summary artifact and in the return value, never as done.
A stage that exists and fails raises, so the stages after it (publish last) do not run.
"""

from __future__ import annotations

import errno
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from twin_core.settings import Settings, get_settings
from twin_core.warehouse import WarehouseError

# stage -> (module, function). The signatures the flows call:
#   ingest_landing(settings, *, sources=None, progress=None) -> IngestResult
#   validate_pending(settings, *, as_of=None) -> list[BatchValidation]
#   rebuild_snapshot(settings, as_of, *, allow_partial) -> int
#   build_reports(settings, *, as_of=None, snapshot_id=None) -> ReportResult
#   publish(settings) -> PublishResult
ENTRY_POINTS: dict[str, tuple[str, str]] = {
    "ingest": ("twin_core.ingest", "ingest_landing"),
    "validate": ("twin_core.validation", "validate_pending"),
    "rebuild": ("twin_core.rebuild", "rebuild_snapshot"),
    "report": ("twin_core.report", "build_reports"),
    "publish": ("twin_core.publish", "publish"),
}
NIGHTLY_STAGES: tuple[str, ...] = ("ingest", "validate", "rebuild", "report", "publish")

Status = Literal["completed", "skipped", "failed"]


class StageFailed(RuntimeError):
    """A stage ran and its result says the nightly must stop (e.g. a batch failed validation)."""


@dataclass
class StageOutcome:
    """What one stage did, small enough to log and return."""

    stage: str
    status: Status
    seconds: float = 0.0
    detail: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def entry_point(stage: str) -> Callable[..., Any] | None:
    """The library function of a stage, or None if this build does not have it yet."""
    module_name, attr = ENTRY_POINTS[stage]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only the stage's own module being absent means "not built yet"; a missing
        # dependency inside it is a real error and must surface.
        if exc.name is not None and module_name.startswith(exc.name):
            return None
        raise
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


_TRANSIENT_ERRNO = {errno.EAGAIN, errno.EBUSY, errno.EIO, errno.EINTR, errno.ETIMEDOUT}


def is_transient(exc: object) -> bool:
    """An error worth a retry: a file locked for a moment, an interrupted or failed read.
    A missing folder, a bad mapping or bad data fail at once (a retry cannot fix them)."""
    if isinstance(exc, WarehouseError):
        return "locked" in str(exc)
    if isinstance(exc, duckdb.IOException):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNO


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry condition: retry only transient I/O errors."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return False
    return is_transient(exc)


def available_stages() -> dict[str, bool]:
    return {s: entry_point(s) is not None for s in NIGHTLY_STAGES}


def settings_for(sites: list[str]) -> Settings:
    """Settings from the environment (TWIN_HOME, ...), restricted to ``sites`` if given."""
    return get_settings(site_ids=list(sites)) if sites else get_settings()


def _skipped(stage: str) -> StageOutcome:
    module_name, attr = ENTRY_POINTS[stage]
    return StageOutcome(
        stage, "skipped", detail=f"not available in this build ({module_name}.{attr})"
    )


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


@task(
    name="ingest",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_if_transient,
    cache_policy=NONE,
)
def ingest_stage(sites: list[str]) -> StageOutcome:
    """Load new landing files into raw (files already seen are skipped by content hash)."""
    fn = entry_point("ingest")
    if fn is None:
        return _skipped("ingest")
    started = time.perf_counter()
    settings = settings_for(sites)
    result = fn(settings)
    batch_id = _attr(result, "batch_id")
    to_markdown = _attr(result, "to_markdown")
    if callable(to_markdown):
        create_markdown_artifact(
            markdown=str(to_markdown()),
            key="ingest-reconciliation",
            description=f"ingest batch {batch_id or '(nothing new)'}",
        )
    summary = _attr(result, "summary")
    detail = str(summary()) if callable(summary) else f"batch {batch_id}"
    if settings.strict_ingest and _attr(result, "quarantined_anything"):
        raise StageFailed(
            f"strict ingest: input was quarantined ({detail}); the good rows are loaded but "
            "nothing was published. See quality.quarantine and the ingest-reconciliation artifact."
        )
    return StageOutcome(
        "ingest", "completed", time.perf_counter() - started, detail, {"batch_id": batch_id}
    )


@task(name="validate", cache_policy=NONE)
def validate_stage(sites: list[str], as_of: date) -> StageOutcome:
    """Validate every pending raw batch with Great Expectations and promote it to core."""
    fn = entry_point("validate")
    if fn is None:
        return _skipped("validate")
    started = time.perf_counter()
    results = list(fn(settings_for(sites), as_of=as_of))
    statuses = {str(_attr(r, "batch_id")): str(_attr(r, "status")) for r in results}
    failed = sorted(b for b, s in statuses.items() if s == "failed")
    if failed:
        raise StageFailed(
            f"validation failed for batch(es) {', '.join(failed)}; nothing was published. "
            "See quality.validation_runs and quality.quarantine for the reasons."
        )
    detail = ", ".join(f"{b}: {s}" for b, s in statuses.items()) or "no pending batches"
    return StageOutcome(
        "validate", "completed", time.perf_counter() - started, detail, {"batches": statuses}
    )


@task(name="rebuild", cache_policy=NONE)
def rebuild_stage(sites: list[str], as_of: date, allow_partial: bool = False) -> StageOutcome:
    """Build a new twin snapshot for ``as_of`` from the validated core tables; stop before
    building when a required source is missing or stale (unless ``allow_partial``)."""
    from twin_core.twin.coverage import CoverageGap, snapshot_degraded

    fn = entry_point("rebuild")
    if fn is None:
        return _skipped("rebuild")
    started = time.perf_counter()
    settings = settings_for(sites)
    try:
        snapshot_id = int(fn(settings, as_of, allow_partial=allow_partial))
    except CoverageGap as exc:
        raise StageFailed(str(exc)) from None
    degraded = snapshot_degraded(settings, snapshot_id)
    detail = f"snapshot {snapshot_id}"
    if degraded:
        detail += f" DEGRADED ({len(degraded)} coverage problem(s), see twin.data_coverage)"
    return StageOutcome(
        "rebuild",
        "completed",
        time.perf_counter() - started,
        detail,
        {"snapshot_id": snapshot_id, "degraded": degraded},
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
    fn = entry_point("report")
    if fn is None:
        return _skipped("report")
    started = time.perf_counter()
    result = fn(settings_for(sites), as_of=as_of, snapshot_id=snapshot_id)
    paths = _attr(result, "paths")
    summary = _attr(result, "summary_markdown", "summary")
    instructions = _attr(result, "instructions_markdown", "instructions")
    if summary:
        create_markdown_artifact(
            markdown=str(summary), key="nightly-report", description=f"twin report {as_of}"
        )
    if instructions:
        create_markdown_artifact(
            markdown=str(instructions),
            key="department-instructions",
            description=f"instructions for {as_of}",
        )
    listed = [str(p) for p in (paths.values() if isinstance(paths, dict) else paths or [])]
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
    fn = entry_point("publish")
    if fn is None:
        return _skipped("publish")
    started = time.perf_counter()
    result = fn(settings_for(sites))
    snapshot_id = _attr(result, "snapshot_id")
    moved = [str(p) for p in _attr(result, "moved_aside") or ()]
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
        f"snapshot {snapshot_id} -> {_attr(result, 'path')}"
        + (f"; moved aside {', '.join(Path(p).name for p in moved)}" if moved else ""),
        {"snapshot_id": snapshot_id, "path": str(_attr(result, "path"))},
    )


def outcomes_markdown(title: str, outcomes: list[StageOutcome], missing: list[str]) -> str:
    """A markdown table of the stages of one run (the run's summary artifact)."""
    lines = [f"## {title}", "", "| stage | status | seconds | detail |", "|---|---|---:|---|"]
    ran = {o.stage for o in outcomes}
    for o in outcomes:
        lines.append(f"| {o.stage} | {o.status} | {o.seconds:.2f} | {o.detail} |")
    for s in missing:
        if s not in ran:
            lines.append(f"| {s} | not run | | an earlier stage failed |")
    skipped = [o.stage for o in outcomes if o.status == "skipped"]
    if skipped:
        lines += ["", f"**Skipped (not built yet): {', '.join(skipped)}.**"]
    return "\n".join(lines) + "\n"
