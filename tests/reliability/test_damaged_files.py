"""Damaged and half-written files in one batch: each is quarantined with its reason or held back
until it is complete, and every other file of the batch, of its source and of the sources after
it, loads whole.

One landing folder holds every case below beside good files of the same source and a good file
of a source ingested after it (inventory comes after sensor_readings); ingest runs once (module
fixture), then each case is checked against what it wrote, with the row accounting per file
(``tests/reliability/state.py``: rows read = rows in raw + rows quarantined, none doubled).
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import zstandard

from tests.reliability.faulttable import Fault, FaultTable
from tests.reliability.state import Accounting, row_accounting
from twin_core.ingest import ingest_landing
from twin_core.ingest.result import FileResult, IngestResult
from twin_core.settings import Settings

pytestmark = pytest.mark.slow

READINGS = "sensor_id,ts,value"
DAY = "2026-03-02"
GOOD_ROWS = 3000  # rows of each good readings file


def _readings(n: int, *, sensor: str = "T1", start: int = 0) -> str:
    rows = [f"{sensor},{DAY}T{(i // 60) % 24:02d}:{i % 60:02d}:00,{i}.5" for i in range(start, n)]
    return "\n".join([READINGS, *rows]) + "\n"


@dataclass(frozen=True)
class Case:
    fault: str
    file: str  # relative to landing/
    status: str  # what ingest did with it: quarantined / skipped (held back)
    rule: str | None  # whole-file quarantine rule (None: held back, no quarantine row)
    says: str  # in the reason


CASES = (
    Case("truncated .csv.gz (cut mid-stream)", "sensor_readings/a_cut.csv.gz", "quarantined", "unparseable_file", "gzip"),
    Case("Parquet with a damaged data page", "sensor_readings/b_page.parquet", "quarantined", "unparseable_file", "b_page.parquet"),
    Case("Parquet cut short (no footer)", "sensor_readings/c_short.parquet", "quarantined", "unparseable_file", "c_short.parquet"),
    # Footer bytes flipped: DuckDB raises a plain duckdb.Error (TProtocolException, "don't
    # know what type"), a NotImplementedException or an "invalid unicode" error; none of them
    # names the file.
    Case("Parquet footer damaged: TProtocolException", "sensor_readings/c_footer_0.parquet", "quarantined", "unparseable_file", "c_footer_0.parquet"),
    Case("Parquet footer damaged: unknown encoding", "sensor_readings/c_footer_56.parquet", "quarantined", "unparseable_file", "c_footer_56.parquet"),
    Case("Parquet footer damaged: a name that is not UTF-8", "sensor_readings/c_footer_70.parquet", "quarantined", "wrong_encoding", "c_footer_70.parquet"),
    Case("Parquet footer damaged: don't know what type", "sensor_readings/c_footer_126.parquet", "quarantined", "unparseable_file", "c_footer_126.parquet"),
    Case("NUL byte at line 2,001 (past the first 4 KB)", "sensor_readings/d_nul.csv", "quarantined", "wrong_encoding", "NUL byte at line 2001"),
    Case("NUL bytes inside a gzip file, past its first 4 KB", "sensor_readings/e_nul.csv.gz", "quarantined", "wrong_encoding", "NUL byte at line 2001"),
    Case("truncated .csv.zst (cut mid-stream)", "sensor_readings/a_cut.csv.zst", "quarantined", "unparseable_file", "the zstd stream ends after"),
    Case("binary garbage under .csv.zst", "sensor_readings/a_garbage.csv.zst", "quarantined", "unparseable_file", "not a valid zstd file"),
    Case("NUL bytes inside a zstd file, past its first 4 KB", "sensor_readings/e_nul.csv.zst", "quarantined", "wrong_encoding", "NUL byte at line 2001"),
    Case("invalid UTF-8 byte in data row 61", "sensor_readings/f_utf8.csv", "quarantined", "wrong_encoding", "Line: 62"),
    Case("CSV cut inside its last field (6070.0 landed as 60), just written", "sensor_readings/g_cut_field.csv", "skipped", None, "held back: the last line has no newline"),
    Case("CSV cut inside a quoted field, just written", "sensor_readings/h_cut_quote.csv", "skipped", None, "held back: the last line has no newline"),
    Case("JSON lines cut inside the last object, just written", "sensor_readings/i_cut.jsonl", "skipped", None, "held back: the last line has no newline"),
)  # fmt: skip


def _write(landing: Path, rel: str, content: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _parquet(path: Path, rows: int) -> bytes:
    con = duckdb.connect()
    try:
        con.execute(
            f"copy (select 'T3' as sensor_id, timestamp '{DAY}' + to_seconds(range) as ts, "
            f"range * 1.5 as value from range({rows})) to '{path}' (format parquet)"
        )
    finally:
        con.close()
    return path.read_bytes()


def _land(landing: Path, scratch: Path) -> None:
    _write(landing, "sensor_readings/good_1.csv", _readings(GOOD_ROWS))
    _write(landing, "sensor_readings/good_2.csv", _readings(GOOD_ROWS, sensor="T2"))
    _write(
        landing, "inventory/stock.csv", "site_id,material_id,on_hand,as_of\nS1,MAT1,10,2026-03-02\n"
    )
    whole = gzip.compress(_readings(20_000).encode())
    _write(landing, "sensor_readings/a_cut.csv.gz", whole[: len(whole) // 2])
    whole_zst = zstandard.compress(_readings(20_000).encode())
    _write(landing, "sensor_readings/a_cut.csv.zst", whole_zst[: len(whole_zst) // 2])
    # A zstd frame header, then bytes that are no zstd block.
    _write(
        landing, "sensor_readings/a_garbage.csv.zst", b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 8
    )
    data = bytearray(_parquet(scratch / "p.parquet", 200_000))
    data[4000:4400] = b"\xab" * 400  # inside the first column's data pages
    _write(landing, "sensor_readings/b_page.parquet", bytes(data))
    _write(landing, "sensor_readings/c_short.parquet", bytes(data[: len(data) // 2]))
    whole_pq = _parquet(scratch / "q.parquet", 200_000)
    footer = len(whole_pq) - 8 - struct.unpack("<I", whole_pq[-8:-4])[0]
    for at in (0, 56, 70, 126):
        flipped = bytearray(whole_pq)
        flipped[footer + at] ^= 0xFF
        _write(landing, f"sensor_readings/c_footer_{at}.parquet", bytes(flipped))
    lines = _readings(GOOD_ROWS).splitlines(keepends=True)
    nul = [*lines[:2000], "T1,2026-03-02T10:00:00,1\x00\x00\x005\n", *lines[2001:]]
    _write(landing, "sensor_readings/d_nul.csv", "".join(nul))
    _write(landing, "sensor_readings/e_nul.csv.gz", gzip.compress("".join(nul).encode()))
    _write(landing, "sensor_readings/e_nul.csv.zst", zstandard.compress("".join(nul).encode()))
    bad = [line.encode() for line in lines]
    bad[61] = bad[61].replace(b"T1", b"T\xff1")
    _write(landing, "sensor_readings/f_utf8.csv", b"".join(bad))
    _write(landing, "sensor_readings/g_cut_field.csv", _readings(10) + f"T1,{DAY}T05:00:00,60")
    _write(landing, "sensor_readings/h_cut_quote.csv", _readings(10) + f'T1,{DAY}T05:00:00,"60')
    _write(
        landing,
        "sensor_readings/i_cut.jsonl",
        f'{{"sensor_id": "T4", "ts": "{DAY}T00:00:00", "value": 1.5}}\n{{"sensor_id": "T4", "ts": "',
    )


@dataclass
class Batch:
    settings: Settings
    result: IngestResult
    files: dict[str, FileResult]
    quarantine: dict[str, list[tuple[Any, ...]]]  # file -> (row, rule, reason)
    manifest: set[str]  # files with a row in ingest.files
    accounting: Accounting


def _read(settings: Settings, result: IngestResult) -> Batch:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        quarantine: dict[str, list[tuple[Any, ...]]] = {}
        for file, row, rule, reason in con.execute(
            'select file, "row", rule, reason from quality.quarantine order by file, "row"'
        ).fetchall():
            quarantine.setdefault(str(file), []).append((row, rule, reason))
        manifest = {str(r[0]) for r in con.execute("select file from ingest.files").fetchall()}
    finally:
        con.close()
    return Batch(
        settings,
        result,
        {f.file: f for f in result.files},
        quarantine,
        manifest,
        row_accounting(settings.warehouse_path),
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, fault_table: FaultTable) -> Batch:
    home = tmp_path_factory.mktemp("damaged") / "home"
    settings = Settings(home=home)
    _land(settings.landing_dir, tmp_path_factory.mktemp("scratch"))
    out = _read(settings, ingest_landing(settings))
    for case in CASES:
        fault_table.add(Fault("damaged", case.fault, _happened(out, case), _lost(out, case)))
    return out


def _happened(b: Batch, case: Case) -> str:
    """What the run did with the case, in the table's words (from the run, never assumed)."""
    f = b.files.get(case.file)
    if f is None:
        return "NOT seen by the run"
    rest = (
        "the rest of the batch loaded whole"
        if not b.accounting.broken and _good_loaded(b)
        else "the rest of the batch did NOT load whole"
    )
    if f.status == "quarantined":
        rows = b.quarantine.get(case.file, [])
        # The landing folder is a temporary path of this run: shown as <landing>.
        reason = re.sub(r"/\S*/landing/", "<landing>/", f.reason or "")
        return f"{len(rows)} row(s) in quality.quarantine (`{f.rule}`): {reason[:160]}; " + rest
    if f.status == "skipped":
        recorded = "recorded" if case.file in b.manifest else "not recorded, read again next run"
        return f"{(f.reason or '')[:110]}... ({recorded}); {rest}"
    return f"LOADED ({f.rows_loaded} rows); {rest}"


