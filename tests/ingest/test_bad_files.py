"""Whole files that cannot be read as the contract go to quarantine with a reason; the
other files go on."""

from __future__ import annotations

import gzip

import pytest

from tests.ingest.conftest import MACHINES_HEADER, drop, machines_csv, rows
from twin_core.ingest import ingest_landing
from twin_core.settings import Settings

GOOD = machines_csv("M1,L1,S1,Press,press,1,2.5")


def _quarantine(settings: Settings) -> list[tuple[object, ...]]:
    return rows(
        settings,
        'select file, "row", stage, rule from quality.quarantine order by file',
    )


@pytest.mark.parametrize(
    ("name", "content", "rule", "says"),
    [
        ("empty.csv", b"", "empty_file", "empty"),
        ("blank.csv", b"\n\n  \n", "empty_file", "blank"),
        (
            "ragged.csv",
            machines_csv("M1,L1,S1,Press,press,1,2.5", "M2,L1"),
            "unparseable_file",
            "line",
        ),
        ("quote.csv", machines_csv('M1,L1,S1,"Press,press,1,2.5'), "unparseable_file", "quote"),
        (
            "latin1.csv",
            machines_csv("M1,L1,S1,Presse für Blech,press,1,2.5").encode("latin-1"),
            "wrong_encoding",
            "UTF-8",
        ),
        ("utf16.csv", GOOD.encode("utf-16"), "wrong_encoding", "UTF-16"),
        ("short.csv", "machine_id,line_id\nM1,L1\n", "missing_column", "site_id"),
        ("broken.jsonl", b'{"machine_id": "M1"}\n{"machine_id": \n', "unparseable_file", "JSON"),
        ("broken.parquet", b"PAR1 not really parquet", "unparseable_file", "Parquet"),
        ("broken.csv.gz", b"not gzip at all", "unparseable_file", "gzip"),
        ("machines.xlsx", b"PK\x03\x04", "unsupported_format", "extension"),
    ],
)
def test_bad_file_is_quarantined_whole_with_its_reason(
    home: Settings, name: str, content: bytes | str, rule: str, says: str
) -> None:
    """A file that is empty, unparseable, not UTF-8, lacks a required column or has an
    unknown format loads no row and leaves one quarantine row (row null) naming why."""
    drop(home, "machines", name, content)
    result = ingest_landing(home)
    (f,) = result.files
    assert (f.status, f.rule, f.rows_read, f.rows_loaded) == ("quarantined", rule, 0, 0)
    assert f.reason is not None and says.lower() in f.reason.lower()
    assert rows(home, "select count(*) from raw.machines") == [(0,)]
    expected = [(f"machines/{name}", None, "ingest", rule)]
    assert _quarantine(home) == expected


def test_other_files_go_on_after_a_bad_file(home: Settings) -> None:
    """A quarantined file does not stop the good files of the same or other sources."""
    drop(home, "machines", "a_bad.csv", b"")
    drop(home, "machines", "b_good.csv", GOOD)
    drop(home, "suppliers", "s.csv", "supplier_id,name\nSUP1,Acme\n")
    result = ingest_landing(home)
    expected = {
        "machines/a_bad.csv": "quarantined",
        "machines/b_good.csv": "loaded",
        "suppliers/s.csv": "loaded",
    }
    assert {f.file: f.status for f in result.files} == expected
    assert rows(home, "select machine_id from raw.machines") == [("M1",)]


def test_header_only_file_is_loaded_with_zero_rows(home: Settings) -> None:
    """A header without rows is a valid extract saying "nothing today": loaded, 0 rows."""
    drop(home, "machines", "none_today.csv", machines_csv())
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 0, 0, 0)
    assert _quarantine(home) == []


def test_invalid_utf8_late_in_a_large_file_quarantines_it_whole(home: Settings) -> None:
    """A non-UTF-8 byte after DuckDB's first buffers still rejects the whole file, and none of
    its earlier rows stay in raw."""
    good_rows = [f"M{i},L1,S1,Press,press,1,2.5" for i in range(60_000)]
    content = machines_csv(*good_rows).encode() + "M9,L1,S1,Säge,saw,2,1\n".encode("latin-1")
    drop(home, "machines", "late.csv", content)
    (f,) = ingest_landing(home).files
    assert (f.status, f.rule) == ("quarantined", "wrong_encoding")
    assert rows(home, "select count(*) from raw.machines") == [(0,)]


def test_semicolon_separated_file_says_extracts_are_comma_separated(home: Settings) -> None:
    """A European-Excel export (';') is quarantined with a hint about the separator."""
    drop(home, "machines", "excel.csv", machines_csv("M1;L1;S1;P;press;1;2.5").replace(",", ";"))
    (f,) = ingest_landing(home).files
    assert f.rule == "missing_column"
    assert f.reason is not None and "comma-separated" in f.reason


def test_ambiguous_columns_quarantine_the_file(home: Settings) -> None:
    """Two file columns that both match one contract column (by name, ignoring case) make
    the file ambiguous: quarantined rather than guessing."""
    header = MACHINES_HEADER + ",MACHINE_ID"
    drop(home, "machines", "twice.csv", machines_csv("M1,L1,S1,P,press,1,2.5,M2", header=header))
    (f,) = ingest_landing(home).files
    assert (f.status, f.rule) == ("quarantined", "ambiguous_column")


def test_gzipped_csv_is_read(home: Settings) -> None:
    """A .csv.gz extract is decompressed by DuckDB and loaded like a CSV."""
    drop(home, "machines", "m.csv.gz", gzip.compress(GOOD.encode()))
    (f,) = ingest_landing(home).files
    assert (f.status, f.rows_loaded) == ("loaded", 1)


def test_hidden_and_in_progress_files_are_not_read(home: Settings) -> None:
    """Dotfiles, _SUCCESS markers and files still being written (.part, .tmp) are ignored."""
    for name in (".DS_Store", "_SUCCESS", "m.csv.part", "m.csv.tmp"):
        drop(home, "machines", name, GOOD)
    assert ingest_landing(home).files == []
