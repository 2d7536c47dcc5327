"""Plant layout and master data: one site, serial lines of machines, sensors with
limits, products with two revisions, BOMs, materials, suppliers, customers.

Also holds the generator's hidden parameters (rated power, signal levels, quality
characteristics with their sigma), which the extracts never show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from twin_core.synth.config import SynthConfig
from twin_core.synth.rng import stream

SITE_ID = "S1"  # the default site (SynthConfig.site_id)
STATE_NAMES = ("running", "idle", "setup", "down", "planned_stop")
RUN, IDLE, SETUP, DOWN, STOP = range(5)

_TYPES = ("press", "cnc", "weld", "wash", "assembly")
_BASE_CYCLE_S = {
    "press": 20.0,
    "cnc": 34.0,
    "weld": 30.0,
    "wash": 18.0,
    "assembly": 28.0,
    "test": 16.0,
}

# metric -> unit, physical range, alarm limits (None = no limit), signal level per state
# (running, idle, setup, down, planned_stop) as multiples of the sensor's nominal value.
METRICS: dict[str, dict[str, object]] = {
    "temperature": {"unit": "degC", "code": "TEMP"},
    "vibration": {"unit": "mm/s", "code": "VIB"},
    "power": {"unit": "kW", "code": "PWR"},
    "speed": {"unit": "rpm", "code": "SPD"},
    "pressure": {"unit": "bar", "code": "PRS"},
}
_EXTRA_METRICS = ("temperature", "vibration", "power", "pressure", "speed")

# Characteristic pool: name, target, half tolerance, within-lot sigma, decimals.
_CHARACTERISTICS = (
    ("bore_diameter_mm", 12.0, 0.02, 0.005, 4),
    ("length_mm", 85.0, 0.16, 0.04, 3),
    ("torque_nm", 25.0, 1.5, 0.35, 2),
    ("weight_g", 480.0, 6.0, 1.4, 1),
    ("flatness_um", 40.0, 12.0, 3.0, 1),
    ("leak_rate_ccm", 2.0, 0.8, 0.18, 3),
)
_PRODUCT_NAMES = (
    "Valve body",
    "Pump housing",
    "Gear cover",
    "Sensor bracket",
    "Motor flange",
    "Filter cap",
    "Hinge plate",
    "Drive shaft",
)
_COUNTRIES = ("DE", "PL", "CZ", "IT", "CN", "US", "MX", "FR")
_MATERIAL_KINDS = (
    ("steel bar", "kg", 1.8),
    ("aluminium billet", "kg", 3.1),
    ("bearing", "pcs", 4.5),
    ("seal ring", "pcs", 0.35),
    ("screw M6", "pcs", 0.04),
    ("gasket", "pcs", 0.6),
    ("paint", "l", 7.5),
    ("connector", "pcs", 1.2),
    ("spring", "pcs", 0.25),
    ("cable", "m", 0.9),
    ("plastic pellet", "kg", 2.2),
    ("washer", "pcs", 0.03),
)


@dataclass(frozen=True)
class Plant:
    """Master data frames (contract columns) and the generator's hidden parameters."""

    machines: pl.DataFrame
    sensors: pl.DataFrame
    products: pl.DataFrame
    bom: pl.DataFrame
    materials: pl.DataFrame
    suppliers: pl.DataFrame
    # hidden: machine_id, line_id, line_position, ideal_cycle_time_s, rated_kw, scrap_p
    machine_params: pl.DataFrame
    # hidden: sensor_id, machine_id, metric, level_0..level_4, noise_0..noise_4
    sensor_params: pl.DataFrame
    # hidden: product_id, characteristic, machine_id, target, lsl, usl, sigma, decimals
    characteristics: pl.DataFrame
    lines: tuple[str, ...]
    customers: tuple[str, ...]

    def line_machines(self, line_id: str) -> pl.DataFrame:
        return self.machine_params.filter(pl.col("line_id") == line_id).sort("line_position")

    def line_products(self, line_id: str) -> list[str]:
        p = self.products.filter(pl.col("line_id") == line_id)
        return sorted(p["product_id"].unique().to_list())

    def bottleneck(self, line_id: str) -> str:
        m = self.line_machines(line_id)
        return str(m.sort("ideal_cycle_time_s", descending=True)["machine_id"][0])

    def sensor_of(self, machine_id: str, metric: str) -> str:
        s = self.sensor_params.filter(
            (pl.col("machine_id") == machine_id) & (pl.col("metric") == metric)
        )
        return str(s["sensor_id"][0])


