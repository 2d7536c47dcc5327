"""Machine health from hourly sensor aggregates: baselines, drift, trend, limits and the score."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tests.sim.machines.sensor_frames import (
    END,
    TOTAL_HOURS,
    drift_crossing,
    frame,
    hours,
    linear_drift,
    sensors,
)
from twin_core.sim.machines.health import machine_health, sensor_health
from twin_core.sim.machines.sensor_hours import HealthParams, prepare_hours

PARAMS = HealthParams(trend_hours=24)
MACHINES = pl.LazyFrame({"site_id": ["S1"], "machine_id": ["M1"], "line_id": ["L1"]})


def ramp_to(last: float, start: float = 2.0, hours_: int = 24) -> list[float | None]:
    """Baseline at ``start``, then a straight line over the last ``hours_`` hours ending near ``last``."""
    step = (last - start) / hours_
    flat = [start] * (TOTAL_HOURS - hours_)
    return [*flat, *(start + step * (i + 1) for i in range(hours_))]


def health_rows(
    rows: list[dict[str, object]],
    sensor_frame: pl.LazyFrame,
    *,
    status: dict[str, str] | None = None,
    params: HealthParams = PARAMS,
) -> pl.DataFrame:
    prepared = prepare_hours(frame(rows), sensor_frame, params)
    ids = sensor_frame.select("sensor_id").collect()["sensor_id"].to_list()
    st = pl.LazyFrame({"sensor_id": ids, "status": [(status or {}).get(s, "ok") for s in ids]})
    return sensor_health(prepared, sensor_frame, st, end=END, tz="UTC", params=params).collect()


VIB = sensors([("VIB", "M1", "vibration", None, 7.1)])


def test_steady_sensor_is_healthy_without_anomaly() -> None:
    """A sensor at its baseline has health 1, no drift, no trend and no predicted date."""
    got = health_rows(hours("VIB", [2.0] * TOTAL_HOURS, spread=0.1), VIB).row(0, named=True)
    assert (got["health"], got["anomaly"], got["predicted_limit_date"]) == (1.0, False, None)


def test_rising_vibration_gets_the_date_its_trend_reaches_the_alarm_limit() -> None:
    """Vibration climbing 3 mm/s a day to 5 (alarm 7.1) is flagged, reaching the limit on the next day."""
    got = health_rows(hours("VIB", ramp_to(5.0), spread=0.1), VIB).row(0, named=True)
    # The line through the hourly means crosses 7.1 about 17 h after the cut (2026-03-09 ~17:00).
    expected = date(2026, 3, 9)
    assert (got["anomaly"], got["trend"], got["predicted_limit_date"]) == (True, True, expected)
    assert got["slope_per_day"] == pytest.approx(3.0, rel=1e-6)


def test_health_is_the_share_of_the_way_left_to_the_alarm_limit() -> None:
    """Level 4.875 (mean of the last three hours) between baseline 2 and alarm 7.1 gives health 2.225 / 5.1."""
    got = health_rows(hours("VIB", ramp_to(5.0), spread=0.1), VIB).row(0, named=True)
    expected = (7.1 - 4.875) / (7.1 - 2.0)
    assert got["health"] == pytest.approx(expected, rel=1e-9)


def test_a_level_beyond_the_alarm_limit_has_health_zero_and_today_as_its_date() -> None:
    """At 8 mm/s (alarm 7.1) the sensor is at its limit: health 0, limit date the as-of day."""
    values = [2.0] * (TOTAL_HOURS - 4) + [8.0] * 4
    got = health_rows(hours("VIB", values, spread=0.1), VIB).row(0, named=True)
    assert (got["health"], got["predicted_limit_date"]) == (0.0, date(2026, 3, 8))


def test_a_shift_without_alarm_limits_is_drift() -> None:
    """A step of 10 baseline sigmas in the last 10 hours of a sensor without limits is a drift anomaly."""
    s = sensors([("PWR", "M1", "power", None, None)])
    values = [20.0] * (TOTAL_HOURS - 10) + [21.0] * 10
    got = health_rows(hours("PWR", values, spread=0.2), s).row(0, named=True)
    assert (got["drift"], got["anomaly"], got["predicted_limit_date"]) == (True, True, None)
    assert 0.0 < got["health"] < 1.0


def test_hours_the_machine_stood_still_are_left_out() -> None:
    """Power reading low in hours the machine did not run leaves it healthy."""
    s = sensors([("PWR", "M1", "power", None, 40.0)])
    values = [20.0] * TOTAL_HOURS
    stopped = set(range(TOTAL_HOURS - 10, TOTAL_HOURS - 4))
    for i in stopped:
        values[i] = 1.0
    running = [0.0 if i in stopped else 1.0 for i in range(TOTAL_HOURS)]
    got = health_rows(hours("PWR", values, spread=0.5, running=running), s).row(0, named=True)
    assert (got["anomaly"], got["health"]) == (False, 1.0)


def test_machine_health_is_its_worst_sensor_and_skips_faulty_ones() -> None:
    """The machine takes its worst usable sensor's health; a stuck sensor is counted and left out."""
    s = sensors(
        [
            ("VIB", "M1", "vibration", None, 7.1),
            ("TMP", "M1", "temperature", None, 70.0),
            ("PWR", "M1", "power", None, 40.0),
        ]
    )
    rows = (
        hours("VIB", ramp_to(5.0), spread=0.1)
        + hours("TMP", [50.0] * TOTAL_HOURS)
        + hours("PWR", [39.9] * (TOTAL_HOURS - 5) + [60.0] * 5)
    )
    per_sensor = health_rows(rows, s, status={"PWR": "stuck"})
    got = machine_health(per_sensor.lazy(), MACHINES).collect().row(0, named=True)
    vib = per_sensor.filter(pl.col("sensor_id") == "VIB").row(0, named=True)
    assert (got["health_score"], got["worst_sensor_id"]) == (vib["health"], "VIB")
    assert (got["anomalies"], got["sensors_used"], got["sensor_faults"]) == (1, 2, 1)
    assert got["predicted_limit_date"] == vib["predicted_limit_date"]
    assert "VIB" in got["evidence"] and "PWR stuck" in got["evidence"]


