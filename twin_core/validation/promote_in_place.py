"""Promotion in place: a batch's validated sensor readings become core rows without a copy.

Grain: ``core.sensor_readings`` is a view (sql/schema/080_readings_in_place.sql) over the raw
readings of the batches in ``core.promoted_batches`` (one row per source and batch), less the
rows in ``core.sensor_reading_exclusions`` (one row per raw reading left out: quarantined, or
superseded by a later row of its key, with the batch whose validation left it out).

Why: a bench day is 86M readings. Copying them from raw into core was half of validation's
time (25 s of 47 s on the bench day) and kept the largest table twice; the view reads the same
raw rows, and a promotion writes only the batch's row, its exclusions and, when a later
delivery corrects earlier readings, the pairs of rows that share a key.

The view holds what the copying promotion (``promote.py``) held: one row per contract key,
the latest by (_ingested_at, _file, _row) over every promoted batch, whatever order batches
are validated in. Promoting a batch again first forgets what its earlier promotion excluded,
so re-validation with other settings converges on the same view.
"""

from __future__ import annotations

from typing import Any

import duckdb

from twin_core.contracts import Source
from twin_core.validation.quarantine import LATER_FIRST
from twin_core.validation.unique_key import KeyTimes, key_time_column
from twin_core.warehouse import quote_ident, used_params

# Sources stored in place, and the table of the rows each view leaves out.
IN_PLACE: dict[str, str] = {"sensor_readings": "core.sensor_reading_exclusions"}
PAIRS = "validation_key_pairs"


def _time_key(src: Source) -> str:
    """The key's time column: the one validation's key facts (``KeyTimes``) describe."""
    t = key_time_column(src)
    if t is None:
        raise ValueError(f"{src.name}: in-place promotion needs one time column in the key")
    return t


def promote_in_place(
    con: duckdb.DuckDBPyConnection,
    src: Source,
    batch_id: str,
    *,
    rows: int,
    quarantined: int,
    dedupe: bool,
    key_times: KeyTimes | None = None,
) -> tuple[int, int]:
    """Promote the batch's rows of ``src`` not quarantined (call inside a transaction, after
    the batch's validation quarantine is written). Returns (promoted, superseded)."""
    excl = IN_PLACE[src.name]
    table = f"raw.{quote_ident(src.name)}"
    t = quote_ident(_time_key(src))
    key = [quote_ident(c) for c in src.key]
    con.execute(f"delete from {excl} where by_batch = ?", [batch_id])
    con.execute(
        "delete from core.promoted_batches where source = ? and batch_id = ?",
        [src.name, batch_id],
    )
    con.execute(
        f"insert into {excl} select batch_id, file, \"row\", 'quarantined', batch_id "
        "from quality.quarantine where batch_id = ? and source = ? and stage = 'validation'",
        [batch_id, src.name],
    )
    visible = (
        f"not exists (select 1 from {excl} x where x.batch_id = r._batch_id "
        'and x.file = r._file and x."row" = r._row)'
    )
    candidates = f"select * from {table} r where r._batch_id = $batch and {visible}"
    params: dict[str, Any] = {"batch": batch_id, "by": batch_id}
    if dedupe:
        # Keys repeated in the batch and not quarantined (unique_key set to warning or off, or
        # a correction in another file of the batch): the latest row of each stays.
        sql = (
            f"insert into {excl} select _batch_id, _file, _row, 'superseded', $by from "
            f"({candidates} qualify row_number() over "
            f"(partition by {', '.join(key)} order by {LATER_FIRST}) > 1)"
        )
        con.execute(sql, used_params(sql, params))
    if key_times is not None:  # computed by validation's facts: no second scan of the batch
        lo, hi, null_times = key_times.lo, key_times.hi, key_times.nulls
    else:
        span = con.execute(
            f"select min({t}), max({t}), count(*) filter (where {t} is null) from {table} "
            "where _batch_id = ?",
            [batch_id],
        ).fetchone()
        assert span is not None
        lo, hi, null_times = span
    in_span = f" and c.{t} between $lo and $hi" if lo is not None and not null_times else ""
    span_params = {"lo": lo, "hi": hi} if in_span else {}
    core = f"core.{quote_ident(src.name)}"
    # The batch itself is not in core.promoted_batches now, so the view shows other batches only.
    shares = con.execute(
        f"select exists (select 1 from {core} c where true{in_span})", span_params
    ).fetchone()
    if shares and shares[0]:
        _settle_shared_keys(con, excl, candidates, core, key, in_span, {**params, **span_params})
    row = con.execute(
        f'select count(*) from (select distinct file, "row" from {excl} where batch_id = ?)',
        [batch_id],
    ).fetchone()
    promoted = rows - (int(row[0]) if row else 0)
    con.execute(
        "insert into core.promoted_batches values (?, ?, now()::timestamp, ?, ?, ?)",
        [src.name, batch_id, promoted, lo, hi],
    )
    return promoted, rows - quarantined - promoted


def _settle_shared_keys(
    con: duckdb.DuckDBPyConnection,
    excl: str,
    candidates: str,
    core: str,
    key: list[str],
    in_span: str,
    params: dict[str, Any],
) -> None:
    """Of each key the batch shares with another promoted batch's visible row, exclude the
    earlier row (by _ingested_at, _file, _row): a late correction wins, an older delivery
    validated late does not."""
    same_key = " and ".join(f"c.{k} is not distinct from p.{k}" for k in key)
    pairs = quote_ident(PAIRS)
    sql = (
        f"create or replace temp table {pairs} as "
        "select p._batch_id as p_batch, p._file as p_file, p._row as p_row, "
        "c._batch_id as c_batch, c._file as c_file, c._row as c_row, "
        "(coalesce(c._ingested_at, '-infinity'::timestamp), c._file, c._row) "
        "<= (p._ingested_at, p._file, p._row) as batch_wins "
        f"from ({candidates}) p join {core} c on {same_key}{in_span}"
    )
    con.execute(sql, used_params(sql, params))
    try:
        con.execute(
            f"insert into {excl} select c_batch, c_file, c_row, 'superseded', $by "
            f"from {pairs} where batch_wins",
            {"by": params["by"]},
        )
        con.execute(
            f"insert into {excl} select p_batch, p_file, p_row, 'superseded', $by "
            f"from {pairs} where not batch_wins",
            {"by": params["by"]},
        )
    finally:
        con.execute(f"drop table {pairs}")
