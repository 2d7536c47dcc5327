"""The generated plant hangs together: states drive production, sensors follow states,
inventory follows receipts and consumption, feedback follows shipped lots."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from twin_core.warehouse import connect, fetch_polars

from .conftest import DAYS, START, Plant


def _events(plant: Plant) -> pl.DataFrame:
    return plant.clean("machine_events").sort("machine_id", "start_ts")


def test_machine_events_tile_every_machine_day_without_gaps(plant: Plant) -> None:
    """Each machine's intervals are contiguous, never cross midnight and cover every day."""
    ev = _events(plant).with_columns(prev_end=pl.col("end_ts").shift().over("machine_id"))
    gaps = ev.filter(
        pl.col("prev_end").is_not_null() & (pl.col("prev_end") != pl.col("start_ts"))
    ).height
    crossing = ev.filter(
        pl.col("start_ts").dt.date() != (pl.col("end_ts") - timedelta(microseconds=1)).dt.date()
    ).height
    cover = ev.group_by("machine_id").agg(
        (pl.col("end_ts") - pl.col("start_ts")).sum().dt.total_seconds().alias("s")
    )
    assert (gaps, crossing, set(cover["s"].to_list())) == (0, 0, {DAYS * 86400})


def test_breaks_are_planned_stops_of_every_machine(plant: Plant) -> None:
    """Three 30-minute breaks a day stop every machine (planned_stop, reason break)."""
    br = _events(plant).filter(pl.col("reason_code") == "break")
    per_machine = br.group_by("machine_id").agg(pl.len()).get_column("len")
    assert set(br["state"].to_list()) == {"planned_stop"}
    assert per_machine.min() >= 3 * DAYS - 1  # a long failure may swallow one break


def test_production_never_exceeds_running_time_over_ideal_cycle(plant: Plant) -> None:
    """For every record, (good + scrap) x ideal cycle time <= running seconds inside it."""
    con = connect(":memory:")
    con.register("p", plant.clean("production").drop("_file", "_row").to_arrow())
    con.register(
        "e", _events(plant).filter(pl.col("state") == "running").drop("_file", "_row").to_arrow()
    )
    con.register("m", plant.get("machines").drop("_file", "_row").to_arrow())
    over = fetch_polars(
        con,
        """
        select p.record_id, (p.good_qty + p.scrap_qty) * m.ideal_cycle_time_s as need_s,
               sum(epoch(least(p.end_ts, e.end_ts)) - epoch(greatest(p.start_ts, e.start_ts))) as run_s
        from p join m using (machine_id)
        join e on e.machine_id = p.machine_id and e.start_ts < p.end_ts and e.end_ts > p.start_ts
        group by all having need_s > run_s
        """,
    )
    con.close()
    assert over.height == 0


def test_units_flow_down_the_line(plant: Plant) -> None:
    """A lot's input at each machine is the good output of the machine before it."""
    p = plant.clean("production").join(
        plant.get("machines").select("machine_id", "line_position"), on="machine_id"
    )
    p = p.sort("lot_id", "line_position").with_columns(
        prev_good=pl.col("good_qty").shift().over("lot_id")
    )
    broken = p.filter(
        pl.col("prev_good").is_not_null()
        & (pl.col("good_qty") + pl.col("scrap_qty") != pl.col("prev_good"))
    )
    labelled = {
        r["key"]["record_id"]
        for f in plant.truth.of_kind("late_corrections")
        for r in f.details["rows"]
        if "record_id" in r["key"]
    }
    assert set(broken["record_id"].to_list()) <= labelled | set()


