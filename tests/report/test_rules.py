"""Instruction rules, one behaviour each, on small hand-inserted snapshot rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import duckdb

from tests.report.conftest import (
    AS_OF,
    LOTS_TO_HOLD_DDL,
    QUALITY_DRIFT_DDL,
    TOMORROW,
    Insert,
    forecast,
    machines,
    short_line,
)
from twin_core.report import Instruction, ReportData, compute_instructions


def _of(items: list[Instruction], department: str) -> list[Instruction]:
    return [i for i in items if i.department == department]


def _stop_tomorrow(insert: Insert, machine: str = "M2", hours: int = 8) -> None:
    insert(
        "core.machine_events",
        [
            {
                "machine_id": machine,
                "start_ts": datetime(2026, 3, 11, 0),
                "end_ts": datetime(2026, 3, 11, hours),
                "state": "planned_stop",
            }
        ],
    )


def test_short_line_gets_a_production_item_with_gap_and_extra_hours(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A gap of 200 units at a bottleneck making 60 units/h asks for 3.3 extra hours."""
    short_line(insert)
    _stop_tomorrow(insert)
    items = _of(compute_instructions(load()), "production")
    expected = (
        "Close line L1's gap of 200 units on 2026-03-11: add 3.3 h of production at bottleneck "
        "M2 (overtime or an extra shift in the 8.0 h the line is not planned)"
    )
    assert items[0].priority == 1
    assert items[0].action.startswith(expected)


