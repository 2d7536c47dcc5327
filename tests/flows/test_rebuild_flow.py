"""The rebuild flow on the local Prefect API: a snapshot and its summary artifact."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from flows.rebuild import RebuildParams, rebuild
from tests.prefect_artifacts import run_artifacts
from tests.tiny_plant import AS_OF, seed_tiny_plant
from twin_core.settings import Settings


def test_rebuild_flow_builds_a_snapshot_and_reports_its_rows(
    prefect_api: None, settings: Settings
) -> None:
    """The flow commits a snapshot of the day and lists its tables in an artifact."""
    seed_tiny_plant(settings)
    state = rebuild(as_of=AS_OF, return_state=True)
    summary = state.result()
    assert summary["as_of"] == AS_OF.isoformat()
    assert summary["rows"]["line_forecast"] == settings.horizon_days
    assert f"Snapshot {summary['snapshot_id']}" in run_artifacts(state)["rebuild-summary"]


def test_rebuild_parameters_refuse_unknown_fields() -> None:
    """A mistyped parameter is refused before anything runs."""
    with pytest.raises(ValidationError):
        RebuildParams.model_validate({"as_of": "2026-03-08", "asof": "2026-03-09"})
