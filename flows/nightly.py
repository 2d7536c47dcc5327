"""The nightly and the backfill: how the twin runs itself.

Grain: one ``nightly`` flow run per plant day (five task runs: ingest, validate, rebuild,
report, publish); one ``backfill`` flow run per range, with one nightly subflow run per day.

- ``nightly``: the stages in order. Publish runs last and only when every stage before it
  succeeded, so a failed night leaves the published ``plant.duckdb`` as it was.
- ``backfill``: the nightly for each day from start to end, in order, as subflows (each day
  is its own run in the UI, with its own summary). It stops at the first failed day: later
  snapshots built on top of a failed day would be wrong.

Both hold the home's Prefect concurrency slot and its write lock (``flows._homeslot``) for
their whole run: a second
nightly, backfill or scenario on the same TWIN_HOME waits up to ``lock_wait_s`` and then
fails before doing anything, naming the run it waited for. The nightly subflows of a
backfill run in the backfill's process and pass through its lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import deployment, flow_run
from pydantic import Field
from twin_core.runlock import NIGHT_WAIT_S
from twin_core.scenario.spec import PlantDate
from twin_core.settings import Settings
from twin_core.sim.calendar import default_as_of
from twin_core.sites import UnknownSite, check_settings_sites, has_sites
from twin_core.twin.coverage import default_day_problem

from flows import progress
from flows._homeslot import home_slot
from flows._stages import (
    NIGHTLY_STAGES,
    StageFailed,
    StageOutcome,
    ingest_stage,
    outcomes_markdown,
    publish_stage,
    rebuild_stage,
    report_stage,
    settings_for,
    validate_stage,
)
from flows.params import BackfillParams, NightlyParams, OptionalDay, SiteId
from flows.quality_watch import reconcile_task

__all__ = ["NightlySummary", "backfill", "default_as_of", "nightly"]


@dataclass
class NightlySummary:
    """What one nightly did: its day, the snapshot it built and published, each stage."""

    as_of: date
    snapshot_id: int | None
    published_snapshot_id: int | None
    stages: list[StageOutcome] = field(default_factory=list)
    # Why the snapshot is degraded (built with --allow-partial or on partial input); empty: not.
    degraded: list[str] = field(default_factory=list)


def _scheduled_start() -> datetime | None:
    try:
        value = flow_run.scheduled_start_time
    except Exception:  # outside a run (direct call in tests): use now
        return None
    return value if isinstance(value, datetime) else None


def _nightly_run_name() -> str:
    as_of = flow_run.parameters.get("as_of")
    return f"nightly-{as_of or 'yesterday'}"


def _check_sites(settings: Settings, *, allow_empty: bool) -> None:
    try:
        check_settings_sites(settings, allow_empty=allow_empty)
    except UnknownSite as exc:
        raise StageFailed(str(exc)) from None


def _refresh_deployment_choices(settings: Settings, logger: Any) -> None:
    """A run from a deployment: write the master data's ids it just published into the twin
    deployments' schemas (flows.deploy), so the next runs created are checked against them.
    Best effort: a failure is a warning, the night's work is done."""
    if deployment.id is None:
        return
    from flows.deploy import forbid_unknown_parameters, master_data_ids

    try:
        ids = master_data_ids(settings)
        forbid_unknown_parameters(ids=ids)
    except Exception as exc:
        logger.warning("deployment parameter choices not refreshed: %s", exc)
    else:
        logger.info(
            "deployment parameter choices: %s", ", ".join(f"{k} {len(v)}" for k, v in ids.items())
        )


