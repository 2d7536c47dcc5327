"""The checks of a source, built from its contract: one ``Check`` per expectation.

Grain: one check per rule per source. A row-level rule is declared once, as a SQL predicate
over the row (``Check.bad_row``: true when the row fails, constants written as literals); GX
runs it through one expectation type (``expect_no_unexpected_rows``, GX's
``UnexpectedRowsExpectation`` counting only: ``select * from {batch} where <bad_row>``) and the
quarantine files the rows the same predicate selects. GX's count and the quarantine are the
same query over the same rows, so they cannot disagree (no cross-check needed). Only the
reason text shown in the quarantine takes parameters. The predicates read columns only, never
a table: they run over whatever relation holds the batch's rows (GX's ``{batch}``, the
quarantine's ``relation``).

Rule names (``quality.quarantine.rule``, ``quality.validation_runs.rule``) and kinds (the
severity keys of ``validation.severity``):

- column rules named after the GX built-in they replace (kind), ``<kind>:<column>``, e.g.
  ``expect_column_values_to_not_be_null:machine_id`` (not null, range, allowed set) and
  ``plausible_time``; GX runs them as ``expect_no_unexpected_rows`` over the predicate;
- kind ``expect_no_unexpected_rows``: ``unique_key`` (the contract key repeats in the batch,
  a grouping query, not a row predicate), ``<column>_in_<source>`` (a reference, e.g.
  ``sensor_id_in_sensors``), ``column_types``, and each contract ``RowRule`` by its name
  (``end_after_start``, ...);
- batch-level checks run as GX built-ins (columns, row count, freshness, sensors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from typing import Any, ClassVar, Literal

import great_expectations as gx
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)

from twin_core.contracts import SOURCES, Column, Source
from twin_core.settings import ValidationSettings
from twin_core.validation.unique_key import KeyTimes, unique_key_query
from twin_core.warehouse import quote_ident

Level = Literal["row", "batch"]
Severity = Literal["error", "warning"]
Setting = Literal["error", "warning", "off"]

PROVENANCE = ("_batch_id", "_file", "_row", "_extra", "_ingested_at")
# Finite doubles only: DuckDB orders NaN above every number, so NaN and +-inf fail a range
# from -DBL_MAX to DBL_MAX (GX and the quarantine predicate alike).
DBL_MAX = 1.7976931348623157e308
REFS_TABLE = "meta.validation_refs"


@dataclass(frozen=True)
class BatchFacts:
    """What the batch-level checks of one source compare against (computed before GX runs)."""

    rows: int
    volume_band: tuple[int, int] | None = None  # None: not enough history yet
    fresh_after: datetime | date | None = None  # newest event must be at or after this
    min_sensors: int | None = None  # distinct sensors that must report (sensor_readings)
    files: int | None = None  # files of the source in the batch (None: unknown)
    key_times: KeyTimes | None = None  # None: no single time column in the key, or no times


@dataclass(frozen=True)
class Check:
    """One expectation of one source and how its failing rows are found."""

    source: str
    rule: str
    kind: str  # the rule's type (a severity key), e.g. expect_column_values_to_be_between
    level: Level
    severity: Severity
    description: str
    # Shown in quality.validation_runs.expectation; the keyword arguments of the GX built-in
    # for a check without a predicate (batch level), the query for ``unique_key``.
    gx_kwargs: Mapping[str, Any]
    # SQL over the row, constants as literals: true when the row fails (row level). GX's
    # query and the quarantine both use this text.
    bad_row: str | None = None
    reason: str | None = None  # SQL: why the row fails (row level); may use ``params``
    params: Mapping[str, Any] = field(default_factory=dict)  # named parameters of ``reason``

    @property
    def counts_rows(self) -> bool:
        """GX's unexpected count is the number of rows ``bad_row`` selects."""
        return self.level == "row" and self.bad_row is not None

    @property
    def gx_type(self) -> str:
        """The GX expectation type that runs the check."""
        return UNEXPECTED_ROWS if self.bad_row is not None else self.kind

    def expectation(self) -> Any:
        """A fresh GX expectation (one per suite), tagged with the rule and severity."""
        meta = {"rule": self.rule, "level": self.level, "twin_severity": self.severity}
        severity = "critical" if self.severity == "error" else "warning"
        if self.bad_row is not None:
            return _CLASS[UNEXPECTED_ROWS](
                unexpected_rows_query=f"select * from {{batch}} where {self.bad_row}",
                description=f"{self.rule}: {self.description}",
                meta=meta,
                severity=severity,
            )
        return _CLASS[self.kind](**self.gx_kwargs, meta=meta, severity=severity)


