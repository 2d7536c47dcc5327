"""The enterprise nightly of a multi-site home, and the enterprise publish.

Grain: one ``nightly`` flow run per night of the group; under it one ``site-nightly`` run per
site (deployment ``site-nightly/site-nightly`` on work pool ``twin-sites``, any worker), then
one ``enterprise-publish`` subflow run that builds ``TWIN_HOME/plant.duckdb`` from the sites'
published files (``twin_core.enterprise``).

- ``nightly`` calls ``enterprise_nightly`` when its home has a ``sites/`` folder.
- The site runs are created at once and polled until each is final. A run that CRASHED (its
  worker was killed: Prefect's zombie-detection automation marks a run whose heartbeats
  stopped, see scripts/server.sh) is started again, on any worker, up to
  ``SITE_ATTEMPTS`` times; a site nightly is safe to run again (ingest skips files it has,
  the rebuild makes a new snapshot, publish swaps whole files).
- A site that ends ``Stale`` (its data was missing) is published as its previous night's,
  marked stale. A site that FAILED (or crashed on every attempt) stops the night before the
  enterprise publish: the previous enterprise file stays.
- Two enterprise nightlies at once: the Prefect global concurrency limit
  ``twin-enterprise`` (1 slot, created if missing, visible under Concurrency in the UI) makes
  the second wait up to ``lock_wait_s`` and then fail, naming the limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from pydantic import Field
from twin_core.enterprise import EnterpriseError, publish_enterprise
from twin_core.errors import StageFailed
from twin_core.scenario.spec import PlantDate
from twin_core.settings import Settings
from twin_core.sim.calendar import default_as_of
from twin_core.sites import site_homes

from flows._stages import StageOutcome
from flows.params import NightlyParams, SiteId, _Params
from flows.site_nightly import STALE_STATE

__all__ = [
    "CONCURRENCY_LIMIT",
    "SITE_DEPLOYMENT",
    "SITE_POOL",
    "EnterprisePublishParams",
    "SiteRun",
    "enterprise_nightly",
    "enterprise_publish",
]

SITE_DEPLOYMENT = "site-nightly/site-nightly"
SITE_POOL = "twin-sites"
CONCURRENCY_LIMIT = "twin-enterprise"
SITE_ATTEMPTS = 3
POLL_S = 2.0


class EnterprisePublishParams(_Params):
    """One enterprise publish."""

    as_of: PlantDate = Field(description="The night: every site's snapshot must be of this day.")
    stale: dict[SiteId, str] = Field(
        default_factory=dict,
        description="Sites whose data was missing tonight (site -> why): published as their "
        "previous night's, marked stale.",
    )


@dataclass
class SiteRun:
    """The runs of one site tonight, the last one deciding."""

    site_id: str
    run_ids: list[UUID]
    state: StateType | None = None
    state_name: str = ""
    message: str = ""
    seconds: float = 0.0

    @property
    def attempts(self) -> int:
        return len(self.run_ids)


@flow(name="enterprise-publish", flow_run_name="enterprise-publish-{as_of}")
def enterprise_publish(
    as_of: PlantDate,
    stale: dict[SiteId, str] = {},  # noqa: B006 - Prefect copies parameters per run
) -> dict[str, Any]:
    """Build TWIN_HOME/plant.duckdb from every site's published file for one night.

    Args:
        as_of: The night: every site's snapshot must be of this day.
        stale: Sites whose data was missing tonight (site -> why): published as their
            previous night's, marked stale.
    """
    from flows._stages import settings_for

    params = EnterprisePublishParams(as_of=as_of, stale=stale)

    logger = get_run_logger()
    result = publish_enterprise(settings_for([]), params.as_of, dict(params.stale))
    logger.info("enterprise twin: %s", result.summary())
    rows = "\n".join(
        f"| {p.site_id} | {p.snapshot_id} | {p.as_of} | "
        f"{'**STALE**: ' + (p.stale_reason or '') if p.stale else 'ok'} |"
        for p in result.sites
    )
    create_markdown_artifact(
        markdown=f"## Enterprise twin {params.as_of}\n\n| site | snapshot | day | state |\n"
        f"|---|---|---|---|\n{rows}\n\n`{result.path}`\n",
        key="enterprise-publish",
        description=f"sites of the enterprise twin for {params.as_of}",
    )
    return {
        "path": str(result.path),
        "sites": {p.site_id: p.snapshot_id for p in result.sites},
        "stale": result.stale_sites,
    }


def _ensure_limit() -> None:
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(CONCURRENCY_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=CONCURRENCY_LIMIT, limit=1)
                )
            except Exception:  # created by a concurrent nightly meanwhile
                client.read_global_concurrency_limit_by_name(CONCURRENCY_LIMIT)


def _start(site_id: str, as_of: date, params: NightlyParams, attempt: int) -> UUID:
    run = run_deployment(
        SITE_DEPLOYMENT,
        parameters={
            "site_id": site_id,
            "as_of": as_of.isoformat(),
            "lock_wait_s": params.lock_wait_s,
            "allow_partial": params.allow_partial,
        },
        flow_run_name=f"site-{site_id}-{as_of}" + (f"-attempt{attempt}" if attempt > 1 else ""),
        timeout=0,  # created now; this flow polls them all
        as_subflow=True,
    )
    assert isinstance(run, FlowRun)  # called from sync code: the run, not a coroutine
    return run.id


def run_sites(sites: list[str], as_of: date, params: NightlyParams) -> list[SiteRun]:
    """Start one site-nightly per site on the pool, wait for all; start a crashed one again."""
    logger = get_run_logger()
    runs = {s: SiteRun(s, [_start(s, as_of, params, 1)]) for s in sites}
    started = time.monotonic()
    pending = set(sites)
    with get_client(sync_client=True) as client:
        while pending:
            time.sleep(POLL_S)
            for site_id in sorted(pending):
                site = runs[site_id]
                state = client.read_flow_run(site.run_ids[-1]).state
                if state is None or not state.is_final():
                    continue
                if state.type == StateType.CRASHED and site.attempts < SITE_ATTEMPTS:
                    logger.warning(
                        "site %s: run %s CRASHED (%s); starting it again (attempt %d)",
                        site_id,
                        site.run_ids[-1],
                        state.message,
                        site.attempts + 1,
                    )
                    site.run_ids.append(_start(site_id, as_of, params, site.attempts + 1))
                    continue
                site.state, site.state_name = state.type, state.name or ""
                site.message = state.message or ""
                site.seconds = time.monotonic() - started
                pending.discard(site_id)
                logger.info("site %s: %s after %d attempt(s)", site_id, state.name, site.attempts)
    return [runs[s] for s in sites]


def enterprise_nightly(settings: Settings, params: NightlyParams) -> Any:
    """The nightly of a multi-site home: every site on the pool, then the enterprise publish.
    Returns the nightly's summary (one stage per site, then publish)."""
    from flows.nightly import NightlySummary

    logger = get_run_logger()
    homes = site_homes(settings.home)
    sites = [s for s in homes if not params.sites or s in params.sites]
    unknown = sorted(set(params.sites) - set(homes))
    if unknown:
        raise StageFailed(f"unknown site {unknown}; the home has sites {', '.join(homes)}")
    as_of = params.as_of or default_as_of(settings.timezone, None)
    summary = NightlySummary(as_of, None, None)
    _ensure_limit()
    logger.info("enterprise nightly %s: sites %s on pool %s", as_of, ", ".join(sites), SITE_POOL)
    try:
        with concurrency(CONCURRENCY_LIMIT, timeout_seconds=params.lock_wait_s, strict=True):
            done = run_sites(sites, as_of, params)
            stale: dict[str, str] = {}
            failed: list[str] = []
            for site in done:
                ok = site.state == StateType.COMPLETED
                if ok and site.state_name == STALE_STATE:
                    stale[site.site_id] = site.message
                elif not ok:
                    failed.append(f"{site.site_id} {site.state_name}: {site.message}")
                summary.stages.append(
                    StageOutcome(
                        f"site {site.site_id}",
                        "completed" if ok else "failed",
                        site.seconds,
                        f"{site.state_name} after {site.attempts} attempt(s)"
                        + (f": {site.message}" if site.message and not ok else "")
                        + (" STALE" if site.site_id in stale else ""),
                    )
                )
            if failed:
                raise StageFailed(
                    "the enterprise twin keeps its previous file; site nightly failed: "
                    + "; ".join(failed)
                )
            started = time.monotonic()
            try:
                published = enterprise_publish(as_of=as_of, stale=stale)
            except EnterpriseError as exc:
                raise StageFailed(str(exc)) from None
            summary.stages.append(
                StageOutcome(
                    "publish",
                    "completed",
                    time.monotonic() - started,
                    f"enterprise twin -> {published['path']}"
                    + (f" (stale: {', '.join(published['stale'])})" if published["stale"] else ""),
                    published,
                )
            )
            summary.degraded = [f"site {s} is stale: {why}" for s, why in stale.items()]
    except TimeoutError as exc:
        raise StageFailed(
            f"another enterprise nightly holds the Prefect concurrency limit "
            f"{CONCURRENCY_LIMIT!r}; waited {params.lock_wait_s} s ({exc})"
        ) from None
    return summary
