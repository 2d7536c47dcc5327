"""Issue 18 through the command line: defaults that tell the truth.

* `twin ingest` on an empty landing says the landing is empty and where it is (not "nothing
  new: 0 files unchanged"), and writes no batch.
* `twin nightly` without --as-of on a home whose newest data is older than yesterday refuses
  (exit 2) naming the newest day and the command to run instead; nothing is built or
  published. Runs the real flow on Prefect's local API.
"""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from tests.ingest.conftest import drop, rows
from twin_cli import app
from twin_core.settings import Settings
from twin_core.synth.generator import generate

runner = CliRunner()


def _flat(text: str) -> str:
    """Text without whitespace: rich wraps (and folds long paths) at the terminal's width."""
    return "".join(text.split())


@pytest.fixture
def home(settings: Settings) -> Settings:
    """A TWIN_HOME as `twin init` leaves it: empty landing folders and the warehouse schema."""
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return settings


def test_ingest_on_an_empty_landing_says_it_is_empty_and_where(home: Settings) -> None:
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert _flat(f"the landing folder {home.landing_dir} is empty: no extract files") in text
    assert _flat(f"e.g. {home.landing_dir / 'sensor_readings'}/). Nothing was ingested.") in text
    assert "nothingnew" not in text.lower()
    assert rows(home, "select count(*) from ingest.batches") == [(0,)]


def test_ingest_of_one_source_with_no_files_names_that_source(home: Settings) -> None:
    """Files of another source are there, none of the one asked for: empty for it, not loaded."""
    drop(home, "suppliers", "s.csv", "supplier_id,name\nSUP1,Acme\n")
    result = runner.invoke(app, ["ingest", "--source", "machines"])
    assert result.exit_code == 0, result.output
    assert "isempty:noextractfiles" in _flat(result.output)
    assert "formachines(onefolderpersource" in _flat(result.output)
    assert rows(home, "select count(*) from ingest.files") == [(0,)]


@pytest.mark.slow
def test_nightly_without_as_of_on_a_stale_home_refuses_naming_the_newest_day(
    prefect_api: None, home: Settings
) -> None:
    """The home's data ends 2026-03-03 (a 2-day synthetic plant); 'yesterday' is long after."""
    generate(home.home, 2, date(2026, 3, 2), 7, overwrite=True)
    result = runner.invoke(app, ["nightly"])
    assert result.exit_code == 5, result.output  # the data gate (issue 25's exit codes)
    # The one-line error the command ends with; Prefect's log lines come before it, without
    # the traceback (the terminal filter keeps that for the UI).
    assert "Traceback" not in result.output
    error = " ".join(result.output.split("error: ")[-1].split())
    assert error.startswith("the newest machine data in"), result.output
    assert "is from 2026-03-03" in error and "the default day" in error
    assert "`twin nightly --as-of 2026-03-03`" in error
    assert not home.published_path.exists()
    # Ingest and validate ran (the data is in), but no snapshot was built.
    assert rows(home, "select count(*) from history.snapshots") == [(0,)]
    assert rows(home, "select count(*) from ingest.batches") != [(0,)]