def test_power_is_near_zero_when_down_or_stopped(plant: Plant) -> None:
    """Mean power while down or stopped is under 5% of the mean while running, per sensor."""
    ev = _events(plant).select("machine_id", "start_ts", "state")
    pw = (
        plant.clean("sensor_readings")
        .join(
            plant.get("sensors")
            .filter(pl.col("metric") == "power")
            .select("sensor_id", "machine_id"),
            on="sensor_id",
        )
        .sort("ts")
        .join_asof(ev.sort("start_ts"), left_on="ts", right_on="start_ts", by="machine_id")
    )
    mean = pw.group_by("sensor_id").agg(
        pl.col("value").filter(pl.col("state") == "running").mean().alias("run"),
        pl.col("value").filter(pl.col("state").is_in(["down", "planned_stop"])).mean().alias("off"),
    )
    assert mean.filter(pl.col("off") >= 0.05 * pl.col("run")).height == 0


def test_bottleneck_is_clearly_the_slowest_machine(plant: Plant) -> None:
    """On every line the slowest machine is at least 20% slower than the next."""
    m = plant.get("machines").sort("line_id", "ideal_cycle_time_s", descending=[False, True])
    top2 = m.group_by("line_id", maintain_order=True).agg(pl.col("ideal_cycle_time_s").head(2))
    ratios = [a / b for a, b in top2["ideal_cycle_time_s"].to_list()]
    assert min(ratios) >= 1.2


def test_plant_has_the_demo_shape(plant: Plant) -> None:
    """3 lines of 4-6 machines, >= 4 sensors per machine, >= 30 materials from >= 6 suppliers,
    two revisions per product."""
    m, s = plant.get("machines"), plant.get("sensors")
    per_line = m.group_by("line_id").len()["len"]
    shape = (
        m["line_id"].n_unique(),
        per_line.min() >= 4 and per_line.max() <= 6,  # type: ignore[operator]
        s.group_by("machine_id").len()["len"].min() >= 4,  # type: ignore[operator]
        plant.get("materials").height >= 30,
        plant.get("suppliers").height >= 6,
        set(plant.get("products").group_by("product_id").len()["len"].to_list()),
    )
    assert shape == (3, True, True, True, True, {2})


def test_every_product_makes_ten_lots_a_day(plant: Plant) -> None:
    """Each product is built in at least ten lots on every full day (SPC baselines fill fast)."""
    lots = (
        plant.clean("production")
        .group_by("product_id", pl.col("start_ts").dt.date().alias("d"))
        .agg(pl.col("lot_id").n_unique())
    )
    assert lots.filter(pl.col("d") > START)["lot_id"].min() >= 10  # type: ignore[operator]


def test_spc_baselines_complete_within_three_days(plant: Plant) -> None:
    """Every product+characteristic has 25 full subgroups of 5 in the first three days."""
    ins = plant.clean("inspections").filter(
        pl.col("ts") < pl.lit(START + timedelta(days=3)).cast(pl.Datetime("us"))
    )
    sub = ins.group_by("product_id", "characteristic", "lot_id").len().filter(pl.col("len") == 5)
    per_series = sub.group_by("product_id", "characteristic").len()
    assert per_series.height == plant.get("products")["product_id"].n_unique() * 2
    assert per_series["len"].min() >= 25  # type: ignore[operator]


def _consumption(plant: Plant) -> pl.DataFrame:
    first = (
        plant.clean("production")
        .join(plant.get("machines").select("machine_id", "line_position"), on="machine_id")
        .filter(pl.col("line_position") == 1)
    )
    return (
        first.join(plant.get("bom"), on="product_id")
        .group_by(pl.col("start_ts").dt.date().alias("as_of"), "material_id")
        .agg(((pl.col("good_qty") + pl.col("scrap_qty")) * pl.col("qty_per")).sum().alias("used"))
    )


