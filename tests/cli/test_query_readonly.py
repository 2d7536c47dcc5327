"""`twin query` is read-only: the user's SQL reaches the published file and nothing else.

Each hostile statement below is run against a real published file, with and without
``--snapshot`` (which opens an in-memory session over the file): it gets exit code 2 and one
line saying why, and the file system, the warehouse and the published file are as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_query import _publish_small_file
from twin_cli import app
from twin_core.warehouse import apply_schema, connect

runner = CliRunner()

# (case, SQL with {home} and {secret} placeholders, what the error says)
HOSTILE: list[tuple[str, str, str]] = [
    ("read a file (read_csv)", "select * from read_csv('{secret}')", "disabled by configuration"),
    ("read a file (read_text)", "select * from read_text('{secret}')", "disabled by configuration"),
    # With external access off, DuckDB does not even look for a file behind a quoted name.
    ("read a file by name", "select * from '{secret}'", "does not exist"),
    ("list a folder (glob)", "select * from glob('{home}/*')", "disabled by configuration"),
    (
        "write a file (copy to)",
        "copy (select 42 as x) to '{home}/warehouse.duckdb'",
        "disabled by configuration",
    ),
    ("export the database", "export database '{home}/export'", "disabled by configuration"),
    ("attach the warehouse", "attach '{home}/warehouse.duckdb' as w", "disabled by configuration"),
    (
        "attach and drop a table",
        "attach '{home}/warehouse.duckdb' as w; drop table w.history.snapshots",
        "disabled by configuration",
    ),
    # In-memory attach needs no file, so external access off lets it through; refused too.
    (
        "attach an in-memory database",
        "attach ':memory:' as m",
        "attach is disabled by configuration in a query session",
    ),
    (
        "attach an unnamed in-memory database",
        "attach '' as m",
        "attach is disabled by configuration in a query session",
    ),
    (
        "attach in-memory, hidden after a comment and a select",
        "select 1; /* x */ ATTACH IF NOT EXISTS ':memory:' AS m; create table m.t as select 1",
        "attach is disabled by configuration in a query session",
    ),
    (
        "detach the published file",
        "detach plant",
        "detach is disabled by configuration in a query session",
    ),
    ("install an extension (network)", "install httpfs", "disabled"),
    ("load an extension", "load httpfs", "disabled"),
    ("read a URL", "select * from 'https://example.com/x.csv'", "disabled by configuration"),
    ("turn external access back on", "set enable_external_access = true", "locked"),
    ("reset the setting", "reset enable_external_access", "locked"),
    ("unlock the configuration", "set lock_configuration = false", "locked"),
    ("move the spill folder", "set temp_directory = '{home}/spill'", "locked"),
    ("write a profile file", "set profiling_output = '{home}/profile.json'", "locked"),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published_home(twin_home: Path, tmp_path: Path) -> Path:
    _publish_small_file(twin_home)
    warehouse = connect(twin_home / "warehouse.duckdb")
    apply_schema(warehouse)
    warehouse.close()
    (tmp_path / "secret.txt").write_text("root:x:0:0:secret\n", encoding="utf-8")
    return twin_home


@pytest.mark.parametrize("snapshot", [None, "1"], ids=["latest", "snapshot"])
@pytest.mark.parametrize(("case", "sql", "says"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
def test_query_refuses_everything_beyond_the_published_file(
    published_home: Path, tmp_path: Path, snapshot: str | None, case: str, sql: str, says: str
) -> None:
    """Files, the network, attach, extensions and settings are refused; nothing changes."""
    home = published_home
    before = {p: _digest(p) for p in home.iterdir() if p.is_file()}
    statement = sql.format(home=home, secret=tmp_path / "secret.txt")
    args = ["query", statement] + (["--snapshot", snapshot] if snapshot else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 3, (case, result.output)
    said = " ".join(result.output.split())  # the console wraps long lines
    assert said.startswith("error: query failed:"), (case, said)
    assert says in said, (case, said)
    assert "secret" not in result.output.replace(str(tmp_path / "secret.txt"), "")
    after = {p: _digest(p) for p in home.iterdir() if p.is_file()}
    assert after == before, case
    assert not (home / "export").exists() and not (home / "spill").exists()


@pytest.mark.parametrize("snapshot", [None, "1"], ids=["latest", "snapshot"])
def test_a_locked_session_still_answers_queries(published_home: Path, snapshot: str | None) -> None:
    """The lock leaves reading the published file alone (views, macros, history)."""
    args = ["query", "select count(*) as n from history.snapshots", "--format", "csv"]
    result = runner.invoke(app, args + (["--snapshot", snapshot] if snapshot else []))
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["n", "2"]
    setting = runner.invoke(
        app,
        ["query", "select current_setting('enable_external_access') as e", "--format", "csv"]
        + (["--snapshot", snapshot] if snapshot else []),
    )
    assert setting.output.split() == ["e", "False"]
