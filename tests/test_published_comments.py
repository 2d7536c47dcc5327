"""Every table, view and column of the published plant.duckdb carries a COMMENT (its declared
meaning), so DuckDB clients (the CLI's .schema, DBeaver, duckdb_columns()) show the dictionary."""

from __future__ import annotations

from datetime import date

from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.tables import table
from twin_core.warehouse import connect, open_warehouse


def test_every_column_of_plant_duckdb_has_a_comment(settings: Settings) -> None:
    with open_warehouse(settings) as con:
        con.execute(
            "insert into history.snapshots (snapshot_id, as_of, created_at, status, code_version) "
            "values (1, ?, now()::timestamp, 'complete', 'test')",
            [date(2026, 1, 5)],
        )
    publish(settings)
    con = connect(settings.published_path, read_only=True)
    try:
        objects = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where database_name = current_database() union all "
            "select schema_name, view_name, comment from duckdb_views() "
            "where database_name = current_database() and not internal"
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database() and not internal"
        ).fetchall()
        oee = con.execute(
            "select comment from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'twin' and table_name = 'machine_day' and column_name = 'oee'"
        ).fetchone()
    finally:
        con.close()
    assert len(objects) > 40 and len(columns) > 500
    assert [f"{s}.{t}" for s, t, c in objects if not (c or "").strip()] == []
    assert [f"{s}.{t}.{c}" for s, t, c, m in columns if not (m or "").strip()] == []
    assert oee == (table("history.machine_day").column("oee").meaning,)