def test_inventory_is_previous_plus_receipts_minus_consumption(plant: Plant) -> None:
    """on_hand(d) = on_hand(d-1) + received POs on d - production x BOM on d."""
    inv = (
        plant.clean("inventory")
        .select("material_id", "as_of", "on_hand")
        .sort("material_id", "as_of")
    )
    rec = (
        plant.clean("purchase_orders")
        .filter(pl.col("received_date").is_not_null())
        .group_by("material_id", pl.col("received_date").alias("as_of"))
        .agg(pl.col("received_qty").sum())
    )
    df = (
        inv.join(rec, on=["material_id", "as_of"], how="left")
        .join(_consumption(plant), on=["material_id", "as_of"], how="left")
        .fill_null(0.0)
        .with_columns(prev=pl.col("on_hand").shift().over("material_id"))
        .filter(pl.col("prev").is_not_null())
        .with_columns(
            err=(pl.col("prev") + pl.col("received_qty") - pl.col("used") - pl.col("on_hand")).abs()
        )
    )
    assert df["err"].max() < 0.01  # type: ignore[operator]


def test_received_purchase_orders_have_realistic_lead_times(plant: Plant) -> None:
    """Received POs took 1 to 30 days; open POs exist and some are promised after the last day."""
    po = plant.clean("purchase_orders")
    rec = po.filter(pl.col("received_date").is_not_null()).with_columns(
        lt=(pl.col("received_date") - pl.col("order_date")).dt.total_days()
    )
    open_ = po.filter(pl.col("received_date").is_null())
    last = START + timedelta(days=DAYS - 1)
    assert rec["lt"].min() >= 1 and rec["lt"].max() <= 30  # type: ignore[operator]
    assert open_.filter(pl.col("promised_date") > last).height > 0


def test_open_work_orders_cover_fourteen_days_after_the_last_day(plant: Plant) -> None:
    """Every product has open work orders due on each of the 14 days after the last day."""
    last = START + timedelta(days=DAYS - 1)
    wo = plant.clean("work_orders").filter(
        pl.col("status").is_in(["planned", "released"])
        & (pl.col("due_date") > last)
        & (pl.col("due_date") <= last + timedelta(days=14))
    )
    days = wo.group_by("product_id").agg(pl.col("due_date").n_unique())
    assert set(days["due_date"].to_list()) == {14}
    assert days.height == plant.get("products")["product_id"].n_unique()


def test_completed_work_orders_match_units_shipped(plant: Plant) -> None:
    """A day's completed work order quantity is the good units leaving the line's last machine."""
    m = plant.get("machines")
    last_pos = m.group_by("line_id").agg(pl.col("line_position").max())
    shipped = (
        plant.clean("production")
        .join(m.select("machine_id", "line_id", "line_position"), on="machine_id")
        .join(last_pos, on=["line_id", "line_position"])
        .group_by("product_id", pl.col("end_ts").dt.date().alias("due_date"))
        .agg(pl.col("good_qty").sum().cast(pl.Float64))
    )
    wo = (
        plant.clean("work_orders")
        .filter(pl.col("status") == "completed")
        .select("product_id", "due_date", "qty")
    )
    diff = wo.join(shipped, on=["product_id", "due_date"], how="full", coalesce=True).filter(
        pl.col("qty") != pl.col("good_qty")
    )
    labelled_days = {
        r["file"][-14:-4]
        for f in plant.truth.faults
        if f.entities.get("source") == "production"
        for r in f.details.get("rows", [])
    }
    assert {str(d) for d in diff["due_date"].to_list()} <= labelled_days


def test_feedback_names_shipped_lots_after_they_shipped(plant: Plant) -> None:
    """Feedback that names a lot names a real lot of that product and revision, received after it shipped."""
    lots = (
        plant.clean("production")
        .group_by("lot_id")
        .agg(
            pl.col("end_ts").max().alias("shipped_at"),
            pl.col("product_id").first().alias("p"),
            pl.col("revision").first().alias("r"),
        )
    )
    fb = (
        plant.clean("customer_feedback")
        .filter(pl.col("lot_id").is_not_null())
        .join(lots, on="lot_id", how="left")
    )
    bad = fb.filter(
        pl.col("shipped_at").is_null()
        | (pl.col("received_at") <= pl.col("shipped_at"))
        | (pl.col("p") != pl.col("product_id"))
        | (pl.col("r") != pl.col("revision"))
    )
    assert fb.height > 0 and bad.height == 0
