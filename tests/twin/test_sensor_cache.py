"""The sensor-hour cache returns what the direct pre-aggregations return, and recomputes a
day only when its readings, its machine events or the sensors' master data changed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.twin.core_rows import insert, insert_frame
from twin_core import warehouse
from twin_core.contracts import SOURCES
from twin_core.rebuild import CoreInputs, SnapshotContext
from twin_core.settings import Settings
from twin_core.twin import sensor_cache
from twin_core.validation.promote_in_place import promote_in_place
from twin_core.warehouse import fetch_polars, open_warehouse

DAY0 = datetime(2026, 3, 2)
START, END = DAY0, DAY0 + timedelta(days=3)


def _readings() -> pl.DataFrame:
    """Three days of one reading every 20 s per sensor, with bad, non-finite and out-of-range
    values and a stuck hour."""
    rows = []
    for sensor, base in (("S1", 50.0), ("S2", 5.0), ("S3", 20.0)):
        for i in range(3 * 24 * 180):
            ts = DAY0 + timedelta(seconds=20 * i)
            value = base + math.sin(i / 50) + (i % 7) / 10
            quality = "good"
            if i % 97 == 0:
                quality = "bad"
            if i % 211 == 0:
                value = float("nan")
            if sensor == "S2" and i % 300 == 0:
                value = 999.0  # above the valid range
            if sensor == "S1" and 180 * 30 <= i < 180 * 31:
                value = 42.0  # stuck for an hour
            rows.append((sensor, ts, value, quality))
    return pl.DataFrame(
        rows,
        schema={
            "sensor_id": pl.String,
            "ts": pl.Datetime("us"),
            "value": pl.Float64,
            "quality": pl.String,
        },
        orient="row",
    )


def _events() -> list[dict[str, object]]:
    """M1 alternates 50 min running and 10 min idle, across midnights; M2 has no events."""
    out: list[dict[str, object]] = []
    t = DAY0 - timedelta(minutes=25, seconds=30)
    while t < END:
        out.append(
            {
                "machine_id": "M1",
                "start_ts": t,
                "end_ts": t + timedelta(minutes=50),
                "state": "running",
            }
        )
        out.append(
            {
                "machine_id": "M1",
                "start_ts": t + timedelta(minutes=50),
                "end_ts": t + timedelta(hours=1),
                "state": "idle",
            }
        )
        t += timedelta(hours=1)
    return out


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    settings = Settings(home=tmp_path)
    with open_warehouse(settings) as c:
        insert(
            c,
            "machines",
            [
                {
                    "machine_id": m,
                    "line_id": "L1",
                    "site_id": "S",
                    "name": m,
                    "machine_type": "cnc",
                    "line_position": i + 1,
                    "ideal_cycle_time_s": 10.0,
                }
                for i, m in enumerate(("M1", "M2"))
            ],
        )
        insert(
            c,
            "sensors",
            [
                {
                    "sensor_id": "S1",
                    "machine_id": "M1",
                    "metric": "temperature",
                    "unit": "C",
                    "valid_min": 0.0,
                    "valid_max": 100.0,
                },
                {
                    "sensor_id": "S2",
                    "machine_id": "M1",
                    "metric": "vibration",
                    "unit": "mm/s",
                    "valid_min": 0.0,
                    "valid_max": 50.0,
                },
                {"sensor_id": "S3", "machine_id": "M2", "metric": "power", "unit": "kW"},
            ],
        )
        insert(c, "machine_events", _events())
        insert_frame(c, "sensor_readings", _readings())
        yield c


def _inputs(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> CoreInputs:
    ctx = SnapshotContext(1, date(2026, 3, 4), Settings(home=tmp_path))
    return CoreInputs(con, ctx)


# The whole-window queries as they stood before the library's two were made one step plus one
# reader each: an oracle written apart from the code under test.
REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "sensor_hours_reference"


def _direct_health(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pl.DataFrame:
    sql = (REFERENCE / "sensor_hours.sql").read_text()
    return fetch_polars(con, sql, {"start": start, "end": end})


def _direct_quality(con: duckdb.DuckDBPyConnection, as_of: date, since: datetime) -> pl.DataFrame:
    sql = (REFERENCE / "quality_sensor_hourly.sql").read_text()
    return fetch_polars(con, sql, {"as_of": as_of, "tz": "UTC", "since": since})


@pytest.mark.parametrize(
    "window",
    [(START, END), (START + timedelta(minutes=30), END - timedelta(minutes=30))],
    ids=["whole hours", "part hours"],
)
def test_the_direct_path_equals_the_reference(
    con: duckdb.DuckDBPyConnection, window: tuple[datetime, datetime]
) -> None:
    """The step run over the window in place of the cache table gives the reference's rows."""
    start, end = window
    params = {"start": start, "end": end, "day": start.date()}
    health = fetch_polars(con, sensor_cache.direct_sql("sensor_hours"), params)
    assert health.height > 0
    assert_frame_equal(health, _direct_health(con, start, end), check_dtypes=False, rel_tol=1e-9)
    # The reference ends at the end of the as-of day (END), so the quality window does too.
    quality = fetch_polars(
        con, sensor_cache.direct_sql("quality_sensor_hourly"), {**params, "end": END}
    )
    expected = _direct_quality(con, date(2026, 3, 4), start)
    assert quality.height > 0
    assert_frame_equal(quality, expected, check_dtypes=False, rel_tol=1e-9)


