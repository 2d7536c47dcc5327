"""Snapshot coverage: history.data_coverage (site, line, source, plant day), what each snapshot
stands on, and the gate the nightly applies before a rebuild.

Grain of ``assess``: one row per site, line (null: the site's total) and plant day for the
machine sources (sensor readings over the machine-health window; machine events and production
over the OEE / reliability lookback), and one row per other source for the as-of day. The
maths lives in ``twin_core.sim.coverage``; the policy per source in ``settings.coverage``.

``stamp`` adds a ``coverage`` column (worst status of the rows a table row stands on) to the
machine and line tables; ``degraded_reasons`` says why a snapshot is degraded (a required
source not ok on the as-of day); ``gate_failures`` are what stops a nightly (a required
source missing or stale for the as-of day, site-wide).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from twin_core.settings import Settings, SourcePolicy
from twin_core.sim.calendar import day_end_utc, local_day, plant_days
from twin_core.sim.coverage import (
    STATUS_ORDER,
    event_coverage,
    judge,
    production_coverage,
    sensor_coverage,
)
from twin_core.twin import plant_inputs as pi
from twin_core.twin import sensor_cache
from twin_core.twin.inputs import CoreInputs, SnapshotContext
from twin_core.twin.lines import LineTablesParams
from twin_core.twin.machines import MachineTablesParams
from twin_core.warehouse import open_warehouse

__all__ = [
    "MACHINE_SOURCES",
    "STAMPS",
    "CoverageGap",
    "assess",
    "default_day_problem",
    "degraded_reasons",
    "gate_failures",
    "newest_data",
    "snapshot_degraded",
    "stamp",
]

MACHINE_SOURCES: tuple[str, ...] = ("sensor_readings", "machine_events", "production")
# table -> the sources its rows stand on, and whether a row is judged by its own day (else by
# the as-of day). Rows are matched by line (a machine's line).
STAMPS: dict[str, tuple[tuple[str, ...], bool]] = {
    "machine_day": (("machine_events", "production"), True),
    "machine_reliability": (("machine_events", "production"), False),
    "line_forecast": (("machine_events", "production"), False),
    "machine_health": (("sensor_readings",), False),
    "sensor_status": (("sensor_readings",), False),
    "sensor_health": (("sensor_readings",), False),
}
OUTPUT_COLUMNS = (
    "site_id",
    "line_id",
    "source",
    "day",
    "required",
    "rows",
    "expected_rows",
    "covered",
    "expected",
    "unit",
    "newest_ts",
    "completeness",
    "status",
    "reason",
)


class CoverageGap(RuntimeError):
    """A required source is missing or stale for the as-of day: no snapshot was built."""


@dataclass(frozen=True)
class Windows:
    """The plant days each machine source is assessed over (those its builders read)."""

    sensors: pl.DataFrame
    machines: pl.DataFrame


def windows(ctx: SnapshotContext) -> Windows:
    tz = ctx.settings.timezone
    hp = MachineTablesParams().health
    end = day_end_utc(ctx.as_of, tz)
    sensor_first = local_day(pl.lit(end - timedelta(hours=hp.lookback_hours)), tz)
    first_sensor_day = pl.select(sensor_first).item()
    days = max(MachineTablesParams().oee_days, LineTablesParams().lookback_days)
    return Windows(
        sensors=plant_days(first_sensor_day, ctx.as_of, tz),
        machines=plant_days(ctx.as_of - timedelta(days=days - 1), ctx.as_of, tz),
    )


def _machine_rows(inputs: CoreInputs, ctx: SnapshotContext, w: Windows) -> dict[str, pl.LazyFrame]:
    s, tz = ctx.settings, ctx.settings.timezone
    m = pi.machines(inputs, ctx).unique("machine_id", keep="first", maintain_order=True)
    mlazy = m.lazy()
    sensors = inputs.table("sensors", ("sensor_id", "machine_id")).lazy()
    start, end = w.sensors["start_ts"].min(), w.sensors["end_ts"].max()
    assert isinstance(start, datetime) and isinstance(end, datetime)
    hourly = sensor_cache.sensor_hours(inputs, start, end).lazy()
    window = pi.lookback(ctx, w.machines.height)
    ev = pi.events(inputs, window, m["machine_id"]).lazy()
    made = pi.production(inputs, window, m["machine_id"]).lazy()
    prod_policy = s.coverage["production"]
    return {
        "sensor_readings": sensor_coverage(
            hourly,
            sensors,
            mlazy,
            w.sensors,
            tz,
            min_completeness=s.coverage["sensor_readings"].min_completeness,
        ),
        "machine_events": event_coverage(
            ev,
            mlazy,
            w.machines,
            tz,
            min_completeness=s.coverage["machine_events"].min_completeness,
        ),
        "production": production_coverage(
            made,
            ev,
            mlazy,
            w.machines,
            tz,
            grace_s=3600 * (prod_policy.max_staleness_hours or 0),
        ),
    }


def _source_rows(inputs: CoreInputs, ctx: SnapshotContext) -> dict[str, pl.LazyFrame]:
    tz = ctx.settings.timezone
    found = inputs.query(
        "coverage_sources",
        start=day_end_utc(ctx.as_of - timedelta(days=1), tz),
        end=day_end_utc(ctx.as_of, tz),
    )
    out: dict[str, pl.LazyFrame] = {}
    for source in ctx.settings.coverage:
        if source in MACHINE_SOURCES:
            continue
        rows = found.filter(pl.col("source") == source)
        if rows.is_empty():
            rows = pl.DataFrame(
                {"source": [source], "site_id": [None], "rows": [0], "newest_ts": [None]},
                schema={
                    "source": pl.String,
                    "site_id": pl.String,
                    "rows": pl.Int64,
                    "newest_ts": pl.Datetime("us"),
                },
            )
        out[source] = rows.lazy().select(
            pl.col("site_id").cast(pl.String),
            line_id=pl.lit(None, pl.String),
            day=pl.lit(ctx.as_of, pl.Date),
            rows=pl.col("rows").cast(pl.Int64),
            expected_rows=pl.lit(None, pl.Float64),
            covered=pl.col("rows").cast(pl.Float64),
            expected=pl.lit(None, pl.Float64),
            unit=pl.lit("rows"),
            newest_ts=pl.col("newest_ts").cast(pl.Datetime("us")),
            detail=pl.lit(None, pl.String),
        )
    return out


def assess(inputs: CoreInputs, ctx: SnapshotContext) -> pl.DataFrame:
    """Every coverage row of the snapshot (``OUTPUT_COLUMNS``), sorted."""
    s = ctx.settings
    w = windows(ctx)
    as_of_end = day_end_utc(ctx.as_of, s.timezone)
    day_ends = pl.concat([w.machines, w.sensors]).unique("day").select("day", "end_ts")
    frames = _machine_rows(inputs, ctx, w) | _source_rows(inputs, ctx)
    judged = [
        judge(
            frame,
            source=source,
            required=s.coverage[source].required,
            min_completeness=s.coverage[source].min_completeness,
            max_staleness_hours=s.coverage[source].max_staleness_hours,
            as_of_end=as_of_end,
            day_ends=day_ends,
        ).select(OUTPUT_COLUMNS)
        for source, frame in frames.items()
    ]
    rows = pl.concat(pl.collect_all(judged), how="vertical_relaxed").with_columns(
        pl.col("expected_rows").cast(pl.Float64)
    )
    # Days of a window before a source's data begins are the start of its history, not a gap:
    # left out, except the as-of day, which is always judged.
    first = pl.col("day").filter(pl.col("rows") > 0).min().over("source", "site_id")
    return rows.filter((pl.col("day") >= first) | (pl.col("day") == ctx.as_of)).sort(
        "source", "site_id", "line_id", "day", nulls_last=True
    )


def _as_of_rows(coverage: pl.DataFrame, as_of: date) -> pl.DataFrame:
    return coverage.filter(pl.col("day") == as_of)


def gate_failures(coverage: pl.DataFrame, as_of: date) -> list[str]:
    """Why a nightly must not build this snapshot: each required source whose site-wide row of
    the as-of day is missing or stale, in words (empty: the gate passes)."""
    rows = _as_of_rows(coverage, as_of).filter(
        pl.col("required"),
        pl.col("line_id").is_null(),
        pl.col("status").is_in(["missing", "stale"]),
    )
    found = [f"{r['source']}: {r['reason']}" for r in rows.iter_rows(named=True)]
    return _no_machines(coverage, as_of) + found


def _no_machines(coverage: pl.DataFrame, as_of: date) -> list[str]:
    """A required machine source with no row at all: the snapshot's sites have no machines."""
    present = set(_as_of_rows(coverage, as_of)["source"].to_list())
    absent = [s for s in MACHINE_SOURCES if s not in present]
    if not absent:
        return []
    return [
        f"{', '.join(absent)}: no machines in core.machines for the snapshot's sites, so "
        f"nothing to read for {as_of} (has any master data been landed and validated?)"
    ]


