"""``replay``: run the quality watch over a generated plant hour by hour, with the nightly
(rebuild and alert reconciliation) at the end of each plant day, as a real plant would run it.

The first ``warmup_days`` days land at once and get their nightly (the watch judges against a
snapshot's limits, so it needs one first); then every hour lands and a watch cycle runs with
its wall clock at the hour's end. ``measure`` compares the alerts with the plant's
ground_truth.json (definitions in the README, "Quality watch").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from twin_core import stages
from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.warehouse import fetch_polars, open_warehouse
from twin_core.watch import _validate, reconcile_alerts, run_watch
from twin_core.watch.replay import ReplayHour, hour_files, plan_replay

__all__ = ["ReplayResult", "replay"]

HOUR = timedelta(hours=1)


@dataclass
class ReplayResult:
    hours: list[ReplayHour]
    warmup_seconds: float
    alerts: list[dict[str, Any]]

    @property
    def cycle_seconds(self) -> list[float]:
        return [h.seconds for h in self.hours]


def _hour_end(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour + 1)


def nightly(settings: Settings, day: date) -> int:
    """The nightly's rebuild for ``day`` and its word on the watch's alerts, through the stage
    doors (non-strict ingest, no coverage gate: a replayed plant lands what it has)."""
    stages.ingest(settings, strict=False)
    _validate(settings, day)
    snapshot = stages.rebuild(settings, day, allow_partial=True).snapshot_id
    with open_warehouse(settings) as con:
        reconcile_alerts(con, settings, snapshot)
    return snapshot


def replay(
    settings: Settings,
    plant_root: Path,
    *,
    warmup_days: int = 3,
    days: int | None = None,
    nightly_each_day: bool = True,
    warm: bool = False,
    progress: Callable[[ReplayHour], None] | None = None,
) -> ReplayResult:
    """Replay the plant in ``plant_root`` into ``settings.landing_dir`` (see the module doc).
    ``warm``: the first ``warmup_days`` are in TWIN_HOME already (landed, rebuilt, published)."""
    plant = plan_replay(plant_root)
    if warmup_days < 1 or warmup_days >= len(plant.days):
        raise ValueError(
            f"warmup_days must be 1..{len(plant.days) - 1} for a plant of {len(plant.days)} days"
        )
    for d in (settings.landing_dir, settings.reports_dir, settings.validation_dir):
        d.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if not warm:
        for day in plant.days[:warmup_days]:
            for hour in range(24):
                hour_files(plant, settings.landing_dir, day, hour)
        nightly(settings, plant.days[warmup_days - 1])
        publish(settings)
    warmup = time.perf_counter() - started
    replayed = plant.days[warmup_days:]
    if days is not None:
        replayed = replayed[:days]
    hours: list[ReplayHour] = []
    for day in replayed:
        for hour in range(24):
            t0 = time.perf_counter()
            files = hour_files(plant, settings.landing_dir, day, hour)
            result = run_watch(settings, as_of=day, now=_hour_end(day, hour), lock_wait_s=0)
            cycle = result.cycle
            done = ReplayHour(
                day,
                hour,
                len(files),
                cycle.cycle_id if cycle else None,
                [str(a["alert_key"]) for a in result.alerts],
                time.perf_counter() - t0,
            )
            if hour == 23 and nightly_each_day:
                done.nightly_snapshot = nightly(settings, day)
            hours.append(done)
            if progress:
                progress(done)
    with open_warehouse(settings) as con:
        alerts = fetch_polars(con, "select * from history.quality_alerts order by first_seen")
    return ReplayResult(hours, warmup, alerts.to_dicts())
