"""What validation needs to know before Great Expectations runs, read from the warehouse.

Grain: per batch, the rows, files and key facts of each source in it (``scan_batch``); per
source, the ``BatchFacts`` its batch-level checks compare against; per run, the reference ids
written to ``meta.validation_refs`` (one row per accepted id per reference).

References resolve against core master data plus this batch's raw master rows that pass their
own error-severity row checks, master sources in dependency order (machines before sensors,
suppliers before materials, ...): a reading of a sensor whose master row is quarantined is
itself quarantined, so core never holds an orphan.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from twin_core.contracts import SOURCES, Source
from twin_core.settings import Settings, ValidationSettings
from twin_core.validation.checks import (
    PROVENANCE,
    REFS_TABLE,
    BatchFacts,
    Check,
    checks_for,
    ref_name,
)
from twin_core.validation.results import ValidationError
from twin_core.validation.unique_key import KeyTimes, key_series, key_time_column
from twin_core.warehouse import quote_ident, used_params


class BatchNotReady(ValueError):
    """The batch does not exist or ingest has not completed it."""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    status: str
    started_at: datetime
    validation_status: str | None


def load_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> BatchRecord:
    row = con.execute(
        "select batch_id, status, started_at, validation_status from ingest.batches "
        "where batch_id = ?",
        [batch_id],
    ).fetchone()
    if row is None:
        raise BatchNotReady(f"no ingest batch {batch_id!r} (see ingest.batches)")
    if row[1] != "completed":
        raise BatchNotReady(
            f"ingest batch {batch_id!r} is {row[1]}, not completed; only completed batches "
            "are validated"
        )
    return BatchRecord(row[0], row[1], row[2], row[3])


def pending_batches(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Completed ingest batches not validated yet, oldest first."""
    rows = con.execute(
        "select batch_id from ingest.batches where status = 'completed' "
        "and validation_status is null order by started_at, batch_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def check_raw_columns(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """Refuse raw tables whose columns are not the contract's plus provenance (a missing or
    renamed column would make every check on it raise): a clear error, nothing validated."""
    problems = []
    for name in sources:
        have = [
            str(r[0])
            for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'raw' "
                "and table_name = ? order by column_index",
                [name],
            ).fetchall()
        ]
        want = [*SOURCES[name].column_names, *PROVENANCE]
        missing = [c for c in want if c not in have]
        extra = [c for c in have if c not in want]
        if missing or extra:
            problems.append(
                f"raw.{name}"
                + (f" lacks {', '.join(missing)}" if missing else "")
                + (f" has unexpected {', '.join(extra)}" if extra else "")
            )
    if problems:
        raise ValidationError(
            "raw tables differ from the contracts (apply the schema migrations, `twin init`): "
            + "; ".join(problems)
        )


def error_row_predicate(checks: list[Check]) -> tuple[str, dict[str, Any]]:
    """SQL true when a row fails any error-severity row check with a predicate."""
    use = [c for c in checks if c.level == "row" and c.severity == "error" and c.bad_row]
    if not use:
        return "false", {}
    params: dict[str, Any] = {}
    for c in use:
        params.update(c.params)
    return "(" + " or ".join(str(c.bad_row) for c in use) + ")", params


def _ref_order() -> list[tuple[str, str]]:
    """Referenced (source, column) pairs, each after the references its source's rows need."""
    wanted = sorted({c.references for s in SOURCES.values() for c in s.columns if c.references})
    done: list[tuple[str, str]] = []
    while len(done) < len(wanted):
        progressed = False
        for ref in wanted:
            if ref in done:
                continue
            needs = {c.references for c in SOURCES[ref[0]].columns if c.references}
            if needs <= set(done):
                done.append(ref)
                progressed = True
        if not progressed:
            raise RuntimeError(f"circular references among master sources: {wanted}")
    return done


def prepare_refs(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    run_id: str,
    rows: dict[str, int],
    config: ValidationSettings,
) -> dict[str, int]:
    """Write the accepted ids of every reference for this run; ids per reference."""
    con.execute(f"delete from {REFS_TABLE} where run_id = ?", [run_id])
    counts: dict[str, int] = {}
    for source, column in _ref_order():
        src = SOURCES[source]
        col = quote_ident(column)
        table = quote_ident(source)
        sql = f"select {col} as id from core.{table} where {col} is not null"
        params: dict[str, Any] = {}
        if rows.get(source):
            checks = checks_for(src, BatchFacts(rows=rows[source]), run_id, config)
            bad, params = error_row_predicate(checks)
            sql += (
                f" union select {col} from raw.{table} where _batch_id = $batch "
                f"and {col} is not null and not {bad}"
            )
            params["batch"] = batch_id
        params.update(run=run_id, ref=ref_name(source, column))
        insert = f"insert into {REFS_TABLE} select distinct $run, $ref, id from ({sql})"
        con.execute(insert, used_params(insert, params))
        row = con.execute(
            f"select count(*) from {REFS_TABLE} where run_id = ? and ref = ?",
            [run_id, ref_name(source, column)],
        ).fetchone()
        counts[ref_name(source, column)] = int(row[0]) if row else 0
    return counts


def drop_refs(
    con: duckdb.DuckDBPyConnection, run_id: str, keep: Collection[str] | None = None
) -> None:
    """Delete this run's reference ids; with ``keep`` (the runs the persisted GX suites still
    query, so a rerun of their checkpoints decides as the run did), every run's but those."""
    if keep is None:
        con.execute(f"delete from {REFS_TABLE} where run_id = ?", [run_id])
    else:
        con.execute(
            f"delete from {REFS_TABLE} where not list_contains(?::varchar[], run_id)",
            [sorted(keep)],
        )


