"""Line forecast at its polars boundary: requirements, planned windows, scenarios, bottleneck."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.sim.lines.forecast import LineInputs, LineSimParams, forecast_lines
from twin_core.sim.lines.plan import LineScenario, extra_hours, horizon, line_windows, requirements

AS_OF = date(2026, 3, 8)  # a Sunday
DAY1 = AS_OF + timedelta(days=1)
PARAMS = LineSimParams(horizon_days=3, replications=20, process_cv=0.0, seed=1)


def day(n: int) -> date:
    return AS_OF + timedelta(days=n)


def station(machine: str, position: int, cycle_s: float, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "site_id": "S1",
        "machine_id": machine,
        "line_id": "L1",
        "line_position": position,
        "cycle_s": cycle_s,
        "mtbf_h": None,
        "mttr_h": None,
        "repair_cv": None,
        "quality": 1.0,
        "down_at_cut": False,
    }
    row.update(kw)
    return row


STATION_SCHEMA = {
    "site_id": pl.String,
    "machine_id": pl.String,
    "line_id": pl.String,
    "line_position": pl.Int64,
    "cycle_s": pl.Float64,
    "mtbf_h": pl.Float64,
    "mttr_h": pl.Float64,
    "repair_cv": pl.Float64,
    "quality": pl.Float64,
    "down_at_cut": pl.Boolean,
}
TS = pl.Datetime("us")


def inputs(
    stations: list[dict[str, object]],
    *,
    orders: list[tuple[str, float, date, str]] = (),  # type: ignore[assignment]
    demand: list[tuple[str, date, float]] = (),  # type: ignore[assignment]
    shifts: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
    stops: list[tuple[str, datetime, datetime]] = (),  # type: ignore[assignment]
) -> LineInputs:
    return LineInputs(
        as_of=AS_OF,
        tz="UTC",
        stations=pl.DataFrame(stations, schema=STATION_SCHEMA),
        shifts=pl.DataFrame(
            [("L1", s, e) for s, e in shifts],
            schema={"line_id": pl.String, "start_ts": TS, "end_ts": TS},
            orient="row",
        ),
        events=pl.DataFrame(
            [(m, s, e, "planned_stop") for m, s, e in stops],
            schema={"machine_id": pl.String, "start_ts": TS, "end_ts": TS, "state": pl.String},
            orient="row",
        ),
        work_orders=pl.DataFrame(
            [(p, "L1", q, d, st) for p, q, d, st in orders],
            schema={
                "product_id": pl.String,
                "line_id": pl.String,
                "qty": pl.Float64,
                "due_date": pl.Date,
                "status": pl.String,
            },
            orient="row",
        ),
        demand=pl.DataFrame(
            demand,
            schema={"product_id": pl.String, "due_date": pl.Date, "qty": pl.Float64},
            orient="row",
        ),
        products=pl.DataFrame({"product_id": ["P1"], "revision": ["A"], "line_id": ["L1"]}),
    )


def _requirements(
    orders: list[tuple[str, float, date, str]],
    demand: list[tuple[str, date, float]],
    multipliers: dict[str, float] | None = None,
) -> pl.DataFrame:
    li = inputs([station("M1", 1, 60.0)], orders=orders, demand=demand)
    return requirements(
        li.work_orders.lazy(),
        li.demand.lazy(),
        li.products.lazy(),
        pl.LazyFrame({"line_id": ["L1"]}),
        horizon(AS_OF, 3, "UTC"),
        multipliers,
    ).collect()


def test_demand_beyond_the_work_orders_is_required_too() -> None:
    """Orders of 100 a day against demand of 100 then 250: day 2 needs 150 more than the orders."""
    got = _requirements(
        [("P1", 100.0, day(1), "released"), ("P1", 100.0, day(2), "planned")],
        [("P1", day(1), 100.0), ("P1", day(2), 250.0)],
    )
    expected = pl.DataFrame(
        {
            "line_id": ["L1"] * 3,
            "day": [day(1), day(2), day(3)],
            "work_order_qty": [100.0, 100.0, 0.0],
            "uncovered_demand_qty": [0.0, 150.0, 0.0],
            "required_qty": [100.0, 250.0, 0.0],
        }
    )
    assert_frame_equal(got, expected)


def test_closed_orders_do_not_count_and_past_due_ones_are_owed_on_day_one() -> None:
    """A completed order is ignored; an open order due before the horizon is required on day 1."""
    got = _requirements(
        [("P1", 70.0, day(-2), "in_progress"), ("P1", 500.0, day(1), "completed")], []
    )
    assert got["required_qty"].to_list() == [70.0, 0.0, 0.0]


def test_demand_multiplier_scales_orders_and_demand() -> None:
    """A multiplier of 1.5 on P1 turns 100 ordered into 150 required."""
    got = _requirements([("P1", 100.0, day(2), "released")], [], {"P1": 1.5})
    assert got["required_qty"].to_list() == [0.0, 150.0, 0.0]


def test_shifts_repeat_on_the_same_weekday() -> None:
    """A 06:00-14:00 shift on Monday 2026-03-02 and none on Tuesday: next Monday is planned, Tuesday not."""
    shifts = pl.LazyFrame(
        {
            "line_id": ["L1"],
            "start_ts": [datetime(2026, 3, 2, 6)],
            "end_ts": [datetime(2026, 3, 2, 14)],
        }
    )
    got = line_windows(
        shifts, pl.LazyFrame({"line_id": ["L1"]}), horizon(AS_OF, 3, "UTC"), AS_OF, "UTC"
    ).collect()
    expected = pl.DataFrame(
        {
            "line_id": ["L1"],
            "start_ts": [datetime(2026, 3, 9, 6)],
            "end_ts": [datetime(2026, 3, 9, 14)],
        },
        schema={"line_id": pl.String, "start_ts": TS, "end_ts": TS},
    )
    assert_frame_equal(got, expected)


def test_shifts_keep_their_local_time_across_a_clock_change() -> None:
    """A 06:00 Berlin shift (05:00 UTC in winter) repeats at 06:00 Berlin after the spring change (04:00 UTC)."""
    shifts = pl.LazyFrame(
        {
            "line_id": ["L1"],
            "start_ts": [datetime(2026, 3, 23, 5)],
            "end_ts": [datetime(2026, 3, 23, 13)],
        }
    )
    as_of = date(2026, 3, 29)
    got = line_windows(
        shifts,
        pl.LazyFrame({"line_id": ["L1"]}),
        horizon(as_of, 1, "Europe/Berlin"),
        as_of,
        "Europe/Berlin",
    ).collect()
    assert got["start_ts"].to_list() == [datetime(2026, 3, 30, 4)]


def test_extra_shift_hours_follow_the_last_shift() -> None:
    """Four extra hours after a 06:00-14:00 shift open 14:00-18:00."""
    windows = pl.DataFrame(
        {
            "line_id": ["L1"],
            "start_ts": [datetime(2026, 3, 9, 6)],
            "end_ts": [datetime(2026, 3, 9, 14)],
        }
    )
    got = extra_hours(windows, horizon(AS_OF, 1, "UTC"), {"L1": 4.0})
    assert list(zip(got["start_ts"], got["end_ts"], strict=True)) == [
        (datetime(2026, 3, 9, 6), datetime(2026, 3, 9, 14)),
        (datetime(2026, 3, 9, 14), datetime(2026, 3, 9, 18)),
    ]


def test_a_steady_machine_makes_its_open_hours_over_its_cycle() -> None:
    """One 60 s machine without failures, on shift 06:00-14:00 daily, makes 480 a day in every replication."""
    shifts = [(datetime(2026, 3, d, 6), datetime(2026, 3, d, 14)) for d in range(2, 9)]
    got = forecast_lines(inputs([station("M1", 1, 60.0)], shifts=shifts), PARAMS).collect()
    assert got["p10_qty"].to_list() == [480.0] * 3
    assert got["p90_qty"].to_list() == [480.0] * 3
    assert got["planned_hours"].to_list() == [8.0] * 3


def test_a_line_whose_only_shifts_plan_no_time_is_forecast_no_hours_not_24() -> None:
    """06:00-06:00 every day of the last week (a shift row that plans no time, read back from the
    quarantine): the line works to shifts and has none, so 0 planned hours and no output."""
    shifts = [(datetime(2026, 3, d, 6), datetime(2026, 3, d, 6)) for d in range(2, 9)]
    got = forecast_lines(inputs([station("M1", 1, 60.0)], shifts=shifts), PARAMS).collect()
    assert got["planned_hours"].to_list() == [0.0] * 3
    assert got["p90_qty"].to_list() == [0.0] * 3


def test_a_shift_row_that_plans_no_time_opens_no_window_beside_a_real_one() -> None:
    """Monday 06:00-06:00 and 14:00 -> 06:00 (inverted) beside 14:00-22:00: next Monday has the
    one 14:00-22:00 window, and four extra hours go after it to midnight (2 h), then right
    before it (12:00-14:00), not from 06:00 where the empty rows would have put them."""
    monday = [
        (datetime(2026, 3, 2, 6), datetime(2026, 3, 2, 6)),
        (datetime(2026, 3, 2, 14), datetime(2026, 3, 2, 6)),
        (datetime(2026, 3, 2, 14), datetime(2026, 3, 2, 22)),
    ]
    shifts = pl.LazyFrame(
        [("L1", s, e) for s, e in monday],
        schema={"line_id": pl.String, "start_ts": TS, "end_ts": TS},
        orient="row",
    )
    days = horizon(AS_OF, 1, "UTC")
    got = line_windows(shifts, pl.LazyFrame({"line_id": ["L1"]}), days, AS_OF, "UTC").collect()
    assert list(zip(got["start_ts"], got["end_ts"], strict=True)) == [
        (datetime(2026, 3, 9, 14), datetime(2026, 3, 9, 22))
    ]
    more = extra_hours(got, days, {"L1": 4.0})
    assert list(zip(more["start_ts"], more["end_ts"], strict=True)) == [
        (datetime(2026, 3, 9, 12), datetime(2026, 3, 9, 14)),
        (datetime(2026, 3, 9, 14), datetime(2026, 3, 9, 22)),
        (datetime(2026, 3, 9, 22), datetime(2026, 3, 10, 0)),
    ]


def test_an_outage_of_the_only_machine_empties_its_day() -> None:
    """A 24 h outage from the start of day 2 leaves day 2 with no output and 0 planned hours."""
    scenario = LineScenario(outages=(("M1", datetime(2026, 3, 10), 24.0),))
    got = forecast_lines(inputs([station("M1", 1, 60.0)]), PARAMS, scenario).collect()
    assert got["p50_qty"].to_list() == [1440.0, 0.0, 1440.0]
    assert got["planned_hours"].to_list() == [24.0, 0.0, 24.0]


def test_the_slowest_station_is_the_bottleneck_and_sets_the_output() -> None:
    """Stations of 30 s and 90 s: the 90 s one is the bottleneck and the line makes 960 a day."""
    got = forecast_lines(inputs([station("M1", 1, 30.0), station("M2", 2, 90.0)]), PARAMS).collect()
    assert got["bottleneck_machine_id"].to_list() == ["M2"] * 3
    assert got["p50_qty"].to_list() == [960.0] * 3


def test_a_gap_shows_as_required_above_p50_and_a_low_p_meet() -> None:
    """Orders of 2000 on a line that makes 1440 a day: required above p50, no replication meets it."""
    orders = [("P1", 2000.0, day(2), "released")]
    got = forecast_lines(inputs([station("M1", 1, 60.0)], orders=orders), PARAMS).collect()
    row = got.filter(pl.col("day") == day(2)).row(0, named=True)
    assert (row["required_qty"], row["p50_qty"], row["p_meet"]) == (2000.0, 1440.0, 0.0)


def test_failures_spread_the_forecast() -> None:
    """A machine failing every 8 h for 2 h on average has p10 < p50 < p90 and makes less than 1440."""
    params = LineSimParams(horizon_days=3, replications=300, process_cv=0.0, seed=1)
    flaky = station("M1", 1, 60.0, mtbf_h=8.0, mttr_h=2.0, repair_cv=1.0)
    got = forecast_lines(inputs([flaky]), params).collect().row(1, named=True)
    assert got["p10_qty"] < got["p50_qty"] < got["p90_qty"] < 1440.0
    assert got["mean_qty"] == pytest.approx(1440.0 * 8 / 10, rel=0.05)


def test_the_same_inputs_give_the_same_forecast() -> None:
    """Two forecasts with one seed are identical, row for row."""
    flaky = station("M1", 1, 60.0, mtbf_h=8.0, mttr_h=2.0, repair_cv=1.0)
    params = LineSimParams(horizon_days=3, replications=50, seed=3)
    first = forecast_lines(inputs([flaky]), params).collect()
    assert_frame_equal(first, forecast_lines(inputs([flaky]), params).collect())