@flow(name="nightly", flow_run_name=_nightly_run_name, retries=0)
def nightly(
    as_of: OptionalDay = None,
    sites: list[SiteId] = [],  # noqa: B006 - Prefect copies parameters per run
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = NIGHT_WAIT_S,
    allow_partial: bool = False,
) -> NightlySummary:
    """Ingest, validate, rebuild, report and publish the twin for one plant day.

    Args:
        as_of: The plant day to build the twin for (its data up to the end of that day).
            Empty: the day before the run's scheduled time, in the plant's timezone.
        sites: Sites to process; empty: the configured TWIN_SITE_IDS (default every site).
        lock_wait_s: Seconds to wait for another run on the same TWIN_HOME before failing.
        allow_partial: Build the snapshot even when a required source is missing or stale
            for the day; it is marked degraded (twin.snapshots.degraded) with the reasons.
    """
    params = NightlyParams(
        as_of=as_of, sites=sites, lock_wait_s=lock_wait_s, allow_partial=allow_partial
    )
    logger = get_run_logger()
    sites = list(params.sites)
    settings = settings_for(sites)
    if has_sites(settings.home):  # a multi-site home: every site on the pool, then enterprise
        from flows.enterprise_publish import enterprise_nightly

        return enterprise_nightly(settings, params)  # type: ignore[no-any-return]
    as_of = params.as_of or default_as_of(settings.timezone, _scheduled_start())
    summary = NightlySummary(as_of, None, None)
    degraded_note = ""
    logger.info("nightly for %s on TWIN_HOME %s", as_of, settings.home)
    try:
        with home_slot(
            settings,
            f"nightly {as_of}",
            wait_s=params.lock_wait_s,
            logger=logger,
            on_wait=lambda holder: logger.info("waiting for TWIN_HOME: %s holds it", holder),
        ):
            # Unknown sites are refused before anything runs; a fresh home knows no site
            # until its first master data is in, so it is checked again before the rebuild.
            _check_sites(settings, allow_empty=True)
            _staged(summary, "ingest", lambda: ingest_stage(sites))
            _staged(summary, "validate", lambda: validate_stage(sites, as_of))
            _check_sites(settings, allow_empty=False)
            if params.as_of is None:
                # A default day past the newest data would be an empty snapshot: refuse.
                problem = default_day_problem(settings, as_of)
                if problem:
                    raise StageFailed(problem)
            rebuilt = _staged(
                summary, "rebuild", lambda: rebuild_stage(sites, as_of, params.allow_partial)
            )
            summary.snapshot_id = rebuilt.values.get("snapshot_id")
            summary.degraded = list(rebuilt.values.get("degraded") or [])
            if summary.degraded:
                logger.warning(
                    "snapshot %s is DEGRADED: %s", summary.snapshot_id, "; ".join(summary.degraded)
                )
                degraded_note = (
                    f"\n**DEGRADED snapshot {summary.snapshot_id}** (built on missing or partial "
                    "input; see twin.data_coverage):\n\n"
                    + "\n".join(f"- {r}" for r in summary.degraded)
                    + "\n"
                )
            if summary.snapshot_id is not None:
                # The hourly watch's open alerts: confirmed or cleared by the new snapshot.
                logger.info("quality watch alerts: %s", reconcile_task(sites, summary.snapshot_id))
            snapshot_id = summary.snapshot_id
            _staged(summary, "report", lambda: report_stage(sites, as_of, snapshot_id))
            published = _staged(summary, "publish", lambda: publish_stage(sites))
            summary.published_snapshot_id = published.values.get("snapshot_id")
            _refresh_deployment_choices(settings, logger)
    finally:
        create_markdown_artifact(
            markdown=outcomes_markdown(f"Nightly {as_of}", summary.stages, list(NIGHTLY_STAGES))
            + degraded_note,
            key="nightly-summary",
            description=f"stages of the nightly for {as_of}",
        )
    return summary


def _staged(summary: NightlySummary, stage: str, run: Callable[[], StageOutcome]) -> StageOutcome:
    """Run one stage, add its outcome to the summary, and tell a progress listener (the CLI's
    bar) when it starts and ends; a failed stage is told as failed, then raised as before."""
    progress.stage_started(summary.as_of, stage)
    started = time.perf_counter()
    try:
        outcome = run()
    except BaseException as exc:
        progress.stage_done(summary.as_of, stage, time.perf_counter() - started, str(exc), "failed")
        raise
    progress.stage_done(summary.as_of, stage, outcome.seconds, outcome.detail, outcome.status)
    summary.stages.append(outcome)
    return outcome


def _backfill_run_name() -> str:
    return f"backfill-{flow_run.parameters.get('start')}-{flow_run.parameters.get('end')}"


@flow(name="backfill", flow_run_name=_backfill_run_name)
def backfill(
    start: PlantDate,
    end: PlantDate,
    sites: list[SiteId] = [],  # noqa: B006 - Prefect copies parameters per run
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = NIGHT_WAIT_S,
    allow_partial: bool = False,
) -> list[NightlySummary]:
    """Run the nightly for each day from start to end (inclusive), in order; stop at the first
    failed day.

    Args:
        start: First plant day (inclusive).
        end: Last plant day (inclusive).
        sites: As in the nightly.
        lock_wait_s: As in the nightly.
        allow_partial: As in the nightly.
    """
    params = BackfillParams(
        start=start, end=end, sites=sites, lock_wait_s=lock_wait_s, allow_partial=allow_partial
    )
    logger = get_run_logger()
    sites = list(params.sites)
    settings = settings_for(sites)
    days = [params.start + timedelta(days=i) for i in range((params.end - params.start).days + 1)]
    done: list[NightlySummary] = []
    with home_slot(
        settings,
        f"backfill {params.start}..{params.end}",
        wait_s=params.lock_wait_s,
        logger=logger,
        on_wait=lambda holder: logger.info("waiting for TWIN_HOME: %s holds it", holder),
    ):
        _check_sites(settings, allow_empty=True)  # each night checks again
        for day in days:
            logger.info("backfill: nightly %s (%d of %d)", day, len(done) + 1, len(days))
            progress.night_started(day, len(done) + 1, len(days))
            done.append(
                nightly(as_of=day, sites=sites, lock_wait_s=0, allow_partial=params.allow_partial)
            )
    rows = "\n".join(
        f"| {s.as_of} | {s.snapshot_id} | {s.published_snapshot_id} | "
        f"{'**DEGRADED**' if s.degraded else 'ok'} |"
        for s in done
    )
    create_markdown_artifact(
        markdown="## Backfill\n\n| day | snapshot | published | coverage |\n"
        "|---|---|---|---|\n" + rows + "\n",
        key="backfill-summary",
        description=f"backfill {params.start}..{params.end}",
    )
    return done
