"""OEE per ISO 22400 per machine and plant day (and shift): the Vorne worksheet and the edge rules."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.sim.calendar import plant_days
from twin_core.sim.machines.oee import clean_events, machine_day, machine_shift

DAY = date(2026, 3, 2)
VORNE = {
    "planned_busy_s": 420 * 60.0,
    "running_s": 373 * 60.0,
    "availability": 373 / 420,
    "performance": 19271 / 22380,
    "quality": 18848 / 19271,
    "oee": 18848 / 25200,
}


def ts(hh: int, mm: int = 0, d: int = 2, ss: int = 0) -> datetime:
    return datetime(2026, 3, d, hh, mm, ss)


def events(rows: list[tuple[str, datetime, datetime, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows,
        schema={
            "machine_id": pl.String,
            "start_ts": pl.Datetime("us"),
            "end_ts": pl.Datetime("us"),
            "state": pl.String,
        },
        orient="row",
    )


def production(rows: list[tuple[str, datetime, int, int]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows,
        schema={
            "machine_id": pl.String,
            "end_ts": pl.Datetime("us"),
            "good_qty": pl.Int64,
            "scrap_qty": pl.Int64,
        },
        orient="row",
    )


def machines(ideal: float = 1.0) -> pl.LazyFrame:
    return pl.LazyFrame(
        {"machine_id": ["M1"], "line_id": ["L1"], "site_id": ["S1"], "ideal_cycle_time_s": [ideal]}
    )


def shifts(rows: list[tuple[str, datetime, datetime]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows,
        schema={"line_id": pl.String, "start_ts": pl.Datetime("us"), "end_ts": pl.Datetime("us")},
        orient="row",
    )


# The Vorne shift, 06:00-14:00: two 15-minute breaks and a 30-minute meal, 47 minutes down.
VORNE_EVENTS = [
    ("M1", ts(6), ts(8), "running"),
    ("M1", ts(8), ts(8, 15), "planned_stop"),
    ("M1", ts(8, 15), ts(9), "running"),
    ("M1", ts(9), ts(9, 47), "down"),
    ("M1", ts(9, 47), ts(11), "running"),
    ("M1", ts(11), ts(11, 30), "planned_stop"),
    ("M1", ts(11, 30), ts(12, 30), "running"),
    ("M1", ts(12, 30), ts(12, 45), "planned_stop"),
    ("M1", ts(12, 45), ts(14), "running"),
]
VORNE_MADE = [("M1", ts(10), 10_000, 200), ("M1", ts(13, 59, ss=59), 8_848, 223)]


def _row(frame: pl.DataFrame) -> dict[str, object]:
    assert frame.height == 1
    return frame.row(0, named=True)


def test_vorne_shift_gives_the_published_oee() -> None:
    """The Vorne worksheet's shift, with a shifts row, gives A 0.888095, P 0.861081, Q 0.978050, OEE 0.747937."""
    got = machine_day(
        events(VORNE_EVENTS),
        production(VORNE_MADE),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14))]),
    ).collect()
    row = _row(got)
    for key, expected in VORNE.items():
        assert row[key] == pytest.approx(expected, rel=1e-6), key
    assert (row["good_qty"], row["scrap_qty"], row["down_s"]) == (18_848, 423, 47 * 60.0)
    assert row["performance_implausible"] is False


def test_without_shifts_the_day_less_planned_stops_is_planned() -> None:
    """With no shifts the whole day is planned: the Vorne day closed by planned stops gives the same OEE."""
    closed = [("M1", ts(0), ts(6), "planned_stop"), ("M1", ts(14), ts(0, d=3), "planned_stop")]
    got = machine_day(
        events(VORNE_EVENTS + closed),
        production(VORNE_MADE),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
    ).collect()
    row = _row(got)
    for key, expected in VORNE.items():
        assert row[key] == pytest.approx(expected, rel=1e-6), key


def test_time_outside_shifts_is_not_planned() -> None:
    """Running outside the line's shifts adds neither planned nor running time."""
    got = machine_day(
        events([("M1", ts(4), ts(8), "running")]),
        production([]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14))]),
    ).collect()
    row = _row(got)
    assert (row["planned_busy_s"], row["running_s"], row["unrecorded_s"]) == (
        8 * 3600.0,
        2 * 3600.0,
        6 * 3600.0,
    )


