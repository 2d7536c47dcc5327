"""The published plant.duckdb opens in the DuckDB 1.x clients analysts have (CLI, JDBC, Python).

DuckDB 2 writes storage format v69 by default; DuckDB 1.5 (the newest 1.x CLI and the JDBC
driver DBeaver ships) reads 64-68 only. Publish writes the format of
``settings.published_storage_version``. These tests open the file with the registry's
``duckdb==1.5.6`` in its own virtual environment (built once, kept in the temporary folder).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.tiny_plant import seed_tiny_plant, tiny_snapshot
from twin_core.publish import PublishError, build_published_file, publish
from twin_core.settings import Settings
from twin_core.warehouse import SQL_DIR, open_warehouse

OLD_DUCKDB = "1.5.6"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def old_duckdb_python() -> Path:
    """A Python with duckdb 1.5.6 (and nothing else of this project) installed, in its own
    virtual environment under the temporary folder, keyed on the version: built once and kept
    between sessions (also under ``-p no:cacheprovider``); a lock keeps two sessions from
    building it at once."""
    env = Path(tempfile.gettempdir()) / f"plant-twin-duckdb-{OLD_DUCKDB}-venv"
    python = env / "bin" / "python"
    with (env.parent / f"{env.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        probe = subprocess.run(
            [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() != OLD_DUCKDB or not (env / "bin" / "duckdb").exists():
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    f"duckdb=={OLD_DUCKDB}",
                    f"duckdb-cli=={OLD_DUCKDB}",
                ],
                check=True,
            )
    return python


READ_ALL = textwrap.dedent(
    """
    import json, sys
    import duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    out = {"version": duckdb.__version__, "views": {}, "queries": {}, "comments": None}
    views = con.execute(
        "select schema_name, view_name from duckdb_views() where not internal order by 1, 2"
    ).fetchall()
    for schema, view in views:
        try:
            out["views"][f"{schema}.{view}"] = len(
                con.execute(f'select * from "{schema}"."{view}"').fetchall()
            )
        except Exception as exc:
            out["views"][f"{schema}.{view}"] = "error: " + str(exc).splitlines()[0]
    for path in sys.argv[2:]:
        try:
            out["queries"][path] = len(con.execute(open(path).read()).fetchall())
        except Exception as exc:
            out["queries"][path] = "error: " + str(exc).splitlines()[0]
    print(json.dumps(out))
    """
)


def _read_with(python: Path, db: Path, queries: list[Path]) -> dict[str, object]:
    done = subprocess.run(
        [str(python), "-c", READ_ALL, str(db), *map(str, queries)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_published_file_opens_in_duckdb_1x_with_every_view_and_example_query(
    settings: Settings, old_duckdb_python: Path
) -> None:
    """Every view and every example query of the published file answers in DuckDB 1.5.6,
    with the same row counts as in DuckDB 2."""
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    publish(settings)
    queries = sorted((SQL_DIR / "queries").glob("*.sql"))
    old = _read_with(old_duckdb_python, settings.published_path, queries)
    assert old["version"] == OLD_DUCKDB
    views = old["views"]
    assert isinstance(views, dict)
    # Every view of the query surface (sql/views/<schema>/<name>.sql) is there.
    surface = {f"{f.parent.name}.{f.stem}" for f in (SQL_DIR / "views").glob("*/*.sql")}
    assert surface <= set(views)
    errors = {k: v for k, v in {**views, **old["queries"]}.items() if isinstance(v, str)}  # type: ignore[dict-item]
    assert errors == {}
    new = _read_with(Path(sys.executable), settings.published_path, queries)
    assert new["views"] == views
    assert new["queries"] == old["queries"]
    assert views["twin.inventory_projection"] > 0  # the tiny plant's 14-day projection


def test_published_file_opens_in_the_duckdb_1x_cli_read_only(
    settings: Settings, old_duckdb_python: Path
) -> None:
    """The registry's DuckDB CLI 1.5.6 (`duckdb -readonly`) answers a query on the file."""
    seed_tiny_plant(settings)
    tiny_snapshot(settings)
    publish(settings)
    cli = old_duckdb_python.parent / "duckdb"
    done = subprocess.run(
        [
            str(cli),
            "-readonly",
            "-csv",
            str(settings.published_path),
            "-c",
            "select count(*) as n from twin.inventory_projection",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "14"]


def test_default_duckdb_2_format_is_what_old_clients_refuse(
    tmp_path: Path, old_duckdb_python: Path
) -> None:
    """The reason for the setting: a file in DuckDB 2's own format does not open in 1.5.6."""
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table t as select 1 as x")
    con.close()
    done = subprocess.run(
        [str(old_duckdb_python), "-c", READ_ALL, str(path)], capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "version" in done.stderr.lower()


def test_a_storage_version_that_is_not_a_version_is_refused(settings: Settings) -> None:
    """The version goes into the ATTACH text, so anything but vX.Y.Z is refused up front."""
    with open_warehouse(settings) as con, pytest.raises(PublishError, match="not like"):
        build_published_file(con, settings.home / "x.duckdb", "v1'; drop table x; --")
    assert not (settings.home / "x.duckdb").exists()


def test_settings_refuse_a_malformed_storage_version(twin_home: Path) -> None:
    """A typo in twin.toml or TWIN_PUBLISHED_STORAGE_VERSION fails at settings time."""
    with pytest.raises(ValueError, match="published_storage_version"):
        Settings(home=twin_home, published_storage_version="1.2")
