"""Scenarios on a real snapshot of a tiny plant: stored next to the baseline, reproducible."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from twin_core.scenario import ExtraShift, MachineOutage, ScenarioSpec, SupplierDelay
from twin_core.scenario.run import (
    VARIANT_TABLES,
    ScenarioError,
    line_scenario,
    read_scenario,
    run_scenario,
)
from twin_core.settings import Settings
from twin_core.warehouse import open_warehouse

LATE_STEEL = ScenarioSpec(
    name="late steel", supplier_delays=[SupplierDelay(supplier_id="SUP1", days=5)]
)


def _tables(settings: Settings, scenario_id: str) -> dict[str, pl.DataFrame]:
    with open_warehouse(settings, read_only=True) as con:
        return {
            t: read_scenario(con, scenario_id, t)
            for t in (*VARIANT_TABLES, "instructions", "instruction_changes")
        }


def test_the_same_question_twice_gives_the_same_id_and_rows(
    settings: Settings, snapshot: int
) -> None:
    """Same snapshot, parameters and seed: same scenario_id and identical rows in every table."""
    first, _ = run_scenario(settings, LATE_STEEL)
    before = _tables(settings, first.scenario_id)
    second, _ = run_scenario(settings, LATE_STEEL)
    after = _tables(settings, second.scenario_id)
    assert second.scenario_id == first.scenario_id
    for table, frame in before.items():
        assert_frame_equal(after[table], frame)


def test_a_late_supplier_turns_a_covered_material_into_a_stockout(
    settings: Settings, snapshot: int
) -> None:
    """The PO of 200 promised Jan 8 arrives Jan 13; stock of 100 at 40 a day runs out Jan 8."""
    outcome, _ = run_scenario(settings, LATE_STEEL)
    status = _tables(settings, outcome.scenario_id)["material_status"]
    stockouts = status.select("variant", "material_id", "stockout_date").sort("variant")
    expected = pl.DataFrame(
        {
            "variant": ["baseline", "scenario"],
            "material_id": ["MAT1", "MAT1"],
            "stockout_date": [None, date(2026, 1, 8)],
        }
    )
    assert_frame_equal(stockouts, expected)


def test_double_demand_brings_the_stockout_forward(settings: Settings, snapshot: int) -> None:
    """Twice the demand of P1 (80 of MAT1 a day) empties 100 on the second day, Jan 7."""
    outcome, _ = run_scenario(settings, ScenarioSpec(name="rush", demand_multipliers={"P1": 2.0}))
    status = _tables(settings, outcome.scenario_id)["material_status"]
    scenario_row = status.filter(pl.col("variant") == "scenario")
    assert scenario_row["stockout_date"].to_list() == [date(2026, 1, 7)]


def test_a_late_supplier_adds_an_expedite_instruction(settings: Settings, snapshot: int) -> None:
    """The procurement instructions that change name the late PO as new."""
    outcome, _ = run_scenario(settings, LATE_STEEL)
    new = outcome.changes.filter(pl.col("change") == "new")
    assert new.select("department", "entity_type", "entity_id").rows() == [
        ("procurement", "purchase_order", "PO1")
    ]


def test_a_scenario_without_changes_changes_nothing(settings: Settings, snapshot: int) -> None:
    """No changes: both variants hold the same rows and no instruction changes."""
    outcome, _ = run_scenario(settings, ScenarioSpec(name="as planned"))
    tables = _tables(settings, outcome.scenario_id)
    assert outcome.changes.is_empty()
    for table in ("inventory_projection", "material_status", "instructions"):
        frame = tables[table]
        base = frame.filter(pl.col("variant") == "baseline").drop("variant")
        scen = frame.filter(pl.col("variant") == "scenario").drop("variant")
        assert_frame_equal(scen, base)


def test_unknown_ids_are_refused_and_nothing_is_written(settings: Settings, snapshot: int) -> None:
    """A supplier and a machine that are not in the master data are named; no rows are stored."""
    spec = ScenarioSpec(
        supplier_delays=[SupplierDelay(supplier_id="NOPE", days=3)],
        outages=[MachineOutage(machine_id="M9", start=datetime(2026, 1, 6, 8), hours=4)],
    )
    with pytest.raises(ScenarioError, match=r"machine M9; supplier NOPE"):
        run_scenario(settings, spec)
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("select count(*) from scenario.runs").fetchone() == (0,)


def test_no_snapshot_is_a_clear_error(settings: Settings) -> None:
    """Before any nightly there is nothing to run a scenario on."""
    with pytest.raises(ScenarioError, match="no complete snapshot"):
        run_scenario(settings, LATE_STEEL)


def test_the_report_is_written_under_reports_scenarios(settings: Settings, snapshot: int) -> None:
    """scenario.md, index.html and params.json land in reports/scenarios/<scenario_id>/."""
    outcome, _ = run_scenario(settings, LATE_STEEL)
    folder = settings.reports_dir / "scenarios" / outcome.scenario_id
    expected = {"scenario.md", "index.html", "params.json"}
    assert {p.name for p in folder.iterdir()} == expected
    assert "new stockout" in (folder / "scenario.md").read_text(encoding="utf-8")


def test_the_run_row_records_the_resolved_parameters(settings: Settings, snapshot: int) -> None:
    """Defaults come from the snapshot (horizon, replications, seed) and are stored with the run."""
    outcome, _ = run_scenario(settings, LATE_STEEL)
    with open_warehouse(settings, read_only=True) as con:
        row = con.execute(
            "select snapshot_id, horizon_days, replications, seed from scenario.runs where scenario_id = ?",
            [outcome.scenario_id],
        ).fetchone()
    expected = (snapshot, settings.horizon_days, settings.replications, settings.seed)
    assert row == expected


def test_an_outage_of_the_first_machine_stops_the_line_while_it_is_down(
    settings: Settings, snapshot: int
) -> None:
    """M1 down for 48 h from Jan 6 00:00 UTC: nothing comes off the line on Jan 7."""
    spec = ScenarioSpec(
        name="press down",
        outages=[MachineOutage(machine_id="M1", start=datetime(2026, 1, 6), hours=48)],
    )
    outcome, _ = run_scenario(settings, spec)
    forecast = _tables(settings, outcome.scenario_id)["line_forecast"]
    jan7 = forecast.filter(pl.col("day") == date(2026, 1, 7)).sort("variant")
    assert jan7["variant"].to_list() == ["baseline", "scenario"]
    baseline_p50, scenario_p50 = jan7["p50_qty"].to_list()
    assert baseline_p50 > 0
    assert scenario_p50 == 0


def test_extra_shifts_of_one_line_add_up_for_the_line_simulation() -> None:
    """Two extra shifts on L1 are 12 more hours a day on L1; outages pass through as triples."""
    spec = ScenarioSpec(
        extra_shifts=[
            ExtraShift(line_id="L1", hours_per_day=8),
            ExtraShift(line_id="L1", hours_per_day=4),
        ],
        outages=[MachineOutage(machine_id="M1", start=datetime(2026, 1, 6, 6), hours=3)],
    )
    got = line_scenario(spec)
    assert dict(got.extra_shift_hours) == {"L1": 12.0}
    assert got.outages == (("M1", datetime(2026, 1, 6, 6), 3.0),)