def test_event_crossing_midnight_is_split_across_plant_days() -> None:
    """Running 20:00-04:00 UTC in Berlin (UTC+1) counts 3 h on the first plant day and 5 h on the next."""
    got = machine_day(
        events([("M1", ts(20), ts(4, d=3), "running")]),
        production([]),
        machines(),
        plant_days(DAY, date(2026, 3, 3), "Europe/Berlin"),
        "Europe/Berlin",
    ).collect()
    expected = pl.DataFrame({"day": [DAY, date(2026, 3, 3)], "running_s": [3 * 3600.0, 5 * 3600.0]})
    assert_frame_equal(got.select("day", "running_s"), expected)


def test_production_counts_on_the_plant_day_of_its_end() -> None:
    """A record started before midnight and ended after it counts wholly on the later day."""
    got = machine_day(
        events([("M1", ts(22), ts(2, d=3), "running")]),
        production([("M1", ts(1, d=3), 50, 5)]),
        machines(),
        plant_days(DAY, date(2026, 3, 3), "UTC"),
        "UTC",
    ).collect()
    expected = pl.DataFrame(
        {"day": [DAY, date(2026, 3, 3)], "good_qty": [0, 50], "scrap_qty": [0, 5]}
    )
    assert_frame_equal(got.select("day", "good_qty", "scrap_qty"), expected)


def test_performance_above_one_is_flagged_not_hidden() -> None:
    """More units than the ideal rate allows gives performance 1.5, shown and flagged implausible."""
    got = machine_day(
        events([("M1", ts(6), ts(7), "running")]),
        production([("M1", ts(6, 30), 5_400, 0)]),
        machines(ideal=1.0),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(7))]),
    ).collect()
    row = _row(got)
    assert row["performance"] == pytest.approx(1.5)
    assert row["performance_implausible"] is True


def test_overlapping_events_are_cut_at_the_next_start() -> None:
    """An event that runs into the next one ends where the next starts, so no time counts twice."""
    got = clean_events(
        events([("M1", ts(6), ts(8), "running"), ("M1", ts(7), ts(9), "down")])
    ).collect()
    expected = pl.DataFrame(
        {"machine_id": ["M1", "M1"], "end_ts": [ts(7), ts(9)]},
        schema={"machine_id": pl.String, "end_ts": pl.Datetime("us")},
    )
    assert_frame_equal(got.select("machine_id", "end_ts"), expected)


def test_spring_forward_day_has_23_planned_hours() -> None:
    """In Berlin the day the clocks go forward (2026-03-29) is 23 hours of planned time."""
    spring = date(2026, 3, 29)
    got = machine_day(
        events([("M1", datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22), "running")]),
        production([]),
        machines(),
        plant_days(spring, spring, "Europe/Berlin"),
        "Europe/Berlin",
    ).collect()
    row = _row(got)
    assert (row["planned_busy_s"], row["availability"]) == (23 * 3600.0, 1.0)


def test_no_planned_time_leaves_the_ratios_null() -> None:
    """A day that is all planned stop has PBT 0 and null availability and OEE, not a division error."""
    got = machine_day(
        events([("M1", ts(0), ts(0, d=3), "planned_stop")]),
        production([]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
    ).collect()
    row = _row(got)
    assert (row["planned_busy_s"], row["availability"], row["oee"], row["quality"]) == (
        0.0,
        None,
        None,
        None,
    )


def test_vorne_per_shift_matches_the_worksheet() -> None:
    """Per shift, the Vorne shift gives the same OEE, and a second shift gets its own row."""
    late = [("M1", ts(14), ts(22), "running")]
    got = machine_shift(
        events(VORNE_EVENTS + late),
        production([*VORNE_MADE, ("M1", ts(21), 28_800, 0)]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14)), ("L1", ts(14), ts(22))]),
    ).collect()
    assert got["shift_start"].to_list() == [ts(6), ts(14)]
    first, second = got.row(0, named=True), got.row(1, named=True)
    for key, expected in VORNE.items():
        assert first[key] == pytest.approx(expected, rel=1e-6), key
    assert (second["oee"], second["good_qty"]) == (1.0, 28_800)


def test_overlapping_shifts_of_a_line_are_merged() -> None:
    """Two overlapping shift rows 06-14 and 12-20 plan 14 hours, not 16."""
    got = machine_day(
        events([("M1", ts(6), ts(20), "running")]),
        production([]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14)), ("L1", ts(12), ts(20))]),
    ).collect()
    assert _row(got)["planned_busy_s"] == 14 * 3600.0


