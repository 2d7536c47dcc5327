"""A finding the nightly cleared that comes back in newer data is alerted again, as a new
generation of the finding (twin_core.watch.cycle.record_alerts); the same finding in data the
nightly had already seen, an open or a confirmed alert, is never alerted twice."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from twin_core.settings import Settings
from twin_core.sim.quality.watch_alerts import ALERT_SCHEMA
from twin_core.warehouse import open_warehouse
from twin_core.watch.cycle import record_alerts

DRIFT = "drift:L2-M2:temperature:up"
DAY = date(2026, 3, 5)
NIGHT_CUT = datetime(2026, 3, 6)  # end of DAY (UTC plant)


def _finding(data_ts: datetime, key: str = DRIFT) -> pl.DataFrame:
    row: dict[str, Any] = dict.fromkeys(ALERT_SCHEMA)
    row |= {
        "alert_key": key,
        "kind": "drift",
        "machine_id": "L2-M2",
        "lot_id": "LOT-L2-00001",
        "rule": "drift:temperature:up",
        "evidence": "temperature of L2-M2 drifting up",
        "data_ts": data_ts,
    }
    return pl.DataFrame([row], schema=ALERT_SCHEMA)


def _snapshot(con: duckdb.DuckDBPyConnection, snapshot_id: int, as_of: date) -> None:
    con.execute(
        "insert into history.snapshots (snapshot_id, as_of, created_at, status, code_version) "
        "values (?, ?, ?, 'complete', 'test')",
        [snapshot_id, as_of, datetime.now()],
    )


def _set_state(con: duckdb.DuckDBPyConnection, alert_key: str, state: str, snapshot: int) -> None:
    con.execute(
        "update history.quality_alerts set state = ?, state_snapshot_id = ?, state_at = ? "
        "where alert_key = ?",
        [state, snapshot, datetime.now(), alert_key],
    )


def _alerts(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "select alert_key, finding_key, generation, follows, state from history.quality_alerts "
        "order by generation"
    ).fetchall()


def _record(
    con: duckdb.DuckDBPyConnection, settings: Settings, data_ts: datetime, cycle: int
) -> list[dict[str, Any]]:
    now = data_ts + timedelta(minutes=30)
    return record_alerts(con, settings, _finding(data_ts), cycle, now, data_ts)


def test_a_cleared_finding_that_comes_back_is_a_new_generation(settings: Settings) -> None:
    with open_warehouse(settings) as con:
        first = _record(con, settings, datetime(2026, 3, 5, 10), 1)
        assert [a["alert_key"] for a in first] == [DRIFT]
        assert first[0]["generation"] == 1 and first[0]["follows"] is None
        _snapshot(con, 1, DAY)
        _set_state(con, DRIFT, "cleared", 1)
        # Data the clearing nightly had (before the end of its day): the same finding.
        assert _record(con, settings, datetime(2026, 3, 5, 22), 2) == []
        # Newer data: it came back.
        again = _record(con, settings, NIGHT_CUT + timedelta(hours=3), 3)
        assert [a["alert_key"] for a in again] == [f"{DRIFT}#2"]
        assert again[0]["generation"] == 2 and again[0]["follows"] == DRIFT
        # Open again: seen later, not alerted twice.
        assert _record(con, settings, NIGHT_CUT + timedelta(hours=5), 4) == []
        _snapshot(con, 2, DAY + timedelta(days=1))
        _set_state(con, f"{DRIFT}#2", "cleared", 2)
        third = _record(con, settings, NIGHT_CUT + timedelta(days=1, hours=2), 5)
        assert [a["alert_key"] for a in third] == [f"{DRIFT}#3"]
        assert third[0]["follows"] == f"{DRIFT}#2"
        assert _alerts(con) == [
            (DRIFT, DRIFT, 1, None, "cleared"),
            (f"{DRIFT}#2", DRIFT, 2, DRIFT, "cleared"),
            (f"{DRIFT}#3", DRIFT, 3, f"{DRIFT}#2", "open"),
        ]


def test_a_confirmed_finding_is_not_alerted_again(settings: Settings) -> None:
    """Confirmed: the nightly found it too and its instructions carry it."""
    with open_warehouse(settings) as con:
        _record(con, settings, datetime(2026, 3, 5, 10), 1)
        _snapshot(con, 1, DAY)
        _set_state(con, DRIFT, "confirmed", 1)
        assert _record(con, settings, NIGHT_CUT + timedelta(hours=3), 2) == []
        last_seen = con.execute(
            "select last_seen from history.quality_alerts where alert_key = ?", [DRIFT]
        ).fetchone()
        assert last_seen == (NIGHT_CUT + timedelta(hours=3, minutes=30),)
        assert len(_alerts(con)) == 1


def test_an_alert_written_before_generations_counts_as_the_first(settings: Settings) -> None:
    """Rows without finding_key (written before migration 130 or by hand) are generation 1."""
    with open_warehouse(settings) as con:
        con.execute(
            "insert into history.quality_alerts (alert_key, kind, rule, data_ts, first_seen, "
            "first_cycle, state) values (?, 'drift', 'drift:temperature:up', ?, ?, 1, 'open')",
            [DRIFT, datetime(2026, 3, 5, 10), datetime(2026, 3, 5, 11)],
        )
        _snapshot(con, 1, DAY)
        assert _record(con, settings, datetime(2026, 3, 5, 12), 2) == []
        _set_state(con, DRIFT, "cleared", 1)
        again = _record(con, settings, NIGHT_CUT + timedelta(hours=1), 3)
        assert [a["alert_key"] for a in again] == [f"{DRIFT}#2"]
