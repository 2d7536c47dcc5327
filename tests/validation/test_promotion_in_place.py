"""Sensor readings are promoted in place: core.sensor_readings is a view over the raw readings of
promoted batches, less the rows listed as left out, and it shows what a copy would have held."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb

from tests.validation.conftest import AddBatch, Query, insert_raw, masters, reading
from twin_core.settings import Settings, ValidationSettings
from twin_core.validation import validate_batch
from twin_core.warehouse import SCHEMA_DIR, apply_schema

AS_OF = date(2026, 3, 2)
LATER = datetime(2026, 3, 2, 5, 0)


def test_readings_reach_core_as_a_view_over_raw_not_a_copy(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """No core table of readings exists; the batch is recorded with its rows and time span."""
    add_batch(
        "b1",
        {**masters(), "sensor_readings": [reading("T1"), reading("T2", ts="2026-03-01 00:05:00")]},
    )
    validate_batch(settings, "b1", as_of=AS_OF)
    expected = [("sensor_readings", "b1", 2, datetime(2026, 3, 1), datetime(2026, 3, 1, 0, 5))]
    assert query(
        "select count(*) from duckdb_tables() where schema_name = 'core' "
        "and table_name = 'sensor_readings'"
    ) == [(0,)]
    assert query(
        "select count(*) from duckdb_views() where schema_name = 'core' "
        "and view_name = 'sensor_readings'"
    ) == [(1,)]
    assert query("select source, batch_id, rows, ts_min, ts_max from core.promoted_batches") == (
        expected
    )


def test_each_left_out_reading_is_listed_with_its_reason_and_the_batch_that_left_it_out(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """An unknown sensor is quarantined by its own batch; a corrected reading is superseded by
    the later batch; neither shows in core."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T9")]})
    validate_batch(settings, "b1", as_of=AS_OF)
    add_batch("b2", {"sensor_readings": [reading("T1", value=21.5)]}, ingested_at=LATER)
    validate_batch(settings, "b2", as_of=AS_OF)
    expected = [
        ("b1", "sensor_readings/b1.csv", 1, "superseded", "b2"),
        ("b1", "sensor_readings/b1.csv", 2, "quarantined", "b1"),
    ]
    assert (
        query(
            'select batch_id, file, "row", reason, by_batch '
            "from core.sensor_reading_exclusions order by all"
        )
        == expected
    )
    assert query("select sensor_id, value, _batch_id from core.sensor_readings") == [
        ("T1", 21.5, "b2")
    ]


def test_validating_again_with_a_rule_off_brings_its_rows_into_core(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A second promotion of a batch forgets what the first left out and decides again."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T9")]})
    validate_batch(settings, "b1", as_of=AS_OF)
    lenient = settings.model_copy(
        update={"validation": ValidationSettings(severity={"sensor_id_in_sensors": "off"})}
    )
    result = validate_batch(lenient, "b1", as_of=AS_OF)
    expected = [("T1",), ("T9",)]
    assert query("select sensor_id from core.sensor_readings order by 1") == expected
    assert result.counts["sensor_readings"]["promoted"] == 2
    assert query("select count(*) from core.sensor_reading_exclusions") == [(0,)]


def test_the_later_row_wins_whichever_batch_is_validated_again(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Re-validating the older or the newer batch of a key leaves the newer row in core."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1", value=1.0)]})
    add_batch("b2", {"sensor_readings": [reading("T1", value=2.0)]}, ingested_at=LATER)
    for batch in ("b1", "b2", "b1", "b2", "b1"):
        validate_batch(settings, batch, as_of=AS_OF)
    expected = [(2.0, "b2")]
    assert query("select value, _batch_id from core.sensor_readings") == expected


def _schema_before_in_place(tmp_path: Path) -> Path:
    folder = tmp_path / "schema_075"
    folder.mkdir()
    for p in sorted(SCHEMA_DIR.glob("*.sql")):
        if int(p.name[:3]) < 80:
            shutil.copy(p, folder / p.name)
    return folder


def test_an_existing_home_keeps_its_core_readings_through_the_migration(
    tmp_path: Path,
) -> None:
    """A warehouse whose core readings were copied (schema before 080) shows the same rows
    through the view, with the rows it had left out listed."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    apply_schema(con, _schema_before_in_place(tmp_path))
    rows = [reading("T1"), reading("T2"), reading("T9")]
    insert_raw(con, "sensor_readings", "b1", rows, datetime(2026, 3, 2, 1, 0))
    insert_raw(con, "sensor_readings", "b2", [reading("T1", value=2.0)], LATER)
    insert_raw(con, "sensor_readings", "pending", [reading("T2", value=3.0)], LATER)
    con.execute(
        'insert into quality.quarantine (batch_id, source, file, "row", stage, rule, reason, '
        "raw_values, quarantined_at) values ('b1', 'sensor_readings', 'sensor_readings/b1.csv', "
        "3, 'validation', 'sensor_id_in_sensors', 'unknown', '{}', now()::timestamp)"
    )
    # What the copying promotion left in core: b1's T2, b2's T1 (which replaced b1's T1).
    con.execute(
        "insert into core.sensor_readings select sensor_id, ts, value, quality, _batch_id, "
        "_file, _row, _ingested_at from raw.sensor_readings "
        "where (_batch_id = 'b1' and _row = 2) or _batch_id = 'b2'"
    )
    before = con.execute("select * from core.sensor_readings order by all").fetchall()
    apply_schema(con)
    after = con.execute("select * from core.sensor_readings order by all").fetchall()
    reasons = con.execute(
        'select batch_id, "row", reason from core.sensor_reading_exclusions order by all'
    ).fetchall()
    con.close()
    expected_reasons = [("b1", 1, "superseded"), ("b1", 3, "quarantined")]
    assert after == before
    assert len(after) == 2
    assert reasons == expected_reasons
