"""`twin ingest`: progress per file, a summary table, exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.ingest.conftest import drop, machines_csv, rows
from twin_cli import app
from twin_core.settings import Settings

runner = CliRunner()
DIRTY = machines_csv("M1,L1,S1,Press,press,1,2.5", "M2,L1,S1,Oven,oven,first,3")


def test_ingest_prints_each_file_and_the_totals(home: Settings) -> None:
    """Each file gets a line under its source; the summary names the batch and the counts."""
    drop(home, "machines", "m.csv", DIRTY)
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps lines at the terminal's width
    assert "machines/m.csv" in text
    assert "1 quarantined" in text
    assert "quarantined 1 rows" in text
    assert rows(home, "select count(*) from raw.machines") == [(1,)]


def test_strict_exits_1_after_loading_the_good_rows(home: Settings) -> None:
    """--strict with quarantined input exits 1; the good row is loaded anyway."""
    drop(home, "machines", "m.csv", DIRTY)
    result = runner.invoke(app, ["ingest", "--strict"])
    assert result.exit_code == 1
    assert rows(home, "select machine_id from raw.machines") == [("M1",)]


def test_source_option_limits_the_run(home: Settings) -> None:
    """--source machines reads only landing/machines/."""
    drop(home, "machines", "m.csv", DIRTY)
    drop(home, "suppliers", "s.csv", "supplier_id,name\nSUP1,Acme\n")
    result = runner.invoke(app, ["ingest", "--source", "suppliers"])
    assert result.exit_code == 0, result.output
    assert rows(home, "select distinct source from ingest.files") == [("suppliers",)]


def test_unknown_source_is_a_one_line_error(home: Settings) -> None:
    """A typo in --source exits 2 with the known names, no traceback."""
    result = runner.invoke(app, ["ingest", "--source", "machine"])
    assert result.exit_code == 3
    assert "unknown source" in result.output and "Traceback" not in result.output


def test_markdown_option_writes_the_reconciliation_table(home: Settings, tmp_path: Path) -> None:
    """--markdown FILE writes the same table the flow's artifact shows."""
    drop(home, "machines", "m.csv", DIRTY)
    target = tmp_path / "reconciliation.md"
    assert runner.invoke(app, ["ingest", "--markdown", str(target)]).exit_code == 0
    assert "| machines | machines/m.csv | loaded | 2 | 1 | 1 | yes |" in target.read_text()
