"""Batch ids: twelve characters that sort by start time, and that DuckDB's zone maps keep
whole, so a filter on one batch is answered from a row group's statistics."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.ingest.conftest import drop, machines_csv, rows
from twin_core.ingest import ingest_landing
from twin_core.ingest.run import new_batch_id
from twin_core.settings import Settings
from twin_core.validation.gx_context import safe_token


def test_ids_are_twelve_base32hex_characters_and_safe_tokens() -> None:
    """Letters 0-9 a-v only: the id goes into GX query text as a literal."""
    for i in range(200):
        batch_id = new_batch_id(datetime(2026, 11, 27) + timedelta(minutes=i))
        assert len(batch_id) == 12
        assert set(batch_id) <= set("0123456789abcdefghijklmnopqrstuv")
        assert safe_token(batch_id) == batch_id


def test_ids_sort_as_text_by_start_time() -> None:
    """A millisecond apart, across a year's end, decades apart: text order is time order."""
    starts = [
        datetime(1970, 1, 1),
        datetime(2026, 12, 31, 23, 59, 59, 999000),
        datetime(2027, 1, 1),
        datetime(2027, 1, 1, 0, 0, 0, 1000),
        datetime(2099, 6, 1, 12),
        datetime(3084, 12, 1),
    ]
    ids = [new_batch_id(s) for s in starts]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_runs_starting_in_the_same_millisecond_differ_in_the_random_tail() -> None:
    """The first nine characters are the millisecond; the last three tell runs apart."""
    start = datetime(2026, 11, 27, 8, 0, 0, 123000)
    ids = {new_batch_id(start) for _ in range(50)}
    assert len({i[:9] for i in ids}) == 1
    assert len(ids) > 40  # 50 draws of 32,768 values: a handful of repeats at most


@pytest.mark.parametrize("start", [datetime(1969, 12, 31, 23, 59), datetime(3085, 6, 1)])
def test_a_start_time_outside_what_ids_cover_is_refused(start: datetime) -> None:
    with pytest.raises(ValueError, match="outside what batch ids cover"):
        new_batch_id(start)


def test_duckdb_keeps_the_id_whole_in_the_raw_tables_statistics(home: Settings) -> None:
    """What makes a batch filter cheap: the zone map's min and max are the whole id (DuckDB
    keeps 12 bytes of a string), so a row group of one batch has min = max = its id. If a
    DuckDB upgrade kept fewer bytes, this fails and filters on a batch read the column again.
    """
    drop(home, "machines", "m.csv", machines_csv("M1,L1,S1,Press,press,1,2.5"))
    batch_id = ingest_landing(home).batch_id
    assert batch_id is not None
    ((stats,),) = rows(home, "select stats(_batch_id) from raw.machines limit 1")
    assert (stats["min"], stats["max"]) == (batch_id, batch_id)
