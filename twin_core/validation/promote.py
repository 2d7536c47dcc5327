"""Promotion: the batch's rows that passed validation become ``core.<source>`` rows.

Grain: ``core.<source>`` holds one row per contract key, the latest by
(_ingested_at, _file, _row) over every promoted batch (the order ingest gives rows; see
CONTRIBUTING.md). A row replaces the core row of its key only when it is later, so
validating batches out of order (re-validating a failed one) never lets an older row win.

Set-based: when no core row can share a key with the batch (its time-key range holds no
core rows) the rows are appended in one insert; otherwise the candidates are staged, the older
core rows deleted by key, and the candidates without a newer core row inserted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from twin_core.contracts import Source
from twin_core.validation.promote_in_place import IN_PLACE, promote_in_place
from twin_core.validation.quarantine import LATER_FIRST, NOT_QUARANTINED
from twin_core.validation.unique_key import KeyTimes
from twin_core.warehouse import quote_ident, used_params

STAGE = "validation_promote"


@dataclass(frozen=True)
class Promotion:
    promoted: int
    superseded: int


def _columns(src: Source) -> list[str]:
    return [
        *(quote_ident(c) for c in src.column_names),
        "_batch_id",
        "_file",
        "_row",
        "_ingested_at",
    ]


def _overlap(
    con: duckdb.DuckDBPyConnection, src: Source, batch_id: str
) -> tuple[bool, tuple[Any, Any] | None]:
    """Whether a core row can have a key of this batch (False only if none can), and the
    batch's range of the key's time column (None without one). Cheap: a range on the time
    column uses DuckDB's zone maps."""
    table = quote_ident(src.name)
    timed = _time_key(src)
    if timed is None:
        row = con.execute(f"select exists (select 1 from core.{table})").fetchone()
        return bool(row and row[0]), None
    t = quote_ident(timed)
    lo_hi = con.execute(
        f"select min({t}), max({t}), count(*) filter (where {t} is null) from raw.{table} "
        "where _batch_id = ?",
        [batch_id],
    ).fetchone()
    if lo_hi is None or lo_hi[0] is None:
        row = con.execute(f"select exists (select 1 from core.{table})").fetchone()
        return bool(row and row[0]), None
    row = con.execute(
        f"select exists (select 1 from core.{table} where {t} between ? and ?)", list(lo_hi[:2])
    ).fetchone()
    # A null time (its rule set to warning or off) matches core's null times: no range then.
    return bool(row and row[0]) or bool(lo_hi[2]), (None if lo_hi[2] else (lo_hi[0], lo_hi[1]))


def _time_key(src: Source) -> str | None:
    timed = [c for c in src.key if src.column(c).type in ("TIMESTAMP", "DATE")]
    return timed[0] if timed else None


def files_may_share_keys(con: duckdb.DuckDBPyConnection, src: Source, batch_id: str) -> bool:
    """Whether two files of the batch can carry the same key (a late correction inside one
    batch), so promotion must keep only the latest row per key. Cheap: one file cannot; with a
    time column in the key, files whose time ranges do not overlap cannot either."""
    table = quote_ident(src.name)
    t = _time_key(src)
    if t is None:
        row = con.execute(
            f"select count(distinct _file) > 1 from raw.{table} where _batch_id = ?", [batch_id]
        ).fetchone()
        return bool(row and row[0])
    tq = quote_ident(t)
    row = con.execute(
        f"select count(*) > 1 and bool_or(lo <= prev_hi) from ("
        f"select lo, max(hi) over (order by lo, _file rows between unbounded preceding and 1 preceding) as prev_hi "
        f"from (select _file, min({tq}) as lo, max({tq}) as hi from raw.{table} "
        f"where _batch_id = ? group by _file))",
        [batch_id],
    ).fetchone()
    return bool(row and row[0])


def promote(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    batch_id: str,
    *,
    rows: int,
    quarantined: int,
    dedupe: bool,
    files: int | None = None,
    key_times: KeyTimes | None = None,
) -> Promotion:
    """Upsert the batch's non-quarantined rows of ``src`` into core (call inside a transaction).

    ``dedupe``: a file repeats keys that were not quarantined; keep only the latest row of each
    (also done whenever files of the batch may share keys). ``files``: the batch's files of
    ``src`` if known (one file cannot share keys with another: no check).
    """
    dedupe = dedupe or (files != 1 and files_may_share_keys(con, src, batch_id))
    if src.name in IN_PLACE:
        promoted, superseded = promote_in_place(
            con,
            src,
            batch_id,
            rows=rows,
            quarantined=quarantined,
            dedupe=dedupe,
            key_times=key_times,
        )
        return Promotion(promoted, superseded)
    # Core rows have no physical order to keep (every reader orders by key or by ingest's
    # order columns), so both cores insert: on a bench day of readings (86M rows) the insert
    # took 60 s instead of 88 s for the same 47 s of CPU.
    con.execute("set preserve_insertion_order = false")
    try:
        return _promote(con, src, batch_id, rows=rows, quarantined=quarantined, dedupe=dedupe)
    finally:
        con.execute("reset preserve_insertion_order")


def _promote(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    batch_id: str,
    *,
    rows: int,
    quarantined: int,
    dedupe: bool,
) -> Promotion:
    table = quote_ident(src.name)
    cols = ", ".join(_columns(src))
    key = [quote_ident(c) for c in src.key]
    candidates = f"select {cols} from raw.{table} r where _batch_id = $batch"
    if quarantined:
        candidates += f" and {NOT_QUARANTINED}"
    if dedupe:
        candidates += (
            f" qualify row_number() over (partition by {', '.join(key)} order by {LATER_FIRST}) = 1"
        )
    params = {"batch": batch_id, "source": src.name}
    overlap, span = _overlap(con, src, batch_id)
    if not overlap:
        sql = f"insert into core.{table} ({cols}) {candidates}"
        row = con.execute(sql, used_params(sql, params)).fetchone()
        promoted = int(row[0]) if row else 0
        return Promotion(promoted, rows - quarantined - promoted)
    stage = quote_ident(STAGE)
    con.execute(
        f"create or replace temp table {stage} as {candidates}", used_params(candidates, params)
    )
    same_key = " and ".join(f"c.{k} is not distinct from p.{k}" for k in key)
    # Only core rows in the batch's time range can share a key with it: the range keeps the
    # joins below to the batch's days (zone maps) instead of every day of core's history.
    in_span = ""
    span_params: list[Any] = []
    timed = _time_key(src)
    if span is not None and timed is not None:
        in_span = f" and c.{quote_ident(timed)} between ? and ?"
        span_params = [span[0], span[1]]
    # The older core row of a key goes; a core row later than the candidate stays.
    con.execute(
        f"delete from core.{table} c using {stage} p where {same_key}{in_span} "
        "and (coalesce(c._ingested_at, '-infinity'::timestamp), c._file, c._row) "
        "<= (p._ingested_at, p._file, p._row)",
        span_params,
    )
    row = con.execute(
        f"insert into core.{table} ({cols}) select {cols} from {stage} p "
        f"where not exists (select 1 from core.{table} c where {same_key}{in_span})",
        span_params,
    ).fetchone()
    con.execute(f"drop table {stage}")
    promoted = int(row[0]) if row else 0
    return Promotion(promoted, rows - quarantined - promoted)