@pytest.mark.parametrize(
    "only_shift",
    [(ts(6), ts(6)), (ts(14), ts(6))],
    ids=["zero_length_06_06", "inverted_14_06"],
)
def test_a_line_whose_only_shift_plans_no_time_is_planned_zero_not_24_hours(
    only_shift: tuple[datetime, datetime],
) -> None:
    """A line whose only shift row is 06:00-06:00 (or ends before it starts) has shifts, none
    with any time: PBT 0 and null availability and OEE, not 1 h running over 24 h = 0.042."""
    start, end = only_shift
    got = machine_day(
        events([("M1", ts(6), ts(7), "running")]),
        production([("M1", ts(6, 30), 3_000, 0)]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", start, end)]),
    ).collect()
    row = _row(got)
    assert (row["planned_busy_s"], row["running_s"], row["availability"], row["oee"]) == (
        0.0,
        0.0,
        None,
        None,
    )
    assert row["good_qty"] == 3_000
    per_shift = machine_shift(
        events([("M1", ts(6), ts(7), "running")]),
        production([]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", start, end)]),
    ).collect()
    assert per_shift.height == 0


def test_a_zero_length_shift_next_to_a_real_one_adds_nothing() -> None:
    """06:00-06:00 beside 14:00-22:00 on the same line: the line is planned the 8 h of the real shift."""
    got = machine_day(
        events([("M1", ts(6), ts(22), "running")]),
        production([]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(6)), ("L1", ts(14), ts(22))]),
    ).collect()
    row = _row(got)
    assert (row["planned_busy_s"], row["availability"]) == (8 * 3600.0, 1.0)


def test_an_overnight_shift_is_planned_on_both_plant_days() -> None:
    """22:00 -> 06:00 the next day (full timestamps, end after start) plans 2 h on the first plant
    day and 6 h on the second, and is one 8-hour shift row."""
    run = [("M1", ts(22), ts(6, d=3), "running")]
    two_days = plant_days(DAY, date(2026, 3, 3), "UTC")
    night = shifts([("L1", ts(22), ts(6, d=3))])
    got = machine_day(events(run), production([]), machines(), two_days, "UTC", night).collect()
    expected = pl.DataFrame(
        {
            "day": [DAY, date(2026, 3, 3)],
            "planned_busy_s": [2 * 3600.0, 6 * 3600.0],
            "availability": [1.0, 1.0],
        }
    )
    assert_frame_equal(got.select("day", "planned_busy_s", "availability"), expected)
    per_shift = machine_shift(
        events(run), production([]), machines(), two_days, "UTC", night
    ).collect()
    assert (per_shift.height, per_shift["planned_busy_s"][0]) == (1, 8 * 3600.0)


def _reasoned(rows: list[tuple[str, datetime, datetime, str, str | None]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows,
        schema={
            "machine_id": pl.String,
            "start_ts": pl.Datetime("us"),
            "end_ts": pl.Datetime("us"),
            "state": pl.String,
            "reason_code": pl.String,
        },
        orient="row",
    )


def test_starved_and_blocked_are_the_idle_time_with_that_reason() -> None:
    """Idle with reason starved / blocked counts in starved_s / blocked_s (and in idle_s);
    a down event with reason starved and idle without a reason count in neither."""
    got = machine_day(
        _reasoned(
            [
                ("M1", ts(6), ts(8), "running", None),
                ("M1", ts(8), ts(9, 30), "idle", "starved"),
                ("M1", ts(9, 30), ts(10), "idle", "blocked"),
                ("M1", ts(10), ts(11), "idle", None),
                ("M1", ts(11), ts(12), "down", "starved"),
                ("M1", ts(12), ts(14), "running", None),
            ]
        ),
        production([("M1", ts(13), 100, 0)]),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14))]),
    ).collect()
    row = _row(got)
    assert row["starved_s"] == 5400.0
    assert row["blocked_s"] == 1800.0
    assert row["idle_s"] == 3 * 3600.0
    assert row["down_s"] == 3600.0


def test_events_without_reason_codes_give_zero_starved_and_blocked() -> None:
    got = machine_day(
        events(VORNE_EVENTS),
        production(VORNE_MADE),
        machines(),
        plant_days(DAY, DAY, "UTC"),
        "UTC",
        shifts([("L1", ts(6), ts(14))]),
    ).collect()
    row = _row(got)
    assert (row["starved_s"], row["blocked_s"]) == (0.0, 0.0)
