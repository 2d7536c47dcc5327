"""An ingest run: landing files of the selected sources into one batch.

Steps, each usable alone (the Prefect flow runs them as tasks): ``start_ingest`` checks the
request and names the batch; ``ingest_source`` reads one source's new files; ``finish_ingest``
closes the batch. ``ingest_landing`` runs all three on one connection.

Every file is one transaction: its raw rows, its quarantine rows and its manifest row
commit together, so a crash never leaves half a file, and a re-run resumes where it
stopped. Bad content is quarantined and the run goes on: any error reading one file (a cut
gzip stream, a damaged Parquet page, NUL bytes anywhere) quarantines that file with its
reason. Errors that are not the file's (a full disk, a damaged warehouse) propagate, with
their own message (the flow retries them).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb

from twin_core.contracts import SOURCES, Source
from twin_core.faults import crash_point
from twin_core.ingest.discover import FileScan, LandingFile, discover, scan_file, unknown_folders
from twin_core.ingest.errors import IngestError
from twin_core.ingest.load import load_file, purge_marked
from twin_core.ingest.manifest import (
    LatestVersion,
    SeenContent,
    close_interrupted,
    ensure_batch,
    finish_batch,
    forget_quarantined,
    latest_versions,
    next_ingested_at,
    quarantine_file,
    record_file,
    remember_mtime,
    seen_content,
    size_seen,
    utcnow,
)
from twin_core.ingest.mapping import ColumnMapping, Resolved, load_mapping, resolve
from twin_core.ingest.notes import file_notes
from twin_core.ingest.readers import FileRejected, classify_duckdb_error, probe, read_alone
from twin_core.ingest.result import UNCHANGED, FileResult, IngestResult
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse, transaction

Progress = Callable[[FileResult], None]
Scan = Callable[[], FileScan]


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction. A statement that failed on a fatal error (a full disk)
    may have ended it already: then there is nothing to roll back, and the error to report is
    that statement's, not "cannot rollback - no transaction is active"."""
    try:
        con.execute("rollback")
    except duckdb.Error as exc:
        if "no transaction is active" not in str(exc) and "invalidated" not in str(exc):
            raise


@dataclass(frozen=True)
class IngestPlan:
    """What a run will do; small and picklable, passed between the flow's tasks."""

    batch_id: str
    started_at: datetime
    sources: tuple[str, ...]
    retry_quarantined: bool = False
    unknown_folders: tuple[str, ...] = ()


_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"  # digit order is ASCII order: sorts as text
_EPOCH = datetime(1970, 1, 1)


def new_batch_id(started_at: datetime) -> str:
    """Twelve characters, e.g. ``1jbqk8u5s7k2``: the start time in milliseconds since 1970 in
    9 base32hex digits (sortable as text by start time until December 3084), then 3 random
    ones (32,768 values: two runs starting in the same millisecond, on two hosts say, collide
    with odds of 1 in 32,768). ``started_at`` is naive UTC.

    Twelve because DuckDB's zone maps keep a string's min and max whole up to 12 bytes: a row
    group whose ids all are this batch's then answers ``_batch_id = '<id>'`` from its zone map
    alone, without reading the column, and one of another batch is skipped. Every check of
    validation is such a scan: on a bench day of 86.4M readings validation took 4.3 s with
    these ids against 6.2 s with the earlier 29-character ones (``20260101T020000123456Z-
    1a2b3c``, still valid ids; their filters read the column).
    """
    ms = (started_at - _EPOCH) // timedelta(milliseconds=1)
    if not 0 <= ms < 32**9:
        raise ValueError(
            f"start time {started_at} is outside what batch ids cover (1970 to December 3084)"
        )
    digits = [_BASE32HEX[(ms >> (5 * i)) & 31] for i in reversed(range(9))]
    return "".join(digits) + "".join(secrets.choice(_BASE32HEX) for _ in range(3))


