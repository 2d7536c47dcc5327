"""The nightly's word on the watch's alerts, and the small publish of the watch's tables.

``reconcile_alerts`` (the nightly, after its rebuild): every open alert about data the new
snapshot covers (``data_ts`` before the end of its as-of day) becomes ``confirmed`` when the
snapshot found the same thing, else ``cleared``:

| kind | confirmed when the snapshot has |
|---|---|
| spc | a run rule on the lot (history.spc_violations) or the lot in history.lots_to_hold |
| drift | the machine's metric drifting the same way (history.quality_drift) |
| sensor | the sensor in the same fault (history.sensor_status) |

Alerts about later data stay open (the nightly's instructions list them).

``publish_alerts``: ``plant.duckdb`` is replaced whole (twin_core/publish.py): the watch copies
the published file, replaces its watch tables in the copy, checkpoints, closes and
``os.replace``-s it, under the TWIN_HOME lock. Readers keep the file they opened; a failure
before the swap leaves the published file as it was.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from twin_core.publish import remove_stale_builds, replacement, swap_in
from twin_core.runlock import home_lock
from twin_core.settings import Settings
from twin_core.warehouse import connect, open_warehouse, quote_ident, transaction

__all__ = ["WATCH_TABLES", "AlertStates", "open_alerts", "publish_alerts", "reconcile_alerts"]

WATCH_TABLES: tuple[str, ...] = ("quality_alerts", "watch_runs", "watch_batches")

_CONFIRMED = {
    "spc": (
        "exists (select 1 from history.spc_violations v where v.snapshot_id = $s "
        "and v.lot_id = a.lot_id and v.product_id = a.product_id "
        "and v.characteristic = a.characteristic and not coalesce(v.in_baseline, false)) "
        "or exists (select 1 from history.lots_to_hold h where h.snapshot_id = $s "
        "and h.lot_id = a.lot_id)"
    ),
    "drift": (
        "exists (select 1 from history.quality_drift d where d.snapshot_id = $s "
        "and d.machine_id = a.machine_id and 'drift:' || d.metric || ':' || d.direction = a.rule)"
    ),
    "sensor": (
        "exists (select 1 from history.sensor_status t where t.snapshot_id = $s "
        "and t.sensor_id = a.sensor_id and t.status = a.rule)"
    ),
}


@dataclass(frozen=True)
class AlertStates:
    """How many open alerts a snapshot confirmed and cleared, and how many stay open."""

    snapshot_id: int
    confirmed: int
    cleared: int
    still_open: int


def _cut(con: duckdb.DuckDBPyConnection, snapshot_id: int, settings: Settings) -> datetime:
    row = con.execute(
        "select as_of from history.snapshots where snapshot_id = ?", [snapshot_id]
    ).fetchone()
    if not row:
        raise ValueError(f"snapshot {snapshot_id} does not exist")
    tz = ZoneInfo(settings.timezone)
    end = datetime.combine(row[0] + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return end.astimezone(UTC).replace(tzinfo=None)


def reconcile_alerts(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_id: int
) -> AlertStates:
    """Confirm or clear the open alerts the snapshot ``snapshot_id`` covers (one transaction)."""
    cut = _cut(con, snapshot_id, settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    confirmed = cleared = 0
    with transaction(con):
        for kind, found in _CONFIRMED.items():
            covered = "a.state = 'open' and a.kind = $k and a.data_ts < $cut"
            params = {"s": snapshot_id, "k": kind, "cut": cut, "now": now}
            row = con.execute(
                "update history.quality_alerts a set state = 'confirmed', state_at = $now, "
                "state_snapshot_id = $s, state_reason = 'the nightly found it too' "
                f"where {covered} and ({found}) returning 1",
                params,
            ).fetchall()
            confirmed += len(row)
            row = con.execute(
                "update history.quality_alerts a set state = 'cleared', state_at = $now, "
                "state_snapshot_id = $s, state_reason = 'the nightly, with the whole day, "
                f"did not find it' where {covered} returning 1",
                params,
            ).fetchall()
            cleared += len(row)
    left = con.execute(
        "select count(*) from history.quality_alerts where state = 'open'"
    ).fetchone()
    return AlertStates(snapshot_id, confirmed, cleared, int(left[0]) if left else 0)


def open_alerts(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """The open alerts, oldest first, as dicts of history.quality_alerts' columns."""
    cur = con.execute(
        "select * from history.quality_alerts where state = 'open' order by first_seen, alert_key"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def publish_alerts(settings: Settings) -> bool:
    """Swap a ``plant.duckdb`` with the warehouse's watch tables in; False when nothing is
    published yet (the nightly's publish will carry them)."""
    final = settings.published_path
    with home_lock(settings, "publish quality alerts"):
        if not final.exists():
            return False
        remove_stale_builds(final)
        with replacement(final) as tmp:
            shutil.copyfile(final, tmp)
            with open_warehouse(settings) as con:
                con.execute("attach ? as pub", [str(tmp)])
                try:
                    for table in WATCH_TABLES:
                        t = quote_ident(table)
                        con.execute(
                            f"create or replace table pub.history.{t} as select * from history.{t}"
                        )
                finally:
                    con.execute("detach pub")
            pub = connect(tmp, settings=settings)
            try:
                # The view may be missing in a file published before the watch existed.
                pub.execute(
                    "create or replace view twin.quality_alerts as select * from "
                    "history.quality_alerts order by first_seen desc, alert_key"
                )
                pub.execute("checkpoint")
            finally:
                pub.close()
            swap_in(tmp, final)
    return True
