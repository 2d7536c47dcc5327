"""Insert rows into core.* tables of a warehouse, with the provenance columns core requires."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from twin_core.contracts import get_source
from twin_core.warehouse import quote_ident


def insert(con: duckdb.DuckDBPyConnection, source: str, rows: Sequence[dict[str, Any]]) -> None:
    """Append contract rows to core.<source>; missing optional columns are null."""
    cols = get_source(source).column_names
    names = ", ".join(quote_ident(c) for c in (*cols, "_batch_id", "_file", "_row"))
    marks = ", ".join("?" for _ in range(len(cols) + 3))
    con.executemany(
        f"insert into core.{quote_ident(source)} ({names}) values ({marks})",
        [[r.get(c) for c in cols] + ["B1", f"{source}.csv", i + 1] for i, r in enumerate(rows)],
    )


def insert_frame(con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame) -> None:
    """Append a frame of contract columns to core.<source> (bulk, for sensor readings)."""
    cols = [c for c in get_source(source).column_names if c in frame.columns]
    full = frame.select(cols).with_columns(
        _batch_id=pl.lit("B1"),
        _file=pl.lit(f"{source}.parquet"),
        _row=pl.int_range(1, frame.height + 1),
    )
    con.register("_rows", full.to_arrow())
    try:
        names = ", ".join(quote_ident(c) for c in full.columns)
        con.execute(f"insert into core.{quote_ident(source)} ({names}) select {names} from _rows")
    finally:
        con.unregister("_rows")
