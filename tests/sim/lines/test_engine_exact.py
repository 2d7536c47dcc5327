"""The line engine on its default settings (14 days, 4 h warm-up, 1,200 batches, 60 s cycles)
against exact Markov-chain and mean-value-analysis throughputs computed here (issue 20)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin_core.sim.lines.engine import ACCURACY, LineSpec, StationSpec, run_engine

DAYS = 14
BOUNDS = np.arange(DAYS + 1) * 86400.0
CYCLE = 60.0
MAX_BATCHES = 1200  # LineSimParams' default


def _per_day(line: LineSpec, reps: int = 200, *, max_batches: int = MAX_BATCHES) -> float:
    """Mean units per day over days 2..14 (seeded: the same number every run)."""
    got = run_engine([line], BOUNDS, replications=reps, seed=3, max_batches=max_batches)
    return float(got.units[0, 1:, :].mean())


def _stationary(gen: np.ndarray) -> np.ndarray:
    """Stationary distribution of a CTMC generator (rows sum to 0)."""
    n = gen.shape[0]
    a = np.vstack([gen.T, np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(a, b, rcond=None)
    return np.asarray(pi)


def _two_station_exact(buffer: int, rate: float) -> float:
    """Two exponential stations, buffer B, blocking after service, first never starved: a
    birth-death chain on the units past station 1 (in the buffer, in station 2, or done and
    blocked in station 1), 0..B+2; station 2 completes at rate mu while it holds one."""
    n = buffer + 3
    gen = np.zeros((n, n))
    for k in range(n):
        if k + 1 < n:
            gen[k, k + 1] = rate
        if k > 0:
            gen[k, k - 1] = rate
        gen[k, k] = -gen[k].sum()
    pi = _stationary(gen)
    return float(rate * (1.0 - pi[0]))


@pytest.mark.parametrize("buffer", [0, 1, 2, 8])
def test_two_exponential_stations_match_the_birth_death_chain(buffer: int) -> None:
    """Two 60 s exponential stations with room for B make mu (B + 2) / (B + 3): 1309.09/day at B = 8."""
    line = LineSpec(
        "AB",
        (StationSpec("A", CYCLE, cv=1.0), StationSpec("B", CYCLE, cv=1.0, buffer_before=buffer)),
    )
    exact = _two_station_exact(buffer, 86400.0 / CYCLE)
    assert exact == pytest.approx(1440.0 * (buffer + 2) / (buffer + 3), rel=1e-12)
    assert _per_day(line) == pytest.approx(exact, rel=ACCURACY)


def _mva(stations: int, wip: int, mean_s: float) -> float:
    """Mean value analysis of a closed line of identical exponential stations: jobs per s."""
    queue = np.zeros(stations)
    th = 0.0
    for n in range(1, wip + 1):
        resp = mean_s * (1.0 + queue)
        th = n / float(resp.sum())
        queue = th * resp
    return th


@pytest.mark.parametrize("wip", [2, 4, 12])
def test_conwip_line_matches_mean_value_analysis(wip: int) -> None:
    """Four 60 s exponential stations under CONWIP w make w / (w + W0 - 1) x r_b (practical worst case)."""
    line = LineSpec("C", tuple(StationSpec(f"S{i}", CYCLE, cv=1.0) for i in range(4)), wip_cap=wip)
    exact = _mva(4, wip, CYCLE) * 86400.0
    assert exact == pytest.approx(wip / (wip + 4 - 1) * 1440.0, rel=1e-12)
    assert _per_day(line) == pytest.approx(exact, rel=ACCURACY)


def test_single_machine_with_failures_makes_its_availability() -> None:
    """A 60 s machine failing every 2 h of work (exponential) for 12 min (exponential) makes
    the up/down chain's availability MTTF / (MTTF + MTTR) x rate = 1440 x 10/11 a day."""
    mtbf, mttr = 7200.0, 720.0
    gen = np.array([[-1 / mtbf, 1 / mtbf], [1 / mttr, -1 / mttr]])
    up = _stationary(gen)[0]
    assert up == pytest.approx(mtbf / (mtbf + mttr), rel=1e-12)
    station = StationSpec("M", CYCLE, cv=0.0, mtbf_s=mtbf, mttr_s=mttr, repair_cv=1.0)
    # Failures are the only randomness: 1,000 replications keep the mean's error under 0.1 %.
    assert _per_day(LineSpec("L", (station,)), reps=1000) == pytest.approx(
        up * 1440.0, rel=ACCURACY
    )


@pytest.mark.parametrize(("stations", "buffer"), [(6, 20), (6, 50), (2, 50)])
def test_batched_lines_stay_within_the_bound_of_batches_of_one(stations: int, buffer: int) -> None:
    """Where the default settings batch (buffers of 20 and 50 hold 10 batches of 2 and 5
    exponential units), throughput is within ACCURACY of batches of one."""
    line = LineSpec(
        "L",
        tuple(
            StationSpec(f"S{i}", CYCLE, cv=1.0, buffer_before=buffer if i else math.inf)
            for i in range(stations)
        ),
    )
    got = run_engine([line], BOUNDS, replications=10, seed=1, max_batches=MAX_BATCHES)
    assert int(got.batch_units[0]) == buffer // 10
    one = _per_day(line, max_batches=10**6)
    assert _per_day(line) == pytest.approx(one, rel=ACCURACY)


@pytest.mark.parametrize(
    ("buffer", "cv", "q"), [(8, 1.0, 1), (53, 0.25, 1), (50, 2.0, 1), (100, 0.25, 10)]
)
def test_batch_size_divides_the_buffer_and_leaves_enough_batches(
    buffer: int, cv: float, q: int
) -> None:
    """q divides the buffer and leaves 10 x max(1, cv^2) batches in it, at most the span's q (17)."""
    line = LineSpec(
        "L", (StationSpec("A", CYCLE, cv=cv), StationSpec("B", CYCLE, cv=cv, buffer_before=buffer))
    )
    got = run_engine([line], BOUNDS, replications=2, seed=1, max_batches=MAX_BATCHES)
    assert int(got.batch_units[0]) == q
