"""Validate ingest batches and promote what passes: the entry points others call.

Grain: one ``BatchValidation`` per batch validated. For each batch, on one connection to the
warehouse (Great Expectations reads through cursors of it, ``gx_context``), in three phases:

1. native DuckDB: the batch's sources and row counts, the reference ids, the batch facts;
2. Great Expectations (SELECTs only): one suite per source, built from the contracts; Data Docs;
3. native DuckDB, one transaction: record every outcome; unless a batch-level error failed,
   quarantine the failing rows and promote the rest to core; mark the batch validated.

An expectation that raised raises ``ValidationError`` after recording the outcomes: nothing is quarantined or promoted
and the batch stays pending, so it is validated again once the cause is fixed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from twin_core.contracts import SOURCES, Source
from twin_core.faults import crash_point
from twin_core.settings import Settings
from twin_core.validation.checks import BatchFacts, Check, check_severity_keys, checks_for
from twin_core.validation.facts import (
    batch_facts,
    check_raw_columns,
    drop_refs,
    load_batch,
    pending_batches,
    prepare_refs,
    scan_batch,
)
from twin_core.validation.gx_context import gx_session, safe_token
from twin_core.validation.promote import promote
from twin_core.validation.quarantine import quarantine_failing, quarantine_superseded
from twin_core.validation.results import (
    BatchValidation,
    ExpectationOutcome,
    SourceResult,
    ValidationError,
    record,
)
from twin_core.validation.runner import batch_query, run_source
from twin_core.warehouse import open_warehouse, transaction


def plant_today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def validate_pending(settings: Settings, *, as_of: date | None = None) -> list[BatchValidation]:
    """Validate every completed ingest batch not validated yet, oldest first.

    A batch that fails (a batch-level error) is reported in the list and the next batches
    are still validated; an expectation that raises stops here with ``ValidationError``.
    """
    with open_warehouse(settings) as con:
        batch_ids = pending_batches(con)
    return [validate_batch(settings, b, as_of=as_of) for b in batch_ids]


@dataclass(frozen=True)
class _Run:
    batch_id: str
    run_id: str
    as_of: date
    validated_at: datetime

    def result(self, sources: tuple[SourceResult, ...], docs: Path | None) -> BatchValidation:
        if any(s.status == "failed" for s in sources):
            status = "failed"
        elif any(s.quarantined for s in sources):
            status = "passed_with_quarantine"
        else:
            status = "passed"
        return BatchValidation(
            batch_id=self.batch_id,
            run_id=self.run_id,
            status=status,  # type: ignore[arg-type]
            as_of=self.as_of,
            validated_at=self.validated_at,
            sources=sources,
            data_docs_path=docs,
        )


def validate_batch(
    settings: Settings, batch_id: str, *, as_of: date | None = None
) -> BatchValidation:
    """Validate one ingest batch, quarantine its failing rows and promote the rest to core.

    ``as_of`` (default: today in the plant's timezone) is the date freshness is judged
    against. Validating a batch again replaces its earlier validation quarantine; rows
    already in core are only replaced by later ones.
    """
    safe_token(batch_id)
    check_severity_keys(settings.validation)
    now = datetime.now(UTC)
    run = _Run(
        batch_id=batch_id,
        run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        as_of=as_of or plant_today(settings),
        validated_at=now.replace(tzinfo=None),
    )
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[phase] = round(now - started, 3)
        started = now

    with open_warehouse(settings) as con:
        load_batch(con, batch_id)
        check_raw_columns(con, list(SOURCES))
        scans = scan_batch(con, batch_id)
        rows = {source: scan.rows for source, scan in scans.items()}
        keep_refs: set[str] | None = None  # None: drop this run's refs (GX did not finish)
        try:
            ref_counts = prepare_refs(con, batch_id, run.run_id, rows, settings.validation)
            facts = batch_facts(con, settings, batch_id, scans, run.as_of, ref_counts)
            lap("prepare")
            plans = {
                s: checks_for(SOURCES[s], facts[s], run.run_id, settings.validation) for s in rows
            }
            outcomes: dict[str, list[ExpectationOutcome]] = {}
            docs = None
            if rows:
                with gx_session(
                    settings, con, f"batch {batch_id} run {run.run_id}", ref_run=run.run_id
                ) as gx:
                    for source, checks in plans.items():
                        outcomes[source] = run_source(gx, source, batch_id, checks, rows[source])
                    lap("gx")
                    docs = gx.build_data_docs(keep_runs=settings.validation.data_docs_runs)
                    keep_refs = gx.referenced_runs()
                    lap("data_docs")
            with transaction(con):
                result, error = _apply(con, run, plans, outcomes, docs, facts)
            lap("quarantine_promote")
        finally:
            drop_refs(con, run.run_id, keep=keep_refs)
    if error is not None:
        raise error
    return replace(result, seconds=seconds)


def _apply(
    con: duckdb.DuckDBPyConnection,
    run: _Run,
    plans: dict[str, list[Check]],
    outcomes: dict[str, list[ExpectationOutcome]],
    docs: Path | None,
    facts: dict[str, BatchFacts],
) -> tuple[BatchValidation, ValidationError | None]:
    """Record the outcomes and, unless the batch failed, quarantine and promote (phase 3).
    ``facts``: per source in the batch (its rows among them)."""
    con.execute(
        "delete from quality.quarantine where batch_id = ? and stage = 'validation'",
        [run.batch_id],
    )
    raised = [o for os in outcomes.values() for o in os if o.raised]
    batch_failed = any(
        o.failed_error and o.level == "batch" for os in outcomes.values() for o in os
    )
    if raised or batch_failed:
        result = run.result(
            tuple(SourceResult(s, f.rows, 0, 0, 0, tuple(outcomes[s])) for s, f in facts.items()),
            docs,
        )
        if raised:
            record(con, result, mark_batch=False)
            what = "; ".join(f"{o.source}.{o.rule}: {o.details}" for o in raised)
            return result, ValidationError(
                f"batch {run.batch_id}: {len(raised)} expectation(s) raised instead of "
                f"deciding, so nothing was promoted and the batch stays pending: {what}"
            )
        record(con, result)
        return result, None
    # Inside phase 3's transaction: the old validation quarantine is deleted, nothing promoted.
    crash_point("validate.before_promote")
    sources = tuple(
        _apply_source(con, run, SOURCES[s], plans[s], outcomes[s], f) for s, f in facts.items()
    )
    result = run.result(sources, docs)
    record(con, result)
    return result, None


def _apply_source(
    con: duckdb.DuckDBPyConnection,
    run: _Run,
    src: Source,
    checks: list[Check],
    outcomes: list[ExpectationOutcome],
    facts: BatchFacts,
) -> SourceResult:
    pairs = list(zip(checks, outcomes, strict=True))
    failing = [c for c, o in pairs if c.counts_rows and o.failed_error]
    relation = f"({batch_query(src.name, run.batch_id)})"
    quarantined = quarantine_failing(
        con, src, run.batch_id, failing, run.validated_at, relation=relation
    )
    unique = next(((c, o) for c, o in pairs if c.rule == "unique_key"), None)
    dedupe = unique is None or not unique[1].success
    if unique is not None and unique[1].failed_error:
        quarantined += quarantine_superseded(con, src, run.batch_id, run.validated_at)
        dedupe = False
    moved = promote(
        con,
        src,
        run.batch_id,
        rows=facts.rows,
        quarantined=quarantined,
        dedupe=dedupe,
        files=facts.files,
        key_times=facts.key_times,
    )
    # After the first source's promotion, the batch's other sources not yet (uncommitted).
    crash_point("validate.mid_promote")
    return SourceResult(
        src.name, facts.rows, quarantined, moved.promoted, moved.superseded, tuple(outcomes)
    )
