"""Deployment parameter schemas on the Prefect API: bad parameters are refused at run creation.

Each test registers a deployment the way ``prefect deploy`` does (the flow's generated schema,
enforced) and creates runs through the real local API (Prefect's ephemeral server).
"""

from __future__ import annotations

from typing import Any

import pytest
from prefect import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.utilities.callables import parameter_schema

from flows.deploy import closed_schema, forbid_unknown_parameters, master_data_ids
from flows.nightly import backfill, nightly
from flows.scenario import scenario
from tests.tiny_plant import tiny_snapshot
from twin_core.settings import Settings


def _deploy(fn: Any, name: str) -> Any:
    """A deployment of ``fn`` as `prefect deploy` registers it (schema enforced)."""
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(fn.name)
        return client.create_deployment(
            flow_id=flow_id,
            name=name,
            parameter_openapi_schema=parameter_schema(fn).model_dump_for_openapi(),
            enforce_parameter_schema=True,
        )


def _deploy_nightly(name: str) -> Any:
    return _deploy(nightly, name)


def _create_run(deployment_id: Any, parameters: dict[str, Any]) -> Any:
    with get_client(sync_client=True) as client:
        return client.create_flow_run_from_deployment(deployment_id, parameters=parameters)


def _refusal(deployment_id: Any, parameters: dict[str, Any]) -> str:
    """The API's 409 detail for a run it refuses to create."""
    with pytest.raises(PrefectHTTPStatusError, match="409") as exc:
        _create_run(deployment_id, parameters)
    return str(exc.value.response.json()["detail"])


def test_the_nightly_takes_flat_typed_parameters() -> None:
    """One field per setting: a date (the UI's date picker), a list of sites, no `params` object."""
    schema = parameter_schema(nightly).model_dump_for_openapi()
    props = schema["properties"]
    assert set(props) == {"as_of", "sites", "lock_wait_s", "allow_partial"}
    assert props["as_of"]["type"] == "string" and props["as_of"]["format"] == "date"
    assert "anyOf" not in props["as_of"]
    assert props["sites"]["type"] == "array"


def _every_deployed_flow() -> list[Any]:
    """The flow object of each deployment in prefect.yaml (its entrypoint)."""
    import importlib
    from pathlib import Path

    import yaml

    spec = yaml.safe_load((Path(__file__).parents[2] / "prefect.yaml").read_text())
    flows = []
    for dep in spec["deployments"]:
        path, name = dep["entrypoint"].split(":")
        module = path.removesuffix(".py").replace("/", ".")
        flows.append(getattr(importlib.import_module(module), name))
    return flows


def test_every_deployment_takes_flat_typed_parameters() -> None:
    """No deployment nests its fields under one object: each property is a scalar, a list or a
    map the UI renders as one field (optional ones without a "None" choice)."""
    flows = _every_deployed_flow()
    assert {f.name for f in flows} >= {"nightly", "ingest", "validate", "rebuild", "report"}
    for fn in flows:
        props = parameter_schema(fn).model_dump_for_openapi()["properties"]
        assert "params" not in props, fn.name
        for field, prop in props.items():
            assert "anyOf" not in prop, (fn.name, field, prop)
            assert prop.get("type") in (
                "string",
                "integer",
                "number",
                "boolean",
                "array",
                "object",
            ), (
                fn.name,
                field,
                prop,
            )
            if prop["type"] == "object":  # a map (demand multipliers, stale sites), not a model
                assert "properties" not in prop, (fn.name, field, prop)
                assert {"additionalProperties", "patternProperties"} & set(prop), (fn.name, field)


def test_the_scenario_form_has_rows_a_map_and_plain_optional_integers() -> None:
    """Outages are rows of a model, demand multipliers a product -> number map, and the
    optional integers are one integer input each (not a choice with "None")."""
    schema = closed_schema(parameter_schema(scenario).model_dump_for_openapi())
    props = schema["properties"]
    assert props["outages"]["items"] == {"$ref": "#/definitions/MachineOutage"}
    assert set(schema["definitions"]["MachineOutage"]["properties"]) == {
        "machine_id",
        "start",
        "hours",
    }
    assert props["demand_multipliers"]["type"] == "object"
    assert props["demand_multipliers"]["additionalProperties"]["type"] == "number"
    for name in ("snapshot_id", "horizon_days", "replications", "seed"):
        assert props[name]["type"] == "integer", name
        assert "anyOf" not in props[name] and "default" not in props[name], name


def test_a_mistyped_field_is_refused(prefect_api: None) -> None:
    """An outage row with `machine` for `machine_id` is refused with 409, naming the field."""
    dep = _deploy(scenario, "typo-inside")
    detail = _refusal(
        dep, {"outages": [{"machine": "M1", "start": "2026-03-08T06:00", "hours": 4}]}
    )
    assert "machine" in detail


def test_an_unknown_top_level_parameter_passes_prefects_own_schema(prefect_api: None) -> None:
    """Prefect's generated schema lets unknown top-level keys through (the gap flows.deploy closes)."""
    dep = _deploy_nightly("open-top")
    run = _create_run(dep, {"as_off": "2026-03-08"})
    assert run.parameters["as_off"] == "2026-03-08"


