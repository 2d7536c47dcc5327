"""The ingest manifest: ``ingest.batches`` (one row per run that found something new) and
``ingest.files`` (one row per version of a landing file, keyed by its content hash)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from twin_core.ingest.result import FileResult


def utcnow() -> datetime:
    """Naive UTC, as every timestamp in the warehouse."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SeenContent:
    """An earlier version in the manifest with the same content as a file found now."""

    file: str
    batch_id: str
    status: str
    reason: str | None
    # For the same file name: this content is what the name holds at its latest version
    # (false: the file went back to an earlier version's content).
    latest: bool = True


def seen_content(
    con: duckdb.DuckDBPyConnection, source: str, file: str, sha256: str
) -> SeenContent | None:
    """The manifest row holding this content for this source, preferring the same file name.

    Content already ingested is never loaded twice, whatever name it comes under: the same
    extract sent again would only duplicate raw rows.
    """
    row = con.execute(
        "select file, batch_id, status, reason, sha256 = (select arg_max(sha256, ingested_at) "
        "from ingest.files where source = $source and file = $file) from ingest.files "
        "where source = $source and sha256 = $sha order by file = $file desc, ingested_at limit 1",
        {"source": source, "sha": sha256, "file": file},
    ).fetchone()
    if row is None:
        return None
    return SeenContent(str(row[0]), str(row[1]), str(row[2]), row[3], bool(row[4]))


@dataclass(frozen=True)
class LatestVersion:
    """The latest manifest row of one file name: what a run compares a file's stat with."""

    sha256: str
    size_bytes: int
    mtime_ns: int | None
    status: str
    batch_id: str
    reason: str | None


def latest_versions(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, LatestVersion]:
    """file -> its latest version, for every file name of ``source``, in one query (a run
    looks up each landed file here instead of asking the warehouse once per file)."""
    rows = con.execute(
        "select file, sha256, size_bytes, mtime_ns, status, batch_id, reason from ingest.files "
        "where source = $source "
        "qualify row_number() over (partition by file order by ingested_at desc) = 1",
        {"source": source},
    ).fetchall()
    return {
        str(r[0]): LatestVersion(str(r[1]), int(r[2]), r[3], str(r[4]), str(r[5]), r[6])
        for r in rows
    }


def remember_mtime(
    con: duckdb.DuckDBPyConnection, source: str, file: str, sha256: str, mtime_ns: int
) -> None:
    """Keep the modification time of a file found unchanged by its hash (touched, copied with
    new times, or recorded before mtimes were kept) on its latest version, so the next run
    knows it by size and time without hashing it. Writes only when the time differs."""
    con.execute(
        "update ingest.files set mtime_ns = $m where source = $source and file = $file "
        "and sha256 = $sha and mtime_ns is distinct from $m",
        {"m": mtime_ns, "source": source, "file": file, "sha": sha256},
    )


def size_seen(con: duckdb.DuckDBPyConnection, source: str, size_bytes: int) -> bool:
    """Whether any manifest version of this source has this size (if none, a file of this
    size is new content without computing its hash first)."""
    row = con.execute(
        "select count(*) from ingest.files where source = $source and size_bytes = $size",
        {"source": source, "size": size_bytes},
    ).fetchone()
    return bool(row and row[0])


def forget_quarantined(con: duckdb.DuckDBPyConnection, source: str, file: str, sha256: str) -> None:
    """Drop the manifest row of a file quarantined whole so it is read again (after its
    mapping was fixed, say). It contributed no rows; its quarantine row stays as history."""
    con.execute(
        "delete from ingest.files where source = $source and file = $file and sha256 = $sha "
        "and status = 'quarantined'",
        {"source": source, "file": file, "sha": sha256},
    )


def next_ingested_at(con: duckdb.DuckDBPyConnection, after: datetime | None) -> datetime:
    """A load time later than every earlier one, so "later" (ingested_at) is strict even
    when the clock is coarse or stepped back."""
    row = con.execute("select max(ingested_at) from ingest.files").fetchone()
    floor = max([t for t in (after, row[0] if row else None) if t is not None], default=None)
    now = utcnow()
    if floor is not None and now <= floor:
        now = floor + timedelta(microseconds=1)
    return now


def ensure_batch(con: duckdb.DuckDBPyConnection, batch_id: str, started_at: datetime) -> None:
    """Create the batch row on its first new file (a run that finds nothing writes nothing)."""
    con.execute(
        "insert into ingest.batches (batch_id, started_at, status) "
        "values ($b, $t, 'running') on conflict do nothing",
        {"b": batch_id, "t": started_at},
    )