def _machines(cfg: SynthConfig, rng: np.random.Generator) -> pl.DataFrame:
    rows: list[dict[str, object]] = []
    for li, n in enumerate(cfg.machines_per_line):
        line = f"L{li + 1}"
        types = [*_TYPES[: n - 1], "test"]
        ict = np.array([_BASE_CYCLE_S[t] for t in types]) * rng.uniform(0.9, 1.1, n)
        # The bottleneck is clearly the slowest: 30% slower than the next one.
        b = int(np.argmax(ict))
        ict[b] = ict[b] * 1.3
        for k in range(n):
            rows.append(
                {
                    "machine_id": f"{line}-M{k + 1}",
                    "line_id": line,
                    "site_id": cfg.site_id,
                    "name": f"{line} {types[k]} {k + 1}",
                    "machine_type": types[k],
                    "line_position": k + 1,
                    "ideal_cycle_time_s": round(float(ict[k]), 1),
                    "rated_kw": round(float(rng.uniform(8, 40)), 1),
                    "scrap_p": float(rng.uniform(0.002, 0.012)),
                }
            )
    return pl.DataFrame(rows)


def _sensors(cfg: SynthConfig, machines: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    spm = cfg.sensors_per_machine
    rows: list[dict[str, object]] = []
    for m in machines.iter_rows(named=True):
        fourth = "speed" if m["machine_type"] in ("cnc", "assembly", "test") else "pressure"
        metrics = ["temperature", "vibration", "power", fourth]
        metrics += [_EXTRA_METRICS[i % len(_EXTRA_METRICS)] for i in range(spm - 4)]
        seen: dict[str, int] = {}
        for metric in metrics:
            seen[metric] = seen.get(metric, 0) + 1
            code = str(METRICS[metric]["code"]) + ("" if seen[metric] == 1 else str(seen[metric]))
            rows.append(
                {
                    "sensor_id": f"{m['machine_id']}-{code}",
                    "machine_id": m["machine_id"],
                    "metric": metric,
                }
                | _signal(metric, float(m["rated_kw"]), rng)
            )
    return pl.DataFrame(rows).head(cfg.sensors)


def _signal(metric: str, rated_kw: float, rng: np.random.Generator) -> dict[str, object]:
    """Unit, limits and per-state level and noise of one sensor."""
    if metric == "temperature":
        run = rng.uniform(48, 56)
        lv, ns = (run, 38.0, 36.0, 24.0, 24.0), (0.25,) * 5
        lim: tuple[float, float, float | None, float] = (-20.0, 200.0, 5.0, 70.0)
    elif metric == "vibration":
        run = rng.uniform(1.6, 2.6)
        lv, ns = (run, 0.4, 0.6, 0.05, 0.05), (0.06 * run, 0.03, 0.05, 0.01, 0.01)
        lim = (0.0, 50.0, None, 7.1)
    elif metric == "power":
        lv = (0.9 * rated_kw, 0.22 * rated_kw, 0.3 * rated_kw, 0.015 * rated_kw, 0.015 * rated_kw)
        ns = (0.03 * rated_kw, 0.01 * rated_kw, 0.01 * rated_kw, 0.003 * rated_kw, 0.003 * rated_kw)
        lim = (0.0, round(2.0 * rated_kw, 1), None, round(1.25 * rated_kw, 1))
    elif metric == "speed":
        run = float(rng.choice([1450.0, 1480.0, 2900.0, 2960.0]))
        lv, ns = (run, 0.0, 120.0, 0.0, 0.0), (0.003 * run, 0.5, 5.0, 0.5, 0.5)
        lim = (0.0, 6000.0, None, round(1.15 * run, 0))
    else:  # pressure
        run = rng.uniform(5.6, 6.4)
        lv, ns = (run, run - 0.4, 3.0, 0.1, 0.1), (0.04, 0.04, 0.1, 0.02, 0.02)
        lim = (0.0, 16.0, None, 8.0)
    out: dict[str, object] = {
        "unit": METRICS[metric]["unit"],
        "valid_min": lim[0],
        "valid_max": lim[1],
        "alarm_low": lim[2],
        "alarm_high": lim[3],
    }
    out |= {f"level_{i}": float(v) for i, v in enumerate(lv)}
    out |= {f"noise_{i}": float(v) for i, v in enumerate(ns)}
    return out


def build_plant(cfg: SynthConfig) -> Plant:
    """The plant of a config (its layout depends on the seed only through small draws)."""
    rng = stream(cfg.seed, "plant")
    mp = _machines(cfg, rng)
    sp = _sensors(cfg, mp, rng)
    lines = tuple(f"L{i + 1}" for i in range(cfg.lines))

    # Two products per line, each with revisions A and B, both built on that line.
    prod_rows, char_rows = [], []
    for li, line in enumerate(lines):
        n = cfg.machines_per_line[li]
        for j in range(2):
            pid = f"P{li * 2 + j + 1}"
            base = _PRODUCT_NAMES[(li * 2 + j) % len(_PRODUCT_NAMES)]
            for rev in ("A", "B"):
                prod_rows.append(
                    {"product_id": pid, "name": f"{base} {pid}", "revision": rev, "line_id": line}
                )
            # Product a's features are formed at positions 2 and n-1, product b's at 3 and n:
            # a drift at position 2 touches exactly one characteristic of one product.
            positions = (2, n - 1) if j == 0 else (3, n)
            picks = rng.choice(len(_CHARACTERISTICS), size=2, replace=False)
            for pos, ci in zip(positions, picks, strict=True):
                name, target, tol, sigma, dec = _CHARACTERISTICS[int(ci)]
                char_rows.append(
                    {
                        "product_id": pid,
                        "characteristic": name,
                        "machine_id": f"{line}-M{pos}",
                        "target": target,
                        "lsl": round(target - tol, dec),
                        "usl": round(target + tol, dec),
                        "sigma": sigma,
                        "decimals": dec,
                    }
                )
    products = pl.DataFrame(prod_rows)
    characteristics = pl.DataFrame(char_rows)

    n_sup = max(6, cfg.lines * 2)
    n_mat = max(32, cfg.lines * 11)
    suppliers = pl.DataFrame(
        {
            "supplier_id": [f"SUP-{i + 1:02d}" for i in range(n_sup)],
            "name": [f"Supplier {chr(65 + i % 26)}{i // 26 or ''} GmbH" for i in range(n_sup)],
            "country": [_COUNTRIES[i % len(_COUNTRIES)] for i in range(n_sup)],
        }
    )
    sup_lead = rng.integers(3, 13, n_sup)
    kinds = rng.integers(0, len(_MATERIAL_KINDS), n_mat)
    sup_of = np.arange(n_mat) % n_sup
    lead = np.clip(sup_lead[sup_of] + rng.integers(-1, 3, n_mat), 2, 20)
    materials = pl.DataFrame(
        {
            "material_id": [f"MAT-{i + 1:03d}" for i in range(n_mat)],
            "name": [f"{_MATERIAL_KINDS[k][0]} {i + 1:03d}" for i, k in enumerate(kinds)],
            "unit": [_MATERIAL_KINDS[k][1] for k in kinds],
            "unit_cost": [
                round(_MATERIAL_KINDS[k][2] * float(f), 2)
                for k, f in zip(kinds, rng.uniform(0.7, 1.4, n_mat), strict=True)
            ],
            "supplier_id": [f"SUP-{s + 1:02d}" for s in sup_of],
            "lead_time_days": lead.astype(float),
            "min_order_qty": [float(50 * int(x)) for x in rng.integers(1, 5, n_mat)],
            "service_level": rng.choice([0.9, 0.95, 0.98], n_mat),
        }
    )

    # Every material is used: deal them out to products, then add a few shared ones.
    pids = products["product_id"].unique(maintain_order=True).to_list()
    order = rng.permutation(n_mat)
    pairs = {(pids[i % len(pids)], int(m)) for i, m in enumerate(order)}
    for p in pids:
        for m in rng.choice(n_mat, 2, replace=False):
            pairs.add((p, int(m)))
    pairs_sorted = sorted(pairs)
    unit_of = materials["unit"].to_list()
    qty = [
        float(rng.integers(1, 5))
        if unit_of[m] == "pcs"
        else round(float(rng.uniform(0.05, 1.5)), 3)
        for _, m in pairs_sorted
    ]
    bom = pl.DataFrame(
        {
            "product_id": [p for p, _ in pairs_sorted],
            "material_id": [f"MAT-{m + 1:03d}" for _, m in pairs_sorted],
            "qty_per": qty,
        }
    )
    contract_machine_cols = [
        "machine_id",
        "line_id",
        "site_id",
        "name",
        "machine_type",
        "line_position",
        "ideal_cycle_time_s",
    ]
    sensor_cols = [
        "sensor_id",
        "machine_id",
        "metric",
        "unit",
        "valid_min",
        "valid_max",
        "alarm_low",
        "alarm_high",
    ]
    return Plant(
        machines=mp.select(contract_machine_cols),
        sensors=sp.select(sensor_cols),
        products=products,
        bom=bom,
        materials=materials,
        suppliers=suppliers,
        machine_params=mp,
        sensor_params=sp,
        characteristics=characteristics,
        lines=lines,
        customers=tuple(f"C{i + 1:03d}" for i in range(max(30, cfg.lines * 10))),
    )
