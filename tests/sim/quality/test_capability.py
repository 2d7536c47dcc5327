"""Capability: Cp, Cpk, Pp, Ppk on hand-computed cases, two- and one-sided."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl
import pytest

from twin_core.sim.quality.capability import capability

T0 = datetime(2026, 3, 2, 6, 0)


def _inspections(lots: list[list[float]], lsl: float | None, usl: float | None) -> pl.LazyFrame:
    rows = [
        ("P1", "bore", f"L{i}", T0 + timedelta(hours=i, minutes=k), v, lsl, usl)
        for i, values in enumerate(lots)
        for k, v in enumerate(values)
    ]
    return pl.LazyFrame(
        rows,
        schema={
            "product_id": pl.String,
            "characteristic": pl.String,
            "lot_id": pl.String,
            "ts": pl.Datetime,
            "value": pl.Float64,
            "lsl": pl.Float64,
            "usl": pl.Float64,
        },
        orient="row",
    )


def _row(lots: list[list[float]], lsl: float | None, usl: float | None) -> dict[str, object]:
    (row,) = capability(_inspections(lots, lsl, usl), baseline_subgroups=25).collect().to_dicts()
    return row


def test_individuals_capability_by_hand() -> None:
    """9, 11, 10, 12 in [4, 16]: mu 10.5, sigma_within (5/3)/1.128, sigma_overall sqrt(5/3)."""
    got = _row([[9.0], [11.0], [10.0], [12.0]], 4.0, 16.0)
    sw = (5.0 / 3.0) / 1.128
    so = math.sqrt(5.0 / 3.0)
    expected = {
        "n": 4,
        "cp": 12.0 / (6 * sw),  # 1.353600
        "cpk": 5.5 / (3 * sw),  # 1.240800
        "pp": 12.0 / (6 * so),  # 1.549193
        "ppk": 5.5 / (3 * so),  # 1.420094
    }
    assert {k: got[k] for k in expected} == pytest.approx(expected, rel=1e-12)
    assert got["cp"] == pytest.approx(1.353600, abs=1e-6)


def test_subgrouped_capability_uses_rbar_over_d2() -> None:
    """Two lots of 5 (ranges 2 and 4): sigma_within = 3 / 2.326; Cpk from the nearer limit."""
    lots = [[9.0, 10.0, 11.0, 10.0, 10.0], [10.0, 14.0, 11.0, 11.0, 14.0]]
    got = _row(lots, 5.0, 15.0)
    sw = 3.0 / 2.326
    expected = {"n": 10, "cp": 10.0 / (6 * sw), "cpk": (15.0 - 11.0) / (3 * sw)}
    assert {k: got[k] for k in expected} == pytest.approx(expected, rel=1e-12)


def test_upper_limit_only_gives_one_sided_cpk_and_no_cp() -> None:
    """Without an LSL, Cp and Pp are null and Cpk = (USL - mu) / 3 sigma_within."""
    got = _row([[9.0], [11.0], [10.0], [12.0]], None, 16.0)
    expected = {"cp": None, "pp": None, "cpk": pytest.approx(5.5 / (3 * (5.0 / 3.0) / 1.128))}
    assert {k: got[k] for k in expected} == expected


def test_lower_limit_only_gives_one_sided_cpk() -> None:
    """Without a USL, Cpk = (mu - LSL) / 3 sigma_within."""
    got = _row([[9.0], [11.0], [10.0], [12.0]], 4.0, None)
    assert got["cpk"] == pytest.approx(6.5 / (3 * (5.0 / 3.0) / 1.128))


def test_no_spec_limits_gives_null_indices_but_keeps_n() -> None:
    """A characteristic without limits still reports n and sigmas; the indices are null."""
    got = _row([[9.0], [11.0]], None, None)
    expected = {"n": 2, "cp": None, "cpk": None, "pp": None, "ppk": None}
    assert {k: got[k] for k in expected} == expected


def test_latest_spec_limits_win() -> None:
    """When the drawing changes the limits mid-series, the latest stated ones are used."""
    old = _inspections([[9.0], [11.0]], 0.0, 20.0)
    new = _inspections([[10.0], [12.0]], 4.0, 16.0).with_columns(
        pl.col("ts") + timedelta(days=1), pl.col("lot_id") + "b"
    )
    (row,) = capability(pl.concat([old, new]), 25).collect().to_dicts()
    assert (row["lsl"], row["usl"]) == (4.0, 16.0)
