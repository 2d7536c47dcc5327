"""The machines builder through the rebuild: core rows in, history.machine_day out."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from tests.twin.core_rows import insert, insert_frame
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.twin import machines
from twin_core.warehouse import open_warehouse

DAY = date(2026, 3, 2)


def ts(hh: int, mm: int = 0, d: int = 2, ss: int = 0) -> datetime:
    return datetime(2026, 3, d, hh, mm, ss)


VORNE_EVENTS = [
    (ts(6), ts(8), "running"),
    (ts(8), ts(8, 15), "planned_stop"),
    (ts(8, 15), ts(9), "running"),
    (ts(9), ts(9, 47), "down"),
    (ts(9, 47), ts(11), "running"),
    (ts(11), ts(11, 30), "planned_stop"),
    (ts(11, 30), ts(12, 30), "running"),
    (ts(12, 30), ts(12, 45), "planned_stop"),
    (ts(12, 45), ts(14), "running"),
]


def _vorne_plant(con: duckdb.DuckDBPyConnection, *, with_shift: bool) -> None:
    """One machine (ideal cycle 1 s) and the Vorne shift as MES extracts would carry it."""
    insert(
        con,
        "machines",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "site_id": "S1",
                "name": "press",
                "machine_type": "press",
                "line_position": 1,
                "ideal_cycle_time_s": 1.0,
            }
        ],
    )
    events = list(VORNE_EVENTS)
    if with_shift:
        insert(con, "shifts", [{"line_id": "L1", "start_ts": ts(6), "end_ts": ts(14)}])
    else:
        events += [(ts(0), ts(6), "planned_stop"), (ts(14), ts(0, d=3), "planned_stop")]
    insert(
        con,
        "machine_events",
        [{"machine_id": "M1", "start_ts": s, "end_ts": e, "state": st} for s, e, st in events],
    )
    insert(
        con,
        "production",
        [
            {
                "record_id": f"R{i}",
                "work_order_id": "WO1",
                "machine_id": "M1",
                "product_id": "P1",
                "lot_id": f"LOT{i}",
                "start_ts": start,
                "end_ts": end,
                "good_qty": good,
                "scrap_qty": scrap,
            }
            for i, (start, end, good, scrap) in enumerate(
                [(ts(6), ts(10), 10_000, 200), (ts(10), ts(13, 59, ss=59), 8_848, 223)]
            )
        ],
    )


EXPECTED_VORNE = (25_200.0, 22_380.0, 373 / 420, 19271 / 22380, 18848 / 19271, 18848 / 25200)


@pytest.mark.parametrize("with_shift", [True, False], ids=["shift", "planned-stops"])
def test_vorne_shift_through_core_tables_gives_the_published_oee(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings, with_shift: bool
) -> None:
    """The Vorne shift written as machine events and production rows rebuilds to OEE 0.747937."""
    _vorne_plant(mem_db, with_shift=with_shift)
    sid = rebuild(mem_db, settings, DAY, builder_list=[machines.build])
    got = mem_db.execute(
        "select planned_busy_s, running_s, availability, performance, quality, oee "
        "from twin.machine_day where machine_id = 'M1' and day = ? and snapshot_id = ?",
        [DAY, sid],
    ).fetchall()
    assert len(got) == 1
    assert got[0] == pytest.approx(EXPECTED_VORNE, rel=1e-6)


def test_vorne_shift_gets_its_own_machine_shift_row(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """With a shifts extract, history.machine_shift holds the Vorne shift with the same OEE."""
    _vorne_plant(mem_db, with_shift=True)
    rebuild(mem_db, settings, DAY, builder_list=[machines.build])
    got = mem_db.execute(
        "select shift_start, shift_end, oee from twin.machine_shift where machine_id = 'M1'"
    ).fetchall()
    assert [(s, e) for s, e, _ in got] == [(ts(6), ts(14))]
    assert got[0][2] == pytest.approx(18848 / 25200, rel=1e-6)


def test_rows_after_the_as_of_day_are_not_used(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A rebuild for the day before the Vorne shift sees none of it (backfills are honest)."""
    _vorne_plant(mem_db, with_shift=True)
    rebuild(mem_db, settings, date(2026, 3, 1), builder_list=[machines.build])
    assert mem_db.execute("select count(*) from twin.machine_day").fetchall() == [(0,)]


