"""Fixtures for validation tests: a warehouse file in TWIN_HOME, and helpers that write ingest
batches and raw rows directly with SQL (as ingest would), so validation is tested on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol

import duckdb
import pytest

from twin_core.contracts import get_source
from twin_core.ingest.lake import rows_table
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse, quote_ident

INGESTED = datetime(2026, 3, 2, 1, 0)
DAY = "2026-03-01"


class AddBatch(Protocol):
    def __call__(
        self,
        batch_id: str,
        rows: dict[str, list[dict[str, Any]]],
        *,
        ingested_at: datetime = INGESTED,
        status: str = "completed",
    ) -> None: ...


def insert_raw(
    con: duckdb.DuckDBPyConnection,
    source: str,
    batch_id: str,
    rows: list[dict[str, Any]],
    ingested_at: datetime,
) -> None:
    """Rows of one source, numbered 1.. in the file ``<source>/<batch_id>.csv`` unless a row
    names its own ``_file`` / ``_row``."""
    src = get_source(source)
    cols = [*src.column_names, "_batch_id", "_file", "_row", "_extra", "_ingested_at"]
    values = [
        [
            *(r.get(c) for c in src.column_names),
            batch_id,
            r.get("_file", f"{source}/{batch_id}.csv"),
            r.get("_row", i),
            r.get("_extra"),
            r.get("_ingested_at", ingested_at),
        ]
        for i, r in enumerate(rows, start=1)
    ]
    con.executemany(
        f"insert into {_table(con, source)} ({', '.join(cols)}) "
        f"values ({', '.join('?' for _ in cols)})",
        values,
    )


def _table(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """raw.<source>, or the table beside the lake's view of it (schema 120 on)."""
    kind = con.execute(
        "select table_type from information_schema.tables where table_schema = 'raw' "
        "and table_name = ?",
        [source],
    ).fetchone()
    return f"raw.{quote_ident(source)}" if kind and kind[0] == "BASE TABLE" else rows_table(source)


@pytest.fixture
def add_batch(settings: Settings) -> Iterator[AddBatch]:
    """Write an ingest batch and its raw rows into the warehouse of ``settings``."""

    def add(
        batch_id: str,
        rows: dict[str, list[dict[str, Any]]],
        *,
        ingested_at: datetime = INGESTED,
        status: str = "completed",
    ) -> None:
        with open_warehouse(settings) as con:
            con.execute(
                "insert into ingest.batches (batch_id, started_at, finished_at, status) "
                "values (?, ?, ?, ?)",
                [batch_id, ingested_at, ingested_at, status],
            )
            for source, source_rows in rows.items():
                insert_raw(con, source, batch_id, source_rows, ingested_at)

    yield add


Query = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def query(settings: Settings) -> Query:
    """Run SQL on the warehouse and return all rows (the file is closed again at once)."""

    def run(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with open_warehouse(settings) as con:
            return con.execute(sql, params).fetchall()

    return run


def machine(machine_id: str = "M1", **over: Any) -> dict[str, Any]:
    row = {
        "machine_id": machine_id,
        "line_id": "L1",
        "site_id": "S1",
        "name": f"machine {machine_id}",
        "machine_type": "press",
        "line_position": 1,
        "ideal_cycle_time_s": 2.0,
    }
    return {**row, **over}


def sensor(sensor_id: str = "T1", machine_id: str = "M1", **over: Any) -> dict[str, Any]:
    row = {
        "sensor_id": sensor_id,
        "machine_id": machine_id,
        "metric": "temperature",
        "unit": "C",
        "valid_min": 0.0,
        "valid_max": 200.0,
    }
    return {**row, **over}


def reading(sensor_id: str = "T1", ts: str = f"{DAY} 00:00:00", **over: Any) -> dict[str, Any]:
    row = {"sensor_id": sensor_id, "ts": ts, "value": 20.0, "quality": "good"}
    return {**row, **over}


def masters() -> dict[str, list[dict[str, Any]]]:
    """One machine with two sensors."""
    return {"machines": [machine()], "sensors": [sensor("T1"), sensor("T2")]}
