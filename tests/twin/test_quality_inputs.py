"""sql/inputs/quality_sensor_hourly.sql (through twin_core.twin.sensor_cache): hourly sensor
means of running machines, in DuckDB."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.twin.core_rows import insert_by_name
from twin_core.rebuild import CoreInputs, SnapshotContext
from twin_core.settings import Settings
from twin_core.twin import sensor_cache
from twin_core.twin.quality import cutoff_utc

T0 = datetime(2026, 3, 2, 8, 0)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    frame = frame.with_columns(
        _batch_id=pl.lit("b1"), _file=pl.lit(f"{table}.csv"), _row=pl.int_range(pl.len())
    )
    insert_by_name(con, table, frame)


@pytest.fixture
def con(mem_db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """M1 runs 08:00-08:30, is down 08:30-09:00, runs 09:00-11:00; T1 on M1 reads every minute
    (valid 0..200): 50 while running, 5 while down, 999 once (out of range), and stuck at 42
    from 10:00; one reading marked bad."""
    _insert(
        mem_db,
        "sensors",
        pl.DataFrame(
            {
                "sensor_id": ["T1"],
                "machine_id": ["M1"],
                "metric": ["temperature"],
                "unit": ["degC"],
                "valid_min": [0.0],
                "valid_max": [200.0],
            }
        ),
    )
    _insert(
        mem_db,
        "machine_events",
        pl.DataFrame(
            {
                "machine_id": ["M1"] * 3,
                "start_ts": [T0, T0 + timedelta(minutes=30), T0 + timedelta(hours=1)],
                "end_ts": [
                    T0 + timedelta(minutes=30),
                    T0 + timedelta(hours=1),
                    T0 + timedelta(hours=3),
                ],
                "state": ["running", "down", "running"],
            }
        ),
    )
    ts = [T0 + timedelta(minutes=k) for k in range(180)]
    values = [
        50.0 + (k % 2) if k < 30 else 5.0 if k < 60 else 52.0 + (k % 3) if k < 120 else 42.0
        for k in range(180)
    ]
    values[70] = 999.0
    quality = ["good"] * 180
    quality[75] = "bad"
    values[75] = 150.0
    _insert(
        mem_db,
        "sensor_readings",
        pl.DataFrame({"sensor_id": ["T1"] * 180, "ts": ts, "value": values, "quality": quality}),
    )
    return mem_db


def _hourly(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date, since: datetime = T0
) -> pl.DataFrame:
    ctx = SnapshotContext(1, as_of, settings)
    return sensor_cache.quality_hourly(CoreInputs(con, ctx), since, cutoff_utc(ctx))


def test_hourly_means_use_good_running_readings_only(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """08:00 averages the 30 running minutes (not the down ones); 09:00 drops the out-of-range
    and the bad reading; 10:00 is a stuck hour and left out."""
    got = _hourly(con, settings, date(2026, 3, 2))
    nine = [52.0 + (k % 3) for k in range(60, 120) if k not in (70, 75)]
    expected = pl.DataFrame(
        {
            "machine_id": ["M1", "M1"],
            "metric": ["temperature", "temperature"],
            "hour": [T0, T0 + timedelta(hours=1)],
            "mean_value": [50.5, sum(nine) / len(nine)],
            "readings": [30, len(nine)],
        }
    )
    assert_frame_equal(got, expected, check_dtypes=False)


def test_readings_after_the_as_of_day_are_left_out(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """As of the day before, nothing was known yet."""
    assert _hourly(con, settings, date(2026, 3, 1)).height == 0


def test_readings_before_the_lookback_are_left_out(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """With the lookback starting at 09:00, the 08:00 hour is not read."""
    got = _hourly(con, settings, date(2026, 3, 2), since=T0 + timedelta(hours=1))
    assert got["hour"].to_list() == [T0 + timedelta(hours=1)]
