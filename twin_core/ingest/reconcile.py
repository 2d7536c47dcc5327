"""Reconciliation against the tables: one row per ingested file version, comparing the
manifest's counts with the rows actually in raw and in quarantine."""

from __future__ import annotations

import duckdb
import polars as pl

from twin_core.contracts import SOURCES
from twin_core.warehouse import fetch_polars, quote_ident


def reconciliation(con: duckdb.DuckDBPyConnection, batch_id: str | None = None) -> pl.DataFrame:
    """Per file of ``batch_id`` (default: every batch): rows_read, rows_loaded, raw_rows,
    rows_quarantined, quarantine_rows and ``holds`` (read = loaded + quarantined, and both
    match the tables)."""
    raw_counts = " union all ".join(
        f"select _batch_id, _file, count(*) as n from raw.{quote_ident(s)} "
        "where $batch is null or _batch_id = $batch group by all"
        for s in SOURCES
    )
    sql = f"""
with raw_rows as ({raw_counts}),
quarantined as (
    select batch_id, file, count(*) as n from quality.quarantine
    where stage = 'ingest' and "row" is not null and ($batch is null or batch_id = $batch)
    group by all
)
select f.batch_id, f.source, f.file, f.status, f.rows_read, f.rows_loaded,
    coalesce(r.n, 0) as raw_rows, f.rows_quarantined, coalesce(q.n, 0) as quarantine_rows,
    f.rows_read = f.rows_loaded + f.rows_quarantined
        and f.rows_loaded = coalesce(r.n, 0)
        and f.rows_quarantined = coalesce(q.n, 0) as holds
from ingest.files f
left join raw_rows r on r._batch_id = f.batch_id and r._file = f.file
left join quarantined q on q.batch_id = f.batch_id and q.file = f.file
where $batch is null or f.batch_id = $batch
order by f.batch_id, f.source, f.file
"""
    return fetch_polars(con, sql, {"batch": batch_id})
