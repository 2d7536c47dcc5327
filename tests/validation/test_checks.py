"""Checks are built from the contracts; severities resolve from the most specific override."""

from __future__ import annotations

from collections import Counter

import pytest

from twin_core.contracts import SOURCES, get_source
from twin_core.settings import ValidationSettings
from twin_core.validation.checks import (
    BatchFacts,
    Setting,
    catalog,
    check_severity_keys,
    checks_for,
    resolve,
    row_checks,
)

FACTS = BatchFacts(rows=10)


def test_every_required_column_and_only_those_get_a_not_null_check() -> None:
    """sensor_readings: sensor_id, ts and value are required, quality is optional."""
    rules = [c.rule for c in row_checks(get_source("sensor_readings"), "r1")]
    expected = [f"expect_column_values_to_not_be_null:{c}" for c in ("sensor_id", "ts", "value")]
    assert [r for r in rules if r.startswith("expect_column_values_to_not_be_null")] == expected


def test_contract_rules_ranges_sets_references_and_key_all_become_checks() -> None:
    """purchase_orders: its two RowRules, ranges, references and the key uniqueness."""
    rules = {c.rule for c in row_checks(get_source("purchase_orders"), "r1")}
    expected = {
        "promised_after_order",
        "received_after_order",
        "material_id_in_materials",
        "supplier_id_in_suppliers",
        "expect_column_values_to_be_between:qty",
        "expect_column_values_to_be_between:received_qty",
        "unique_key",
    }
    assert expected <= rules


def test_rule_names_are_unique_within_each_source() -> None:
    """A rule name identifies one check of a source (quarantine and runs use it as the key)."""
    per_source = Counter((c.source, c.rule) for c in catalog())
    assert [k for k, n in per_source.items() if n > 1] == []


def test_every_source_has_checks() -> None:
    """The catalog covers every contract source."""
    assert {c.source for c in catalog()} == set(SOURCES)


def test_most_specific_severity_key_wins() -> None:
    """source.rule beats rule beats source.type beats type beats the default."""
    overrides: dict[str, Setting] = {
        "expect_column_values_to_be_between": "off",
        "sensor_readings.expect_column_values_to_be_between": "warning",
        "expect_column_values_to_be_between:value": "error",
    }
    rule, kind = "expect_column_values_to_be_between:value", "expect_column_values_to_be_between"
    assert resolve("sensor_readings", rule, kind, "error", overrides) == "error"
    assert resolve("sensor_readings", "x:y", kind, "error", overrides) == "warning"
    assert resolve("machines", "x:y", kind, "error", overrides) == "off"
    assert resolve("machines", "x:y", "other", "warning", overrides) == "warning"


def test_off_drops_the_check() -> None:
    """A check configured off is not run at all."""
    config = ValidationSettings(severity={"sensor_readings.unique_key": "off"})
    rules = {c.rule for c in checks_for(get_source("sensor_readings"), FACTS, "r1", config)}
    assert "unique_key" not in rules


def test_severity_override_changes_the_check() -> None:
    """A warning override turns an error check into a warning one."""
    config = ValidationSettings(severity={"end_after_start": "warning"})
    (check,) = [
        c
        for c in checks_for(get_source("machine_events"), FACTS, "r1", config)
        if c.rule == "end_after_start"
    ]
    assert check.severity == "warning"


def test_unknown_severity_key_is_a_clear_error_with_a_suggestion() -> None:
    """A typo in a severity key is refused, naming the close match."""
    config = ValidationSettings(severity={"sensor_readings.unique_keys": "warning"})
    with pytest.raises(ValueError, match=r"did you mean sensor_readings\.unique_key"):
        check_severity_keys(config)


def test_batch_level_checks_default_to_warning_except_schema() -> None:
    """Volume, freshness and sensor share warn; columns and types fail the batch."""
    facts = BatchFacts(rows=5, volume_band=(1, 9), fresh_after=None, min_sensors=3)
    checks = checks_for(get_source("sensor_readings"), facts, "r1", ValidationSettings())
    expected = {
        "expect_table_columns_to_match_ordered_list": "error",
        "column_types": "error",
        "expect_table_row_count_to_be_between": "warning",
        "expect_column_unique_value_count_to_be_between:sensor_id": "warning",
    }
    assert {c.rule: c.severity for c in checks if c.level == "batch"} == expected
