"""What `make server` sets up on the Prefect API besides pools and deployments (idempotent):

- the automation "twin: crash zombie flow runs", as in Prefect's guide "How to detect and
  respond to zombie flows": after each ``prefect.flow-run.heartbeat`` of a flow run, expect
  another event of that run (``prefect.flow-run.*``: a heartbeat or any state, custom state
  names such as the site-nightly's ``Stale`` included) within three heartbeat periods
  (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, 30 s here: 90 s), else mark the run CRASHED. A
  worker killed with its flow run (SIGKILL, a lost host) stops the heartbeats; the enterprise
  nightly sees the crashed site run and starts it again on any worker.
- the automation "twin: crash flow runs stuck in Pending": a run a worker took (Pending) but
  whose process never started (the worker was killed right after) sends no heartbeat, so the
  first automation never sees it; after ``TWIN_PENDING_TIMEOUT_S`` (default 300) without a
  next event it is marked CRASHED as well, and started again.
- the global concurrency limit ``twin-enterprise`` (1 slot): one enterprise nightly at a
  time; a second waits (up to its lock_wait_s) and then fails naming the limit.

    python scripts/prefect_setup.py        # uses PREFECT_API_URL
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from prefect import get_client
from prefect.automations import Automation
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectNotFound

AUTOMATION = "twin: crash zombie flow runs"
PENDING_AUTOMATION = "twin: crash flow runs stuck in Pending"
LIMIT = "twin-enterprise"  # flows.enterprise_publish.CONCURRENCY_LIMIT


def zombie_automation(
    within_s: int, *, name: str = AUTOMATION, after: str = "prefect.flow-run.heartbeat"
) -> Automation:
    return Automation(
        name=name,
        description=f"Marks a flow run CRASHED when no event follows its {after} (Prefect's "
        "zombie-flow guide); created by make server.",
        trigger=EventTrigger(
            after={after},
            expect={"prefect.flow-run.*"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"Flow run marked as crashed: no event after {after}.",
            )
        ],
    )


def main() -> int:
    heartbeat_s = int(os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30"))
    pending_s = int(os.environ.get("TWIN_PENDING_TIMEOUT_S", "300"))
    made = "kept"
    try:
        Automation.read(name=AUTOMATION)
    except ValueError:
        zombie_automation(3 * heartbeat_s).create()
        made = "created"
    try:
        Automation.read(name=PENDING_AUTOMATION)
    except ValueError:
        zombie_automation(
            pending_s, name=PENDING_AUTOMATION, after="prefect.flow-run.Pending"
        ).create()
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(LIMIT)
        except ObjectNotFound:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=LIMIT, limit=1)
            )
    print(
        f"automation {AUTOMATION!r} {made} (heartbeats every {heartbeat_s} s, crashed after "
        f"{3 * heartbeat_s} s without one; Pending: after {pending_s} s); global concurrency limit {LIMIT!r} (1 slot)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
