"""Issue 19: priority from the loss an instruction prevents, one item per root cause, a lone
rule firing as a watch note, stable keys tracked over consecutive nights, the front-page cap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from statistics import NormalDist

import duckdb
import pytest

from tests.report.conftest import AS_OF, LOTS_TO_HOLD_DDL, QUALITY_DRIFT_DDL, TOMORROW, Insert
from twin_core.report import Instruction, ReportData, compute_instructions
from twin_core.report.blocks import instruction_tables
from twin_core.report.triage import Previous, key_of, policy_priority, track, triage


def _item(**kw: object) -> Instruction:
    base = Instruction(
        "maintenance", 2, "Do it.", "because", TOMORROW, "machine", "M1", kind="service_machine"
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# --- the priority rule ---------------------------------------------------------------------


def test_a_loss_inside_the_horizon_is_priority_1_and_one_beyond_it_is_not() -> None:
    """P1 needs a positive loss whose day falls inside the horizon (as-of + 14 days)."""
    inside = _item(loss=8.0, loss_day=AS_OF + timedelta(days=14), priority=3)
    beyond = _item(loss=8.0, loss_day=AS_OF + timedelta(days=15), priority=1)
    unknown = _item(loss=None, priority=1)
    zero = _item(loss=0.0, loss_day=TOMORROW, priority=1)
    assert [policy_priority(i, AS_OF, 14) for i in (inside, beyond, unknown, zero)] == [1, 2, 2, 2]


def test_a_watch_note_is_never_above_priority_3() -> None:
    watch = _item(mode="watch", loss=100.0, loss_day=TOMORROW, priority=1)
    assert policy_priority(watch, AS_OF, 14) == 3


def test_rank_within_a_department_follows_the_loss() -> None:
    """Same priority: the larger money loss first, then the larger loss."""
    small = _item(entity_id="A", loss=2.0, loss_day=TOMORROW)
    big = _item(entity_id="B", loss=9.0, loss_day=TOMORROW)
    costly = _item(entity_id="C", loss=1.0, loss_day=TOMORROW, loss_cost=500.0)
    ordered = triage([small, big, costly], AS_OF, 14)
    assert [i.entity_id for i in ordered] == ["C", "B", "A"]


# --- loss per department on inline snapshots ---------------------------------------------


def test_stockout_loss_is_days_out_of_stock_in_the_horizon_and_its_value(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Out of stock from 2026-03-20 to the horizon's end 2026-03-24: 5 days x 10/day x 2.5."""
    insert("core.suppliers", [{"supplier_id": "SUP1", "name": "S"}])
    insert(
        "core.materials",
        [
            {
                "material_id": "MAT1",
                "name": "m",
                "unit": "kg",
                "unit_cost": 2.5,
                "supplier_id": "SUP1",
                "lead_time_days": 3.0,
            }
        ],
    )
    insert("core.bom", [{"product_id": "P1", "material_id": "MAT1", "qty_per": 1.0}])
    insert(
        "history.material_status",
        [
            {
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "on_hand": 10.0,
                "stockout_date": date(2026, 3, 20),
                "demand_mean_daily": 10.0,
            }
        ],
    )
    [item] = [i for i in compute_instructions(load()) if i.department == "procurement"]
    assert (item.priority, item.loss, item.loss_unit, item.loss_day, item.loss_cost) == (
        1,
        5.0,
        "days out of stock",
        date(2026, 3, 20),
        5 * 10.0 * 2.5,
    )


def test_machine_limit_inside_the_horizon_is_downtime_hours_before_it(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """A predicted limit on 2026-03-16 with a 3 h mean repair: 3 h of downtime on that day."""
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M1",
                "line_id": "L1",
                "health_score": 0.6,
                "predicted_limit_date": date(2026, 3, 16),
            }
        ],
    )
    insert("history.machine_reliability", [{"machine_id": "M1", "line_id": "L1", "mttr_h": 3.0}])
    [item] = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert (item.priority, item.loss, item.loss_unit, item.loss_day) == (
        1,
        3.0,
        "hours of unplanned downtime",
        date(2026, 3, 16),
    )