def plan_ingest(
    settings: Settings, sources: Sequence[str] | None = None, *, retry_quarantined: bool = False
) -> IngestPlan:
    """Check the request (sources known, mapping files valid, landing present) before
    anything is written."""
    chosen = tuple(SOURCES) if not sources else tuple(dict.fromkeys(sources))
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown:
        raise IngestError(f"unknown source(s) {unknown}; known: {', '.join(SOURCES)}")
    for source in chosen:
        load_mapping(settings, source)  # raises MappingError on a broken file
    if not settings.landing_dir.is_dir():
        raise IngestError(f"no landing folder {settings.landing_dir}; run `twin init` first")
    started = utcnow()
    return IngestPlan(
        batch_id=new_batch_id(started),
        started_at=started,
        sources=chosen,
        retry_quarantined=retry_quarantined,
        unknown_folders=tuple(unknown_folders(settings.landing_dir)),
    )


def start_ingest(
    settings: Settings, sources: Sequence[str] | None = None, *, retry_quarantined: bool = False
) -> IngestPlan:
    """Plan the run and close batches a crashed run left 'running'."""
    plan = plan_ingest(settings, sources, retry_quarantined=retry_quarantined)
    with open_warehouse(settings) as con:
        _recover(con)
    return plan


def ingest_source(
    settings: Settings, plan: IngestPlan, source: str, progress: Progress | None = None
) -> list[FileResult]:
    """Read the new files of one source into the plan's batch."""
    results: list[FileResult] = []
    with open_warehouse(settings) as con:
        _ingest_source(con, settings, plan, source, progress, results)
    return results


def finish_ingest(
    settings: Settings, plan: IngestPlan, files: Sequence[FileResult]
) -> IngestResult:
    """Close the batch (if the run created one) with its totals. Call it also when a step
    failed: the files that committed form a complete batch for validation."""
    with open_warehouse(settings) as con:
        return _finish(con, plan, files)


def ingest_landing(
    settings: Settings,
    *,
    sources: Sequence[str] | None = None,
    progress: Progress | None = None,
    retry_quarantined: bool = False,
) -> IngestResult:
    """Ingest every new landing file of ``sources`` (default: all) in one batch.

    Unchanged files are skipped; a run that finds nothing new writes nothing and returns a
    result whose ``batch_id`` is None. ``retry_quarantined`` reads again files that were
    quarantined whole and have not changed (after fixing a mapping file, say).
    """
    plan = plan_ingest(settings, sources, retry_quarantined=retry_quarantined)
    files: list[FileResult] = []
    with open_warehouse(settings) as con:
        _recover(con)
        try:
            for source in plan.sources:
                _ingest_source(con, settings, plan, source, progress, files)
        except BaseException as exc:
            # Also after an error: every file that committed is whole, so the batch holding
            # them is complete and goes on to validation; the rest is new to the next run. If
            # closing it fails too (the disk that failed the load is still full), the next run
            # closes it; the error reported stays the first one.
            try:
                _finish(con, plan, files)
            except duckdb.Error as closing:
                exc.add_note(f"(closing the batch failed too: {closing}; the next run closes it)")
            raise
        return _finish(con, plan, files)


def _recover(con: duckdb.DuckDBPyConnection) -> None:
    """Close the batches a crashed run left 'running', with their committed files."""
    with transaction(con):
        for batch_id in close_interrupted(con):
            purge_marked(con, batch_id)


def _finish(
    con: duckdb.DuckDBPyConnection, plan: IngestPlan, files: Sequence[FileResult]
) -> IngestResult:
    created = con.execute(
        "select count(*) from ingest.batches where batch_id = $b", {"b": plan.batch_id}
    ).fetchone()
    result = IngestResult(
        batch_id=plan.batch_id if created and created[0] else None,
        started_at=plan.started_at,
        files=list(files),
        unknown_folders=list(plan.unknown_folders),
    )
    if result.batch_id is not None:
        t = result.totals
        with transaction(con):
            purge_marked(con, result.batch_id)
            finish_batch(
                con, result.batch_id, files_seen=t.files_seen, files_skipped=t.files_skipped
            )
    result.finished_at = utcnow()
    return result


