"""Casting and quarantine: one landing file into ``raw.<source>`` and ``quality.quarantine``.

Grain: one raw row per data row of the file whose values all cast to the contract types;
one quarantine row (stage ``ingest``) per row that does not, naming column and value.

The file is read once. A single ``insert ... select`` casts every row with ``try_cast``
and writes all of them into raw; a row that failed a cast carries, in ``_extra``, a marker
``!`` followed by its rule, reason and the row as read. A second statement in the same
transaction copies the marked rows to quarantine. ``purge_marked`` deletes them from raw
when the batch is closed, before it is marked completed, so validation never sees them.
(Splitting in the insert itself would need a second read of the file or a staged copy of
every row; at 86M rows a day both cost more. Deleting inside the file's transaction makes
DuckDB rewrite the whole appended file at commit instead of keeping the row groups it
already wrote: 20 s for 10M rows, against 0.1 s for the delete after the commit.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from twin_core.contracts import Column, DuckType, Source
from twin_core.faults import crash_point
from twin_core.ingest.lake import fits_contract, in_lake, quarantine_marked, record, store
from twin_core.ingest.mapping import Resolved
from twin_core.ingest.readers import Relation
from twin_core.warehouse import quote_ident, sql_literal

# Marks a row that failed a cast while it passes through raw (JSON never starts with it).
STASH = "!"

_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_FLOAT = re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL.*)$")


# ISO 8601 forms without offset or zone name ("Z" is UTC). strptime reads them exactly, at
# the cost of DuckDB's TIMESTAMP cast (which cannot be used: it ignores an offset or a word
# after the time instead of failing) and a fifth of the TIMESTAMPTZ cast's.
_PLAIN_ISO = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_PLAIN_ISO_SQL = "[" + ", ".join(f"'{f}'" for f in _PLAIN_ISO) + "]"


def _string_cast(s: str, target: DuckType) -> str:
    """Text to the contract type. A timestamp with an offset or zone goes through TIMESTAMPTZ,
    so it converts to UTC (the session time zone is UTC); one without is UTC already."""
    if target == "DOUBLE":
        return f"try_cast({s} as double)"
    if target == "BIGINT":
        # try_cast('3.5' as bigint) rounds to 4: accept only integral values.
        return (
            f"(case when try_cast({s} as double) = try_cast({s} as bigint) "
            f"then try_cast({s} as bigint) end)"
        )
    if target == "TIMESTAMP":
        # The TIMESTAMPTZ cast (offsets, zone names) runs only for rows strptime did not read.
        return (
            f"coalesce(try_strptime({s}, {_PLAIN_ISO_SQL}), "
            f"try_cast(try_cast({s} as timestamptz) as timestamp))"
        )
    if target == "DATE":
        return f"try_cast({s} as date)"
    return s


@dataclass(frozen=True)
class Cast:
    """How one file column becomes a contract column."""

    value: str  # SQL of the typed value
    present: str  # SQL that is not null where the file has a value
    can_fail: bool  # the cast failed where ``present`` is not null and ``value`` is null


def cast_expr(acc: str, src_type: str, target: DuckType) -> Cast:
    """Turn column ``acc`` of DuckDB type ``src_type`` into the contract type ``target``."""
    if target == "VARCHAR":
        return Cast(acc if src_type == "VARCHAR" else f"cast({acc} as varchar)", acc, False)
    if src_type == "VARCHAR":
        present = f"nullif({acc}, '')"  # an empty field is a missing value, not a bad one
        return Cast(_string_cast(present, target), present, True)
    if src_type == target:
        return Cast(acc, acc, False)
    temporal = src_type.startswith("TIMESTAMP") or src_type == "DATE"
    if target in ("TIMESTAMP", "DATE") and temporal:
        return Cast(f"cast({acc} as {target.lower()})", acc, False)
    if target == "DOUBLE" and (_INTEGER.match(src_type) or _FLOAT.match(src_type)):
        return Cast(f"try_cast({acc} as double)", acc, True)
    if target == "BIGINT" and _INTEGER.match(src_type):
        return Cast(f"try_cast({acc} as bigint)", acc, True)
    if target == "BIGINT" and _FLOAT.match(src_type):
        return Cast(
            f"(case when {acc} = trunc({acc}) then try_cast({acc} as bigint) end)", acc, True
        )
    # Anything else (a number for a timestamp, a boolean for a double, ...) is read as text.
    return Cast(_string_cast(f"cast({acc} as varchar)", target), acc, True)


@dataclass(frozen=True)
class Counts:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def typed_sql(contract: Source, rel: Relation, res: Resolved) -> tuple[str, dict[str, object]]:
    """The single pass over a file typing it to the contract: the contract columns, ``_row``
    and ``_extra`` (bad rows marked)."""
    params: dict[str, object] = dict(rel.params)
    n = len(rel.columns)
    passthrough = ["_row"] + ([rel.json_column] if rel.json_column else [])
    inner = ", ".join(passthrough + [f"{rel.accessors[i]} as a{i}" for i in range(n)])
    if rel.json_column is None:
        # File column names are values: they go into the JSON of the row as parameters.
        params |= {f"n{i}": name for i, name in enumerate(rel.columns)}
        row_json = "json_object(" + ", ".join(f"$n{i}, a{i}" for i in range(n)) + ")"
    else:
        row_json = rel.json_column

    failed: list[str] = []
    reasons: list[str] = []
    values = [
        f"{_value(col, rel, res, failed, reasons)} as {quote_ident(col.name)}"
        for col in contract.columns
    ]
    bad = " or ".join(failed) if failed else "false"
    rule = sql_literal("cast_failed")
    reason = f"concat_ws('; ', {', '.join(reasons)})" if reasons else "''"
    if rel.not_a_record is not None:
        bad = f"{rel.not_a_record} or {bad}"
        rule = f"(case when {rel.not_a_record} then 'not_an_object' else {rule} end)"
        reason = (
            f"(case when {rel.not_a_record} then 'the row is not a JSON object' else {reason} end)"
        )
    stash = (
        f"{sql_literal(STASH)} || "
        f"json_object('rule', {rule}, 'reason', {reason}, 'raw', {row_json})::varchar"
    )
    extra = _extra_sql(rel, res, params)
    sql = f"""
