"""What a report reads: one twin snapshot's history tables plus the dated core and quality rows
the charts need, as polars frames.

Grain: one ``ReportData`` per snapshot. History tables are read by ``snapshot_id``; master
data and dated rows (planned stops ahead, open purchase orders, inspections, defects,
feedback) come from ``sql/report/<name>.sql`` bounded by the end of the snapshot's as-of
day, and bookkeeping (quarantine, validation, ingest files) by the snapshot's build time, so
a report rebuilt later for the same snapshot shows the same numbers as long as core has not
been corrected in between. A table that does not exist is
``None`` and its section says "not available"; nothing here raises on a missing table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from twin_core.warehouse import fetch_polars, quote_ident, sql_file

# History tables the report uses. The first group is the query surface of the README; the
# second are tables other builders may add (read when present, skipped when not).
HISTORY_TABLES = (
    "machine_day",
    "machine_health",
    "sensor_status",
    "line_forecast",
    "inventory_projection",
    "material_status",
    "supplier_performance",
    "spc_limits",
    "spc_violations",
    "capability",
    "feedback_insights",
    "lots_to_hold",
    "uncovered_demand",
    "revision_flags",
    "quality_drift",
    "attribute_limits",
    "machine_reliability",
    "data_coverage",
)

# Dated reads from sql/report: how far back each looks (days before the as-of day ends).
LOOKBACK_DAYS = {
    "defect_pareto": 30,
    "recent_feedback": 30,
    "lot_quantities": 30,
    "inspection_values": 30,
    "downtime_reasons": 7,
}
CORE_QUERIES = (
    "machines",
    "products",
    "suppliers",
    "bom",
    "line_product_mix",
    "planned_stops",
    "open_purchase_orders",
    "lot_means",
    "lot_quantities",
    "machine_characteristics",
    "defect_pareto",
    "downtime_reasons",
    "inspection_values",
    "recent_feedback",
    "quarantine_by_rule",
    "quarantine_samples",
    "validation_latest",
    "ingest_files",
    "watch_open_alerts",
)


class ReportError(RuntimeError):
    """No snapshot to report on, or one that cannot be reported; the message says what to do."""


@dataclass(frozen=True)
class SnapshotInfo:
    """The snapshot a report describes (a row of history.snapshots)."""

    snapshot_id: int
    as_of: date
    created_at: datetime | None
    code_version: str
    timezone: str
    horizon_days: int = 14
    # Built with --allow-partial past a failed coverage gate (history.snapshots.degraded).
    degraded: bool = False
    degraded_reasons: str | None = None

    @property
    def tomorrow(self) -> date:
        return self.as_of + timedelta(days=1)


@dataclass
class ReportData:
    """The frames of one snapshot; ``None`` marks a table that does not exist."""

    snapshot: SnapshotInfo
    history: dict[str, pl.DataFrame | None] = field(default_factory=dict)
    core: dict[str, pl.DataFrame | None] = field(default_factory=dict)

    def table(self, name: str) -> pl.DataFrame | None:
        """A history table of the snapshot (``None``: not available)."""
        return self.history.get(name)

    def rows(self, name: str) -> pl.DataFrame:
        """A history table, or an empty frame when it is not available (for rules)."""
        frame = self.history.get(name)
        return frame if frame is not None else pl.DataFrame()

    def query(self, name: str) -> pl.DataFrame | None:
        """A dated core/quality read from sql/report (``None``: a table it needs is missing)."""
        return self.core.get(name)

    def query_rows(self, name: str) -> pl.DataFrame:
        frame = self.core.get(name)
        return frame if frame is not None else pl.DataFrame()


def resolve_snapshot(
    con: duckdb.DuckDBPyConnection, *, as_of: date | None = None, snapshot_id: int | None = None
) -> SnapshotInfo:
    """The snapshot to report: ``snapshot_id`` if given, else the latest complete snapshot of
    ``as_of``, else the latest complete snapshot."""
    cols = (
        "snapshot_id, as_of, created_at, code_version, status, params, degraded, degraded_reasons"
    )
    if snapshot_id is not None:
        row = con.execute(
            f"select {cols} from history.snapshots where snapshot_id = ?", [snapshot_id]
        ).fetchone()
        if row is None:
            raise ReportError(f"no snapshot {snapshot_id}; run `twin rebuild` first")
        if row[4] != "complete":
            raise ReportError(f"snapshot {snapshot_id} is {row[4]}, not complete; rebuild it")
        if as_of is not None and row[1] != as_of:
            raise ReportError(f"snapshot {snapshot_id} is of {row[1]}, not {as_of}")
    elif as_of is not None:
        row = con.execute(
            f"select {cols} from history.snapshots where status = 'complete' and as_of = ? "
            "order by snapshot_id desc limit 1",
            [as_of],
        ).fetchone()
        if row is None:
            known = [
                str(r[0])
                for r in con.execute(
                    "select distinct as_of from history.snapshots where status = 'complete' "
                    "order by as_of desc limit 5"
                ).fetchall()
            ]
            hint = f" (latest: {', '.join(known)})" if known else ""
            raise ReportError(
                f"no complete snapshot for as-of {as_of}{hint}; run `twin rebuild --as-of {as_of}`"
            )
    else:
        row = con.execute(
            f"select {cols} from history.snapshots where status = 'complete' "
            "order by snapshot_id desc limit 1"
        ).fetchone()
        if row is None:
            raise ReportError("no complete snapshot yet; run `twin rebuild` first")
    params: dict[str, Any] = {}
    if row[5]:
        try:
            loaded = json.loads(row[5])
            params = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            params = {}
    return SnapshotInfo(
        snapshot_id=int(row[0]),
        as_of=row[1],
        created_at=row[2],
        code_version=str(row[3]),
        timezone=str(params.get("timezone") or "UTC"),
        horizon_days=int(params.get("horizon_days") or 14),
        degraded=bool(row[6]),
        degraded_reasons=None if row[7] is None else str(row[7]),
    )


def day_bounds_utc(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Start and end of a plant day as naive UTC timestamps (how the warehouse stores time)."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    utc = ZoneInfo("UTC")
    return (
        start.astimezone(utc).replace(tzinfo=None),
        end.astimezone(utc).replace(tzinfo=None),
    )


def existing_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? "
        "and database_name = current_database()",
        [schema],
    ).fetchall()
    return {str(r[0]) for r in rows}


def read_history(
    con: duckdb.DuckDBPyConnection, snapshot_id: int, names: tuple[str, ...] = HISTORY_TABLES
) -> dict[str, pl.DataFrame | None]:
    """Each named history table's rows of one snapshot; ``None`` for a missing table."""
    present = existing_tables(con, "history")
    found: dict[str, pl.DataFrame | None] = {}
    for name in names:
        if name not in present:
            found[name] = None
            continue
        found[name] = fetch_polars(
            con,
            f"select * exclude (snapshot_id) from history.{quote_ident(name)} "
            "where snapshot_id = ?",
            [snapshot_id],
        )
    return found


