"""Publish: build a new read-only ``plant.duckdb`` from the warehouse and swap it in.

DuckDB allows one writer OR many readers per file, never both. So analysts never open
the working ``warehouse.duckdb``; they open the published ``plant.duckdb``, which is
replaced whole: a new file is built beside it, checkpointed, closed, then
``os.replace``-d onto the old name. A reader that holds the old file open keeps seeing
the old snapshot (POSIX keeps the old inode alive); a new connection sees the new one.
A failure anywhere before the swap leaves the old file untouched.

What the published file carries (decided to keep publish time flat as history grows):

- ``history.*`` every snapshot of every twin table, ``twin.*`` / ``report.*`` views of the
  latest snapshot and the time-travel macros (``twin.at``, ``twin.as_of``);
- ``core.*`` the validated enterprise and master data, EXCEPT ``core.sensor_readings``;
- ``core.sensor_hourly`` hourly aggregates of sensor readings instead (count, mean, min, max,
  sd, bad-quality count per sensor per hour), maintained incrementally in the warehouse
  from the batches promoted since the last publish: raw sensor volume (86M rows a day at
  bench scale) would make every publish copy all history;
- ``quality.*`` quarantine and validation results, ``ingest.*`` the file manifest and batches;
- ``meta.publish`` one row describing this publication.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from twin_core import __version__
from twin_core.faults import crash_point
from twin_core.runlock import home_lock
from twin_core.settings import Settings
from twin_core.tables import apply_comments
from twin_core.warehouse import (
    WarehouseError,
    apply_views,
    connect,
    open_warehouse,
    quote_ident,
)

# Schemas copied whole (minus EXCLUDED) into the published file.
PUBLISHED_SCHEMAS: tuple[str, ...] = ("history", "core", "quality", "ingest", "scenario")
# core.sensor_readings is a view over raw (not a table); its exclusions mean nothing without it.
EXCLUDED: frozenset[tuple[str, str]] = frozenset(
    {("core", "sensor_readings"), ("core", "sensor_reading_exclusions")}
)


@dataclass(frozen=True)
class PublishResult:
    """What one publish did."""

    path: Path
    snapshot_id: int | None
    tables: int
    rows: int
    seconds: float
    size_bytes: int
    # What sat beside plant.duckdb and would have stopped the new file from opening (a WAL an
    # analyst's read-write session left), renamed to ``<name>.stale-<UTC time>``.
    moved_aside: tuple[Path, ...] = ()


class PublishError(WarehouseError):
    """Publishing failed; the previously published file is untouched."""


def refresh_sensor_hourly(con: duckdb.DuckDBPyConnection) -> int:
    """Bring ``core.sensor_hourly`` up to date with the sensor batches promoted to core since
    the last refresh; only the (sensor, hour) groups those batches touch are recomputed,
    so the cost follows the new data, not the history. Returns the groups recomputed."""
    # Promoted since it was last folded in (a batch validated again is promoted again).
    con.execute(
        "create temp table _new_batches as "
        "select batch_id as _batch_id from core.promoted_batches p "
        "where source = 'sensor_readings' and not exists (select 1 from "
        "meta.sensor_hourly_batches h where h.batch_id = p.batch_id "
        "and h.aggregated_at >= p.promoted_at)"
    )
    try:
        con.execute(
            # From raw: every row of the batch, also those its promotion left out of core.
            "create temp table _touched as "
            "select distinct sensor_id, date_trunc('hour', ts) as hour "
            "from raw.sensor_readings where _batch_id in (select _batch_id from _new_batches)"
        )
        row = con.execute("select count(*) from _touched").fetchone()
        touched = int(row[0]) if row else 0
        if touched:
            con.execute(
                "delete from core.sensor_hourly h using _touched t "
                "where h.sensor_id = t.sensor_id and h.hour = t.hour"
            )
            con.execute(
                "insert into core.sensor_hourly "
                "select r.sensor_id, date_trunc('hour', r.ts) as hour, count(*) as n, "
                "avg(r.value) as mean, min(r.value) as min, max(r.value) as max, "
                "stddev_samp(r.value) as sd, count(*) filter (where r.quality = 'bad') as bad_n "
                "from core.sensor_readings r semi join _touched t "
                "on r.sensor_id = t.sensor_id and date_trunc('hour', r.ts) = t.hour "
                "group by all"
            )
        con.execute(
            "insert or replace into meta.sensor_hourly_batches select _batch_id, now()::timestamp "
            "from _new_batches"
        )
        return touched
    finally:
        con.execute("drop table if exists _touched")
        con.execute("drop table if exists _new_batches")


def _published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not temporary "
        "and schema_name in (select unnest(?::varchar[])) order by 1, 2",
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows if (s, t) not in EXCLUDED]


def build_published_file(
    con: duckdb.DuckDBPyConnection, target: Path, storage_version: str = "v1.2.0"
) -> tuple[int, int]:
    """Copy the published part of the warehouse behind ``con`` into a NEW file ``target``,
    written in the storage format of DuckDB ``storage_version`` (so older DuckDB clients
    read it; a file keeps its format when it is opened and written again). Returns
    (tables, rows)."""
    if target.exists():
        raise PublishError(f"{target} exists; refusing to overwrite a file being built")
    tables = _published_tables(con)
    total = 0
    if not re.fullmatch(r"v\d+\.\d+\.\d+", storage_version):
        raise PublishError(f"storage version {storage_version!r} is not like 'v1.2.0'")
    # ATTACH options take no parameters; the version is checked above.
    con.execute(f"attach ? as pub (storage_version '{storage_version}')", [str(target)])
    try:
        for schema in sorted({s for s, _ in tables} | {"twin", "report", "meta"}):
            con.execute(f"create schema if not exists pub.{quote_ident(schema)}")
        for schema, table in tables:
            s, t = quote_ident(schema), quote_ident(table)
            con.execute(f"create table pub.{s}.{t} as select * from {s}.{t}")
            row = con.execute(f"select count(*) from pub.{s}.{t}").fetchone()
            total += int(row[0]) if row else 0
        con.execute("create table pub.meta.schema_version as select * from meta.schema_version")
    finally:
        con.execute("detach pub")
    return len(tables), total


def publish(settings: Settings) -> PublishResult:
    """Publish the warehouse of ``settings.home`` onto ``plant.duckdb`` atomically."""
    # One publisher per home (the nightly holds this lock already; it is re-entrant), so the
    # half-built file of a publish that was killed (no ``except`` ran) can go safely.
    with home_lock(settings, "publish"):
        remove_stale_builds(settings.published_path)
        return _publish(settings)


def remove_stale_builds(final: Path) -> list[Path]:
    """Delete what a killed publish left beside ``final`` (its ``.building`` file and WAL).
    Call it only while holding the home lock."""
    stale = sorted(final.parent.glob(f".{final.stem}-*.building")) + sorted(
        final.parent.glob(f".{final.stem}-*.building.wal")
    )
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def move_aside_stale_wal(final: Path) -> list[Path]:
    """Rename a WAL beside ``final`` out of the way (kept, not deleted), so the file swapped in
    next opens: DuckDB replays ``<file>.wal`` on open and refuses a WAL of another file ("WAL
    does not match database file"), for good. An analyst who opened the published file
    read-write (the DuckDB CLI's default) and wrote, or whose session was killed, leaves one.
    Returns the new names. Call it only while holding the home lock."""
    moved: list[Path] = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    wal = final.with_name(final.name + ".wal")
    if wal.exists() or wal.is_symlink():
        aside = wal.with_name(f"{wal.name}.stale-{stamp}")
        os.replace(wal, aside)
        moved.append(aside)
    return moved


@contextmanager
def replacement(final: Path) -> Iterator[Path]:
    """A fresh path beside ``final`` to build its replacement in (named so that
    ``remove_stale_builds`` finds what a kill leaves); on any error the partial file and its
    WAL are deleted and the error goes on."""
    tmp = final.with_name(f".{final.stem}-{uuid.uuid4().hex[:12]}.building")
    try:
        yield tmp
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise


def swap_in(tmp: Path, final: Path) -> list[Path]:
    """Make the built file ``tmp`` the file ``final``, crash-safe: flush it, move a stale WAL
    of ``final`` aside, rename, flush the directory entry. Returns the WALs moved aside.

    First the stale WAL, then the file: a crash between leaves the old file without its WAL,
    which opens (on the last checkpoint), never a new file with an old WAL."""
    _fsync(tmp)
    moved = move_aside_stale_wal(final)
    os.replace(tmp, final)
    _fsync(final.parent)
    return moved


def _check_target(final: Path) -> None:
    if final.is_dir():
        raise PublishError(
            f"{final} is a folder, not a file; move it away (publish writes the file there)"
        )
    if not final.parent.is_dir():
        raise PublishError(f"{final.parent} does not exist; run `twin init` first")


def _check_opens(final: Path, settings: Settings) -> None:
    """The swapped-in file opens read-only and names its publication, or publish fails."""
    try:
        con = connect(final, read_only=True, settings=settings)
    except WarehouseError as exc:
        raise PublishError(f"the published file does not open after the swap: {exc}") from exc
    try:
        con.execute("select count(*) from meta.publish").fetchone()
    finally:
        con.close()


def _publish(settings: Settings) -> PublishResult:
    started = time.perf_counter()
    final = settings.published_path
    _check_target(final)
    with replacement(final) as tmp:
        with open_warehouse(settings) as con:
            refresh_sensor_hourly(con)
            row = con.execute("select twin.current_snapshot()").fetchone()
            snapshot_id = int(row[0]) if row and row[0] is not None else None
            tables, rows = build_published_file(con, tmp, settings.published_storage_version)
        pub = connect(tmp, settings=settings)
        try:
            apply_views(pub)
            pub.execute(
                "create table meta.publish as select ?::bigint as snapshot_id, "
                "?::timestamp as published_at, ? as code_version, ? as source",
                [
                    snapshot_id,
                    datetime.now(UTC).replace(tzinfo=None),
                    __version__,
                    str(settings.warehouse_path),
                ],
            )
            apply_comments(pub)  # every table, view and column: its declared meaning
            pub.execute("checkpoint")
        finally:
            pub.close()
        crash_point("publish.before_swap")
        moved = swap_in(tmp, final)
        crash_point("publish.after_swap")
        _check_opens(final, settings)
    return PublishResult(
        path=final,
        snapshot_id=snapshot_id,
        tables=tables,
        rows=rows,
        seconds=time.perf_counter() - started,
        size_bytes=final.stat().st_size,
        moved_aside=tuple(moved),
    )


def _fsync(path: Path) -> None:
    """Flush a file (or a directory entry) to disk, so a crash after the swap keeps it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
