"""Control-chart run rules (Western Electric 1-4, Nelson 1-8) on standardized points.

Input: one row per plotted point with the series key columns, an order column and ``z``,
the point's distance from the centre line in sigmas of the plotted statistic (so the
control limits sit at +-3). Output of ``flag_rules``: one row per point and rule that
fires on it. A rule flags the point that completes its pattern, and every later point
while the pattern still holds (pinned by the vectors in reference-cases.md):

| rule | pattern ending at the point |
|---|---|
| WE1, NELSON1 | the point is beyond 3 sigma |
| WE2, NELSON5 | the point is beyond 2 sigma, and 2 of the last 3 are beyond 2 sigma on its side |
| WE3, NELSON6 | the point is beyond 1 sigma, and 4 of the last 5 are beyond 1 sigma on its side |
| WE4 | 8 in a row on one side of the centre |
| NELSON2 | 9 in a row on one side of the centre |
| NELSON3 | 6 in a row steadily increasing or decreasing (ties break the run) |
| NELSON4 | 14 in a row alternating up and down |
| NELSON7 | 15 in a row within 1 sigma (either side; |z| = 1 is within) |
| NELSON8 | 8 in a row beyond 1 sigma, with points on both sides of the centre |

This follows Nelson (1984, J. Quality Technology 16(4)) and R's qcc: a point exactly on the
centre line is on neither side; "within 1 sigma" includes |z| = 1 (so "beyond" is strict);
the "2 of 3" and "4 of 5" rules need a full window, so they cannot fire before the series has
3 (5) points. Nelson 8 asks for points on both sides of the centre line among the 8 (a run of
8 beyond 1 sigma on one side is what WE3 / Nelson 6 and the one-side runs already catch);
Minitab's test 8 accepts them on either side: ``RuleConfig(nelson8="either_side")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

import polars as pl

from twin_core.sim.quality.spc_rule_config import (
    DEFAULT_RULES,
    LIMIT_RULES,
    RULES,
    Nelson8Reading,
    RuleConfig,
    RuleName,
    RuleOverride,
)

__all__ = [
    "DEFAULT_RULES",
    "LIMIT_RULES",
    "RULES",
    "Nelson8Reading",
    "RuleConfig",
    "RuleName",
    "RuleOverride",
]


def _count(cond: pl.Expr, window: int, by: list[str]) -> pl.Expr:
    """How many of the last ``window`` points meet ``cond``; null until a full window."""
    return cond.cast(pl.Int32).rolling_sum(window, min_samples=window).over(by)


def rule_columns(
    points: pl.LazyFrame,
    *,
    by: Sequence[str],
    order: str,
    z: str = "z",
    nelson8: Nelson8Reading = "both_sides",
) -> pl.LazyFrame:
    """Add one boolean column per rule in RULES to ``points`` (sorted by series and order)."""
    if nelson8 not in get_args(Nelson8Reading):
        raise ValueError(
            f"unknown Nelson 8 reading {nelson8!r}; known: {', '.join(get_args(Nelson8Reading))}"
        )
    keys = list(by)
    zc = pl.col(z)
    conds = {
        "_above": zc > 0,
        "_below": zc < 0,
        "_within1": zc.abs() <= 1,
        "_beyond1": zc.abs() > 1,
        "_up": zc.diff().over(keys) > 0,
        "_down": zc.diff().over(keys) < 0,
    }
    step = zc.diff().over(keys)
    conds["_alt"] = (step * step.shift(1).over(keys)) < 0
    lf = points.sort([*keys, order]).with_columns(
        **{k: v.fill_null(False) for k, v in conds.items()}
    )
    lf = lf.with_columns([pl.col(k).rle_id().over(keys).alias(f"{k}_id") for k in conds])
    lf = lf.with_columns(
        [
            pl.when(pl.col(k))
            .then(pl.int_range(pl.len()).over([*keys, f"{k}_id"]) + 1)
            .otherwise(0)
            .alias(f"{k}_len")
            for k in conds
        ]
    )
    side = pl.max_horizontal("_above_len", "_below_len")
    two_of_three = (zc > 2) & (_count(zc > 2, 3, keys) >= 2) | (zc < -2) & (
        _count(zc < -2, 3, keys) >= 2
    )
    four_of_five = (zc > 1) & (_count(zc > 1, 5, keys) >= 4) | (zc < -1) & (
        _count(zc < -1, 5, keys) >= 4
    )
    beyond3 = zc.abs() > 3
    eight_beyond1 = pl.col("_beyond1_len") >= 8
    if nelson8 == "both_sides":
        # The 8 points are all beyond 1 sigma, so each is above or below: both sides means at
        # least one of the 8 above +1 and at least one below -1.
        eight_beyond1 = (
            eight_beyond1 & (_count(zc > 1, 8, keys) >= 1) & (_count(zc < -1, 8, keys) >= 1)
        )
    lf = lf.with_columns(
        WE1=beyond3,
        WE2=two_of_three,
        WE3=four_of_five,
        WE4=side >= 8,
        NELSON1=beyond3,
        NELSON2=side >= 9,
        # 6 points steadily rising = 5 rises in a row.
        NELSON3=pl.max_horizontal("_up_len", "_down_len") >= 5,
        # 14 alternating points = 12 sign changes between 13 steps in a row.
        NELSON4=pl.col("_alt_len") >= 12,
        NELSON5=two_of_three,
        NELSON6=four_of_five,
        NELSON7=pl.col("_within1_len") >= 15,
        NELSON8=eight_beyond1,
    ).with_columns(pl.col(r).fill_null(False) for r in RULES)
    return lf.drop([c for k in conds for c in (k, f"{k}_id", f"{k}_len")])


def flag_rules(
    points: pl.LazyFrame,
    *,
    by: Sequence[str],
    order: str,
    z: str = "z",
    enabled: pl.LazyFrame | None = None,
    nelson8: Nelson8Reading = "both_sides",
) -> pl.LazyFrame:
    """One row per point and rule that fires on it: the point's columns plus ``rule``.

    ``enabled`` (columns ``by`` + ``rule``) limits each series to its rules; without it every
    rule in RULES is checked. ``nelson8`` is the reading of Nelson 8 (see ``RuleConfig``).
    """
    keys = list(by)
    long = (
        rule_columns(points, by=keys, order=order, z=z, nelson8=nelson8)
        .unpivot(
            index=[c for c in points.collect_schema().names()],
            on=list(RULES),
            variable_name="rule",
            value_name="_fired",
        )
        .filter(pl.col("_fired"))
        .drop("_fired")
    )
    if enabled is not None:
        long = long.join(enabled.select(*keys, "rule"), on=[*keys, "rule"], how="semi")
    return long.sort([*keys, order, "rule"])


def flagged_positions(
    values: Sequence[float], rule: str, *, nelson8: Nelson8Reading = "both_sides"
) -> list[int]:
    """1-based positions of ``values`` (a unit series: centre 0, sigma 1) that ``rule`` flags."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    points = pl.LazyFrame(
        {"series": [0] * len(values), "pos": list(range(1, len(values) + 1)), "z": list(values)},
        schema={"series": pl.Int64, "pos": pl.Int64, "z": pl.Float64},
    )
    out = flag_rules(points, by=["series"], order="pos", nelson8=nelson8).filter(
        pl.col("rule") == rule
    )
    return out.select("pos").collect()["pos"].to_list()
