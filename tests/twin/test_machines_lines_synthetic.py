"""Machines and lines on the synthetic plant: the labelled faults show in the twin.

The plant goes through the real path: generate -> ingest -> validate -> rebuild, and each
check rebuilds the day the ground truth says the fault is visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.twin import lines, machines
from twin_core.validation import validate_pending
from twin_core.warehouse import fetch_polars, open_warehouse

pytestmark = pytest.mark.slow

MY_TABLES = (
    "machine_day",
    "machine_health",
    "sensor_status",
    "sensor_health",
    "line_forecast",
    "machine_reliability",
)


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 7-day synthetic plant, ingested and validated; a connection to rebuild days on."""
    from twin_core.synth import generate

    home = tmp_path_factory.mktemp("synthetic") / "home"
    home.mkdir()
    truth = generate(home, days=7, seed=7)
    settings = Settings(home=home)
    ingest_landing(settings)
    validate_pending(settings)
    with open_warehouse(settings) as con:
        yield {"truth": truth, "settings": settings, "con": con, "built": {}}


def _snapshot(plant: dict[str, Any], as_of: date) -> int:
    """The snapshot of one day with the machine and line builders (built once per day)."""
    built: dict[date, int] = plant["built"]
    if as_of not in built:
        built[as_of] = rebuild(
            plant["con"], plant["settings"], as_of, builder_list=[machines.build, lines.build]
        )
    return built[as_of]


def _rows(plant: dict[str, Any], table: str, snapshot_id: int) -> pl.DataFrame:
    con: duckdb.DuckDBPyConnection = plant["con"]
    return fetch_polars(con, f"select * from history.{table} where snapshot_id = ?", [snapshot_id])


def test_degrading_machine_is_flagged_before_its_failure_with_a_predicted_date(
    plant: dict[str, Any],
) -> None:
    """On the day before the bearing fails, its machine has an anomaly on that sensor and a limit date."""
    failure = plant["truth"].one("machine_failure")
    bearing = plant["truth"].one("bearing_degradation")
    day_before = failure.start.date() - timedelta(days=1)
    health = _rows(plant, "machine_health", _snapshot(plant, day_before))
    row = health.filter(pl.col("machine_id") == failure.entities["machine_id"]).row(0, named=True)
    assert row["anomalies"] >= 1
    assert row["worst_sensor_id"] == bearing.entities["sensor_id"]
    assert row["predicted_limit_date"] is not None
    assert day_before <= row["predicted_limit_date"] <= failure.start.date() + timedelta(days=7)
    assert bearing.entities["sensor_id"] in row["evidence"]


def test_healthy_machines_carry_no_predicted_limit_date_before_the_failure(
    plant: dict[str, Any],
) -> None:
    """Only machines with a labelled process fault get a predicted limit date that day."""
    failure = plant["truth"].one("machine_failure")
    faulty = {
        f.entities["machine_id"]
        for f in plant["truth"].faults
        if f.kind in ("bearing_degradation", "temperature_drift")
    }
    health = _rows(
        plant, "machine_health", _snapshot(plant, failure.start.date() - timedelta(days=1))
    )
    predicted = set(health.filter(pl.col("predicted_limit_date").is_not_null())["machine_id"])
    assert predicted <= faulty


@pytest.mark.parametrize(
    ("kind", "status"), [("stuck_sensor", "stuck"), ("sensor_dropout", "dropout")]
)
def test_faulty_sensor_is_reported_as_a_sensor_fault_on_its_day(
    plant: dict[str, Any], kind: str, status: str
) -> None:
    """The stuck and the dropped sensor are sensor faults from (about) when they started."""
    fault = plant["truth"].one(kind)
    got = _rows(plant, "sensor_status", _snapshot(plant, fault.start.date()))
    row = got.filter(pl.col("sensor_id") == fault.entities["sensor_id"]).row(0, named=True)
    assert row["status"] == status
    assert abs(row["since"] - fault.start) <= timedelta(hours=1)
    others = got.filter(
        (pl.col("sensor_id") != fault.entities["sensor_id"]) & (pl.col("status") == status)
    )
    assert others.is_empty()


def test_a_faulty_sensor_is_left_out_of_its_machines_health(plant: dict[str, Any]) -> None:
    """The stuck sensor's machine counts a sensor fault and is not judged on that sensor."""
    fault = plant["truth"].one("stuck_sensor")
    health = _rows(plant, "machine_health", _snapshot(plant, fault.start.date()))
    row = health.filter(pl.col("machine_id") == fault.entities["machine_id"]).row(0, named=True)
    assert row["sensor_faults"] == 1
    assert row["worst_sensor_id"] != fault.entities["sensor_id"]


def test_line_under_the_demand_spike_shows_a_gap_on_the_spike_days(plant: dict[str, Any]) -> None:
    """From the last day, the spike line's required exceeds its p50 exactly on the spike's due days."""
    spike = plant["truth"].one("demand_spike")
    last = plant["truth"].start + timedelta(days=plant["truth"].days - 1)
    forecast = _rows(plant, "line_forecast", _snapshot(plant, last))
    short = forecast.filter(pl.col("required_qty") > pl.col("p50_qty"))
    spike_days = {
        spike.start.date() + timedelta(days=i) for i in range((spike.end - spike.start).days)
    }
    assert set(short["line_id"]) == {spike.entities["line_id"]}
    assert set(short["day"]) == spike_days


def test_a_second_rebuild_of_a_day_gives_identical_machine_and_line_tables(
    plant: dict[str, Any],
) -> None:
    """Rebuilding the same day on the same inputs reproduces every machine and line table.

    Exactly, but for the last bits of sensor statistics: DuckDB's parallel aggregates add
    doubles in an order that varies from run to run (the seeded draws do not vary)."""
    last = plant["truth"].start + timedelta(days=plant["truth"].days - 1)
    first = _snapshot(plant, last)
    again = rebuild(
        plant["con"], plant["settings"], last, builder_list=[machines.build, lines.build]
    )
    con: duckdb.DuckDBPyConnection = plant["con"]
    for table in MY_TABLES:
        sql = f"select * exclude (snapshot_id) from history.{table} where snapshot_id = ? order by all"
        a = fetch_polars(con, sql, [first])
        assert a.height > 0, table
        assert_frame_equal(a, fetch_polars(con, sql, [again]), rel_tol=1e-9, abs_tol=0.0)
