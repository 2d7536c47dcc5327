"""Each labelled fault is visible in the data where ground_truth.json says."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from twin_core.synth import FAULT_KINDS
from twin_core.synth.truth import ENTITY_KEYS

from .conftest import DAYS, START, Plant

HOUR = timedelta(hours=1)


def _readings(plant: Plant, sensor_id: str) -> pl.DataFrame:
    return plant.clean("sensor_readings").filter(pl.col("sensor_id") == sensor_id).sort("ts")


def _with_state(plant: Plant, readings: pl.DataFrame, machine_id: str) -> pl.DataFrame:
    ev = (
        plant.clean("machine_events")
        .filter(pl.col("machine_id") == machine_id)
        .select("start_ts", "state")
        .sort("start_ts")
    )
    return readings.join_asof(ev, left_on="ts", right_on="start_ts")


def _between(col: str, start: datetime, end: datetime) -> pl.Expr:
    return (pl.col(col) >= start) & (pl.col(col) < end)


def test_ground_truth_lists_every_kind_with_known_entity_keys(plant: Plant) -> None:
    """All fifteen kinds are present and entities use only the documented keys."""
    kinds = {f.kind for f in plant.truth.faults}
    keys = {k for f in plant.truth.faults for k in f.entities}
    assert kinds == set(FAULT_KINDS)
    assert keys <= set(ENTITY_KEYS)


def test_process_faults_start_after_the_third_day(plant: Plant) -> None:
    """Process faults start after three clean days (baselines first)."""
    process = [
        f
        for f in plant.truth.faults
        if "rows" not in f.details
        and f.kind
        not in (
            "late_supplier",
            "complaint_revision",
            "malformed_file",
            "stockout_risk",
            "demand_spike",
        )
    ]
    day3 = datetime.combine(START, datetime.min.time()) + timedelta(days=3)
    assert min(f.start for f in process) >= day3


def test_bearing_vibration_rises_over_the_degradation_window(plant: Plant) -> None:
    """Running vibration in the last 12 h before the failure is over 2.5x the first 12 h."""
    f = plant.truth.one("bearing_degradation")
    r = _with_state(
        plant, _readings(plant, f.entities["sensor_id"]), f.entities["machine_id"]
    ).filter(pl.col("state") == "running")
    first = r.filter(_between("ts", f.start, f.start + 12 * HOUR))["value"].mean()
    last = r.filter(_between("ts", f.end - 12 * HOUR, f.end))["value"].mean()
    assert last > 2.5 * first  # type: ignore[operator]


def test_bearing_vibration_slope_is_positive_through_the_window(plant: Plant) -> None:
    """A straight line through running vibration over the window has a clearly positive slope."""
    f = plant.truth.one("bearing_degradation")
    r = _with_state(plant, _readings(plant, f.entities["sensor_id"]), f.entities["machine_id"])
    r = r.filter((pl.col("state") == "running") & _between("ts", f.start, f.end))
    hours = (r["ts"] - f.start).dt.total_seconds().to_numpy() / 3600
    slope = np.polyfit(hours, r["value"].to_numpy(), 1)[0]
    assert slope > 0.02


def test_machine_failure_is_a_long_down_event_that_stops_the_line(plant: Plant) -> None:
    """The failed machine is down for the whole window with reason bearing_failure; its line does not run."""
    f = plant.truth.one("machine_failure")
    ev = plant.clean("machine_events").filter(_between("start_ts", f.start, f.end))
    own = ev.filter(pl.col("machine_id") == f.entities["machine_id"])
    line = ev.join(plant.get("machines").select("machine_id", "line_id"), on="machine_id").filter(
        pl.col("line_id") == f.entities["line_id"]
    )
    assert set(own["state"].to_list()) == {"down"} and set(own["reason_code"].to_list()) == {
        "bearing_failure"
    }
    assert (own["end_ts"] - own["start_ts"]).dt.total_seconds().sum() == (
        f.end - f.start
    ).total_seconds()
    assert "running" not in set(line["state"].to_list())


def test_stuck_sensor_repeats_one_value_through_its_window(plant: Plant) -> None:
    """Inside the window the sensor reports one constant value; in the hours before it varies."""
    f = plant.truth.one("stuck_sensor")
    r = _readings(plant, f.entities["sensor_id"])
    inside = r.filter(_between("ts", f.start, f.end))["value"]
    before = r.filter(_between("ts", f.start - 8 * HOUR, f.start))["value"]
    assert (
        inside.n_unique() == 1
        and inside[0] == f.details["value"]
        and inside.len() == f.details["samples"]
    )
    assert before.std() > 0.05  # type: ignore[operator]


def test_stuck_sensor_machine_keeps_changing_state(plant: Plant) -> None:
    """The machine under the stuck sensor changes state during the window (a sensor problem)."""
    f = plant.truth.one("stuck_sensor")
    ev = plant.clean("machine_events").filter(
        (pl.col("machine_id") == f.entities["machine_id"]) & _between("start_ts", f.start, f.end)
    )
    assert ev["state"].n_unique() >= 2


def test_dropout_gap_has_no_rows_while_the_machine_keeps_reporting(plant: Plant) -> None:
    """The dropped sensor has no rows in the window and rows right around it; its machine's other sensors do."""
    f = plant.truth.one("sensor_dropout")
    r = _readings(plant, f.entities["sensor_id"])
    inside = r.filter(_between("ts", f.start, f.end)).height
    edge = r.filter(_between("ts", f.start - 2 * HOUR, f.end + 2 * HOUR)).height
    others = plant.get("sensors").filter(
        (pl.col("machine_id") == f.entities["machine_id"])
        & (pl.col("sensor_id") != f.entities["sensor_id"])
    )["sensor_id"]
    sibling = (
        plant.clean("sensor_readings")
        .filter(pl.col("sensor_id").is_in(others.implode()) & _between("ts", f.start, f.end))
        .height
    )
    assert (inside, edge > 0, sibling > 0) == (0, True, True)


