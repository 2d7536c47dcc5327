"""Ingest of the synthetic plant (twin_core.synth) with its injected dirt: nothing is lost,
every file reconciles, the malformed file is quarantined whole, late corrections win."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from twin_core.ingest import IngestResult, ingest_landing, latest_per_key_sql, reconciliation
from twin_core.settings import Settings
from twin_core.synth import generate
from twin_core.warehouse import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plant(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, IngestResult, dict[str, Any]]:
    """A 5-day demo plant (the shortest with faults and dirt), ingested once."""
    home = tmp_path_factory.mktemp("plant")
    generate(home, days=5, seed=7)
    settings = Settings(home=home)
    result = ingest_landing(settings)
    truth = json.loads((home / "ground_truth.json").read_text())
    return settings, result, truth


def _dirt_rows(truth: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for f in truth["faults"] if f["kind"] == kind for r in f["details"]["rows"]]


def _rel(path_from_home: str) -> str:
    return path_from_home.removeprefix("landing/")


def test_every_file_reconciles_with_the_tables(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """Per file, rows read = loaded + quarantined, and raw and quarantine hold exactly that."""
    settings, result, _ = plant
    assert result.reconciles
    with open_warehouse(settings) as con:
        table = reconciliation(con, result.batch_id)
    assert table.height == len(result.files)
    assert table["holds"].all()


def test_rows_read_match_duckdbs_own_count_of_each_file(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """rows_read of every loaded file is the number of records DuckDB counts in it."""
    settings, result, _ = plant
    readers = {
        "csv": "read_csv(?, all_varchar=true)",
        "parquet": "read_parquet(?)",
        "jsonl": "read_json_objects(?, format='newline_delimited')",
    }
    con = duckdb.connect()
    mismatched = []
    for f in result.files:
        if f.status != "loaded":
            continue
        row = con.execute(
            f"select count(*) from {readers[f.format]}", [str(settings.landing_dir / f.file)]
        ).fetchone()
        if row is None or row[0] != f.rows_read:
            mismatched.append((f.file, f.rows_read, row))
    con.close()
    assert mismatched == []


def test_the_malformed_file_is_quarantined_whole(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """The file cut short and followed by non-UTF-8 bytes loads nothing; one quarantine row."""
    settings, result, truth = plant
    (fault,) = [f for f in truth["faults"] if f["kind"] == "malformed_file"]
    rel = _rel(fault["entities"]["file"])
    expected = [(rel, "quarantined")]
    assert [(f.file, f.status) for f in result.files if f.status != "loaded"] == expected
    with open_warehouse(settings) as con:
        raw = con.execute("select count(*) from raw.defects where _file = ?", [rel]).fetchone()
        q = con.execute('select "row" from quality.quarantine where file = ?', [rel]).fetchall()
    assert raw == (0,)
    assert q == [(None,)]


def test_late_corrections_keep_both_versions_and_the_later_wins(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """Each labelled correction is in raw beside its original; latest-per-key picks it."""
    settings, _, truth = plant
    corrections = _dirt_rows(truth, "late_corrections")
    assert corrections
    with open_warehouse(settings) as con:
        for c in corrections:
            source = c["file"].split("/")[1]
            both = con.execute(
                f"select _file, _row from raw.{source} "
                "where (_file, _row) in ((?, ?), (?, ?)) order by _ingested_at",
                [_rel(c["original_file"]), c["original_row"], _rel(c["file"]), c["row"]],
            ).fetchall()
            assert both == [
                (_rel(c["original_file"]), c["original_row"]),
                (_rel(c["file"]), c["row"]),
            ]
            key = c["key"]
            where = " and ".join(f"{k} = ?" for k in key)
            latest = con.execute(
                f"select _file, _row from ({latest_per_key_sql(source)}) where {where}",
                list(key.values()),
            ).fetchall()
            assert latest == [(_rel(c["file"]), c["row"])]


def test_labelled_dirty_rows_are_all_in_raw_for_validation(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """Duplicates, out-of-order rows and out-of-range values cast fine: ingest loads them at
    their file and row (judging them is validation's job), so none is lost."""
    settings, _, truth = plant
    labelled = [
        r
        for kind in ("duplicate_rows", "out_of_order_rows", "invalid_values")
        for r in _dirt_rows(truth, kind)
    ]
    assert labelled
    missing = []
    with open_warehouse(settings) as con:
        for r in labelled:
            source = r["file"].split("/")[1]
            found = con.execute(
                f"select count(*) from raw.{source} where _file = ? and _row = ?",
                [_rel(r["file"]), r["row"]],
            ).fetchone()
            if found != (1,):
                missing.append((r["file"], r["row"]))
    assert missing == []


def test_a_second_run_on_the_plant_changes_nothing(
    plant: tuple[Settings, IngestResult, dict[str, Any]],
) -> None:
    """Re-ingesting the same landing folder finds nothing new."""
    settings, _, _ = plant
    again = ingest_landing(settings)
    assert again.batch_id is None
    assert {f.status for f in again.files} == {"skipped"}


def test_every_landing_file_was_seen(plant: tuple[Settings, IngestResult, dict[str, Any]]) -> None:
    """The result lists every file the generator wrote to landing/."""
    settings, result, _ = plant
    on_disk = sorted(
        p.relative_to(settings.landing_dir).as_posix()
        for p in Path(settings.landing_dir).rglob("*")
        if p.is_file()
    )
    assert sorted(f.file for f in result.files) == on_disk
