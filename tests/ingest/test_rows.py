"""Rows whose values cannot be cast to the contract go to quarantine with column and value;
the rest of the file loads, typed as the contract says."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from tests.ingest.conftest import drop, machines_csv, rows
from twin_core.ingest import ingest_landing
from twin_core.settings import Settings

READINGS = "sensor_id,ts,value,quality"


def test_uncastable_value_quarantines_the_row_naming_column_and_value(home: Settings) -> None:
    """A value that is not a number goes to quarantine as cast_failed; its neighbours load."""
    drop(
        home,
        "sensor_readings",
        "r.csv",
        f"{READINGS}\nS1,2026-01-01T00:00:00,1.5,good\nS1,2026-01-01T00:00:01,n/a,good\nS1,2026-01-01T00:00:02,2.5,good\n",
    )
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 3, 2, 1)
    assert rows(home, "select _row, value from raw.sensor_readings order by _row") == [
        (1, 1.5),
        (3, 2.5),
    ]
    expected = [(2, "ingest", "cast_failed", 'value: cannot read "n/a" as DOUBLE')]
    assert rows(home, 'select "row", stage, rule, reason from quality.quarantine') == expected


def test_quarantined_row_keeps_the_row_as_read(home: Settings) -> None:
    """raw_values holds every column of the row under the file's own names, as text."""
    drop(home, "sensor_readings", "r.csv", f"{READINGS},note\nS1,yesterday,1.5,good,hi\n")
    ingest_landing(home)
    (raw_values,) = rows(home, "select raw_values from quality.quarantine")[0]
    expected = {
        "sensor_id": "S1",
        "ts": "yesterday",
        "value": "1.5",
        "quality": "good",
        "note": "hi",
    }
    assert json.loads(raw_values) == expected


def test_reason_names_every_column_that_failed(home: Settings) -> None:
    """Two bad values in one row are both named in its reason."""
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nS1,soon,lots,good\n")
    ingest_landing(home)
    expected = [('ts: cannot read "soon" as TIMESTAMP; value: cannot read "lots" as DOUBLE',)]
    assert rows(home, "select reason from quality.quarantine") == expected


def test_fractional_value_in_integer_column_is_quarantined_not_rounded(home: Settings) -> None:
    """line_position 1.5 is not an integer: quarantined (DuckDB's cast would round it to 2)."""
    drop(
        home,
        "machines",
        "m.csv",
        machines_csv("M1,L1,S1,P,press,1.5,2.5", "M2,L1,S1,P,press,2.0,2.5"),
    )
    (f,) = ingest_landing(home).files
    assert (f.rows_loaded, f.rows_quarantined) == (1, 1)
    assert rows(home, "select machine_id, line_position from raw.machines") == [("M2", 2)]


def test_empty_values_load_as_null_not_as_cast_failures(home: Settings) -> None:
    """An empty field (quoted or not) is a missing value: null in raw, for validation to judge."""
    drop(
        home,
        "sensor_readings",
        "r.csv",
        f'{READINGS}\nS1,2026-01-01T00:00:00,,\nS1,2026-01-01T00:00:01,"",""\n',
    )
    (f,) = ingest_landing(home).files
    assert (f.rows_loaded, f.rows_quarantined) == (2, 0)
    assert rows(home, "select value, quality from raw.sensor_readings") == [
        (None, None),
        (None, None),
    ]


def test_timestamp_with_offset_is_stored_as_utc(home: Settings) -> None:
    """ISO timestamps with an offset convert to naive UTC; without one they are UTC already."""
    drop(
        home,
        "sensor_readings",
        "r.csv",
        f"{READINGS}\nS1,2026-01-01T10:00:00+02:00,1,good\nS1,2026-01-01T10:00:00Z,1,good\nS1,2026-01-01 10:00:00,1,good\nS1,2026-01-01T10:00:00-05:30,1,good\n",
    )
    ingest_landing(home)
    expected = [
        (datetime(2026, 1, 1, 8, 0),),
        (datetime(2026, 1, 1, 10, 0),),
        (datetime(2026, 1, 1, 10, 0),),
        (datetime(2026, 1, 1, 15, 30),),
    ]
    assert rows(home, "select ts from raw.sensor_readings order by _row") == expected


def test_missing_optional_column_loads_as_null(home: Settings) -> None:
    """A file without an optional column (quality) loads; the column is null."""
    drop(home, "sensor_readings", "r.csv", "sensor_id,ts,value\nS1,2026-01-01T00:00:00,1.5\n")
    (f,) = ingest_landing(home).files
    assert f.missing_optional == ("quality",)
    assert rows(home, "select quality from raw.sensor_readings") == [(None,)]


def test_extra_columns_are_kept_in_extra_and_reported_as_drift(home: Settings) -> None:
    """Columns beyond the contract land in raw._extra (JSON) and in ingest.files.extra_columns."""
    drop(
        home,
        "sensor_readings",
        "r.csv",
        f"{READINGS},firmware,site\nS1,2026-01-01T00:00:00,1.5,good,v2,Plant 1\n",
    )
    result = ingest_landing(home)
    assert result.schema_drift == {"sensor_readings/r.csv": ("firmware", "site")}
    (extra,) = rows(home, "select _extra from raw.sensor_readings")[0]
    assert json.loads(extra) == {"firmware": "v2", "site": "Plant 1"}
    expected = [('["firmware", "site"]',)]
    assert rows(home, "select extra_columns from ingest.files") == expected


