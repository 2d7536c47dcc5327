"""Schema and precision notes: what a loaded file held that the contract's types cannot keep.

A file that loads can still lose something without an error: DuckDB reads a CSV row that ends
in an empty field the header does not name (a trailing comma) and drops the field; a JSON
object with a key twice keeps the first value; a TIMESTAMP keeps microseconds, so a ninth
fractional digit goes; a DATE keeps the day, so "2026-03-05 14:30" loses its time. None of
these is wrong enough to quarantine the row (the value kept is what the contract asks for),
but the file's result says so: ``file_notes`` returns one sentence per kind, with the count
of rows and the first row, and ingest appends them to the loaded file's ``reason`` (the
manifest's ``reason`` column and the reconciliation table).

One extra read of the file (two for a CSV), in DuckDB, only of the columns that matter;
a file with nothing to check (Parquet without nanosecond or timestamp-for-date columns) is
not read again.
"""

from __future__ import annotations

import duckdb

from twin_core.contracts import Source
from twin_core.ingest.discover import LandingFile
from twin_core.ingest.mapping import Resolved
from twin_core.ingest.readers import Relation
from twin_core.warehouse import used_params

__all__ = ["file_notes"]

# More than 6 digits after the second's decimal point (microseconds): the rest is dropped.
_SUB_MICRO = r"\d:\d\d[.,]\d{6}\d*[1-9]"
# A date followed by a time that is not midnight.
_TIME_OF_DAY = r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]"


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def file_notes(
    con: duckdb.DuckDBPyConnection,
    f: LandingFile,
    rel: Relation,
    contract: Source,
    res: Resolved,
) -> list[str]:
    """The notes of a file that loaded (empty: nothing was dropped). A query that fails
    (the file is the load's to judge, and it loaded) gives no note rather than an error."""
    notes: list[str] = []
    try:
        if f.format == "csv":
            notes += _trailing_field(con, rel)
        if rel.json_column is not None:
            notes += _duplicate_keys(con, rel)
        notes += _precision(con, rel, contract, res)
    except duckdb.Error:
        return notes
    return notes


def _trailing_field(con: duckdb.DuckDBPyConnection, rel: Relation) -> list[str]:
    """Rows with one field more than the header, the last one empty (a trailing comma)."""
    n = len(rel.columns)
    columns = {f"c{i}": "VARCHAR" for i in range(n + 1)}
    # One column more than the header, padded with NULL where a row has none; an empty field
    # reads as '' (nullstr is a string no field holds), so padding and emptiness differ.
    row = con.execute(
        "select count(*), min(_row) from (select row_number() over () as _row, * from "
        "read_csv($path, auto_detect=false, header=true, delim=',', quote='\"', escape='\"', "
        "strict_mode=true, null_padding=true, nullstr=$nullstr, columns=$columns)) "
        f"where c{n} = ''",
        {"path": rel.params["path"], "columns": columns, "nullstr": "\x00\x01"},
    ).fetchone()
    if row is None or not row[0]:
        return []
    return [
        f"schema note: an empty field beyond the header's {n} columns (a trailing comma) "
        f"on {_rows(row[0])} (first: row {row[1]}); the empty field is ignored"
    ]


def _duplicate_keys(con: duckdb.DuckDBPyConnection, rel: Relation) -> list[str]:
    """JSON objects with a key twice: the first value is read, the later ones dropped."""
    j = rel.json_column
    row = con.execute(
        f"select count(*), min(_row) from ({rel.sql}) where json_type({j}) = 'OBJECT' "
        f"and len(json_keys({j})) > len(list_distinct(json_keys({j})))",
        used_params(rel.sql, rel.params),
    ).fetchone()
    if row is None or not row[0]:
        return []
    return [
        f"schema note: a key repeated within one JSON object on {_rows(row[0])} (first: "
        f"row {row[1]}); the key's first value is loaded, the later ones are dropped"
    ]


def _precision(
    con: duckdb.DuckDBPyConnection, rel: Relation, contract: Source, res: Resolved
) -> list[str]:
    """Timestamps finer than a microsecond, and dates that carry a time of day."""
    checks: list[tuple[str, str]] = []  # (note, SQL condition on the row)
    for col in contract.columns:
        if col.type not in ("TIMESTAMP", "DATE") or col.name not in res.contract_index:
            continue
        i = res.contract_index[col.name]
        value, kind = rel.accessors[i], rel.types[i].upper()
        if col.type == "TIMESTAMP":
            if kind == "VARCHAR":
                cond = f"regexp_matches({value}, '{_SUB_MICRO}')"
            elif kind in ("TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE_NS"):
                cond = f"epoch_ns({value}) % 1000 <> 0"
            else:
                continue
            checks.append(
                (
                    f"precision note: {col.name} finer than a microsecond on {{rows}} "
                    "(first: row {first}); kept to the microsecond, the finer digits are lost",
                    cond,
                )
            )
        else:
            if kind == "VARCHAR":
                cond = (
                    f"regexp_matches({value}, '{_TIME_OF_DAY}') and "
                    f"try_cast({value} as date) is not null and "
                    f"coalesce(try_cast(try_cast({value} as timestamp) as time) <> '00:00:00', "
                    "true)"
                )
            elif kind.startswith("TIMESTAMP"):
                cond = f"cast({value} as time) <> '00:00:00'"
            else:
                continue
            checks.append(
                (
                    f"precision note: {col.name} (a date) with a time of day on {{rows}} "
                    "(first: row {first}); the date is loaded, the time dropped",
                    cond,
                )
            )
    if not checks:
        return []
    parts = ", ".join(
        f"count(*) filter (where {cond}), min(_row) filter (where {cond})" for _, cond in checks
    )
    sql = f"select {parts} from ({rel.sql})"
    row = con.execute(sql, used_params(sql, rel.params)).fetchone()
    if row is None:
        return []
    notes = []
    for k, (text, _) in enumerate(checks):
        n, first = row[2 * k], row[2 * k + 1]
        if n:
            notes.append(text.format(rows=_rows(n), first=first))
    return notes