def _volume_band(
    con: duckdb.DuckDBPyConnection, source: str, batch_id: str, config: ValidationSettings
) -> tuple[int, int] | None:
    history = con.execute(
        "select max_by(rows, validated_at) from quality.validation_sources "
        "where source = ? and batch_id <> ? and status <> 'failed' "
        "group by batch_id order by max(validated_at) desc limit ?",
        [source, batch_id, config.volume_history],
    ).fetchall()
    if len(history) < config.volume_min_history:
        return None
    median = statistics.median(int(r[0]) for r in history)
    return math.floor(config.volume_low * median), math.ceil(config.volume_high * median)


def _fresh_after(src: Source, as_of: date, settings: Settings) -> datetime | date | None:
    if src.event_time is None:
        return None
    day = as_of - timedelta(days=settings.validation.freshness_days)
    if src.column(src.event_time).type == "DATE":
        return day
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(settings.timezone))
    # Stored timestamps are naive UTC.
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@dataclass(frozen=True)
class SourceScan:
    """What one pass over a source's rows in the batch tells validation."""

    rows: int
    files: int  # files of the source in the batch
    key_times: KeyTimes | None  # None: no single time column in the key, or no times


def listed_files(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, int]:
    """Files per source that ingest's manifest (``ingest.files``) lists as loaded with rows."""
    return {
        str(r[0]): int(r[1])
        for r in con.execute(
            "select source, count(distinct file) from ingest.files where batch_id = ? "
            "and rows_loaded > 0 group by source",
            [batch_id],
        ).fetchall()
    }


def scan_source(
    con: duckdb.DuckDBPyConnection, src: Source, batch_id: str, files: int
) -> tuple[int, KeyTimes | None]:
    """The source's rows in the batch and, in the same pass, the range, unit and series count
    of the key's time column (the bitmap key check's facts)."""
    table = f"raw.{quote_ident(src.name)}"
    t = key_time_column(src)
    if t is None:
        row = con.execute(f"select count(*) from {table} where _batch_id = ?", [batch_id])
        found = row.fetchone()
        return (int(found[0]) if found else 0), None
    col = quote_ident(t)
    # hash() of the series columns (named by a parameter, *COLUMNS unpacks them): one value
    # per series, a null series included. Whole seconds tested in doubles: epoch() is exact
    # to the microsecond until 2255 (2^53 us), and floor() costs less than an integer
    # remainder (a bench day's pass: 0.49 s against 0.73 s for epoch_us % 1e6 and % 1e3).
    # A wrong unit would cost speed only: times sharing a bit flag their series, whose rows
    # stage 2 then groups exactly.
    found = con.execute(
        f"select count(*), epoch_us(min({col})), epoch_us(max({col})), "
        f"max(epoch({col}) - floor(epoch({col}))), "
        "approx_count_distinct(hash(*columns($series))), "
        f"count(*) - count({col}) "
        f"from {table} where _batch_id = $batch",
        {"series": key_series(src, files), "batch": batch_id},
    ).fetchone()
    if found is None:
        return 0, None
    rows = int(found[0])
    if found[1] is None:
        return rows, None
    unit = 1_000_000
    if found[3] != 0:
        # Not whole seconds (rare): whole milliseconds? One more pass, over the batch only.
        ms = con.execute(
            f"select max(abs(epoch_us({col}) % 1000)) from {table} where _batch_id = ?",
            [batch_id],
        ).fetchone()
        unit = 1_000 if ms is not None and ms[0] == 0 else 1
    return rows, KeyTimes(
        lo_us=int(found[1]),
        hi_us=int(found[2]),
        unit_us=unit,
        series=int(found[4]),
        nulls=int(found[5]),
    )


def scan_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict[str, SourceScan]:
    """Per source with rows in the batch, contract order: its rows, files and key facts.

    One pass over the source's rows when ingest's manifest lists its files; two when it
    lists none (rows written into raw by other means): its files are counted in raw first
    (none: no rows). The files come from the manifest because counting them in raw is a
    0.7-1 s scan of 86M file names on a bench day; the rows are counted in raw, in the key
    facts' pass.
    """
    listed = listed_files(con, batch_id)
    out: dict[str, SourceScan] = {}
    for name, src in SOURCES.items():
        files = listed.get(name)
        if files is None:
            row = con.execute(
                f"select count(distinct _file) from raw.{quote_ident(name)} where _batch_id = ?",
                [batch_id],
            ).fetchone()
            if row is None or not row[0]:
                continue
            files = int(row[0])
        rows, times = scan_source(con, src, batch_id, files)
        if rows:
            out[name] = SourceScan(rows=rows, files=files, key_times=times)
    return out


def batch_facts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    batch_id: str,
    scans: dict[str, SourceScan],
    as_of: date,
    ref_counts: dict[str, int],
) -> dict[str, BatchFacts]:
    """The facts each source's batch-level checks compare against."""
    out: dict[str, BatchFacts] = {}
    config = settings.validation
    for source, scan in scans.items():
        src = SOURCES[source]
        min_sensors = None
        if source == "sensor_readings":
            known = ref_counts.get(ref_name("sensors", "sensor_id"), 0)
            if known:
                min_sensors = math.ceil(config.sensors_reporting_min_share * known)
        out[source] = BatchFacts(
            rows=scan.rows,
            files=scan.files,
            key_times=scan.key_times,
            volume_band=_volume_band(con, source, batch_id, config),
            fresh_after=_fresh_after(src, as_of, settings),
            min_sensors=min_sensors,
        )
    return out
