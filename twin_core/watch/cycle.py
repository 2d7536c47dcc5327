"""One quality-watch cycle: judge what arrived since the last cycle with the current
snapshot's control limits and run rules, the pre-emptive drift checks and the sensor-fault
checks, and record each new finding once in ``history.quality_alerts``.

Grain: one call of ``watch_cycle`` is one row of ``history.watch_runs``; it judges the ingest
batches validated and promoted since the last cycle (``history.watch_batches`` remembers each
batch's cycle, so a batch is judged once), and writes one alert per finding never seen before, or seen before and cleared by the nightly
and now back in newer data (a new generation of the finding, ``alert_key`` ``<finding>#<n>``).

What a cycle reads and never rebuilds: the control limits are the current snapshot's
(``history.spc_limits``); the rules are ``settings.spc_rules``; drift and sensor faults use the
same functions and parameters as the nightly's builders (``twin_core.twin.quality`` and
``twin_core.twin.machines``) over a lookback that ends at the newest data instead of the end
of a plant day. The first cycle after a snapshot exists takes the batches that snapshot was
built on as judged (the nightly judged them), so installing the watch on a plant with
history does not alert the whole history.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from twin_core.rebuild import CoreInputs, SnapshotContext
from twin_core.settings import Settings
from twin_core.sim.machines.sensor_faults import sensor_status
from twin_core.sim.machines.sensor_hours import HealthParams, prepare_hours
from twin_core.sim.quality import attributes, prequality, spc
from twin_core.sim.quality import holds as quality_holds
from twin_core.sim.quality.watch_alerts import (
    ALERT_SCHEMA,
    WatchRules,
    corroborated,
    drift_findings,
    sensor_findings,
    spc_findings,
)
from twin_core.twin import sensor_cache
from twin_core.twin.quality import PARAMS as DRIFT_PARAMS
from twin_core.warehouse import append_frame, fetch_polars, transaction

__all__ = ["WatchCycle", "record_alerts", "watch_cycle"]

HEALTH = HealthParams()
RULES = WatchRules()
VARIABLE_CHARTS = ("I-MR", "Xbar-R", "Xbar-S")
HOUR = timedelta(hours=1)


@dataclass
class WatchCycle:
    """What one cycle judged and found; ``alerts`` are the new alerts (dicts of the table)."""

    cycle_id: int
    snapshot_id: int | None
    batches: list[str] = field(default_factory=list)
    data_cut: datetime | None = None
    new_lots: int = 0
    new_records: int = 0
    new_sensor_hours: int = 0
    findings: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def summary(self) -> str:
        if self.note and not self.batches:
            return f"watch cycle {self.cycle_id}: {self.note}"
        return (
            f"watch cycle {self.cycle_id} (snapshot {self.snapshot_id}): {len(self.batches)} "
            f"batch(es) up to {self.data_cut}, {self.new_lots} lot(s), {self.new_records} "
            f"production record(s), {self.new_sensor_hours} sensor hour(s); {self.findings} "
            f"finding(s), {len(self.alerts)} new alert(s)" + (f"; {self.note}" if self.note else "")
        )

    def to_markdown(self) -> str:
        lines = [f"## Quality watch, cycle {self.cycle_id}", "", self.summary(), ""]
        if self.alerts:
            lines += ["| alert | lot | machine | rule | evidence |", "|---|---|---|---|---|"]
            for a in self.alerts:
                ev = str(a.get("evidence") or "").replace("|", "/")
                lines.append(
                    f"| `{a['alert_key']}` | {a.get('lot_id') or '-'} | "
                    f"{a.get('machine_id') or '-'} | {a['rule']} | {ev} |"
                )
        else:
            lines.append("No new alerts.")
        return "\n".join(lines) + "\n"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    row = con.execute(sql, params).fetchone() if params is not None else con.execute(sql).fetchone()
    return row[0] if row else None


def _pending_batches(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select batch_id from ingest.batches b where status = 'completed' "
        "and validation_status in ('passed', 'passed_with_quarantine') "
        "and not exists (select 1 from history.watch_batches w where w.batch_id = b.batch_id) "
        "order by validated_at, batch_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _snapshot_batches(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> list[str]:
    """First cycle: the batches validated before the current snapshot was built (it judged
    them) and not judged by a cycle yet."""
    built = _scalar(
        con, "select created_at from history.snapshots where snapshot_id = ?", [snapshot_id]
    )
    if built is None:
        return []
    before = con.execute(
        "select batch_id from ingest.batches b where validated_at <= ? and not exists "
        "(select 1 from history.watch_batches w where w.batch_id = b.batch_id) order by 1",
        [built],
    ).fetchall()
    return [str(r[0]) for r in before]


def _in_batches(con: duckdb.DuckDBPyConnection, sql: str, batches: list[str]) -> pl.DataFrame:
    return fetch_polars(con, sql, {"batches": batches})


def _spc(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_id: int, batches: list[str]
) -> tuple[pl.LazyFrame, int, pl.DataFrame]:
    """Findings on control charts (variables and attributes) of the lots in ``batches``."""
    baseline = settings.baseline_subgroups
    new_lots = _in_batches(
        con,
        "select distinct product_id, characteristic, lot_id from core.inspections "
        "where _batch_id in (select unnest($batches::varchar[]))",
        batches,
    )
    new_defect_lots = _in_batches(
        con,
        "select distinct product_id, lot_id from core.defects "
        "where _batch_id in (select unnest($batches::varchar[]))",
        batches,
    )
    limits = fetch_polars(
        con,
        "select * exclude (snapshot_id, site_id) from history.spc_limits where snapshot_id = ?",
        [snapshot_id],
    ).lazy()
    frames: list[pl.LazyFrame] = []
    inspections = pl.DataFrame()
    if new_lots.height:
        series = new_lots.select("product_id", "characteristic").unique()
        inspections = fetch_polars(
            con,
            "select i.product_id, i.characteristic, i.lot_id, i.ts, i.value, i.machine_id "
            "from core.inspections i semi join (select unnest($p::varchar[]) as product_id, "
            "unnest($c::varchar[]) as characteristic) s using (product_id, characteristic)",
            {"p": series["product_id"].to_list(), "c": series["characteristic"].to_list()},
        )
        groups = spc.subgroups(inspections.lazy()).collect().lazy()
        var_limits = limits.filter(pl.col("chart").is_in(VARIABLE_CHARTS))
        points = spc.chart_points(groups, var_limits, baseline)
        viol = spc.violations(points, settings.spc_rules)
        firings = corroborated(viol, groups, RULES)
        frames.append(
            spc_findings(
                firings, new_lots.lazy(), quality_holds.lot_machines(inspections.lazy()), RULES
            )
        )
    if new_defect_lots.height:
        products = new_defect_lots["product_id"].unique().to_list()
        defects = fetch_polars(
            con,
            "select * from core.defects where product_id in (select unnest($p::varchar[]))",
            {"p": products},
        )
        agroups = attributes.attribute_subgroups(defects.lazy())
        # The snapshot's attribute limits (its rates), not recomputed: only its series.
        apoints = attributes.attribute_points(
            agroups, baseline, attributes.rates_from_limits(limits)
        )
        aviol = spc.violations(apoints, settings.spc_rules)
        frames.append(
            spc_findings(
                corroborated(aviol, agroups, RULES),
                new_defect_lots.lazy(),
                pl.LazyFrame(
                    schema={
                        "product_id": pl.String,
                        "characteristic": pl.String,
                        "lot_id": pl.String,
                        "machine_id": pl.String,
                    }
                ),
                RULES,
            )
        )
    found = pl.concat(frames) if frames else pl.LazyFrame(schema=ALERT_SCHEMA)
    return found, new_lots.select("lot_id").n_unique(), inspections


def _drift(
    inputs: CoreInputs, settings: Settings, batches: list[str], cut: datetime
) -> tuple[pl.LazyFrame, int]:
    """Pre-emptive drift findings on the production records in ``batches``."""
    con = inputs.con
    new_records = _in_batches(
        con,
        "select record_id from core.production "
        "where _batch_id in (select unnest($batches::varchar[]))",
        batches,
    )
    if not new_records.height:
        return pl.LazyFrame(schema=ALERT_SCHEMA), 0
    end = cut.replace(minute=0, second=0, microsecond=0) + HOUR
    since = end - timedelta(days=DRIFT_PARAMS.lookback_days)
    production = fetch_polars(
        con,
        "select * from core.production where end_ts < ? and end_ts >= ?",
        [end, since],
    ).lazy()
    inspections = fetch_polars(
        con,
        "select product_id, characteristic, lot_id, ts, value, machine_id from core.inspections "
        "where ts < ? and ts >= ?",
        [end, since - timedelta(days=1)],
    ).lazy()
    hourly = sensor_cache.quality_hourly(inputs, since, end).lazy()
    baseline = settings.baseline_subgroups
    features = prequality.lot_sensor_features(production, hourly).collect().lazy()
    drift = prequality.sensor_drift(features, baseline, DRIFT_PARAMS)
    groups = spc.subgroups(inspections)
    sens = prequality.sensitivity(features, groups)
    links = prequality.drift_links(drift, prequality.process_links(inspections), sens, DRIFT_PARAMS)
    return drift_findings(links, new_records.lazy()), new_records.height


def _sensors(inputs: CoreInputs, batches: list[str]) -> tuple[pl.LazyFrame, int, datetime | None]:
    """Sensor-fault findings over the hours the sensor batches in ``batches`` cover."""
    con = inputs.con
    row = con.execute(
        "select min(ts_min), max(ts_max) from core.promoted_batches "
        "where source = 'sensor_readings' and batch_id in (select unnest(?::varchar[]))",
        [batches],
    ).fetchone()
    if not row or row[0] is None:
        return pl.LazyFrame(schema=ALERT_SCHEMA), 0, None
    first: datetime = row[0]
    last: datetime = row[1]
    status_start = first.replace(minute=0, second=0, microsecond=0)
    end = last.replace(minute=0, second=0, microsecond=0) + HOUR
    start = end - timedelta(hours=HEALTH.lookback_hours)
    sensors = fetch_polars(
        con, "select sensor_id, machine_id, metric, valid_min, valid_max from core.sensors"
    ).lazy()
    hourly = sensor_cache.sensor_hours(inputs, start, end).lazy()
    hours = prepare_hours(hourly, sensors, HEALTH).collect().lazy()
    status = sensor_status(
        hours,
        sensors,
        lookback_start=start,
        status_start=status_start,
        end=end,
        params=HEALTH,
    )
    new_hours = int((end - status_start) / HOUR) * int(
        _scalar(con, "select count(*) from core.sensors") or 0
    )
    return sensor_findings(status), new_hours, last


def _with_sites(con: duckdb.DuckDBPyConnection, found: pl.DataFrame) -> pl.DataFrame:
    machines = fetch_polars(con, "select machine_id, site_id from core.machines")
    products = fetch_polars(
        con,
        "select p.product_id, min(m.site_id) as product_site from core.products p "
        "join core.machines m on m.line_id = p.line_id group by p.product_id",
    )
    sensors = fetch_polars(con, "select sensor_id, machine_id as sensor_machine from core.sensors")
    return (
        found.join(sensors, on="sensor_id", how="left")
        .with_columns(machine_id=pl.coalesce("machine_id", "sensor_machine"))
        .drop("sensor_machine")
        .join(machines, on="machine_id", how="left")
        .join(products, on="product_id", how="left")
        .with_columns(site_id=pl.coalesce("site_id", "product_site"))
        .drop("product_site")
    )


def _latest_alerts(
    con: duckdb.DuckDBPyConnection, settings: Settings, keys: list[str]
) -> dict[str, tuple[str, int, str, datetime | None]]:
    """Per finding key: its latest alert's key, generation, state and, when the nightly
    cleared it, the end of the cleared snapshot's as-of day (UTC): the data it had seen."""
    rows = con.execute(
        "select coalesce(a.finding_key, a.alert_key) as finding, a.alert_key, "
        "coalesce(a.generation, 1) as generation, a.state, s.as_of "
        "from history.quality_alerts a left join history.snapshots s "
        "on s.snapshot_id = a.state_snapshot_id "
        "where coalesce(a.finding_key, a.alert_key) in (select unnest(?::varchar[])) "
        "qualify row_number() over (partition by finding order by generation desc) = 1",
        [keys],
    ).fetchall()
    tz = ZoneInfo(settings.timezone)
    out: dict[str, tuple[str, int, str, datetime | None]] = {}
    for finding, alert_key, generation, state, as_of in rows:
        cut = None
        if state == "cleared" and as_of is not None:
            end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            cut = end.astimezone(UTC).replace(tzinfo=None)
        out[str(finding)] = (str(alert_key), int(generation), str(state), cut)
    return out


