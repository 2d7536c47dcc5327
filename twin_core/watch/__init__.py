"""The hourly quality watch (issue 27): ingest and validate what landed, judge it with the
current snapshot's limits, rules, drift and sensor checks, and alert each finding once.

Entry point: ``run_watch(settings)`` (one cycle; the ``quality-watch`` flow and ``twin watch``
call it). The nightly calls ``reconcile_alerts`` after its rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from twin_core import stages
from twin_core.errors import StageFailed
from twin_core.runlock import STAGE_WAIT_S, home_lock
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse
from twin_core.watch.alerts import (
    WATCH_TABLES,
    AlertStates,
    open_alerts,
    publish_alerts,
    reconcile_alerts,
)
from twin_core.watch.cycle import WatchCycle, watch_cycle

if TYPE_CHECKING:
    from twin_core.validation.results import BatchValidation

__all__ = [
    "WATCH_TABLES",
    "AlertStates",
    "WatchCycle",
    "WatchResult",
    "open_alerts",
    "publish_alerts",
    "reconcile_alerts",
    "run_watch",
    "watch_cycle",
]


@dataclass
class WatchResult:
    """One cycle end to end: the ingest batch, each validated batch's status, the judgement."""

    ingest_batch: str | None
    ingest_summary: str
    quarantined: bool
    validation: dict[str, str] = field(default_factory=dict)
    cycle: WatchCycle | None = None
    published: bool = False

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return self.cycle.alerts if self.cycle else []

    def summary(self) -> str:
        parts = [self.ingest_summary]
        if self.validation:
            parts.append("validated: " + ", ".join(f"{b} {s}" for b, s in self.validation.items()))
        if self.cycle:
            parts.append(self.cycle.summary())
        return "; ".join(parts)

    def to_markdown(self) -> str:
        head = f"Ingest: {self.ingest_summary}\n\n"
        if self.validation:
            head += (
                "Validation: "
                + ", ".join(f"`{b}` {s}" for b, s in self.validation.items())
                + "\n\n"
            )
        return head + (self.cycle.to_markdown() if self.cycle else "")


def _validate(settings: Settings, as_of: date | None) -> list[BatchValidation]:
    """Every pending batch through the validate stage; a failed batch is a result here."""
    try:
        return stages.validate(settings, as_of).batches
    except StageFailed as exc:
        if isinstance(exc.result, stages.ValidateResult):
            return exc.result.batches
        raise


def run_watch(
    settings: Settings,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    lock_wait_s: float = STAGE_WAIT_S,
    publish: bool = True,
) -> WatchResult:
    """One watch cycle: ingest landing, validate pending batches (the nightly's stage doors,
    ``twin_core.stages.ingest`` and ``validate``, so the same code paths and quarantine), judge
    the new batches, publish the watch's tables into ``plant.duckdb``.

    The watch never stops on its input: ingest runs non-strict (quarantined files are in
    ``quality.quarantine`` and ``quarantined`` is set), and a batch that failed validation is
    reported in ``validation`` and not judged (only promoted batches are); the nightly's
    strict ingest and validation gate still stop the night.

    ``as_of`` is the plant day validation judges freshness against (default today); ``now``
    the cycle's wall clock (default now, UTC).
    """
    with home_lock(settings, "quality watch", wait_s=lock_wait_s):
        ingested = stages.ingest(settings, strict=False)
        validated = _validate(settings, as_of)
        result = WatchResult(
            ingest_batch=ingested.batch_id,
            ingest_summary=ingested.summary(),
            quarantined=bool(ingested.quarantined_anything),
            validation={v.batch_id: str(v.status) for v in validated},
        )
        with open_warehouse(settings) as con:
            result.cycle = watch_cycle(con, settings, now=now)
        if publish and result.cycle.batches:
            result.published = publish_alerts(settings)
    return result