select {", ".join(values)}, _row,
    case when {bad} then {stash} else {extra} end as _extra
from (select {inner} from ({rel.sql}))
"""
    return sql, params


def insert_sql(contract: Source, rel: Relation, res: Resolved) -> tuple[str, dict[str, object]]:
    """The single-pass ``insert`` of a file into ``raw.<source>`` (bad rows marked)."""
    typed, params = typed_sql(contract, rel, res)
    cols = ", ".join(quote_ident(c.name) for c in contract.columns)
    sql = f"""
insert into raw.{quote_ident(contract.name)} ({cols}, _batch_id, _file, _row, _extra, _ingested_at)
select {cols}, $batch_id, $file, _row, _extra, $ingested_at from ({typed})
"""
    return sql, params


def _value(col: Column, rel: Relation, res: Resolved, failed: list[str], reasons: list[str]) -> str:
    i = res.contract_index.get(col.name)
    if i is None:  # an optional column the file lacks
        return f"cast(null as {col.type.lower()})"
    cast = cast_expr(f"a{i}", rel.types[i], col.type)
    if cast.can_fail:
        fail = f"({cast.present} is not null and {cast.value} is null)"
        failed.append(fail)
        reasons.append(
            f"case when {fail} then {sql_literal(col.name + ': cannot read ')} || "
            f"to_json(left(cast(a{i} as varchar), 200)) || {sql_literal(' as ' + col.type)} end"
        )
    return cast.value


def _extra_sql(rel: Relation, res: Resolved, params: dict[str, object]) -> str:
    if not res.extra:
        return "null"
    if rel.json_column is not None:
        # What is left of the object once the contract's keys are removed (RFC 7396 patch).
        drop = {rel.columns[i]: None for i in res.contract_index.values()}
        params["drop_keys"] = json.dumps(drop)
        return f"nullif(json_merge_patch({rel.json_column}, $drop_keys)::varchar, '{{}}')"
    parts = ", ".join(f"$n{i}, a{i}" for _, i in res.extra)
    return f"json_object({parts})::varchar"


def load_file(
    con: duckdb.DuckDBPyConnection,
    contract: Source,
    rel: Relation,
    res: Resolved,
    *,
    batch_id: str,
    file: str,
    ingested_at: datetime,
    lake: tuple[Path, Path, str] | None = None,
) -> Counts:
    """Load one file inside the caller's transaction; returns its reconciliation. Rows that
    failed a cast are in quarantine and, marked, still in raw until ``purge_marked``.

    ``lake`` (TWIN_HOME, the landing file's path, its format) for a source kept in the lake
    (``twin_core.ingest.lake``): the rows go into a lake file instead of a warehouse table."""
    if lake is not None and in_lake(contract.name):
        return _load_to_lake(
            con, contract, rel, res, lake, batch_id=batch_id, file=file, ingested_at=ingested_at
        )
    sql, params = insert_sql(contract, rel, res)
    params |= {"batch_id": batch_id, "file": file, "ingested_at": ingested_at}
    row = con.execute(sql, params).fetchone()
    # The file's rows are in raw, its quarantine rows and manifest row not yet (uncommitted).
    crash_point("ingest.mid_file")
    read = int(row[0]) if row else 0
    table = f"raw.{quote_ident(contract.name)}"
    where = "_batch_id = $batch_id and _file = $file and starts_with(_extra, $stash)"
    keys = {"batch_id": batch_id, "file": file, "stash": STASH}
    moved = con.execute(
        "insert into quality.quarantine "
        '(batch_id, source, file, "row", stage, rule, reason, raw_values, quarantined_at) '
        "select _batch_id, $source, _file, _row, 'ingest', s ->> 'rule', s ->> 'reason', "
        "(s -> 'raw')::varchar, $at "
        f"from (select _batch_id, _file, _row, substr(_extra, 2)::json as s from {table} "
        f"where {where}) order by _row",
        keys | {"source": contract.name, "at": ingested_at},
    ).fetchone()
    quarantined = int(moved[0]) if moved else 0
    return Counts(read, read - quarantined, quarantined)


def _load_to_lake(
    con: duckdb.DuckDBPyConnection,
    contract: Source,
    rel: Relation,
    res: Resolved,
    where: tuple[Path, Path, str],
    *,
    batch_id: str,
    file: str,
    ingested_at: datetime,
) -> Counts:
    home, landing_path, fmt = where
    adopt = fits_contract(con, contract, rel, res, fmt)
    typed, params = (None, {}) if adopt else typed_sql(contract, rel, res)
    lf = store(con, home, contract, landing_path, typed, params, adopt=adopt)
    crash_point("ingest.mid_file")
    quarantined = 0
    if lf.how == "converted":
        quarantined = quarantine_marked(
            con, contract.name, home / lf.path, batch_id, file, ingested_at
        )
    record(con, contract.name, lf, batch_id=batch_id, file=file, ingested_at=ingested_at, home=home)
    return Counts(lf.rows, lf.rows - quarantined, quarantined)


def purge_marked(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """Delete from raw the rows of ``batch_id`` marked as failed casts (their copies are in
    quarantine). Only sources whose manifest counts quarantined rows are searched."""
    sources = con.execute(
        "select distinct source from ingest.files where batch_id = $b and rows_quarantined > 0",
        {"b": batch_id},
    ).fetchall()
    deleted = 0
    for (source,) in sources:
        if in_lake(str(source)):
            continue  # the lake's view leaves marked rows out
        row = con.execute(
            f"delete from raw.{quote_ident(str(source))} "
            "where _batch_id = $b and starts_with(_extra, $stash)",
            {"b": batch_id, "stash": STASH},
        ).fetchone()
        deleted += int(row[0]) if row else 0
    return deleted
