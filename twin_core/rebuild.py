"""Rebuild: one new twin snapshot from the validated core tables.

The rebuild reads ``core.*`` (and DuckDB-side pre-aggregations from ``sql/inputs``),
hands polars frames to the builders, and writes every table the builders return into
``history.<table>`` with the new snapshot_id, all in one transaction. The twin.* views
only show snapshots whose status is ``complete``, so a failed rebuild is never visible.

A builder is a function ``build(inputs, ctx) -> {table_name: DataFrame}`` living in
``twin_core/twin/<domain>.py``; the computation it calls lives in ``twin_core/sim``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date

import duckdb
import polars as pl

from twin_core import __version__
from twin_core.faults import crash_point
from twin_core.settings import Settings
from twin_core.twin import coverage as cov
from twin_core.twin import lines, machines, quality, supply
from twin_core.twin.inputs import Builder, CoreInputs, SnapshotContext
from twin_core.twin.plant_inputs import machines as plant_machines
from twin_core.warehouse import (
    WarehouseError,
    append_frame,
    open_warehouse,
    quote_ident,
    transaction,
)

__all__ = [
    "BUILDERS",
    "Builder",
    "CoreInputs",
    "RebuildError",
    "SnapshotContext",
    "builders",
    "rebuild",
    "rebuild_snapshot",
    "snapshot_rows",
]

log = logging.getLogger(__name__)


# The snapshot's builders, in order: one module of ``twin_core.twin`` per domain, each with a
# ``build(inputs, ctx)``. To add a domain, import its module above and add its build here.
BUILDERS: tuple[Builder, ...] = (machines.build, lines.build, supply.build, quality.build)


def builders() -> list[Builder]:
    """The builders of a snapshot, in ``BUILDERS`` order."""
    return list(BUILDERS)


class RebuildError(RuntimeError):
    """A builder failed or returned a table that does not fit its history table."""


def rebuild(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: date,
    *,
    builder_list: list[Builder] | None = None,
    allow_partial: bool = True,
) -> int:
    """Build and commit a new snapshot for ``as_of``; return its snapshot_id.

    The snapshot's data coverage (``twin_core.twin.coverage``) is assessed first. With
    ``allow_partial=False`` a required source missing or stale for the as-of day raises
    ``CoverageGap`` before anything is written; otherwise such a snapshot is built and marked
    degraded, with the reasons, in history.snapshots.
    """
    provisional = SnapshotContext(0, as_of, settings, tuple(settings.site_ids))
    coverage = cov.assess(CoreInputs(con, provisional), provisional)
    if not allow_partial:
        failures = cov.gate_failures(coverage, as_of)
        if failures:
            raise cov.CoverageGap(cov.gap_message(failures, as_of))
    degraded = cov.degraded_reasons(coverage, as_of)
    row = con.execute("select nextval('history.snapshot_seq')").fetchone()
    assert row is not None
    snapshot_id = int(row[0])
    batches = [
        r[0]
        for r in con.execute(
            "select batch_id from ingest.batches where validated_at is not null order by batch_id"
        ).fetchall()
    ]
    ctx = SnapshotContext(snapshot_id, as_of, settings, tuple(settings.site_ids))
    inputs = CoreInputs(con, ctx)
    outputs: dict[str, pl.DataFrame] = {"data_coverage": coverage}
    for build in builder_list if builder_list is not None else builders():
        started = time.perf_counter()
        built = build(inputs, ctx)
        log.info(
            "snapshot %s: %s.%s built %s in %.2f s",
            snapshot_id,
            getattr(build, "__module__", "?"),
            getattr(build, "__name__", "?"),
            ", ".join(f"{n} ({f.height} rows)" for n, f in built.items()) or "nothing",
            time.perf_counter() - started,
        )
        for name, frame in built.items():
            if name in outputs:
                raise RebuildError(f"two builders produce history.{name}")
            outputs[name] = frame
    outputs = cov.stamp(outputs, coverage, plant_machines(inputs, ctx), as_of)
    if degraded:
        log.warning("snapshot %s is degraded: %s", snapshot_id, "; ".join(degraded))
    params = {
        "horizon_days": settings.horizon_days,
        "replications": settings.replications,
        "seed": settings.seed,
        "timezone": settings.timezone,
        "baseline_subgroups": settings.baseline_subgroups,
        "spc_rules": settings.spc_rules.model_dump(mode="json"),
    }
    with transaction(con):
        con.execute(
            "insert into history.snapshots (snapshot_id, as_of, created_at, status, "
            "input_batches, code_version, site_ids, params, degraded, degraded_reasons) "
            "values (?, ?, now()::timestamp, 'building', ?, ?, ?, ?, ?, ?)",
            [
                snapshot_id,
                as_of,
                json.dumps(batches),
                __version__,
                json.dumps(list(ctx.site_ids)),
                json.dumps(params, sort_keys=True),
                bool(degraded),
                json.dumps(degraded) if degraded else None,
            ],
        )
        for name, frame in outputs.items():
            write_history(con, name, frame.with_columns(pl.lit(snapshot_id).alias("snapshot_id")))
        con.execute(
            "update history.snapshots set status = 'complete' where snapshot_id = ?", [snapshot_id]
        )
        # Every history table written and the snapshot marked complete, all uncommitted.
        crash_point("rebuild.before_commit")
    return snapshot_id


def write_history(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a frame to history.<table> by column name; unknown columns are an error."""
    try:
        append_frame(con, "history", table, frame)
    except WarehouseError as exc:
        raise RebuildError(str(exc)) from None


def rebuild_snapshot(settings: Settings, as_of: date, *, allow_partial: bool = True) -> int:
    """Open the warehouse of ``settings`` (schema applied), build the snapshot for ``as_of``
    with every registered builder, and return its snapshot_id (the nightly's rebuild stage).
    ``allow_partial=False`` applies the coverage gate (see ``rebuild``)."""
    with open_warehouse(settings) as con:
        return rebuild(con, settings, as_of, allow_partial=allow_partial)


def snapshot_rows(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[str, int]:
    """Rows each history table holds for a snapshot (tables without any are left out)."""
    tables = [
        str(r[0])
        for r in con.execute(
            "select table_name from duckdb_columns() where schema_name = 'history' "
            "and column_name = 'snapshot_id' and table_name <> 'snapshots' "
            "and database_name = current_database() order by table_name"
        ).fetchall()
    ]
    counts: dict[str, int] = {}
    for table in tables:
        row = con.execute(
            f"select count(*) from history.{quote_ident(table)} where snapshot_id = ?",
            [snapshot_id],
        ).fetchone()
        if row is not None and int(row[0]) > 0:
            counts[table] = int(row[0])
    return counts
