"""Measured machine speed and failures (the line simulation's inputs) from events and production."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from twin_core.sim.machines.reliability import machine_reliability

START, END = datetime(2026, 3, 1), datetime(2026, 3, 3)
TS = pl.Datetime("us")


def ts(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, d, hh, mm)


MACHINES = pl.LazyFrame(
    {
        "site_id": ["S1"],
        "machine_id": ["M1"],
        "line_id": ["L1"],
        "line_position": [1],
        "ideal_cycle_time_s": [30.0],
    }
)


def reliability(
    events: list[tuple[datetime, datetime, str]], made: tuple[int, int] = (0, 0)
) -> dict[str, object]:
    ev = pl.LazyFrame(
        [("M1", s, e, st) for s, e, st in events],
        schema={"machine_id": pl.String, "start_ts": TS, "end_ts": TS, "state": pl.String},
        orient="row",
    )
    prod = pl.LazyFrame(
        {
            "machine_id": ["M1"],
            "end_ts": [ts(1, 12)],
            "good_qty": [made[0]],
            "scrap_qty": [made[1]],
        },
        schema={"machine_id": pl.String, "end_ts": TS, "good_qty": pl.Int64, "scrap_qty": pl.Int64},
    )
    got = machine_reliability(ev, prod, MACHINES, start=START, end=END).collect()
    return got.row(0, named=True)


def test_a_stop_split_at_midnight_is_one_failure() -> None:
    """Down 23:00-24:00 and 00:00-01:00 in two rows is one failure of 2 h; 10 h running gives MTBF 10 h."""
    got = reliability(
        [
            (ts(1, 13), ts(1, 23), "running"),
            (ts(1, 23), ts(2, 0), "down"),
            (ts(2, 0), ts(2, 1), "down"),
        ]
    )
    assert (got["failures"], got["mtbf_h"], got["mttr_h"]) == (1, 10.0, 2.0)


def test_repair_cv_comes_from_the_spread_of_the_stops() -> None:
    """Stops of 1 h and 3 h: mean 2 h, sample sd 1.414 h, CV 0.7071."""
    got = reliability(
        [
            (ts(1, 0), ts(1, 1), "down"),
            (ts(1, 1), ts(1, 10), "running"),
            (ts(1, 10), ts(1, 13), "down"),
        ]
    )
    assert got["repair_cv"] == pytest.approx(2**0.5 / 2)


def test_cycle_is_ideal_over_performance_plus_setups() -> None:
    """960 units at 30 s ideal in 10 h running is performance 0.8; 1 h setup adds 10%: 41.25 s a unit."""
    got = reliability(
        [(ts(1, 0), ts(1, 10), "running"), (ts(1, 10), ts(1, 11), "setup")], made=(950, 10)
    )
    assert got["performance"] == pytest.approx(0.8)
    assert got["cycle_s"] == pytest.approx(30.0 / 0.8 * 1.1)
    assert got["quality"] == pytest.approx(950 / 960)


def test_a_machine_down_at_the_cut_starts_the_forecast_under_repair() -> None:
    """A down event still open at the end of the window sets down_at_cut."""
    got = reliability([(ts(1, 0), ts(2, 20), "running"), (ts(2, 20), END, "down")])
    assert got["down_at_cut"] is True


def test_a_machine_without_data_runs_at_its_ideal_speed_without_failures() -> None:
    """No events and no production: performance 1, no MTBF (no failures drawn), cycle = ideal."""
    got = reliability([])
    assert (got["performance"], got["mtbf_h"], got["cycle_s"], got["failures"]) == (
        1.0,
        None,
        30.0,
        0,
    )