class ExpectNoUnexpectedRows(UnexpectedRowsExpectation):  # type: ignore[misc]
    """GX's UnexpectedRowsExpectation, counting only: the rows its query returns are unexpected.

    The parent also fetches up to 200 of those rows, which runs the query a second time; on a
    day of sensor readings that doubles the cost of the key check, and the rows are never read
    here (failing rows are found by the contract's predicates). Type name:
    ``expect_no_unexpected_rows``.
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        unexpected = metrics["unexpected_rows_query.row_count"]
        return {"success": unexpected == 0, "result": {"observed_value": unexpected}}


UNEXPECTED_ROWS = "expect_no_unexpected_rows"
E: Any = gx.expectations  # its names are not re-exported for mypy
_CLASS: dict[str, type[Any]] = {
    "expect_table_columns_to_match_ordered_list": E.ExpectTableColumnsToMatchOrderedList,
    "expect_table_row_count_to_be_between": E.ExpectTableRowCountToBeBetween,
    "expect_column_max_to_be_between": E.ExpectColumnMaxToBeBetween,
    "expect_column_unique_value_count_to_be_between": E.ExpectColumnUniqueValueCountToBeBetween,
    "expect_column_values_to_not_be_null": E.ExpectColumnValuesToNotBeNull,
    "expect_column_values_to_be_between": E.ExpectColumnValuesToBeBetween,
    "expect_column_values_to_be_in_set": E.ExpectColumnValuesToBeInSet,
    UNEXPECTED_ROWS: ExpectNoUnexpectedRows,
}


def ref_name(source: str, column: str) -> str:
    return f"{source}.{column}"


def refs_query(run_id: str, ref: str) -> str:
    """Ids accepted for a reference in this run. ``run_id`` and ``ref`` are safe tokens made
    by the runner and the contract (GX query text cannot take parameters)."""
    return f"select id from {REFS_TABLE} where run_id = '{run_id}' and ref = '{ref}'"


def sql_literal(value: Any) -> str:
    """``value`` as a DuckDB literal: GX's query text takes no parameters, and the quarantine
    runs the same text. Strings are quoted (quotes doubled); numbers are written exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value!r}::double"
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    raise TypeError(f"no SQL literal for {value!r}")


def _bounds(col: Column) -> tuple[float | None, float | None]:
    lo, hi = col.min, col.max
    if col.type == "DOUBLE":
        lo = -DBL_MAX if lo is None else lo
        hi = DBL_MAX if hi is None else hi
    return lo, hi


def _number(col: Column, value: float) -> str:
    """A bound as a literal: a double for DOUBLE columns (exact, e.g. DBL_MAX), else as written."""
    if col.type == "DOUBLE":
        return sql_literal(float(value))
    return sql_literal(value)


def _range_text(col: Column) -> str:
    """The contract's range in words, e.g. ``> 0, finite`` or ``1 to 5``."""
    parts = []
    strict = col.strict_min or col.strict_max
    if col.min is not None and col.max is not None and not strict:
        parts.append(f"{col.min:g} to {col.max:g}")
    else:
        if col.min is not None:
            parts.append(f"{'>' if col.strict_min else '>='} {col.min:g}")
        if col.max is not None:
            parts.append(f"{'<' if col.strict_max else '<='} {col.max:g}")
    if col.type == "DOUBLE":
        parts.append("finite")
    return ", ".join(parts)