def _ingest_source(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    plan: IngestPlan,
    source: str,
    progress: Progress | None,
    results: list[FileResult],
) -> None:
    """Append each file's result to ``results`` as it is done (a caller that catches an
    error still sees the files that committed)."""
    contract = SOURCES[source]
    mapping = load_mapping(settings, source)
    latest = latest_versions(con, source)
    for f in discover(settings.landing_dir, [source]):
        known = latest.get(f.rel)
        if known is not None and (quick := _unchanged_by_stat(plan, f, known)) is not None:
            results.append(quick)
            if progress is not None:
                progress(quick)
            continue
        # CSV and JSON row numbers come from row_number() over the scan, which must keep
        # file order. Parquet carries its own (file_row_number), so its rows may be written
        # in any order: that halves the cost of the insert.
        con.execute(
            f"set preserve_insertion_order = {'false' if f.format == 'parquet' else 'true'}"
        )
        result = _ingest_file(con, settings, plan, contract, mapping, f)
        results.append(result)
        if progress is not None:
            progress(result)


def _unchanged_by_stat(plan: IngestPlan, f: LandingFile, known: LatestVersion) -> FileResult | None:
    """The result for a file whose size and modification time are those of its latest
    version: unchanged, without reading it again (None: look at it). A file rewritten with
    new content keeps neither its size and nanosecond mtime both, short of someone setting
    the time back on purpose; ``touch`` the file to have it hashed again."""
    if known.mtime_ns is None or f.mtime_ns < 0:
        return None
    if (known.size_bytes, known.mtime_ns) != (f.size_bytes, f.mtime_ns):
        return None
    if known.status == "quarantined" and plan.retry_quarantined:
        return None
    if f.refusal() is not None:
        return None  # it became a link or a pipe: refused by the full path
    reason = UNCHANGED
    if known.status == "quarantined":
        reason = f"unchanged since quarantined in batch {known.batch_id}: {known.reason}"
    return FileResult(
        source=f.source,
        file=f.rel,
        status="skipped",
        reason=reason,
        format=f.format,
        size_bytes=f.size_bytes,
        sha256=known.sha256,
        mtime_ns=f.mtime_ns,
    )


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    plan: IngestPlan,
    contract: Source,
    mapping: ColumnMapping,
    f: LandingFile,
) -> FileResult:
    t0 = time.perf_counter()
    base = FileResult(
        source=f.source,
        file=f.rel,
        status="skipped",
        format=f.format,
        size_bytes=f.size_bytes,
        mtime_ns=f.mtime_ns if f.mtime_ns >= 0 else None,
    )
    refused = f.refusal()
    if refused is not None:
        return _refuse(con, plan, f, base, refused, t0)
    if not size_seen(con, f.source, f.size_bytes):
        # No version of this source has this size, so the content is new whatever its hash:
        # hash (and scan) it on another core while DuckDB reads it (a CSV load runs on one
        # thread).
        with ThreadPoolExecutor(max_workers=1) as pool:
            fut = pool.submit(scan_file, f.path, f.format)
            return _load(con, settings, plan, contract, mapping, f, base, fut.result, False, t0)
    try:
        found = scan_file(f.path, f.format)
    except FileNotFoundError:
        raise  # gone since it was found: its source's step fails and is retried
    except OSError as exc:
        return _refuse(con, plan, f, base, ("unparseable_file", _unreadable(exc)), t0)
    base = replace(base, sha256=found.sha256)
    seen = seen_content(con, f.source, f.rel, base.sha256)
    retry = (
        seen is not None
        and plan.retry_quarantined
        and seen.status == "quarantined"
        and seen.file == f.rel
    )
    if seen is not None and not retry:
        if seen.file != f.rel:
            return _record_copy(con, plan, base, seen, t0)
        if not seen.latest:
            reason = (
                f"content went back to the version ingested in batch {seen.batch_id}; it is not "
                "loaded again (send it under a new name to make it the latest)"
            )
        elif seen.status == "quarantined":
            reason = f"unchanged since quarantined in batch {seen.batch_id}: {seen.reason}"
        else:
            reason = UNCHANGED
        if seen.file == f.rel and seen.latest and base.mtime_ns is not None:
            # Touched (or recorded before mtimes were kept): the next run knows it by stat.
            remember_mtime(con, f.source, f.rel, base.sha256, base.mtime_ns)
        return replace(base, reason=reason, seconds=time.perf_counter() - t0)
    return _load(con, settings, plan, contract, mapping, f, base, lambda: found, retry, t0)


def _unreadable(exc: OSError) -> str:
    return f"cannot be read: {exc.strerror or exc}"