def test_extra_hours_use_the_bottleneck_recent_oee(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """At OEE 0.5 the bottleneck makes 30 units/h, so 200 units need 6.7 h."""
    short_line(insert)
    _stop_tomorrow(insert)
    insert("history.machine_day", [{"machine_id": "M2", "line_id": "L1", "day": AS_OF, "oee": 0.5}])
    item = _of(compute_instructions(load()), "production")[0]
    assert "add 6.7 h of production" in item.action


def test_short_line_planned_around_the_clock_recovers_lost_bottleneck_time(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """With no unplanned hours left, the gap is closed by recovering lost bottleneck time."""
    short_line(insert)
    item = _of(compute_instructions(load()), "production")[0]
    expected = "the line is already planned 24 h, so recover 3.3 h of lost time at bottleneck M2"
    assert expected in item.action


def test_production_reason_states_required_p50_p10_and_takt(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """The reason carries the forecast numbers and takt time (24 h / 1000 units = 86 s)."""
    short_line(insert)
    reason = _of(compute_instructions(load()), "production")[0].reason
    expected = (
        "required 1000, p50 800, p10 700, gap 200 units (history.line_forecast); takt 86 s/unit"
    )
    assert expected in reason


def test_short_line_is_named_by_production_maintenance_and_procurement(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """When a line misses its requirement, each of the three departments has an item for it."""
    short_line(insert)
    items = compute_instructions(load())
    naming = {i.department for i in items if i.line_id == "L1" and "line L1" in i.action}
    assert naming == {"production", "maintenance", "procurement"}


def test_procurement_item_for_short_line_sizes_material_for_the_gap(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """200 extra units at 2 kg of MAT1 each need 400 kg; 5000 on hand covers it."""
    short_line(insert)
    item = next(
        i for i in _of(compute_instructions(load()), "procurement") if i.entity_type == "line"
    )
    assert "MAT1 400.0 needed, on hand 5000" in item.reason
    assert item.action.startswith("Confirm material for line L1's extra 200 units")


def test_line_that_makes_its_requirement_gets_a_run_to_plan_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A line whose p10 covers the requirement gets a low-priority run-to-plan item only."""
    machines(insert)
    forecast(insert, "L2", 500, 700, 600, "M3")
    items = compute_instructions(load())
    expected = [
        ("production", 4, "Run line L2 to plan on 2026-03-11: 500 units required, 700 expected.")
    ]
    assert [(i.department, i.priority, i.action) for i in items] == expected


def test_later_shortfall_asks_to_build_ahead(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A gap on the third forecast day gives a build-ahead item due the day before it."""
    machines(insert)
    forecast(insert, "L2", 500, 700, 600, "M3")
    forecast(insert, "L2", 900, 600, 500, "M3", day=date(2026, 3, 13))
    later = [i for i in compute_instructions(load()) if i.action.startswith("Build ahead")]
    assert [(i.due_date, i.line_id) for i in later] == [(date(2026, 3, 12), "L2")]


def test_later_shortfall_covered_by_earlier_surplus_is_a_low_priority_build_ahead(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """200 units of surplus on day 1 cover a 150-unit gap on day 3: build ahead, priority 3."""
    machines(insert)
    forecast(insert, "L2", 500, 700, 600, "M3")
    forecast(insert, "L2", 900, 750, 700, "M3", day=date(2026, 3, 13))
    later = [i for i in compute_instructions(load()) if i.action.startswith("Build ahead")]
    assert [(i.priority, i.reason.split("; ")[0]) for i in later] == [
        (
            3,
            "history.line_forecast: p50 below required on 1 day(s) from 2026-03-13, total gap 150 units, 0 after the surplus of earlier days",
        )
    ]


def test_machine_with_predicted_limit_date_gets_a_maintenance_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A predicted limit date is enough for a maintenance item naming the date."""
    machines(insert)
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "health_score": 0.9,
                "anomalies": 1,
                "predicted_limit_date": date(2026, 3, 15),
                "evidence": "vibration rising",
            }
        ],
    )
    items = _of(compute_instructions(load()), "maintenance")
    expected = "Schedule a maintenance stop for machine M1 on line L1 before its predicted limit on 2026-03-15"
    assert [i.entity_id for i in items] == ["M1"]
    assert items[0].action.startswith(expected)


def test_healthy_machine_gets_no_maintenance_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Health 0.95 and no predicted limit: nothing to do."""
    machines(insert)
    insert(
        "history.machine_health",
        [{"machine_id": "M1", "line_id": "L1", "health_score": 0.95, "anomalies": 0}],
    )
    assert _of(compute_instructions(load()), "maintenance") == []


def test_maintenance_uses_the_planned_stop_before_the_limit(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """The first planned stop of the machine after today and before its limit is the slot."""
    machines(insert)
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "health_score": 0.4,
                "predicted_limit_date": date(2026, 3, 15),
            }
        ],
    )
    insert(
        "core.machine_events",
        [
            {
                "machine_id": "M1",
                "start_ts": datetime(2026, 3, 9, 6),
                "end_ts": datetime(2026, 3, 9, 8),
                "state": "planned_stop",
            },
            {
                "machine_id": "M1",
                "start_ts": datetime(2026, 3, 13, 6),
                "end_ts": datetime(2026, 3, 13, 10),
                "state": "planned_stop",
            },
            {
                "machine_id": "M1",
                "start_ts": datetime(2026, 3, 16, 6),
                "end_ts": datetime(2026, 3, 16, 10),
                "state": "planned_stop",
            },
        ],
    )
    item = _of(compute_instructions(load()), "maintenance")[0]
    assert item.action.startswith(
        "Service machine M1 on line L1 during the planned stop 2026-03-13 06:00 to 2026-03-13 10:00 (4.0 h)"
    )
    assert item.due_date == date(2026, 3, 13)


def test_bottleneck_of_short_line_ranks_above_equally_unhealthy_machine(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Same health, but M2 is the bottleneck of a short line: it comes first."""
    short_line(insert)
    insert(
        "history.machine_health",
        [
            {"machine_id": "M1", "line_id": "L1", "health_score": 0.5},
            {"machine_id": "M2", "line_id": "L1", "health_score": 0.5},
        ],
    )
    machine_items = [
        i for i in _of(compute_instructions(load()), "maintenance") if i.entity_type == "machine"
    ]
    assert [i.entity_id for i in machine_items] == ["M2", "M1"]


def test_stuck_sensor_gets_a_check_sensor_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A stuck sensor is a sensor problem: check and replace the sensor, not the machine."""
    insert(
        "history.sensor_status",
        [
            {
                "sensor_id": "S7",
                "machine_id": "M1",
                "status": "stuck",
                "since": datetime(2026, 3, 9, 12),
            },
            {"sensor_id": "S8", "machine_id": "M1", "status": "ok"},
        ],
    )
    items = _of(compute_instructions(load()), "maintenance")
    expected = ["Check sensor S7 on machine M1 and replace it if faulty: its readings are stuck."]
    assert [i.action for i in items] == expected


def test_material_with_order_by_date_gets_a_procurement_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """An order-by date in the window asks for a PO with quantity, supplier and date."""
    insert(
        "history.material_status",
        [
            {
                "material_id": "MAT9",
                "supplier_id": "SUP2",
                "on_hand": 50.0,
                "order_qty": 300.0,
                "order_by_date": date(2026, 3, 14),
            }
        ],
    )
    items = _of(compute_instructions(load()), "procurement")
    expected = ["Place a purchase order for 300 units of MAT9 with supplier SUP2 by 2026-03-14."]
    assert [i.action for i in items] == expected


def test_open_po_promised_before_today_gets_an_expedite_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """An open PO promised for a day already past is expedited."""
    insert(
        "core.purchase_orders",
        [
            {
                "po_id": "PO1",
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "qty": 100.0,
                "order_date": date(2026, 3, 1),
                "promised_date": date(2026, 3, 8),
            },
            {
                "po_id": "PO2",
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "qty": 100.0,
                "order_date": date(2026, 3, 1),
                "promised_date": date(2026, 3, 20),
            },
        ],
    )
    items = _of(compute_instructions(load()), "procurement")
    assert [i.entity_id for i in items] == ["PO1"]
    assert "promised for 2026-03-08, 3 day(s) late" in items[0].reason


def test_open_po_arriving_after_the_stockout_is_expedited_to_before_it(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A receipt promised after the projected stockout must come the day before it."""
    insert(
        "history.material_status",
        [{"material_id": "MAT1", "on_hand": 10.0, "stockout_date": date(2026, 3, 14)}],
    )
    insert(
        "core.purchase_orders",
        [
            {
                "po_id": "PO2",
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "qty": 100.0,
                "order_date": date(2026, 3, 1),
                "promised_date": date(2026, 3, 18),
            }
        ],
    )
    item = _of(compute_instructions(load()), "procurement")[0]
    assert item.action.startswith(
        "Expedite PO PO2 (100 of MAT1) with supplier SUP1 to arrive by 2026-03-13"
    )


def test_spc_violation_gets_a_quality_item(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A recent point beyond the limits asks to find the cause and (with no lots_to_hold
    table to list holds) to hold the lot. Without lot sizes and spec limits the parts at risk
    are not known, so it is priority 2 (priority 1 needs a loss inside the horizon)."""
    warehouse.execute("drop view if exists twin.lots_to_hold")
    warehouse.execute("drop table if exists history.lots_to_hold")
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": "LOT9",
                "rule": "WE1",
                "value": 10.7,
                "ts": datetime(2026, 3, 10, 9),
            }
        ],
    )
    items = _of(compute_instructions(load()), "quality")
    expected = [
        (2, "Find the special cause on P1 diameter and hold lots LOT9 until it is cleared.")
    ]
    assert [(i.priority, i.action) for i in items] == expected


def test_old_spc_violation_gets_no_item(insert: Insert, load: Callable[[], ReportData]) -> None:
    """A violation from a month ago is history, not tomorrow's work."""
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": "LOT1",
                "rule": "WE2",
                "value": 10.5,
                "ts": datetime(2026, 2, 1, 9),
            }
        ],
    )
    assert _of(compute_instructions(load()), "quality") == []


