"""DuckDB connections and the warehouse schema: the one module that opens database files.

DuckDB allows one writing process or many reading processes per file. Flows write
``warehouse.duckdb``; analysts read the published ``plant.duckdb`` (see
``twin_core.publish``). Everything here uses the DuckDB 2 Python API: relations have no
``fetchone``; fetch results from ``con.execute(...)`` and finish them before the next
``con.sql``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from twin_core.errors import WarehouseError as WarehouseError  # re-exported
from twin_core.errors import WarehouseLocked
from twin_core.settings import Settings

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
VIEWS_DIR = SQL_DIR / "views"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One explicit transaction: committed when the block ends, rolled back when it raises.

    When the rollback itself fails (DuckDB already aborted the transaction, the disk is
    full) the block's own error is raised, with the rollback's failure as a note: the user
    sees "No space left on device", not "cannot rollback - no transaction is active".
    """
    con.execute("begin transaction")
    try:
        yield con
    except BaseException as exc:
        try:
            con.execute("rollback")
        except duckdb.Error as failed:
            exc.add_note(f"(the rollback after it failed too: {failed})")
        raise
    con.execute("commit")


def sql_file(*parts: str) -> str:
    """The text of the repository's ``sql/<parts...>.sql`` (``sql_file("inputs", "oee")``):
    the one loader of the SQL the code runs."""
    return SQL_DIR.joinpath(*parts[:-1], f"{parts[-1]}.sql").read_text(encoding="utf-8")


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal, for the statements that take no parameters (DDL such
    as COMMENT ON, view definitions). Values from outside the code go in as parameters."""
    return "'" + text.replace("'", "''") + "'"


T = TypeVar("T")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def used_params(sql: str, params: Mapping[str, T]) -> dict[str, T]:
    """The named parameters ``sql`` uses, of ``params`` (DuckDB refuses ones it does not)."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in params.items() if k in used}


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The columns of ``schema.table`` in the current database, in order (empty: no table)."""
    return [
        str(r[0])
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
            "and database_name = current_database() order by column_index",
            [schema, table],
        ).fetchall()
    ]


def append_frame(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame
) -> int:
    """Append ``frame`` to ``schema.table`` by column name; return the rows written.

    The one frame writer of the library. A column the table lacks is refused (a
    ``WarehouseError`` naming it), never dropped: a builder's new column needs its migration.
    Columns of the table the frame lacks are null.
    """
    known = set(table_columns(con, schema, table))
    if not known:
        raise WarehouseError(f"{schema}.{table} does not exist; add it to sql/schema")
    extra = set(frame.columns) - known
    if extra:
        raise WarehouseError(f"{schema}.{table} has no column(s) {sorted(extra)}")
    if frame.is_empty():
        return 0
    con.register("_append_frame", frame.to_arrow())
    try:
        con.execute(
            f"insert into {quote_ident(schema)}.{quote_ident(table)} by name "
            "select * from _append_frame"
        )
    finally:
        con.unregister("_append_frame")
    return frame.height


class WarehouseDamaged(WarehouseError):
    """A DuckDB file is damaged (truncated, overwritten, not a database): nothing is written
    to it; ``twin doctor`` checks the files and ``twin recover`` rebuilds the warehouse."""


# What DuckDB says when the bytes of a file are wrong (not a lock, a typo or a full disk).
_DAMAGED = re.compile(
    r"not a valid DuckDB database file|Could not read enough bytes|Corrupt database file|"
    r"computed checksum",
    re.IGNORECASE,
)


def looks_damaged(exc: BaseException) -> bool:
    """Whether a DuckDB error means the file's bytes are damaged."""
    return isinstance(exc, duckdb.Error) and bool(_DAMAGED.search(str(exc)))


def damaged_marker(path: Path) -> Path:
    """The file that records, beside a warehouse, that it was found damaged (and why)."""
    return path.with_name(path.name + ".damaged")


def seen_path(path: Path) -> Path:
    """The file recording a warehouse's size and modification time as its last writer here
    left it; a warehouse that differs was changed by something else, so it is read whole."""
    return path.with_name(path.name + ".seen")


def _fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ino}"


