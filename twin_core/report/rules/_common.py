"""The instruction record, number formatting, and each line's outlook for the next days.

``line_outlooks`` is shared by the production, maintenance and procurement rules so that
when a line cannot make its required output, all three speak about the same gap.
Grain of ``LineOutlook``: one per line of the snapshot's line forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Any

import polars as pl

from twin_core.report.data import ReportData, day_bounds_utc

DEPARTMENTS = ("production", "maintenance", "procurement", "quality", "engineering")


@dataclass(frozen=True)
class Instruction:
    """One row of report.instructions (``snapshot_id`` is added when it is written)."""

    department: str
    priority: int
    action: str
    reason: str
    due_date: date | None
    entity_type: str
    entity_id: str
    line_id: str | None = None
    source: str = ""
    # Orders instructions of equal priority (bigger first); not stored.
    score: float = 0.0
    # What the rule is (stable across nights: part of instruction_key) and whether it asks
    # for an action or is a note to watch.
    kind: str = ""
    mode: str = "action"
    # The loss the instruction prevents, in the plant's own units (loss_unit), the plant day
    # it falls on (None: not inside the horizon, or not quantified), and in money where unit
    # costs exist (core.materials.unit_cost).
    loss: float | None = None
    loss_unit: str | None = None
    loss_day: date | None = None
    loss_cost: float | None = None
    # The root cause the instruction answers ("machine:L2-M2", "line:L3", ...); items of
    # different departments with the same cause share it. Set by the rule or by triage.
    cause_id: str | None = None
    # Night-to-night tracking (set by twin_core.report.triage.track).
    instruction_key: str = ""
    state: str | None = None
    first_seen: date | None = None
    nights_open: int | None = None

    def as_row(self) -> dict[str, Any]:
        """The columns the scenario tables keep (the nightly's first release)."""
        return {
            "department": self.department,
            "priority": self.priority,
            "action": self.action,
            "reason": self.reason,
            "due_date": self.due_date,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "line_id": self.line_id,
            "source": self.source,
        }

    def loss_text(self) -> str:
        """The loss as people read it: '12.5 parts at risk ... by 2026-03-11 (50 in money)'."""
        if self.loss is None:
            return ""
        text = f"{self.loss:.1f}".removesuffix(".0") + f" {self.loss_unit or ''}".rstrip()
        if self.loss_day is not None:
            text += f" by {self.loss_day}"
        if self.loss_cost is not None:
            text += f" ({self.loss_cost:.0f} in money)"
        return text

    def full_row(self) -> dict[str, Any]:
        """Every stored column of history.instructions (snapshot_id and rank aside)."""
        return {
            **self.as_row(),
            "kind": self.kind,
            "mode": self.mode,
            "loss": self.loss,
            "loss_unit": self.loss_unit,
            "loss_day": self.loss_day,
            "loss_cost": self.loss_cost,
            "cause_id": self.cause_id,
            "instruction_key": self.instruction_key,
            "state": self.state,
            "first_seen": self.first_seen,
            "nights_open": self.nights_open,
        }


def num(x: Any, digits: int = 0) -> str:
    """A number as people read it in an instruction: fixed digits, no thousands separator
    (so it is the same text in CSV, Markdown and HTML), '?' when unknown."""
    if x is None:
        return "?"
    v = float(x)
    if not math.isfinite(v):
        return "?"
    text = f"{v:.{digits}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text


def pct(x: Any) -> str:
    return "?" if x is None else f"{num(100 * float(x), 0)}%"


def ts_text(ts: datetime | None) -> str:
    return "?" if ts is None else ts.strftime("%Y-%m-%d %H:%M")


def records(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    """Rows of a frame as dicts (an absent table has none)."""
    return [] if frame is None or frame.is_empty() else list(frame.iter_rows(named=True))


def as_list(value: Any) -> list[str]:
    """A JSON list column (or a list, or comma text) as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        import json

        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            return [text]
        return [str(v) for v in loaded] if isinstance(loaded, list) else [str(loaded)]
    return [t.strip() for t in text.split(",") if t.strip()]


def short_list(items: list[str], limit: int = 5) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


@dataclass(frozen=True)
class PlannedStop:
    machine_id: str
    line_id: str | None
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class LineOutlook:
    """A line's forecast for the first forecast day after as-of and over the horizon."""

    line_id: str
    day: date
    required: float
    p10: float
    p50: float
    p90: float
    bottleneck: str | None
    bottleneck_cycle_s: float | None
    bottleneck_oee: float | None
    planned_h: float
    short_days: tuple[date, ...] = ()
    horizon_gap: float = 0.0
    # Shortfall left after running every earlier day's surplus into stock: the largest
    # running total of (required - p50) over the horizon (0 when building ahead covers it).
    net_gap: float = 0.0
    horizon_days: int = 0
    stops_on_day: tuple[PlannedStop, ...] = field(default_factory=tuple)

    @property
    def gap(self) -> float:
        """Units the median forecast misses on ``day`` (0 when it makes it)."""
        return max(0.0, self.required - self.p50)

    @property
    def gap_p10(self) -> float:
        return max(0.0, self.required - self.p10)

    @property
    def short(self) -> bool:
        return self.gap > 0

    @property
    def in_trouble(self) -> bool:
        """The median forecast misses the requirement on some day of the horizon."""
        return bool(self.short_days)

    @property
    def first_short_day(self) -> date | None:
        return self.short_days[0] if self.short_days else None

    @property
    def rate_per_h(self) -> float | None:
        """Bottleneck output per hour: ideal rate times its recent OEE (ideal when unknown)."""
        if not self.bottleneck_cycle_s or self.bottleneck_cycle_s <= 0:
            return None
        oee = self.bottleneck_oee if self.bottleneck_oee and self.bottleneck_oee > 0 else 1.0
        return 3600.0 / self.bottleneck_cycle_s * oee

    @property
    def takt_s(self) -> float | None:
        if self.required <= 0:
            return None
        return self.planned_h * 3600 / self.required

    def hours_for(self, units: float) -> float | None:
        rate = self.rate_per_h
        return None if rate is None else units / rate

    def headline(self) -> str:
        """The numbers every department's item about this line repeats."""
        return (
            f"line {self.line_id} on {self.day}: required {num(self.required)}, "
            f"p50 {num(self.p50)}, p10 {num(self.p10)}, gap {num(self.gap)} units "
            "(history.line_forecast)"
        )


def planned_stops(data: ReportData) -> list[PlannedStop]:
    return [
        PlannedStop(str(r["machine_id"]), r.get("line_id"), r["start_ts"], r["end_ts"])
        for r in records(data.query("planned_stops"))
        if r.get("start_ts") is not None and r.get("end_ts") is not None
    ]


def _overlap_h(stop: PlannedStop, start: datetime, end: datetime) -> float:
    lo, hi = max(stop.start, start), min(stop.end, end)
    return max(0.0, (hi - lo).total_seconds() / 3600)


def recent_oee(data: ReportData, days: int = 7) -> dict[str, float]:
    """Mean OEE per machine over the last ``days`` plant days of history.machine_day."""
    frame = data.table("machine_day")
    if frame is None or frame.is_empty() or "oee" not in frame.columns:
        return {}
    since = data.snapshot.as_of - timedelta(days=days - 1)
    recent = frame.filter(pl.col("day") >= since, pl.col("oee").is_not_null())
    agg = recent.group_by("machine_id").agg(pl.col("oee").mean())
    return {str(r["machine_id"]): float(r["oee"]) for r in agg.iter_rows(named=True)}


def _net_gap(rows: list[dict[str, Any]]) -> float:
    running, worst = 0.0, 0.0
    for r in rows:
        running += float(r.get("required_qty") or 0) - float(r.get("p50_qty") or 0)
        worst = max(worst, running)
    return worst


def line_outlooks(data: ReportData) -> list[LineOutlook]:
    """One outlook per line in history.line_forecast, sorted by line id."""
    frame = data.table("line_forecast")
    if frame is None or frame.is_empty():
        return []
    snap = data.snapshot
    ahead = frame.filter(pl.col("day") > snap.as_of).sort("line_id", "day")
    cycle = {
        str(r["machine_id"]): r.get("ideal_cycle_time_s") for r in records(data.query("machines"))
    }
    machine_line = {str(r["machine_id"]): r.get("line_id") for r in records(data.query("machines"))}
    oee = recent_oee(data)
    stops = planned_stops(data)
    out: list[LineOutlook] = []
    for (line_id,), days in ahead.group_by("line_id", maintain_order=True):
        rows = list(days.iter_rows(named=True))
        first = rows[0]
        day = first["day"]
        start, end = day_bounds_utc(day, snap.timezone)
        bottleneck = first.get("bottleneck_machine_id")
        line_machines = {m for m, ln in machine_line.items() if ln == line_id}
        if bottleneck:
            line_machines.add(str(bottleneck))
        # Time the line is planned to produce: the day less the bottleneck's planned stops
        # (or, without a bottleneck, the longest stop of any machine on the line).
        day_stops = tuple(
            s for s in stops if s.machine_id in line_machines and _overlap_h(s, start, end) > 0
        )
        own = [s for s in day_stops if s.machine_id == bottleneck] or list(day_stops)
        stopped_h = max((_overlap_h(s, start, end) for s in own), default=0.0)
        short = tuple(
            r["day"]
            for r in rows
            if r.get("required_qty") is not None
            and r.get("p50_qty") is not None
            and r["p50_qty"] < r["required_qty"]
        )
        horizon_gap = sum(
            max(0.0, float(r["required_qty"] or 0) - float(r["p50_qty"] or 0)) for r in rows
        )
        out.append(
            LineOutlook(
                line_id=str(line_id),
                day=day,
                required=float(first.get("required_qty") or 0.0),
                p10=float(first.get("p10_qty") or 0.0),
                p50=float(first.get("p50_qty") or 0.0),
                p90=float(first.get("p90_qty") or 0.0),
                bottleneck=None if bottleneck is None else str(bottleneck),
                bottleneck_cycle_s=None if bottleneck is None else cycle.get(str(bottleneck)),
                bottleneck_oee=None if bottleneck is None else oee.get(str(bottleneck)),
                planned_h=24.0 - stopped_h,
                short_days=short,
                horizon_gap=horizon_gap,
                net_gap=_net_gap(rows),
                horizon_days=len(rows),
                stops_on_day=day_stops,
            )
        )
    return sorted(out, key=lambda o: o.line_id)


# --- What an instruction's loss is worth (shared by the rules) -----------------------------


def material_unit_costs(data: ReportData) -> dict[str, float]:
    """Unit cost per material (core.materials via the bom read); materials without one absent."""
    return {
        str(r["material_id"]): float(r["unit_cost"])
        for r in records(data.query("bom"))
        if r.get("unit_cost") is not None
    }


def product_material_costs(data: ReportData) -> dict[str, float]:
    """Material cost of one unit of each product: sum of qty_per x unit_cost over its bill of
    materials (a product with a material of unknown cost is absent: its cost is not known)."""
    total: dict[str, float] = {}
    unknown: set[str] = set()
    for r in records(data.query("bom")):
        product = str(r["product_id"])
        if r.get("unit_cost") is None or r.get("qty_per") is None:
            unknown.add(product)
            continue
        total[product] = total.get(product, 0.0) + float(r["qty_per"]) * float(r["unit_cost"])
    return {p: c for p, c in total.items() if p not in unknown}


def lot_quantities(data: ReportData) -> dict[str, float]:
    """Units made per lot over the last 30 days (core.production, good + scrap)."""
    return {
        str(r["lot_id"]): float(r["made_qty"] or 0) for r in records(data.query("lot_quantities"))
    }


def out_of_spec_share(
    mean: float | None, sigma: float | None, lsl: float | None, usl: float | None
) -> float | None:
    """Share of parts outside [lsl, usl] for a normal process of this mean and sigma (None:
    not computable: no sigma or no spec limit)."""
    if mean is None or sigma is None or not sigma > 0 or (lsl is None and usl is None):
        return None
    dist = NormalDist(float(mean), float(sigma))
    low = dist.cdf(float(lsl)) if lsl is not None else 0.0
    high = 1.0 - dist.cdf(float(usl)) if usl is not None else 0.0
    return low + high
