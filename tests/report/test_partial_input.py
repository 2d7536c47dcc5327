"""Issue 18: an instruction standing on partial input says so in its reason, naming the
source, the line and the completeness; items on complete lines are untouched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tests.report.conftest import AS_OF, Insert, machines, short_line
from twin_core.report import ReportData, compute_instructions
from twin_core.report.rules.cannot_say import input_sources


def _coverage(line: str, source: str, status: str, completeness: float | None) -> dict[str, object]:
    return {
        "site_id": "S1",
        "line_id": line,
        "source": source,
        "day": AS_OF,
        "required": True,
        "rows": 100,
        "completeness": completeness,
        "status": status,
        "reason": f"{line}: {status}",
    }


def test_input_sources_follow_the_stamps_of_the_history_tables_named() -> None:
    assert input_sources("history.sensor_status") == ["sensor_readings"]
    assert input_sources("history.machine_health, history.line_forecast, core.machine_events") == [
        "sensor_readings",
        "machine_events",
        "production",
    ]
    assert input_sources("history.material_status, core.purchase_orders") == []


def test_a_sensor_item_on_a_partial_line_says_so_and_one_on_a_complete_line_does_not(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    machines(insert)
    insert(
        "history.sensor_status",
        [
            {
                "sensor_id": "S3",
                "machine_id": "M3",
                "status": "stuck",
                "since": datetime(2026, 3, 10, 3),
            },
            {
                "sensor_id": "S1",
                "machine_id": "M1",
                "status": "stuck",
                "since": datetime(2026, 3, 10, 3),
            },
        ],
    )
    insert(
        "history.data_coverage",
        [
            _coverage("L2", "sensor_readings", "partial", 0.583),
            _coverage("L1", "sensor_readings", "ok", 1.0),
            # Partial events on L2 do not touch a sensor item: it does not stand on them.
            _coverage("L2", "machine_events", "partial", 0.5),
        ],
    )
    items = {i.entity_id: i for i in compute_instructions(load()) if i.kind == "sensor_stuck"}
    assert items["S3"].reason.endswith("(partial input: sensor_readings line L2 58% complete)")
    assert "partial input" not in items["S1"].reason


def test_a_line_item_names_every_partial_source_it_stands_on(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """The short-line item of L1 stands on the forecast (events, production)."""
    short_line(insert)
    insert(
        "history.data_coverage",
        [
            _coverage("L1", "machine_events", "partial", 0.75),
            _coverage("L1", "production", "partial", None),
            _coverage("L1", "sensor_readings", "partial", 0.5),
        ],
    )
    line_items = [
        i
        for i in compute_instructions(load())
        if i.department == "production" and i.line_id == "L1"
    ]
    assert line_items
    for item in line_items:
        assert item.reason.endswith(
            "(partial input: machine_events line L1 75% complete; "
            "production line L1 completeness unknown)"
        ), item.reason


def test_a_partial_row_of_another_day_leaves_the_reason_alone(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    machines(insert)
    insert(
        "history.sensor_status",
        [
            {
                "sensor_id": "S3",
                "machine_id": "M3",
                "status": "stuck",
                "since": datetime(2026, 3, 9),
            }
        ],
    )
    row = _coverage("L2", "sensor_readings", "partial", 0.5) | {"day": AS_OF.replace(day=9)}
    insert("history.data_coverage", [row])
    [item] = [i for i in compute_instructions(load()) if i.kind == "sensor_stuck"]
    assert "partial input" not in item.reason


def test_two_wholly_silent_machines_of_a_line_are_one_data_link_item_for_the_line(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """M1 and M2 (line L1) lost every sensor: one line item; M3 (L2) lost one of two: its own."""
    machines(insert)
    since = datetime(2026, 3, 10, 14)
    rows = [
        {"sensor_id": s, "machine_id": m, "status": status, "since": since}
        for s, m, status in [
            ("A1", "M1", "dropout"),
            ("A2", "M1", "dropout"),
            ("B1", "M2", "dropout"),
            ("C1", "M3", "dropout"),
            ("C2", "M3", "ok"),
        ]
    ]
    insert("history.sensor_status", rows)
    items = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert sorted((i.kind, i.entity_id, i.line_id) for i in items) == [
        ("line_data_link", "L1", "L1"),
        ("sensor_dropout", "C1", None),
    ]
    [link] = [i for i in items if i.kind == "line_data_link"]
    assert link.action.startswith(
        "Check the data link of line L1: every sensor of its machines M1, M2"
    )


def test_an_item_standing_on_a_missing_source_of_its_line_is_dropped_for_the_cannot_say_note(
    insert: Insert, load: Callable[[], ReportData]
) -> None:
    """No readings for line L2: its sensor item goes, line L1's stays, one 'cannot say' note."""
    machines(insert)
    insert(
        "history.sensor_status",
        [
            {
                "sensor_id": "S3",
                "machine_id": "M3",
                "status": "stuck",
                "since": datetime(2026, 3, 10),
            },
            {
                "sensor_id": "S1",
                "machine_id": "M1",
                "status": "stuck",
                "since": datetime(2026, 3, 10),
            },
        ],
    )
    insert("history.data_coverage", [_coverage("L2", "sensor_readings", "missing", 0.0)])
    items = [i for i in compute_instructions(load()) if i.department == "maintenance"]
    assert sorted((i.kind, i.entity_id) for i in items) == [
        ("cannot_say", "sensor_readings"),
        ("sensor_stuck", "S1"),
    ]
    [note] = [i for i in items if i.kind == "cannot_say"]
    assert "for line L2" in note.action