def test_machine_below_health_threshold_without_a_limit_date_is_not_priority_1(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Health 0.6 and no predicted limit: no loss the twin can date, so the rule's own priority
    stands (risk 0.4 x effect 1 = 0.4: priority 3), never 1."""
    insert("history.machine_health", [{"machine_id": "M1", "line_id": "L1", "health_score": 0.6}])
    [item] = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert (item.priority, item.loss) == (3, None)


def _hold(lot: str, reason: str, machine: str = "M1") -> dict[str, object]:
    return {
        "lot_id": lot,
        "product_id": "P1",
        "machine_id": machine,
        "reason": reason,
        "evidence": f"{reason} evidence",
        "flagged_at": datetime(2026, 3, 9, 8),
        "characteristics": '["diameter"]',
    }


def _lots_and_spec(insert: Insert, lots: dict[str, float]) -> None:
    """Lots of 100 units of P1 whose measured diameter means are given; spec 9.7..10.3,
    sigma 0.1, and a unit cost of 4 per P1 (one MAT1 at 4)."""
    insert(
        "core.production",
        [
            {
                "record_id": f"R{n}",
                "work_order_id": "WO1",
                "machine_id": "M1",
                "product_id": "P1",
                "lot_id": lot,
                "start_ts": datetime(2026, 3, 9, 6),
                "end_ts": datetime(2026, 3, 9, 7),
                "good_qty": 100,
                "scrap_qty": 0,
            }
            for n, lot in enumerate(lots)
        ],
    )
    insert(
        "core.inspections",
        [
            {
                "inspection_id": f"I{n}",
                "ts": datetime(2026, 3, 9, 8),
                "lot_id": lot,
                "product_id": "P1",
                "machine_id": "M1",
                "characteristic": "diameter",
                "value": mean,
            }
            for n, (lot, mean) in enumerate(lots.items())
        ],
    )
    insert(
        "history.capability",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "cp": 1.0,
                "cpk": 0.9,
                "mean": 10.0,
                "sigma_within": 0.1,
                "lsl": 9.7,
                "usl": 10.3,
            }
        ],
    )
    insert("core.suppliers", [{"supplier_id": "SUP1", "name": "S"}])
    insert(
        "core.materials",
        [
            {
                "material_id": "MAT1",
                "name": "m",
                "unit": "pc",
                "unit_cost": 4.0,
                "supplier_id": "SUP1",
                "lead_time_days": 3.0,
            }
        ],
    )
    insert("core.bom", [{"product_id": "P1", "material_id": "MAT1", "qty_per": 1.0}])


def test_drift_rule_firings_and_holds_of_one_machine_are_one_quality_item(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Temperature drift on M1 linked to diameter, two lots held for the drift, one for a
    rule firing, and the firings on those lots: one item naming the cause, with the holds
    and the firings as evidence; its parts at risk are the lots' expected out-of-spec parts."""
    warehouse.execute(LOTS_TO_HOLD_DDL)
    warehouse.execute(QUALITY_DRIFT_DDL)
    _lots_and_spec(insert, {"LOT1": 10.2, "LOT2": 10.25, "LOT3": 10.1})
    insert(
        "history.lots_to_hold",
        [
            _hold("LOT1", "sensor_drift"),
            _hold("LOT2", "sensor_drift"),
            _hold("LOT3", "spc_violation"),
        ],
    )
    insert(
        "history.quality_drift",
        [
            {
                "machine_id": "M1",
                "metric": "temperature",
                "product_id": "P1",
                "characteristic": "diameter",
                "direction": "up",
                "first_alarm_ts": datetime(2026, 3, 8, 6),
                "max_ewma": 3.0,
                "predicted_shift": 0.2,
            }
        ],
    )
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": lot,
                "rule": rule,
                "value": v,
                "ts": datetime(2026, 3, 9, 8),
                "chart": "Xbar",
            }
            for lot, rule, v in (("LOT2", "WE2", 10.25), ("LOT3", "WE1", 10.35))
        ],
    )
    items = [i for i in compute_instructions(load()) if i.department == "quality"]
    about_m1 = [i for i in items if "M1" in i.action or i.entity_id == "M1"]
    assert len(about_m1) == 1
    [item] = about_m1
    assert item.action.startswith(
        "Hold 3 lot(s) of P1 from machine M1 (LOT1, LOT2, LOT3) and re-inspect diameter before "
        "release"
    )
    assert "Cause: temperature up drift since 2026-03-08 06:00" in item.action
    assert "history.lots_to_hold (sensor_drift)" in item.reason
    assert "history.spc_violations on P1 diameter: WE1 x1, WE2 x1" in item.reason
    share = NormalDist(10.0, 0.1)
    expected = sum(
        100 * (share.cdf(9.7 - (m - 10.0)) + 1 - share.cdf(10.3 - (m - 10.0)))
        for m in (10.2, 10.25, 10.1)
    )
    assert item.loss == pytest.approx(round(expected, 1))
    assert item.loss_cost == pytest.approx(4.0 * expected, rel=1e-3)
    assert (item.priority, item.cause_id, item.loss_day) == (1, "machine:M1", TOMORROW)


