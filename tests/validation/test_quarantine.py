"""Rows failing an error-severity row rule are quarantined with the rule's name; the rest go on."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from tests.validation.conftest import DAY, AddBatch, Query, machine, masters, reading, sensor
from twin_core.settings import Settings, ValidationSettings
from twin_core.validation import validate_batch

AS_OF = date(2026, 3, 2)
GOOD = reading("T1", f"{DAY} 00:00:00")

BAD_READINGS: dict[str, tuple[dict[str, Any], str]] = {
    "null required": (
        reading("T1", f"{DAY} 00:00:01", value=None),
        "expect_column_values_to_not_be_null:value",
    ),
    "out of range": (
        reading("T1", f"{DAY} 00:00:01", value=2e15),
        "expect_column_values_to_be_between:value",
    ),
    "NaN": (
        reading("T1", f"{DAY} 00:00:01", value=float("nan")),
        "expect_column_values_to_be_between:value",
    ),
    "infinite": (
        reading("T1", f"{DAY} 00:00:01", value=float("inf")),
        "expect_column_values_to_be_between:value",
    ),
    "not in allowed set": (
        reading("T1", f"{DAY} 00:00:01", quality="weird"),
        "expect_column_values_to_be_in_set:quality",
    ),
    "unknown reference": (reading("T9", f"{DAY} 00:00:01"), "sensor_id_in_sensors"),
}


@pytest.mark.parametrize("kind", list(BAD_READINGS))
def test_bad_reading_is_quarantined_with_its_rule_and_the_good_one_promoted(
    kind: str, settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Each kind of bad row lands in quality.quarantine under its rule; the good row in core."""
    bad, rule = BAD_READINGS[kind]
    add_batch("b1", {**masters(), "sensor_readings": [GOOD, bad]})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    expected = [("sensor_readings", "sensor_readings/b1.csv", 2, "validation", rule)]
    assert query('select source, file, "row", stage, rule from quality.quarantine') == expected
    assert query("select sensor_id, ts::varchar from core.sensor_readings") == [
        ("T1", f"{DAY} 00:00:00")
    ]
    assert result.status == "passed_with_quarantine"


