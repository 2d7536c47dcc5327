"""Pre-emptive quality: sensor features per production window, drift, links, lots to hold."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import linregress

from twin_core.sim.quality import holds as qh
from twin_core.sim.quality import prequality as pq
from twin_core.sim.quality import spc
from twin_core.sim.quality.capability import capability
from twin_core.sim.quality.spc_rules import RuleConfig

T0 = datetime(2026, 3, 2, 0, 0)
PARAMS = pq.PrequalityParams()


def _production(n: int, machine: str = "M1") -> pl.LazyFrame:
    """n one-hour lots of product P on ``machine``, back to back."""
    return pl.LazyFrame(
        {
            "record_id": [f"R{i:03d}" for i in range(n)],
            "machine_id": [machine] * n,
            "product_id": ["P"] * n,
            "lot_id": [f"L{i:03d}" for i in range(n)],
            "start_ts": [T0 + timedelta(hours=i) for i in range(n)],
            "end_ts": [T0 + timedelta(hours=i, minutes=59) for i in range(n)],
        }
    )


def _hourly(values: list[float], machine: str = "M1", metric: str = "temperature") -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "machine_id": [machine] * len(values),
            "metric": [metric] * len(values),
            "hour": [T0 + timedelta(hours=i) for i in range(len(values))],
            "mean_value": values,
            "readings": [60] * len(values),
        }
    )


def _inspections(lot_means: list[float], machine: str = "M1") -> pl.LazyFrame:
    """Five parts per lot around the lot mean (fixed offsets), measured after the lot."""
    offsets = [-0.2, -0.1, 0.0, 0.1, 0.2]
    rows = [
        (
            "P",
            "bore",
            f"L{i:03d}",
            machine,
            T0 + timedelta(hours=i + 1, minutes=k),
            m + o,
            8.0,
            12.0,
        )
        for i, m in enumerate(lot_means)
        for k, o in enumerate(offsets)
    ]
    return pl.LazyFrame(
        rows,
        schema=[
            "product_id",
            "characteristic",
            "lot_id",
            "machine_id",
            "ts",
            "value",
            "lsl",
            "usl",
        ],
        orient="row",
    )


def _temperature_then_shift(
    n: int = 60, drift_from: int = 30, shift_from: int = 45
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """Temperature noise around 70 that ramps +1.0 per lot from ``drift_from``; the bore's lot
    means (noise around 10) jump by 1.0 from ``shift_from``."""
    rng = np.random.default_rng(3)
    temp = 70 + rng.normal(0, 0.3, n) + 1.0 * np.clip(np.arange(n) - drift_from + 1, 0, None)
    bore = 10 + rng.normal(0, 0.05, n) + np.where(np.arange(n) >= shift_from, 1.0, 0.0)
    return _production(n), _hourly([float(v) for v in temp]), _inspections([float(v) for v in bore])


def test_window_feature_weights_hourly_means_by_readings() -> None:
    """A record spanning 01:30-03:10 averages hours 01, 02 and 03 weighted by their readings."""
    production = _production(1).with_columns(
        start_ts=pl.lit(T0 + timedelta(hours=1, minutes=30)),
        end_ts=pl.lit(T0 + timedelta(hours=3, minutes=10)),
    )
    hourly = _hourly([100.0, 10.0, 20.0, 40.0, 100.0]).with_columns(
        readings=pl.Series([60, 60, 60, 20, 60])
    )
    got = pq.lot_sensor_features(production, hourly).collect()
    expected = (10 * 60 + 20 * 60 + 40 * 20) / 140
    assert got["value"].to_list() == [pytest.approx(expected)]
    assert got["readings"].to_list() == [140]


def test_ewma_starts_at_zero_with_exact_limits() -> None:
    """z = 1, 2 with lambda 0.2 gives EWMA 0.2, 0.56 and limits 3 sqrt(0.2/1.8 (1 - 0.8^2j))."""
    frame = pl.LazyFrame({"g": [1, 1], "z": [1.0, 2.0]})
    e, limit = pq.ewma(pl.col("z"), ["g"], 0.2, 3.0)
    got = frame.select(e=e, limit=limit).collect()
    expected = pl.DataFrame(
        {
            "e": [0.2, 0.56],
            "limit": [3 * (0.2 / 1.8 * (1 - 0.64)) ** 0.5, 3 * (0.2 / 1.8 * (1 - 0.8**4)) ** 0.5],
        }
    )
    assert_frame_equal(got, expected)


def test_drift_alarms_on_the_ramp_and_never_in_the_baseline() -> None:
    """The ramp from lot 30 alarms once the smoothed level is 5 % up four lots running; the
    baseline never does."""
    production, hourly, _ = _temperature_then_shift()
    drift = pq.sensor_drift(pq.lot_sensor_features(production, hourly), 25, PARAMS).collect()
    alarms = drift.filter("alarm")["position"].to_list()
    assert alarms and min(alarms) > 25
    assert 30 < min(alarms) <= 41


def test_single_wild_record_is_not_a_drift() -> None:
    """One record far off does not alarm (z is clipped); without the clip and the run it would."""
    values = [70.0 + 0.3 * ((i * 7) % 5 - 2) for i in range(40)]
    values[30] = 90.0
    features = pq.lot_sensor_features(_production(40), _hourly(values))
    default = pq.sensor_drift(features, 25, PARAMS).filter("alarm").collect()
    unguarded = pq.PrequalityParams(min_alarm_run=1, z_clip=1e9)
    naive = pq.sensor_drift(features, 25, unguarded).filter("alarm").collect()
    assert default.height == 0
    assert naive["position"].to_list()[0] == 31


def test_sensitivity_slope_and_p_value_match_linregress() -> None:
    """The OLS slope of lot means on window temperature and its two-sided p equal scipy's."""
    production, hourly, inspections = _temperature_then_shift()
    features = pq.lot_sensor_features(production, hourly)
    means = spc.subgroups(inspections)
    (row,) = pq.sensitivity(features, means).collect().to_dicts()
    joined = features.join(means, on=["product_id", "lot_id"]).collect()
    ref = linregress(joined["value"].to_numpy(), joined["mean"].to_numpy())
    assert (row["slope"], row["p_value"], row["n"]) == (
        pytest.approx(ref.slope),
        pytest.approx(ref.pvalue, rel=1e-6),
        60,
    )


