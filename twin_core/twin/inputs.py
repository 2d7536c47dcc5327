"""What a snapshot's builders read: the snapshot's context and the validated core tables.

Builders (``twin_core/twin/<domain>.py``) import these from here; ``twin_core.rebuild``
imports the builders. The dependency points one way (rebuild -> builders -> inputs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import polars as pl

from twin_core.settings import Settings
from twin_core.warehouse import fetch_polars, quote_ident, sql_file


@dataclass(frozen=True)
class SnapshotContext:
    """What a builder knows about the snapshot it contributes to."""

    snapshot_id: int
    as_of: date
    settings: Settings
    site_ids: tuple[str, ...] = ()

    @property
    def seed(self) -> int:
        return self.settings.seed


@dataclass
class CoreInputs:
    """Read access to the validated core tables for builders, as polars frames.

    ``table`` loads a core table (optionally only some columns); ``query`` runs a named
    pre-aggregation ``sql/inputs/<name>.sql`` in DuckDB with ``$as_of`` and ``$tz`` bound,
    for inputs too large to move into polars whole (sensor readings).
    Results are cached per rebuild.
    """

    con: duckdb.DuckDBPyConnection
    ctx: SnapshotContext
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict)

    def table(self, name: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        key = f"core.{name}:{columns}"
        if key not in self._cache:
            cols = "*" if columns is None else ", ".join(quote_ident(c) for c in columns)
            self._cache[key] = fetch_polars(
                self.con, f"select {cols} from core.{quote_ident(name)}"
            )
        return self._cache[key]

    def query(self, name: str, **params: Any) -> pl.DataFrame:
        sql = sql_file("inputs", name)
        return self.query_sql(sql, **params)

    def query_sql(self, sql: str, **params: Any) -> pl.DataFrame:
        """``query`` for SQL composed in code (``sensor_cache.direct_sql``), cached the same way."""
        key = f"sql:{sql}:{sorted(params.items())}"
        if key not in self._cache:
            bound: dict[str, Any] = {"as_of": self.ctx.as_of, "tz": self.ctx.settings.timezone}
            bound.update(params)
            used = {k: v for k, v in bound.items() if f"${k}" in sql}
            self._cache[key] = fetch_polars(self.con, sql, used)
        return self._cache[key]


Builder = Callable[[CoreInputs, SnapshotContext], Mapping[str, pl.DataFrame]]