def record_alerts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    found: pl.DataFrame,
    cycle_id: int,
    now: datetime,
    cut: datetime | None,
) -> list[dict[str, Any]]:
    """Insert the findings never alerted before, and those the nightly cleared that newer
    data shows again (a new generation: ``<finding>#<n>``); touch last_seen of the others."""
    if not found.height:
        return []
    found = found.rename({"alert_key": "finding_key"}).unique(
        "finding_key", keep="first", maintain_order=True
    )
    latest = _latest_alerts(con, settings, found["finding_key"].to_list())
    seen: list[str] = []
    alert_keys: list[str] = []
    generations: list[int] = []
    follows: list[str | None] = []
    for finding, data_ts in found.select("finding_key", "data_ts").iter_rows():
        before = latest.get(finding)
        if before is None:
            alert_keys.append(finding)
            generations.append(1)
            follows.append(None)
            continue
        key, generation, state, cleared_cut = before
        # Cleared, and the finding is in data newer than the nightly that cleared it had:
        # it came back. Data the nightly had seen (or no data time) is the same finding.
        recurs = (
            state == "cleared"
            and cleared_cut is not None
            and data_ts is not None
            and data_ts >= cleared_cut
        )
        if recurs:
            alert_keys.append(f"{finding}#{generation + 1}")
            generations.append(generation + 1)
            follows.append(key)
        else:
            seen.append(key)
            alert_keys.append("")
            generations.append(0)
            follows.append(None)
    if seen:
        con.execute(
            "update history.quality_alerts set last_seen = ? "
            "where alert_key in (select unnest(?::varchar[]))",
            [now, sorted(seen)],
        )
    new = found.with_columns(
        alert_key=pl.Series(alert_keys, dtype=pl.String),
        generation=pl.Series(generations, dtype=pl.Int32),
        follows=pl.Series(follows, dtype=pl.String),
    ).filter(pl.col("generation") > 0)
    if not new.height:
        return []
    rows = new.with_columns(
        first_seen=pl.lit(now, pl.Datetime("us")),
        first_cycle=pl.lit(cycle_id, pl.Int64),
        data_cut=pl.lit(cut, pl.Datetime("us")),
        last_seen=pl.lit(now, pl.Datetime("us")),
        state=pl.lit("open"),
    )
    append_frame(con, "history", "quality_alerts", rows)
    return rows.to_dicts()


