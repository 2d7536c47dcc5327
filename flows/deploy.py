"""After ``prefect deploy``: make the API refuse what the flows would refuse, at run creation.

Grain: one PATCH per deployment of the twin's flows.

Two things are added to each twin deployment's parameter schema:

- ``additionalProperties: false`` at the top (below), and no ``default: null`` on optional
  fields (the UI shows them as one empty input, not "None").
- The master data's ids as each id field's allowed values (``enum``): machines for an
  outage, products for demand multipliers' keys, suppliers for a delay, lines for an extra
  shift, sites for ``sites``. The API then refuses an unknown id when the run is created,
  with the list of known ones ("'M9' is not one of ['M1', 'M2', ...]"), and the UI offers
  them as choices. The ids are read from the warehouse of ``TWIN_HOME`` when this runs
  (``make server``, again after each new master data with ``python -m flows.deploy``); with
  no warehouse yet the ids stay free text and the flow's own check (at its start, before it
  writes anything) refuses unknown ones.

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

import copy
import sys
from typing import Any

from prefect import get_client
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from twin_core.settings import Settings, get_settings

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


# Where each kind of master-data id sits in a flow's parameter schema: (definition or
# top-level property, field) -> kind. "<keys>" is a map's keys (JSON Schema propertyNames).
ID_FIELDS: dict[tuple[str, str], str] = {
    ("MachineOutage", "machine_id"): "machine",
    ("SupplierDelay", "supplier_id"): "supplier",
    ("ExtraShift", "line_id"): "line",
    ("demand_multipliers", "<keys>"): "product",
    ("sites", "<items>"): "site",
}


def master_data_ids(settings: Settings | None = None) -> dict[str, list[str]]:
    """The ids of the warehouse's master data by kind; empty when there is no warehouse yet."""
    from twin_core.sites import known_sites
    from twin_core.warehouse import open_warehouse

    settings = settings or get_settings()
    if not settings.warehouse_path.exists():
        return {}
    queries = {
        "machine": "select distinct machine_id from core.machines",
        "line": "select distinct line_id from core.machines",
        "product": "select distinct product_id from core.products",
        "supplier": "select distinct supplier_id from core.suppliers",
    }
    found: dict[str, list[str]] = {}
    with open_warehouse(settings, read_only=True) as con:
        for kind, sql in queries.items():
            found[kind] = sorted(str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None)
        found["site"] = known_sites(con)
    return {kind: ids for kind, ids in found.items() if ids}


def closed_schema(
    schema: dict[str, Any] | None, ids: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The schema with unknown top-level parameters forbidden, null defaults dropped and, for
    each kind in ``ids``, its id fields limited to those ids."""
    closed = copy.deepcopy(schema or {"type": "object", "properties": {}})
    closed["additionalProperties"] = False
    props: dict[str, Any] = closed.get("properties", {})
    for prop in props.values():
        if isinstance(prop, dict) and "default" in prop and prop["default"] is None:
            del prop["default"]
    defs: dict[str, Any] = closed.get("definitions") or closed.get("$defs") or {}
    for (owner, field), kind in ID_FIELDS.items():
        allowed = (ids or {}).get(kind)
        if not allowed:
            continue
        if field == "<keys>" and isinstance(props.get(owner), dict):
            props[owner]["propertyNames"] = {"enum": allowed}
        elif field == "<items>" and isinstance(props.get(owner), dict):
            props[owner].setdefault("items", {})["enum"] = allowed
        elif owner in defs and field in defs[owner].get("properties", {}):
            defs[owner]["properties"][field]["enum"] = allowed
    return closed


def forbid_unknown_parameters(
    flow_names: tuple[str, ...] = TWIN_FLOWS, ids: dict[str, list[str]] | None = None
) -> list[str]:
    """Close the parameter schema of every deployment of ``flow_names`` (see the module's
    docstring; ``ids``: the master data's, default read from TWIN_HOME); return their names."""
    ids = master_data_ids() if ids is None else ids
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
            closed = closed_schema(schema, ids)
            if closed == schema and dep.enforce_parameter_schema:
                done.append(f"{names[dep.flow_id]}/{dep.name}")
                continue
            client.update_deployment(
                dep.id,
                DeploymentUpdate(parameter_openapi_schema=closed, enforce_parameter_schema=True),
            )
            done.append(f"{names[dep.flow_id]}/{dep.name}")
    return done


def main() -> int:
    ids = master_data_ids()
    done = forbid_unknown_parameters(ids=ids)
    if not done:
        print("no twin deployments found; run `prefect deploy --all` first", file=sys.stderr)
        return 1
    print(
        "parameter schema closed (unknown parameters rejected at run creation): " + ", ".join(done)
    )
    print(
        "master data ids allowed: "
        + (", ".join(f"{k} {len(v)}" for k, v in ids.items()) or "none yet (no warehouse)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