def test_a_lone_we2_firing_on_a_stable_series_is_a_watch_note(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": "LOT7",
                "rule": "WE2",
                "value": 10.2,
                "ts": datetime(2026, 3, 9, 8),
            }
        ],
    )
    [item] = [i for i in compute_instructions(load()) if i.department == "quality"]
    assert (item.mode, item.priority, item.kind) == ("watch", 3, "spc_watch")
    assert item.action.startswith("Watch P1 diameter: one lot (LOT7) broke WE2")


@pytest.mark.parametrize("rule", ["WE1", "WE4"])
def test_a_point_beyond_3_sigma_or_a_sustained_run_is_an_action(
    rule: str, insert: Insert, load: Callable[[], ReportData]
) -> None:
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": "LOT7",
                "rule": rule,
                "value": 10.2,
                "ts": datetime(2026, 3, 9, 8),
            }
        ],
    )
    [item] = [i for i in compute_instructions(load()) if i.department == "quality"]
    assert (item.mode, item.kind) == ("action", "spc_special_cause")


# --- night to night ------------------------------------------------------------------------


def _previous(items: list[Instruction]) -> dict[str, Previous]:
    return {
        i.instruction_key: Previous(
            i.instruction_key, i.priority, i.loss, i.first_seen, i.nights_open, i.full_row()
        )
        for i in items
    }


def test_keys_and_states_over_three_nights() -> None:
    """Night 1: A and B new. Night 2: A open, B's loss grew 50% (escalated), C new.
    Night 3: A open for 3 nights, B gone (resolved), C open."""
    d1, d2, d3 = AS_OF, AS_OF + timedelta(days=1), AS_OF + timedelta(days=2)

    def night(day: date, *items: Instruction) -> list[Instruction]:
        return triage(items, day, 14)

    a = _item(
        entity_id="A", loss=4.0, loss_day=d3 + timedelta(days=3), action="Service A (text 1)."
    )
    b = _item(entity_id="B", loss=10.0, loss_day=d3 + timedelta(days=3))
    c = _item(entity_id="C", loss=1.0, loss_day=d3 + timedelta(days=3))
    one, gone1 = track(night(d1, a, b), {}, d1)
    assert [(i.entity_id, i.state, i.nights_open, i.first_seen) for i in one] == [
        ("B", "new", 1, d1),
        ("A", "new", 1, d1),
    ]
    assert gone1 == []
    # The action text changes (new numbers); the key does not.
    a2 = replace(a, action="Service A (text 2).")
    two, gone2 = track(night(d2, a2, replace(b, loss=15.0), c), _previous(one), d2)
    assert {i.entity_id: (i.state, i.nights_open, i.first_seen) for i in two} == {
        "A": ("open", 2, d1),
        "B": ("escalated", 2, d1),
        "C": ("new", 1, d2),
    }
    assert gone2 == []
    three, gone3 = track(night(d3, a2, c), _previous(two), d3)
    assert {i.entity_id: (i.state, i.nights_open) for i in three} == {
        "A": ("open", 3),
        "C": ("open", 2),
    }
    assert [(p.row["entity_id"], p.nights_open) for p in gone3] == [("B", 2)]


