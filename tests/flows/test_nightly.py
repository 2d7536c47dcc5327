"""The nightly and backfill flows on the local Prefect API: order, failure isolation, locking."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import _stages
from flows.nightly import backfill, default_as_of, nightly
from flows.params import BackfillParams, NightlyParams
from tests.flows._doubles import failing_rebuild
from twin_cli import app
from twin_core import stages
from twin_core.publish import publish
from twin_core.runlock import LockBusy
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse


@pytest.fixture
def home(settings: Settings) -> Settings:
    """A TWIN_HOME as `twin init` leaves it: landing folders and the warehouse schema."""
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return settings


def test_default_as_of_is_the_plant_day_before_the_scheduled_start() -> None:
    """A run scheduled 02:30 Berlin time (00:30 UTC) covers the previous Berlin day."""
    scheduled = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    expected = date(2026, 3, 9)
    assert default_as_of("Europe/Berlin", scheduled) == expected


def test_default_as_of_follows_the_plant_timezone_not_utc() -> None:
    """At 23:30 UTC it is already the next day in Tokyo, so 'yesterday' is a day later there."""
    scheduled = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert default_as_of("UTC", scheduled) == date(2026, 3, 9)
    assert default_as_of("Asia/Tokyo", scheduled) == date(2026, 3, 10)


def test_a_failed_stage_leaves_the_published_file_untouched(
    prefect_api: None, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the rebuild fails, publish does not run and plant.duckdb stays the same file."""
    with open_warehouse(home):
        pass
    publish(home)
    before = os.stat(home.published_path)
    monkeypatch.setattr(stages, "rebuild", failing_rebuild)
    with pytest.raises(OSError, match="no space left"):
        nightly(**NightlyParams(as_of=date(2026, 1, 5)).kwargs())
    after = os.stat(home.published_path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_second_nightly_on_the_same_home_fails_naming_the_first(
    prefect_api: None, home: Settings
) -> None:
    """While another process holds TWIN_HOME, a nightly that may not wait fails before any stage."""
    code = textwrap.dedent(
        f"""
        import time
        from twin_core.runlock import home_lock
        from twin_core.settings import Settings
        with home_lock(Settings(home={str(home.home)!r}), "nightly 2026-01-04"):
            print("held", flush=True)
            time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="nightly 2026-01-04"):
            nightly(**NightlyParams(as_of=date(2026, 1, 5), lock_wait_s=0).kwargs())
    finally:
        holder.kill()
        holder.wait()
    assert not home.published_path.exists()


def test_backfill_runs_one_nightly_per_day_in_order(prefect_api: None, home: Settings) -> None:
    """Three days give three nightlies, oldest first."""
    done = backfill(
        **BackfillParams(start=date(2026, 1, 3), end=date(2026, 1, 5), allow_partial=True).kwargs()
    )
    expected = [date(2026, 1, 3), date(2026, 1, 4), date(2026, 1, 5)]
    assert [s.as_of for s in done] == expected


def test_backfill_stops_at_the_first_failed_day(
    prefect_api: None, home: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A failing day fails the backfill; no later day runs on top of it."""
    monkeypatch.setattr(stages, "rebuild", failing_rebuild)
    with pytest.raises(OSError, match="2026-01-03"):
        backfill(**BackfillParams(start=date(2026, 1, 3), end=date(2026, 1, 5)).kwargs())
    assert not home.published_path.exists()


def test_strict_ingest_stops_the_nightly_before_publishing(
    prefect_api: None, home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With TWIN_STRICT_INGEST a quarantined row fails the night after loading; nothing is published."""
    monkeypatch.setenv("TWIN_STRICT_INGEST", "true")
    (home.landing_dir / "suppliers" / "suppliers.csv").write_text(
        "supplier_id,name,country\nSUP1,Acme,DE\n", encoding="utf-8"
    )
    (home.landing_dir / "materials" / "materials.csv").write_text(
        "material_id,name,unit,unit_cost,supplier_id,lead_time_days\n"
        "MAT1,steel,kg,2.5,SUP1,5\n"
        "MAT2,brass,kg,not-a-number,SUP1,5\n",
        encoding="utf-8",
    )
    with pytest.raises(_stages.StageFailed, match="strict ingest"):
        nightly(**NightlyParams(as_of=date(2026, 1, 5)).kwargs())
    assert not home.published_path.exists()


def test_a_nightly_on_an_empty_home_stops_before_the_rebuild_and_keeps_the_published_file(
    prefect_api: None, home: Settings
) -> None:
    """No machine data for the day: the nightly fails naming the sources, plant.duckdb is
    byte-identical, and no snapshot was written (issue 18)."""
    with open_warehouse(home):
        pass
    publish(home)
    before = home.published_path.read_bytes()
    with pytest.raises(_stages.StageFailed, match=r"sensor_readings.*2026-01-05"):
        nightly(**NightlyParams(as_of=date(2026, 1, 5)).kwargs())
    assert home.published_path.read_bytes() == before
    with open_warehouse(home) as con:
        row = con.execute("select count(*) from history.snapshots").fetchone()
    assert row is not None and row[0] == 0


def test_allow_partial_builds_a_degraded_snapshot_with_its_reasons(
    prefect_api: None, home: Settings
) -> None:
    """--allow-partial on a day without data builds the snapshot, marked degraded with reasons."""
    summary = nightly(**NightlyParams(as_of=date(2026, 1, 5), allow_partial=True).kwargs())
    assert summary.degraded and "sensor_readings" in summary.degraded[0]
    with open_warehouse(home) as con:
        row = con.execute(
            "select degraded, degraded_reasons from twin.snapshots where snapshot_id = ?",
            [summary.snapshot_id],
        ).fetchone()
    assert row is not None and row[0] is True and "sensor_readings" in row[1]