def record_file(
    con: duckdb.DuckDBPyConnection,
    result: FileResult,
    *,
    batch_id: str,
    ingested_at: datetime,
) -> None:
    """The manifest row of a file this batch read (loaded, or quarantined whole) or found to
    be a copy of content already ingested (skipped)."""
    con.execute(
        "insert into ingest.files (source, file, sha256, size_bytes, batch_id, ingested_at, status,"
        " reason, rows_read, rows_loaded, rows_quarantined, extra_columns, mtime_ns) "
        "values ($source, $file, $sha, $size, $batch, $at, $status, $reason, $read, $loaded, "
        "$quarantined, $extra, $mtime)",
        {
            "source": result.source,
            "file": result.file,
            "sha": result.sha256,
            "size": result.size_bytes,
            "batch": batch_id,
            "at": ingested_at,
            "status": result.status,
            "reason": result.reason,
            "read": result.rows_read,
            "loaded": result.rows_loaded,
            "quarantined": result.rows_quarantined,
            "extra": json.dumps(list(result.extra_columns)) if result.extra_columns else None,
            "mtime": result.mtime_ns,
        },
    )


def quarantine_file(
    con: duckdb.DuckDBPyConnection,
    *,
    batch_id: str,
    source: str,
    file: str,
    rule: str,
    reason: str,
    columns: list[str] | None,
    at: datetime,
) -> None:
    """One quarantine row for a whole file (row null); raw_values lists its columns if known."""
    con.execute(
        "insert into quality.quarantine "
        '(batch_id, source, file, "row", stage, rule, reason, raw_values, quarantined_at) '
        "values ($b, $source, $file, null, 'ingest', $rule, $reason, $raw, $at)",
        {
            "b": batch_id,
            "source": source,
            "file": file,
            "rule": rule,
            "reason": reason,
            "raw": json.dumps({"columns": columns}) if columns is not None else None,
            "at": at,
        },
    )


def finish_batch(
    con: duckdb.DuckDBPyConnection, batch_id: str, *, files_seen: int, files_skipped: int
) -> None:
    """Mark the batch completed. Files seen and skipped come from the run; what the batch
    holds (files loaded or quarantined, rows) is counted from the manifest, which has every
    file the batch committed, also those of a step that failed afterwards."""
    con.execute(
        "update ingest.batches b set finished_at = $t, status = 'completed', "
        "files_seen = $seen, files_ingested = f.loaded, "
        "files_skipped = $skipped, files_quarantined = f.quarantined, "
        "rows_read = f.rows_read, rows_loaded = f.rows_loaded, rows_quarantined = f.rows_quarantined "
        "from (select count(*) filter (where status = 'loaded') as loaded, "
        "count(*) filter (where status = 'quarantined') as quarantined, "
        "coalesce(sum(rows_read), 0) as rows_read, coalesce(sum(rows_loaded), 0) as rows_loaded, "
        "coalesce(sum(rows_quarantined), 0) as rows_quarantined "
        "from ingest.files where batch_id = $b) f where b.batch_id = $b",
        {"t": utcnow(), "b": batch_id, "seen": files_seen, "skipped": files_skipped},
    )


def close_interrupted(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Close batches a process that died left 'running', as completed with the files that
    committed (counted from the manifest); the caller purges their marked rows. Only one process can write the warehouse, so a
    running batch seen by a new run is stale; each of its files committed whole with its
    manifest row, so what it holds is valid and goes on to validation. The files it did not
    reach are new to the next run."""
    rows = con.execute(
        "update ingest.batches b set status = 'completed', finished_at = $t, "
        "files_seen = f.n, files_ingested = f.loaded, files_skipped = 0, "
        "files_quarantined = f.quarantined, rows_read = f.rows_read, rows_loaded = f.rows_loaded, "
        "rows_quarantined = f.rows_quarantined "
        "from (select b2.batch_id, count(f.file) as n, "
        "count(f.file) filter (where f.status = 'loaded') as loaded, "
        "count(f.file) filter (where f.status = 'quarantined') as quarantined, "
        "coalesce(sum(f.rows_read), 0) as rows_read, coalesce(sum(f.rows_loaded), 0) as rows_loaded, "
        "coalesce(sum(f.rows_quarantined), 0) as rows_quarantined "
        "from ingest.batches b2 left join ingest.files f on f.batch_id = b2.batch_id "
        "where b2.status = 'running' group by b2.batch_id) f "
        "where b.batch_id = f.batch_id returning b.batch_id",
        {"t": utcnow()},
    ).fetchall()
    return [str(r[0]) for r in rows]
