"""The rebuild flow on the local Prefect API: a snapshot and its summary artifact."""

from __future__ import annotations

import asyncio

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from pydantic import ValidationError

from flows.rebuild import RebuildParams, rebuild
from tests.tiny_plant import AS_OF, seed_tiny_plant
from twin_core.settings import Settings


async def _artifact_markdown(key: str) -> str:
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=1
        )
    return str(found[0].data) if found else ""


def test_rebuild_flow_builds_a_snapshot_and_reports_its_rows(
    prefect_api: None, settings: Settings
) -> None:
    """The flow commits a snapshot of the day and lists its tables in an artifact."""
    seed_tiny_plant(settings)
    summary = rebuild(RebuildParams(as_of=AS_OF))
    assert summary["as_of"] == AS_OF.isoformat()
    assert summary["rows"]["line_forecast"] == settings.horizon_days
    assert f"Snapshot {summary['snapshot_id']}" in asyncio.run(
        _artifact_markdown("rebuild-summary")
    )


def test_rebuild_parameters_refuse_unknown_fields() -> None:
    """A mistyped parameter is refused before anything runs."""
    with pytest.raises(ValidationError):
        RebuildParams.model_validate({"as_of": "2026-03-08", "asof": "2026-03-09"})
