"""The line engine against queueing results: Factory Physics' Penny Fab, two-station blocking, failures, calendars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin_core.sim.lines.engine import LineSpec, StationSpec, run_engine

DAYS = 14
BOUNDS = np.arange(DAYS + 1) * 86400.0


def _throughput_per_h(line: LineSpec, *, reps: int = 1000, seed: int = 1) -> tuple[float, float]:
    """Mean units per hour over days 2..14 (day 1 after a two-day warm-up) and its standard error."""
    got = run_engine([line], BOUNDS, replications=reps, seed=seed, warmup_s=48 * 3600.0)
    per_rep = got.units[0, 1:, :].sum(axis=0) / ((DAYS - 1) * 24)
    return float(per_rep.mean()), float(per_rep.std(ddof=1) / math.sqrt(reps))


def _penny_fab(cv: float) -> LineSpec:
    """Four stations of 2 h each, WIP held at 4 jobs (CONWIP)."""
    return LineSpec("PF", tuple(StationSpec(f"S{i}", 7200.0, cv=cv) for i in range(4)), wip_cap=4)


BEST_CASE = 0.5  # bottleneck rate, 1 per 2 h
PRACTICAL_WORST_CASE = 4 * 0.5 / (4 + 4 - 1)  # w r_b / (W0 + w - 1), W0 = 4


def test_penny_fab_with_exponential_times_lands_between_best_and_practical_worst_case() -> None:
    """Exponential times at WIP 4 give 0.2857/h, the practical worst case (to Monte Carlo error), below 0.5/h."""
    th, se = _throughput_per_h(_penny_fab(cv=1.0))
    # The practical worst case IS the throughput of a balanced exponential line, so the
    # estimate may sit a sampling error either side of it.
    assert PRACTICAL_WORST_CASE - 3 * se <= th <= BEST_CASE
    assert th == pytest.approx(PRACTICAL_WORST_CASE, abs=4 * se)


def test_penny_fab_with_less_variable_times_lands_strictly_between() -> None:
    """Process times with CV 0.5 give a throughput strictly between 0.2857/h and 0.5/h."""
    th, se = _throughput_per_h(_penny_fab(cv=0.5))
    assert PRACTICAL_WORST_CASE + 3 * se < th < BEST_CASE - 3 * se


def test_penny_fab_with_constant_times_reaches_the_best_case() -> None:
    """Constant 2 h process times at the critical WIP give exactly the bottleneck rate, 0.5/h."""
    th, _ = _throughput_per_h(_penny_fab(cv=0.0), reps=10)
    assert th == BEST_CASE


@pytest.mark.parametrize(("buffer", "expected"), [(0, 2 / 3), (2, 4 / 5)])
def test_two_exponential_stations_with_a_buffer_match_the_markov_chain(
    buffer: int, expected: float
) -> None:
    """Two balanced exponential stations with room for b jobs between them make (b + 2) / (b + 3) per service time."""
    stations = (
        StationSpec("A", 3600.0, cv=1.0),
        StationSpec("B", 3600.0, cv=1.0, buffer_before=buffer),
    )
    th, se = _throughput_per_h(LineSpec("AB", stations))
    assert th == pytest.approx(expected, abs=4 * se)


def test_failures_cut_output_by_the_availability() -> None:
    """A 60 s station failing every 4 h of work for 1 h on average makes 60/h x 4/5 = 48/h."""
    station = StationSpec("M", 60.0, cv=0.0, mtbf_s=4 * 3600.0, mttr_s=3600.0, repair_cv=1.0)
    th, se = _throughput_per_h(LineSpec("L", (station,)), reps=400)
    assert th == pytest.approx(48.0, abs=4 * se + 0.2)


def _day_shift(days: int = DAYS) -> np.ndarray:
    return np.array([[d * 86400.0 + 6 * 3600, d * 86400.0 + 18 * 3600] for d in range(days)])


def test_output_follows_the_open_hours() -> None:
    """A deterministic 600 s station open 06:00-18:00 makes exactly 72 units every day."""
    line = LineSpec("L", (StationSpec("M", 600.0, cv=0.0, open_intervals=_day_shift()),))
    got = run_engine([line], BOUNDS, replications=5, seed=1)
    assert (got.units == 72.0).all()
    assert got.open_s[0, 0].tolist() == [12 * 3600.0] * DAYS


def test_a_station_closed_for_a_day_stops_the_line_that_day() -> None:
    """Closing the second of two stations from day 2 06:00 to day 4 06:00 leaves day 3 without output."""
    always = np.array([[0.0, DAYS * 86400.0]])
    outage = np.array([[0.0, 1.25 * 86400.0], [3.25 * 86400.0, DAYS * 86400.0]])
    line = LineSpec(
        "L",
        (
            StationSpec("A", 600.0, cv=0.0, open_intervals=always),
            StationSpec("B", 600.0, cv=0.0, buffer_before=10, open_intervals=outage),
        ),
    )
    got = run_engine([line], BOUNDS, replications=3, seed=1)
    assert got.units[0, 2].tolist() == [0.0, 0.0, 0.0]
    assert got.units[0, 0].tolist() == [144.0, 144.0, 144.0]


def test_the_same_seed_gives_the_same_result() -> None:
    """Two runs with one seed are identical; another seed differs."""
    line = LineSpec("L", (StationSpec("M", 60.0, cv=0.5, mtbf_s=7200.0, mttr_s=600.0),))
    first = run_engine([line], BOUNDS, replications=50, seed=7).units
    again = run_engine([line], BOUNDS, replications=50, seed=7).units
    other = run_engine([line], BOUNDS, replications=50, seed=8).units
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_the_busiest_station_is_the_bottleneck() -> None:
    """In a line of a 30 s and a 45 s station, the 45 s one is busy nearly all its open time."""
    line = LineSpec(
        "L", (StationSpec("A", 30.0, cv=0.2), StationSpec("B", 45.0, cv=0.2, buffer_before=20))
    )
    got = run_engine([line], BOUNDS, replications=20, seed=1)
    util = got.busy_s[0].sum(axis=1) / got.open_s[0].sum(axis=1)
    assert util[1] > 0.98
    assert util[0] == pytest.approx(30.0 / 45.0, rel=0.03)
