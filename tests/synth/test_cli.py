"""`twin generate` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from twin_cli import app
from twin_core.contracts import SOURCES

runner = CliRunner()


def test_generate_writes_landing_and_ground_truth(tmp_path: Path) -> None:
    """A 5-day run writes a folder per delivered source and a ground truth with faults."""
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--days", "5", "--seed", "4"])
    expected = sorted(s for s in SOURCES if not SOURCES[s].optional)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == expected
    assert json.loads((tmp_path / "ground_truth.json").read_text())["faults"]


def test_generate_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """A second run into the same folder stops with a clear error unless --force is given."""
    args = ["generate", "--out", str(tmp_path), "--days", "1"]
    runner.invoke(app, args)
    refused = runner.invoke(app, args)
    forced = runner.invoke(app, [*args, "--force"])
    # Existing files: bad input for this folder (exit 3 under issue 25's codes).
    assert (refused.exit_code, "--force" in refused.output, forced.exit_code) == (3, True, 0)


def test_short_runs_are_clean(tmp_path: Path) -> None:
    """Under five days there is no room for faults: the ground truth lists none."""
    runner.invoke(app, ["generate", "--out", str(tmp_path), "--days", "2"])
    assert json.loads((tmp_path / "ground_truth.json").read_text())["faults"] == []


def test_knobs_set_sensor_count_period_and_formats(tmp_path: Path) -> None:
    """--sensors, --period and --format shape the readings and pick file formats."""
    args = ["generate", "--out", str(tmp_path), "--days", "1", "--sensors", "64", "--period", "30"]
    result = runner.invoke(
        app, [*args, "--format", "production=parquet", "--format", "sensor_readings=csv"]
    )
    readings = pl.read_csv(next((tmp_path / "landing" / "sensor_readings").glob("*.csv")))
    per_sensor = readings.group_by("sensor_id").len()
    assert result.exit_code == 0, result.output
    assert (per_sensor.height, set(per_sensor["len"].to_list())) == (64, {2880})
    assert [p.suffix for p in (tmp_path / "landing" / "production").iterdir()] == [".parquet"]


def test_bad_arguments_get_one_clear_line(tmp_path: Path) -> None:
    """Unknown sources in --format, too few sensors and bad dates exit 2 with a message."""
    bad = [
        ["--format", "nope=csv"],
        ["--sensors", "3"],
        ["--start", "2026-02-30"],
        ["--scale", "huge"],
    ]
    codes = [runner.invoke(app, ["generate", "--out", str(tmp_path), *b]).exit_code for b in bad]
    assert codes == [2, 2, 2, 2]