def watch_cycle(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, now: datetime | None = None
) -> WatchCycle:
    """Judge the batches promoted since the last cycle; record new alerts (one transaction)."""
    started = time.perf_counter()
    wall = now or datetime.now(UTC).replace(tzinfo=None)
    cycle_id = int(_scalar(con, "select coalesce(max(cycle_id), 0) + 1 from history.watch_runs"))
    snapshot = _scalar(con, "select twin.current_snapshot()")
    result = WatchCycle(cycle_id, int(snapshot) if snapshot is not None else None)
    adopted: list[str] = []
    if result.snapshot_id is None:
        result.note = "no snapshot yet: the control limits come from the nightly"
    else:
        first = not _scalar(
            con, "select count(*) from history.watch_runs where snapshot_id is not null"
        )
        if first:
            adopted = _snapshot_batches(con, result.snapshot_id)
            if adopted:
                result.note = (
                    f"first cycle: {len(adopted)} batch(es) the snapshot was built on taken "
                    "as judged by the nightly"
                )
        result.batches = [b for b in _pending_batches(con) if b not in set(adopted)]
    # Computed before the transaction: the sensor-hour cache commits days of its own.
    found = _judge(con, settings, result) if result.batches else None
    with transaction(con):
        if found is not None:
            result.alerts = record_alerts(con, settings, found, cycle_id, wall, result.data_cut)
        con.execute(
            "insert into history.watch_batches select unnest(?::varchar[]), ?",
            [[*adopted, *result.batches], cycle_id],
        )
        result.seconds = time.perf_counter() - started
        con.execute(
            "insert into history.watch_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cycle_id,
                wall,
                datetime.now(UTC).replace(tzinfo=None),
                result.snapshot_id,
                json.dumps(result.batches),
                result.data_cut,
                result.new_lots,
                result.new_records,
                result.new_sensor_hours,
                result.findings,
                len(result.alerts),
                result.seconds,
                result.note or None,
            ],
        )
    return result


