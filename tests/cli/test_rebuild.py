"""`twin rebuild --as-of DATE`: a snapshot from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.tiny_plant import AS_OF, seed_tiny_plant
from twin_cli import app
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

runner = CliRunner()


def test_rebuild_builds_a_snapshot_and_lists_its_tables(settings: Settings) -> None:
    """The command prints the new snapshot and the rows it wrote per table."""
    seed_tiny_plant(settings)
    result = runner.invoke(app, ["rebuild", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"snapshot 1 ({AS_OF}):")
    assert "history.line_forecast: 14" in result.output
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("select status from history.snapshots").fetchall() == [("complete",)]


def test_rebuild_refuses_a_malformed_date(settings: Settings) -> None:
    """A date that is not YYYY-MM-DD is one clear line and exit code 2, nothing built."""
    result = runner.invoke(app, ["rebuild", "--as-of", "08/03/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
