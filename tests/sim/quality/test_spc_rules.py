"""Run rules: every vector of reference-cases.md, and the polars rules against a plain loop."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from twin_core.sim.quality.spc_rules import RULES, RuleConfig, flag_rules, flagged_positions

# reference-cases.md, "Control-chart rules": unit series (centre 0, sigma 1, limits +-3).
REFERENCE = [
    ("WE1", [0, 3.2, -3.5, 2.9], [2, 3]),
    ("WE2", [0, 2.5, 1.0, 2.6, 0], [4]),
    ("WE3", [0, 1.2, 1.3, 0.2, 1.4, 1.5], [6]),
    ("WE4", [-1] * 8 + [1], [8]),
    ("NELSON2", [0.5] * 10 + [-0.5] + [-0.5] * 9, [9, 10, 19, 20]),
    ("NELSON3", [1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1], [6, 7, 13, 14]),
    ("NELSON4", [1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8], [14, 15]),
    ("NELSON5", [0, 2.3, 0.4, 2.2, -2.4, -0.2, -2.5], [4, 7]),
    ("NELSON6", [1.2, 1.3, 0.2, 1.4, 1.5, -1.2, -1.3, -0.1, -1.4, -1.5], [5, 10]),
    ("NELSON7", [0.3] * 16 + [1.2], [15, 16]),
    ("NELSON8", [1.2, -1.3, 1.1, -1.4, 1.5, -1.2, 1.3, -1.1, 0.2], [8]),
]


@pytest.mark.parametrize(("rule", "values", "expected"), REFERENCE, ids=[r[0] for r in REFERENCE])
def test_rule_flags_the_reference_positions(
    rule: str, values: list[float], expected: list[int]
) -> None:
    """Each rule flags exactly the 1-based positions reference-cases.md gives."""
    assert flagged_positions([float(v) for v in values], rule) == expected


def test_nelson1_is_we1() -> None:
    """Nelson 1 (beyond 3 sigma) flags what Western Electric 1 flags."""
    expected = [2, 3]
    assert flagged_positions([0, 3.2, -3.5, 2.9], "NELSON1") == expected


def test_point_on_the_centre_line_breaks_a_one_side_run() -> None:
    """Seven points above, one exactly on the centre, one above: no run of 8 on one side."""
    assert flagged_positions([0.5] * 7 + [0.0, 0.5], "WE4") == []


def test_equal_neighbours_break_a_trend() -> None:
    """1, 2, 3, 3, 4, 5, 6 never has 6 steadily increasing points."""
    assert flagged_positions([1, 2, 3, 3, 4, 5, 6], "NELSON3") == []


def test_unknown_rule_is_an_error() -> None:
    """Asking for a rule that does not exist names the known ones."""
    with pytest.raises(ValueError, match="known: WE1"):
        flagged_positions([0.0], "WE9")


def test_two_of_three_needs_three_points() -> None:
    """Nelson (1984): "2 out of 3 points in a row" is a window of 3. Two points beyond 2 sigma
    opening a series fire nothing until the third point exists, and then fire on it if it
    completes the pattern (it is beyond 2 sigma itself)."""
    for rule in ("WE2", "NELSON5"):
        assert flagged_positions([2.5, 2.6], rule) == []
        assert flagged_positions([-2.5, -2.6], rule) == []
        assert flagged_positions([2.5, 2.6, 0.0], rule) == []
        assert flagged_positions([2.5, 2.6, 2.1], rule) == [3]


def test_four_of_five_needs_five_points() -> None:
    """Nelson (1984): "4 out of 5 points in a row" is a window of 5: four points beyond 1
    sigma opening a series fire nothing before the fifth point."""
    for rule in ("WE3", "NELSON6"):
        assert flagged_positions([1.5, 1.6, 1.7, 1.8], rule) == []
        assert flagged_positions([-1.5, -1.6, -1.7, -1.8], rule) == []
        assert flagged_positions([1.5, 1.6, 1.7, 1.8, 0.0], rule) == []
        assert flagged_positions([1.5, 1.6, 1.7, 1.8, 1.2], rule) == [5]


def test_exactly_one_sigma_is_within() -> None:
    """|z| = 1 is inside zone C ("within 1 sigma"): 15 points at +-1 make Nelson 7, and never
    count as beyond 1 sigma for WE3 / Nelson 6 / Nelson 8."""
    ones = [1.0, -1.0] * 8
    assert flagged_positions(ones, "NELSON7") == [15, 16]
    assert flagged_positions(ones, "NELSON8") == []
    assert flagged_positions(ones, "NELSON8", nelson8="either_side") == []
    assert flagged_positions([1.0] * 6, "WE3") == []
    # Just beyond: 1 + 1e-9 breaks the run of 15 within.
    assert flagged_positions([0.5] * 14 + [1.0 + 1e-9], "NELSON7") == []


def test_nelson8_needs_both_sides_by_default() -> None:
    """Nelson (1984): "8 points in a row on both sides of the centre line with none in zone
    C". Eight points beyond 1 sigma all above are not Nelson 8 (they are WE3, Nelson 6 and the
    beginning of a one-side run); with a point below among the 8 they are. Minitab's test 8
    ("either side") fires on both, as the ``either_side`` reading."""
    one_side = [1.5] * 9
    both = [1.5] * 7 + [-1.5, 1.5]
    assert flagged_positions(one_side, "NELSON8") == []
    assert flagged_positions(one_side, "NELSON8", nelson8="either_side") == [8, 9]
    assert flagged_positions(both, "NELSON8") == [8, 9]
    assert flagged_positions(both, "NELSON8", nelson8="either_side") == [8, 9]
    # Ten beyond 1 sigma: one below, then nine above. The 8 ending at point 8 hold the point
    # below; those ending at points 9 and 10 are all above.
    assert flagged_positions([-1.5] + [1.5] * 9, "NELSON8") == [8]


def test_unknown_nelson8_reading_is_an_error() -> None:
    """A reading of Nelson 8 that does not exist names the known ones."""
    with pytest.raises(ValueError, match="known: both_sides, either_side"):
        flagged_positions([0.0], "NELSON8", nelson8="minitab")  # type: ignore[arg-type]


def test_rule_config_carries_the_nelson8_reading() -> None:
    """``violations`` checks Nelson 8 with the configured reading (default: both sides)."""
    from twin_core.sim.quality import spc

    z = [1.5] * 9
    points = pl.LazyFrame(
        {
            "product_id": ["P"] * 9,
            "characteristic": ["c"] * 9,
            "lot_id": [f"L{i}" for i in range(9)],
            "ts": list(range(9)),
            "position": list(range(1, 10)),
            "in_baseline": [True] * 9,
            "chart": ["Xbar"] * 9,
            "kind": ["location"] * 9,
            "value": z,
            "center": [0.0] * 9,
            "lcl": [-3.0] * 9,
            "ucl": [3.0] * 9,
            "z": z,
        }
    )
    nelson = spc.violations(points, RuleConfig(default=("NELSON8",))).collect()
    minitab = spc.violations(
        points, RuleConfig(default=("NELSON8",), nelson8="either_side")
    ).collect()
    assert nelson.height == 0
    assert minitab["lot_id"].to_list() == ["L7", "L8"]
    with pytest.raises(ValueError, match="nelson8"):
        RuleConfig(nelson8="minitab")  # type: ignore[arg-type]


# A plain-Python statement of each rule, written from the table in the module docstring
# (Nelson 1984: the "k of the last m" rules need m points; |z| = 1 is within 1 sigma; Nelson 8
# needs points on both sides among its 8).
def _naive(z: list[float], rule: str, nelson8: str = "both_sides") -> list[int]:
    def last(i: int, k: int) -> list[float]:
        return z[i - k + 1 : i + 1] if i >= k - 1 else []

    def run(i: int, pred: Callable[[float], bool]) -> int:
        n = 0
        for v in reversed(z[: i + 1]):
            if not pred(v):
                break
            n += 1
        return n

    out = []
    for i in range(len(z)):
        x = z[i]
        if rule in ("WE1", "NELSON1"):
            hit = abs(x) > 3
        elif rule in ("WE2", "NELSON5"):
            hit = (x > 2 and sum(v > 2 for v in last(i, 3)) >= 2) or (
                x < -2 and sum(v < -2 for v in last(i, 3)) >= 2
            )
        elif rule in ("WE3", "NELSON6"):
            hit = (x > 1 and sum(v > 1 for v in last(i, 5)) >= 4) or (
                x < -1 and sum(v < -1 for v in last(i, 5)) >= 4
            )
        elif rule in ("WE4", "NELSON2"):
            k = 8 if rule == "WE4" else 9
            hit = run(i, lambda v: v > 0) >= k or run(i, lambda v: v < 0) >= k
        elif rule == "NELSON3":
            ups = downs = 0
            j = i
            while j > 0 and z[j] > z[j - 1]:
                ups, j = ups + 1, j - 1
            j = i
            while j > 0 and z[j] < z[j - 1]:
                downs, j = downs + 1, j - 1
            hit = max(ups, downs) >= 5
        elif rule == "NELSON4":
            alt, j = 0, i
            while j >= 2 and (z[j] - z[j - 1]) * (z[j - 1] - z[j - 2]) < 0:
                alt, j = alt + 1, j - 1
            hit = alt >= 12
        elif rule == "NELSON7":
            hit = run(i, lambda v: abs(v) <= 1) >= 15
        else:
            eight = last(i, 8)
            hit = run(i, lambda v: abs(v) > 1) >= 8 and (
                nelson8 == "either_side" or (max(eight) > 0 and min(eight) < 0)
            )
        if hit:
            out.append(i + 1)
    return out


def test_rules_match_naive_on_random_series() -> None:
    """On 40 seeded series of 60 points (some drifting, some alternating), every rule flags
    exactly what a plain loop flags."""
    rng = np.random.default_rng(7)
    series = []
    for s in range(40):
        z = rng.normal(0, 1.2, 60) + np.linspace(0, rng.normal(0, 3), 60)
        if s % 5 == 0:
            z = np.round(z, 0)  # ties and exact zeros
        if s % 6 == 1:
            z = np.cumsum(rng.choice([-1.0, 0.5, 1.0], 60, p=[0.15, 0.1, 0.75])) / 10  # trends
        if s % 7 == 0:
            z = np.where(np.arange(60) % 2 == 0, 0.5, -0.5) * np.arange(1, 61) / 20
        if s % 8 == 3:
            z = np.round(z * 2) / 2  # points exactly on +-1 and +-2 sigma
        series.append([float(v) for v in z])
    points = pl.LazyFrame(
        {
            "s": [s for s, z in enumerate(series) for _ in z],
            "pos": [i + 1 for z in series for i in range(len(z))],
            "z": [v for z in series for v in z],
        }
    )
    for reading in ("both_sides", "either_side"):
        got = flag_rules(points, by=["s"], order="pos", nelson8=reading).collect()  # type: ignore[arg-type]
        expected = {
            (s, rule, pos)
            for s, z in enumerate(series)
            for rule in RULES
            for pos in _naive(z, rule, reading)
        }
        assert set(got.select("s", "rule", "pos").iter_rows()) == expected
