"""build_reports end to end on a file warehouse: files, history.instructions, escaping,
idempotence and determinism."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.report.conftest import insert_rows
from tests.report.sample_plant import FORMULA_ID, HOSTILE_CODE, HOSTILE_TEXT, populate
from twin_core.report import (
    ReportError,
    build_reports,
    compute_instructions,
    load_report_data,
    resolve_snapshot,
)
from twin_core.report.pages import quality_html
from twin_core.settings import Settings


@pytest.fixture
def plant(settings: Settings, file_warehouse: duckdb.DuckDBPyConnection) -> Settings:
    """A file warehouse holding the sample plant as snapshot 1 (connection closed)."""

    def insert(table: str, rows: list[dict[str, Any]]) -> None:
        insert_rows(file_warehouse, table, rows)

    populate(insert)
    file_warehouse.close()
    return settings


def _instructions(settings: Settings) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select snapshot_id, rank, department, action from history.instructions order by rank"
        ).fetchall()
    finally:
        con.close()


def test_build_reports_writes_the_four_files_under_the_as_of_folder(plant: Settings) -> None:
    """index.html, quality.html, instructions.md and instructions.csv land in reports/<as_of>/."""
    result = build_reports(plant)
    folder = plant.reports_dir / "2026-03-10"
    expected = {"index.html", "quality.html", "instructions.md", "instructions.csv"}
    assert {p.name for p in folder.iterdir()} == expected
    assert set(result.paths.values()) == {folder / name for name in expected}


def test_build_reports_stores_one_row_per_instruction_for_the_snapshot(plant: Settings) -> None:
    """history.instructions holds exactly the instructions the result counts."""
    result = build_reports(plant)
    rows = _instructions(plant)
    assert len(rows) == result.total > 0
    assert {r[0] for r in rows} == {1}


def test_build_reports_twice_replaces_the_snapshot_rows(plant: Settings) -> None:
    """Reporting a snapshot again leaves one set of instructions, not two."""
    build_reports(plant)
    first = _instructions(plant)
    build_reports(plant)
    assert _instructions(plant) == first


def test_reports_are_byte_identical_for_the_same_snapshot(plant: Settings) -> None:
    """The same snapshot gives the same bytes in every file."""
    first = {k: p.read_bytes() for k, p in build_reports(plant).paths.items()}
    second = {k: p.read_bytes() for k, p in build_reports(plant).paths.items()}
    assert first == second


def test_hostile_text_shows_as_text_in_both_html_reports(plant: Settings) -> None:
    """A script in a complaint and markup in a defect code are escaped, never markup."""
    result = build_reports(plant)
    quality = result.paths["quality"].read_text(encoding="utf-8")
    index = result.paths["index"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in quality
    assert HOSTILE_TEXT not in quality
    assert HOSTILE_CODE not in quality + index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index


def test_only_the_report_own_script_is_in_the_html(plant: Settings) -> None:
    """Each page has exactly one script element: the chart check the CSP hash allows."""
    result = build_reports(plant)
    for key in ("index", "quality"):
        assert result.paths[key].read_text(encoding="utf-8").count("<script") == 1


def test_formula_in_an_id_is_defused_in_the_csv(plant: Settings) -> None:
    """An entity id starting with = is written with a leading quote."""
    result = build_reports(plant)
    rows = list(csv.DictReader(io.StringIO(result.paths["instructions_csv"].read_text())))
    ids = {r["entity_id"] for r in rows}
    assert "'" + FORMULA_ID in ids
    assert FORMULA_ID not in ids


def test_markdown_has_a_section_per_department(plant: Settings) -> None:
    """instructions.md lists all five departments with their counts."""
    result = build_reports(plant)
    md = result.paths["instructions_md"].read_text(encoding="utf-8")
    expected = [f"## {d.capitalize()} ({n})" for d, n in result.counts.items()]
    assert [line for line in md.splitlines() if line.startswith("## ")] == expected


def test_summary_names_each_short_line_with_each_department_count(plant: Settings) -> None:
    """The summary row of the short line counts production, maintenance and procurement items."""
    result = build_reports(plant)
    row = next(r for r in result.summary_markdown.splitlines() if r.startswith("| L1 |"))
    counts = [int(c) for c in row.strip("|").split("|")[-3:]]
    assert all(n >= 1 for n in counts)


def test_as_of_without_a_snapshot_is_a_clear_error(plant: Settings) -> None:
    """Asking for a day with no complete snapshot says which days exist and what to run."""
    with pytest.raises(
        ReportError, match=r"no complete snapshot for as-of 2026-01-01 \(latest: 2026-03-10\)"
    ):
        build_reports(plant, as_of=date(2026, 1, 1))


def test_missing_optional_table_says_not_available(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """A history table that does not exist gives a 'not available' section, not a crash."""
    warehouse.execute("drop view twin.capability")
    warehouse.execute("drop table history.capability")
    data = load_report_data(warehouse, resolve_snapshot(warehouse))
    page = quality_html(data, compute_instructions(data), tmp_path, tmp_path)
    expected = "Capability: not available (history.capability does not exist in this warehouse)."
    assert expected in page


def test_markdown_cells_cannot_break_the_table_or_carry_markup() -> None:
    """A pipe, a line break or angle brackets in free text stay inside one escaped cell."""
    from twin_core.report.instructions import md_cell

    assert md_cell("a|<script>\nb") == "a\\|&lt;script&gt; b"
