"""The quality report fits: holds grouped, only failing expectations, violations by series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tests.report.conftest import LOTS_TO_HOLD_DDL, Insert
from twin_core.report import ReportData, compute_instructions
from twin_core.report.pages import hold_groups, quality_html, readable_expectation

BIG = "1.7976931348623157e+308"


def test_open_bounds_read_none_and_real_bounds_stay() -> None:
    """GX writes an open bound as the largest double or None; the page shows 'none'."""
    assert (
        readable_expectation(
            f"expect_column_values_to_be_between(column=qty, min_value=-{BIG}, max_value={BIG})"
        )
        == "expect_column_values_to_be_between(column=qty, min_value=none, max_value=none)"
    )
    assert (
        readable_expectation(
            "expect_column_values_to_be_between(column=good_qty, min_value=0.0, max_value=None)"
        )
        == "expect_column_values_to_be_between(column=good_qty, min_value=0.0, max_value=none)"
    )
    real = "expect_column_values_to_be_between(column=severity, min_value=1.0, max_value=5.0)"
    assert readable_expectation(real) == real


def _hold(lot: str, hour: int, reason: str = "sensor_drift", machine: str = "M1") -> dict[str, Any]:
    return {
        "lot_id": lot,
        "product_id": "P1",
        "machine_id": machine,
        "reason": reason,
        "evidence": f"drift while making {lot}",
        "flagged_at": datetime(2026, 3, 10, hour),
        "characteristics": '["diameter"]' if lot != "LOT3" else '["diameter", "length"]',
    }


HOLDS = [
    _hold("LOT2", 5),
    _hold("LOT1", 3),
    _hold("LOT3", 9),
    _hold("LOT9", 4, reason="spc_violation"),
]


def test_holds_group_by_product_machine_and_reason_with_first_last_and_latest_evidence() -> None:
    groups = hold_groups(pl.DataFrame(HOLDS))
    assert groups.select(
        "reason", "lots", "first_lot", "last_lot", "characteristics", "latest_evidence"
    ).rows() == [
        ("sensor_drift", 3, "LOT1", "LOT3", "diameter, length", "drift while making LOT3"),
        ("spc_violation", 1, "LOT9", "LOT9", "diameter", "drift while making LOT9"),
    ]


def _validation(expectation: str, success: bool, severity: str = "error") -> dict[str, Any]:
    return {
        "run_id": "r1",
        "batch_id": "b1",
        "source": "demand",
        "expectation": expectation,
        "rule": "r",
        "severity": severity,
        "level": "row",
        "success": success,
        "raised": False,
        "element_count": 10,
        "unexpected_count": 0 if success else 2,
        "unexpected_percent": 0.0 if success else 20.0,
        "validated_at": datetime(2026, 3, 10, 2),
    }


def test_the_quality_page_lists_failed_expectations_and_grouped_holds_only(
    warehouse: duckdb.DuckDBPyConnection,
    insert: Insert,
    load: Callable[[], ReportData],
    tmp_path: Path,
) -> None:
    """One failing and two passing expectations: the failing one is a row, the passing ones a
    count and a folded list; no largest-double bound; the four holds are two group rows, no JSON list."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    insert("history.lots_to_hold", HOLDS)
    insert(
        "quality.validation_runs",
        [
            _validation(f"expect_column_values_to_be_between(column=qty, max_value={BIG})", True),
            _validation("expect_column_values_to_not_be_null(column=day)", True),
            _validation("expect_column_values_to_be_between(column=x, max_value=None)", False),
        ],
    )
    data = load()
    page = quality_html(data, compute_instructions(data), tmp_path, tmp_path)
    assert BIG not in page and "e+308" not in page
    assert "expect_column_values_to_be_between(column=x, max_value=none)" in page
    failed = page.split('id="validation"', 1)[1].split("<details", 1)[0]
    assert "expect_column_values_to_not_be_null(column=day)" not in failed
    assert "The 2 expectations that passed" in page
    assert "expect_column_values_to_be_between(column=qty, max_value=none)" in page
    assert "2 of 3 expectations over 1 source(s) passed" in page
    holds = page.split("<h2>Lots on hold</h2>", 1)[1].split("<h2>", 1)[0]
    assert "[&quot;diameter&quot;]" not in holds and '["diameter"]' not in holds
    assert holds.count("<tr>") == 3  # the header and two groups
    assert holds.count("drift while making LOT3") == 1
    assert "drift while making LOT2" not in holds  # one evidence per group: the latest lot's
    assert "4 rows (one per lot and reason) in 2 groups" in holds
