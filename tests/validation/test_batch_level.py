"""Batch-level expectations: an error fails the whole batch, a warning only reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.validation.conftest import AddBatch, Query, machine, masters, reading
from twin_core.settings import Settings, ValidationSettings
from twin_core.validation import validate_batch
from twin_core.warehouse import open_warehouse

AS_OF = date(2026, 3, 2)


def _with(settings: Settings, **validation: object) -> Settings:
    return settings.model_copy(update={"validation": ValidationSettings(**validation)})  # type: ignore[arg-type]


def test_stale_batch_is_promoted_with_a_freshness_warning_by_default(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Readings a month older than the as-of date: reported, still promoted."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    result = validate_batch(settings, "b1", as_of=date(2026, 4, 1))
    assert result.status == "passed"
    assert "expect_column_max_to_be_between:ts" in result.sources[-1].warnings
    assert query("select count(*) from core.sensor_readings") == [(2,)]


def test_batch_level_error_fails_the_batch_and_promotes_nothing(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Freshness set to error: status failed, core untouched, nothing quarantined."""
    strict = _with(settings, severity={"expect_column_max_to_be_between": "error"})
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T9")]})
    result = validate_batch(strict, "b1", as_of=date(2026, 4, 1))
    assert result.status == "failed"
    assert result.failures() == ["sensor_readings: expect_column_max_to_be_between:ts"]
    assert query("select count(*) from core.sensor_readings") == [(0,)]
    assert query("select count(*) from core.machines") == [(0,)]
    assert query("select count(*) from quality.quarantine") == [(0,)]
    assert query("select validation_status from ingest.batches") == [("failed",)]


def test_failed_batch_is_not_pending_any_more(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A failed batch is recorded as validated (failed); validate_batch can run it again."""
    strict = _with(settings, severity={"expect_column_max_to_be_between": "error"})
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1"), reading("T2")]})
    validate_batch(strict, "b1", as_of=date(2026, 4, 1))
    again = validate_batch(settings, "b1", as_of=AS_OF)
    assert again.status == "passed"
    assert query("select count(*) from core.sensor_readings") == [(2,)]


def test_columns_of_the_wrong_type_fail_the_batch(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A raw column whose type differs from the contract breaks column_types (error)."""
    with open_warehouse(settings) as con:
        con.execute("alter table raw.machines alter name type bigint")
    add_batch("b1", {"machines": [machine("M1", name=7)]})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert result.status == "failed"
    assert result.failures() == ["machines: column_types"]
    assert query("select count(*) from core.machines") == [(0,)]


def test_volume_check_waits_for_enough_history(settings: Settings, add_batch: AddBatch) -> None:
    """Without volume_min_history earlier batches there is no volume expectation."""
    add_batch("b1", masters())
    result = validate_batch(settings, "b1", as_of=AS_OF)
    rules = {o.rule for s in result.sources for o in s.outcomes}
    assert "expect_table_row_count_to_be_between" not in rules


@pytest.mark.slow
def test_volume_far_above_recent_batches_is_reported(
    settings: Settings, add_batch: AddBatch
) -> None:
    """Three batches of 2 readings set the band [1, 4]; a batch of 6 breaks it (warning)."""
    cfg = _with(settings, volume_min_history=3)
    add_batch("m", masters(), ingested_at=datetime(2026, 3, 2))
    validate_batch(cfg, "m", as_of=AS_OF)
    for i in range(3):
        at = datetime(2026, 3, 2, 1 + i)
        ts = [f"2026-03-01 0{i}:00:0{s}" for s in range(2)]
        add_batch(f"b{i}", {"sensor_readings": [reading("T1", t) for t in ts]}, ingested_at=at)
        validate_batch(cfg, f"b{i}", as_of=AS_OF)
    big = [reading(sid, f"2026-03-01 05:00:0{s}") for s in range(3) for sid in ("T1", "T2")]
    add_batch("big", {"sensor_readings": big}, ingested_at=datetime(2026, 3, 2, 6))
    result = validate_batch(cfg, "big", as_of=AS_OF)
    (volume,) = [
        o for o in result.sources[0].outcomes if o.rule == "expect_table_row_count_to_be_between"
    ]
    expected = "expect_table_row_count_to_be_between(min_value=1, max_value=4)"
    assert (volume.expectation, volume.success, volume.severity) == (expected, False, "warning")
    assert result.status == "passed"


def test_too_few_sensors_reporting_is_a_warning(settings: Settings, add_batch: AddBatch) -> None:
    """One of two known sensors reports: below the 90 % share, reported as a warning."""
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1")]})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert result.sources[-1].warnings == (
        "expect_column_unique_value_count_to_be_between:sensor_id",
    )


def test_sensor_share_threshold_is_configurable(settings: Settings, add_batch: AddBatch) -> None:
    """With sensors_reporting_min_share 0.5 one of two sensors is enough."""
    cfg = _with(settings, sensors_reporting_min_share=0.5)
    add_batch("b1", {**masters(), "sensor_readings": [reading("T1")]})
    result = validate_batch(cfg, "b1", as_of=AS_OF)
    assert result.sources[-1].warnings == ()


def test_freshness_is_judged_from_the_start_of_the_as_of_day_less_freshness_days(
    settings: Settings, add_batch: AddBatch
) -> None:
    """Newest reading at 00:00 two days before as-of passes; one second earlier warns."""
    cfg = _with(settings, freshness_days=2)
    as_of = date(2026, 3, 3)
    edge = datetime.combine(as_of - timedelta(days=2), datetime.min.time())
    add_batch("on", {**masters(), "sensor_readings": [reading("T1", str(edge)), reading("T2")]})
    on_edge = validate_batch(cfg, "on", as_of=as_of)
    late = str(edge - timedelta(seconds=1))
    add_batch(
        "off",
        {"sensor_readings": [reading("T1", late), reading("T2", late)]},
        ingested_at=datetime(2026, 3, 3),
    )
    before_edge = validate_batch(cfg, "off", as_of=as_of)
    assert on_edge.sources[-1].warnings == ()
    assert before_edge.sources[-1].warnings == ("expect_column_max_to_be_between:ts",)
