"""One door per stage: the library function each caller of a stage calls.

The nightly's Prefect tasks (``flows/_stages.py``), the standalone flows and the ``twin``
commands all run a stage through exactly one of these functions. Each takes the settings
(and the plant day where the stage needs one), returns a typed result, and raises
``StageFailed`` when its result means the night must stop (strict ingest with quarantined
input, a batch that failed validation, a required source missing for the day). Locking is
the caller's: a nightly holds the TWIN_HOME lock across all five stages, a single command
for its one stage.

The engines load inside the functions: importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from twin_core.errors import StageFailed
from twin_core.settings import Settings

if TYPE_CHECKING:
    from twin_core.ingest import FileResult, IngestResult
    from twin_core.publish import PublishResult
    from twin_core.report.build import ReportResult
    from twin_core.validation.results import BatchValidation

__all__ = [
    "STAGES",
    "RebuildResult",
    "StageFailed",
    "ValidateResult",
    "ingest",
    "publish",
    "rebuild",
    "report",
    "validate",
]

# The nightly's stages, in the order they run.
STAGES: tuple[str, ...] = ("ingest", "validate", "rebuild", "report", "publish")


def strict_failure(result: IngestResult) -> str:
    """The message of a strict ingest that quarantined input (the good rows are loaded)."""
    return (
        f"strict ingest: input was quarantined ({result.summary()}); the good rows are loaded "
        "but nothing was published. See quality.quarantine and the ingest-reconciliation artifact."
    )


def ingest(
    settings: Settings,
    *,
    sources: list[str] | None = None,
    progress: Callable[[FileResult], None] | None = None,
    retry_quarantined: bool = False,
    strict: bool | None = None,
) -> IngestResult:
    """Load new landing files into raw (unchanged files are skipped by content hash).

    ``strict`` (default: ``settings.strict_ingest``): raise ``StageFailed`` after loading when
    anything was quarantined; the exception's ``result`` is the ``IngestResult``.
    """
    from twin_core.ingest import ingest_landing

    result = ingest_landing(
        settings, sources=sources, progress=progress, retry_quarantined=retry_quarantined
    )
    if (settings.strict_ingest if strict is None else strict) and result.quarantined_anything:
        raise StageFailed(strict_failure(result), result=result)
    return result


@dataclass(frozen=True)
class ValidateResult:
    """The batches one validation run looked at, oldest first."""

    batches: list[BatchValidation] = field(default_factory=list)

    @property
    def statuses(self) -> dict[str, str]:
        return {b.batch_id: str(b.status) for b in self.batches}

    @property
    def failed(self) -> list[str]:
        return sorted(b.batch_id for b in self.batches if b.status == "failed")

    def summary(self) -> str:
        return ", ".join(f"{b}: {s}" for b, s in self.statuses.items()) or "no pending batches"


def validation_failure(failed: list[str]) -> str:
    return (
        f"validation failed for batch(es) {', '.join(failed)}; nothing was published. "
        "See quality.validation_runs and quality.quarantine for the reasons."
    )


def validate(
    settings: Settings, as_of: date | None = None, *, batch: str | None = None
) -> ValidateResult:
    """Validate every pending ingest batch (or only ``batch``) with Great Expectations and
    promote what passes to core. A batch that failed raises ``StageFailed`` after every batch
    was looked at; its ``result`` is the ``ValidateResult``."""
    from twin_core.validation import validate_batch, validate_pending

    batches = (
        [validate_batch(settings, batch, as_of=as_of)]
        if batch
        else validate_pending(settings, as_of=as_of)
    )
    result = ValidateResult(list(batches))
    if result.failed:
        raise StageFailed(validation_failure(result.failed), result=result)
    return result


@dataclass(frozen=True)
class RebuildResult:
    """A snapshot built: its id and day, why it is degraded (empty: not), and its rows per
    table (empty unless asked for with ``count_rows``)."""

    snapshot_id: int
    as_of: date
    degraded: list[str]
    rows: dict[str, int]

    def summary(self) -> str:
        text = f"snapshot {self.snapshot_id}"
        if self.degraded:
            text += f" DEGRADED ({len(self.degraded)} coverage problem(s), see twin.data_coverage)"
        return text


def rebuild(
    settings: Settings, as_of: date, *, allow_partial: bool = False, count_rows: bool = False
) -> RebuildResult:
    """Build a new twin snapshot for ``as_of`` from the validated core tables.

    Without ``allow_partial`` the coverage gate applies: a required source missing or stale
    for the day raises ``StageFailed`` before anything is written. A site the warehouse does
    not know raises ``UnknownSite`` (``twin_core.sites``), also before anything is written.
    """
    from twin_core.rebuild import rebuild as build
    from twin_core.rebuild import snapshot_rows
    from twin_core.sites import check_sites
    from twin_core.twin.coverage import CoverageGap, snapshot_degraded
    from twin_core.warehouse import open_warehouse

    try:
        with open_warehouse(settings) as con:
            check_sites(con, settings.site_ids)  # an unknown site: refused, nothing built
            snapshot_id = build(con, settings, as_of, allow_partial=allow_partial)
            # A count per history table: for the commands that print it, not the nightly.
            rows = snapshot_rows(con, snapshot_id) if count_rows else {}
    except CoverageGap as exc:
        raise StageFailed(str(exc)) from None
    return RebuildResult(snapshot_id, as_of, snapshot_degraded(settings, snapshot_id), rows)


def report(
    settings: Settings, as_of: date | None = None, *, snapshot_id: int | None = None
) -> ReportResult:
    """Write the department instructions and reports of a snapshot (default: the latest)."""
    from twin_core.report import build_reports

    return build_reports(settings, as_of=as_of, snapshot_id=snapshot_id)


def publish(settings: Settings) -> PublishResult:
    """Swap a fresh read-only plant.duckdb in (atomic; readers keep the old file)."""
    from twin_core.publish import publish as publish_warehouse

    return publish_warehouse(settings)
