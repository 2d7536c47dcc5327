"""The site-nightly: the nightly's stages for one site of a multi-site home.

Grain: one ``site-nightly`` flow run per site per night, on the work pool ``twin-sites``
(any worker: the sites' homes live under a path every worker sees). The enterprise nightly
(``flows.enterprise_publish``) starts one per site with ``run_deployment`` and waits.

The run is the ordinary nightly (ingest, validate, rebuild, report, publish) on the site's
home ``TWIN_HOME/sites/<site_id>/``, as a subflow, so each site has the same stages, lock,
retries and summary as a one-site home. A site whose data is missing for the night (the
coverage gate stops its nightly before the rebuild) does not fail the night: the run ends
``Completed`` with the state name ``Stale`` and the gate's reason as its message, its
published file stays the previous night's, and the enterprise publish marks it stale.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed
from pydantic import Field
from twin_core.errors import StageFailed
from twin_core.runlock import NIGHT_WAIT_S
from twin_core.scenario.spec import PlantDate
from twin_core.settings import get_settings
from twin_core.sites import prepare_site_home, site_home

from flows.nightly import NightlySummary, nightly
from flows.params import OptionalDay, SiteId, _Params

__all__ = ["STALE_STATE", "SiteNightlyParams", "is_missing_data", "site_nightly"]

# The state name of a site-nightly whose data was missing (a Completed state).
STALE_STATE = "Stale"
# What the coverage gate's message says (twin_core.twin.coverage.gap_message).
_GAP_TEXT = "required input is missing or stale"


class SiteNightlyParams(_Params):
    """One site's nightly (checked as the nightly's own parameters are)."""

    site_id: SiteId = Field(description="The site: its home is TWIN_HOME/sites/<site_id>/.")
    as_of: PlantDate | None = Field(
        default=None, description="The plant day; default: yesterday (as the nightly)."
    )
    lock_wait_s: int = Field(
        default=NIGHT_WAIT_S, ge=0, le=24 * 3600, description="As in the nightly."
    )
    allow_partial: bool = Field(default=False, description="As in the nightly.")


def is_missing_data(exc: BaseException) -> bool:
    """The nightly stopped because the night's required data is missing (the coverage gate)."""
    return isinstance(exc, StageFailed) and _GAP_TEXT in str(exc)


@contextmanager
def _home(path: Path) -> Iterator[None]:
    """TWIN_HOME set to the site's home while the nightly runs (the stages read their
    settings from the environment); restored after."""
    before = os.environ.get("TWIN_HOME")
    os.environ["TWIN_HOME"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TWIN_HOME", None)
        else:
            os.environ["TWIN_HOME"] = before


def _run_name() -> str:
    """``site-<id>-<day>``; a name the enterprise nightly gave the run (``...-attempt2`` for
    a crashed site's rerun) is kept."""
    p = flow_run.parameters
    given = str(flow_run.name or "")
    if given.startswith(f"site-{p.get('site_id')}-"):
        return given
    return f"site-{p.get('site_id')}-{p.get('as_of') or 'yesterday'}"


@flow(name="site-nightly", flow_run_name=_run_name, retries=0)
def site_nightly(
    site_id: SiteId,
    as_of: OptionalDay = None,
    lock_wait_s: Annotated[int, Field(ge=0, le=24 * 3600)] = NIGHT_WAIT_S,
    allow_partial: bool = False,
) -> NightlySummary | State:
    """Ingest, validate, rebuild, report and publish one site of a multi-site home.

    Args:
        site_id: The site: its home is TWIN_HOME/sites/<site_id>/.
        as_of: The plant day; empty: yesterday (as the nightly).
        lock_wait_s: Seconds to wait for another run on the site's home (as the nightly).
        allow_partial: Build a degraded snapshot when required input is missing (as the nightly).
    """
    params = SiteNightlyParams(
        site_id=site_id, as_of=as_of, lock_wait_s=lock_wait_s, allow_partial=allow_partial
    )
    logger = get_run_logger()
    root = get_settings()
    home = site_home(root.home, params.site_id)
    prepare_site_home(root.model_copy(update={"home": home}))
    logger.info("site %s: nightly on %s", params.site_id, home)
    with _home(home):
        try:
            return nightly(
                as_of=params.as_of,
                lock_wait_s=params.lock_wait_s,
                allow_partial=params.allow_partial,
            )
        except StageFailed as exc:
            if not is_missing_data(exc):
                raise
            logger.warning("site %s is STALE tonight: %s", params.site_id, exc)
            return Completed(name=STALE_STATE, message=str(exc))