def row_checks(
    src: Source, run_id: str, files: int | None = None, key_times: KeyTimes | None = None
) -> list[Check]:
    """Row-level checks in quarantine order (a row failing several is filed under the first).

    ``files``: how many files of the source the batch holds; with one, the key check groups
    by the key alone (cheaper on a day of sensor readings than grouping by file and key).
    ``key_times``: the batch's times of the key's time column; when their bitmaps fit
    ``BITMAP_BUDGET`` the key check finds repeats in two stages (see ``unique_key_query``).
    """
    out: list[Check] = []
    n = 0

    def p(prefix: str) -> str:
        nonlocal n
        n += 1
        return f"{prefix}{n}"

    for col in src.columns:
        if col.required:
            q = quote_ident(col.name)
            k = p("nn")
            out.append(
                Check(
                    src.name,
                    f"expect_column_values_to_not_be_null:{col.name}",
                    "expect_column_values_to_not_be_null",
                    "row",
                    "error",
                    f"{col.name} is required",
                    {"column": col.name},
                    bad_row=f"{q} is null",
                    reason=f"${k}",
                    params={k: f"{col.name} is null (required)"},
                )
            )
    for col in src.columns:
        lo, hi = _bounds(col)
        if lo is None and hi is None:
            continue
        q = quote_ident(col.name)
        k = p("rg")
        conds: list[str] = []
        if lo is not None:
            conds.append(f"{q} {'>' if col.strict_min else '>='} {_number(col, lo)}")
        if hi is not None:
            conds.append(f"{q} {'<' if col.strict_max else '<='} {_number(col, hi)}")
        allowed = _range_text(col)
        params: dict[str, Any] = {
            f"{k}_fmt": f"{col.name} = {{}} is outside the allowed range ({allowed})"
        }
        kwargs: dict[str, Any] = {"column": col.name, "min_value": lo, "max_value": hi}
        if col.strict_min:
            kwargs["strict_min"] = True
        if col.strict_max:
            kwargs["strict_max"] = True
        out.append(
            Check(
                src.name,
                f"expect_column_values_to_be_between:{col.name}",
                "expect_column_values_to_be_between",
                "row",
                "error",
                f"{col.name}: {allowed}",
                kwargs,
                bad_row=f"({q} is not null and not ({' and '.join(conds)}))",
                reason=f"format(${k}_fmt, {q}::varchar)",
                params=params,
            )
        )
    times = [col for col in src.columns if col.type in ("TIMESTAMP", "DATE")]
    if times:
        out.append(_plausible_time(src, times, p("tw")))
    for col in src.columns:
        if col.allowed:
            q = quote_ident(col.name)
            k = p("in")
            out.append(
                Check(
                    src.name,
                    f"expect_column_values_to_be_in_set:{col.name}",
                    "expect_column_values_to_be_in_set",
                    "row",
                    "error",
                    f"{col.name} in {', '.join(col.allowed)}",
                    {"column": col.name, "value_set": list(col.allowed)},
                    bad_row=f"({q} is not null and not list_contains("
                    f"{sql_literal(list(col.allowed))}, {q}))",
                    reason=f"format(${k}_fmt, {q})",
                    params={
                        f"{k}_fmt": f"{col.name} = '{{}}' is not one of {', '.join(col.allowed)}",
                    },
                )
            )
    for col in src.columns:
        if col.references:
            ref_source, ref_col = col.references
            q = quote_ident(col.name)
            ref = ref_name(ref_source, ref_col)
            k = p("ref")
            out.append(
                Check(
                    src.name,
                    f"{col.name}_in_{ref_source}",
                    UNEXPECTED_ROWS,
                    "row",
                    "error",
                    f"{col.name} names a known {ref} (core, or this batch's valid master rows)",
                    {"description": f"{col.name} references {ref}"},
                    bad_row=f"({q} is not null and {q} not in ({refs_query(run_id, ref)}))",
                    reason=f"format(${k}_fmt, {q})",
                    params={f"{k}_fmt": f"{col.name} = '{{}}' is not a known {ref}"},
                )
            )
    for rule in src.rules:
        k = p("rr")
        reason, params = _rule_reason(rule.name, rule.description, rule.shown, k)
        out.append(
            Check(
                src.name,
                rule.name,
                UNEXPECTED_ROWS,
                "row",
                rule.severity,
                rule.description,
                {"description": rule.description},
                # A predicate that is null (a column it reads is empty) passes, as in a SQL
                # CHECK constraint; emptiness is the not-null checks' business.
                bad_row=f"coalesce(not ({rule.predicate}), false)",
                reason=reason,
                params=params,
            )
        )
    if src.kind == "master":
        out = [_naming_the_key(src, c) for c in out]
    query, method = unique_key_query(src, files, key_times)
    out.append(
        Check(
            src.name,
            "unique_key",
            UNEXPECTED_ROWS,
            "row",
            "error",
            f"the key ({', '.join(src.key)}) is unique within each file; of a repeated key the "
            "last row is kept and the earlier ones quarantined (across files the later row "
            "replaces the earlier: a late correction, not an error)",
            {
                "unexpected_rows_query": query,
                "description": f"key ({', '.join(src.key)}) unique within each file ({method})",
            },
        )
    )
    return out