def degraded_reasons(coverage: pl.DataFrame, as_of: date) -> list[str]:
    """Why a snapshot is degraded: each required source's row of the as-of day (site-wide or a
    line) that is not ok. Empty: the snapshot is not degraded."""
    rows = _as_of_rows(coverage, as_of).filter(pl.col("required"), pl.col("status") != "ok")
    found = [f"{r['source']} {r['status']}: {r['reason']}" for r in rows.iter_rows(named=True)]
    return _no_machines(coverage, as_of) + found


def gap_message(failures: list[str], as_of: date) -> str:
    """The message of a stopped nightly: what is missing, the day, the newest data, what to do."""
    return (
        f"no snapshot for {as_of}: required input is missing or stale: "
        + "; ".join(failures)
        + ". plant.duckdb was left as it was. Land the missing extracts and run the nightly "
        f"again, pick a day that has data (`twin nightly --as-of YYYY-MM-DD`), or build a "
        f"degraded snapshot anyway with `twin nightly --as-of {as_of} --allow-partial`."
    )


def _worst_expr(cols: list[str]) -> pl.Expr:
    ranks = [
        pl.col(c).replace_strict(list(STATUS_ORDER), list(range(len(STATUS_ORDER))), default=0)
        for c in cols
    ]
    best = pl.max_horizontal(ranks)
    return best.replace_strict(list(range(len(STATUS_ORDER))), list(STATUS_ORDER))


