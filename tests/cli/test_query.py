"""`twin init` and `twin query` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from twin_cli import app
from twin_core.warehouse import apply_schema, connect

runner = CliRunner()


def _publish_small_file(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    con = connect(home / "plant.duckdb")
    apply_schema(con)
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, code_version, site_ids, params) values (1, '2026-01-01', now()::timestamp, 'complete', '[]', 't', '[]', '{}')"
    )
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, code_version, site_ids, params) values (2, '2026-01-02', now()::timestamp, 'complete', '[]', 't', '[]', '{}')"
    )
    con.execute(
        "insert into history.capability (snapshot_id, product_id, characteristic, n, cp, cpk, pp, ppk) values (1, 'P1', 'bore', 50, 1.1, 1.0, 1.05, 0.9)"
    )
    con.execute(
        "insert into history.capability (snapshot_id, product_id, characteristic, n, cp, cpk, pp, ppk) values (2, 'P1', 'bore', 75, 1.4, 1.3, 1.35, 1.2)"
    )
    con.execute(
        "insert into history.supplier_performance (snapshot_id, supplier_id, received_pos, on_time_rate, lead_time_mean_days, lead_time_sd_days, late_open_pos, risk_score) values (2, '=cmd|calc', 3, 1.0, 5.0, 0.5, 0, 0.1)"
    )
    con.close()


def test_init_creates_home_and_schema(twin_home: Path) -> None:
    """`twin init` creates the landing folders and a warehouse with the schema applied."""
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (twin_home / "landing" / "sensor_readings").is_dir()
    assert (twin_home / "warehouse.duckdb").is_file()
    again = runner.invoke(app, ["init"])
    assert "up to date" in again.output


def test_query_json_on_latest_snapshot(twin_home: Path) -> None:
    """twin.* views show the latest complete snapshot; --format json gives one object per row."""
    _publish_small_file(twin_home)
    result = runner.invoke(
        app, ["query", "select product_id, cp from twin.capability", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"product_id": "P1", "cp": 1.4}]


def test_query_snapshot_option_pins_an_earlier_snapshot(twin_home: Path) -> None:
    """--snapshot 1 makes the views show snapshot 1."""
    _publish_small_file(twin_home)
    result = runner.invoke(
        app, ["query", "select cp from twin.capability", "-f", "csv", "--snapshot", "1"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["cp", "1.1"]


def test_query_csv_escapes_formula_like_text(twin_home: Path) -> None:
    """Text starting with = is exported with a leading quote so spreadsheets do not run it."""
    _publish_small_file(twin_home)
    result = runner.invoke(
        app, ["query", "select supplier_id from twin.supplier_performance", "-f", "csv"]
    )
    assert result.output.splitlines() == ["supplier_id", "'=cmd|calc"]


def test_query_bad_sql_gives_clear_error(twin_home: Path) -> None:
    """Bad SQL prints the DuckDB message on one line, exit code 2, no traceback."""
    _publish_small_file(twin_home)
    result = runner.invoke(app, ["query", "selec nothing"])
    assert result.exit_code == 3
    assert "query failed" in result.output
    assert "Traceback" not in result.output


def test_query_cannot_change_the_published_file(twin_home: Path) -> None:
    """The published file is opened read-only: a write is refused and the data is unchanged."""
    _publish_small_file(twin_home)
    result = runner.invoke(app, ["query", "delete from history.capability"])
    assert result.exit_code == 3
    assert "read-only" in result.output.lower() or "read only" in result.output.lower()
    check = runner.invoke(
        app, ["query", "select count(*) as n from history.capability", "-f", "csv"]
    )
    assert check.output.splitlines() == ["n", "2"]


def test_query_without_home_says_what_to_do(twin_home: Path) -> None:
    """No TWIN_HOME yet: the message says to run twin init."""
    result = runner.invoke(app, ["query", "select 1"])
    assert result.exit_code == 3
    assert "twin init" in result.output


def test_query_unknown_snapshot_is_an_error(twin_home: Path) -> None:
    """--snapshot naming no snapshot fails clearly."""
    _publish_small_file(twin_home)
    result = runner.invoke(app, ["query", "select 1", "--snapshot", "99"])
    assert result.exit_code == 3
    assert "no snapshot 99" in result.output
