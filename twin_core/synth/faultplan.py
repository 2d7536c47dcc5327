"""Which entities get which fault, and when: decided once per run, before any data.

Faults start after the first three days (so SPC baselines and normal behaviour exist
first) and their timing scales with the number of days. Times are seconds from the
start of the first day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from twin_core.synth.config import FAULT_FREE_DAYS, SynthConfig
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream

DAY = 86400
HOUR = 3600


@dataclass(frozen=True)
class Window:
    start: int
    end: int


@dataclass(frozen=True)
class FaultPlan:
    """Entities and windows of the process faults (dirt is planned in ``dirt``)."""

    enabled: bool
    horizon_s: int
    bearing_machine: str = ""
    bearing_sensor: str = ""
    bearing: Window = Window(0, 0)  # degradation; the failure starts at its end
    failure: Window = Window(0, 0)
    stuck_sensor: str = ""
    stuck: Window = Window(0, 0)
    dropout_sensor: str = ""
    dropout: Window = Window(0, 0)
    drift_machine: str = ""
    drift_sensor: str = ""
    drift_start: int = 0
    drift_ramp_s: int = 36 * HOUR
    drift_max_c: float = 8.0
    shift_product: str = ""
    shift_characteristic: str = ""
    shift_start: int = 0
    shift_ramp_s: int = 12 * HOUR
    shift_sigmas: float = 2.0
    spike_line: str = ""
    spike_product: str = ""
    complaint_product: str = ""
    complaint_revision: str = "B"
    late_supplier: str = ""
    stockout_material: str = ""

    def drift_excess(self, t_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Temperature excess (degC) of the drifting machine at times ``t_s`` (array)."""
        t = np.asarray(t_s, dtype=np.float64)
        if not self.enabled:
            return np.zeros_like(t)
        return self.drift_max_c * np.clip((t - self.drift_start) / self.drift_ramp_s, 0.0, 1.0)

    def shift_sigma(self, t_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Mean shift, in sigmas, of the shifted characteristic at times ``t_s`` (array)."""
        t = np.asarray(t_s, dtype=np.float64)
        if not self.enabled:
            return np.zeros_like(t)
        return self.shift_sigmas * np.clip((t - self.shift_start) / self.shift_ramp_s, 0.0, 1.0)

    def bearing_factor(self, t_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Multiplier of the bearing machine's vibration: 1 + 3 u^2 over the degradation."""
        t = np.asarray(t_s, dtype=np.float64)
        if not self.enabled:
            return np.ones_like(t)
        u = (t - self.bearing.start) / (self.bearing.end - self.bearing.start)
        inside = (t >= self.bearing.start) & (t < self.bearing.end)
        return np.where(inside, 1.0 + 3.0 * np.clip(u, 0, 1) ** 2, 1.0)


def plan_faults(plant: Plant, cfg: SynthConfig) -> FaultPlan:
    """Pick entities (varied by seed) and windows (scaled to the days) of each fault."""
    horizon = cfg.days * DAY
    if not cfg.with_faults:
        return FaultPlan(enabled=False, horizon_s=horizon)
    rng = stream(cfg.seed, "faultplan")
    roles = [plant.lines[int(i)] for i in rng.permutation(min(3, len(plant.lines)))]
    if len(roles) < 3:
        roles = (roles * 3)[:3]
    bearing_line, spike_line, drift_line = roles
    span = cfg.days - FAULT_FREE_DAYS
    d0 = FAULT_FREE_DAYS * DAY

    def non_bottleneck(line: str, avoid: set[int]) -> str:
        m = plant.line_machines(line)
        bn = plant.bottleneck(line)
        ok = [
            mid
            for mid, pos in zip(m["machine_id"], m["line_position"], strict=True)
            if mid != bn and pos not in avoid
        ]
        return str(ok[int(rng.integers(len(ok)))])

    bearing_machine = non_bottleneck(bearing_line, {1, 2})
    fail_start = d0 + max(1, round(0.6 * span)) * DAY + 14 * HOUR
    bearing = Window(d0 + int(0.05 * span) * DAY + 8 * HOUR, fail_start)
    failure = Window(fail_start, fail_start + 8 * HOUR)

    stuck_machine = non_bottleneck(spike_line, {1})
    stuck_day = FAULT_FREE_DAYS + int(0.3 * span)
    drop_machine = non_bottleneck(drift_line, {1, 2})
    drop_day = FAULT_FREE_DAYS + int(0.5 * span)

    drift_machine = f"{drift_line}-M2"
    drift_start = d0 + int(0.15 * span) * DAY + 6 * HOUR
    shift_product = plant.line_products(drift_line)[0]
    ch = plant.characteristics.filter(
        (pl.col("product_id") == shift_product) & (pl.col("machine_id") == drift_machine)
    )

    spike_products = plant.line_products(spike_line)
    # Stockout material: used only by products of other lines; its supplier is on time.
    bom = plant.bom.join(plant.products.select("product_id", "line_id").unique(), on="product_id")
    used_on_spike = set(bom.filter(pl.col("line_id") == spike_line)["material_id"])
    mats = plant.materials.filter(~pl.col("material_id").is_in(list(used_on_spike)))
    mats = mats.join(bom.group_by("material_id").len(), on="material_id").sort("material_id")
    stockout = str(mats["material_id"][int(rng.integers(mats.height))])
    stockout_sup = str(mats.filter(pl.col("material_id") == stockout)["supplier_id"][0])
    sups = [s for s in plant.suppliers["supplier_id"].to_list() if s != stockout_sup]
    late_supplier = sups[int(rng.integers(len(sups)))]

    return FaultPlan(
        enabled=True,
        horizon_s=horizon,
        bearing_machine=bearing_machine,
        bearing_sensor=plant.sensor_of(bearing_machine, "vibration"),
        bearing=bearing,
        failure=failure,
        stuck_sensor=plant.sensor_of(stuck_machine, "temperature"),
        stuck=Window(stuck_day * DAY + 6 * HOUR, stuck_day * DAY + 14 * HOUR),
        dropout_sensor=plant.sensor_of(drop_machine, "power"),
        dropout=Window(drop_day * DAY + 13 * HOUR, drop_day * DAY + 18 * HOUR),
        drift_machine=drift_machine,
        drift_sensor=plant.sensor_of(drift_machine, "temperature"),
        drift_start=drift_start,
        shift_product=shift_product,
        shift_characteristic=str(ch["characteristic"][0]),
        shift_start=drift_start + 24 * HOUR,
        spike_line=spike_line,
        spike_product=spike_products[0],
        complaint_product=spike_products[1],
        late_supplier=late_supplier,
        stockout_material=stockout,
    )