def stamp(
    outputs: Mapping[str, pl.DataFrame],
    coverage: pl.DataFrame,
    machines: pl.DataFrame,
    as_of: date,
) -> dict[str, pl.DataFrame]:
    """``outputs`` with a ``coverage`` column on each table of ``STAMPS``: the worst status of
    the coverage rows (by line; by day too for daily tables) its row stands on."""
    line_of = machines.select("machine_id", pl.col("line_id").alias("_line")).unique(
        "machine_id", keep="first"
    )
    per_line = coverage.filter(pl.col("line_id").is_not_null()).select(
        "source", "line_id", "day", "status"
    )
    stamped = dict(outputs)
    for table, (sources, by_day) in STAMPS.items():
        frame = outputs.get(table)
        if frame is None:
            continue
        if "line_id" in frame.columns:
            keyed = frame.with_columns(_line=pl.col("line_id"))
        elif "machine_id" in frame.columns:
            keyed = frame.join(line_of, on="machine_id", how="left")
        else:
            continue
        daily = by_day and "day" in frame.columns
        keyed = keyed.with_columns(
            _day=pl.col("day") if daily else pl.lit(as_of, pl.Date), _n=pl.int_range(pl.len())
        )
        cols = []
        for source in sources:
            col = f"_s_{source}"
            cols.append(col)
            lookup = per_line.filter(pl.col("source") == source).select(
                pl.col("line_id").alias("_line"),
                pl.col("day").alias("_day"),
                pl.col("status").alias(col),
            )
            keyed = keyed.join(lookup, on=["_line", "_day"], how="left")
        stamped[table] = (
            keyed.sort("_n")
            .with_columns(coverage=_worst_expr(cols))
            .drop("_line", "_day", "_n", *cols)
        )
    return stamped


def _newest_machine_ts(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest timestamp of machine data in core (readings, events, production)."""
    row = con.execute(
        "select greatest("
        " (select max(ts_max) from core.promoted_batches where source = 'sensor_readings'),"
        " (select max(end_ts) from core.machine_events),"
        " (select max(end_ts) from core.production))"
    ).fetchone()
    value = row[0] if row else None
    return value if isinstance(value, datetime) else None


def newest_data(con: duckdb.DuckDBPyConnection, settings: Settings) -> date | None:
    """The newest plant day with machine data in core (None: none at all).

    Its last instant decides: data ending exactly at midnight belongs to the day before."""
    newest = _newest_machine_ts(con)
    if newest is None:
        return None
    frame = pl.DataFrame({"ts": [newest - timedelta(microseconds=1)]})
    day = frame.select(local_day("ts", settings.timezone)).item()
    assert isinstance(day, date)
    return day


def default_day_problem(settings: Settings, as_of: date) -> str | None:
    """Why a nightly must not build its default day ``as_of`` (None: it may): the home has no
    machine data at all, or its newest machine data is older than that day."""
    with open_warehouse(settings) as con:
        newest = newest_data(con, settings)
        newest_ts = _newest_machine_ts(con)
    if newest is None:
        return (
            f"no machine data in {settings.home} yet: nothing to build a twin of for {as_of}. "
            f"Land the extracts in {settings.landing_dir}/<source>/ (one folder per source) "
            "and run the nightly again."
        )
    if newest < as_of:
        return (
            f"the newest machine data in {settings.home} is from {newest} (up to {newest_ts:%Y-%m-%d %H:%M}"
            f" UTC); the default day {as_of} has none, so its snapshot would be empty. Run "
            f"`twin nightly --as-of {newest}` for the newest day there is (or `twin backfill "
            f"--start ... --end {newest}`), or land newer extracts first."
        )
    return None


def snapshot_degraded(settings: Settings, snapshot_id: int) -> list[str]:
    """The degraded reasons of a snapshot (empty: not degraded)."""
    import json

    with open_warehouse(settings) as con:
        row = con.execute(
            "select degraded, degraded_reasons from history.snapshots where snapshot_id = ?",
            [snapshot_id],
        ).fetchone()
    if row is None or not row[0]:
        return []
    loaded = json.loads(row[1]) if row[1] else []
    return [str(r) for r in loaded] if isinstance(loaded, list) else [str(loaded)]


def policy_table(settings: Settings) -> list[tuple[str, SourcePolicy]]:
    """The coverage policy of every source, required sources first."""
    return sorted(settings.coverage.items(), key=lambda kv: (not kv[1].required, kv[0]))