def test_event_open_at_the_as_of_cut_ends_there(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Running from 20:00 to 04:00 the next day counts 4 h on the as-of day and nothing later."""
    _vorne_plant(mem_db, with_shift=False)
    insert(
        mem_db,
        "machine_events",
        [{"machine_id": "M1", "start_ts": ts(20, d=1), "end_ts": ts(4), "state": "running"}],
    )
    rebuild(mem_db, settings, date(2026, 3, 1), builder_list=[machines.build])
    got = mem_db.execute("select day, running_s from twin.machine_day").fetchall()
    assert got == [(date(2026, 3, 1), 4 * 3600.0)]


def _sensor_plant(con: duckdb.DuckDBPyConnection) -> None:
    """Machine M1 running 8 days with a vibration sensor (alarm 7.1) that climbs from 2 to 5 mm/s
    over the last two days, and a temperature sensor stuck at 52.5 from 06:00 to 14:00 on that day;
    readings every 10 minutes."""
    insert(
        con,
        "machines",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "site_id": "S1",
                "name": "press",
                "machine_type": "press",
                "line_position": 1,
                "ideal_cycle_time_s": 1.0,
            }
        ],
    )
    insert(
        con,
        "sensors",
        [
            {
                "sensor_id": "VIB",
                "machine_id": "M1",
                "metric": "vibration",
                "unit": "mm/s",
                "valid_min": 0.0,
                "valid_max": 50.0,
                "alarm_high": 7.1,
            },
            {
                "sensor_id": "TMP",
                "machine_id": "M1",
                "metric": "temperature",
                "unit": "degC",
                "valid_min": -20.0,
                "valid_max": 200.0,
                "alarm_high": 70.0,
            },
        ],
    )
    insert(
        con,
        "machine_events",
        [
            {
                "machine_id": "M1",
                "start_ts": datetime(2026, 2, 22),
                "end_ts": datetime(2026, 3, 3),
                "state": "running",
            }
        ],
    )
    ts_ = pl.datetime_range(datetime(2026, 2, 23), datetime(2026, 3, 2, 23, 50), "10m", eager=True)
    wiggle = (pl.int_range(0, ts_.len(), eager=True) % 3 - 1).cast(pl.Float64) * 0.05
    hours_left = (datetime(2026, 3, 3) - ts_).dt.total_seconds() / 3600
    vib = pl.Series([2.0] * ts_.len()) + wiggle + (48 - hours_left).clip(0, 48) / 48 * 3.0
    tmp = (pl.Series([50.0] * ts_.len()) + wiggle * 4).to_list()
    stuck = [datetime(2026, 3, 2, 6) <= t < datetime(2026, 3, 2, 14) for t in ts_.to_list()]
    tmp = [52.5 if s else v for s, v in zip(stuck, tmp, strict=True)]
    readings = pl.concat(
        [
            pl.DataFrame({"sensor_id": "VIB", "ts": ts_, "value": vib}),
            pl.DataFrame({"sensor_id": "TMP", "ts": ts_, "value": tmp}),
        ]
    ).with_columns(quality=pl.lit("good"))
    insert_frame(con, "sensor_readings", readings)


def test_rising_vibration_in_core_readings_flags_the_machine_with_a_limit_date(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Vibration at 5 climbing 1.5 mm/s a day reaches 7.1 about 1.4 days after the cut: on 2026-03-04."""
    _sensor_plant(mem_db)
    rebuild(mem_db, settings, DAY, builder_list=[machines.build])
    got = mem_db.execute(
        "select anomalies, predicted_limit_date, worst_sensor_id, sensor_faults "
        "from twin.machine_health where machine_id = 'M1'"
    ).fetchall()
    assert got == [(1, date(2026, 3, 4), "VIB", 1)]


def test_flat_temperature_in_core_readings_is_a_stuck_sensor(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A temperature repeating 52.5 for eight hours of the as-of day is reported stuck since 06:00."""
    _sensor_plant(mem_db)
    rebuild(mem_db, settings, DAY, builder_list=[machines.build])
    got = mem_db.execute(
        "select sensor_id, status, since from twin.sensor_status order by sensor_id"
    ).fetchall()
    assert got == [("TMP", "stuck", datetime(2026, 3, 2, 6)), ("VIB", "ok", None)]


@pytest.mark.slow
def test_vorne_shift_as_landing_extracts_gives_the_published_oee(settings: Settings) -> None:
    """The Vorne shift as MES CSV extracts, through ingest and validation, rebuilds to OEE 0.747937."""
    from twin_core.ingest import ingest_landing
    from twin_core.validation import validate_pending

    landing = settings.landing_dir
    files = {
        "machines": "machine_id,line_id,site_id,name,machine_type,line_position,ideal_cycle_time_s\n"
        "M1,L1,S1,press,press,1,1.0\n",
        "products": "product_id,name,revision,line_id\nP1,widget,A,L1\n",
        "shifts": "line_id,start_ts,end_ts\nL1,2026-03-02T06:00:00,2026-03-02T14:00:00\n",
        "machine_events": "machine_id,start_ts,end_ts,state,reason_code\n"
        + "".join(f"M1,{s.isoformat()},{e.isoformat()},{st},\n" for s, e, st in VORNE_EVENTS),
        "production": "record_id,work_order_id,machine_id,product_id,lot_id,start_ts,end_ts,good_qty,scrap_qty\n"
        "R1,WO1,M1,P1,LOT1,2026-03-02T06:00:00,2026-03-02T10:00:00,10000,200\n"
        "R2,WO1,M1,P1,LOT2,2026-03-02T10:00:00,2026-03-02T13:59:59,8848,223\n",
    }
    for source, text in files.items():
        (landing / source).mkdir(parents=True, exist_ok=True)
        (landing / source / f"{source}_2026-03-02.csv").write_text(text, encoding="utf-8")
    ingest_landing(settings)
    statuses = {v.status for v in validate_pending(settings, as_of=DAY)}
    assert "failed" not in statuses
    with open_warehouse(settings) as con:
        rebuild(con, settings, DAY, builder_list=[machines.build])
        got = con.execute(
            "select planned_busy_s, running_s, availability, performance, quality, oee "
            "from twin.machine_day where machine_id = 'M1' and day = ?",
            [DAY],
        ).fetchall()
    assert len(got) == 1
    assert got[0] == pytest.approx(EXPECTED_VORNE, rel=1e-6)


def _vorne_landing(settings: Settings, shift_files: dict[str, str]) -> None:
    """The Vorne day as MES CSV extracts, the shifts as ``shift_files`` (file name -> CSV),
    through ingest and validation."""
    from twin_core.ingest import ingest_landing
    from twin_core.validation import validate_pending

    landing = settings.landing_dir
    files = {
        "machines": "machine_id,line_id,site_id,name,machine_type,line_position,ideal_cycle_time_s\n"
        "M1,L1,S1,press,press,1,1.0\n",
        "products": "product_id,name,revision,line_id\nP1,widget,A,L1\n",
        "machine_events": "machine_id,start_ts,end_ts,state,reason_code\n"
        + "".join(f"M1,{s.isoformat()},{e.isoformat()},{st},\n" for s, e, st in VORNE_EVENTS),
        "production": "record_id,work_order_id,machine_id,product_id,lot_id,start_ts,end_ts,good_qty,scrap_qty\n"
        "R1,WO1,M1,P1,LOT1,2026-03-02T06:00:00,2026-03-02T10:00:00,10000,200\n"
        "R2,WO1,M1,P1,LOT2,2026-03-02T10:00:00,2026-03-02T13:59:59,8848,223\n",
    }
    for source, text in files.items():
        (landing / source).mkdir(parents=True, exist_ok=True)
        (landing / source / f"{source}_2026-03-02.csv").write_text(text, encoding="utf-8")
    (landing / "shifts").mkdir(parents=True, exist_ok=True)
    for name, text in shift_files.items():
        (landing / "shifts" / name).write_text(text, encoding="utf-8")
    ingest_landing(settings)
    statuses = {v.status for v in validate_pending(settings, as_of=DAY)}
    assert "failed" not in statuses


ZERO_LENGTH_SHIFT = "line_id,start_ts,end_ts\nL1,2026-03-02T06:00:00,2026-03-02T06:00:00\n"


@pytest.mark.slow
def test_a_line_whose_only_shift_row_was_quarantined_is_planned_no_time(
    settings: Settings,
) -> None:
    """The Vorne day with its only shift delivered as 06:00-06:00: the row is quarantined, the
    line still counts as working to shifts, so it is planned 0 s with availability and OEE
    null (the units made still count), not the whole day less its breaks (373 min / 23 h = 0.27)."""
    _vorne_landing(settings, {"shifts_2026-03-02.csv": ZERO_LENGTH_SHIFT})
    with open_warehouse(settings) as con:
        assert con.execute(
            "select rule from quality.quarantine where source = 'shifts'"
        ).fetchall() == [("shift_end_after_start",)]
        assert con.execute("select count(*) from core.shifts").fetchall() == [(0,)]
        rebuild(con, settings, DAY, builder_list=[machines.build])
        got = con.execute(
            "select planned_busy_s, running_s, availability, oee, good_qty "
            "from twin.machine_day where machine_id = 'M1' and day = ?",
            [DAY],
        ).fetchall()
        assert con.execute("select count(*) from twin.machine_shift").fetchall() == [(0,)]
    assert got == [(0.0, 0.0, None, None, 18_848)]


@pytest.mark.slow
def test_a_quarantined_shift_corrected_by_a_later_file_plans_the_corrected_shift(
    settings: Settings,
) -> None:
    """06:00-06:00, then the same shift (same key) corrected to 06:00-14:00 in a later file:
    the correction is the shift and the quarantined row adds nothing (the Vorne OEE)."""
    fixed = "line_id,start_ts,end_ts\nL1,2026-03-02T06:00:00,2026-03-02T14:00:00\n"
    _vorne_landing(
        settings,
        {"shifts_2026-03-02.csv": ZERO_LENGTH_SHIFT, "shifts_2026-03-02_fix.csv": fixed},
    )
    with open_warehouse(settings) as con:
        rebuild(con, settings, DAY, builder_list=[machines.build])
        got = con.execute(
            "select planned_busy_s, running_s, availability, performance, quality, oee "
            "from twin.machine_day where machine_id = 'M1' and day = ?",
            [DAY],
        ).fetchall()
    assert len(got) == 1
    assert got[0] == pytest.approx(EXPECTED_VORNE, rel=1e-6)