def test_duplicate_key_in_a_file_keeps_the_last_row_and_quarantines_the_earlier(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A key repeated in one file: the last row is promoted, the earlier under unique_key."""
    add_batch("b1", {**masters(), "sensor_readings": [GOOD, {**GOOD, "value": 99.0}]})
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query('select "row", rule, reason from quality.quarantine') == [
        (
            1,
            "unique_key",
            f"duplicate key (sensor_id=T1, ts={DAY} 00:00:00) in this file; "
            "the later row 2 is kept",
        )
    ]
    assert query("select value, _row from core.sensor_readings") == [(99.0, 2)]


def test_contract_row_rule_breach_is_quarantined_under_the_rule_name(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A machine event ending before it starts breaks end_after_start."""
    event = {
        "machine_id": "M1",
        "start_ts": f"{DAY} 08:00:00",
        "end_ts": f"{DAY} 09:00:00",
        "state": "running",
    }
    backwards = {**event, "start_ts": f"{DAY} 10:00:00", "end_ts": f"{DAY} 09:30:00"}
    add_batch("b1", {**masters(), "machine_events": [event, backwards]})
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query('select "row", rule from quality.quarantine') == [(2, "end_after_start")]
    assert query("select start_ts::varchar from core.machine_events") == [(f"{DAY} 08:00:00",)]


def test_a_zero_length_or_inverted_shift_is_quarantined_naming_its_line_and_start(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """Shifts are full timestamps: 06:00-06:00 plans no time and 14:00 -> 06:00 the same day
    ends before it starts; both break shift_end_after_start, with a reason naming the line,
    the start and the end. The overnight 22:00 -> 06:00 the next day and a day shift go on."""
    nxt = date.fromisoformat(DAY) + timedelta(days=1)

    def shift(line: str, start: str, end: str) -> dict[str, Any]:
        return {"line_id": line, "start_ts": start, "end_ts": end}

    rows = [
        shift("L1", f"{DAY} 06:00:00", f"{DAY} 14:00:00"),
        shift("L2", f"{DAY} 06:00:00", f"{DAY} 06:00:00"),
        shift("L3", f"{DAY} 14:00:00", f"{DAY} 06:00:00"),
        shift("L4", f"{DAY} 22:00:00", f"{nxt} 06:00:00"),
    ]
    add_batch("b1", {"shifts": rows})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    rule = "shift_end_after_start"
    text = (
        f"{rule}: end_ts is strictly after start_ts (a zero-length or inverted shift plans no "
        "time; an overnight shift ends on the next day)"
    )
    assert query('select "row", rule, reason from quality.quarantine order by "row"') == [
        (2, rule, f"line_id=L2, start_ts={DAY} 06:00:00: {text} (end_ts={DAY} 06:00:00)"),
        (3, rule, f"line_id=L3, start_ts={DAY} 14:00:00: {text} (end_ts={DAY} 06:00:00)"),
    ]
    assert query(
        "select line_id, start_ts::varchar, end_ts::varchar from core.shifts order by line_id"
    ) == [
        ("L1", f"{DAY} 06:00:00", f"{DAY} 14:00:00"),
        ("L4", f"{DAY} 22:00:00", f"{nxt} 06:00:00"),
    ]
    assert result.status == "passed_with_quarantine"


def test_out_of_range_master_row_is_quarantined(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A machine with ideal_cycle_time_s 0 breaks its strict lower bound."""
    add_batch("b1", {"machines": [machine("M1"), machine("M2", ideal_cycle_time_s=0.0)]})
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select rule, reason from quality.quarantine") == [
        (
            "expect_column_values_to_be_between:ideal_cycle_time_s",
            "machine_id=M2: ideal_cycle_time_s = 0.0 is outside the allowed range (> 0, finite)",
        )
    ]


def _material(material_id: str, service_level: float | None) -> dict[str, Any]:
    return {
        "material_id": material_id,
        "name": f"material {material_id}",
        "unit": "kg",
        "unit_cost": 1.0,
        "supplier_id": "SUP1",
        "lead_time_days": 5.0,
        "min_order_qty": 0.0,
        "service_level": service_level,
    }


def test_service_levels_of_0_1_and_beyond_are_refused_naming_the_material(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """service_level must lie strictly between 0 and 1: 0 plans no stock, 1 needs infinite
    stock, 1.2 is not a probability. Each is quarantined with a reason naming its material;
    0.5, 0.99999 and an empty level (the default applies) go on to core."""
    levels = {"M0": 0.0, "M1": 1.0, "M12": 1.2, "Mneg": -0.1, "Mhalf": 0.5, "M5n": 0.99999}
    rows = [_material(m, sl) for m, sl in levels.items()] + [_material("Mnone", None)]
    add_batch("b1", {"suppliers": [{"supplier_id": "SUP1", "name": "s"}], "materials": rows})
    validate_batch(settings, "b1", as_of=AS_OF)
    rule = "expect_column_values_to_be_between:service_level"
    allowed = "is outside the allowed range (> 0, < 1, finite)"
    assert sorted(query("select rule, reason from quality.quarantine")) == sorted(
        [
            (rule, f"material_id=M0: service_level = 0.0 {allowed}"),
            (rule, f"material_id=M1: service_level = 1.0 {allowed}"),
            (rule, f"material_id=M12: service_level = 1.2 {allowed}"),
            (rule, f"material_id=Mneg: service_level = -0.1 {allowed}"),
        ]
    )
    assert query("select material_id from core.materials order by material_id") == [
        ("M5n",),
        ("Mhalf",),
        ("Mnone",),
    ]


def test_row_failing_two_rules_is_quarantined_once_under_the_first(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """One quarantine row per raw row; its reason names every rule it breaks."""
    bad = reading("T9", f"{DAY} 00:00:01", quality="weird")
    add_batch("b1", {**masters(), "sensor_readings": [GOOD, bad]})
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select rule, reason from quality.quarantine") == [
        (
            "expect_column_values_to_be_in_set:quality",
            "quality = 'weird' is not one of good, uncertain, bad; "
            "sensor_id = 'T9' is not a known sensors.sensor_id",
        )
    ]


def test_quarantined_raw_values_are_standard_json_with_non_finite_numbers_as_text(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """raw_values parses as JSON; a NaN value is the string "nan"."""
    bad = reading("T1", f"{DAY} 00:00:01", value=float("nan"), _extra='{"plant": "x"}')
    add_batch("b1", {**masters(), "sensor_readings": [bad]})
    validate_batch(settings, "b1", as_of=AS_OF)
    ((raw,),) = query("select raw_values from quality.quarantine")
    expected = {
        "sensor_id": "T1",
        "ts": f"{DAY} 00:00:01",
        "value": "nan",
        "quality": "good",
        "_extra": '{"plant": "x"}',
    }
    assert json.loads(raw, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}")) == (
        expected
    )


def test_readings_of_a_sensor_quarantined_in_the_same_batch_are_quarantined(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """References resolve against valid master rows only: no orphan reaches core."""
    rows = {
        "machines": [machine("M1")],
        "sensors": [sensor("T1"), sensor("T2", machine_id="M9")],
        "sensor_readings": [reading("T1"), reading("T2")],
    }
    add_batch("b1", rows)
    validate_batch(settings, "b1", as_of=AS_OF)
    expected = [("sensor_readings", "sensor_id_in_sensors"), ("sensors", "machine_id_in_machines")]
    assert query("select source, rule from quality.quarantine order by 1") == expected
    assert query("select sensor_id from core.sensor_readings") == [("T1",)]


def test_reference_resolves_against_master_data_promoted_by_an_earlier_batch(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A batch of readings alone is valid when its sensors are already in core."""
    add_batch("m", masters())
    validate_batch(settings, "m", as_of=AS_OF)
    add_batch("r", {"sensor_readings": [reading("T2")]})
    result = validate_batch(settings, "r", as_of=AS_OF)
    assert result.status == "passed"
    assert query("select sensor_id from core.sensor_readings") == [("T2",)]


def test_rows_reconcile_to_quarantined_promoted_and_superseded(
    settings: Settings, add_batch: AddBatch
) -> None:
    """For every source, rows = quarantined + promoted + superseded."""
    readings = [GOOD, {**GOOD, "value": 1.0}, reading("T9"), reading("T2")]
    add_batch("b1", {**masters(), "sensor_readings": readings})
    result = validate_batch(settings, "b1", as_of=AS_OF)
    for counts in result.counts.values():
        assert counts["rows"] == counts["quarantined"] + counts["promoted"] + counts["superseded"]
    assert result.counts["sensor_readings"]["quarantined"] == 2


def test_warning_severity_reports_the_rule_but_quarantines_nothing(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """A row rule set to warning is recorded as failed and the row is promoted anyway."""
    lenient = settings.model_copy(
        update={
            "validation": ValidationSettings(
                severity={"sensor_readings.expect_column_values_to_be_in_set:quality": "warning"}
            )
        }
    )
    rows = [reading("T1", quality="weird"), reading("T2")]
    add_batch("b1", {**masters(), "sensor_readings": rows})
    result = validate_batch(lenient, "b1", as_of=AS_OF)
    assert query("select count(*) from quality.quarantine") == [(0,)]
    assert query("select quality from core.sensor_readings order by 1") == [("good",), ("weird",)]
    assert result.sources[-1].warnings == ("expect_column_values_to_be_in_set:quality",)
    assert result.status == "passed"


def test_duplicate_key_with_unique_key_as_warning_still_promotes_only_the_latest(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """With unique_key a warning the earlier duplicate is superseded, not quarantined."""
    lenient = settings.model_copy(
        update={"validation": ValidationSettings(severity={"unique_key": "warning"})}
    )
    add_batch("b1", {**masters(), "sensor_readings": [GOOD, {**GOOD, "value": 99.0}]})
    result = validate_batch(lenient, "b1", as_of=AS_OF)
    assert query("select value from core.sensor_readings") == [(99.0,)]
    assert result.counts["sensor_readings"] == {
        "rows": 2,
        "quarantined": 0,
        "promoted": 1,
        "superseded": 1,
    }


def test_failed_rules_are_recorded_per_expectation_in_validation_runs(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """quality.validation_runs holds each expectation with its counts."""
    add_batch("b1", {**masters(), "sensor_readings": [GOOD, reading("T9")]})
    validate_batch(settings, "b1", as_of=AS_OF)
    expected = [("sensor_id_in_sensors", "error", "row", False, False, 2, 1, 50.0)]
    assert (
        query(
            "select rule, severity, level, success, raised, element_count, unexpected_count, "
            "unexpected_percent from quality.validation_runs "
            "where source = 'sensor_readings' and not success"
        )
        == expected
    )


def _cloth_batch(add_batch: AddBatch) -> None:
    """Roll R1 inspected over 10.0 units, roll R2 over 9.5 (qcc's dyedcloth roll 5)."""
    product = {"product_id": "P1", "name": "cloth", "revision": "A", "line_id": "L1"}
    lot = {
        "ts": f"{DAY} 08:00:00",
        "product_id": "P1",
        "line_id": "L1",
        "defect_code": "flaw",
        "defect_qty": 3,
    }
    whole = {**lot, "lot_id": "R1", "inspected_qty": 10.0}
    cloth = {**lot, "lot_id": "R2", "inspected_qty": 9.5}
    add_batch("b1", {**masters(), "products": [product], "defects": [whole, cloth]})


def test_fractional_inspected_quantity_is_promoted_exactly_with_a_p_np_warning(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """inspected_qty is DOUBLE: 9.5 units of cloth is a good u-chart size, so the row reaches
    core exactly; inspected_whole_units is a warning (one unexpected row) whose text says the
    p/np charts of the codes leave that lot out and the u chart keeps it."""
    _cloth_batch(add_batch)
    result = validate_batch(settings, "b1", as_of=AS_OF)
    assert result.status != "failed"
    assert query("select count(*) from quality.quarantine where source = 'defects'") == [(0,)]
    assert query("select lot_id, inspected_qty from core.defects order by lot_id") == [
        ("R1", 10.0),
        ("R2", 9.5),
    ]
    [(severity, success, unexpected)] = query(
        "select severity, success, unexpected_count from quality.validation_runs "
        "where source = 'defects' and rule = 'inspected_whole_units'"
    )
    assert (severity, success, unexpected) == ("warning", False, 1)
    from twin_core.contracts import get_source

    [rule] = [r for r in get_source("defects").rules if r.name == "inspected_whole_units"]
    assert "p or np chart" in rule.description and "u chart" in rule.description


def test_fractional_inspected_quantity_is_quarantined_when_the_rule_is_an_error(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    """[validation.severity] inspected_whole_units = "error" (sizes are always counts here):
    a fractional size is quarantined under inspected_whole_units with a reason saying so; a
    whole one (10.0) is promoted exactly."""
    strict = settings.model_copy(
        update={"validation": ValidationSettings(severity={"inspected_whole_units": "error"})}
    )
    _cloth_batch(add_batch)
    validate_batch(strict, "b1", as_of=AS_OF)
    rows = query("select \"row\", rule, reason from quality.quarantine where source = 'defects'")
    assert [(r[0], r[1]) for r in rows] == [(2, "inspected_whole_units")]
    assert "p or np chart" in rows[0][2] and "u chart" in rows[0][2]
    assert query("select lot_id, inspected_qty from core.defects") == [("R1", 10.0)]