def run_report_query(
    con: duckdb.DuckDBPyConnection, name: str, snapshot: SnapshotInfo
) -> pl.DataFrame | None:
    """Run ``sql/report/<name>.sql`` with the snapshot's dates bound; ``None`` when a table
    it reads does not exist (an optional source, or an older warehouse)."""
    sql = sql_file("report", name)
    _, end = day_bounds_utc(snapshot.as_of, snapshot.timezone)
    since, _ = day_bounds_utc(
        snapshot.as_of - timedelta(days=LOOKBACK_DAYS.get(name, 30) - 1), snapshot.timezone
    )
    # Bookkeeping (quarantine, validation, ingest) is stamped with wall-clock time, so it is
    # bounded by when the snapshot was built, not by the plant day.
    built = snapshot.created_at or datetime(9999, 12, 31)
    bound: dict[str, Any] = {
        "as_of": snapshot.as_of,
        "start": end,
        "end": end,
        "since": since,
        "built": built,
    }
    used = {k: v for k, v in bound.items() if f"${k}" in sql}
    try:
        return fetch_polars(con, sql, used)
    except duckdb.CatalogException:
        return None


def load_report_data(con: duckdb.DuckDBPyConnection, snapshot: SnapshotInfo) -> ReportData:
    """Everything the instructions and the reports need for one snapshot."""
    return ReportData(
        snapshot=snapshot,
        history=read_history(con, snapshot.snapshot_id),
        core={name: run_report_query(con, name, snapshot) for name in CORE_QUERIES},
    )
