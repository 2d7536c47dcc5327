"""Replenishment: reorder point and EOQ reference cases, safety stock, order-by date and quantity."""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist

import polars as pl
import pytest

from twin_core.sim.supply.inventory import days_of_cover, project_inventory
from twin_core.sim.supply.replenishment import (
    ReplenishmentPolicy,
    eoq,
    material_status,
    reorder_point,
    safety_stock,
    z_score,
)

AS_OF = date(2026, 3, 1)


def day(n: int) -> date:
    """The n-th day after the as-of date."""
    return AS_OF + timedelta(days=n)


def _one(**values: float) -> pl.DataFrame:
    return pl.DataFrame({k: [v] for k, v in values.items()})


def test_reorder_point_matches_taylor() -> None:
    """Mean 30/day, sd 5, L 10 days, z 1.65 -> 326.09 (Taylor, Introduction to Management Science)."""
    got = (
        _one(mean=30.0, sd=5.0, lead=10.0, sd_lead=0.0, z=1.65)
        .select(rop=reorder_point(*(pl.col(c) for c in ("mean", "sd", "lead", "sd_lead", "z"))))
        .item()
    )
    assert round(got, 2) == 326.09


def test_eoq_matches_snyder_and_shen() -> None:
    """K = 8, h = 0.225, D = 1300 -> Q* = 304.0467800264368 (Snyder and Shen, example 3.1)."""
    got = _one(d=1300.0, k=8.0, h=0.225).select(q=eoq(pl.col("d"), pl.col("k"), pl.col("h"))).item()
    assert got == pytest.approx(304.0467800264368, rel=1e-6)


def test_eoq_is_undefined_without_holding_cost() -> None:
    """h = 0 (no unit cost) gives no EOQ rather than an infinite one."""
    got = _one(d=1300.0, k=8.0, h=0.0).select(q=eoq(pl.col("d"), pl.col("k"), pl.col("h"))).item()
    assert got is None


def test_lead_time_spread_raises_safety_stock() -> None:
    """sd_L = 2 days adds mean_d^2 x sd_L^2 under the root: z x sqrt(10 x 25 + 900 x 4)."""
    frame = pl.DataFrame({"sd_lead": [0.0, 2.0]})
    got = frame.select(
        ss=safety_stock(pl.lit(30.0), pl.lit(5.0), pl.lit(10.0), pl.col("sd_lead"), pl.lit(1.65))
    )
    expected = [1.65 * 250**0.5, 1.65 * (250 + 3600) ** 0.5]
    assert got.get_column("ss").to_list() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("level", [0.95, 0.5, 0.2, 0.001, 0.9999, 0.99999, 1 - 1e-12], ids=str)
def test_z_is_the_exact_normal_quantile_of_the_service_level(level: float) -> None:
    """z = Phi^-1(level), unclipped, against the standard library's NormalDist (Wichura's
    AS241): 0.99999 gives 4.2649 (clipping to 0.9999 gave 3.7190), 0.2 gives
    -0.8416 (clipping to 0.5 gave 0)."""
    got = pl.DataFrame({"sl": [level]}).select(z=z_score(pl.col("sl"))).item()
    assert got == pytest.approx(NormalDist().inv_cdf(level), rel=1e-12, abs=1e-12)


def test_z_at_five_nines_is_4_2649() -> None:
    """The issue's case: 0.99999 -> 4.264890793922825 (tables: 4.2649)."""
    got = pl.DataFrame({"sl": [0.99999]}).select(z=z_score(pl.col("sl"))).item()
    assert round(got, 4) == 4.2649


@pytest.mark.parametrize("level", [0.0, 1.0, 1.2, -0.1, float("nan")], ids=str)
def test_z_refuses_levels_without_a_finite_quantile(level: float) -> None:
    """0 and 1 have no finite z; values outside are not probabilities."""
    with pytest.raises(Exception, match="not strictly between 0 and 1"):
        pl.DataFrame({"sl": [level]}).select(z=z_score(pl.col("sl")))


# ------------------------------------------------------------ material_status end to end
# ------------------------------------------------------------ material_status end to end


