"""Publishing plant.duckdb: a new file swapped in whole, readable while the warehouse is written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.twin.core_rows import insert_by_name
from twin_core import publish as publish_mod
from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.warehouse import connect, open_warehouse


def _add_snapshot(settings: Settings, sid: int, cp: float) -> None:
    with open_warehouse(settings) as con:
        con.execute(
            "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, code_version, site_ids, params) values "
            "(?, ?, now()::timestamp, 'complete', '[]', 'test', '[]', '{}')",
            [sid, date(2026, 1, sid)],
        )
        con.execute(
            "insert into history.capability (snapshot_id, product_id, characteristic, n, cp, cpk, pp, ppk) values (?, 'P1', 'bore', 25, ?, ?, ?, ?)",
            [sid, cp, cp, cp, cp],
        )


def _add_readings(settings: Settings, batch: str, hour: int, values: list[float]) -> None:
    with open_warehouse(settings) as con:
        frame = pl.DataFrame(
            {
                "sensor_id": ["S1"] * len(values),
                "ts": [datetime(2026, 1, 1, hour, i) for i in range(len(values))],
                "value": values,
                "quality": ["good"] * len(values),
                "_batch_id": [batch] * len(values),
                "_file": ["f.parquet"] * len(values),
                "_row": list(range(1, len(values) + 1)),
            }
        )
        insert_by_name(con, "sensor_readings", frame, batch)


def test_publish_creates_a_readable_file_with_the_query_surface(settings: Settings) -> None:
    """The published file opens read-only and its twin.* views show the latest snapshot."""
    _add_snapshot(settings, 1, 1.1)
    _add_snapshot(settings, 2, 1.4)
    result = publish(settings)
    assert result.path == settings.published_path
    assert result.snapshot_id == 2
    con = connect(settings.published_path, read_only=True)
    try:
        assert con.execute("select snapshot_id, cp from twin.capability").fetchall() == [(2, 1.4)]
        assert con.execute("select cp from twin.at('capability', 1)").fetchall() == [(1.1,)]
        assert con.execute(
            "select cp from twin.as_of('capability', date '2026-01-01')"
        ).fetchall() == [(1.1,)]
        assert con.execute("select snapshot_id from meta.publish").fetchall() == [(2,)]
    finally:
        con.close()


def test_raw_sensor_readings_are_published_as_hourly_aggregates(settings: Settings) -> None:
    """core.sensor_readings stays in the warehouse; core.sensor_hourly carries its aggregates."""
    _add_readings(settings, "b1", 0, [1.0, 2.0, 3.0])
    publish(settings)
    con = connect(settings.published_path, read_only=True)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'core'"
            ).fetchall()
        }
        assert "sensor_readings" not in tables
        expected = [("S1", datetime(2026, 1, 1, 0), 3, 2.0, 1.0, 3.0)]
        assert (
            con.execute(
                "select sensor_id, hour, n, mean, min, max from core.sensor_hourly"
            ).fetchall()
            == expected
        )
    finally:
        con.close()


def test_sensor_hourly_refresh_recomputes_only_hours_touched_by_new_batches(
    settings: Settings,
) -> None:
    """A new batch adding to hour 0 recomputes hour 0; hour 5 of an old batch is not redone."""
    _add_readings(settings, "b1", 0, [1.0, 3.0])
    _add_readings(settings, "b1", 5, [10.0])
    publish(settings)
    _add_readings(settings, "b2", 0, [5.0])
    with open_warehouse(settings) as con:
        recomputed = publish_mod.refresh_sensor_hourly(con)
        rows = con.execute("select hour, n, mean from core.sensor_hourly order by hour").fetchall()
    assert recomputed == 1
    assert rows == [(datetime(2026, 1, 1, 0), 3, 3.0), (datetime(2026, 1, 1, 5), 1, 10.0)]


def test_failed_publish_leaves_the_previous_file_untouched(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while building the new file keeps the old plant.duckdb and leaves no temp file."""
    _add_snapshot(settings, 1, 1.1)
    publish(settings)
    before = settings.published_path.read_bytes()
    _add_snapshot(settings, 2, 1.4)

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish_mod, "apply_views", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(settings)
    assert settings.published_path.read_bytes() == before
    assert sorted(p.name for p in settings.home.iterdir() if "building" in p.name) == []


READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    path, flag, out = sys.argv[1], sys.argv[2], sys.argv[3]
    seen_before, errors = [], []
    con = duckdb.connect(path, read_only=True)
    deadline = time.time() + 60
    import os
    while not os.path.exists(flag) and time.time() < deadline:
        try:
            seen_before.append(con.execute("select max(snapshot_id) from twin.capability").fetchall()[0][0])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    held = con.execute("select max(snapshot_id) from twin.capability").fetchall()[0][0]
    con.close()
    con = duckdb.connect(path, read_only=True)
    after = con.execute("select max(snapshot_id) from twin.capability").fetchall()[0][0]
    con.close()
    json.dump({"before": sorted(set(seen_before)), "held": held, "after": after,
               "errors": errors, "reads": len(seen_before)}, open(out, "w"))
    """
)


@pytest.mark.slow
def test_reader_process_keeps_old_snapshot_until_it_reconnects(
    settings: Settings, tmp_path: Path
) -> None:
    """A second process reading in a loop never errors while the warehouse is written and
    published twice; it sees snapshot 1 until it reconnects, then the newest."""
    _add_snapshot(settings, 1, 1.1)
    publish(settings)
    flag, out = tmp_path / "done.flag", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published_path), str(flag), str(out)]
    )
    try:
        time.sleep(1.0)
        _add_snapshot(settings, 2, 1.4)
        publish(settings)
        _add_snapshot(settings, 3, 1.6)
        publish(settings)
        time.sleep(0.5)
        flag.touch()
        assert reader.wait(timeout=60) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    seen = json.loads(out.read_text())
    assert seen["errors"] == []
    assert seen["reads"] > 10
    assert seen["before"] == [1]
    assert seen["held"] == 1
    assert seen["after"] == 3


def test_scenario_results_are_published_for_ad_hoc_queries(settings: Settings) -> None:
    """The scenario.* tables travel into plant.duckdb with the twin snapshot."""
    _add_snapshot(settings, 1, 1.1)
    with open_warehouse(settings) as con:
        con.execute(
            "insert into scenario.runs (scenario_id, name, snapshot_id, as_of, created_at, params,"
            " params_hash, code_version) values ('late-s1-ab', 'late', 1, date '2026-01-01',"
            " now()::timestamp, '{}', 'ab', 'test')"
        )
    publish(settings)
    con = connect(settings.published_path, read_only=True)
    try:
        expected = [("late-s1-ab", 1)]
        assert (
            con.execute("select scenario_id, snapshot_id from scenario.runs").fetchall() == expected
        )
    finally:
        con.close()
