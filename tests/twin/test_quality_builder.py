"""Quality builder: core rows in a real DuckDB warehouse become the twin's quality tables."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.twin.core_rows import insert_by_name
from twin_core.rebuild import CoreInputs, SnapshotContext, builders, rebuild
from twin_core.settings import Settings
from twin_core.twin import quality
from twin_core.warehouse import fetch_polars

AS_OF = date(2026, 3, 3)
T0 = datetime(2026, 3, 1, 0, 0)
LOTS = 40


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert a frame into core.<table> by column name, with provenance filled in."""
    frame = frame.with_columns(
        _batch_id=pl.lit("b1"), _file=pl.lit(f"{table}.csv"), _row=pl.int_range(pl.len())
    )
    insert_by_name(con, table, frame)


@pytest.fixture
def plant(mem_db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Line L1 (M1 then M2) builds P rev A (first 20 lots) then B; one lot an hour; the bore of
    lot 35 is far off; B draws 6 complaints about leaks, A one; M1's temperature is steady."""
    rng = np.random.default_rng(11)
    _insert(
        mem_db,
        "machines",
        pl.DataFrame(
            {
                "machine_id": ["M1", "M2"],
                "line_id": ["L1", "L1"],
                "site_id": ["S1", "S1"],
                "name": ["cnc", "test"],
                "machine_type": ["cnc", "test"],
                "line_position": [1, 2],
                "ideal_cycle_time_s": [10.0, 10.0],
            }
        ),
    )
    _insert(
        mem_db,
        "products",
        pl.DataFrame(
            {
                "product_id": ["P", "P"],
                "name": ["valve", "valve"],
                "revision": ["A", "B"],
                "line_id": ["L1", "L1"],
            }
        ),
    )
    lots = [f"LOT{i:02d}" for i in range(LOTS)]
    start = [T0 + timedelta(hours=i) for i in range(LOTS)]
    _insert(
        mem_db,
        "production",
        pl.DataFrame(
            {
                "record_id": [f"R{m}{i:02d}" for m in (1, 2) for i in range(LOTS)],
                "work_order_id": ["WO1"] * 2 * LOTS,
                "machine_id": ["M1"] * LOTS + ["M2"] * LOTS,
                "product_id": ["P"] * 2 * LOTS,
                "lot_id": lots * 2,
                "start_ts": start * 2,
                "end_ts": [s + timedelta(minutes=50) for s in start] * 2,
                "good_qty": [100] * 2 * LOTS,
                "scrap_qty": [0] * 2 * LOTS,
                "revision": (["A"] * 20 + ["B"] * 20) * 2,
            }
        ),
    )
    bore = 10 + rng.normal(0, 0.05, (LOTS, 5))
    bore[35] += 1.0
    _insert(
        mem_db,
        "inspections",
        pl.DataFrame(
            {
                "inspection_id": [f"I{i:02d}{k}" for i in range(LOTS) for k in range(5)],
                "ts": [s + timedelta(hours=1, minutes=k) for s in start for k in range(5)],
                "lot_id": [lot for lot in lots for _ in range(5)],
                "product_id": ["P"] * 5 * LOTS,
                "machine_id": ["M1"] * 5 * LOTS,
                "characteristic": ["bore"] * 5 * LOTS,
                "value": bore.ravel().tolist(),
                "lsl": [9.0] * 5 * LOTS,
                "usl": [11.0] * 5 * LOTS,
                "target": [10.0] * 5 * LOTS,
            }
        ),
    )
    _insert(
        mem_db,
        "defects",
        pl.DataFrame(
            {
                "lot_id": lots,
                "ts": [s + timedelta(hours=1) for s in start],
                "product_id": ["P"] * LOTS,
                "line_id": ["L1"] * LOTS,
                "inspected_qty": [50] * LOTS,
                "defect_code": ["scratch"] * LOTS,
                "defect_qty": [int(v) for v in rng.poisson(2, LOTS)],
            }
        ),
    )
    _insert(
        mem_db,
        "sensors",
        pl.DataFrame(
            {"sensor_id": ["T1"], "machine_id": ["M1"], "metric": ["temperature"], "unit": ["degC"]}
        ),
    )
    minutes = [T0 + timedelta(minutes=10 * k) for k in range(6 * LOTS)]
    _insert(
        mem_db,
        "sensor_readings",
        pl.DataFrame(
            {
                "sensor_id": ["T1"] * len(minutes),
                "ts": minutes,
                "value": (70 + rng.normal(0, 0.2, len(minutes))).tolist(),
                "quality": ["good"] * len(minutes),
            }
        ),
    )
    texts = ["seal leaks at the flange"] * 6 + ["housing leaks slightly"]
    _insert(
        mem_db,
        "customer_feedback",
        pl.DataFrame(
            {
                "feedback_id": [f"F{i}" for i in range(7)],
                "received_at": [T0 + timedelta(days=1, hours=i) for i in range(7)],
                "customer_id": ["C1"] * 7,
                "product_id": ["P"] * 7,
                "revision": [None] * 7,
                "lot_id": ["LOT30"] * 6 + ["LOT05"],
                "category": ["complaint"] * 7,
                "severity": [3] * 7,
                "rating": [2] * 7,
                "text": texts,
            },
            schema_overrides={"revision": pl.String},
        ),
    )
    return mem_db


def _table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    return fetch_polars(con, f"select * exclude (snapshot_id) from twin.{name}")


def test_quality_builder_is_registered() -> None:
    """The rebuild runs the quality builder by default."""
    assert quality.build in builders()


def test_rebuild_publishes_limits_violations_and_capability(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """The bore gets X-bar/R limits, lot 35 a WE1 violation, and a capability row with n = 200."""
    rebuild(plant, settings, AS_OF, builder_list=[quality.build])
    limits = _table(plant, "spc_limits").filter(pl.col("characteristic") == "bore")
    assert limits.select("chart", "subgroup_size", "baseline_subgroups", "site_id").row(0) == (
        "Xbar-R",
        5.0,
        25,
        "S1",
    )
    violations = _table(plant, "spc_violations").filter(
        (pl.col("characteristic") == "bore") & (pl.col("rule") == "WE1")
    )
    assert violations["lot_id"].to_list() == ["LOT35"]
    assert _table(plant, "capability").filter(pl.col("characteristic") == "bore")[
        "n"
    ].to_list() == [200]


def test_attribute_chart_of_the_defect_code_is_published(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Defects inspected 50 at a time give an np chart for the code and a c chart for all."""
    rebuild(plant, settings, AS_OF, builder_list=[quality.build])
    charts = dict(_table(plant, "spc_limits").select("characteristic", "chart").iter_rows())
    expected = {"bore": "Xbar-R", "defect:scratch": "np", "defects:all": "c"}
    assert charts == expected


def test_violating_lot_is_held(plant: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Lot 35 is in twin.lots_to_hold for spc_violation, on M1, with the rule in the evidence."""
    rebuild(plant, settings, AS_OF, builder_list=[quality.build])
    held = _table(plant, "lots_to_hold").filter(pl.col("reason") == "spc_violation")
    row = held.filter(pl.col("lot_id") == "LOT35").row(0, named=True)
    assert (row["machine_id"], json.loads(row["characteristics"])) == ("M1", ["bore"])
    assert "WE1 on bore" in row["evidence"]


def test_feedback_is_traced_and_the_complained_revision_flagged(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """6 complaints on B's 2,000 units against 1 on A's: B flagged, traced to L1, themed "leaks"."""
    rebuild(plant, settings, AS_OF, builder_list=[quality.build])
    insights = _table(plant, "feedback_insights").sort("revision")
    expected = pl.DataFrame(
        {
            "revision": ["A", "B"],
            "feedback_count": [1, 6],
            "units_shipped": [2000, 2000],
            "rate_per_1000_units": [0.5, 3.0],
            "lines": ['["L1"]', '["L1"]'],
            "machines": ['["M1", "M2"]', '["M1", "M2"]'],
        }
    )
    assert_frame_equal(insights.select(expected.columns), expected)
    flags = {r["revision"]: r for r in _table(plant, "revision_flags").to_dicts()}
    assert flags["B"]["p_value"] == pytest.approx(8 / 128)  # P(X >= 6 | Bin(7, 1/2))
    assert flags["B"]["flagged"] is False  # 0.0625 is not below 0.01: too few complaints
    assert "seal" in json.loads(flags["B"]["themes"])


def test_rows_after_the_as_of_day_are_ignored(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """An inspection lot measured the day after the as-of day does not appear anywhere."""
    rebuild(plant, settings, date(2026, 3, 1), builder_list=[quality.build])
    limits = _table(plant, "spc_limits").filter(pl.col("characteristic") == "bore")
    assert limits["subgroups"].to_list() == [23]  # lots 0..22 measured up to 23:59 on 1 March


def test_cutoff_is_the_end_of_the_as_of_day_in_plant_time(settings: Settings) -> None:
    """In New York (UTC-5 in winter) the 2 March plant day ends at 05:00 UTC on 3 March."""
    ctx = SnapshotContext(
        1, date(2026, 3, 2), settings.model_copy(update={"timezone": "America/New_York"})
    )
    assert quality.cutoff_utc(ctx) == datetime(2026, 3, 3, 5, 0)


def test_same_inputs_give_identical_tables(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Two builds of the same as-of on the same core rows are equal, table by table."""
    ctx = SnapshotContext(1, AS_OF, settings)
    first = quality.build(CoreInputs(plant, ctx), ctx)
    second = quality.build(CoreInputs(plant, ctx), ctx)
    assert first.keys() == second.keys()
    for name, frame in first.items():
        assert_frame_equal(frame, second[name])


def test_empty_warehouse_builds_empty_tables(
    mem_db: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """With no core rows the snapshot still completes, with empty quality tables."""
    rebuild(mem_db, settings, AS_OF, builder_list=[quality.build])
    for name in ("spc_limits", "spc_violations", "capability", "lots_to_hold", "revision_flags"):
        assert _table(mem_db, name).height == 0


def test_snapshot_records_the_spc_rules_it_used(
    plant: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """history.snapshots.params names the rule set, so a violation can be traced to its rules."""
    rebuild(plant, settings, AS_OF, builder_list=[quality.build])
    (params,) = plant.execute("select params from twin.snapshots").fetchone() or ("{}",)
    assert json.loads(params)["spc_rules"]["default"] == ["WE1", "WE2", "WE3", "WE4"]


def test_other_sites_are_left_out(plant: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """A rebuild for site S2 sees none of S1's lots, feedback or sensors."""
    s2 = settings.model_copy(update={"site_ids": ["S2"]})
    rebuild(plant, s2, AS_OF, builder_list=[quality.build])
    for name in ("spc_limits", "capability", "lots_to_hold", "feedback_insights", "revision_flags"):
        assert _table(plant, name).height == 0
