"""The two-stage (bitmap) key check returns exactly the rows of the plain group-by, and falls
back to the group-by when its bitmaps would not fit."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from tests.validation.conftest import DAY, INGESTED, AddBatch, Query, insert_raw, masters, reading
from twin_core.contracts import get_source
from twin_core.settings import Settings
from twin_core.validation import validate_batch
from twin_core.validation.facts import scan_source
from twin_core.validation.runner import batch_query
from twin_core.validation.unique_key import BITMAP_BUDGET, KeyTimes, unique_key_query

T0 = datetime(2026, 3, 1, 0, 0, 0)
T1 = datetime(2026, 3, 1, 0, 0, 1)


def queries(
    con: duckdb.DuckDBPyConnection, source: str = "sensor_readings"
) -> tuple[str, str, KeyTimes | None]:
    """The query chosen from batch b1's facts, the plain group-by, and the facts."""
    src = get_source(source)
    row = con.execute(
        f"select count(distinct _file) from raw.{source} where _batch_id = 'b1'"
    ).fetchone()
    files = int(row[0]) if row else 0
    _, facts = scan_source(con, src, "b1", files)
    chosen, _ = unique_key_query(src, files, facts)
    plain, _ = unique_key_query(src, files, None)
    return chosen, plain, facts


def repeats(
    con: duckdb.DuckDBPyConnection, sql: str, source: str = "sensor_readings"
) -> list[tuple[Any, ...]]:
    """The rows of a key query on batch b1, with ``{batch}`` put in as GX puts it in."""
    rows = con.execute(sql.format(batch=f"({batch_query(source, 'b1')})")).fetchall()
    return sorted(rows, key=repr)


def add(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], source: str = "sensor_readings"
) -> None:
    insert_raw(con, source, "b1", rows, INGESTED)


