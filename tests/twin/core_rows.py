"""Insert rows into core.* tables of a warehouse, with the provenance columns core requires.

Sources promoted in place (sensor readings) are written to raw and their batch recorded as
promoted, which is what core's view over them shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from twin_core.contracts import get_source
from twin_core.ingest.lake import rows_table
from twin_core.validation.promote_in_place import IN_PLACE
from twin_core.warehouse import quote_ident

# Raw rows must carry their load time; core rows written here keep it null as before.
INGESTED_AT = datetime(2026, 1, 1)


def insert(con: duckdb.DuckDBPyConnection, source: str, rows: Sequence[dict[str, Any]]) -> None:
    """Append contract rows to core.<source>; missing optional columns are null."""
    cols = get_source(source).column_names
    extra = ["_ingested_at"] if source in IN_PLACE else []
    names = ", ".join(quote_ident(c) for c in (*cols, "_batch_id", "_file", "_row", *extra))
    marks = ", ".join("?" for _ in range(len(cols) + 3 + len(extra)))
    con.executemany(
        f"insert into {_target(source)} ({names}) values ({marks})",
        [
            [r.get(c) for c in cols] + ["B1", f"{source}.csv", i + 1] + [INGESTED_AT] * len(extra)
            for i, r in enumerate(rows)
        ],
    )
    _promoted(con, source)


def insert_frame(con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame) -> None:
    """Append a frame of contract columns to core.<source> (bulk, for sensor readings)."""
    cols = [c for c in get_source(source).column_names if c in frame.columns]
    full = frame.select(cols).with_columns(
        _batch_id=pl.lit("B1"),
        _file=pl.lit(f"{source}.parquet"),
        _row=pl.int_range(1, frame.height + 1),
    )
    if source in IN_PLACE:
        full = full.with_columns(_ingested_at=pl.lit(INGESTED_AT))
    con.register("_rows", full.to_arrow())
    try:
        names = ", ".join(quote_ident(c) for c in full.columns)
        con.execute(f"insert into {_target(source)} ({names}) select {names} from _rows")
    finally:
        con.unregister("_rows")
    _promoted(con, source)


def _target(source: str) -> str:
    # A source kept in the lake: its rows outside the lake (raw.<source> is a view).
    return rows_table(source) if source in IN_PLACE else f"core.{quote_ident(source)}"


def _promoted(con: duckdb.DuckDBPyConnection, source: str, batch_id: str = "B1") -> None:
    """Record ``batch_id`` of an in-place source as promoted (its span from its raw rows)."""
    if source not in IN_PLACE:
        return
    con.execute(
        "insert or replace into core.promoted_batches select ?, ?, now()::timestamp, count(*), "
        f"min(ts), max(ts) from raw.{quote_ident(source)} where _batch_id = ?",
        [source, batch_id, batch_id],
    )


def insert_by_name(
    con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame, batch_id: str = "b1"
) -> None:
    """Insert a frame (contract columns and provenance, by name) into core.<source>, or for an
    in-place source into raw with its batch recorded as promoted."""
    if source in IN_PLACE and "_ingested_at" not in frame.columns:
        frame = frame.with_columns(_ingested_at=pl.lit(INGESTED_AT))
    con.register("_rows", frame.to_arrow())
    try:
        con.execute(f"insert into {_target(source)} by name select * from _rows")
    finally:
        con.unregister("_rows")
    _promoted(con, source, batch_id)
