"""An expectation that cannot run fails loudly and moves nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.validation.conftest import AddBatch, Query, masters, reading
from twin_core.contracts import get_source
from twin_core.settings import Settings
from twin_core.validation import ValidationError, validate_batch
from twin_core.validation.checks import Check
from twin_core.validation.gx_context import gx_session
from twin_core.validation.quarantine import quarantine_failing
from twin_core.validation.runner import run_source
from twin_core.warehouse import open_warehouse

AS_OF = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 6, 0)


EVENTS = [{"machine_id": "M1", "start_ts": "2026-03-01 08:00:00", "end_ts": "2026-03-01 09:00:00"}]


def _state_as_number(settings: Settings) -> None:
    """Schema drift GX trips over: machine_events.state becomes a number, so comparing it
    with the allowed state names cannot run."""
    with open_warehouse(settings) as con:
        con.execute("alter table raw.machine_events alter state type bigint")


def test_expectation_that_raises_fails_loudly_and_leaves_the_batch_pending(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """An expectation GX cannot run: ValidationError, nothing promoted, batch still pending."""
    _state_as_number(settings)
    add_batch("b1", {**masters(), "machine_events": [{**EVENTS[0], "state": 1}]})
    with pytest.raises(ValidationError, match="raised instead of deciding") as caught:
        validate_batch(settings, "b1", as_of=AS_OF)
    assert "machine_events.expect_column_values_to_be_in_set:state" in str(caught.value)
    assert query("select validation_status, validated_at from ingest.batches") == [(None, None)]
    assert query("select count(*) from core.machines") == [(0,)]
    assert query("select count(*) from quality.quarantine") == [(0,)]


def test_raised_expectation_is_recorded_as_raised_not_as_bad_data(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """validation_runs marks the expectation raised, with no unexpected count."""
    _state_as_number(settings)
    add_batch("b1", {**masters(), "machine_events": [{**EVENTS[0], "state": 1}]})
    with pytest.raises(ValidationError):
        validate_batch(settings, "b1", as_of=AS_OF)
    rows = query(
        "select raised, success, unexpected_count from quality.validation_runs "
        "where rule = 'expect_column_values_to_be_in_set:state'"
    )
    assert rows == [(True, False, None)]


def test_raw_table_missing_a_contract_column_is_refused_with_the_reason(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A raw table that lost a column: a clear error before GX runs, nothing moved."""
    add_batch("b1", masters())
    with open_warehouse(settings) as con:
        con.execute("alter table raw.machines drop column machine_type")
    with pytest.raises(ValidationError, match=r"raw\.machines lacks machine_type"):
        validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select validation_status from ingest.batches") == [(None,)]


def test_broken_expectation_outcome_is_raised_with_the_gx_message(
    settings: Settings, add_batch: AddBatch
) -> None:
    """A check on a column that does not exist comes back raised, carrying GX's error."""
    add_batch("b1", masters())
    broken = Check(
        source="machines",
        rule="expect_column_values_to_not_be_null:no_such_column",
        kind="expect_column_values_to_not_be_null",
        level="row",
        severity="error",
        description="deliberately broken",
        gx_kwargs={"column": "no_such_column"},
    )
    with open_warehouse(settings) as con, gx_session(settings, con, run_name="broken") as gx:
        (outcome,) = run_source(gx, "machines", "b1", [broken], rows=1)
    assert (outcome.raised, outcome.success, outcome.unexpected_count) == (True, False, None)
    assert 'column "no_such_column"' in outcome.details


def test_quarantine_files_the_rows_the_gx_query_of_the_same_predicate_counted(
    settings: Settings, add_batch: AddBatch
) -> None:
    """One declaration: GX runs the check's predicate as its query and the quarantine files
    the rows that predicate selects, so GX's count and the rows quarantined are the same."""
    add_batch(
        "b1",
        {
            **masters(),
            "sensor_readings": [reading("T1", value=None), reading("T2", value=5.0)],
        },
    )
    check = Check(
        source="sensor_readings",
        rule="value_is_missing",
        kind="expect_no_unexpected_rows",
        level="row",
        severity="error",
        description="value is required",
        gx_kwargs={"description": "value is required"},
        bad_row='"value" is null',
        reason="'value is null'",
    )
    query = check.expectation().unexpected_rows_query
    assert query == 'select * from {batch} where "value" is null'
    source = get_source("sensor_readings")
    with open_warehouse(settings) as con:
        with gx_session(settings, con, run_name="one-declaration") as gx:
            (outcome,) = run_source(gx, "sensor_readings", "b1", [check], rows=2)
        assert (outcome.success, outcome.unexpected_count) == (False, 1)
        assert quarantine_failing(con, source, "b1", [check], AT) == 1
        assert con.execute("select rule from quality.quarantine").fetchall() == [(check.rule,)]