def test_no_repeated_key_gives_no_rows_either_way(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Distinct keys: both queries return nothing, and the bitmap query is the one chosen."""
    add(mem_db, [reading("T1", T0), reading("T1", T1), reading("T2", T0)])
    chosen, plain, _ = queries(mem_db)
    expected: list[tuple[Any, ...]] = []
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_a_repeat_in_one_series_is_found_by_both(mem_db: duckdb.DuckDBPyConnection) -> None:
    """A (sensor, time) given twice is the one row of both queries."""
    add(mem_db, [reading("T1", T0), reading("T1", T1), reading("T1", T1), reading("T2", T1)])
    chosen, plain, _ = queries(mem_db)
    expected = [("T1", T1, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_repeated_null_times_are_found_by_both(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Two rows of a series without a time repeat the key (null, as in the group-by)."""
    add(mem_db, [reading("T1", T0), reading("T1", None), reading("T1", None), reading("T2", None)])
    chosen, plain, _ = queries(mem_db)
    expected = [("T1", None, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_a_series_of_null_times_only_is_found_by_both(mem_db: duckdb.DuckDBPyConnection) -> None:
    """A series with no time at all sets no bit (its bitmap is null), yet its repeat is found."""
    add(mem_db, [reading("T1", T0), reading("T2", None), reading("T2", None)])
    chosen, plain, _ = queries(mem_db)
    expected = [("T2", None, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_a_repeat_in_the_null_series_is_found_by_both(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Rows without a sensor form one series in the group-by; the bitmap query keeps it."""
    add(mem_db, [reading("T1", T0), reading(None, T1), reading(None, T1)])
    chosen, plain, _ = queries(mem_db)
    expected = [(None, T1, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_millisecond_times_use_a_millisecond_bitmap(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Times 1 ms apart are distinct bits; the repeat among them is found by both."""
    times = ["00:00:00.001", "00:00:00.002", "00:00:00.002", "00:00:01.000"]
    add(mem_db, [reading("T1", f"{DAY} {t}") for t in times])
    chosen, plain, facts = queries(mem_db)
    expected = [("T1", datetime(2026, 3, 1, 0, 0, 0, 2000), 2)]
    assert facts is not None and facts.unit_us == 1000
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


@pytest.mark.parametrize(
    ("times", "unit"),
    [
        (["2026-03-01 00:00:00", "2026-03-01 00:00:01"], 1_000_000),
        (["1969-12-31 23:59:58", "1969-12-31 23:59:59"], 1_000_000),
        (["1969-12-31 23:59:58", "1969-12-31 23:59:59.5"], 1_000),
        (["2199-12-31 23:59:58", "2199-12-31 23:59:59.999999"], 1),
        (["2026-03-01 00:00:00", "2026-03-01 00:00:00.000001"], 1),
    ],
)
def test_time_unit_is_the_coarsest_dividing_every_time(
    mem_db: duckdb.DuckDBPyConnection, times: list[str], unit: int
) -> None:
    """Whole seconds (before 1970 too), whole milliseconds, else microseconds: one
    microsecond off a whole second is enough to make the unit 1 us."""
    add(mem_db, [reading("T1", t) for t in times])
    _, _, facts = queries(mem_db)
    assert facts is not None and facts.unit_us == unit


def test_microsecond_times_use_a_microsecond_bitmap(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Times 1 µs apart are distinct bits; no false repeat and the true one found by both."""
    times = ["00:00:00.000001", "00:00:00.000002", "00:00:00.000003", "00:00:00.000003"]
    add(mem_db, [reading("T1", f"{DAY} {t}") for t in times])
    chosen, plain, facts = queries(mem_db)
    expected = [("T1", datetime(2026, 3, 1, 0, 0, 0, 3), 2)]
    assert facts is not None and facts.unit_us == 1
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_two_files_repeat_keys_within_a_file_only(mem_db: duckdb.DuckDBPyConnection) -> None:
    """With two files the file is part of the series: a key in both files is no repeat."""
    add(
        mem_db,
        [
            reading("T1", T0, _file="a.csv", _row=1),
            reading("T1", T1, _file="a.csv", _row=2),
            reading("T1", T1, _file="b.csv", _row=1),
            reading("T1", T0, _file="b.csv", _row=2),
            reading("T1", T0, _file="b.csv", _row=3),
        ],
    )
    chosen, plain, _ = queries(mem_db)
    expected = [("b.csv", "T1", T0, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen) == repeats(mem_db, plain) == expected


def test_machine_events_key_is_checked_by_bitmap_too(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Another key with one time column (machine_id, start_ts) gets the same rows both ways."""
    events = [{"machine_id": "M1", "start_ts": t} for t in (T0, T1, T1)]
    add(mem_db, [*events, {"machine_id": "M2", "start_ts": T1}], "machine_events")
    chosen, plain, _ = queries(mem_db, "machine_events")
    expected = [("M1", T1, 2)]
    assert "bitstring_agg" in chosen
    assert repeats(mem_db, chosen, "machine_events") == expected
    assert repeats(mem_db, plain, "machine_events") == expected


def test_bitmaps_over_the_budget_fall_back_to_the_group_by(
    mem_db: duckdb.DuckDBPyConnection,
) -> None:
    """Three series at 1 µs over 15 minutes need 3 x 112 MB of bitmaps: the plain group-by."""
    late = f"{DAY} 00:15:00"
    rows = [reading(s, t) for s in ("T1", "T2", "T3") for t in (f"{DAY} 00:00:00.000001", late)]
    add(mem_db, [*rows, reading("T3", late)])
    chosen, plain, facts = queries(mem_db)
    expected = [("T3", datetime(2026, 3, 1, 0, 15), 2)]
    assert facts is not None and facts.series * facts.bits // 8 > BITMAP_BUDGET
    assert chosen == plain
    assert repeats(mem_db, chosen) == expected


def test_a_range_beyond_bitstring_agg_falls_back_to_the_group_by(
    mem_db: duckdb.DuckDBPyConnection,
) -> None:
    """One stray far-off time makes the range too long for one bitmap: the plain group-by."""
    add(mem_db, [reading("T1", T0), reading("T1", "2099-12-31 00:00:00"), reading("T1", T0)])
    chosen, plain, _ = queries(mem_db)
    expected = [("T1", T0, 2)]
    assert chosen == plain
    assert repeats(mem_db, chosen) == expected


def test_validation_quarantines_the_earlier_repeat_with_the_bitmap_query(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """End to end: GX runs the bitmap query, and the earlier row of the repeat is quarantined."""
    readings = [reading("T1", T0), reading("T1", T1, value=1.0), reading("T1", T1, value=2.0)]
    add_batch("b1", {**masters(), "sensor_readings": readings})
    result = validate_batch(settings, "b1", as_of=date(2026, 3, 2))
    expected = [("sensor_readings", 2, "unique_key")]
    assert query('select source, "row", rule from quality.quarantine') == expected
    assert query("select value from core.sensor_readings where ts = ?", [T1]) == [(2.0,)]
    stored = (settings.validation_dir / "gx" / "uncommitted" / "validations").rglob("*.json")
    # Of this batch's sources only sensor_readings has a time column in its key.
    used = [
        r["expectation_config"]["kwargs"]["unexpected_rows_query"]
        for path in stored
        for r in json.loads(path.read_text())["results"]
        if r["expectation_config"]["meta"]["rule"] == "unique_key"
    ]
    assert sum("bitstring_agg" in q for q in used) == 1
    assert result.status == "passed_with_quarantine"