def unreadable_tables(con: duckdb.DuckDBPyConnection) -> tuple[int, list[tuple[str, str]]]:
    """Read every column of every table (so every block, and DuckDB checks each block's
    checksum as it reads it). Returns the tables read and those that failed, with why."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not temporary order by 1, 2"
    ).fetchall()
    failed: list[tuple[str, str]] = []
    for schema, table in tables:
        name = f"{quote_ident(str(schema))}.{quote_ident(str(table))}"
        try:
            # An aggregate of every column's hash reads each column's blocks whole.
            con.execute(f"select count(*), bit_xor(hash(columns(*))) from {name}").fetchall()
        except duckdb.Error as exc:
            text = str(exc).strip()
            failed.append((f"{schema}.{table}", text.splitlines()[0] if text else repr(exc)))
    return len(tables), failed


def _damaged(target: str, exc: BaseException) -> WarehouseDamaged:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return WarehouseDamaged(
        f"{target} is damaged ({first}); nothing was written to it. `twin doctor` checks the "
        "files; `twin recover` rebuilds the warehouse from the landing files (see the README)"
    )


def _config(settings: Settings | None) -> dict[str, str | bool | int | float | list[str]]:
    cfg: dict[str, str | bool | int | float | list[str]] = {}
    if settings is not None:
        if settings.duckdb_threads is not None:
            cfg["threads"] = settings.duckdb_threads
        if settings.duckdb_memory_limit is not None:
            cfg["memory_limit"] = settings.duckdb_memory_limit
    return cfg


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    settings: Settings | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file (``":memory:"`` for a scratch database).

    A lock held by another process becomes a ``WarehouseError`` that says so, instead of
    DuckDB's raw IO error.
    """
    target = str(path)
    if read_only and target != ":memory:" and not Path(target).exists():
        raise WarehouseError(f"{target} does not exist yet")
    if target != ":memory:" and Path(target).is_dir():
        raise WarehouseError(f"{target} is a folder, not a DuckDB file; move it away")
    try:
        con = duckdb.connect(target, read_only=read_only, config=_config(settings))
    except duckdb.Error as exc:
        if looks_damaged(exc):
            raise _damaged(target, exc) from exc
        if "lock" in str(exc).lower() or "different configuration" in str(exc):
            raise WarehouseLocked(
                f"{target} is locked by another process (a nightly run or a writer is using it); "
                "try again when it finishes"
            ) from exc
        if "WAL" in str(exc):
            raise WarehouseError(
                f"cannot open {target}: its write-ahead log {target}.wal does not fit the file "
                "(a read-write session wrote to an earlier file of this name). For plant.duckdb "
                "the next `twin publish` moves it aside; open plant.duckdb read-only. "
                f"({str(exc).splitlines()[0]})"
            ) from exc
        raise WarehouseError(f"cannot open {target}: {exc}") from exc
    except OSError as exc:
        raise WarehouseError(f"cannot open {target}: {exc}") from exc
    # Timestamps are stored as naive UTC; make DuckDB's own clock functions agree.
    con.execute("set TimeZone = 'UTC'")
    return con


# Settings that make a DuckDB session read only what it already has open: no file, network
# or extension access (read_csv, copy ... to, attach, export, install, load, http URLs), and
# no way to change any setting afterwards (``set``/``reset``/``pragma`` are refused).
_LOCKED_SESSION: tuple[str, ...] = (
    "set autoinstall_known_extensions = false",
    "set autoload_known_extensions = false",
    "set allow_community_extensions = false",
    "set enable_external_access = false",
    "set lock_configuration = true",
)


