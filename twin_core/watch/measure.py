"""The replay measured against the plant's ground_truth.json.

For every injected quality fault (``quality_mean_shift``: bad lots; ``temperature_drift``: a
drifting sensor) and sensor fault (``stuck_sensor``, ``sensor_dropout``):

- its first detectable data, from hindsight over the whole replay: the mean shift's first lot
  the watch's hold rule flags with the latest snapshot's limits over every lot (the hour its
  last inspection landed); the drift's first alarming production record in the latest
  snapshot's twin.quality_drift (the hour it ended); a stuck sensor's ``stuck_min_hours``-th
  flat hour; a dropout's first hour past the dropout threshold;
- its alert: the first alert naming the fault's entities (product and characteristic, machine
  and metric, sensor and status) about data at or after the fault's start;
- the latency in watch cycles: hours from the end of the landing hour of the first detectable
  data to the alert's cycle (0: the cycle that judged that hour alerted it; the target is at
  most 1 for every quality fault).

Alerts naming no injected fault's entities (nor the sensor of a dirty reading the ground
truth lists) are ``unexplained`` (the target on a fault-free plant: no alerts at all). A fault
whose first detectable data comes after the replayed hours is listed in ``after_replay``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from twin_core.settings import Settings
from twin_core.sim.machines.sensor_hours import HealthParams
from twin_core.sim.quality import spc
from twin_core.sim.quality.watch_alerts import WatchRules, corroborated
from twin_core.synth.truth import GroundTruth
from twin_core.warehouse import fetch_polars, open_warehouse
from twin_core.watch.driver import ReplayResult

__all__ = ["FaultLatency", "Measurement", "measure"]

QUALITY_FAULTS = ("quality_mean_shift", "temperature_drift")
SENSOR_FAULTS = ("stuck_sensor", "sensor_dropout")
HOUR = timedelta(hours=1)


@dataclass
class FaultLatency:
    kind: str
    entities: dict[str, str]
    fault_start: datetime
    first_detectable: datetime | None
    alert_key: str | None
    alerted_at: datetime | None
    cycles: float | None

    @property
    def within_one_cycle(self) -> bool:
        return self.cycles is not None and self.cycles <= 1


@dataclass
class Measurement:
    faults: list[FaultLatency] = field(default_factory=list)
    alerts: int = 0
    unexplained: list[str] = field(default_factory=list)
    hours: int = 0
    cycle_seconds_mean: float = 0.0
    cycle_seconds_max: float = 0.0

    after_replay: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{self.hours} hour(s) replayed, {self.alerts} alert(s); watch cycle "
            f"{self.cycle_seconds_mean:.2f} s mean, {self.cycle_seconds_max:.2f} s max"
        ]
        for f in self.faults:
            ents = ", ".join(f"{k}={v}" for k, v in f.entities.items())
            cyc = "not alerted" if f.cycles is None else f"{f.cycles:g} cycle(s)"
            out.append(
                f"{f.kind} ({ents}): first detectable {f.first_detectable}, alert "
                f"{f.alert_key} at {f.alerted_at}: {cyc}"
            )
        if self.after_replay:
            out.append("faults after the replayed hours: " + ", ".join(self.after_replay))
        out.append(
            f"unexplained alerts: {len(self.unexplained)}"
            + (f" ({', '.join(self.unexplained)})" if self.unexplained else "")
        )
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hour_end(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0) + HOUR


def _shift_first(con: Any, settings: Settings, product: str, char: str, start: datetime) -> Any:
    ins = fetch_polars(
        con,
        "select product_id, characteristic, lot_id, ts, value from core.inspections "
        "where product_id = ? and characteristic = ?",
        [product, char],
    )
    limits = fetch_polars(
        con,
        "select * exclude (snapshot_id, site_id) from twin.spc_limits "
        "where product_id = ? and characteristic = ?",
        [product, char],
    )
    if ins.is_empty() or limits.is_empty():
        return None
    groups = spc.subgroups(ins.lazy()).collect().lazy()
    points = spc.chart_points(groups, limits.lazy(), settings.baseline_subgroups)
    fired = (
        corroborated(spc.violations(points, settings.spc_rules), groups, WatchRules())
        .filter(pl.col("ts") >= start)
        .sort("ts")
        .collect()
    )
    if fired.is_empty():
        return None
    lot = fired["lot_id"][0]
    return ins.filter(pl.col("lot_id") == lot)["ts"].max()


def measure(settings: Settings, plant_root: Path, result: ReplayResult) -> Measurement:
    truth = GroundTruth.load(plant_root / "ground_truth.json")
    hp = HealthParams()
    alerts = pl.DataFrame(result.alerts) if result.alerts else pl.DataFrame()
    m = Measurement(
        alerts=alerts.height,
        hours=len(result.hours),
        cycle_seconds_mean=sum(result.cycle_seconds) / max(1, len(result.hours)),
        cycle_seconds_max=max(result.cycle_seconds, default=0.0),
    )
    explained: set[str] = set()
    last = result.hours[-1] if result.hours else None
    replay_end = (
        datetime.combine(last.day, datetime.min.time()) + timedelta(hours=last.hour + 1)
        if last
        else datetime.min
    )
    with open_warehouse(settings) as con:
        for fault in truth.faults:
            if fault.kind not in QUALITY_FAULTS + SENSOR_FAULTS:
                continue
            e = fault.entities
            first: datetime | None = None
            match = pl.lit(False)
            if fault.kind == "quality_mean_shift":
                first = _shift_first(
                    con, settings, e["product_id"], e["characteristic"], fault.start
                )
                match = (
                    (pl.col("kind") == "spc")
                    & (pl.col("product_id") == e["product_id"])
                    & (pl.col("characteristic") == e["characteristic"])
                )
            elif fault.kind == "temperature_drift":
                row = con.execute(
                    "select min(first_alarm_ts) from twin.quality_drift where machine_id = ? "
                    "and metric = 'temperature'",
                    [e["machine_id"]],
                ).fetchone()
                first = row[0] if row else None
                match = (pl.col("kind") == "drift") & (pl.col("machine_id") == e["machine_id"])
                match = match & pl.col("rule").str.starts_with("drift:temperature:")
            else:
                status = "stuck" if fault.kind == "stuck_sensor" else "dropout"
                wait = (
                    timedelta(hours=hp.stuck_min_hours - 1)
                    if status == "stuck"
                    else timedelta(seconds=hp.dropout_min_s)
                )
                first = fault.start + wait
                match = (pl.col("sensor_id") == e["sensor_id"]) & (pl.col("rule") == status)
            if first is not None and first >= replay_end:
                m.after_replay.append(f"{fault.kind} ({first})")
                continue
            hit = (
                alerts.filter(match & (pl.col("data_ts") >= fault.start - timedelta(hours=12)))
                .sort("first_seen")
                .head(1)
                if alerts.height
                else pl.DataFrame()
            )
            key = at = None
            cycles = None
            if hit.height:
                key, at = str(hit["alert_key"][0]), hit["first_seen"][0]
                if first is not None:
                    cycles = (at - _hour_end(first)) / HOUR
            m.faults.append(FaultLatency(fault.kind, dict(e), fault.start, first, key, at, cycles))
        # An alert is explained when it names an entity of any injected fault (a dirty row's
        # sensor too: an out-of-range reading is "quarantined or flagged").
        for a in result.alerts:
            for fault in truth.faults:
                e = dict(fault.entities)
                rows = fault.details.get("rows") or []
                dirty = {
                    str(r["key"]["sensor_id"])
                    for r in rows
                    if isinstance(r, dict)
                    and isinstance(r.get("key"), dict)
                    and "sensor_id" in r["key"]
                }
                if a.get("sensor_id") and a.get("sensor_id") in dirty:
                    explained.add(str(a["alert_key"]))
                    break
                if any(a.get(k) and e.get(k) == a.get(k) for k in ("sensor_id", "machine_id")) or (
                    a.get("product_id") == e.get("product_id") is not None
                    and a.get("characteristic") == e.get("characteristic")
                ):
                    explained.add(str(a["alert_key"]))
                    break
    m.unexplained = sorted(
        str(a["alert_key"]) for a in result.alerts if a["alert_key"] not in explained
    )
    return m