def _running_mean(plant: Plant, sensor: str, machine: str, start: datetime, end: datetime) -> float:
    r = _with_state(plant, _readings(plant, sensor), machine).filter(
        (pl.col("state") == "running") & _between("ts", start, end)
    )
    return float(r["value"].mean())  # type: ignore[arg-type]


def test_temperature_drift_raises_running_temperature(plant: Plant) -> None:
    """Running temperature in the last 12 h of data is >= 6 degC above the 12 h before the drift."""
    f = plant.truth.one("temperature_drift")
    before = _running_mean(
        plant, f.entities["sensor_id"], f.entities["machine_id"], f.start - 12 * HOUR, f.start
    )
    after = _running_mean(
        plant, f.entities["sensor_id"], f.entities["machine_id"], f.end - 12 * HOUR, f.end
    )
    assert after - before >= 6.0


def test_temperature_drift_starts_a_day_before_the_quality_shift(plant: Plant) -> None:
    """The pre-emptive signal leads: the drift on the machine starts at least 24 h before the shift."""
    drift, shift = plant.truth.one("temperature_drift"), plant.truth.one("quality_mean_shift")
    assert drift.entities["machine_id"] == shift.entities["machine_id"]
    assert shift.start - drift.start >= timedelta(hours=24)


def _subgroup_means(plant: Plant, product: str, characteristic: str) -> pl.DataFrame:
    ins = plant.clean("inspections").filter(
        (pl.col("product_id") == product) & (pl.col("characteristic") == characteristic)
    )
    return ins.group_by("lot_id").agg(pl.col("ts").min(), pl.col("value").mean())


def test_quality_mean_shift_moves_the_characteristic_by_sigmas(plant: Plant) -> None:
    """After the shift has ramped up, lot means sit >= 1.5 sigma above target; before the drift, within 0.5 sigma."""
    f = plant.truth.one("quality_mean_shift")
    sg = _subgroup_means(plant, f.entities["product_id"], f.entities["characteristic"])
    sigma, target = f.details["sigma"], f.details["target"]
    ramped = f.start + timedelta(hours=f.details["ramp_hours"])
    after = sg.filter(pl.col("ts") >= ramped)["value"].mean()
    before = sg.filter(pl.col("ts") < plant.truth.one("temperature_drift").start)["value"].mean()
    assert (after - target) / sigma >= 1.5  # type: ignore[operator]
    assert abs((before - target) / sigma) < 0.5  # type: ignore[operator]


