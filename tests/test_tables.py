"""The table declarations (twin_core/tables.py) are the warehouse: same tables, columns, types,
keys and comments as the migrations create; migrations are immutable (checksums verified) and
an upgraded warehouse equals a fresh one."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import pytest

from twin_core import tables as T
from twin_core.warehouse import (
    EARLIER_CHECKSUMS,
    SCHEMA_DIR,
    WarehouseError,
    apply_schema,
    connect,
)

PREVIOUS_RELEASE = Path(__file__).resolve().parent / "fixtures" / "schema_11cbe1f"


def catalogue(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Tables and views with their kind and comment; columns with type, nullability, comment;
    primary keys. Everything an upgraded warehouse must share with a fresh one."""
    objects = con.execute(
        "select schema_name, table_name, 'table', comment from duckdb_tables() "
        "where database_name = current_database() and not temporary union all "
        "select schema_name, view_name, 'view', comment from duckdb_views() "
        "where database_name = current_database() and not internal and not temporary "
        "order by 1, 2"
    ).fetchall()
    columns = con.execute(
        "select schema_name, table_name, column_index, column_name, data_type, is_nullable, "
        "comment from duckdb_columns() where database_name = current_database() "
        "and not internal order by 1, 2, 3"
    ).fetchall()
    keys = con.execute(
        "select schema_name, table_name, constraint_type, constraint_column_names "
        "from duckdb_constraints() where database_name = current_database() "
        "and constraint_type in ('PRIMARY KEY', 'UNIQUE') order by all"
    ).fetchall()
    return {"objects": objects, "columns": columns, "keys": keys}


@pytest.fixture
def fresh(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "fresh.duckdb")
    apply_schema(con)
    return con


def test_declaration_equals_the_warehouse_catalogue(fresh: duckdb.DuckDBPyConnection) -> None:
    """Every warehouse table is declared with its columns in order, their types, not-null and
    key; every declared table exists; table and column comments are the declared meanings."""
    have: dict[str, list[tuple[str, str, bool, str]]] = {}
    for s, t, c, typ, nullable, comment in fresh.execute(
        "select c.schema_name, c.table_name, column_name, data_type, is_nullable, c.comment "
        "from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, "
        "table_name) where c.database_name = current_database() order by all"
    ).fetchall():
        have.setdefault(f"{s}.{t}", []).append((c, typ, not nullable, comment))
    ordered = {
        f"{s}.{t}": [str(c) for c in cols]
        for s, t, cols in fresh.execute(
            "select schema_name, table_name, list(column_name order by column_index) "
            "from duckdb_columns() where database_name = current_database() group by all"
        ).fetchall()
    }
    declared = {t.full_name: t for t in T.TABLES if t.in_warehouse}
    missing = T.migration_sql(fresh)
    assert not missing, f"declared, not migrated: run `twin migration NNN_name`:\n{missing}"
    assert sorted(have) == sorted(declared), "undeclared tables"
    for name, t in declared.items():
        assert ordered[name] == [c.name for c in t.columns], name
        got = {c: (typ, nn, comment) for c, typ, nn, comment in have[name]}
        for c in t.columns:
            assert got[c.name] == (c.type, c.not_null, c.meaning), f"{name}.{c.name}"
    keys = {
        f"{s}.{t}": tuple(cols)
        for s, t, cols in fresh.execute(
            "select schema_name, table_name, constraint_column_names from duckdb_constraints() "
            "where constraint_type = 'PRIMARY KEY' and database_name = current_database()"
        ).fetchall()
    }
    assert keys == {n: t.key for n, t in declared.items() if t.key}
    comments = dict(
        (f"{s}.{t}", c)
        for s, t, c in fresh.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
    )
    assert comments == {n: t.description for n, t in declared.items()}


def test_every_view_is_declared_over_a_declared_table(fresh: duckdb.DuckDBPyConnection) -> None:
    """Each view of the query surface shows columns of the table it is declared over (same
    name, same type), and carries its comment and the columns' meanings."""
    views = fresh.execute(
        "select schema_name || '.' || view_name, comment from duckdb_views() "
        "where database_name = current_database() and not internal"
    ).fetchall()
    assert sorted(v for v, _ in views) == sorted(T.VIEWS)
    for view, comment in views:
        assert comment == T.VIEWS[view][1]
        base = T.table(
            "raw.sensor_readings_rows" if view == "core.sensor_readings" else T.VIEWS[view][0]
        )
        schema, name = view.split(".")
        for col, typ, comment in fresh.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where schema_name = ? and table_name = ? and database_name = current_database()",
            [schema, name],
        ).fetchall():
            assert base.column(col).type == typ, f"{view}.{col}"
            assert comment == base.column(col).meaning, f"{view}.{col}"


