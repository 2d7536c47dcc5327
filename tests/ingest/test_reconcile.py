"""Reconciliation: per file, rows read = loaded + quarantined, and the tables agree."""

from __future__ import annotations

from tests.ingest.conftest import drop, machines_csv
from twin_core.ingest import ingest_landing, reconciliation
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse


def _landing_with_dirt(settings: Settings) -> None:
    drop(
        settings,
        "machines",
        "m.csv",
        machines_csv("M1,L1,S1,P,press,1,2.5", "M2,L1,S1,P,press,one,2.5"),
    )
    drop(settings, "machines", "empty.csv", b"")
    drop(
        settings,
        "sensor_readings",
        "r.csv",
        "sensor_id,ts,value\nS1,2026-01-01T00:00:00,1\nS1,later,2\nS1,2026-01-01T00:00:02,x\n",
    )
    drop(settings, "suppliers", "s.jsonl", '{"supplier_id": "A", "name": "Acme", "tier": 1}\n')


def test_totals_reconcile_per_file_and_overall(home: Settings) -> None:
    """Every file's rows_read equals loaded + quarantined; the totals add up the files."""
    _landing_with_dirt(home)
    result = ingest_landing(home)
    t = result.totals
    assert result.reconciles
    expected = (4, 3, 0, 1, 6, 3, 3)
    got = (
        t.files_seen,
        t.files_loaded,
        t.files_skipped,
        t.files_quarantined,
        t.rows_read,
        t.rows_loaded,
        t.rows_quarantined,
    )
    assert got == expected


def test_manifest_counts_match_raw_and_quarantine_tables(home: Settings) -> None:
    """reconciliation() recounts raw and quarantine rows per file: they match the manifest."""
    _landing_with_dirt(home)
    result = ingest_landing(home)
    with open_warehouse(home) as con:
        table = reconciliation(con, result.batch_id)
    assert table.height == 4
    assert table["holds"].all()


def test_markdown_table_lists_each_file_and_the_totals(home: Settings) -> None:
    """The markdown has one row per file read in the run, its reason, and a totals row."""
    _landing_with_dirt(home)
    md = ingest_landing(home).to_markdown()
    assert "| machines | machines/m.csv | loaded | 2 | 1 | 1 | yes |" in md
    assert (
        "| machines | machines/empty.csv | quarantined | 0 | 0 | 0 | yes |  | the file is empty (0 bytes) |"
        in md
    )
    assert "| **total** | 4 files (0 unchanged) | | 6 | 3 | 3 | yes | | |" in md


def test_markdown_counts_unchanged_files_without_listing_them(home: Settings) -> None:
    """On a re-run, unchanged files are counted in the totals row; only the one still
    quarantined is listed again."""
    _landing_with_dirt(home)
    ingest_landing(home)
    md = ingest_landing(home).to_markdown()
    assert "machines/m.csv" not in md
    assert "| machines | machines/empty.csv | skipped |" in md
    assert "| **total** | 4 files (4 unchanged) |" in md