def _lost(b: Batch, case: Case) -> int:
    # A file quarantined or held back whole loses no row of the batch: only rows of the
    # good files (the ones the batch is measured by) can be lost.
    return max(2 * GOOD_ROWS + 1 - sum(b.files[f].rows_loaded for f in _GOOD), 0)


_GOOD = ("sensor_readings/good_1.csv", "sensor_readings/good_2.csv", "inventory/stock.csv")


def _good_loaded(b: Batch) -> bool:
    return all(b.files[f].status == "loaded" for f in _GOOD)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.fault)
def test_damaged_file_is_quarantined_or_held_back_with_its_reason(batch: Batch, case: Case) -> None:
    """A damaged file leaves one whole-file quarantine row saying why and loads no row; a
    half-written one is held back (no quarantine row, no manifest row: read again next run)."""
    f = batch.files[case.file]
    assert (f.status, f.rule, f.rows_read, f.rows_loaded) == (case.status, case.rule, 0, 0)
    assert case.says in (f.reason or ""), f.reason
    rows = batch.quarantine.get(case.file, [])
    if case.rule is None:
        assert rows == []
        assert case.file not in batch.manifest
    else:
        assert [(r, rule) for r, rule, _ in rows] == [(None, case.rule)]
        assert case.says in str(rows[0][2])
        assert case.file in batch.manifest


