"""The warehouse schema: migrations apply in order, once, and leave a usable query surface."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from twin_core.contracts import RETYPED, SOURCES, render_layer_sql
from twin_core.warehouse import (
    SCHEMA_DIR,
    WarehouseError,
    apply_schema,
    connect,
    migrations,
    quote_ident,
    schema_version,
)


def _catalog(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() order by all"
    ).fetchall()


def test_schema_applied_twice_leaves_it_unchanged(tmp_path: Path) -> None:
    """A second apply applies nothing and the catalog and recorded versions are identical."""
    con = connect(tmp_path / "w.duckdb")
    first = apply_schema(con)
    before = _catalog(con)
    versions = con.execute(
        "select version, checksum from meta.schema_version order by 1"
    ).fetchall()
    second = apply_schema(con)
    assert first == [m.version for m in migrations()]
    assert second == []
    assert _catalog(con) == before
    assert (
        con.execute("select version, checksum from meta.schema_version order by 1").fetchall()
        == versions
    )
    assert schema_version(con) == max(first)


def test_generated_layer_files_match_the_contracts() -> None:
    """sql/schema raw and core files are exactly what the contracts generate, with the types
    of columns a later migration retyped as they were when the files were applied."""
    assert (SCHEMA_DIR / "030_raw.sql").read_text() == render_layer_sql(
        "raw", as_first_applied=True
    )
    assert (SCHEMA_DIR / "035_core.sql").read_text() == render_layer_sql(
        "core", as_first_applied=True
    )


def test_migrated_layers_have_the_contract_types(mem_db: duckdb.DuckDBPyConnection) -> None:
    """After every migration each contract column of raw.<name> and core.<name> has the
    contract's current type, and every retyped column names a migration that exists."""
    for (source, column), (_, migration) in RETYPED.items():
        assert column in SOURCES[source].column_names
        assert (SCHEMA_DIR / f"{migration}.sql").exists(), migration
    for name, src in SOURCES.items():
        for layer in ("raw", "core"):
            got = dict(
                mem_db.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where schema_name = ? and table_name = ?",
                    [layer, name],
                ).fetchall()
            )
            for col in src.columns:
                assert got[col.name] == col.type, (layer, name, col.name)


def test_every_source_has_a_raw_and_a_core_table(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Each contract source lands in raw.<name> and core.<name> with its contract columns."""
    for name, src in SOURCES.items():
        for layer in ("raw", "core"):
            cols = [
                r[0]
                for r in mem_db.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [layer, name],
                ).fetchall()
            ]
            assert cols[: len(src.columns)] == list(src.column_names)


def test_query_surface_views_exist_and_are_empty(mem_db: duckdb.DuckDBPyConnection) -> None:
    """Each twin.* view of docs/definitions.md's query surface can be queried on a fresh warehouse."""
    for view in (
        "snapshots",
        "machine_day",
        "machine_health",
        "sensor_status",
        "line_forecast",
        "material_status",
        "supplier_performance",
        "spc_limits",
        "spc_violations",
        "capability",
        "feedback_insights",
    ):
        assert mem_db.execute(f"select count(*) from twin.{view}").fetchall() == [(0,)]
    assert mem_db.execute("select count(*) from report.instructions").fetchall() == [(0,)]


def test_migration_file_with_bad_name_is_refused(tmp_path: Path) -> None:
    """A schema file not named NNN_<name>.sql is an error, not silently skipped."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "first.sql").write_text("select 1;")
    with pytest.raises(WarehouseError, match="NNN_<name>"):
        migrations(tmp_path / "schema")


def test_locked_file_gives_a_clear_error(tmp_path: Path) -> None:
    """Opening a file another connection config holds read-write is reported as a WarehouseError."""
    path = tmp_path / "w.duckdb"
    con = connect(path)
    try:
        with pytest.raises(WarehouseError):
            connect(path, read_only=True)
    finally:
        con.close()


def test_quote_ident_refuses_anything_but_a_plain_name() -> None:
    """Identifiers are checked, so no value can be pasted into SQL as a name."""
    assert quote_ident("machine_day") == '"machine_day"'
    with pytest.raises(ValueError):
        quote_ident('x"; drop table y; --')


def test_transaction_commits_and_rolls_back(mem_db: duckdb.DuckDBPyConnection) -> None:
    from twin_core.warehouse import transaction

    mem_db.execute("create table t (x integer)")
    with transaction(mem_db):
        mem_db.execute("insert into t values (1)")
    with pytest.raises(ValueError, match="boom"), transaction(mem_db):
        mem_db.execute("insert into t values (2)")
        raise ValueError("boom")
    assert mem_db.execute("select x from t").fetchall() == [(1,)]


def test_a_failed_rollback_does_not_hide_the_real_error(mem_db: duckdb.DuckDBPyConnection) -> None:
    """The block's own error reaches the user (a full disk), not 'no transaction is active'."""
    from twin_core.warehouse import transaction

    with pytest.raises(OSError, match="No space left on device") as caught, transaction(mem_db):
        mem_db.execute("rollback")  # DuckDB aborted the transaction itself
        raise OSError(28, "No space left on device")
    assert any("no transaction is active" in n for n in caught.value.__notes__)


def test_a_failed_commit_reaches_the_caller_and_ends_the_transaction(tmp_path: Path) -> None:
    """A commit that fails (two transactions inserted the same key; the second commits last)
    raises the commit's own error, and DuckDB has ended the transaction: the connection runs
    the next statement on its own. Three callers that spelled out begin/commit/rollback rolled
    back after a failed commit, which then failed with "no transaction is active" and hid
    the real error; ``transaction`` leaves the commit outside its rollback for that reason."""
    from twin_core.warehouse import transaction

    first = duckdb.connect(str(tmp_path / "w.duckdb"))
    first.execute("create table t (x integer primary key)")
    second = first.cursor()
    first.execute("begin transaction")
    first.execute("insert into t values (5)")
    with pytest.raises(duckdb.Error, match=r"Failed to commit.*duplicate key"), transaction(second):
        second.execute("insert into t values (5)")
        first.execute("commit")
    second.execute("insert into t values (6)")
    assert first.execute("select x from t order by x").fetchall() == [(5,), (6,)]
