"""Rows that fail an error-severity row rule go to ``quality.quarantine`` (stage ``validation``).

Grain: one quarantine row per raw row, filed under the first rule it fails (in the order of
``checks.row_checks``); ``reason`` lists every rule it fails. Rows sharing a contract key in
one file keep the last; the earlier ones are quarantined under ``unique_key`` (only among rows
that pass every other rule). A key repeated across files is a late correction, settled by
promotion (``promote.py``).

Great Expectations decides which rules failed; the quarantine files the rows the same
predicates select (``Check.bad_row``, the text GX ran), so what GX counted and what is
quarantined are one query's rows. The rows are read from ``relation``, SQL naming the
batch's raw rows (a table or a parenthesised query), whatever holds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from twin_core.contracts import Source
from twin_core.ingest.order import latest_wins_order_by
from twin_core.validation.checks import Check
from twin_core.warehouse import quote_ident, used_params

# "Later" is ingest's definition (twin_core.ingest.order): _ingested_at, _file, _row.
LATER_FIRST = latest_wins_order_by(descending=True)
NOT_QUARANTINED = (
    "not exists (select 1 from quality.quarantine q where q.batch_id = $batch "
    "and q.source = $source and q.stage = 'validation' and q.file = r._file and q.\"row\" = r._row)"
)


def raw_values(src: Source) -> str:
    """SQL: the row as JSON text (contract columns, then ``_extra``). Non-finite doubles are
    written as strings ("nan", "inf"), so the JSON stays standard."""
    parts = []
    for c in src.columns:
        q = quote_ident(c.name)
        value = f"to_json({q})"
        if c.type == "DOUBLE":
            value = f"case when isfinite({q}) or {q} is null then to_json({q}) else to_json({q}::varchar) end"
        parts.append(f"'{c.name}', {value}")
    parts.append("'_extra', to_json(_extra)")
    return f"json_object({', '.join(parts)})::varchar"


def _params(checks: list[Check], **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = dict(extra)
    for c in checks:
        params.update(c.params)
    return params


FAILING = "validation_failing"  # temp table: this source's failing rows, staged once


def quarantine_failing(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    batch_id: str,
    checks: list[Check],
    at: datetime,
    relation: str | None = None,
) -> int:
    """Quarantine the rows of ``relation`` failing any of ``checks``; the number quarantined.

    ``relation``: SQL for the batch's rows of ``src`` (default: its rows in ``raw``). One scan
    stages the failing rows (a temp table: which rules each fails, the rule it is filed under,
    the reasons, its raw values), then they are inserted.
    """
    if not checks:
        return 0
    if relation is None:
        relation = f"(select * from raw.{quote_ident(src.name)} where _batch_id = $batch)"
    rule_params = {f"rule{i}": c.rule for i, c in enumerate(checks)}
    # Each predicate once per row (inner query, the contract's columns only), the rule and
    # reasons from its result: a reference predicate is a join, and written into the filter,
    # the rule and the reasons it ran three times (1.16 s against 0.92 s on a bench day).
    fails = ", ".join(f"({c.bad_row}) is true as fails{i}" for i, c in enumerate(checks))
    cols = ", ".join(quote_ident(c) for c in ["_file", "_row", "_extra", *src.column_names])
    flags = [f"fails{i}" for i in range(len(checks))]
    when_rule = " ".join(f"when {f} then $rule{i}" for i, f in enumerate(flags))
    reasons = ", ".join(
        f"case when {f} then {c.reason} end" for f, c in zip(flags, checks, strict=True)
    )
    stage = (
        f"create or replace temp table {FAILING} as "
        f"select _file, _row, {', '.join(flags)}, case {when_rule} end as rule, "
        f"concat_ws('; ', {reasons}) as reason, {raw_values(src)} as raw_values "
        f"from (select {cols}, {fails} from {relation} r) "
        f"where {' or '.join(flags)}"
    )
    try:
        con.execute(stage, used_params(stage, _params(checks, batch=batch_id, **rule_params)))
        inserted = con.execute(
            'insert into quality.quarantine (batch_id, source, file, "row", stage, rule, '
            "reason, raw_values, quarantined_at) "
            f"select $batch, $source, _file, _row, 'validation', rule, reason, raw_values, $at "
            f"from {FAILING}",
            {"batch": batch_id, "source": src.name, "at": at},
        ).fetchone()
    finally:
        con.execute(f"drop table if exists {FAILING}")
    return int(inserted[0]) if inserted else 0


def _key_sql(src: Source) -> str:
    return ", ".join(quote_ident(c) for c in src.key)


def quarantine_superseded(
    con: duckdb.DuckDBPyConnection, src: Source, batch_id: str, at: datetime
) -> int:
    """Quarantine every row of a key repeated in a file but the last, among rows not
    quarantined."""
    key = "_file, " + _key_sql(src)
    table = quote_ident(src.name)
    shown = ", ".join(f"{quote_ident(c)}::varchar" for c in src.key)
    fmt = (
        f"duplicate key ({', '.join(f'{c}={{}}' for c in src.key)}) in this file; "
        "the later row {} is kept"
    )
    sql = (
        'insert into quality.quarantine (batch_id, source, file, "row", stage, rule, reason, '
        "raw_values, quarantined_at) "
        f"select $batch, $source, _file, _row, 'validation', 'unique_key', "
        f"format($fmt, {shown}, keep_row::varchar), {raw_values(src)}, $at "
        f"from (select r.*, row_number() over w as rn, first_value(_row) over w as keep_row "
        f"from raw.{table} r "
        f"where _batch_id = $batch and {NOT_QUARANTINED} "
        f"and ({key}) in (select {key} from raw.{table} where _batch_id = $batch "
        f"group by {key} having count(*) > 1) "
        f"window w as (partition by {key} order by {LATER_FIRST})) where rn > 1"
    )
    params = {"batch": batch_id, "source": src.name, "at": at, "fmt": fmt}
    row = con.execute(sql, used_params(sql, params)).fetchone()
    return int(row[0]) if row else 0
