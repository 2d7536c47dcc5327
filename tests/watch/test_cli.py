"""`twin watch` and `twin replay` from a shell: what each kind of bad input gets (one line,
exit code 2, nothing written) and a cycle on a home without a snapshot."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from twin_cli import app
from twin_core.settings import Settings

runner = CliRunner()


def _text(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def test_watch_without_a_landing_folder_says_what_to_do(settings: Settings) -> None:
    result = runner.invoke(app, ["watch", "--no-prefect"])
    assert result.exit_code == 3  # bad input (issue 25 exit codes)
    assert "no landing folder" in _text(result.output) and "twin init" in result.output
    assert not settings.warehouse_path.exists()


def test_watch_before_any_snapshot_judges_nothing_and_says_so(settings: Settings) -> None:
    settings.landing_dir.mkdir(parents=True)
    result = runner.invoke(app, ["watch", "--no-prefect"])
    assert result.exit_code == 0, result.output
    assert "no snapshot yet: the control limits come from the nightly" in _text(result.output)


def test_replay_of_a_folder_without_a_plant(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(tmp_path / "nowhere")])
    assert result.exit_code == 3
    assert "generate a plant first" in _text(result.output)
    assert not settings.warehouse_path.exists()


def test_replay_refuses_a_home_that_holds_a_warehouse(settings: Settings, tmp_path: Path) -> None:
    settings.warehouse_path.write_bytes(b"")
    plant = tmp_path / "plant"
    (plant / "landing").mkdir(parents=True)
    result = runner.invoke(app, ["replay", str(plant)])
    assert result.exit_code == 3
    assert "replay into an empty TWIN_HOME" in _text(result.output)
    assert settings.warehouse_path.read_bytes() == b""
    assert not settings.landing_dir.exists()
