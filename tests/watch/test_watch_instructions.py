"""The nightly's instructions include the watch's open alerts (twin_core.report.rules.quality
``watch_alert_items``), and triage gives them the policy priority like any other item."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from twin_core.report.data import ReportData, SnapshotInfo
from twin_core.report.rules.quality import watch_alert_items
from twin_core.report.triage import triage

AS_OF = date(2026, 3, 6)


def _data(alerts: pl.DataFrame | None) -> ReportData:
    snap = SnapshotInfo(7, AS_OF, datetime(2026, 3, 7, 2, 40), "test", "UTC")
    return ReportData(snapshot=snap, core={"watch_open_alerts": alerts})


def _alert(**kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "alert_key": "spc:P3:bore:LOT-9",
        "kind": "spc",
        "site_id": "S1",
        "lot_id": "LOT-9",
        "product_id": "P3",
        "characteristic": "bore",
        "machine_id": "L2-M2",
        "sensor_id": None,
        "rule": "WE1,WE2",
        "evidence": "lot LOT-9 of P3 bore: WE1, WE2",
        "data_ts": datetime(2026, 3, 7, 0, 20),
        "first_seen": datetime(2026, 3, 7, 1, 0),
    }
    row.update(kw)
    return row


def test_each_open_alert_is_one_quality_hold() -> None:
    alerts = pl.DataFrame(
        [
            _alert(),
            _alert(
                alert_key="drift:L2-M2:temperature:up",
                kind="drift",
                lot_id="LOT-8",
                rule="drift:temperature:up",
            ),
            _alert(
                alert_key="sensor:L1-M1-TEMP:stuck:2026-03-07T00:00:00",
                kind="sensor",
                lot_id=None,
                product_id=None,
                characteristic=None,
                machine_id="L1-M1",
                sensor_id="L1-M1-TEMP",
                rule="stuck",
            ),
        ]
    )
    items = watch_alert_items(_data(alerts))
    assert [(i.kind, i.entity_type, i.entity_id) for i in items] == [
        ("watch_spc", "lot", "LOT-9"),
        ("watch_drift", "machine", "L2-M2"),
        ("watch_sensor", "sensor", "L1-M1-TEMP"),
    ]
    assert items[0].action.startswith("Hold lot LOT-9 of P3 and re-inspect bore")
    assert "check its temperature" in items[1].action
    assert all("history.quality_alerts" in i.reason for i in items)
    assert all(i.department == "quality" and i.due_date == date(2026, 3, 7) for i in items)
    ranked = triage(items, AS_OF, 14)
    # No quantified loss: an action of priority 2 (never 1), with a stable key.
    assert {i.priority for i in ranked} == {2}
    assert len({i.instruction_key for i in ranked}) == 3


def test_no_watch_table_or_no_open_alert_gives_no_item() -> None:
    """An older warehouse without the watch's table (the query gives None) or no open alert."""
    assert watch_alert_items(_data(None)) == []
    assert watch_alert_items(_data(pl.DataFrame([_alert()]).clear())) == []
