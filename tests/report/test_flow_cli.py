"""The Prefect flow ``report`` and the CLI ``twin report`` over the library entry point."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from pydantic import ValidationError
from typer.testing import CliRunner

from flows.report import ReportParams, report
from tests.report.conftest import insert_rows
from tests.report.sample_plant import populate
from twin_cli import app
from twin_core.settings import Settings


@pytest.fixture
def plant(settings: Settings, file_warehouse: duckdb.DuckDBPyConnection) -> Settings:
    def insert(table: str, rows: list[dict[str, Any]]) -> None:
        insert_rows(file_warehouse, table, rows)

    populate(insert)
    file_warehouse.close()
    return settings


@pytest.mark.slow
def test_report_flow_publishes_summary_instructions_and_table_artifacts(
    prefect_api: None, plant: Settings
) -> None:
    """A report flow run carries the summary, the instructions and their table as artifacts."""
    state = report(return_state=True)
    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    expected = {
        ("report-summary", "markdown"),
        ("department-instructions", "markdown"),
        ("instructions-table", "table"),
    }
    assert {(a.key, a.type) for a in artifacts} == expected


def test_report_params_refuse_unknown_fields() -> None:
    """A mistyped parameter is refused before any work starts."""
    with pytest.raises(ValidationError):
        ReportParams.model_validate({"asof": "2026-03-10"})


def test_twin_report_prints_counts_and_paths(plant: Settings) -> None:
    """`twin report --as-of` reports the snapshot of that day and lists the files."""
    result = CliRunner().invoke(app, ["report", "--as-of", "2026-03-10"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("snapshot 1 (2026-03-10): ")
    assert str(plant.reports_dir / "2026-03-10" / "index.html") in result.output


def test_twin_report_for_a_day_without_snapshot_exits_3_with_the_reason(plant: Settings) -> None:
    """No snapshot for the day: one clear line and exit code 2, no traceback."""
    result = CliRunner().invoke(app, ["report", "--as-of", "2026-01-01"])
    assert result.exit_code == 3
    assert "no complete snapshot for as-of 2026-01-01" in result.output
