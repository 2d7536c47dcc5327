"""Issue 18 on a real plant through the nightly flow (Prefect's local API): a required source
missing for the as-of day stops the night before the rebuild and leaves the published
plant.duckdb byte-identical; --allow-partial builds it degraded, with no instruction standing
on the missing source, and the degraded mark reaches the published file.

The plant: the synthetic generator's 5 days (seed 7) with the last day's sensor readings
extract never delivered (machine events and production for that day are there).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from typer.testing import CliRunner

from flows import _stages
from flows.nightly import nightly
from flows.params import NightlyParams
from twin_cli import app
from twin_core.report.rules.cannot_say import input_sources
from twin_core.settings import Settings
from twin_core.synth.generator import generate
from twin_core.warehouse import open_warehouse

pytestmark = pytest.mark.slow

DAYS, START = 5, date(2026, 3, 2)
LAST = START + timedelta(days=DAYS - 1)
runner = CliRunner()


@pytest.fixture
def home(settings: Settings) -> Settings:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    generate(settings.home, DAYS, START, 7, overwrite=True)
    (settings.landing_dir / "sensor_readings" / f"sensor_readings_{LAST}.parquet").unlink()
    return settings


def test_a_missing_source_stops_the_night_then_allow_partial_builds_it_degraded(
    prefect_api: None, home: Settings
) -> None:
    first = nightly(**NightlyParams(as_of=LAST - timedelta(days=1)).kwargs())
    assert first.published_snapshot_id == first.snapshot_id and not first.degraded
    before = home.published_path.read_bytes()

    with pytest.raises(_stages.StageFailed, match=rf"sensor_readings.*{LAST}") as stopped:
        nightly(**NightlyParams(as_of=LAST).kwargs())
    assert "--allow-partial" in str(stopped.value)
    assert home.published_path.read_bytes() == before
    with open_warehouse(home) as con:
        assert con.execute("select count(*) from history.snapshots").fetchone() == (1,)

    summary = nightly(**NightlyParams(as_of=LAST, allow_partial=True).kwargs())
    assert summary.degraded and all("sensor_readings" in r for r in summary.degraded)
    assert summary.published_snapshot_id == summary.snapshot_id
    with open_warehouse(home) as con:
        items = con.execute(
            "select department, kind, source, entity_id from history.instructions "
            "where snapshot_id = ?",
            [summary.snapshot_id],
        ).fetchall()
    assert items, "the degraded snapshot has no instructions at all"
    on_readings = [i for i in items if "sensor_readings" in input_sources(i[2])]
    assert on_readings == [], on_readings
    notes = [i for i in items if i[1] == "cannot_say"]
    assert [(d, e) for d, _, _, e in notes] == [("maintenance", "sensor_readings")]
    # Items on the sources that did arrive are still there (the night is not emptied).
    assert {i[0] for i in items} >= {"production", "quality"}

    # The published file says it too, to anyone reading it.
    con = duckdb.connect(str(home.published_path), read_only=True)
    try:
        row = con.execute(
            "select degraded, degraded_reasons from twin.snapshots where snapshot_id = ?",
            [summary.snapshot_id],
        ).fetchone()
    finally:
        con.close()
    assert row is not None and row[0] is True and "sensor_readings" in row[1]