def test_the_key_names_department_kind_entity_and_cause() -> None:
    item = _item(cause_id="machine:M1")
    assert key_of(item) == "maintenance|service_machine|machine:M1|machine:M1"


def test_reports_of_consecutive_nights_track_states_in_the_warehouse(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert
) -> None:
    """The same machine item two nights running is 'open' on the second; gone on the third,
    history.instruction_history lists it as resolved."""
    from tests.report.conftest import add_snapshot
    from twin_core.report.data import load_report_data, resolve_snapshot
    from twin_core.report.instructions import (
        history_frame,
        previous_instructions,
        write_instructions,
    )

    add_snapshot(warehouse, 2, AS_OF + timedelta(days=1))
    add_snapshot(warehouse, 3, AS_OF + timedelta(days=2))
    for sid in (1, 2):
        insert(
            "history.machine_health",
            [{"snapshot_id": sid, "machine_id": "M1", "line_id": "L1", "health_score": 0.5}],
        )
    states = []
    for sid in (1, 2, 3):
        snap = resolve_snapshot(warehouse, snapshot_id=sid)
        prev_day, prev = previous_instructions(warehouse, snap.as_of)
        items, resolved = track(
            compute_instructions(load_report_data(warehouse, snap)), prev, snap.as_of
        )
        write_instructions(
            warehouse, sid, items, history_frame(sid, snap.as_of, items, resolved, prev_day)
        )
        states.append(
            warehouse.execute(
                "select state, nights_open, previous_as_of from history.instruction_history "
                "where snapshot_id = ? and entity_id = 'M1'",
                [sid],
            ).fetchall()
        )
    assert states == [
        [("new", 1, None)],
        [("open", 2, AS_OF)],
        [("resolved", 2, AS_OF + timedelta(days=1))],
    ]


# --- the front page ------------------------------------------------------------------------


def test_front_page_shows_at_most_the_cap_and_collapses_the_rest() -> None:
    items = triage(
        [_item(entity_id=f"M{n}", loss=float(n), loss_day=TOMORROW) for n in range(1, 9)]
        + [_item(entity_id="W", mode="watch")],
        AS_OF,
        14,
    )
    html = "".join(
        str(h) for h in instruction_tables(items, departments=("maintenance",), max_items=5)
    )
    front, _, rest = html.partition("<details")
    assert front.count("machine M") == 5
    assert "machine M8" in front and "machine M3" not in front
    assert "4 more maintenance item(s)" in rest
    assert rest.count("machine M") == 3 and "machine W" in rest