def lock_session(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Lock a query session down: from now on it reaches only the databases it has attached
    (read-only ones stay read-only), never a file, the network or an extension, and its
    configuration cannot be changed. Used by ``twin query`` on the published file."""
    for statement in _LOCKED_SESSION:
        con.execute(statement)
    return con


@contextmanager
def open_warehouse(
    settings: Settings, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The working warehouse of ``settings.home``, schema applied (unless read-only).

    A damaged file (DuckDB finds wrong bytes at open or in any statement run inside the
    ``with``) becomes ``WarehouseDamaged``, and a marker file beside it makes every later
    write open refuse, until ``twin recover`` has rebuilt it."""
    path = settings.warehouse_path
    if not settings.home.exists() and not read_only:
        raise WarehouseError(f"TWIN_HOME {settings.home} does not exist; run `twin init` first")
    marker = damaged_marker(path)
    if not read_only and marker.exists():
        reason = marker.read_text(encoding="utf-8", errors="replace").strip()
        raise WarehouseDamaged(
            f"{path} was found damaged ({reason}); nothing is written to it until "
            "`twin recover` has rebuilt it (`twin doctor` checks the files)"
        )
    # Changed since this code last wrote it (by another program, a disk fault, a crash)?
    touched = (
        not read_only
        and path.is_file()
        and (
            not seen_path(path).exists()
            or seen_path(path).read_text(encoding="utf-8").strip() != _fingerprint(path)
        )
    )
    try:
        con = connect(path, read_only=read_only, settings=settings)
    except WarehouseDamaged as exc:
        _mark_damaged(marker, exc.__cause__ or exc)
        raise
    try:
        if touched:
            # Before writing anything: read it whole, so garbage inside is found now.
            _, failed = unreadable_tables(con)
            if failed:
                table, why = failed[0]
                _mark_damaged(marker, RuntimeError(f"{table}: {why}"))
                raise _damaged(
                    str(path), RuntimeError(f"{len(failed)} table(s) unreadable: {table}: {why}")
                )
        if not read_only:
            apply_schema(con)
            from twin_core.ingest.lake import ensure_root  # ingest imports this module

            ensure_root(con, settings.home)
        yield con
    except duckdb.Error as exc:
        if looks_damaged(exc):
            _mark_damaged(marker, exc)
            raise _damaged(str(path), exc) from exc
        raise
    finally:
        con.close()
        if not read_only and path.is_file() and not marker.exists():
            seen_path(path).write_text(_fingerprint(path) + "\n", encoding="utf-8")


def _mark_damaged(marker: Path, exc: BaseException) -> None:
    if marker.parent.is_dir():
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        marker.write_text(first + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def migrations(schema_dir: Path = SCHEMA_DIR) -> list[Migration]:
    """The schema files ``NNN_<name>.sql`` in version order."""
    found: list[Migration] = []
    for p in sorted(schema_dir.glob("*.sql")):
        m = _MIGRATION_NAME.match(p.name)
        if m is None:
            raise WarehouseError(f"schema file {p.name} is not named NNN_<name>.sql")
        found.append(Migration(int(m.group(1)), m.group(2), p))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"duplicate schema versions in {schema_dir}")
    return found


def view_files(views_dir: Path = VIEWS_DIR) -> list[Path]:
    """View definitions, one statement per file, ``sql/views/<schema>/<name>.sql``."""
    return sorted(views_dir.glob("*/*.sql"))


def apply_schema(con: duckdb.DuckDBPyConnection, schema_dir: Path = SCHEMA_DIR) -> list[int]:
    """Apply the schema files not yet applied, each in its own transaction (after checking
    that those applied before are unchanged), then (re)create the views and comment every
    table, view and column with its declared meaning (``twin_core/tables.py``). Returns the
    versions applied now; applying twice applies nothing."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.schema_version ("
        " version integer primary key, name varchar, checksum varchar, applied_at timestamp)"
    )
    applied = {
        int(v): (str(n), str(c or ""))
        for v, n, c in con.execute(
            "select version, name, checksum from meta.schema_version"
        ).fetchall()
    }
    found = migrations(schema_dir)
    verify_checksums(applied, found)
    done: list[int] = []
    for mig in found:
        if mig.version in applied:
            continue
        with transaction(con):
            con.execute(mig.sql)
            con.execute(
                "insert into meta.schema_version values (?, ?, ?, now()::timestamp)",
                [mig.version, mig.name, mig.checksum],
            )
        done.append(mig.version)
    apply_views(con, schema_dir.parent / "views")
    from twin_core.tables import apply_comments

    apply_comments(con)
    return done


# Checksums of applied migrations edited in place before checksums were verified, where the
# edit changed only comments (so a warehouse that applied the earlier text has the same
# schema): version -> earlier checksums accepted.
EARLIER_CHECKSUMS: dict[int, frozenset[str]] = {
    10: frozenset({"fda83fd06f80b661805c8a463e93c59f652204178bc0dc04812e8a2a35100b64"}),
    80: frozenset({"78792b8e4d14714a7313b4f197a744acc779acbd99ef8ae007fa3f5125769773"}),
}


def verify_checksums(applied: dict[int, tuple[str, str]], found: list[Migration]) -> None:
    """Refuse a warehouse whose applied migrations differ from the files in ``sql/schema``:
    an applied file edited afterwards (its change never reaches this warehouse), or removed.
    Migrations are immutable; a change goes in a new file (``twin migration``)."""
    by_version = {m.version: m for m in found}
    for version, (name, checksum) in sorted(applied.items()):
        mig = by_version.get(version)
        if mig is None:
            raise WarehouseError(
                f"migration {version:03d}_{name}.sql was applied to this warehouse but is not in "
                f"{SCHEMA_DIR}; this code is older than the warehouse (upgrade plant-twin)"
            )
        if checksum != mig.checksum and checksum not in EARLIER_CHECKSUMS.get(version, ()):
            raise WarehouseError(
                f"migration {mig.path.name} changed after it was applied to this warehouse "
                f"(stored checksum {checksum[:12]}, file {mig.checksum[:12]}): applied "
                "migrations are immutable; restore the file and put the change in a new "
                "migration (`twin migration NNN_name`)"
            )


def apply_views(con: duckdb.DuckDBPyConnection, views_dir: Path = VIEWS_DIR) -> None:
    """(Re)create every macro (``sql/macros``) and then every view (``sql/views``) of the
    query surface. They hold no data, so the published file gets them anew too."""
    for p in sorted((views_dir.parent / "macros").glob("*.sql")):
        con.execute(p.read_text(encoding="utf-8"))
    for p in view_files(views_dir):
        con.execute(p.read_text(encoding="utf-8"))


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("select coalesce(max(version), 0) from meta.schema_version").fetchone()
    return int(row[0]) if row else 0


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL. Only for names that come from the contract or the
    schema, never for values; values always go in as parameters."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return f'"{name}"'


def fetch_polars(
    con: duckdb.DuckDBPyConnection, sql: str, params: object | None = None
) -> pl.DataFrame:
    """Run a (parameterised) query and return its result as a polars frame.

    DuckDB 2 connections have no ``.pl()``; an Arrow table from a relation is the zero-copy
    path (from ``execute`` it costs an extra copy of the rows, and DuckDB warns).
    """
    # A caller's earlier ``execute(...).fetchone()`` leaves its result open, and an open result
    # blocks ``sql()``: run it to its end first (it was read; this only closes it).
    con.complete()
    table = con.sql(sql, params=params).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