def test_a_reader_that_does_not_name_its_table_once_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """direct_sql swaps the cache table for the step; a reader it cannot swap is an error."""
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "sensor_hours.sql").write_text("select * from meta.sensor_hours_v")
    monkeypatch.setattr(warehouse, "SQL_DIR", tmp_path)  # where sql_file reads sql/ from
    with pytest.raises(ValueError, match=r"must read meta\.sensor_hours exactly once"):
        sensor_cache.direct_sql("sensor_hours")


def test_cached_health_hours_equal_the_direct_aggregation(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Every health column of every sensor-hour matches sql/inputs/sensor_hours.sql."""
    expected = _direct_health(con, START, END)
    got = sensor_cache.sensor_hours(_inputs(con, tmp_path), START, END)
    assert expected.height == 3 * 3 * 24
    assert_frame_equal(got, expected, check_dtypes=False, rel_tol=1e-9)


def test_a_machine_without_events_in_the_window_counts_as_running(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """S3's machine has no events: its running readings are all its readings."""
    got = sensor_cache.sensor_hours(_inputs(con, tmp_path), START, END).filter(
        pl.col("sensor_id") == "S3"
    )
    expected = got["n"].to_list()
    assert got["running_n"].to_list() == expected


def test_cached_quality_hours_equal_the_direct_aggregation(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Machine-metric-hour means match sql/inputs/quality_sensor_hourly.sql (stuck hour left out)."""
    since = START + timedelta(days=1)
    expected = _direct_quality(con, date(2026, 3, 4), since)
    got = sensor_cache.quality_hourly(_inputs(con, tmp_path), since, END)
    assert expected.height > 0
    assert_frame_equal(got, expected, check_dtypes=False, rel_tol=1e-9)


def test_a_second_read_recomputes_no_day(con: duckdb.DuckDBPyConnection) -> None:
    """Nothing changed: the cost of a read is the fingerprints, not the aggregation."""
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    sensor_cache.refresh(con, days)
    assert sensor_cache.refresh(con, days) == []


def test_a_late_reading_recomputes_only_its_day(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A reading replaced by a later delivery makes its day stale, and the result follows it."""
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    sensor_cache.refresh(con, days)
    con.execute(
        "insert into raw.sensor_readings_rows values ('S1', timestamp '2026-03-03 10:00:00', 77.0, "
        "'good', 'B2', 'late.parquet', 1, null, timestamp '2026-03-06 01:00')"
    )
    promote_in_place(con, SOURCES["sensor_readings"], "B2", rows=1, quarantined=0, dedupe=False)
    expected = [date(2026, 3, 3)]
    assert sensor_cache.refresh(con, days) == expected
    assert_frame_equal(
        sensor_cache.sensor_hours(_inputs(con, tmp_path), START, END),
        _direct_health(con, START, END),
        check_dtypes=False,
        rel_tol=1e-9,
    )


def test_a_changed_machine_event_recomputes_the_days_it_overlaps(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """An event's end moved: only its day is recomputed."""
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    sensor_cache.refresh(con, days)
    con.execute(
        "update core.machine_events set end_ts = end_ts + interval 5 minute "
        "where machine_id = 'M1' and start_ts = (select min(start_ts) from core.machine_events "
        "where start_ts >= timestamp '2026-03-04 06:00')"
    )
    expected = [date(2026, 3, 4)]
    assert sensor_cache.refresh(con, days) == expected


def test_a_changed_valid_range_recomputes_every_day(con: duckdb.DuckDBPyConnection) -> None:
    """The sensors' master data decides out-of-range readings on every day."""
    days = [date(2026, 3, 2), date(2026, 3, 3)]
    sensor_cache.refresh(con, days)
    con.execute("update core.sensors set valid_max = 40 where sensor_id = 'S2'")
    expected = days
    assert sensor_cache.refresh(con, days) == expected


def test_a_window_of_partial_hours_is_aggregated_directly(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A plant timezone 30 minutes off UTC cuts hours: the step over the window serves it, nothing
    is cached."""
    start, end = START + timedelta(minutes=30), END - timedelta(minutes=30)
    got = sensor_cache.sensor_hours(_inputs(con, tmp_path), start, end)
    assert_frame_equal(got, _direct_health(con, start, end))
    cached = con.execute("select count(*) from meta.sensor_hours_days").fetchone()
    assert cached == (0,)


def test_a_part_hour_window_is_computed_once_per_rebuild(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The step over the readings is kept in the rebuild's inputs, like any named input: a
    second builder asking the same window gets the same frame, not a second aggregation."""
    inputs = _inputs(con, tmp_path)
    start, end = START + timedelta(minutes=30), END - timedelta(minutes=30)
    first = sensor_cache.sensor_hours(inputs, start, end)
    assert sensor_cache.sensor_hours(inputs, start, end) is first
    assert sensor_cache.sensor_hours(_inputs(con, tmp_path), start, end) is not first
