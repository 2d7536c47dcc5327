"""Spreadsheet-safe CSV cells and JSON-ready values (twin_core.export)."""

from __future__ import annotations

import math
from datetime import date

from twin_core.export import csv_cell, csv_text, jsonable


def test_csv_cell_prefixes_text_that_a_spreadsheet_would_run() -> None:
    """Text starting with = + - @ gets a leading quote so it shows instead of running."""
    cells = [csv_cell(v) for v in ("=HYPERLINK(1)", "+1", "-x", "@SUM(A1)", "plain")]
    expected = ["'=HYPERLINK(1)", "'+1", "'-x", "'@SUM(A1)", "plain"]
    assert cells == expected


def test_csv_cell_keeps_negative_numbers_numeric() -> None:
    """A negative number is a number, not a formula: it is written as is."""
    assert csv_cell(-3.5) == "-3.5"


def test_csv_text_escapes_header_and_cells() -> None:
    """Every cell of a CSV document, header included, goes through csv_cell."""
    text = csv_text(["a", "=b"], [["=1+1", None]])
    expected = "a,'=b\n'=1+1,\n"
    assert text == expected


def test_jsonable_turns_dates_and_nan_into_json_values() -> None:
    """Dates become ISO text and NaN becomes null."""
    assert (jsonable(date(2026, 3, 1)), jsonable(math.nan)) == ("2026-03-01", None)
