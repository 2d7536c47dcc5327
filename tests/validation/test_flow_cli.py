"""The Prefect flow ``validate`` and the CLI ``twin validate`` over the library entry points."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from pydantic import ValidationError
from typer.testing import CliRunner

from flows.validate import ValidateParams, validate
from tests.validation.conftest import AddBatch, Query, masters, reading
from twin_cli import app
from twin_core.settings import Settings
from twin_core.validation.gx_context import docs_index


@pytest.mark.slow
def test_validate_flow_promotes_and_links_data_docs_in_its_artifact(
    prefect_api: None, settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A flow run validates the pending batch and its artifact links the Data Docs."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    state = validate(as_of="2026-03-02", return_state=True)
    assert state.is_completed()
    summaries = state.result()
    assert [(s["batch_id"], s["status"]) for s in summaries] == [("b1", "passed")]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    (artifact,) = artifacts
    docs = docs_index(settings.validation_dir).as_uri()
    assert artifact.key == "validation"
    assert f"[Data Docs]({docs})" in str(artifact.data)
    assert "| sensor_readings | 2 | 0 | 2 | 0 | - | - |" in str(artifact.data)
    assert query("select count(*) from core.sensor_readings") == [(2,)]


@pytest.mark.slow
def test_validate_flow_fails_when_a_batch_fails(
    prefect_api: None, settings: Settings, add_batch: AddBatch
) -> None:
    """A batch-level error fails the flow run (after validating the batch)."""
    (settings.home / "twin.toml").write_text(
        '[validation.severity]\nexpect_column_max_to_be_between = "error"\n'
    )
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    state = validate(as_of="2026-06-01", return_state=True)
    assert state.is_failed()
    assert "b1 failed validation" in str(state.message)


def test_validate_params_refuse_unknown_fields_and_unsafe_batch_ids() -> None:
    """A mistyped parameter or a batch id with quotes is refused before any work starts."""
    with pytest.raises(ValidationError):
        ValidateParams.model_validate({"asof": "2026-03-02"})
    with pytest.raises(ValidationError):
        ValidateParams.model_validate({"batch_id": "b1'; drop table x; --"})


def test_twin_validate_prints_each_batch_and_its_sources(
    settings: Settings, add_batch: AddBatch
) -> None:
    """`twin validate --as-of` validates pending batches and prints their counts."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T9")]})
    result = CliRunner().invoke(app, ["validate", "--as-of", "2026-03-02"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "batch b1: passed_with_quarantine (5 rows: 4 promoted, 1 quarantined)"
    assert (
        "  sensor_readings: 2 rows, 1 promoted, 1 quarantined, 0 superseded "
        "[error sensor_id_in_sensors]"
    ) in lines


def test_twin_validate_with_nothing_pending_says_so(
    settings: Settings, add_batch: AddBatch
) -> None:
    """No pending batch: one line, exit 0."""
    result = CliRunner().invoke(app, ["validate"])
    assert (result.exit_code, result.output) == (0, "no pending batches\n")


def test_twin_validate_unknown_batch_exits_3_with_the_reason(settings: Settings) -> None:
    """A batch id that does not exist: one clear line, exit code 2."""
    result = CliRunner().invoke(app, ["validate", "--batch", "nope"])
    assert result.exit_code == 3
    assert "no ingest batch 'nope'" in result.output


def test_twin_validate_failed_batch_exits_1(settings: Settings, add_batch: AddBatch) -> None:
    """A batch that fails a batch-level error: exit code 1."""
    (settings.home / "twin.toml").write_text(
        '[validation.severity]\nexpect_column_max_to_be_between = "error"\n'
    )
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    result = CliRunner().invoke(app, ["validate", "--as-of", "2026-06-01"])
    assert result.exit_code == 1
    assert "batch b1: failed" in result.output


def test_twin_validate_rules_lists_rules_with_default_severity() -> None:
    """`twin validate --rules` shows the rule names severity overrides use."""
    result = CliRunner().invoke(app, ["validate", "--rules"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "sensor_id_in_sensors" in result.output
    assert "end_after_start" in result.output
