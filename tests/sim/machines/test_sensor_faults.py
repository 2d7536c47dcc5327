"""Sensor faults (stuck, dropout, out of range) from hourly aggregates, told apart from the machine."""

from __future__ import annotations

from datetime import timedelta

from tests.sim.machines.sensor_frames import (
    DAY_START,
    END,
    HOUR,
    LOOKBACK_START,
    TOTAL_HOURS,
    flatten,
    frame,
    hours,
    sensors,
)
from twin_core.sim.machines.sensor_faults import sensor_status
from twin_core.sim.machines.sensor_hours import HealthParams, prepare_hours

PARAMS = HealthParams()
SENSORS = sensors([("S1", "M1", "temperature", None, 70.0)])


def status(rows: list[dict[str, object]]) -> dict[str, object]:
    prepared = prepare_hours(frame(rows), SENSORS, PARAMS)
    got = sensor_status(
        prepared,
        SENSORS,
        lookback_start=LOOKBACK_START,
        status_start=DAY_START,
        end=END,
        params=PARAMS,
    ).collect()
    assert got.height == 1
    return got.row(0, named=True)


def steady(n_hours: int = TOTAL_HOURS) -> list[float | None]:
    return [50.0] * n_hours


def test_varying_sensor_reporting_every_minute_is_ok() -> None:
    """A sensor that varies and reports all day has status ok and no since."""
    got = status(hours("S1", steady()))
    assert (got["status"], got["since"]) == ("ok", None)


def test_flat_readings_while_the_machine_runs_are_a_stuck_sensor() -> None:
    """Eight flat hours from 06:00 on the as-of day make the sensor stuck since 06:00."""
    rows = hours("S1", steady())
    stuck_from = DAY_START + 6 * HOUR
    flatten(rows, stuck_from, 8, 52.5)
    got = status(rows)
    assert (got["status"], got["since"]) == ("stuck", stuck_from)
    assert "52.5" in str(got["evidence"])


def test_flat_readings_while_the_machine_is_stopped_are_not_stuck() -> None:
    """The same flat hours while the machine stood still are no sensor fault."""
    stop_from = DAY_START + 6 * HOUR
    stopped = [
        stop_from <= LOOKBACK_START + i * HOUR < stop_from + 8 * HOUR for i in range(TOTAL_HOURS)
    ]
    rows = hours("S1", steady(), running=[0.0 if s else 1.0 for s in stopped])
    flatten(rows, stop_from, 8, 24.0)
    assert status(rows)["status"] == "ok"


def test_gap_in_readings_is_a_dropout_since_the_last_reading_before_it() -> None:
    """Five hours with no readings on the as-of day are a dropout since the last reading before them."""
    values = steady()
    gap_first = TOTAL_HOURS - 24 + 13
    for i in range(gap_first, gap_first + 5):
        values[i] = None
    got = status(hours("S1", values))
    expected_since = DAY_START + 12 * HOUR + timedelta(minutes=59)
    assert (got["status"], got["since"]) == ("dropout", expected_since)
    assert "5.0 h" in str(got["evidence"])


def test_sensor_silent_at_the_cut_is_a_dropout() -> None:
    """A sensor whose readings stop at 20:00 of the as-of day is a dropout still going on."""
    values: list[float | None] = list(steady(TOTAL_HOURS - 4))
    got = status(hours("S1", values))
    assert got["status"] == "dropout"
    assert "to the as-of cut" in str(got["evidence"])


def test_sensor_without_readings_is_a_dropout() -> None:
    """A sensor with no reading in the whole lookback is a dropout with no known start."""
    got = status([])
    assert (got["status"], got["since"]) == ("dropout", None)


def test_readings_outside_the_valid_range_are_out_of_range() -> None:
    """Three readings of -5 (valid range 0..1000) in an hour of the as-of day make it out of range."""
    rows = hours("S1", steady())
    when = DAY_START + 3 * HOUR + timedelta(minutes=10)
    rows[-21].update(oor_n=3, oor_first_ts=when, oor_min=-5.0, oor_max=-5.0, n=60, ok_n=57)
    got = status(rows)
    assert (got["status"], got["since"]) == ("out_of_range", when)


def test_fault_before_the_status_window_is_not_reported() -> None:
    """A dropout two days before the as-of day leaves today's status ok."""
    values = steady()
    for i in range(TOTAL_HOURS - 72, TOTAL_HOURS - 66):
        values[i] = None
    assert status(hours("S1", values))["status"] == "ok"


def test_dropout_still_going_on_outranks_an_earlier_stuck_spell() -> None:
    """Stuck in the morning, then silent from 18:00: the status is dropout, the evidence names both."""
    values: list[float | None] = list(steady(TOTAL_HOURS - 6))
    rows = hours("S1", values)
    flatten(rows, DAY_START + 6 * HOUR, 4, 51.0)
    got = status(rows)
    assert got["status"] == "dropout"
    assert "stuck" in str(got["evidence"])


def test_expected_readings_per_hour_come_from_the_sensors_own_rate() -> None:
    """A sensor reading every 10 minutes (6 per hour) with all its readings is ok, not a dropout."""
    got = status(hours("S1", steady(), n=6))
    assert got["status"] == "ok"
