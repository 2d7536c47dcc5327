"""Scenario comparisons in pure polars: instruction changes, line output, stockouts."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from twin_core.sim.scenario import instruction_changes, line_output_delta, stockout_delta


def _instr(rows: list[tuple[str, int, str, str]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "department": [r[0] for r in rows],
            "priority": [r[1] for r in rows],
            "action": [r[2] for r in rows],
            "entity_id": [r[3] for r in rows],
            "entity_type": ["material"] * len(rows),
            "line_id": [None] * len(rows),
            "due_date": [date(2026, 1, 6)] * len(rows),
            "reason": ["r"] * len(rows),
        },
        schema_overrides={"line_id": pl.String},
    )


def test_identical_instructions_give_no_changes() -> None:
    """The same set of instructions in another order changes nothing."""
    rows = [("procurement", 1, "Order MAT1", "MAT1"), ("procurement", 2, "Order MAT2", "MAT2")]
    assert instruction_changes(_instr(rows), _instr(rows[::-1])).collect().is_empty()


def test_new_dropped_and_changed_instructions_are_told_apart() -> None:
    """Only-scenario is new, only-baseline is dropped, same entity with another action is changed."""
    baseline = _instr(
        [("procurement", 2, "Order 10 of MAT1", "MAT1"), ("procurement", 3, "Check MAT2", "MAT2")]
    )
    scenario = _instr(
        [("procurement", 1, "Order 30 of MAT1", "MAT1"), ("production", 1, "Add a shift", "MAT3")]
    )
    got = (
        instruction_changes(baseline, scenario)
        .collect()
        .select("change", "entity_id", "baseline_action", "scenario_action")
    )
    expected = pl.DataFrame(
        {
            "change": ["new", "changed", "dropped"],
            "entity_id": ["MAT3", "MAT1", "MAT2"],
            "baseline_action": [None, "Order 10 of MAT1", "Check MAT2"],
            "scenario_action": ["Add a shift", "Order 30 of MAT1", None],
        }
    )
    assert_frame_equal(got.sort("entity_id"), expected.sort("entity_id"))


def test_line_output_delta_sums_the_horizon_per_variant() -> None:
    """p50 over the horizon per variant, their difference, and the days short of requirement."""
    forecast = pl.LazyFrame(
        {
            "line_id": ["L1"] * 4,
            "variant": ["baseline", "baseline", "scenario", "scenario"],
            "day": [date(2026, 1, 6), date(2026, 1, 7)] * 2,
            "required_qty": [100.0, 100.0, 100.0, 100.0],
            "p50_qty": [110.0, 105.0, 60.0, 105.0],
        }
    )
    got = line_output_delta(forecast).collect()
    expected = pl.DataFrame(
        {
            "line_id": ["L1"],
            "required_qty": [200.0],
            "baseline_p50_qty": [215.0],
            "baseline_days_short": [0],
            "scenario_required_qty": [200.0],
            "scenario_p50_qty": [165.0],
            "scenario_days_short": [1],
            "delta_p50_qty": [-50.0],
        }
    )
    assert_frame_equal(got, expected, check_dtypes=False)


def test_stockout_delta_names_the_effect() -> None:
    """A stockout that appears, one that disappears, one that comes earlier, one unchanged."""
    d = date
    status = pl.LazyFrame(
        {
            "site_id": ["S1"] * 8,
            "material_id": ["A", "A", "B", "B", "C", "C", "D", "D"],
            "variant": ["baseline", "scenario"] * 4,
            "stockout_date": [
                None,
                d(2026, 1, 8),
                d(2026, 1, 9),
                None,
                d(2026, 1, 9),
                d(2026, 1, 7),
                d(2026, 1, 9),
                d(2026, 1, 9),
            ],
            "days_of_cover": [5.0] * 8,
            "order_by_date": [None] * 8,
        },
        schema_overrides={"order_by_date": pl.Date},
    )
    got = stockout_delta(status).collect().select("material_id", "effect")
    expected = pl.DataFrame(
        {
            "material_id": ["A", "B", "C", "D"],
            "effect": ["new stockout", "stockout avoided", "earlier stockout", None],
        }
    )
    assert_frame_equal(got, expected)


def test_the_same_entity_on_another_line_is_changed_not_dropped_and_new() -> None:
    """An expedite that now names the line it serves is one changed instruction."""
    baseline = _instr([("procurement", 1, "Expedite PO7", "PO7")])
    scenario = _instr([("procurement", 1, "Expedite PO7; line L1 needs it", "PO7")]).with_columns(
        line_id=pl.lit("L1")
    )
    got = instruction_changes(baseline, scenario).collect().select("change", "entity_id", "line_id")
    expected = pl.DataFrame({"change": ["changed"], "entity_id": ["PO7"], "line_id": ["L1"]})
    assert_frame_equal(got, expected)