def test_low_capability_gets_a_quality_item(insert: Insert, load: Callable[[], ReportData]) -> None:
    """Cpk 1.1 < 1.33 with Cp 1.6: centre the process; Cpk 1.5 gets nothing."""
    insert(
        "history.capability",
        [
            {"product_id": "P1", "characteristic": "diameter", "n": 125, "cp": 1.6, "cpk": 1.1},
            {"product_id": "P1", "characteristic": "length", "n": 125, "cp": 1.7, "cpk": 1.5},
        ],
    )
    items = _of(compute_instructions(load()), "quality")
    expected = [
        "Raise the capability of P1 diameter: centre the process on target, and inspect every lot until Cpk reaches 1.33."
    ]
    assert [i.action for i in items] == expected


def test_drifting_machine_gets_tighter_inspection_of_its_lots(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A machine with sensor anomalies whose lots are inspected gets a quality item."""
    insert(
        "history.machine_health",
        [{"machine_id": "M1", "line_id": "L1", "health_score": 0.8, "anomalies": 1}],
    )
    insert(
        "core.inspections",
        [
            {
                "inspection_id": "I1",
                "ts": datetime(2026, 3, 9, 8),
                "lot_id": "LOT1",
                "product_id": "P1",
                "machine_id": "M1",
                "characteristic": "diameter",
                "value": 10.0,
            }
        ],
    )
    items = _of(compute_instructions(load()), "quality")
    assert [i.action for i in items] == [
        "Tighten inspection of lots from machine M1: measure P1 diameter on every lot until its drift is fixed."
    ]


def _hold(lot: str, reason: str, flagged: datetime = datetime(2026, 3, 9, 8)) -> dict[str, object]:
    return {
        "lot_id": lot,
        "product_id": "P1",
        "machine_id": "M1",
        "reason": reason,
        "evidence": "x",
        "flagged_at": flagged,
        "characteristics": '["diameter"]',
    }


def test_lots_with_a_control_rule_firing_are_held_in_one_item(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Lots of one product, machine and reason are held together; with no lot sizes or spec
    limits their parts at risk are unknown: priority 2."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    insert("history.lots_to_hold", [_hold("LOT5", "spc_violation"), _hold("LOT6", "spc_violation")])
    items = _of(compute_instructions(load()), "quality")
    expected = [
        (
            2,
            "Hold 2 lot(s) of P1 from machine M1 (LOT5, LOT6) and re-inspect diameter before release: a control rule fired on it.",
        )
    ]
    assert [(i.priority, i.action) for i in items] == expected


def test_lots_flagged_over_a_week_ago_are_not_held(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A lot flagged on 2026-03-01 has left the plant by 2026-03-10: no item."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    insert("history.lots_to_hold", [_hold("LOT1", "spc_violation", datetime(2026, 3, 1, 8))])
    assert _of(compute_instructions(load()), "quality") == []


def test_sensor_drift_lots_without_a_significant_link_get_a_sample_reinspection(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Drift with no significant link to a characteristic asks for a sample, priority 3."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    insert("history.lots_to_hold", [_hold("LOT5", "sensor_drift")])
    items = _of(compute_instructions(load()), "quality")
    assert [(i.priority, i.action.split(" (")[0]) for i in items] == [
        (3, "Re-inspect a sample of 1 lot(s) of P1 from machine M1")
    ]


def test_sensor_drift_lots_with_a_significant_link_are_held(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Drift whose link to a characteristic is significant holds the lots, in the one item of
    the drifting machine (its root cause); parts at risk unknown here: priority 2."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    warehouse.execute(QUALITY_DRIFT_DDL)
    insert("history.lots_to_hold", [_hold("LOT5", "sensor_drift")])
    insert(
        "history.quality_drift",
        [
            {
                "machine_id": "M1",
                "metric": "temperature",
                "product_id": "P1",
                "characteristic": "diameter",
                "predicted_shift": 0.02,
            }
        ],
    )
    holds = [i for i in _of(compute_instructions(load()), "quality") if "Hold" in i.action]
    assert [(i.priority, i.entity_id, i.action.split(" (")[0]) for i in holds] == [
        (2, "M1", "Hold 1 lot(s) of P1 from machine M1")
    ]


def test_quality_drift_tightens_inspection_of_the_predicted_characteristic(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A sensor drift linked to a characteristic asks to measure it on every lot of the machine."""
    warehouse.execute(QUALITY_DRIFT_DDL)
    insert(
        "history.quality_drift",
        [
            {
                "machine_id": "M2",
                "metric": "temperature",
                "product_id": "P1",
                "characteristic": "diameter",
                "direction": "up",
                "first_alarm_ts": datetime(2026, 3, 8, 6),
                "max_ewma": 4.2,
                "predicted_shift": 0.12,
            }
        ],
    )
    items = _of(compute_instructions(load()), "quality")
    expected = "Tighten inspection of lots from machine M2: measure P1 diameter on every lot until its temperature up drift is fixed."
    assert [i.action for i in items] == [expected]


def test_flagged_revision_gets_an_engineering_item(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A revision flagged by the feedback builder is traced to its line, lots and themes."""
    warehouse.execute(
        "create table if not exists history.revision_flags (snapshot_id bigint, product_id varchar, "
        "revision varchar, complaints bigint, units_shipped bigint, rate_per_1000_units double, "
        "sibling_rate_per_1000_units double, test varchar, p_value double, flagged boolean, "
        "themes varchar, lots varchar, lines varchar, machines varchar)"
    )
    insert(
        "history.revision_flags",
        [
            {
                "product_id": "P1",
                "revision": "B",
                "complaints": 12,
                "units_shipped": 1500,
                "rate_per_1000_units": 8.0,
                "sibling_rate_per_1000_units": 1.0,
                "test": "binomial",
                "p_value": 0.0001,
                "flagged": True,
                "themes": '["rattle", "loose"]',
                "lots": '["LOT3", "LOT4"]',
                "lines": '["L2", "L1"]',
                "machines": '["M3"]',
            },
            {
                "product_id": "P1",
                "revision": "A",
                "complaints": 2,
                "units_shipped": 2000,
                "rate_per_1000_units": 1.0,
                "p_value": 0.9,
                "flagged": False,
            },
        ],
    )
    items = _of(compute_instructions(load()), "engineering")
    expected = (
        "Review revision B of product P1 for a design or process cause, starting with line L2 "
        "and lots LOT3, LOT4; complaints mention rattle, loose."
    )
    assert [(i.action, i.line_id) for i in items] == [(expected, "L2")]
    assert "binomial p = 0.0001" in items[0].reason


def test_revision_with_twice_its_siblings_complaint_rate_is_flagged_without_flags_table(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Without history.revision_flags, a rate at least 2x the sibling revisions' is flagged."""
    warehouse.execute("drop view if exists twin.revision_flags")
    warehouse.execute("drop table if exists history.revision_flags")
    insert(
        "history.feedback_insights",
        [
            {
                "product_id": "P1",
                "revision": "A",
                "category": "complaint",
                "feedback_count": 3,
                "rate_per_1000_units": 1.0,
            },
            {
                "product_id": "P1",
                "revision": "B",
                "category": "complaint",
                "feedback_count": 9,
                "rate_per_1000_units": 4.0,
            },
        ],
    )
    items = _of(compute_instructions(load()), "engineering")
    assert [i.entity_id for i in items] == ["P1@B"]


def test_empty_snapshot_gives_no_instructions(load: Callable[[], ReportData]) -> None:
    """No twin rows at all: no instructions and no error."""
    assert compute_instructions(load()) == []


def test_instructions_are_ordered_by_department_then_priority(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Reading order: production, maintenance, procurement, quality, engineering; P1 first."""
    short_line(insert)
    forecast(insert, "L2", 500, 700, 600, "M3")
    insert("history.sensor_status", [{"sensor_id": "S7", "machine_id": "M1", "status": "dropout"}])
    items = compute_instructions(load())
    keys = [
        (
            ["production", "maintenance", "procurement", "quality", "engineering"].index(
                i.department
            ),
            i.priority,
        )
        for i in items
    ]
    assert keys == sorted(keys)
    assert TOMORROW in {i.due_date for i in items}


def test_uncovered_demand_asks_production_to_plan_work_orders(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Demand beyond the open work orders asks for more work orders on the product's line."""
    warehouse.execute(
        "create table if not exists history.uncovered_demand (snapshot_id bigint, product_id varchar, "
        "day date, demand_qty double, planned_qty double, cum_demand_qty double, "
        "cum_planned_qty double, uncovered_qty double)"
    )
    insert(
        "core.products", [{"product_id": "P1", "name": "pump", "revision": "A", "line_id": "L1"}]
    )
    insert(
        "history.uncovered_demand",
        [
            {
                "product_id": "P1",
                "day": date(2026, 3, 14),
                "cum_demand_qty": 900.0,
                "cum_planned_qty": 600.0,
                "uncovered_qty": 300.0,
            },
            {
                "product_id": "P1",
                "day": date(2026, 3, 15),
                "cum_demand_qty": 1400.0,
                "cum_planned_qty": 900.0,
                "uncovered_qty": 500.0,
            },
        ],
    )
    items = _of(compute_instructions(load()), "production")
    expected = "Plan work orders for 500 more units of P1 on line L1, the first due 2026-03-14: customer demand exceeds the open work orders."
    assert [(i.action, i.due_date) for i in items] == [(expected, date(2026, 3, 13))]


def test_stockout_with_nothing_on_order_and_no_order_date_gets_an_order_item(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A projected stockout with no order-by date and no open PO still asks for an order."""
    insert(
        "history.material_status",
        [
            {
                "material_id": "MAT3",
                "supplier_id": "SUP1",
                "on_hand": 20.0,
                "stockout_date": date(2026, 3, 13),
            }
        ],
    )
    items = _of(compute_instructions(load()), "procurement")
    expected = [
        "Place a purchase order for material MAT3 with supplier SUP1 now: it runs out on 2026-03-13 and nothing is on order."
    ]
    assert [i.action for i in items] == expected


def test_machine_reaching_its_limit_tomorrow_is_stopped_first_thing(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A limit date of tomorrow with no planned stop before it is priority 1, due tomorrow."""
    machines(insert)
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "health_score": 0.05,
                "predicted_limit_date": TOMORROW,
            }
        ],
    )
    item = _of(compute_instructions(load()), "maintenance")[0]
    expected = "Stop and service machine M1 on line L1 at the first chance on 2026-03-11: it is predicted to reach its limit on 2026-03-11 and no planned stop comes first."
    assert (item.priority, item.due_date, item.action) == (1, TOMORROW, expected)
