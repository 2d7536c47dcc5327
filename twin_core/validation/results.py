"""What a validation run found and did, and where it is recorded.

Grain: ``ExpectationOutcome`` one per expectation per source per run (a row of
``quality.validation_runs``); ``SourceResult`` one per source per run (a row of
``quality.validation_sources``); ``BatchValidation`` one per batch per run (``ingest.batches``
gets its ``validated_at`` and ``validation_status``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from twin_core.markdown import md_text

Status = Literal["passed", "passed_with_quarantine", "failed"]


class ValidationError(RuntimeError):
    """Validation could not decide (an expectation raised, or GX and the quarantine predicate
    disagree). Nothing was promoted and the batch stays pending; the message names the cause."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result on one source of a batch."""

    source: str
    rule: str
    expectation: str
    level: Literal["row", "batch"]
    severity: Literal["error", "warning"]
    success: bool
    raised: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    details: str

    @property
    def failed_error(self) -> bool:
        return not self.success and self.severity == "error"


@dataclass(frozen=True)
class SourceResult:
    """One source of a batch: how its rows were split and which rules failed."""

    source: str
    rows: int
    quarantined: int
    promoted: int
    superseded: int
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(o.rule for o in self.outcomes if o.failed_error)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(o.rule for o in self.outcomes if not o.success and o.severity == "warning")

    @property
    def batch_errors(self) -> tuple[str, ...]:
        return tuple(o.rule for o in self.outcomes if o.failed_error and o.level == "batch")

    @property
    def status(self) -> Status:
        if self.batch_errors:
            return "failed"
        return "passed_with_quarantine" if self.quarantined else "passed"


@dataclass(frozen=True)
class BatchValidation:
    """The outcome of validating one ingest batch.

    ``status``: ``passed`` (every row promoted), ``passed_with_quarantine`` (failing rows
    quarantined, the rest promoted) or ``failed`` (a batch-level expectation of severity
    error failed: nothing promoted).
    """

    batch_id: str
    run_id: str
    status: Status
    as_of: date
    validated_at: datetime
    sources: tuple[SourceResult, ...]
    data_docs_path: Path | None
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Per source: rows, quarantined, promoted, superseded."""
        return {
            s.source: {
                "rows": s.rows,
                "quarantined": s.quarantined,
                "promoted": s.promoted,
                "superseded": s.superseded,
            }
            for s in self.sources
        }

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sources)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.sources)

    @property
    def promoted(self) -> int:
        return sum(s.promoted for s in self.sources)

    def failures(self) -> list[str]:
        """``source: rule`` of every batch-level error that failed the batch."""
        return [f"{s.source}: {r}" for s in self.sources for r in s.batch_errors]

    def to_markdown(self) -> str:
        """A summary for a Prefect artifact or a terminal: one line per source."""
        head = f"### Batch `{self.batch_id}`: **{self.status}**"
        lines = [
            head,
            "",
            f"as of {self.as_of.isoformat()}, run `{self.run_id}`"
            + (f", [Data Docs]({self.data_docs_path.as_uri()})" if self.data_docs_path else ""),
            "",
        ]
        if not self.sources:
            return "\n".join([*lines, "No rows in this batch."])
        lines += [
            "| source | rows | quarantined | promoted | superseded | errors | warnings |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for s in self.sources:
            lines.append(
                f"| {s.source} | {s.rows} | {s.quarantined} | {s.promoted} | {s.superseded} "
                f"| {md_text(', '.join(s.errors)) or '-'} | {md_text(', '.join(s.warnings)) or '-'} |"
            )
        if self.status == "failed":
            # Failures can quote values of the batch: escaped (twin_core.markdown).
            lines += ["", "Nothing was promoted: " + md_text("; ".join(self.failures()))]
        return "\n".join(lines)


def details_text(value: Any) -> str:
    """Compact JSON of GX result details (NaN and timestamps as text)."""
    return json.dumps(value, default=str, allow_nan=True)[:2000]


def record(
    con: duckdb.DuckDBPyConnection,
    result: BatchValidation,
    *,
    mark_batch: bool = True,
) -> None:
    """Write the run's outcomes, per-source results and the batch's validation status."""
    runs = [
        (
            result.run_id,
            result.batch_id,
            o.source,
            o.expectation,
            o.rule,
            o.severity,
            o.level,
            o.success,
            o.raised,
            o.element_count,
            o.unexpected_count,
            o.unexpected_percent,
            o.details,
            result.validated_at,
        )
        for s in result.sources
        for o in s.outcomes
    ]
    if runs:
        con.executemany(
            "insert into quality.validation_runs (run_id, batch_id, source, expectation, rule, "
            "severity, level, success, raised, element_count, unexpected_count, "
            "unexpected_percent, details, validated_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
    docs = str(result.data_docs_path) if result.data_docs_path else None
    sources = [
        (
            result.run_id,
            result.batch_id,
            s.source,
            s.status,
            s.rows,
            s.quarantined,
            s.promoted,
            s.superseded,
            ", ".join(s.warnings) or None,
            ", ".join(s.errors) or None,
            docs,
            result.validated_at,
        )
        for s in result.sources
    ]
    if sources:
        con.executemany(
            "insert into quality.validation_sources (run_id, batch_id, source, status, rows, "
            "quarantined, promoted, superseded, warnings, errors, data_docs, validated_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sources,
        )
    if mark_batch:
        con.execute(
            "update ingest.batches set validated_at = ?, validation_status = ? where batch_id = ?",
            [result.validated_at, result.status, result.batch_id],
        )