def _judge(con: duckdb.DuckDBPyConnection, settings: Settings, result: WatchCycle) -> pl.DataFrame:
    """The findings on the batches of ``result`` (filling in its counts and data cut)."""
    assert result.snapshot_id is not None
    batches = result.batches
    cut = _scalar(
        con,
        "select greatest((select max(ts) from core.inspections where _batch_id in "
        "(select unnest($b::varchar[]))), (select max(end_ts) from core.production where "
        "_batch_id in (select unnest($b::varchar[]))), (select max(ts) from core.defects where "
        "_batch_id in (select unnest($b::varchar[]))), (select max(ts_max) from "
        "core.promoted_batches where batch_id in (select unnest($b::varchar[]))))",
        {"b": batches},
    )
    result.data_cut = cut
    if cut is None:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    ctx = SnapshotContext(snapshot_id=result.snapshot_id, as_of=cut.date(), settings=settings)
    inputs = CoreInputs(con, ctx)
    spc_found, result.new_lots, _ = _spc(con, settings, result.snapshot_id, batches)
    drift_found, result.new_records = _drift(inputs, settings, batches, cut)
    sensor_found, result.new_sensor_hours, _ = _sensors(inputs, batches)
    found = _with_sites(con, pl.concat([spc_found, drift_found, sensor_found]).collect())
    result.findings = found.height
    return found
