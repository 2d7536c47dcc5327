"""A batch that passes is promoted to core; later rows replace earlier ones by key."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.validation.conftest import AddBatch, Query, masters, reading
from twin_core.settings import Settings
from twin_core.validation import BatchNotReady, validate_batch, validate_pending

AS_OF = date(2026, 3, 2)


def test_clean_batch_passes_and_every_row_reaches_core(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """No rule fails: status passed, nothing quarantined, each raw row is in core once."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    expected = {
        "machines": {"rows": 1, "quarantined": 0, "promoted": 1, "superseded": 0},
        "sensors": {"rows": 2, "quarantined": 0, "promoted": 2, "superseded": 0},
        "sensor_readings": {"rows": 2, "quarantined": 0, "promoted": 2, "superseded": 0},
    }
    assert result.status == "passed"
    assert result.counts == expected
    assert query("select sensor_id, value from core.sensor_readings order by 1") == [
        ("T1", 20.0),
        ("T2", 20.0),
    ]
    assert query("select count(*) from quality.quarantine") == [(0,)]


def test_validated_batch_is_marked_in_ingest_batches(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """ingest.batches gets the validation status and time of the run."""
    add_batch("b1", masters())
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select validation_status, validated_at from ingest.batches") == [
        ("passed", result.validated_at)
    ]


def test_core_row_keeps_provenance_and_ingest_time(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A promoted row names its batch, file, row and ingest time."""
    add_batch("b1", masters(), ingested_at=datetime(2026, 3, 2, 1, 30))
    validate_batch(settings, "b1", as_of=AS_OF)
    expected = [("M1", "b1", "machines/b1.csv", 1, datetime(2026, 3, 2, 1, 30))]
    assert query("select machine_id, _batch_id, _file, _row, _ingested_at from core.machines") == (
        expected
    )


def test_late_correction_in_a_later_batch_replaces_the_core_row(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """The same key in a later batch replaces the value in core; other keys stay."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    validate_batch(settings, "b1", as_of=AS_OF)
    add_batch(
        "b2",
        {"sensor_readings": [reading("T1", value=21.5)]},
        ingested_at=datetime(2026, 3, 2, 5, 0),
    )
    result = validate_batch(settings, "b2", as_of=AS_OF)
    expected = [("T1", 21.5, "b2"), ("T2", 20.0, "b1")]
    assert query("select sensor_id, value, _batch_id from core.sensor_readings order by 1") == (
        expected
    )
    assert result.counts["sensor_readings"]["promoted"] == 1


def test_older_batch_validated_late_does_not_overwrite_newer_core_rows(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Batches validated out of order: the row ingested later still wins."""
    add_batch("m", masters(), ingested_at=datetime(2026, 3, 1, 0, 0))
    validate_batch(settings, "m", as_of=AS_OF)
    add_batch("old", {"sensor_readings": [reading("T1", value=1.0)]})
    add_batch(
        "new",
        {"sensor_readings": [reading("T1", value=2.0)]},
        ingested_at=datetime(2026, 3, 2, 5, 0),
    )
    validate_batch(settings, "new", as_of=AS_OF)
    result = validate_batch(settings, "old", as_of=AS_OF)
    assert query("select value, _batch_id from core.sensor_readings") == [(2.0, "new")]
    assert result.counts["sensor_readings"] == {
        "rows": 1,
        "quarantined": 0,
        "promoted": 0,
        "superseded": 1,
    }


def test_correction_in_a_later_file_of_the_same_batch_replaces_without_quarantine(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Two files of one batch with the same key: a late correction, not an error; the later
    file's row is promoted and the earlier counted as superseded."""
    rows = [
        reading("T1", value=1.0, _file="sensor_readings/a.csv", _row=1),
        reading("T2", value=1.0, _file="sensor_readings/a.csv", _row=2),
        reading("T1", value=2.0, _file="sensor_readings/b.csv", _row=1),
    ]
    add_batch("b1", {**masters(), "sensor_readings": rows})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select sensor_id, value, _file from core.sensor_readings order by 1") == [
        ("T1", 2.0, "sensor_readings/b.csv"),
        ("T2", 1.0, "sensor_readings/a.csv"),
    ]
    assert query("select count(*) from quality.quarantine") == [(0,)]
    assert result.counts["sensor_readings"]["superseded"] == 1


def test_files_of_one_batch_with_disjoint_days_are_all_promoted(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Daily files of one batch (no shared keys) are promoted whole."""
    rows = [
        reading("T1", "2026-03-01 00:00:00", _file="sensor_readings/d1.csv", _row=1),
        reading("T1", "2026-03-02 00:00:00", _file="sensor_readings/d2.csv", _row=1),
    ]
    add_batch("b1", {**masters(), "sensor_readings": rows})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert result.counts["sensor_readings"]["promoted"] == 2
    assert query("select count(*) from core.sensor_readings") == [(2,)]


def test_validating_a_batch_twice_changes_nothing_in_core(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Re-validation is idempotent: same core rows, one quarantine entry per bad row."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T9")]})
    validate_batch(settings, "b1", as_of=AS_OF)
    before = query("select * from core.sensor_readings order by all")
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select * from core.sensor_readings order by all") == before
    assert query("select count(*) from quality.quarantine") == [(1,)]


def test_validate_pending_takes_completed_unvalidated_batches_oldest_first(
    settings: Settings, add_batch: AddBatch
) -> None:
    """Pending = completed and not validated yet; a running batch waits; each runs once."""
    add_batch("b2", masters(), ingested_at=datetime(2026, 3, 2, 2, 0))
    add_batch("b1", masters(), ingested_at=datetime(2026, 3, 2, 1, 0))
    add_batch("b3", masters(), ingested_at=datetime(2026, 3, 2, 3, 0), status="running")
    first = validate_pending(settings, as_of=AS_OF)
    second = validate_pending(settings, as_of=AS_OF)
    assert [r.batch_id for r in first] == ["b1", "b2"]
    assert second == []


def test_batch_that_ingest_has_not_completed_is_refused(
    settings: Settings, add_batch: AddBatch
) -> None:
    """Validating a running batch is an error that says why."""
    add_batch("b1", masters(), status="running")
    with pytest.raises(BatchNotReady, match="is running, not completed"):
        validate_batch(settings, "b1", as_of=AS_OF)


def test_unknown_batch_is_refused(settings: Settings, add_batch: AddBatch) -> None:
    """A batch id ingest never wrote is an error naming it."""
    add_batch("b1", masters())
    with pytest.raises(BatchNotReady, match="no ingest batch 'nope'"):
        validate_batch(settings, "nope", as_of=AS_OF)


def test_batch_id_that_is_not_a_safe_token_is_refused(settings: Settings) -> None:
    """A batch id goes into GX query text, so quotes and spaces are refused up front."""
    with pytest.raises(ValueError, match="not a safe token"):
        validate_batch(settings, "b1' or '1'='1", as_of=AS_OF)