def _damage(found: FileScan) -> FileRejected | None:
    """The whole-file rejection a scan of the file's bytes calls for (None: none)."""
    if found.damaged is not None:
        return FileRejected("unparseable_file", found.damaged)
    if found.nul_line is not None:
        return FileRejected(
            "wrong_encoding",
            f"the file contains a NUL byte at line {found.nul_line} (byte {found.nul_offset:,} "
            "of the text): not UTF-8 text (a damaged or zero-filled file, or UTF-16 without a "
            "byte order mark?)",
        )
    return None


def _held_back(settings: Settings, f: LandingFile, found: FileScan | None) -> str | None:
    """Why a file whose last line has no newline is not read yet: the line may have been cut
    while the file was written (``6070.0`` landed as ``60``). Held back until the file has
    gone ``ingest_settle_s`` unchanged; a newer version of it (with its newline) is read at
    once. None: read it."""
    if found is None or not found.ends_without_newline:
        return None
    age = time.time() - f.mtime_ns / 1e9
    if age >= settings.ingest_settle_s:
        return None
    return (
        "held back: the last line has no newline, so it may be cut off (the file still being "
        f"written?); it is read once it has not changed for {settings.ingest_settle_s} s "
        f"(unchanged for {max(age, 0):.0f} s now)"
    )


def _settled_note(found: FileScan) -> str | None:
    if found.ends_without_newline:
        return (
            "note: the last line has no newline; loaded as complete since the file has not "
            "changed for the settle time (ingest_settle_s)"
        )
    return None


def _scan_quietly(scan: Scan) -> FileScan | None:
    try:
        return scan()
    except OSError:
        return None


def _fingerprint(scan: Scan, rej: FileRejected) -> str:
    """The file's hash for its manifest row; a file that cannot be read at all is keyed by
    its reason (as ``_refuse`` does), so the next run finds it unchanged."""
    found = _scan_quietly(scan)
    if found is not None:
        return found.sha256
    return hashlib.sha256(f"unreadable:{rej.rule}:{rej.reason}".encode()).hexdigest()


def _load(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    plan: IngestPlan,
    contract: Source,
    mapping: ColumnMapping,
    f: LandingFile,
    base: FileResult,
    scan: Scan,
    retry: bool,
    t0: float,
) -> FileResult:
    """Read a new file (or one retried) into raw and quarantine, in one transaction."""

    def held(reason: str) -> FileResult:
        # Not recorded in the manifest: the next run looks at the file afresh.
        return replace(base, reason=reason, seconds=time.perf_counter() - t0)

    at = next_ingested_at(con, None)
    con.execute("begin transaction")
    try:
        if retry:
            forget_quarantined(con, f.source, f.rel, base.sha256)
        ensure_batch(con, plan.batch_id, plan.started_at)
        rel = probe(con, f)
        res = resolve(contract, mapping, rel.columns)
        _check_columns(contract, res, list(rel.columns))
        counts = load_file(
            con,
            contract,
            rel,
            res,
            batch_id=plan.batch_id,
            file=f.rel,
            ingested_at=at,
            lake=(settings.home, f.path, f.format),
        )
        notes = file_notes(con, f, rel, contract, res)
        found = scan()
        if (damaged := _damage(found)) is not None:
            raise damaged
        if (why := _held_back(settings, f, found)) is not None:
            _rollback(con)
            return held(why)
        if f.changed_since_found():
            _rollback(con)
            return held(
                "the file changed while it was read (still being written?); "
                "it is read again on the next run"
            )
        result = replace(
            base,
            status="loaded",
            reason="; ".join(n for n in (_settled_note(found), *notes) if n) or None,
            sha256=found.sha256,
            rows_read=counts.rows_read,
            rows_loaded=counts.rows_loaded,
            rows_quarantined=counts.rows_quarantined,
            extra_columns=tuple(name for name, _ in res.extra),
            missing_optional=res.missing_optional,
            seconds=time.perf_counter() - t0,
        )
        record_file(con, result, batch_id=plan.batch_id, ingested_at=at)
        crash_point("ingest.before_commit")
        con.execute("commit")
        return result
    except Exception as exc:
        _rollback(con)
        if isinstance(exc, FileRejected):
            rejected: FileRejected | None = exc
        elif isinstance(exc, duckdb.Error):
            rejected = classify_duckdb_error(exc, f.rel) or read_alone(f)
        elif isinstance(exc, OSError | EOFError | ValueError) and not isinstance(
            exc, FileNotFoundError
        ):
            rejected = read_alone(f)
        else:
            rejected = None
        if rejected is None:
            raise  # not the file's fault: a full disk, a damaged warehouse, a bug
        scanned = _scan_quietly(scan)
        if scanned is not None and (damaged := _damage(scanned)) is not None:
            rejected = damaged  # a cut gzip stream, NUL bytes: said more precisely
        # A half-written file fails to parse as often as not: held back, not quarantined
        # (a byte order mark, NUL bytes, a missing column are no matter of the last line).
        elif rejected.rule == "unparseable_file" and (why := _held_back(settings, f, scanned)):
            return held(why)
        fingerprint = _fingerprint(scan, rejected)
        return _reject(con, plan, replace(base, sha256=fingerprint), rejected, at, retry, t0)
    except BaseException:
        _rollback(con)
        raise