def test_the_rest_of_the_batch_loads_whole(batch: Batch) -> None:
    """Every good file loads, of the damaged files' source and of the source after it, each
    whole in raw (rows read = rows in raw + quarantined, none doubled, no orphan rows)."""
    assert {f: batch.files[f].rows_loaded for f in _GOOD} == {
        _GOOD[0]: GOOD_ROWS,
        _GOOD[1]: GOOD_ROWS,
        _GOOD[2]: 1,
    }
    acc = batch.accounting
    assert (acc.broken, acc.orphans, acc.doubled, acc.missing) == ([], 0, 0, 0)
    assert {f.file for f in acc.files} == set(_GOOD)
    assert batch.result.reconciles


def test_nothing_of_a_damaged_file_reaches_raw(batch: Batch) -> None:
    """No row of any case is in raw: not the half of the gzip stream DuckDB read, not the
    rows before the NUL byte, not the cut value 60."""
    con = duckdb.connect(str(batch.settings.warehouse_path), read_only=True)
    try:
        files = [c.file for c in CASES]
        row = con.execute(
            "select count(*) from raw.sensor_readings where _file in (select unnest($f))",
            {"f": files},
        ).fetchone()
    finally:
        con.close()
    assert row == (0,)


def test_a_held_back_file_loads_once_it_stops_changing_or_is_complete(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    """A file cut inside its last field is held back while it is young; the complete version
    arriving loads at once with the full value; a file that stays without its last newline
    past ``ingest_settle_s`` is taken as complete, with a note saying so."""
    settings = Settings(home=tmp_path / "home", ingest_settle_s=60)
    landing = settings.landing_dir
    cut = _write(landing, "sensor_readings/r.csv", _readings(3) + f"T1,{DAY}T05:00:00,60")
    first = ingest_landing(settings).files[0]
    assert (first.status, first.rows_loaded) == ("skipped", 0)
    assert "held back" in (first.reason or "")
    # The writer finishes the file: its complete content loads, with the whole value.
    cut.write_text(_readings(3) + f"T1,{DAY}T05:00:00,6070.0\n")
    second = ingest_landing(settings).files[0]
    assert (second.status, second.rows_loaded, second.reason) == ("loaded", 4, None)
    # A file that never gets its newline: loaded once it has been unchanged for the settle time.
    old = _write(landing, "sensor_readings/s.csv", _readings(2) + f"T1,{DAY}T06:00:00,7.5")
    assert ingest_landing(settings).files[1].status == "skipped"
    past = time.time() - 61
    os.utime(old, (past, past))
    third = {f.file: f for f in ingest_landing(settings).files}["sensor_readings/s.csv"]
    assert (third.status, third.rows_loaded) == ("loaded", 3)
    assert "no newline" in (third.reason or "")
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        values = con.execute(
            "select _file, value from raw.sensor_readings where ts in "
            f"(timestamp '{DAY} 05:00:00', timestamp '{DAY} 06:00:00') order by 1"
        ).fetchall()
    finally:
        con.close()
    assert values == [("sensor_readings/r.csv", 6070.0), ("sensor_readings/s.csv", 7.5)]
    acc = row_accounting(settings.warehouse_path)
    assert (acc.broken, acc.orphans, acc.doubled) == ([], 0, 0)
    fault_table.add(
        Fault(
            "damaged",
            "CSV cut inside its last field, then completed by its writer",
            "held back while cut (the value 60 never loaded); the completed file loaded at once "
            "with 6070.0; a file left without its newline loaded after ingest_settle_s, noted",
            0,
        )
    )


def test_a_file_that_changes_while_ingest_runs_is_not_loaded_half_written(
    tmp_path: Path, fault_table: FaultTable
) -> None:
    """A file appended to after ingest found it and before its load ends is left for the next
    run (not recorded), which loads it whole."""
    settings = Settings(home=tmp_path / "home")
    landing = settings.landing_dir
    _write(landing, "sensor_readings/a.csv", _readings(5))
    growing = _write(landing, "sensor_readings/b.csv", _readings(5, sensor="T2"))

    def append_once(done: FileResult) -> None:
        # Runs after a.csv is loaded, while b.csv waits with the size ingest saw at discovery.
        if done.file.endswith("a.csv"):
            with growing.open("a") as fh:
                fh.write(f"T2,{DAY}T09:00:00,9.5\n")

    first = {f.file: f for f in ingest_landing(settings, progress=append_once).files}
    late = first["sensor_readings/b.csv"]
    assert (late.status, late.rows_loaded) == ("skipped", 0)
    assert "changed while it was read" in (late.reason or "")
    again = {f.file: f for f in ingest_landing(settings).files}
    assert (again["sensor_readings/b.csv"].status, again["sensor_readings/b.csv"].rows_loaded) == (
        "loaded",
        6,
    )
    acc = row_accounting(settings.warehouse_path)
    assert (acc.broken, acc.orphans, acc.doubled, acc.missing) == ([], 0, 0, 0)
    fault_table.add(
        Fault(
            "damaged",
            "a file appended to while ingest runs",
            f"not loaded from its half-written state ({late.reason}); the next run loaded it "
            "whole (6 rows)",
            0,
        )
    )


def test_a_whole_zstd_extract_loads_every_row(tmp_path: Path) -> None:
    """.csv.zst is an extract format: a whole file (two frames, as `zstd -c a b > c` writes)
    loads every row; the checks read its text, not the compressed bytes (whose NULs had
    every .zst file quarantined as not UTF-8)."""
    settings = Settings(home=tmp_path / "home", ingest_settle_s=0)
    first = _readings(2000)
    second = "".join(line + "\n" for line in _readings(3000, start=2000).splitlines()[1:])
    _write(
        settings.landing_dir,
        "sensor_readings/whole.csv.zst",
        zstandard.compress(first.encode()) + zstandard.compress(second.encode()),
    )
    result = ingest_landing(settings)
    (f,) = result.files
    assert (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 3000, 3000, 0)
    assert f.reason is None