def test_after_forbid_unknown_parameters_a_top_level_typo_is_refused(prefect_api: None) -> None:
    """Closing the schema makes the API refuse a top-level key the flow does not have."""
    dep = _deploy_nightly("closed-top")
    done = forbid_unknown_parameters(("nightly",), ids={})
    assert "nightly/closed-top" in done
    with pytest.raises(PrefectHTTPStatusError, match="409"):
        _create_run(dep, {"as_off": "2026-03-08"})
    run = _create_run(dep, {"as_of": "2026-03-08"})
    assert run.parameters == {"as_of": "2026-03-08"}


def test_a_malformed_date_is_refused(prefect_api: None) -> None:
    """A date that is not YYYY-MM-DD does not match the schema's pattern: 409, and the message
    says in words what was expected before the pattern's regex."""
    dep = _deploy_nightly("bad-date")
    detail = _refusal(dep, {"as_of": "8 March"})
    assert "as_of" in detail and "'8 March'" in detail
    assert detail.index("expected YYYY-MM-DD, a day the calendar has") < detail.index(r"\d{4}")


def test_every_calendar_day_matches_and_no_other_day_does() -> None:
    """The pattern (with its words) against Python's calendar: every day of 400 years (a whole
    leap cycle) matches, and no impossible day of the same form does."""
    import re
    from datetime import date, timedelta

    from twin_core.scenario.spec import DATE_PATTERN

    day, matched = date(2000, 1, 1), 0
    while day < date(2400, 1, 1):
        assert re.fullmatch(DATE_PATTERN, day.isoformat()), day
        day, matched = day + timedelta(days=1), matched + 1
    assert matched == 146097
    for text in ("2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "8 March"):
        assert not re.fullmatch(DATE_PATTERN, text), text


@pytest.mark.parametrize("flow_name", ["report", "validate", "quality-watch"])
def test_the_stage_flows_refuse_an_impossible_day_too(prefect_api: None, flow_name: str) -> None:
    """The report, validate and watch deployments took a looser pattern of their own
    (2026-02-30 passed); they now share the nightly's."""
    from flows.quality_watch import quality_watch
    from flows.report import report
    from flows.validate import validate

    fn = {"report": report, "validate": validate, "quality-watch": quality_watch}[flow_name]
    dep = _deploy(fn, f"impossible-{flow_name}")
    detail = _refusal(dep, {"as_of": "2026-02-30"})
    assert "'as_of'" in detail and "2026-02-30" in detail


@pytest.mark.parametrize("day", ["2026-02-30", "2026-02-29", "2026-04-31", "2100-02-29"])
def test_an_impossible_date_is_refused_at_run_creation(prefect_api: None, day: str) -> None:
    """A well-formed day the calendar does not have is refused by the API, not later by the run."""
    dep = _deploy(backfill, f"impossible-{day}")
    detail = _refusal(dep, {"start": day, "end": "2026-03-08"})
    assert "'start'" in detail and day in detail
    # A leap day of a leap year is a day.
    run = _create_run(dep, {"start": "2024-02-29", "end": "2024-03-01"})
    assert run.parameters["start"] == "2024-02-29"


def test_unknown_master_data_ids_are_refused_with_the_known_ones(
    prefect_api: None, settings: Settings
) -> None:
    """With the warehouse's master data in the schema, an unknown machine, product, supplier or
    line is refused at run creation and the message lists the ids that exist."""
    tiny_snapshot(settings)
    ids = master_data_ids(settings)
    assert {"machine", "line", "product", "supplier"} <= set(ids)
    dep = _deploy(scenario, "master-data")
    forbid_unknown_parameters(("scenario",), ids=ids)
    machine = ids["machine"][0]
    cases = {
        "machine": {"outages": [{"machine_id": "NOPE-M", "start": "2026-01-05T06:00", "hours": 4}]},
        "product": {"demand_multipliers": {"NOPE-P": 1.5}},
        "supplier": {"supplier_delays": [{"supplier_id": "NOPE-S", "days": 3}]},
        "line": {"extra_shifts": [{"line_id": "NOPE-L", "hours_per_day": 8}]},
    }
    for kind, parameters in cases.items():
        detail = _refusal(dep, parameters)
        assert "is not one of" in detail, (kind, detail)
        assert all(repr(known) in detail for known in ids[kind]), (kind, detail)
    run = _create_run(
        dep,
        {
            "outages": [{"machine_id": machine, "start": "2026-01-05T06:00", "hours": 4}],
            "demand_multipliers": {ids["product"][0]: 1.5},
        },
    )
    assert run.parameters["outages"][0]["machine_id"] == machine


def test_without_a_warehouse_ids_stay_free_text(settings: Settings) -> None:
    """No warehouse yet: no ids to allow, and the schema keeps the id fields open."""
    assert master_data_ids(settings) == {}
    schema = closed_schema(parameter_schema(scenario).model_dump_for_openapi(), {})
    assert "enum" not in schema["definitions"]["MachineOutage"]["properties"]["machine_id"]


def test_the_scenario_flow_refuses_unknown_ids_at_its_start_with_the_known_ones(
    prefect_api: None, settings: Settings
) -> None:
    """Run directly (no deployment schema in front of it), the flow refuses an unknown machine
    before it writes anything, and lists the machines that exist."""
    from twin_core.scenario.run import ScenarioError
    from twin_core.scenario.spec import MachineOutage

    tiny_snapshot(settings)
    known = master_data_ids(settings)["machine"]
    outage = MachineOutage(machine_id="NOPE-M", start="2026-01-05T06:00", hours=4)
    with pytest.raises(ScenarioError, match="machine NOPE-M") as exc:
        scenario(outages=[outage], lock_wait_s=0)
    assert f"known machines: {', '.join(known)}" in str(exc.value)