def _status(
    on_hand: float,
    daily: list[float],
    *,
    receipts: tuple[tuple[int, float], ...] = (),
    lead: float = 3.0,
    sd_lead: float = 0.0,
    unit_cost: float | None = 4.0,
    min_order_qty: float | None = None,
    horizon: int = 7,
    service_level: float | None = 0.95,
) -> dict[str, object]:
    """material_status of one material A at site S1, projected horizon + lead days."""
    req = pl.LazyFrame(
        [("S1", "A", day(i + 1), v, 0.0) for i, v in enumerate(daily) if v],
        schema={
            "site_id": pl.String,
            "material_id": pl.String,
            "day": pl.Date,
            "requirement": pl.Float64,
            "past_due_requirement": pl.Float64,
        },
        orient="row",
    )
    rec = pl.LazyFrame(
        [("S1", "A", day(d), q) for d, q in receipts],
        schema={
            "site_id": pl.String,
            "material_id": pl.String,
            "day": pl.Date,
            "receipts": pl.Float64,
        },
        orient="row",
    )
    stock = pl.LazyFrame({"site_id": ["S1"], "material_id": ["A"], "on_hand": [on_hand]})
    projection = project_inventory(stock, req, rec, as_of=AS_OF, days=horizon + int(lead) + 1)
    lead_times = pl.LazyFrame(
        {
            "material_id": ["A"],
            "supplier_id": ["SUP"],
            "lead_time_days": [lead],
            "lead_time_sd_days": [sd_lead],
            "lead_time_source": ["master"],
        }
    )
    materials = pl.LazyFrame(
        {
            "material_id": ["A"],
            "unit_cost": [unit_cost],
            "min_order_qty": [min_order_qty],
            "service_level": [service_level],
        },
        schema_overrides={
            "unit_cost": pl.Float64,
            "min_order_qty": pl.Float64,
            "service_level": pl.Float64,
        },
    )
    rows = (
        material_status(
            projection,
            days_of_cover(stock, req, as_of=AS_OF),
            lead_times,
            materials,
            as_of=AS_OF,
            horizon_days=horizon,
            service_level_default=0.95,
            policy=ReplenishmentPolicy(holding_rate=0.25, ordering_cost=50.0),
        )
        .collect()
        .to_dicts()
    )
    assert len(rows) == 1
    return rows[0]


_SPREAD = [10.0, 14.0, 6.0, 12.0, 8.0, 10.0, 15.0, 5.0, 10.0, 10.0, 10.0, 10.0, 10.0]


@pytest.mark.parametrize("level", [0.99999, 0.95, 0.3])
def test_safety_stock_is_the_standard_formula_at_the_exact_z(level: float) -> None:
    """SS = Phi^-1(SL) x sqrt(L sd_d^2 + mean_d^2 sd_L^2), ROP = mean_d L + SS, computed here
    from the horizon's demand with NormalDist. At 0.99999 this is 14.7% more than clipping to
    0.9999 gave (4.2649 / 3.7190); at 0.3 SS is negative, not floored: the reorder point sits
    below mean lead-time demand, which is what a 30% cycle service level asks for."""
    got = _status(500.0, _SPREAD, lead=3.0, sd_lead=0.5, horizon=10, service_level=level)
    days = _SPREAD[:10]
    mean = sum(days) / len(days)
    var = sum((d - mean) ** 2 for d in days) / (len(days) - 1)
    z = NormalDist().inv_cdf(level)
    ss = z * math.sqrt(3.0 * var + mean**2 * 0.5**2)
    assert (got["z"], got["safety_stock"], got["reorder_point"]) == (
        pytest.approx(z, rel=1e-12),
        pytest.approx(ss, rel=1e-12),
        pytest.approx(mean * 3.0 + ss, rel=1e-12),
    )
    assert (got["safety_stock"] < 0) == (level < 0.5)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.2])
def test_material_status_refuses_a_service_level_naming_the_material(level: float) -> None:
    """A level without a finite z is refused before anything is computed, naming material A."""
    with pytest.raises(ValueError, match=rf"materials refused: A \({level:g}\)"):
        _status(100.0, [10.0] * 10, service_level=level)


def test_receipts_move_the_stockout_date() -> None:
    """Stock 10 at 4/day runs out on day 3; a receipt of 20 on day 2 moves it to day 8."""
    without = _status(10.0, [4.0] * 10, horizon=10)
    with_po = _status(10.0, [4.0] * 10, receipts=((2, 20.0),), horizon=10)
    assert (without["stockout_date"], with_po["stockout_date"]) == (day(3), day(8))


