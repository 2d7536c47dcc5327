"""A full disk during ingest, on a real small file system (a tmpfs mounted by the test; it
needs root, and is skipped with the reason where mounting is not allowed).

The disk fills at the two places DuckDB writes a file's rows: while the insert writes row
groups of a large file to the database file, and at the commit of a small file, when its rows
go to the WAL. Either way ``twin ingest`` stops with the system's "No space left on device"
(before, a failed commit surfaced as "cannot rollback - no transaction is active"), keeps
every file committed before, and once space is free the next run loads the file whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reliability.faulttable import Fault, FaultTable
from tests.reliability.state import row_accounting
from twin_cli import app
from twin_core.ingest import ingest_landing
from twin_core.settings import Settings

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    fault: str
    rows: int  # rows of the readings file landed
    free_bytes: int  # space left on the file system before the run


CASES = (
    Case("disk full while the insert writes a large file's row groups", 300_000, 512 * 1024),
    Case("disk full at the commit of a small file (its WAL write)", 50_000, 64 * 1024),
)


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _readings(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        f.write("sensor_id,ts,value\n")
        for i in range(rows):
            f.write(
                f"T{i % 50},2026-03-02T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:"
                f"{i % 60:02d},{i}.25\n"
            )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.fault)
def test_a_full_disk_stops_ingest_with_its_own_message_and_loses_nothing(
    small_fs: Path, case: Case, monkeypatch: pytest.MonkeyPatch, fault_table: FaultTable
) -> None:
    settings = Settings(home=small_fs / "home")
    (settings.landing_dir / "suppliers").mkdir(parents=True)
    (settings.landing_dir / "suppliers" / "s.csv").write_text("supplier_id,name\nS1,Acme\n")
    ingest_landing(settings)  # the warehouse, with one file committed before the fault
    _readings(settings.landing_dir / "sensor_readings" / "r.csv", case.rows)
    st = os.statvfs(small_fs)
    filler = small_fs / "filler"
    filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - case.free_bytes))

    monkeypatch.setenv("TWIN_HOME", str(settings.home))
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    done = CliRunner().invoke(app, ["ingest"])
    said = " ".join(done.output.split())
    filler.unlink()
    again = ingest_landing(settings)
    (loaded,) = [f for f in again.files if f.file == "sensor_readings/r.csv"]
    acc = row_accounting(settings.warehouse_path)
    lost = case.rows + 1 - acc.rows
    fault_table.add(
        Fault(
            "damaged",
            case.fault,
            f"`twin ingest` exit {done.exit_code}, "
            + ("no traceback" if "Traceback" not in done.output else "a TRACEBACK")
            + ", the message says "
            + ("'No space left on device'" if "No space left" in said else "NOT why")
            + (" (and 'cannot rollback')" if "cannot rollback" in said else "")
            + f"; with space freed the next run loaded the file whole ({loaded.rows_loaded:,} "
            "rows), the earlier file kept",
            lost,
        )
    )
    assert done.exit_code == 1, done.output  # a run that failed (issue 25's exit codes)
    assert "No space left on device" in said
    assert "cannot rollback" not in said
    assert "Traceback" not in done.output
    assert (loaded.status, loaded.rows_loaded) == ("loaded", case.rows)
    assert (acc.broken, acc.orphans, acc.doubled, acc.missing, lost) == ([], 0, 0, 0, 0)