def _pipeline(
    production: pl.LazyFrame, hourly: pl.LazyFrame, inspections: pl.LazyFrame
) -> dict[str, pl.DataFrame]:
    features = pq.lot_sensor_features(production, hourly)
    groups = spc.subgroups(inspections)
    limits = spc.control_limits(groups, 25)
    points = spc.chart_points(groups, limits, 25)
    violations = spc.violations(points, RuleConfig())
    drift = pq.sensor_drift(features, 25, PARAMS)
    sens = pq.sensitivity(features, groups)
    links = pq.drift_links(drift, pq.process_links(inspections), sens, PARAMS)
    specs = capability(inspections, 25)
    trend = qh.characteristic_trend(points, specs, 25, PARAMS)
    return {
        "violations": violations.collect(),
        "drift": qh.quality_drift(links, violations).collect(),
        "holds": qh.lots_to_hold(links, trend, violations, qh.lot_machines(inspections)).collect(),
    }


def test_drift_on_the_machine_of_a_characteristic_is_flagged_before_its_first_rule() -> None:
    """Temperature ramps from lot 30, the bore jumps at lot 45: the drift flag leads the rules."""
    got = _pipeline(*_temperature_then_shift())
    (row,) = got["drift"].to_dicts()
    first_rule = got["violations"].filter(~pl.col("in_baseline"))["ts"].min()
    assert (row["machine_id"], row["metric"], row["characteristic"]) == (
        "M1",
        "temperature",
        "bore",
    )
    assert row["first_alarm_ts"] < first_rule
    assert row["lead_hours"] > 5


def test_drift_holds_name_the_machine_metric_and_characteristic() -> None:
    """Lots made during the drift are held for sensor_drift with the numbers in the evidence."""
    holds = _pipeline(*_temperature_then_shift())["holds"]
    drift = holds.filter(pl.col("reason") == "sensor_drift")
    first = drift.sort("flagged_at").row(0, named=True)
    assert first["machine_id"] == "M1"
    assert (
        "temperature" in first["evidence"] and "bore is made on this machine" in first["evidence"]
    )
    assert "no run rule has flagged this lot" in first["evidence"]


def test_violating_lots_are_held_for_spc_violation() -> None:
    """Every post-baseline lot a location rule flagged is held with the rule in the evidence."""
    got = _pipeline(*_temperature_then_shift())
    expected = set(got["violations"].filter(~pl.col("in_baseline"))["lot_id"])
    held = got["holds"].filter(pl.col("reason") == "spc_violation")
    assert set(held["lot_id"]) == expected
    assert all("WE" in e for e in held["evidence"])


def test_no_drift_no_sensor_hold() -> None:
    """A steady machine produces no drift row and no sensor_drift hold."""
    production, hourly, inspections = _temperature_then_shift(drift_from=10_000, shift_from=10_000)
    got = _pipeline(production, hourly, inspections)
    assert got["drift"].height == 0
    assert got["holds"].filter(pl.col("reason") == "sensor_drift").height == 0


def test_characteristic_trend_projects_the_lots_to_the_spec_limit() -> None:
    """Lot means rising 0.1 per lot reach the USL of 12 from 11.0 in 10 lots."""
    means = [10.0 + 0.02 * ((i * 7) % 5 - 2) for i in range(30)] + [
        10.5 + 0.1 * k for k in range(6)
    ]
    inspections = _inspections(means)
    groups = spc.subgroups(inspections)
    points = spc.chart_points(groups, spc.control_limits(groups, 25), 25)
    trend = qh.characteristic_trend(points, capability(inspections, 25), 25, PARAMS).collect()
    last = trend.sort("position").row(-1, named=True)
    assert (last["toward"], last["slope"]) == ("USL", pytest.approx(0.1))
    assert last["lots_to_limit"] == pytest.approx(10.0)


def test_drift_below_the_material_share_is_not_flagged() -> None:
    """A clear but small step (+1 degC on 70, 1.4 %) is no drift at 5 %; at 1 % it is."""
    rng = np.random.default_rng(5)
    values = 70 + rng.normal(0, 0.3, 50) + np.where(np.arange(50) >= 30, 1.0, 0.0)
    features = pq.lot_sensor_features(_production(50), _hourly([float(v) for v in values]))
    default = pq.sensor_drift(features, 25, PARAMS).filter("alarm").collect()
    sensitive = pq.sensor_drift(features, 25, pq.PrequalityParams(min_relative_drift=0.01))
    assert default.height == 0
    assert sensitive.filter("alarm").collect().height > 0
