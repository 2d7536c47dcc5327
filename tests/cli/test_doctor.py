"""`twin doctor` on a home's files other than a damaged warehouse (that is
tests/reliability/test_warehouse_damage.py): what it says about each, and its exit code."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.tiny_plant import seed_tiny_plant, tiny_snapshot
from twin_cli import app
from twin_core.doctor import check_home
from twin_core.publish import publish
from twin_core.settings import Settings

runner = CliRunner()


def _said(output: str) -> str:
    return " ".join(output.split())


def test_a_healthy_home_is_ok_everywhere(settings: Settings) -> None:
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    publish(settings)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    said = _said(result.output)
    assert "ok warehouse.duckdb: all" in said
    assert "ok plant.duckdb: opens read-only: snapshot 1" in said
    assert [f.level for f in check_home(settings).findings] == ["ok", "ok", "warning"]  # landing


def test_what_sits_beside_plant_duckdb_is_reported(settings: Settings) -> None:
    """A stale WAL and a half-built publish are warnings (the next publish clears them); a
    published file that does not open is an error (exit 1) that names `twin publish`."""
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    publish(settings)
    (settings.home / "plant.duckdb.wal").write_bytes(b"junk")
    (settings.home / ".plant-0123456789ab.building").write_bytes(b"half")
    result = runner.invoke(app, ["doctor"])
    said = _said(result.output)
    assert "warning plant.duckdb: plant.duckdb.wal sits beside it" in said
    assert "warning publish: 1 half-built publish file(s)" in said
    settings.published_path.write_bytes(b"not a database" * 100)
    broken = runner.invoke(app, ["doctor"])
    assert broken.exit_code == 1
    assert "error plant.duckdb:" in _said(broken.output)
    assert "twin publish" in _said(broken.output)


def test_folders_and_a_missing_home_are_errors(twin_home: Path) -> None:
    missing = runner.invoke(app, ["doctor"])
    assert missing.exit_code == 1
    assert "does not exist or is not a folder" in _said(missing.output)
    (twin_home / "warehouse.duckdb").mkdir(parents=True)
    (twin_home / "plant.duckdb").mkdir()
    folders = runner.invoke(app, ["doctor"])
    assert folders.exit_code == 1
    said = _said(folders.output)
    assert "error warehouse.duckdb:" in said and "is a folder" in said
    assert "error plant.duckdb:" in said
    assert (twin_home / "warehouse.duckdb").is_dir()  # doctor writes nothing
