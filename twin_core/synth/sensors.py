"""Sensor readings: one row per sensor per sample, generated a day and a block of
sensors at a time (numpy arrays of sensors x samples, never a loop over rows).

Each sensor follows its machine's state (power near zero when down or stopped, speed
zero when not running); temperatures follow the state through a first-order lag with
a 15-minute time constant, carried across days. Faults: the bearing's vibration rises,
the drifting machine's temperature climbs, a stuck sensor repeats one value, a dropout
leaves a gap with no rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy.signal import lfilter

from twin_core.synth.config import SENSOR_BLOCK, SynthConfig
from twin_core.synth.faultplan import DAY, FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream
from twin_core.synth.timeline import Timeline

TAU_S = 900.0
QUALITY = pa.array(["good", "uncertain", "bad"])
READINGS_SCHEMA = pa.schema(
    [
        ("sensor_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("value", pa.float64()),
        ("quality", pa.string()),
    ]
)


@dataclass
class SensorGenerator:
    """Yields the readings of one day, block by block; keeps the temperature lag state."""

    plant: Plant
    plan: FaultPlan
    timeline: Timeline
    cfg: SynthConfig
    _states: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]] = field(
        default_factory=dict
    )
    _lag: dict[int, npt.NDArray[np.float64]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for mid in self.plant.machines["machine_id"]:
            self._states[mid] = self.timeline.states_of(mid)

    @property
    def blocks(self) -> int:
        return -(-self.plant.sensor_params.height // SENSOR_BLOCK)

    def day(self, day: int) -> Iterator[tuple[int, pa.Table]]:
        """(block index, readings) for every block of sensors on ``day`` (0-based)."""
        for b in range(self.blocks):
            yield b, self._block(day, b)

    def _block(self, day: int, b: int) -> pa.Table:
        sp = self.plant.sensor_params.slice(b * SENSOR_BLOCK, SENSOR_BLOCK)
        rng = stream(self.cfg.seed, "sensors", day, b)
        ts = day * DAY + np.arange(0, DAY, self.cfg.period_s, dtype=np.int64)
        n_s, n_t = sp.height, ts.size

        machines = sp["machine_id"].to_list()
        uniq = sorted(set(machines))
        per_machine = np.empty((len(uniq), n_t), np.int8)
        for i, mid in enumerate(uniq):  # a handful of machines per block
            starts, codes = self._states[mid]
            per_machine[i] = codes[np.searchsorted(starts, ts, side="right") - 1]
        state = per_machine[np.array([uniq.index(m) for m in machines])].astype(np.intp)

        levels = sp.select([f"level_{i}" for i in range(5)]).to_numpy()
        noise = sp.select([f"noise_{i}" for i in range(5)]).to_numpy()
        value = np.take_along_axis(levels, state, axis=1)
        sd = np.take_along_axis(noise, state, axis=1)
        metric = sp["metric"].to_numpy()
        ids = sp["sensor_id"].to_list()

        temp = np.flatnonzero(metric == "temperature")
        if temp.size:
            alpha = 1.0 - np.exp(-self.cfg.period_s / TAU_S)
            zi = self._lag.get(b)
            if zi is None or zi.shape[0] != temp.size:
                zi = (1.0 - alpha) * value[temp, :1]
            value[temp], self._lag[b] = lfilter(
                [alpha], [1.0, alpha - 1.0], value[temp], axis=1, zi=zi
            )
        plan = self.plan
        if plan.enabled:
            if plan.drift_sensor in ids:
                value[ids.index(plan.drift_sensor)] += plan.drift_excess(ts)
            if plan.bearing_sensor in ids:
                value[ids.index(plan.bearing_sensor)] *= plan.bearing_factor(ts)
        value += sd * rng.standard_normal((n_s, n_t))
        value = np.clip(
            value, sp["valid_min"].to_numpy()[:, None], sp["valid_max"].to_numpy()[:, None]
        )
        value = np.round(value, 3)

        keep = np.ones((n_s, n_t), bool)
        if plan.enabled:
            if plan.stuck_sensor in ids:
                row = ids.index(plan.stuck_sensor)
                inside = (ts >= plan.stuck.start) & (ts < plan.stuck.end)
                if inside.any():
                    value[row, inside] = value[row, np.flatnonzero(inside)[0]]
            if plan.dropout_sensor in ids:
                keep[ids.index(plan.dropout_sensor)] = (ts < plan.dropout.start) | (
                    ts >= plan.dropout.end
                )
        quality = np.where(rng.random((n_s, n_t)) < 5e-4, 1, 0).astype(np.int8)

        flat = keep.ravel()
        sensor_idx = np.repeat(np.arange(n_s, dtype=np.int32), n_t)[flat]
        start_us = int(
            (
                datetime.combine(self.cfg.start, datetime.min.time()) - datetime(1970, 1, 1)
            ).total_seconds()
            * 1_000_000
        )
        ts_us = (start_us + np.tile(ts, n_s)[flat] * 1_000_000).astype("datetime64[us]")
        return pa.table(
            {
                "sensor_id": pc.take(pa.array(ids, pa.string()), pa.array(sensor_idx)),
                "ts": pa.array(ts_us, pa.timestamp("us")),
                "value": pa.array(value.ravel()[flat]),
                "quality": pc.take(QUALITY, pa.array(quality.ravel()[flat])),
            },
            schema=READINGS_SCHEMA,
        )
