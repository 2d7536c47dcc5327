"""Late corrections: raw keeps every version of a key; "later" (for validation's promotion)
is the later load, then the later file, then the later row."""

from __future__ import annotations

from tests.ingest.conftest import drop, rows
from twin_core.ingest import ingest_landing, latest_per_key_sql, latest_wins_order_by
from twin_core.settings import Settings

HEADER = "work_order_id,product_id,line_id,qty,due_date,status"


def test_later_file_resending_a_key_keeps_both_versions_in_raw(home: Settings) -> None:
    """A correction in a later batch is appended; the original row is not touched."""
    drop(home, "work_orders", "2026-01-01.csv", f"{HEADER}\nWO1,P1,L1,100,2026-01-05,released\n")
    ingest_landing(home)
    drop(home, "work_orders", "2026-01-02.csv", f"{HEADER}\nWO1,P1,L1,120,2026-01-05,released\n")
    ingest_landing(home)
    expected = [(100.0,), (120.0,)]
    got = rows(home, f"select qty from raw.work_orders order by {latest_wins_order_by()}")
    assert got == expected


def test_latest_per_key_picks_the_correction_from_a_later_batch(home: Settings) -> None:
    """The correction wins even when its file name sorts before the original's."""
    drop(home, "work_orders", "b_original.csv", f"{HEADER}\nWO1,P1,L1,100,2026-01-05,released\n")
    ingest_landing(home)
    drop(home, "work_orders", "a_correction.csv", f"{HEADER}\nWO1,P1,L1,120,2026-01-05,released\n")
    ingest_landing(home)
    expected = [("WO1", 120.0, "work_orders/a_correction.csv")]
    assert (
        rows(home, f"select work_order_id, qty, _file from ({latest_per_key_sql('work_orders')})")
        == expected
    )


def test_within_one_run_the_later_file_name_wins(home: Settings) -> None:
    """Files arriving together load in path order: the later name is the later row."""
    drop(home, "work_orders", "2026-01-02.csv", f"{HEADER}\nWO1,P1,L1,120,2026-01-05,released\n")
    drop(home, "work_orders", "2026-01-01.csv", f"{HEADER}\nWO1,P1,L1,100,2026-01-05,released\n")
    ingest_landing(home)
    expected = [(120.0,)]
    assert rows(home, f"select qty from ({latest_per_key_sql('work_orders')})") == expected


def test_within_one_file_the_last_row_of_a_key_wins(home: Settings) -> None:
    """Two rows with one composite key in a file: the lower row is the later one."""
    body = "S1,2026-01-01T00:00:00,1.0,good\nS1,2026-01-01T00:00:00,2.0,good\nS2,2026-01-01T00:00:00,5.0,good\n"
    drop(home, "sensor_readings", "r.csv", "sensor_id,ts,value,quality\n" + body)
    ingest_landing(home)
    expected = [("S1", 2.0), ("S2", 5.0)]
    got = rows(
        home, f"select sensor_id, value from ({latest_per_key_sql('sensor_readings')}) order by 1"
    )
    assert got == expected


def test_order_by_lists_load_time_then_file_then_row() -> None:
    """The shared definition of "later", as SQL for validation to reuse."""
    assert latest_wins_order_by() == "_ingested_at, _file, _row"
    assert latest_wins_order_by(descending=True) == "_ingested_at desc, _file desc, _row desc"
