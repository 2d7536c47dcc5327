"""After ``prefect deploy``: make the API reject unknown top-level parameters too.

Grain: one PATCH per deployment of the twin's flows.

Prefect 3.9 enforces each deployment's parameter schema when a flow run is created
(``enforce_parameter_schema`` defaults to true; a violation is HTTP 409), and our pydantic
parameter models forbid unknown fields inside them. But the schema Prefect generates for a
flow's signature allows unknown TOP-level keys: ``{"params": {...}, "param": {...}}`` would
be accepted and the run would then crash binding its arguments. The UI form never sends such
keys, but the REST API and other clients can. This step adds ``additionalProperties: false``
to the top of each twin deployment's schema, so such a request is refused at creation like
any other bad parameter. ``make server`` (``scripts/server.sh``) runs it after deploying:

    python -m flows.deploy            # uses PREFECT_API_URL
"""

from __future__ import annotations

import sys
from typing import Any

from prefect import get_client
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.filters import FlowFilter, FlowFilterName

TWIN_FLOWS: tuple[str, ...] = (
    "nightly",
    "backfill",
    "scenario",
    "ingest",
    "validate",
    "rebuild",
    "report",
    "quality-watch",
    "site-nightly",
    "enterprise-publish",
)


def closed_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The schema with unknown top-level parameters forbidden."""
    closed = dict(schema or {"type": "object", "properties": {}})
    closed["additionalProperties"] = False
    return closed


def forbid_unknown_parameters(flow_names: tuple[str, ...] = TWIN_FLOWS) -> list[str]:
    """Close the parameter schema of every deployment of ``flow_names``; return their names."""
    done: list[str] = []
    with get_client(sync_client=True) as client:
        flows = client.read_flows(
            flow_filter=FlowFilter(name=FlowFilterName(any_=list(flow_names)))
        )
        names = {f.id: f.name for f in flows}
        for dep in client.read_deployments():
            if dep.flow_id not in names:
                continue
            schema = dep.parameter_openapi_schema or {}
            if schema.get("additionalProperties") is False and dep.enforce_parameter_schema:
                done.append(f"{names[dep.flow_id]}/{dep.name}")
                continue
            client.update_deployment(
                dep.id,
                DeploymentUpdate(
                    parameter_openapi_schema=closed_schema(schema), enforce_parameter_schema=True
                ),
            )
            done.append(f"{names[dep.flow_id]}/{dep.name}")
    return done


def main() -> int:
    done = forbid_unknown_parameters()
    if not done:
        print("no twin deployments found; run `prefect deploy --all` first", file=sys.stderr)
        return 1
    print(
        "parameter schema closed (unknown parameters rejected at run creation): " + ", ".join(done)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
