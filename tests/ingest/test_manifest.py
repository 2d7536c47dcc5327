"""The manifest: unchanged files are skipped, changed files come in as new versions, raw rows
carry their provenance, and a re-run on the same landing folder changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.ingest.conftest import drop, machines_csv, rows
from twin_core.ingest import ingest_landing, ingest_source, reconciliation, start_ingest
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

M1 = "M1,L1,S1,Press,press,1,2.5"
M2 = "M2,L1,S1,Oven,oven,2,3.0"

TABLES = (
    "raw.machines",
    "ingest.files",
    "ingest.batches",
    "quality.quarantine",
)


def _counts(settings: Settings) -> dict[str, int]:
    return {t: rows(settings, f"select count(*) from {t}")[0][0] for t in TABLES}


def test_rerun_on_unchanged_landing_changes_nothing(home: Settings) -> None:
    """The second run skips every file, writes no row anywhere and creates no batch."""
    drop(home, "machines", "m.csv", machines_csv(M1, "M3,L1,S1,x,y,bad,1"))
    first = ingest_landing(home)
    before = _counts(home)
    second = ingest_landing(home)
    assert first.batch_id is not None and second.batch_id is None
    assert [f.status for f in second.files] == ["skipped"]
    assert _counts(home) == before


def test_changed_file_is_ingested_again_as_a_new_version(home: Settings) -> None:
    """Same name, new content: a second manifest row and the new rows in a new batch; the
    first version's rows stay (raw is append-only)."""
    path = drop(home, "machines", "m.csv", machines_csv(M1))
    first = ingest_landing(home)
    path.write_text(machines_csv(M1, M2), encoding="utf-8")
    second = ingest_landing(home)
    assert first.batch_id != second.batch_id
    expected = [(first.batch_id, 1), (second.batch_id, 2)]
    got = rows(
        home,
        "select batch_id, rows_loaded from ingest.files where file = 'machines/m.csv' order by ingested_at",
    )
    assert got == expected
    assert rows(home, "select count(*) from raw.machines") == [(3,)]


def test_same_content_under_another_name_is_recorded_not_loaded(home: Settings) -> None:
    """An extract sent again under a new name is not loaded twice: the manifest records it as
    skipped, naming the file that brought the content, and later runs pass it quietly."""
    drop(home, "machines", "a.csv", machines_csv(M1))
    ingest_landing(home)
    drop(home, "machines", "b.csv", machines_csv(M1))
    copy = {f.file: f for f in ingest_landing(home).files}["machines/b.csv"]
    assert copy.status == "skipped"
    assert copy.reason is not None and "machines/a.csv" in copy.reason
    assert rows(home, "select count(*) from raw.machines") == [(1,)]
    expected = [("machines/a.csv", "loaded"), ("machines/b.csv", "skipped")]
    assert rows(home, "select file, status from ingest.files order by file") == expected
    third = ingest_landing(home)
    assert third.batch_id is None
    assert not any(f.noteworthy for f in third.files)


def test_file_going_back_to_earlier_content_is_named_not_loaded(home: Settings) -> None:
    """A file changed A -> B -> A: the return to A is reported (its rows came with the first
    version already), not loaded a second time."""
    path = drop(home, "machines", "m.csv", machines_csv(M1))
    ingest_landing(home)
    path.write_text(machines_csv(M2), encoding="utf-8")
    ingest_landing(home)
    path.write_text(machines_csv(M1), encoding="utf-8")
    (f,) = ingest_landing(home).files
    assert f.status == "skipped" and f.noteworthy
    assert f.reason is not None and "went back" in f.reason
    assert rows(home, "select count(*) from raw.machines") == [(2,)]


def test_raw_rows_carry_batch_file_row_and_ingested_at(home: Settings) -> None:
    """Provenance: the batch id, the path relative to landing/, the 1-based data row, and the
    load time of the file (also in the manifest)."""
    drop(home, "machines", "2026/01/m.csv", machines_csv(M1, M2))
    result = ingest_landing(home)
    got = rows(home, "select _batch_id, _file, _row from raw.machines order by _row")
    expected = [
        (result.batch_id, "machines/2026/01/m.csv", 1),
        (result.batch_id, "machines/2026/01/m.csv", 2),
    ]
    assert got == expected
    (raw_at, file_at) = rows(
        home, "select min(r._ingested_at), min(f.ingested_at) from raw.machines r, ingest.files f"
    )[0]
    assert isinstance(raw_at, datetime) and raw_at == file_at


def test_row_numbers_follow_file_order_in_a_large_file(home: Settings) -> None:
    """_row is the data row's position even when DuckDB reads the file in parallel chunks."""
    n = 300_000
    body = "".join(f"S1,2026-01-01T00:00:00,{i},good\n" for i in range(1, n + 1))
    drop(home, "sensor_readings", "big.csv", "sensor_id,ts,value,quality\n" + body)
    ingest_landing(home)
    expected = [(n, 0)]
    assert (
        rows(
            home, "select count(*), count(*) filter (where _row <> value) from raw.sensor_readings"
        )
        == expected
    )


