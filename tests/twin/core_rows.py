"""Insert rows into core.* tables of a warehouse, with the provenance columns core requires."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

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
