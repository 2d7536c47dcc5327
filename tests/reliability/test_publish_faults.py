"""What sits at or beside ``plant.duckdb`` never leaves a published file that does not open.

Each case puts one foreign thing where publish writes (a WAL an analyst's read-write session
left, a WAL of garbage, a folder under the file's name) and runs publish: it either leaves a
file that opens read-only on the new snapshot, saying what it moved aside, or refuses with one
clear line and touches nothing. Rows lost = warehouse rows not in the published file.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.reliability.faulttable import Fault, FaultTable
from tests.tiny_plant import seed_tiny_plant, tiny_snapshot
from twin_cli import app
from twin_core.publish import PublishError, publish
from twin_core.settings import Settings
from twin_core.warehouse import WarehouseError, connect

runner = CliRunner()


def _write_and_kill(path: Path) -> None:
    """An analyst opens the published file read-write (the DuckDB CLI's default), writes, and
    the session is killed before it checkpoints: its WAL stays beside the file."""
    code = textwrap.dedent(
        f"""
        import os, signal, duckdb
        con = duckdb.connect({str(path)!r})
        con.execute("create table main.my_notes as select 1 as x")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _analyst_wal(settings: Settings) -> None:
    _write_and_kill(settings.published_path)


def _garbage_wal(settings: Settings) -> None:
    settings.published_path.with_name("plant.duckdb.wal").write_bytes(b"\x00garbage" * 512)


def _published_rows(path: Path) -> tuple[int | None, int]:
    con = connect(path, read_only=True)
    try:
        row = con.execute("select snapshot_id from meta.publish").fetchone()
        n = con.execute("select count(*) from history.inventory_projection").fetchone()
    finally:
        con.close()
    return (row[0] if row else None), int(n[0]) if n else 0


def _warehouse_rows(settings: Settings) -> int:
    con = connect(settings.warehouse_path, read_only=True)
    try:
        row = con.execute("select count(*) from history.inventory_projection").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


@pytest.fixture
def published_once(settings: Settings) -> Settings:
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    publish(settings)
    tiny_snapshot(settings)  # a second snapshot, so the next publish shows something new
    return settings


WAL_CASES: list[tuple[str, Callable[[Settings], None]]] = [
    ("stale plant.duckdb.wal (an analyst's read-write session, killed)", _analyst_wal),
    ("plant.duckdb.wal of garbage", _garbage_wal),
]


@pytest.mark.parametrize(("fault", "make"), WAL_CASES, ids=["analyst-wal", "garbage-wal"])
def test_publish_moves_a_stale_wal_aside_and_the_file_opens(
    published_once: Settings,
    fault: str,
    make: Callable[[Settings], None],
    fault_table: FaultTable,
) -> None:
    settings = published_once
    make(settings)
    wal = settings.published_path.with_name("plant.duckdb.wal")
    assert wal.exists()
    stale = wal.read_bytes()
    result = publish(settings)
    # The new file opens read-only on the new snapshot, with every row of the warehouse.
    snapshot, rows = _published_rows(settings.published_path)
    assert snapshot == result.snapshot_id == 2
    assert rows == _warehouse_rows(settings) > 0
    # The WAL was kept (renamed), not deleted, and publish said so.
    assert not wal.exists()
    assert len(result.moved_aside) == 1
    assert result.moved_aside[0].name.startswith("plant.duckdb.wal.stale-")
    assert result.moved_aside[0].read_bytes() == stale
    con = connect(settings.published_path, read_only=True)
    try:  # none of the analyst's writes reached the new file
        assert "my_notes" not in {str(r[0]) for r in con.execute("show tables").fetchall()}
    finally:
        con.close()
    # A second publish finds nothing to move.
    assert publish(settings).moved_aside == ()
    fault_table.add(
        Fault(
            "files",
            f"{fault}, then `twin publish`",
            f"the WAL was moved aside to {result.moved_aside[0].name.split('-')[0]}-<time> "
            f"and reported; plant.duckdb opens read-only on snapshot {snapshot}",
            _warehouse_rows(settings) - rows,
        )
    )


def test_without_the_fix_a_stale_wal_breaks_or_changes_the_new_file(
    published_once: Settings,
) -> None:
    """Why publish moves it: DuckDB replays ``plant.duckdb.wal`` into whatever file has that
    name, so the old file's WAL beside a new file either stops every open ("WAL does not
    match", said as one line that tells what to do) or silently writes the analyst's changes
    into the new file (the v1.2 storage format checks less)."""
    settings = published_once
    _write_and_kill(settings.published_path)
    wal = settings.published_path.with_name("plant.duckdb.wal")
    kept = wal.read_bytes()
    wal.unlink()
    publish(settings)
    wal.write_bytes(kept)  # the old file's WAL, now beside the new file
    try:
        con = connect(settings.published_path, read_only=True)
    except WarehouseError as exc:
        assert "write-ahead log" in str(exc) and "twin publish" in str(exc)
    else:
        tables = {str(r[0]) for r in con.execute("show tables").fetchall()}
        con.close()
        assert "my_notes" in tables
    # The next publish repairs it: the analyst's table is not in the published file.
    assert publish(settings).moved_aside
    con = connect(settings.published_path, read_only=True)
    try:
        assert "my_notes" not in {str(r[0]) for r in con.execute("show tables").fetchall()}
    finally:
        con.close()


def test_cli_publish_says_it_moved_a_wal_aside(published_once: Settings) -> None:
    _write_and_kill(published_once.published_path)
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    assert "moved aside plant.duckdb.wal.stale-" in " ".join(result.output.split())


def test_a_folder_named_plant_duckdb_is_refused_and_left_alone(
    settings: Settings, fault_table: FaultTable
) -> None:
    """Publish, `twin publish` and `twin query` say it is a folder (no IsADirectoryError
    traceback); the folder and what is in it stay."""
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    settings.published_path.mkdir()
    (settings.published_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PublishError, match="is a folder"):
        publish(settings)
    cli = runner.invoke(app, ["publish"])
    assert cli.exit_code == 3
    assert "is a folder" in cli.output and "Traceback" not in cli.output
    query = runner.invoke(app, ["query", "select 1"])
    assert query.exit_code == 3
    assert "is a folder" in query.output and "Traceback" not in query.output
    assert (settings.published_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in settings.home.iterdir() if ".building" in p.name) == []
    fault_table.add(
        Fault(
            "files",
            "plant.duckdb is a folder",
            "publish and `twin query` refuse with one line (exit 3): "
            + " ".join(cli.output.split())[7:].replace(str(settings.home), "<TWIN_HOME>")
            + "; the folder is left as it was",
            0,
        )
    )