def test_quality_shift_leaves_the_other_characteristics_alone(plant: Plant) -> None:
    """Every other product+characteristic stays within 0.5 sigma of target after the shift."""
    f = plant.truth.one("quality_mean_shift")
    ch = plant.clean("inspections").filter(pl.col("ts") >= f.start)
    means = ch.group_by("product_id", "characteristic").agg(
        pl.col("value").mean(),
        pl.col("target").first(),
        (pl.col("usl") - pl.col("lsl")).first().alias("tol"),
    )
    others = means.filter(
        (pl.col("product_id") != f.entities["product_id"])
        | (pl.col("characteristic") != f.entities["characteristic"])
    )
    # tolerance = 8 sigma for every characteristic of the generator
    drift = others.with_columns(z=(pl.col("value") - pl.col("target")).abs() / (pl.col("tol") / 8))
    assert drift["z"].max() < 0.5  # type: ignore[operator]


def test_late_supplier_delivers_every_received_po_late(plant: Plant) -> None:
    """All received POs of the late supplier came after their promised date; others are mostly on time."""
    f = plant.truth.one("late_supplier")
    po = plant.clean("purchase_orders").filter(pl.col("received_date").is_not_null())
    late = (
        po.with_columns(late=pl.col("received_date") > pl.col("promised_date") + timedelta(days=1))
        .group_by(pl.col("supplier_id") == f.entities["supplier_id"])
        .agg(pl.col("late").mean())
    )
    rates = dict(late.iter_rows())
    assert rates[True] == 1.0 and rates[False] < 0.3


def test_late_supplier_has_open_pos_past_their_promise(plant: Plant) -> None:
    """The late supplier has open POs whose promised date is before the last day."""
    f = plant.truth.one("late_supplier")
    last = START + timedelta(days=DAYS - 1)
    po = plant.clean("purchase_orders").filter(
        (pl.col("supplier_id") == f.entities["supplier_id"])
        & pl.col("received_date").is_null()
        & (pl.col("promised_date") < last)
    )
    assert sorted(po["po_id"].to_list()) == sorted(f.details["open_late_pos"]) != []


def _projection(plant: Plant) -> pl.DataFrame:
    """Projected on-hand per material over the 14 days after the last day: on-hand
    + open POs on their promised date (overdue ones tomorrow) - open work orders x BOM."""
    last = START + timedelta(days=DAYS - 1)
    horizon = pl.DataFrame({"day": [last + timedelta(days=i) for i in range(1, 15)]})
    inv = plant.clean("inventory").filter(pl.col("as_of") == last).select("material_id", "on_hand")
    wo = plant.clean("work_orders").filter(
        pl.col("status").is_in(["planned", "released", "in_progress"])
    )
    req = (
        wo.join(plant.get("bom"), on="product_id")
        .group_by("material_id", pl.col("due_date").alias("day"))
        .agg((pl.col("qty") * pl.col("qty_per")).sum().alias("req"))
    )
    po = plant.clean("purchase_orders").filter(pl.col("received_date").is_null())
    rec = po.group_by(
        "material_id",
        pl.max_horizontal("promised_date", pl.lit(last + timedelta(days=1))).alias("day"),
    ).agg(pl.col("qty").sum().alias("rec"))
    grid = (
        inv.join(horizon, how="cross")
        .join(req, on=["material_id", "day"], how="left")
        .join(rec, on=["material_id", "day"], how="left")
        .fill_null(0.0)
    )
    return grid.sort("material_id", "day").with_columns(
        proj=pl.col("on_hand") + (pl.col("rec") - pl.col("req")).cum_sum().over("material_id")
    )


def test_only_the_stockout_material_runs_out_within_fourteen_days(plant: Plant) -> None:
    """Projected on-hand goes below zero within 14 days for the labelled material only, which has no open PO."""
    f = plant.truth.one("stockout_risk")
    p = _projection(plant)
    short = p.filter(pl.col("proj") < 0).group_by("material_id").agg(pl.col("day").min())
    assert short["material_id"].to_list() == [f.entities["material_id"]]
    assert short["day"][0] <= f.end.date()
    assert (
        plant.clean("purchase_orders")
        .filter(
            (pl.col("material_id") == f.entities["material_id"]) & pl.col("received_date").is_null()
        )
        .height
        == 0
    )