def test_machine_without_sensors_gets_a_row_without_a_score() -> None:
    """A machine with no sensors is listed with a null health score and says why."""
    empty = health_rows([], VIB).filter(pl.col("sensor_id") == "nothing")
    got = machine_health(empty.lazy(), MACHINES).collect().row(0, named=True)
    assert (got["health_score"], got["evidence"]) == (None, "no sensors")


def test_sensor_without_baseline_hours_is_not_judged() -> None:
    """A sensor that only reported in the recent window gets no health and says so."""
    values: list[float | None] = [None] * (TOTAL_HOURS - 24) + [2.0] * 24
    got = health_rows(hours("VIB", values, spread=0.1), VIB).row(0, named=True)
    assert got["health"] is None
    assert "no baseline" in got["evidence"]


def test_health_is_the_same_on_a_second_run() -> None:
    """Two runs on the same inputs give identical frames (a rebuild is deterministic)."""
    rows = hours("VIB", ramp_to(5.0), spread=0.1)
    assert health_rows(rows, VIB).equals(health_rows(rows, VIB))


VIB7 = sensors([("VIB", "M1", "vibration", None, 7.0)])

# Steady rises toward alarm 7.0 (hours counted from the first hour of the 8-day history; the
# baseline window is hours 0..168, the recent window 168..192), noise sd 0.05 on each hourly mean.
DRIFTS = {
    # the case: 2.0 on the first day of history rising to 6.3 at the cut
    "from_the_first_day": dict(start_hour=0.0, first=2.0, slope_per_hour=4.3 / TOTAL_HOURS),
    # already rising 3 days before history began (1.0 then), 6.28 at the cut
    "before_the_baseline": dict(start_hour=-72.0, first=1.0, slope_per_hour=0.02),
    # flat at 2.0 for 3 days, then rising to 6.3 at the cut
    "inside_the_baseline": dict(start_hour=72.0, first=2.0, slope_per_hour=4.3 / 120),
    # flat through the baseline, rising in the recent 24 hours to 6.0
    "after_the_baseline": dict(start_hour=168.0, first=2.0, slope_per_hour=4.0 / 24),
}


@pytest.mark.parametrize("shape", sorted(DRIFTS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_steady_drift_is_dated_where_its_ramp_crosses_the_limit(shape: str, seed: int) -> None:
    """Whenever the drift began, its significant trend dates the limit within 6 h of the
    noise-free ramp's crossing, however far the baseline moved with it."""
    ramp = DRIFTS[shape]
    values = linear_drift(**ramp, noise_sd=0.05, seed=seed)
    got = health_rows(hours("VIB", values, spread=0.1), VIB7).row(0, named=True)
    crossing = drift_crossing(**ramp, limit=7.0)
    assert END < crossing < END + timedelta(days=2)
    six_h = timedelta(hours=6)
    assert got["trend"] is True and got["anomaly"] is True
    assert got["predicted_limit_date"] is not None
    assert (crossing - six_h).date() <= got["predicted_limit_date"] <= (crossing + six_h).date()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_rise_since_the_first_day_gets_a_date_under_default_settings(seed: int) -> None:
    """2.0 to 6.3 mm/s over the history (alarm 7.0): the baseline follows the rise, so z stays
    under the drift gate, yet the 48 h trend dates the limit within 6 h of the true crossing
    and the machine carries that date."""
    ramp = DRIFTS["from_the_first_day"]
    values = linear_drift(**ramp, noise_sd=0.05, seed=seed)
    params = HealthParams()
    got = health_rows(hours("VIB", values, spread=0.1), VIB7, params=params)
    row = got.row(0, named=True)
    assert abs(row["z"]) < params.drift_z and row["drift"] is False
    crossing = drift_crossing(**ramp, limit=7.0)
    six_h = timedelta(hours=6)
    assert (crossing - six_h).date() <= row["predicted_limit_date"] <= (crossing + six_h).date()
    machine = machine_health(got.lazy(), MACHINES).collect().row(0, named=True)
    assert machine["predicted_limit_date"] == row["predicted_limit_date"]
    assert "reaches alarm_high 7" in machine["evidence"]


@pytest.mark.parametrize("trend_hours", [24, 48])
def test_a_flat_noisy_sensor_gets_no_limit_date(trend_hours: int) -> None:
    """2.0 mm/s with noise sd 0.05 on the hourly means and no rise (20 seeds): no trend, no
    date, no anomaly."""
    params = HealthParams(trend_hours=trend_hours)
    for seed in range(20):
        values = linear_drift(
            start_hour=TOTAL_HOURS, first=2.0, slope_per_hour=0.0, noise_sd=0.05, seed=seed
        )
        row = health_rows(hours("VIB", values, spread=0.1), VIB7, params=params).row(0, named=True)
        assert (row["trend"], row["predicted_limit_date"], row["anomaly"]) == (False, None, False)