def test_order_by_date_is_the_safety_stock_breach_less_the_lead_time() -> None:
    """Constant 10/day has no spread, so SS = 0; stock 55 goes below 0 on day 6, L = 3: order by day 3."""
    got = _status(55.0, [10.0] * 12, lead=3.0, horizon=10)
    assert (got["safety_stock"], got["below_safety_stock_date"], got["order_by_date"]) == (
        0.0,
        day(6),
        day(3),
    )


def test_an_order_placed_on_the_order_by_date_keeps_stock_above_safety_stock() -> None:
    """Adding order_qty on order_by_date + ceil(L) leaves no projected day below safety stock."""
    daily = [10.0, 0.0, 20.0, 5.0, 10.0, 30.0, 0.0, 10.0, 15.0, 10.0, 10.0]
    got = _status(60.0, daily, lead=2.0, horizon=9)
    order_by, qty = got["order_by_date"], got["order_qty"]
    assert isinstance(order_by, date) and isinstance(qty, float)
    arrival_day = (order_by - AS_OF).days + 2
    after = _status(60.0, daily, lead=2.0, horizon=9, receipts=((arrival_day, qty),))
    assert after["below_safety_stock_date"] is None


def test_shortage_just_past_the_horizon_still_sets_an_order_by_date() -> None:
    """With horizon 3 and L 5, a breach on day 6 needs an order by day 1, inside the horizon."""
    got = _status(50.0, [10.0] * 9, lead=5.0, horizon=3)
    assert (got["stockout_date"], got["order_by_date"]) == (None, day(1))


def test_no_order_when_the_projection_stays_above_safety_stock() -> None:
    """Stock far above all demand: no order-by date."""
    got = _status(1000.0, [10.0] * 7)
    assert got["order_by_date"] is None


def test_order_qty_is_eoq_rounded_up() -> None:
    """Mean 10/day, K 50, h = 0.25 x 4: EOQ sqrt(2 x 50 x 3650 / 1) = 604.15 -> 605."""
    got = _status(20.0, [10.0] * 7)
    assert (got["order_qty"], got["order_policy"]) == (605.0, "eoq")


def test_order_qty_respects_min_order_qty() -> None:
    """A minimum order of 1000 beats the EOQ of 605."""
    got = _status(20.0, [10.0] * 7, min_order_qty=1000.0)
    assert (got["order_qty"], got["order_policy"]) == (1000.0, "min_order_qty")


def test_order_qty_covers_a_shortfall_larger_than_eoq() -> None:
    """Projected 2000 short: one order must lift the lowest point back to safety stock."""
    got = _status(0.0, [10.0] * 6 + [2000.0], unit_cost=4.0)
    safety = got["safety_stock"]
    assert isinstance(safety, float) and safety > 0
    expected = math.ceil(safety + 60.0 + 2000.0)
    assert (got["order_policy"], got["order_qty"]) == ("shortfall", expected)


def test_without_unit_cost_the_order_covers_fallback_days() -> None:
    """No unit cost means no EOQ: order 30 days of mean demand (10/day -> 300)."""
    got = _status(20.0, [10.0] * 7, unit_cost=None)
    assert (got["order_qty"], got["order_policy"]) == (300.0, "cover_days")


def test_no_demand_means_no_order() -> None:
    """No requirement: safety stock 0, reorder point 0, order_qty 0, no order-by date."""
    got = _status(5.0, [])
    expected = {
        "safety_stock": 0.0,
        "reorder_point": 0.0,
        "order_qty": 0.0,
        "order_policy": "no_demand",
        "order_by_date": None,
        "days_of_cover_unbounded": True,
    }
    assert {k: got[k] for k in expected} == expected


def test_demand_statistics_come_from_the_horizon_requirements() -> None:
    """Mean and sample sd of the daily requirement over the horizon, zero days included."""
    got = _status(100.0, [2.0, 0.0, 4.0, 6.0], horizon=4)
    assert (got["demand_mean_daily"], got["demand_sd_daily"]) == pytest.approx(
        (3.0, (20.0 / 3) ** 0.5)
    )