def _line_required(plant: Plant) -> pl.DataFrame:
    wo = plant.clean("work_orders").filter(
        pl.col("status").is_in(["planned", "released", "in_progress"])
    )
    return wo.group_by("line_id", "due_date").agg(pl.col("qty").sum())


def _line_output(plant: Plant) -> dict[str, float]:
    m = plant.get("machines")
    last_pos = m.group_by("line_id").agg(pl.col("line_position").max())
    out = (
        plant.clean("production")
        .join(m.select("machine_id", "line_id", "line_position"), on="machine_id")
        .join(last_pos, on=["line_id", "line_position"])
    )
    daily = (
        out.group_by("line_id", pl.col("end_ts").dt.date().alias("d"))
        .agg(pl.col("good_qty").sum())
        .filter(pl.col("d") > START)
    )
    return dict(daily.group_by("line_id").agg(pl.col("good_qty").mean()).iter_rows())  # type: ignore[arg-type]


def test_demand_spike_asks_more_than_the_line_ever_made(plant: Plant) -> None:
    """In the spike window the line's required quantity is over 1.3x its mean daily output."""
    f = plant.truth.one("demand_spike")
    req = _line_required(plant).filter(
        (pl.col("line_id") == f.entities["line_id"])
        & _between("due_date", f.start.date(), f.end.date())
    )
    assert req.height >= 5
    assert req["qty"].min() > 1.3 * _line_output(plant)[f.entities["line_id"]]  # type: ignore[operator]


def test_other_lines_are_asked_less_than_they_make(plant: Plant) -> None:
    """Outside the spike, every line's daily requirement stays under its mean daily output."""
    f = plant.truth.one("demand_spike")
    out = _line_output(plant)
    req = _line_required(plant).filter(pl.col("due_date") > START + timedelta(days=DAYS - 1))
    normal = req.filter(
        (pl.col("line_id") != f.entities["line_id"])
        | ~_between("due_date", f.start.date(), f.end.date())
    )
    ratio = normal.with_columns(
        r=pl.col("qty") / pl.col("line_id").replace_strict(out, return_dtype=pl.Float64)
    )
    assert ratio["r"].max() < 1.0  # type: ignore[operator]


def test_flagged_revision_draws_several_times_the_complaints(plant: Plant) -> None:
    """Complaints, returns and warranty claims per unit shipped are >= 3x any other product revision's."""
    f = plant.truth.one("complaint_revision")
    m = plant.get("machines")
    last_pos = m.group_by("line_id").agg(pl.col("line_position").max())
    shipped = (
        plant.clean("production")
        .join(m.select("machine_id", "line_id", "line_position"), on="machine_id")
        .join(last_pos, on=["line_id", "line_position"])
    )
    units = shipped.group_by("product_id", "revision").agg(pl.col("good_qty").sum())
    neg = plant.clean("customer_feedback").filter(
        pl.col("category").is_in(["complaint", "return", "warranty"])
        & pl.col("revision").is_not_null()
    )
    rate = (
        units.join(
            neg.group_by("product_id", "revision").len(), on=["product_id", "revision"], how="left"
        )
        .fill_null(0)
        .with_columns(r=pl.col("len") / pl.col("good_qty"))
    )
    flagged = (pl.col("product_id") == f.entities["product_id"]) & (
        pl.col("revision") == f.entities["revision"]
    )
    assert rate.filter(flagged)["r"][0] > 3 * rate.filter(~flagged)["r"].max()  # type: ignore[operator]


def test_flagged_revision_complaints_trace_to_one_line(plant: Plant) -> None:
    """Lots named in the flagged revision's complaints were all built on the labelled line."""
    f = plant.truth.one("complaint_revision")
    fb = plant.clean("customer_feedback").filter(
        (pl.col("product_id") == f.entities["product_id"])
        & (pl.col("revision") == f.entities["revision"])
        & pl.col("lot_id").is_not_null()
    )
    lines = fb.join(
        plant.clean("production").select("lot_id", "machine_id").unique("lot_id"), on="lot_id"
    ).join(plant.get("machines").select("machine_id", "line_id"), on="machine_id")
    assert fb.height >= 5 and set(lines["line_id"].to_list()) == {f.entities["line_id"]}
