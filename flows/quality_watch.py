"""The ``quality-watch`` flow: one hourly watch cycle, its artifact and its events.

Grain: one flow run per hour (deployment ``quality-watch``, active in prefect.yaml); one task
run for the cycle (``twin_core.watch.run_watch``: ingest, validate, judge, small publish); one
Prefect event ``twin.quality.hold`` per new alert, so an automation can notify (README,
"Quality watch"). The nightly calls ``reconcile_task`` after its rebuild: it confirms or
clears the open alerts its snapshot covers.

The watch holds the TWIN_HOME write lock while it ingests and writes (a nightly holding it
makes the watch wait up to ``lock_wait_s``); it never opens ``plant.duckdb`` for analysts'
queries, it swaps in a copy with its tables replaced.
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.events import emit_event
from pydantic import BaseModel, ConfigDict, Field
from twin_core.runlock import STAGE_WAIT_S
from twin_core.scenario.spec import PlantDate
from twin_core.settings import get_settings
from twin_core.warehouse import open_warehouse
from twin_core.watch import WatchResult, reconcile_alerts, run_watch

from flows.params import OptionalDay

__all__ = ["HOLD_EVENT", "WatchParams", "hold_event", "quality_watch", "reconcile_task"]

HOLD_EVENT = "twin.quality.hold"


class WatchParams(BaseModel):
    """One watch cycle; unknown fields are refused when the run is created."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: PlantDate | None = Field(
        default=None,
        description="Plant day validation judges freshness against; default: today in the "
        "plant's timezone.",
    )
    publish: bool = Field(
        default=True, description="Swap the watch's tables into plant.duckdb after the cycle."
    )
    lock_wait_s: int = Field(
        default=STAGE_WAIT_S,
        ge=0,
        le=3600,
        description="Seconds to wait for another run writing the same TWIN_HOME before failing.",
    )


@task(name="watch-cycle", cache_policy=NONE)
def watch_task(params: WatchParams) -> WatchResult:
    """Ingest and validate what landed, judge it, record and publish new alerts."""
    return run_watch(
        get_settings(), as_of=params.as_of, lock_wait_s=params.lock_wait_s, publish=params.publish
    )


def hold_event(alert: dict[str, Any]) -> dict[str, Any]:
    """The ``emit_event`` arguments of one alert: the alert is the resource, its lot, machine
    and sensor are related resources, the evidence is in the payload."""
    related = [
        {"prefect.resource.id": f"twin.{role}.{alert[col]}", "prefect.resource.role": role}
        for role, col in (("lot", "lot_id"), ("machine", "machine_id"), ("sensor", "sensor_id"))
        if alert.get(col)
    ]
    payload = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in alert.items()
        if k
        in (
            "alert_key",
            "kind",
            "site_id",
            "lot_id",
            "product_id",
            "characteristic",
            "machine_id",
            "sensor_id",
            "rule",
            "evidence",
            "data_ts",
            "first_seen",
        )
    }
    return {
        "event": HOLD_EVENT,
        "resource": {
            "prefect.resource.id": f"twin.quality.alert.{alert['alert_key']}",
            "prefect.resource.name": str(alert["alert_key"]),
            "twin.kind": str(alert["kind"]),
        },
        "related": related,
        "payload": payload,
    }


@flow(name="quality-watch")
def quality_watch(
    as_of: OptionalDay = None,
    publish: bool = True,
    lock_wait_s: Annotated[int, Field(ge=0, le=3600)] = STAGE_WAIT_S,
) -> dict[str, Any]:
    """One watch cycle: ingest, validate, judge the new data with the current snapshot's
    limits and rules, drift and sensor checks; an artifact and a ``twin.quality.hold`` event
    per new alert.

    Args:
        as_of: Plant day validation judges freshness against; empty: today in the plant's
            timezone.
        publish: Swap the watch's tables into plant.duckdb after the cycle.
        lock_wait_s: Seconds to wait for another run writing the same TWIN_HOME before failing.
    """
    params = WatchParams(as_of=as_of, publish=publish, lock_wait_s=lock_wait_s)
    logger = get_run_logger()
    result = watch_task(params)
    create_markdown_artifact(
        markdown=result.to_markdown(),
        key="quality-watch",
        description=f"{len(result.alerts)} new quality alert(s)",
    )
    for alert in result.alerts:
        emit_event(**hold_event(alert))
        logger.warning("quality hold: %s: %s", alert["alert_key"], alert.get("evidence"))
    logger.info(result.summary())
    cycle = result.cycle
    return {
        "cycle_id": cycle.cycle_id if cycle else None,
        "snapshot_id": cycle.snapshot_id if cycle else None,
        "batches": cycle.batches if cycle else [],
        "alerts": [str(a["alert_key"]) for a in result.alerts],
        "published": result.published,
    }


@task(name="watch-reconcile", cache_policy=NONE)
def reconcile_task(sites: list[str], snapshot_id: int) -> dict[str, int]:
    """The nightly's word on the watch's open alerts its snapshot covers."""
    from flows._stages import settings_for

    settings = settings_for(sites)
    with open_warehouse(settings) as con:
        states = reconcile_alerts(con, settings, snapshot_id)
    return {
        "confirmed": states.confirmed,
        "cleared": states.cleared,
        "open": states.still_open,
    }