def test_each_file_gets_a_strictly_later_ingested_at(home: Settings) -> None:
    """Files load in path order, each with a later _ingested_at than the one before."""
    for i, day in enumerate(("03", "01", "02")):
        drop(home, "machines", f"2026-01-{day}.csv", machines_csv(M1.replace("2.5", str(i + 1))))
    ingest_landing(home)
    got = rows(home, "select _file from raw.machines order by _ingested_at")
    expected = [
        ("machines/2026-01-01.csv",),
        ("machines/2026-01-02.csv",),
        ("machines/2026-01-03.csv",),
    ]
    assert got == expected


def test_retry_quarantined_reads_an_unchanged_rejected_file_again(home: Settings) -> None:
    """A file quarantined for a missing column loads once a mapping names the column, when
    asked to retry; its old quarantine row stays as history."""
    drop(home, "suppliers", "s.csv", "Lieferant,name\nSUP1,Acme\n")
    first = ingest_landing(home)
    assert first.files[0].status == "quarantined"
    (home.home / "mappings").mkdir()
    (home.home / "mappings" / "suppliers.toml").write_text('[columns]\nLieferant = "supplier_id"\n')
    assert ingest_landing(home).files[0].status == "skipped"
    third = ingest_landing(home, retry_quarantined=True)
    assert third.files[0].status == "loaded"
    assert rows(home, "select supplier_id from raw.suppliers") == [("SUP1",)]
    assert rows(home, "select status from ingest.files") == [("loaded",)]
    assert rows(home, "select count(*) from quality.quarantine") == [(1,)]


def test_unchanged_quarantined_file_is_named_on_every_run(home: Settings) -> None:
    """A rejected file that nobody fixed is listed again (not silently skipped)."""
    drop(home, "machines", "m.csv", b"")
    ingest_landing(home)
    (f,) = ingest_landing(home).files
    assert f.noteworthy and f.reason is not None and "quarantined in batch" in f.reason


def test_batch_row_records_the_totals(home: Settings) -> None:
    """ingest.batches holds the run's counts, status completed."""
    drop(home, "machines", "m.csv", machines_csv(M1, "M9,L1,S1,x,y,bad,1"))
    drop(home, "machines", "z.csv", b"")
    result = ingest_landing(home)
    expected = [(result.batch_id, "completed", 2, 1, 0, 1, 2, 1, 1)]
    got = rows(
        home,
        "select batch_id, status, files_seen, files_ingested, files_skipped, files_quarantined,"
        " rows_read, rows_loaded, rows_quarantined from ingest.batches",
    )
    assert got == expected


def test_batch_left_running_by_a_crash_is_closed_with_its_committed_files(
    home: Settings,
) -> None:
    """A run that died after loading a file but before closing its batch: the next run closes
    that batch as completed with the file's counts, and purges the rows that failed casts
    from raw (they are in quarantine), so the batch is ready for validation."""
    drop(home, "machines", "m.csv", machines_csv(M1, "M9,L1,S1,x,y,bad,1"))
    plan = start_ingest(home)
    ingest_source(home, plan, "machines")  # ... and the process dies here
    ingest_landing(home)
    expected = [(plan.batch_id, "completed", 1, 1, 1)]
    got = rows(
        home,
        "select batch_id, status, files_ingested, rows_loaded, rows_quarantined from ingest.batches",
    )
    assert got == expected
    assert rows(home, "select machine_id from raw.machines") == [("M1",)]
    with open_warehouse(home) as con:
        assert reconciliation(con)["holds"].all()


def test_unknown_landing_folder_is_reported(home: Settings) -> None:
    """A folder that is no source (a typo) is named in the result rather than ignored silently."""
    drop(home, "sensor_reading", "r.csv", "x\n1\n")
    assert ingest_landing(home).unknown_folders == ["sensor_reading"]


def test_run_stopped_by_an_error_keeps_the_files_it_committed(home: Settings) -> None:
    """An error after the first file ends the run; that file's batch is completed (ready for
    validation) and the next run takes only the file not read yet."""
    drop(home, "machines", "a.csv", machines_csv(M1))
    drop(home, "machines", "b.csv", machines_csv(M2))

    def stop(result: object) -> None:
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError, match="disk went away"):
        ingest_landing(home, progress=stop)
    assert rows(home, "select status, files_ingested from ingest.batches") == [("completed", 1)]
    again = ingest_landing(home)
    assert [(f.file, f.status) for f in again.files] == [
        ("machines/a.csv", "skipped"),
        ("machines/b.csv", "loaded"),
    ]