def _refuse(
    con: duckdb.DuckDBPyConnection,
    plan: IngestPlan,
    f: LandingFile,
    base: FileResult,
    refused: tuple[str, str],
    t0: float,
) -> FileResult:
    """Quarantine a file that is not read at all (``LandingFile.refusal``), once: its
    fingerprint is the reason's, so the next run finds it unchanged."""
    rule, reason = refused
    base = replace(base, sha256=hashlib.sha256(f"refused:{rule}:{reason}".encode()).hexdigest())
    seen = seen_content(con, f.source, f.rel, base.sha256)
    if seen is not None and seen.file == f.rel:
        return replace(
            base,
            reason=f"unchanged since quarantined in batch {seen.batch_id}: {seen.reason}",
            seconds=time.perf_counter() - t0,
        )
    at = next_ingested_at(con, None)
    return _reject(con, plan, base, FileRejected(rule, reason), at, False, t0)


def _record_copy(
    con: duckdb.DuckDBPyConnection,
    plan: IngestPlan,
    base: FileResult,
    seen: SeenContent,
    t0: float,
) -> FileResult:
    """A file whose content came before under another name: recorded in the manifest as
    skipped (so the next run knows the name), not loaded again."""
    result = replace(
        base,
        reason=f"same content as {seen.file} ({seen.status} in batch {seen.batch_id})",
        seconds=time.perf_counter() - t0,
    )
    at = next_ingested_at(con, None)
    with transaction(con):
        ensure_batch(con, plan.batch_id, plan.started_at)
        record_file(con, result, batch_id=plan.batch_id, ingested_at=at)
    return result


def _check_columns(contract: Source, res: Resolved, columns: list[str]) -> None:
    if res.ambiguous:
        what = "; ".join(f"{t} <- {', '.join(map(repr, c))}" for t, c in res.ambiguous.items())
        raise FileRejected(
            "ambiguous_column", f"several columns claim one contract column: {what}", columns
        )
    if res.missing_required:
        hint = ""
        if len(columns) == 1 and any(sep in columns[0] for sep in (";", "\t", "|")):
            hint = " (the header is one column: extracts must be comma-separated)"
        raise FileRejected(
            "missing_column",
            f"missing required column(s) {', '.join(res.missing_required)}; the file has "
            f"{json.dumps(columns)}{hint}; map other names in mappings/{contract.name}.toml",
            columns,
        )


def _reject(
    con: duckdb.DuckDBPyConnection,
    plan: IngestPlan,
    base: FileResult,
    rej: FileRejected,
    at: datetime,
    retry: bool,
    t0: float,
) -> FileResult:
    result = replace(
        base,
        status="quarantined",
        reason=rej.reason,
        rule=rej.rule,
        seconds=time.perf_counter() - t0,
    )
    with transaction(con):
        if retry:
            forget_quarantined(con, base.source, base.file, base.sha256)
        ensure_batch(con, plan.batch_id, plan.started_at)
        quarantine_file(
            con,
            batch_id=plan.batch_id,
            source=base.source,
            file=base.file,
            rule=rej.rule,
            reason=rej.reason,
            columns=rej.columns,
            at=at,
        )
        record_file(con, result, batch_id=plan.batch_id, ingested_at=at)
    return result
