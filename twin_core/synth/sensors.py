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
from scipy.signal import lfilter

from twin_core.synth.config import SENSOR_BLOCK, SynthConfig
from twin_core.synth.faultplan import DAY, FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream
from twin_core.synth.timeline import Timeline

TAU_S = 900.0
QUALITY = pa.array(["good", "uncertain", "bad"])
# Ids and quality flags travel dictionary-encoded (a block's ids are a few strings
# repeated 86,400 times); files store them as plain UTF-8 strings.
READINGS_SCHEMA = pa.schema(
    [
        ("sensor_id", pa.dictionary(pa.int32(), pa.string())),
        ("ts", pa.timestamp("us")),
        ("value", pa.float64()),
        ("quality", pa.dictionary(pa.int8(), pa.string())),
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
        per_machine_idx = per_machine.astype(np.intp)  # take() with int8 indices converts per call
        row_of = [uniq.index(m) for m in machines]

        levels = sp.select([f"level_{i}" for i in range(5)]).to_numpy()
        noise = sp.select([f"noise_{i}" for i in range(5)]).to_numpy()
        value = np.empty((n_s, n_t))
        for i in range(n_s):  # one whole-day vector per sensor of the block
            value[i] = levels[i].take(per_machine_idx[row_of[i]])
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
        z = rng.standard_normal((n_s, n_t), dtype=np.float32)
        for i in range(n_s):
            value[i] += noise[i].take(per_machine_idx[row_of[i]]) * z[i]
        np.clip(
            value,
            sp["valid_min"].to_numpy()[:, None],
            sp["valid_max"].to_numpy()[:, None],
            out=value,
        )
        np.round(value, 3, out=value)

        keep: npt.NDArray[np.bool_] | None = None
        if plan.enabled:
            if plan.stuck_sensor in ids:
                row = ids.index(plan.stuck_sensor)
                inside = (ts >= plan.stuck.start) & (ts < plan.stuck.end)
                if inside.any():
                    value[row, inside] = value[row, np.flatnonzero(inside)[0]]
            if plan.dropout_sensor in ids:
                keep = np.ones((n_s, n_t), bool)
                keep[ids.index(plan.dropout_sensor)] = (ts < plan.dropout.start) | (
                    ts >= plan.dropout.end
                )
        # About one reading in 2,000 is flagged uncertain by the historian.
        quality = np.zeros(n_s * n_t, np.int8)
        quality[rng.integers(0, n_s * n_t, int(rng.binomial(n_s * n_t, 5e-4)))] = 1

        start_us = (
            int(
                (
                    datetime.combine(self.cfg.start, datetime.min.time()) - datetime(1970, 1, 1)
                ).total_seconds()
            )
            * 1_000_000
        )
        sensor_idx = np.repeat(np.arange(n_s, dtype=np.int32), n_t)
        ts_all = np.tile(start_us + ts * 1_000_000, n_s)
        flat_value = value.ravel()
        if keep is not None:
            flat = keep.ravel()
            sensor_idx, ts_all, flat_value, quality = (
                sensor_idx[flat],
                ts_all[flat],
                flat_value[flat],
                quality[flat],
            )
        return pa.table(
            {
                "sensor_id": pa.DictionaryArray.from_arrays(
                    pa.array(sensor_idx), pa.array(ids, pa.string())
                ),
                "ts": pa.array(ts_all.view("datetime64[us]")),
                "value": pa.array(flat_value),
                "quality": pa.DictionaryArray.from_arrays(pa.array(quality), QUALITY),
            },
            schema=READINGS_SCHEMA,
        )
