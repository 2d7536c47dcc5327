"""Deployment parameter schemas on the Prefect API: bad parameters are refused at run creation."""

from __future__ import annotations

from typing import Any

import pytest
from prefect import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.utilities.callables import parameter_schema

from flows.deploy import forbid_unknown_parameters
from flows.nightly import nightly


def _deploy_nightly(name: str) -> Any:
    """A deployment of the nightly flow as `prefect deploy` registers it (schema enforced)."""
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("nightly")
        return client.create_deployment(
            flow_id=flow_id,
            name=name,
            parameter_openapi_schema=parameter_schema(nightly).model_dump_for_openapi(),
            enforce_parameter_schema=True,
        )


def _create_run(deployment_id: Any, parameters: dict[str, Any]) -> Any:
    with get_client(sync_client=True) as client:
        return client.create_flow_run_from_deployment(deployment_id, parameters=parameters)


def test_a_mistyped_field_inside_the_parameters_is_refused(prefect_api: None) -> None:
    """`as_off` for `as_of` is refused with 409 by the schema of the pydantic model."""
    dep = _deploy_nightly("typo-inside")
    with pytest.raises(PrefectHTTPStatusError, match="409") as exc:
        _create_run(dep, {"params": {"as_off": "2026-03-08"}})
    assert "as_off" in str(exc.value.response.text)


def test_an_unknown_top_level_parameter_passes_prefects_own_schema(prefect_api: None) -> None:
    """Prefect's generated schema lets unknown top-level keys through (the gap flows.deploy closes)."""
    dep = _deploy_nightly("open-top")
    run = _create_run(dep, {"params": {}, "as_of": "2026-03-08"})
    assert run.parameters["as_of"] == "2026-03-08"


def test_after_forbid_unknown_parameters_a_top_level_typo_is_refused(prefect_api: None) -> None:
    """Closing the schema makes the API refuse a top-level key the flow does not have."""
    dep = _deploy_nightly("closed-top")
    done = forbid_unknown_parameters(("nightly",))
    assert "nightly/closed-top" in done
    with pytest.raises(PrefectHTTPStatusError, match="409"):
        _create_run(dep, {"params": {}, "as_of": "2026-03-08"})
    run = _create_run(dep, {"params": {"as_of": "2026-03-08"}})
    assert run.parameters == {"params": {"as_of": "2026-03-08"}}


def test_a_malformed_date_is_refused(prefect_api: None) -> None:
    """A date that is not YYYY-MM-DD does not match the schema's pattern: 409."""
    dep = _deploy_nightly("bad-date")
    with pytest.raises(PrefectHTTPStatusError, match="409"):
        _create_run(dep, {"params": {"as_of": "8 March"}})