def test_every_declared_column_has_a_meaning() -> None:
    """Every table has a grain and every column a meaning; no leftovers like '(issue: ...)'."""
    for t in T.TABLES:
        assert t.description.strip(), t.full_name
        assert "(issue" not in t.description, t.full_name
        for c in t.columns:
            assert c.meaning.strip(), f"{t.full_name}.{c.name}"
            assert "(issue" not in c.meaning and "TODO" not in c.meaning, f"{t.full_name}.{c.name}"


def test_comments_are_applied_once(fresh: duckdb.DuckDBPyConnection) -> None:
    """A warehouse whose comments are current needs no statement; a changed comment one."""
    assert T.comment_statements(fresh) == []
    fresh.execute("comment on column history.machine_day.oee is 'stale'")
    assert T.comment_statements(fresh) == [
        'comment on column "history"."machine_day"."oee" is '
        f"'{T.table('history.machine_day').column('oee').meaning}'"
    ]


def test_migration_sql_generates_new_tables_and_added_columns(
    fresh: duckdb.DuckDBPyConnection,
) -> None:
    """Nothing to generate for the declaration as it is; a declared new column becomes an
    `alter table add column` and a new table a `create table`, which apply cleanly."""
    assert T.migration_sql(fresh) == ""
    day = T.table("history.machine_day")
    grown = dataclasses.replace(
        day, columns=(*day.columns, T.Col("mtbf_s", "DOUBLE", "mean time between failures"))
    )
    new = T.Table(
        "history.machine_week",
        "One row per machine per ISO week.",
        (T.Col("snapshot_id", "BIGINT", not_null=True), T.Col("week", "DATE", "its Monday")),
    )
    sql = T.migration_sql(fresh, (grown, new))
    assert "alter table history.machine_day add column if not exists mtbf_s double;" in sql
    assert "create table if not exists history.machine_week (" in sql
    fresh.execute(sql)
    assert T.migration_sql(fresh, (grown, new)) == ""


def _copy_schema(to: Path, upto: int | None = None, source: Path = SCHEMA_DIR) -> Path:
    (to / "schema").mkdir(parents=True)
    for p in sorted(source.glob("*.sql")):
        if upto is None or int(p.name[:3]) <= upto:
            shutil.copy(p, to / "schema" / p.name)
    return to / "schema"


def test_an_applied_migration_that_changed_is_refused(tmp_path: Path) -> None:
    """Editing an applied migration file gives an error naming the file; nothing else runs."""
    schema = _copy_schema(tmp_path / "sql")
    con = connect(tmp_path / "w.duckdb")
    apply_schema(con, schema)
    edited = schema / "041_twin_machines.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")
    with pytest.raises(
        WarehouseError, match=r"041_twin_machines\.sql changed after it was applied"
    ):
        apply_schema(con, schema)
    edited.unlink()
    with pytest.raises(WarehouseError, match=r"041_twin_machines\.sql was applied"):
        apply_schema(con, schema)


def test_earlier_comment_only_edits_are_accepted(tmp_path: Path) -> None:
    """A warehouse that applied 010 before its comment-only edit still opens."""
    con = connect(tmp_path / "w.duckdb")
    apply_schema(con)
    (old,) = EARLIER_CHECKSUMS[10]
    con.execute("update meta.schema_version set checksum = ? where version = 10", [old])
    assert apply_schema(con) == []


@pytest.mark.parametrize("upto", [None, 93], ids=["release-11cbe1f", "older-prefix-093"])
def test_upgraded_warehouse_equals_a_fresh_one(
    tmp_path: Path, fresh: duckdb.DuckDBPyConnection, upto: int | None
) -> None:
    """A warehouse built with the previous release's migrations (tests/fixtures, a copy of
    sql/schema at 11cbe1f; or only its first ones), holding rows, is upgraded by today's
    apply_schema to the fresh warehouse's catalogue (tables, columns, types, keys, comments)
    and keeps its rows."""
    old_schema = _copy_schema(tmp_path / "old", upto, PREVIOUS_RELEASE)
    path = tmp_path / "old.duckdb"
    con = connect(path)
    apply_schema(con, old_schema)
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, code_version) "
        "values (1, date '2026-01-05', now()::timestamp, 'complete', 'old')"
    )
    con.execute(
        "insert into history.machine_day (snapshot_id, machine_id, day, oee) "
        "values (1, 'M1', date '2026-01-05', 0.5)"
    )
    con.close()
    con = connect(path)
    apply_schema(con)
    assert catalogue(con) == catalogue(fresh)
    assert con.execute("select machine_id, oee from history.machine_day").fetchall() == [
        ("M1", 0.5)
    ]
    con.close()
