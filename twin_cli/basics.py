"""`twin init`, `twin query`, `twin contracts`."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from twin_cli._app import UsageError, UserError, app, friendly, out
from twin_core.contracts import SOURCES, render_layer_sql
from twin_core.export import csv_cell as _csv_cell
from twin_core.export import jsonable as _jsonable
from twin_core.settings import Settings, get_settings

if TYPE_CHECKING:
    import duckdb

# DuckDB, polars and the warehouse module load inside the commands that use them, so that
# `twin --help` starts in well under a second (bench/startup_bench.py measures it).


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
@friendly
def init() -> None:
    """Create TWIN_HOME (landing/, reports/) and the warehouse schema."""
    from twin_core.warehouse import apply_schema, connect, schema_version

    s = get_settings()
    for d in (s.home, s.landing_dir, s.reports_dir, s.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        (s.landing_dir / name).mkdir(exist_ok=True)
    con = connect(s.warehouse_path, settings=s)
    try:
        applied = apply_schema(con)
        version = schema_version(con)
    finally:
        con.close()
    out.print(
        f"TWIN_HOME {s.home}: warehouse schema version {version}"
        + (f" (applied {applied})" if applied else " (up to date)")
    )


def render(columns: list[str], rows: list[tuple[Any, ...]], fmt: Format) -> str | Table:
    """Render a result set as a rich table, CSV or JSON (one object per row)."""
    if fmt is Format.json:
        return json.dumps(
            [{c: _jsonable(v) for c, v in zip(columns, r, strict=True)} for r in rows], indent=None
        )
    if fmt is Format.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[_csv_cell(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    table = Table(*columns, show_lines=False)
    for r in rows:
        table.add_row(*["" if v is None else str(_jsonable(v)) for v in r])
    return table


@app.command()
@friendly
def query(
    sql: str | None = typer.Argument(None, help="SQL to run against the published plant.duckdb."),
    file: Path | None = typer.Option(
        None, "--file", help="Read the SQL from a file, e.g. sql/queries/materials_to_order.sql."
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, csv or json."),
    snapshot: int | None = typer.Option(
        None,
        "--snapshot",
        help="Show the twin.* views as of this snapshot_id instead of the latest.",
    ),
) -> None:
    """Run read-only SQL on the published plant.duckdb (analysts never block the nightly)."""
    if (sql is None) == (file is None):
        raise UsageError("give the SQL as an argument or with --file (one of them)")
    if file is not None:
        sql = file.read_text(encoding="utf-8")
    assert sql is not None
    import duckdb

    from twin_core.warehouse import connect, lock_session

    s = get_settings()
    if not s.home.exists():
        raise UserError(
            f"TWIN_HOME {s.home} does not exist; run `twin init` (or `make demo`) first"
        )
    if not s.published_path.exists():
        raise UserError(
            f"nothing published yet: {s.published_path} does not exist; run the nightly first"
        )
    if snapshot is None:
        con = connect(s.published_path, read_only=True, settings=s)
    else:
        con = open_pinned(s.published_path, snapshot, s)
    # The user's SQL reaches the published file only: no other file, no network, no attach,
    # no extension, and no setting can be changed back (with --snapshot too).
    lock_session(con)
    try:
        try:
            _refuse_attach(con, sql)
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if columns else []
        except duckdb.Error as exc:
            raise UserError(f"query failed: {str(exc).strip()}") from None
    finally:
        con.close()
    if not columns:
        out.print("(statement returned no result set)")
        return
    rendered = render(columns, rows, fmt)
    if isinstance(rendered, str):
        typer.echo(rendered)
    else:
        out.print(rendered)


def _refuse_attach(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """No ATTACH or DETACH among the statements of ``sql`` (DuckDB's own parser tells, so
    comments, case and several statements in one string change nothing). External access
    off already refuses attaching a file; this also refuses ``attach ':memory:'`` and
    ``attach ''``, which need no file and would give the session a writable database."""
    import duckdb

    for statement in con.extract_statements(sql):
        kind = statement.type
        if kind in (duckdb.StatementType.ATTACH, duckdb.StatementType.DETACH):
            word = "attach" if kind == duckdb.StatementType.ATTACH else "detach"
            raise UserError(
                f"query failed: {word} is disabled by configuration in a query session "
                "(it reads the published file only; no database, in-memory ones included, "
                "can be attached or detached)"
            )


def open_pinned(path: Path, snapshot: int, settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory session over the published file in which every name resolves as usual,
    except that twin.* and report.* show ``snapshot`` instead of the latest.

    The published file is attached read-only as catalog ``plant``; the session's own
    catalog gets a view per published object, with the snapshot views pinned.
    """
    from twin_core.warehouse import connect, quote_ident

    con = connect(":memory:", settings=settings)
    con.execute("attach ? as plant (read_only)", [str(path)])
    found = con.execute(
        "select count(*) from plant.history.snapshots where snapshot_id = ?", [snapshot]
    ).fetchone()
    if not found or found[0] == 0:
        con.close()
        raise UserError(f"no snapshot {snapshot}; see `twin query 'select * from twin.snapshots'`")
    objects = con.execute(
        "select schema_name, table_name, false from duckdb_tables() where database_name = 'plant' "
        "union all select schema_name, view_name, true from duckdb_views() "
        "where database_name = 'plant' and not internal"
    ).fetchall()
    # History tables kept per snapshot (a snapshot_id column); the watch's tables are not.
    history = {
        str(r[0])
        for r in con.execute(
            "select table_name from duckdb_columns() where database_name = 'plant' "
            "and schema_name = 'history' and column_name = 'snapshot_id'"
        ).fetchall()
    }
    for schema, name, is_view in objects:
        sch, obj = quote_ident(schema), quote_ident(name)
        con.execute(f"create schema if not exists {sch}")
        source_name = name if name in history else None
        if is_view and schema in ("twin", "report") and source_name is not None:
            body = f"select * from plant.history.{obj} where snapshot_id = {int(snapshot)}"
        elif is_view and schema == "twin" and name == "snapshots":
            body = "select * from plant.history.snapshots order by snapshot_id desc"
        else:
            body = f"select * from plant.{sch}.{obj}"
        con.execute(f"create or replace view {sch}.{obj} as {body}")
    return con


@app.command()
@friendly
def contracts(
    ddl: str | None = typer.Option(
        None, "--ddl", help="Print the generated DDL of layer raw or core."
    ),
) -> None:
    """Describe the extract contract v1 (sources, columns, types, keys)."""
    if ddl is not None:
        if ddl not in ("raw", "core"):
            raise UsageError("--ddl takes raw or core")
        typer.echo(render_layer_sql("raw" if ddl == "raw" else "core"), nl=False)
        return
    for src in SOURCES.values():
        t = Table(
            title=f"{src.name} ({src.system}, {src.kind}{', optional' if src.optional else ''}) "
            f"key: {', '.join(src.key)}",
            title_justify="left",
        )
        for col in ("column", "type", "required", "rule"):
            t.add_column(col)
        for c in src.columns:
            rule = []
            if c.min is not None:
                rule.append((">" if c.strict_min else ">=") + f" {c.min:g}")
            if c.max is not None:
                rule.append(("<" if c.strict_max else "<=") + f" {c.max:g}")
            if c.allowed:
                rule.append("in " + "/".join(c.allowed))
            if c.references:
                rule.append(f"in {c.references[0]}.{c.references[1]}")
            t.add_row(c.name, c.type, "yes" if c.required else "no", ", ".join(rule))
        out.print(t)
