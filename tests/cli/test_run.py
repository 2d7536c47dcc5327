"""`twin nightly`, `twin backfill`, `twin scenario`, `twin demo`: the command line around the flows."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.tiny_plant import tiny_snapshot
from twin_cli import app
from twin_cli._app import UserError
from twin_cli.run import scenario_params
from twin_core.settings import Settings

runner = CliRunner()


def _params(**given: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        name="what-if",
        snapshot=None,
        outage=[],
        demand=[],
        supplier_delay=[],
        extra_shift=[],
        horizon=None,
        replications=None,
        seed=None,
        params_file=None,
    )
    base.update(given)
    return scenario_params(**base)  # type: ignore[arg-type]


def test_scenario_options_become_scenario_parameters() -> None:
    """Each option maps to its field: outages as triples, the rest as ID=VALUE pairs."""
    got = _params(
        outage=["M1,2026-03-09T06:00,8"],
        demand=["P1=1.5"],
        supplier_delay=["SUP1=4"],
        extra_shift=["L1=8"],
        seed=3,
    )
    expected = {
        "name": "what-if",
        "seed": 3,
        "outages": [{"machine_id": "M1", "start": "2026-03-09T06:00", "hours": "8"}],
        "demand_multipliers": {"P1": "1.5"},
        "supplier_delays": [{"supplier_id": "SUP1", "days": "4"}],
        "extra_shifts": [{"line_id": "L1", "hours_per_day": "8"}],
    }
    assert got == expected


def test_a_params_file_is_read_and_options_override_it(tmp_path: Path) -> None:
    """--params gives the base; an explicit option wins over the file."""
    f = tmp_path / "rush.json"
    f.write_text('{"name": "rush", "seed": 1, "demand_multipliers": {"P1": 2}}', encoding="utf-8")
    got = _params(params_file=f, seed=9)
    assert (got["name"], got["seed"], got["demand_multipliers"]) == ("rush", 9, {"P1": 2})


def test_a_malformed_outage_is_a_clear_error() -> None:
    """An outage without its hours names the expected form."""
    with pytest.raises(UserError, match="MACHINE,START,HOURS"):
        _params(outage=["M1,2026-03-09T06:00"])


def test_a_bad_date_exits_2_without_a_traceback(twin_home: Path) -> None:
    """`twin nightly --as-of 2026-13-01` says what it wants and exits 2."""
    result = runner.invoke(app, ["nightly", "--as-of", "2026-13-01"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


def test_a_negative_multiplier_is_refused_before_anything_runs(twin_home: Path) -> None:
    """Parameter validation happens before the flow starts; nothing is written."""
    result = runner.invoke(app, ["scenario", "--demand", "P1=-2"])
    assert result.exit_code == 2
    assert "greater than or equal to 0" in result.output
    assert not twin_home.exists()


def test_demo_refuses_a_home_it_did_not_generate(settings: Settings) -> None:
    """A TWIN_HOME with a real warehouse (no ground_truth.json) is never wiped by --fresh."""
    tiny_snapshot(settings)
    result = runner.invoke(app, ["demo", "--days", "2", "--fresh"])
    assert result.exit_code == 3
    assert "did not generate" in result.output
    assert settings.warehouse_path.exists()


def test_twin_scenario_runs_the_flow_and_prints_the_report(
    prefect_api: None, settings: Settings
) -> None:
    """`twin scenario --supplier-delay SUP1=5` runs on the latest snapshot and names its report."""
    tiny_snapshot(settings)
    result = runner.invoke(app, ["scenario", "--name", "late", "--supplier-delay", "SUP1=5"])
    assert result.exit_code == 0, result.output
    assert "scenario late-s1-" in result.output
    assert "index.html" in result.output
