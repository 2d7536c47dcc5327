"""The lines builder through the rebuild: core rows in, history.line_forecast and machine_reliability out."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest

from tests.twin.core_rows import insert
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.twin import lines

AS_OF = date(2026, 3, 8)


def _plant(con: duckdb.DuckDBPyConnection) -> None:
    """Line L1: a 30 s press then a 60 s cnc, both running the last week; orders of 1000 on day 2."""
    insert(
        con,
        "machines",
        [
            {
                "machine_id": m,
                "line_id": "L1",
                "site_id": "S1",
                "name": m,
                "machine_type": t,
                "line_position": i + 1,
                "ideal_cycle_time_s": c,
            }
            for i, (m, t, c) in enumerate([("M1", "press", 30.0), ("M2", "cnc", 60.0)])
        ],
    )
    insert(
        con,
        "machine_events",
        [
            {
                "machine_id": m,
                "start_ts": datetime(2026, 3, 1),
                "end_ts": datetime(2026, 3, 9),
                "state": "running",
            }
            for m in ("M1", "M2")
        ],
    )
    insert(con, "products", [{"product_id": "P1", "name": "P", "revision": "A", "line_id": "L1"}])
    insert(
        con,
        "work_orders",
        [
            {
                "work_order_id": "W1",
                "product_id": "P1",
                "line_id": "L1",
                "qty": 1000.0,
                "due_date": AS_OF + timedelta(days=2),
                "status": "released",
            },
            {
                "work_order_id": "W2",
                "product_id": "P1",
                "line_id": "L1",
                "qty": 9999.0,
                "due_date": AS_OF + timedelta(days=3),
                "status": "cancelled",
            },
        ],
    )


@pytest.fixture
def forecast(mem_db: duckdb.DuckDBPyConnection, settings: Settings) -> list[tuple[object, ...]]:
    _plant(mem_db)
    rebuild(mem_db, settings, AS_OF, builder_list=[lines.build])
    return mem_db.execute(
        "select day, required_qty, p50_qty, bottleneck_machine_id from twin.line_forecast "
        "where line_id = 'L1' order by day"
    ).fetchall()


def test_forecast_covers_the_horizon_after_the_as_of_day(
    forecast: list[tuple[object, ...]], settings: Settings
) -> None:
    """One row per day from the day after as_of for horizon_days days."""
    expected = [AS_OF + timedelta(days=i + 1) for i in range(settings.horizon_days)]
    assert [r[0] for r in forecast] == expected


def test_forecast_requires_the_open_orders_on_their_due_day(
    forecast: list[tuple[object, ...]],
) -> None:
    """The released order of 1000 is required on day 2; the cancelled one never."""
    assert [r[1] for r in forecast[:4]] == [0.0, 1000.0, 0.0, 0.0]


def test_forecast_names_the_slow_machine_bottleneck_and_its_pace(
    forecast: list[tuple[object, ...]],
) -> None:
    """The 60 s cnc is the bottleneck every day, and the line makes about 1440 a day."""
    assert {r[3] for r in forecast} == {"M2"}
    median_per_day = [float(r[2]) for r in forecast]  # type: ignore[arg-type]
    assert sum(median_per_day) / len(median_per_day) == pytest.approx(1440.0, rel=0.02)


def test_reliability_rows_carry_the_measured_inputs(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """history.machine_reliability lists each machine with its cycle and no failures seen."""
    _plant(mem_db)
    rebuild(mem_db, settings, AS_OF, builder_list=[lines.build])
    got = mem_db.execute(
        "select machine_id, cycle_s, failures, mtbf_h from twin.machine_reliability order by machine_id"
    ).fetchall()
    assert got == [("M1", 30.0, 0, None), ("M2", 60.0, 0, None)]


def test_two_rebuilds_of_one_day_give_identical_forecasts(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Rebuilding the same as-of on the same inputs reproduces the forecast exactly."""
    _plant(mem_db)
    first = rebuild(mem_db, settings, AS_OF, builder_list=[lines.build])
    second = rebuild(mem_db, settings, AS_OF, builder_list=[lines.build])
    cols = "line_id, day, required_qty, p10_qty, p50_qty, p90_qty, mean_qty, p_meet, bottleneck_machine_id"
    sql = f"select {cols} from history.line_forecast where snapshot_id = ? order by line_id, day"
    assert mem_db.execute(sql, [first]).fetchall() == mem_db.execute(sql, [second]).fetchall()
