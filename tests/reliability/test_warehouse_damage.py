"""A damaged warehouse is found at open, nothing is written to it, and `twin doctor` /
`twin recover` check the files and rebuild it from the landing files.

Table-driven over the kinds of damage the independent trial used (a file cut short, garbage
written inside a data block, a header overwritten). For each: `twin ingest` refuses with one
line (exit 3, no traceback) and leaves the file's bytes as they were; `twin doctor` exits 1
naming the warehouse; `twin recover` moves it aside (kept byte for byte) and rebuilds it from
landing; afterwards `twin doctor` is clean and every core table holds the rows it held before
the damage (rows lost = the difference, 0).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reliability.faulttable import Fault, FaultTable
from twin_cli import app
from twin_core.ingest import ingest_landing
from twin_core.settings import Settings
from twin_core.synth import generate
from twin_core.validation import validate_pending
from twin_core.warehouse import WarehouseDamaged, connect, damaged_marker, open_warehouse

runner = CliRunner()
DAY = date(2026, 3, 2)
BLOCK = 262144  # DuckDB's block size; blocks start after three 4 KiB headers
HEADERS = 3 * 4096


def _core_rows(path: Path) -> dict[str, int]:
    con = connect(path, read_only=True)
    try:
        names = [
            str(r[0])
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'core' "
                "union select view_name from duckdb_views() where schema_name = 'core' "
                "order by 1"
            ).fetchall()
        ]
        counts = {}
        for name in names:
            row = con.execute(f'select count(*) from core."{name}"').fetchone()
            counts[name] = int(row[0]) if row else 0
    finally:
        con.close()
    return counts


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def validated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated plant day, ingested and validated (built once, copied per test)."""
    home = tmp_path_factory.mktemp("doctor") / "home"
    generate(home, days=1, start=DAY, seed=7, sensors=72, period_s=900, faults="none")
    settings = Settings(home=home)
    ingest_landing(settings)
    validate_pending(settings, as_of=DAY)
    return home


@pytest.fixture
def home(validated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "home"
    shutil.copytree(validated_home, target)
    monkeypatch.setenv("TWIN_HOME", str(target))
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return target


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _garbage_in_a_data_block(path: Path) -> None:
    """Overwrite bytes inside a block that holds core rows: the file still opens, and only
    reading that block (its checksum) shows the damage."""
    con = connect(path, read_only=True)
    try:
        row = con.execute(
            "select block_id from pragma_storage_info('core.production') "
            "where block_id >= 0 order by block_id limit 1"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    with path.open("r+b") as f:
        f.seek(HEADERS + int(row[0]) * BLOCK + 512)
        f.write(b"\xde\xad\xbe\xef" * 64)


def _header_overwritten(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(b"\x00" * 4096)


DAMAGE: list[tuple[str, Callable[[Path], None], str]] = [
    ("warehouse.duckdb cut to half its size", _truncate, "cut"),
    (
        "garbage written inside a data block of warehouse.duckdb",
        _garbage_in_a_data_block,
        "garbage",
    ),
    ("warehouse.duckdb header overwritten with zeros", _header_overwritten, "header"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "damage", "kind"), DAMAGE, ids=[k for _, _, k in DAMAGE])
def test_a_damaged_warehouse_is_refused_checked_and_recovered(
    home: Path, fault: str, damage: Callable[[Path], None], kind: str, fault_table: FaultTable
) -> None:
    warehouse = home / "warehouse.duckdb"
    before = _core_rows(warehouse)
    assert before["production"] > 0 and before["sensor_readings"] > 0
    damage(warehouse)
    damaged = _digest(warehouse)

    # Refused at open: one line, exit 3, nothing written.
    ingest = runner.invoke(app, ["ingest"])
    said = " ".join(ingest.output.split())
    assert ingest.exit_code == 3, said
    assert "is damaged" in said and "twin recover" in said and "Traceback" not in said
    assert _digest(warehouse) == damaged
    assert damaged_marker(warehouse).exists()
    reason = damaged_marker(warehouse).read_text(encoding="utf-8").strip()
    reason = reason.replace(str(home), "<TWIN_HOME>")
    again = runner.invoke(app, ["validate", "--as-of", DAY.isoformat()])
    assert again.exit_code == 3 and "damaged" in again.output
    assert _digest(warehouse) == damaged

    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1, doctor.output
    assert "error   warehouse.duckdb" in doctor.output
    assert "twin recover" in " ".join(doctor.output.split())

    recovered = runner.invoke(app, ["recover"])
    assert recovered.exit_code == 0, recovered.output
    kept = sorted(home.glob("warehouse.duckdb.damaged-*"))
    kept_db = [p for p in kept if p.name.count(".") == 2]
    assert len(kept_db) == 1 and _digest(kept_db[0]) == damaged
    assert not damaged_marker(warehouse).exists()
    assert runner.invoke(app, ["doctor"]).exit_code == 0
    after = _core_rows(warehouse)
    assert after == before
    said = " ".join(recovered.output.split())
    if kind == "garbage":  # the old manifest was still readable: every file accounted for
        assert "0 changed since, 0 no longer in landing" in said
    fault_table.add(
        Fault(
            "files",
            fault,
            f"refused at open (exit 3, nothing written): {reason[:90]}; `twin doctor` exit 1; "
            f"`twin recover` rebuilt it from landing, core rows equal ({sum(after.values()):,})",
            sum(before.values()) - sum(after.values()),
        )
    )


def test_doctor_on_a_whole_warehouse_is_clean_and_recover_needs_yes(home: Path) -> None:
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert "ok      warehouse.duckdb: all" in doctor.output
    refused = runner.invoke(app, ["recover"])
    assert refused.exit_code == 3
    assert "nothing to recover" in " ".join(refused.output.split())


def test_a_marker_without_damage_still_refuses_writes_until_recover(home: Path) -> None:
    """Damage once seen is not forgotten: the marker keeps writes refused even if a later
    read happens to succeed; doctor says so (a warning)."""
    damaged_marker(home / "warehouse.duckdb").write_text("seen in a test\n", encoding="utf-8")
    ingest = runner.invoke(app, ["ingest"])
    assert ingest.exit_code == 3
    assert "seen in a test" in ingest.output
    doctor = runner.invoke(app, ["doctor"])
    assert "warning warehouse.duckdb" in doctor.output and "seen in a test" in doctor.output


def test_damage_found_while_reading_refuses_later_writes(home: Path) -> None:
    """Bit rot that leaves size and modification time alone is not read at open; the first
    statement that reads the bad block fails as WarehouseDamaged, and from then on every
    write open refuses (the marker) while `twin doctor` names the table."""
    warehouse = home / "warehouse.duckdb"
    settings = Settings(home=home)
    with open_warehouse(settings):
        pass  # the fingerprint of the whole file
    st = warehouse.stat()
    _garbage_in_a_data_block(warehouse)
    os.utime(warehouse, ns=(st.st_atime_ns, st.st_mtime_ns))  # as a disk fault would leave it
    with pytest.raises(WarehouseDamaged, match="is damaged"), open_warehouse(settings) as con:
        con.execute("select sum(good_qty) from core.production").fetchall()
    assert "computed checksum" in damaged_marker(warehouse).read_text(encoding="utf-8")
    with pytest.raises(WarehouseDamaged, match="until `twin recover`"), open_warehouse(settings):
        pass
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 1 and "core.production" in doctor.output
