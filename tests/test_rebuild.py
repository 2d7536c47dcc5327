"""The rebuild frame: builders' tables land in history with one snapshot_id, atomically."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import duckdb
import polars as pl
import pytest

from twin_core.rebuild import CoreInputs, RebuildError, SnapshotContext, rebuild
from twin_core.settings import Settings


def _capability(inputs: CoreInputs, ctx: SnapshotContext) -> Mapping[str, pl.DataFrame]:
    return {
        "capability": pl.DataFrame(
            {"product_id": ["P1"], "characteristic": ["bore"], "n": [25], "cp": [1.5]}
        )
    }


def _broken(inputs: CoreInputs, ctx: SnapshotContext) -> Mapping[str, pl.DataFrame]:
    raise ValueError("builder failed")


def test_rebuild_writes_builder_tables_under_a_new_snapshot(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Each rebuild gets the next snapshot_id, marked complete, and the view shows the latest."""
    first = rebuild(mem_db, settings, date(2026, 1, 1), builder_list=[_capability])
    second = rebuild(mem_db, settings, date(2026, 1, 2), builder_list=[_capability])
    assert second == first + 1
    assert mem_db.execute("select snapshot_id, cp from twin.capability").fetchall() == [
        (second, 1.5)
    ]
    assert mem_db.execute(
        "select status, as_of from history.snapshots order by snapshot_id"
    ).fetchall() == [("complete", date(2026, 1, 1)), ("complete", date(2026, 1, 2))]


def test_failed_builder_leaves_no_snapshot(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A builder that raises leaves the previous snapshot current and writes nothing."""
    first = rebuild(mem_db, settings, date(2026, 1, 1), builder_list=[_capability])
    with pytest.raises(ValueError, match="builder failed"):
        rebuild(mem_db, settings, date(2026, 1, 2), builder_list=[_capability, _broken])
    assert mem_db.execute("select count(*) from history.capability").fetchall() == [(1,)]
    assert mem_db.execute("select twin.current_snapshot()").fetchall() == [(first,)]


def test_builder_column_not_in_history_is_refused(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A table with a column history does not have fails the rebuild with the column named."""

    def bad(inputs: CoreInputs, ctx: SnapshotContext) -> Mapping[str, pl.DataFrame]:
        return {
            "capability": pl.DataFrame({"product_id": ["P"], "characteristic": ["c"], "cpm": [1.0]})
        }

    with pytest.raises(RebuildError, match="cpm"):
        rebuild(mem_db, settings, date(2026, 1, 1), builder_list=[bad])
    assert mem_db.execute("select count(*) from history.snapshots").fetchall() == [(0,)]