def _rule_reason(
    name: str, description: str, shown: tuple[str, ...], k: str
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of a row rule's reason: its name and description, then the row's
    values of ``shown``, e.g. ``shift_end_after_start: ... (end_ts=2026-03-02 06:00:00)``."""
    params: dict[str, Any] = {k: f"{name}: {description}"}
    if not shown:
        return f"${k}", params
    params[f"{k}_fmt"] = " (" + ", ".join(f"{c}={{}}" for c in shown) + ")"
    values = ", ".join(f"coalesce({quote_ident(c)}::varchar, 'null')" for c in shown)
    return f"concat(${k}, format(${k}_fmt, {values}))", params


def _naming_the_key(src: Source, check: Check) -> Check:
    """``check`` with its reason led by the row's key, e.g. ``material_id=M1: service_level =
    1.0 is outside ...``: a master row is an item (a material, a machine, a line's shift) the
    user fixes by name, not by file and row. Transaction rows keep file and row only."""
    if check.reason is None:
        return check
    shown = ", ".join(f"coalesce({quote_ident(c)}::varchar, 'null')" for c in src.key)
    fmt = ", ".join(f"{c}={{}}" for c in src.key) + ": "
    reason = f"concat(format($master_key_fmt, {shown}), {check.reason})"
    params = {**check.params, "master_key_fmt": fmt}
    return replace(check, reason=reason, params=params)


# Plant times outside these are typos or placeholders (9999-12-31, 1900-01-01, epoch 0 in the
# wrong unit), never plant events: the twin would count a "running" event from 1900 or a
# reading in 9999 as real.
TIME_MIN = date(1970, 1, 1)
TIME_MAX = date(2100, 1, 1)  # exclusive


def _plausible_time(src: Source, times: list[Column], k: str) -> Check:
    """Every timestamp and date of a row lies in [TIME_MIN, TIME_MAX)."""
    window = f"{TIME_MIN.isoformat()} .. {(TIME_MAX - timedelta(days=1)).isoformat()}"
    lo, hi = f"timestamp '{TIME_MIN.isoformat()}'", f"timestamp '{TIME_MAX.isoformat()}'"
    outside = {
        c.name: f"({quote_ident(c.name)} < {lo} or {quote_ident(c.name)} >= {hi})" for c in times
    }
    params: dict[str, Any] = {}
    reasons = []
    for i, c in enumerate(times):
        params[f"{k}_fmt{i}"] = f"{c.name} = {{}} is outside {window}"
        reasons.append(
            f"case when {outside[c.name]} then format(${k}_fmt{i}, {quote_ident(c.name)}::varchar) end"
        )
    return Check(
        src.name,
        "plausible_time",
        UNEXPECTED_ROWS,
        "row",
        "error",
        f"{', '.join(c.name for c in times)} within {window}",
        {"description": f"times within {window}"},
        bad_row=f"coalesce({' or '.join(outside.values())}, false)",
        reason=f"concat_ws('; ', {', '.join(reasons)})",
        params=params,
    )


def batch_checks(src: Source, facts: BatchFacts) -> list[Check]:
    """Batch-level checks: schema and types (error), volume, freshness, sensors (warning)."""
    out = [
        Check(
            src.name,
            "expect_table_columns_to_match_ordered_list",
            "expect_table_columns_to_match_ordered_list",
            "batch",
            "error",
            "raw columns are the contract's plus provenance",
            {"column_list": [*src.column_names, *PROVENANCE]},
        ),
        Check(
            src.name,
            "column_types",
            UNEXPECTED_ROWS,
            "batch",
            "error",
            "raw column types are the contract's",
            {
                # GX cannot reflect column types through duckdb-engine (its reflection queries
                # pg_catalog tables DuckDB lacks), so the types are read with typeof().
                "unexpected_rows_query": "select * from (select "
                + ", ".join(
                    f"typeof({quote_ident(c.name)}) as {quote_ident(c.name)}" for c in src.columns
                )
                + " from {batch} limit 1) where "
                + " or ".join(f"{quote_ident(c.name)} <> '{c.type}'" for c in src.columns),
                "description": "column types: "
                + ", ".join(f"{c.name} {c.type}" for c in src.columns),
            },
        ),
    ]
    if facts.volume_band is not None:
        lo, hi = facts.volume_band
        out.append(
            Check(
                src.name,
                "expect_table_row_count_to_be_between",
                "expect_table_row_count_to_be_between",
                "batch",
                "warning",
                f"row count within [{lo}, {hi}] (band around recent batches)",
                {"min_value": lo, "max_value": hi},
            )
        )
    if facts.fresh_after is not None and src.event_time is not None:
        out.append(
            Check(
                src.name,
                f"expect_column_max_to_be_between:{src.event_time}",
                "expect_column_max_to_be_between",
                "batch",
                "warning",
                f"newest {src.event_time} at or after {facts.fresh_after.isoformat()}",
                {"column": src.event_time, "min_value": facts.fresh_after},
            )
        )
    if facts.min_sensors is not None and src.name == "sensor_readings":
        out.append(
            Check(
                src.name,
                "expect_column_unique_value_count_to_be_between:sensor_id",
                "expect_column_unique_value_count_to_be_between",
                "batch",
                "warning",
                f"at least {facts.min_sensors} distinct sensors report",
                {"column": "sensor_id", "min_value": facts.min_sensors},
            )
        )
    return out


def resolve(
    source: str, rule: str, kind: str, default: Severity, overrides: Mapping[str, Setting]
) -> Setting:
    """The configured severity: ``source.rule``, ``rule``, ``source.kind``, ``kind``, default."""
    for key in (f"{source}.{rule}", rule, f"{source}.{kind}", kind):
        if key in overrides:
            return overrides[key]
    return default


def checks_for(
    src: Source, facts: BatchFacts, run_id: str, config: ValidationSettings
) -> list[Check]:
    """Every check of a source with its configured severity; checks set to ``off`` dropped."""
    out: list[Check] = []
    rows = row_checks(src, run_id, facts.files, facts.key_times)
    for check in [*batch_checks(src, facts), *rows]:
        setting = resolve(src.name, check.rule, check.kind, check.severity, config.severity)
        if setting == "off":
            continue
        if setting != check.severity:
            check = Check(**{**check.__dict__, "severity": setting})
        out.append(check)
    return out


def catalog() -> list[Check]:
    """Every check of every source, as if every batch-level check applied (for docs and for
    checking severity keys)."""
    facts = BatchFacts(rows=1, volume_band=(1, 1), fresh_after=date(2000, 1, 1), min_sensors=1)
    return [c for s in SOURCES.values() for c in [*batch_checks(s, facts), *row_checks(s, "x")]]


def check_severity_keys(config: ValidationSettings) -> None:
    """A clear error for a severity override that names no rule or expectation type."""
    known: set[str] = set()
    for c in catalog():
        known |= {c.rule, c.kind, f"{c.source}.{c.rule}", f"{c.source}.{c.kind}"}
    unknown = [k for k in config.severity if k not in known]
    if unknown:
        hints = []
        for k in unknown:
            close = get_close_matches(k, sorted(known), n=2)
            hints.append(f"{k!r}" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
        raise ValueError(
            "validation.severity names no known rule or expectation: "
            + "; ".join(hints)
            + ". See `twin validate --rules`."
        )
