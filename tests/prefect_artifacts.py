"""Reading the artifacts of one flow run from the local Prefect API.

Tests share one API per session, so an artifact is looked up by the flow run that made it,
never as "the latest with this key" (another test's run may have written that key since)."""

from __future__ import annotations

from typing import Any

from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.states import State


def run_artifacts(state: State[Any]) -> dict[str, str]:
    """Artifact key -> data, for the artifacts of the flow run that ended in ``state``."""
    run_id = state.state_details.flow_run_id
    assert run_id is not None, "the state is not a flow run's"
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {str(a.key): str(a.data) for a in found if a.key}