def test_a_short_line_its_failing_bottleneck_and_its_late_material_share_one_cause(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Line L1 is short tomorrow, its bottleneck M2 reaches its limit in 3 days and MAT1 runs
    out on 2026-03-14: production, maintenance and procurement items carry cause line:L1."""
    from tests.report.conftest import short_line

    short_line(insert)
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M2",
                "line_id": "L1",
                "health_score": 0.5,
                "predicted_limit_date": date(2026, 3, 13),
            }
        ],
    )
    insert(
        "history.material_status",
        [
            {
                "material_id": "MAT1",
                "supplier_id": "SUP1",
                "on_hand": 10.0,
                "stockout_date": date(2026, 3, 14),
                "order_by_date": TOMORROW,
                "order_qty": 500.0,
                "demand_mean_daily": 100.0,
            }
        ],
    )
    items = compute_instructions(load())
    by_department = {
        d: {i.cause_id for i in items if i.department == d and i.priority == 1}
        for d in ("production", "maintenance", "procurement")
    }
    assert by_department == {
        "production": {"line:L1"},
        "maintenance": {"line:L1"},
        "procurement": {"line:L1"},
    }


# --- issue 18: what the snapshot stands on, at the top of each page --------------------------


def test_page_banner_names_partial_sources_and_says_when_coverage_is_unknown(
    warehouse: duckdb.DuckDBPyConnection, insert: Insert, load: Callable[[], ReportData]
) -> None:
    from twin_core.report.coverage import coverage_banner, coverage_markdown

    unknown = str(coverage_banner(load()))
    assert "not recorded for this snapshot" in unknown
    insert(
        "history.data_coverage",
        [
            {
                "site_id": "S1",
                "line_id": "L2",
                "source": "sensor_readings",
                "day": AS_OF,
                "required": True,
                "rows": 900,
                "completeness": 0.9,
                "status": "partial",
                "reason": "L2-M3-PWR: 300 of 1440 readings missing",
            },
            {
                "site_id": "S1",
                "line_id": "L1",
                "source": "sensor_readings",
                "day": AS_OF,
                "required": True,
                "rows": 1440,
                "completeness": 1.0,
                "status": "ok",
            },
        ],
    )
    partial = str(coverage_banner(load()))
    assert "Partial data for 2026-03-10" in partial
    assert "sensor_readings: partial on line L2, 90% of what was expected at worst" in partial
    assert "L2-M3-PWR: 300 of 1440 readings missing" in partial
    assert "L1" not in partial.split("sensor_readings")[1]
    assert coverage_markdown(load())[0] == "**Partial data** (history.data_coverage):"


def test_degraded_snapshot_says_so_on_every_page(
    warehouse: duckdb.DuckDBPyConnection, load: Callable[[], ReportData]
) -> None:
    from twin_core.report.coverage import coverage_banner

    warehouse.execute(
        "update history.snapshots set degraded = true, degraded_reasons = ? where snapshot_id = 1",
        ['["machine_events missing for 2026-03-10 (required)"]'],
    )
    banner = str(coverage_banner(load()))
    assert "Degraded snapshot" in banner
    assert "machine_events missing for 2026-03-10 (required)" in banner


def _dropout(sensor: str, machine: str = "M1") -> dict[str, object]:
    return {
        "sensor_id": sensor,
        "machine_id": machine,
        "status": "dropout",
        "since": datetime(2026, 3, 10, 3),
    }


def test_a_machine_whose_sensors_all_stopped_is_one_item_not_one_per_sensor(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    insert(
        "history.sensor_status",
        [_dropout("S1"), _dropout("S2"), _dropout("S3"), _dropout("S9", "M2")],
    )
    items = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert sorted((i.kind, i.entity_id) for i in items) == [
        ("machine_data_link", "M1"),
        ("sensor_dropout", "S9"),
    ]
    [link] = [i for i in items if i.kind == "machine_data_link"]
    assert link.action.startswith("Check the data link of machine M1: its sensors S1, S2, S3")


def test_missing_sensor_readings_say_cannot_say_once_instead_of_every_sensor(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """No readings for the as-of day: one 'cannot say' maintenance item, no dropout items."""
    insert("history.sensor_status", [_dropout(f"S{n}", f"M{n}") for n in range(1, 6)])
    insert(
        "history.data_coverage",
        [
            {
                "site_id": "S1",
                "source": "sensor_readings",
                "day": AS_OF,
                "required": True,
                "rows": 0,
                "status": "missing",
                "reason": "no rows for the day",
            }
        ],
    )
    items = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert [(i.kind, i.priority) for i in items] == [("cannot_say", 2)]
    assert items[0].action.startswith(
        "Cannot say machine health and sensor faults for 2026-03-10: no sensor_readings arrived"
    )


def test_an_optional_source_missing_is_neither_a_cannot_say_item_nor_on_the_banner(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """Shifts (optional) never delivered and no feedback today: nothing to say about them."""
    from twin_core.report.coverage import coverage_banner

    insert(
        "history.data_coverage",
        [
            {
                "site_id": "S1",
                "source": "shifts",
                "day": AS_OF,
                "required": False,
                "rows": 0,
                "status": "missing",
                "reason": "no shifts",
            },
            {
                "site_id": "S1",
                "source": "customer_feedback",
                "day": AS_OF,
                "required": False,
                "rows": 0,
                "status": "missing",
                "reason": "no rows",
            },
        ],
    )
    assert [i for i in compute_instructions(load()) if i.kind == "cannot_say"] == []
    assert "Data coverage: complete for 2026-03-10" in str(coverage_banner(load()))