def test_header_names_match_ignoring_case_and_spaces(home: Settings) -> None:
    """' Sensor_ID ' in a header is the contract's sensor_id."""
    drop(home, "sensor_readings", "r.csv", " Sensor_ID ,TS,Value\nS1,2026-01-01T00:00:00,1.5\n")
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded, f.extra_columns) == ("loaded", 1, ())


def test_jsonl_rows_are_cast_like_csv_and_non_objects_quarantined(home: Settings) -> None:
    """JSON Lines: numbers and strings cast to the contract; a line that is no object and a
    value that does not cast are quarantined; extra keys go to _extra."""
    lines = [
        {"sensor_id": "S1", "ts": "2026-01-01T00:00:00Z", "value": 1.5, "fw": 2},
        [1, 2],
        {"sensor_id": "S1", "ts": "2026-01-01T00:00:01Z", "value": "high"},
    ]
    drop(home, "sensor_readings", "r.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    (f,) = ingest_landing(home).files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 1, 2)
    assert f.extra_columns == ("fw",)
    assert rows(home, "select value, _extra from raw.sensor_readings") == [(1.5, '{"fw":2}')]
    expected = [
        (2, "not_an_object", "[1,2]"),
        (3, "cast_failed", json.dumps(lines[2], separators=(",", ":"))),
    ]
    got = rows(home, 'select "row", rule, raw_values from quality.quarantine order by "row"')
    assert [
        (r, rule, json.dumps(json.loads(v), separators=(",", ":"))) for r, rule, v in got
    ] == expected


def test_json_array_file_is_read(home: Settings) -> None:
    """A .json file holding an array of objects loads one row per element."""
    drop(
        home,
        "suppliers",
        "s.json",
        json.dumps([{"supplier_id": "A", "name": "Acme"}, {"supplier_id": "B", "name": "Bolt"}]),
    )
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 2)


def test_parquet_keeps_its_types_and_converts_timestamps_to_utc(home: Settings) -> None:
    """Parquet columns of the contract's types load as they are; a TIMESTAMPTZ becomes naive
    UTC; an integer for a DOUBLE column is widened; a row number comes from the file."""
    path = home.landing_dir / "sensor_readings" / "r.parquet"
    path.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "copy (select 'S1' as sensor_id, timestamptz '2026-01-01 10:00:00+02' + to_seconds(i) as ts,"
        " i::integer as value, 'good' as quality from range(3) t(i)) to ?",
        [str(path)],
    )
    con.close()
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 3)
    expected = [
        (1, datetime(2026, 1, 1, 8, 0, 0), 0.0),
        (2, datetime(2026, 1, 1, 8, 0, 1), 1.0),
        (3, datetime(2026, 1, 1, 8, 0, 2), 2.0),
    ]
    assert rows(home, "select _row, ts, value from raw.sensor_readings order by _row") == expected


def test_parquet_value_of_wrong_type_is_quarantined(home: Settings) -> None:
    """A Parquet string column that should be a timestamp casts row by row like CSV text."""
    path = home.landing_dir / "sensor_readings" / "r.parquet"
    path.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "copy (select * from (values ('S1', '2026-01-01T00:00:00', 1.0), ('S1', 'never', 2.0)) t(sensor_id, ts, value)) to ?",
        [str(path)],
    )
    con.close()
    (f,) = ingest_landing(home).files
    assert (f.rows_loaded, f.rows_quarantined) == (1, 1)
    expected = [(2, 'ts: cannot read "never" as TIMESTAMP')]
    assert rows(home, 'select "row", reason from quality.quarantine') == expected


def test_timestamp_text_after_the_time_is_never_ignored(home: Settings) -> None:
    """A zone name converts to UTC, and trailing text that is no zone is a cast failure
    (DuckDB's plain TIMESTAMP cast would silently drop both)."""
    body = "S1,2026-01-01 10:00:00 America/New_York,1,good\nS1,2026-01-01T10:00:00.250+01:00,1,good\nS1,2026-01-01T10:00:00 X1,1,good\n"
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\n{body}")
    (f,) = ingest_landing(home).files
    assert (f.rows_loaded, f.rows_quarantined) == (2, 1)
    expected = [(datetime(2026, 1, 1, 15, 0),), (datetime(2026, 1, 1, 9, 0, 0, 250000),)]
    assert rows(home, "select ts from raw.sensor_readings order by _row") == expected


def test_parquet_row_numbers_are_the_files_own_in_a_large_file(home: Settings) -> None:
    """_row of a Parquet row is its position in the file, across many row groups."""
    path = home.landing_dir / "sensor_readings" / "big.parquet"
    path.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "copy (select 'S1' as sensor_id, timestamp '2026-01-01' as ts, (i + 1)::double as value"
        " from range(500000) t(i)) to ? (row_group_size 20000)",
        [str(path)],
    )
    con.close()
    ingest_landing(home)
    expected = [(500_000, 0)]
    got = rows(
        home, "select count(*), count(*) filter (where _row <> value) from raw.sensor_readings"
    )
    assert got == expected
