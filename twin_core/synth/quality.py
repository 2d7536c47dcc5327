"""QMS and CRM extracts: inspections, attribute defects and customer feedback.

Grain: inspections one row per measured part (5 parts per lot per characteristic, the
subgroup); defects one row per lot per defect code (zeros included, so every lot's
inspected quantity is known); customer_feedback one row per message.

Quality depends on machine condition: a characteristic formed on the drifting machine
shifts its mean as the temperature climbs, and its lots show more dimensional defects.
Feedback follows shipped lots (units leaving the last machine) with a lag; the flagged
revision draws several times the complaints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from twin_core.synth.config import SynthConfig
from twin_core.synth.faultplan import DAY, FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream
from twin_core.synth.timeline import Timeline

SUBGROUP = 5
DEFECT_CODES = ("scratch", "dent", "dimensional", "assembly")
_DEFECT_P = np.array([0.004, 0.002, 0.003, 0.002])
CATEGORIES = ("complaint", "return", "warranty", "praise", "suggestion")
_RATE_PER_UNIT = np.array([2.0, 0.6, 0.4, 1.0, 0.5]) / 1000
FLAGGED_FACTOR = np.array([15.0, 8.0, 8.0, 0.5, 1.0])
_TEXT = {
    "complaint": (
        "The {product} from lot {lot} arrived with a rough surface and visible marks.",
        "Two parts of {product} did not fit our assembly fixture.",
        "Dimensions of {product} out of tolerance on incoming inspection.",
        "Packaging of {product} damaged, several parts scratched.",
    ),
    "return": (
        "Returning {product}: parts fail our incoming check.",
        "Return of {product} lot {lot}, wrong dimensions on several pieces.",
    ),
    "warranty": (
        "Warranty claim: {product} failed in the field after a few weeks.",
        "{product} leaking at the seal after installation, claim filed.",
    ),
    "praise": (
        "Great consistency on the last deliveries of {product}.",
        "{product} quality has been excellent, thanks to the team.",
    ),
    "suggestion": (
        "Could {product} be delivered in smaller packaging units?",
        "Please add the lot number label on each box of {product}.",
    ),
}
# What customers of the flagged revision keep reporting (the symptom to trace).
_FLAGGED_TEXT = (
    "The clip of {product} revision {rev} cracks during assembly.",
    "{product} rev {rev}: clip broke when mounting, third time this month.",
    "Housing clip on {product} ({rev}) snaps under normal load.",
)


@dataclass(frozen=True)
class Quality:
    """Contract columns plus ``_day`` (0-based file day)."""

    inspections: pl.DataFrame
    defects: pl.DataFrame
    feedback: pl.DataFrame


def _ts(col: str, cfg: SynthConfig) -> pl.Expr:
    return pl.lit(cfg.start).cast(pl.Datetime("us")) + pl.duration(seconds=pl.col(col))


def build_quality(plant: Plant, plan: FaultPlan, tl: Timeline, cfg: SynthConfig) -> Quality:
    rng = stream(cfg.seed, "quality")
    horizon = cfg.days * DAY

    # ---------------------------------------------------------------- inspections
    rec = tl.production.select("lot_id", "machine_id", "product_id", "end_s")
    parts = (
        plant.characteristics.join(rec, on=["product_id", "machine_id"])
        .sort("end_s", "lot_id", "characteristic")
        .with_columns(base_s=pl.col("end_s") + pl.lit(0))
    )
    n = parts.height
    parts = parts.with_columns(
        base_s=pl.Series(parts["end_s"].to_numpy() + rng.integers(120, 1200, n))
    )
    shift = np.zeros(n)
    if plan.enabled:
        hit = (parts["product_id"] == plan.shift_product) & (
            parts["characteristic"] == plan.shift_characteristic
        )
        shift = np.where(hit.to_numpy(), plan.shift_sigma(parts["end_s"].to_numpy()), 0.0)
    parts = parts.with_columns(shift=pl.Series(shift))
    rows = (
        parts.select(pl.all().repeat_by(SUBGROUP))
        .explode(parts.columns)
        .with_columns(j=pl.int_range(pl.len()).over("lot_id", "characteristic"))
    )
    z = rng.standard_normal(rows.height)
    rows = rows.with_columns(
        value=pl.col("target") + pl.col("sigma") * (pl.col("shift") + pl.Series(z)),
        ts_s=pl.col("base_s") + 45 * pl.col("j"),
    ).with_columns(
        value=pl.struct("value", "decimals").map_batches(
            lambda s: pl.Series(
                np.round(
                    s.struct.field("value").to_numpy()
                    * 10.0 ** s.struct.field("decimals").to_numpy()
                )
                / 10.0 ** s.struct.field("decimals").to_numpy()
            ),
            return_dtype=pl.Float64,
        )
    )
    rows = rows.filter(pl.col("ts_s") < horizon)
    inspections = rows.select(
        inspection_id=pl.format(
            "INS-{}-{}-{}", pl.col("lot_id").str.slice(4), pl.col("characteristic"), pl.col("j") + 1
        ),
        ts=_ts("ts_s", cfg),
        lot_id="lot_id",
        product_id="product_id",
        machine_id="machine_id",
        characteristic="characteristic",
        value="value",
        lsl="lsl",
        usl="usl",
        target="target",
        _day=pl.col("ts_s") // DAY,
    ).sort("ts", "inspection_id")

    # ---------------------------------------------------------------- defects
    lots = tl.lots.filter(pl.col("shipped") > 0).sort("end_s", "lot_id")
    lot_shift = np.zeros(lots.height)
    if plan.enabled:
        made = tl.production.filter(pl.col("machine_id") == plan.drift_machine).select(
            "lot_id", t="end_s"
        )
        t = lots.join(made, on="lot_id", how="left")["t"].fill_null(0).to_numpy()
        lot_shift = np.where(
            lots["product_id"].to_numpy() == plan.shift_product, plan.shift_sigma(t), 0.0
        )
    p = np.broadcast_to(_DEFECT_P, (lots.height, len(DEFECT_CODES))).copy()
    p[:, 2] += 0.02 * lot_shift
    shipped = lots["shipped"].to_numpy()
    dq = rng.binomial(shipped[:, None], p)
    dts = lots["end_s"].to_numpy() + rng.integers(300, 1500, lots.height)
    defects = (
        pl.DataFrame(
            {
                "lot_id": np.repeat(lots["lot_id"].to_numpy(), len(DEFECT_CODES)),
                "ts_s": np.repeat(dts, len(DEFECT_CODES)),
                "product_id": np.repeat(lots["product_id"].to_numpy(), len(DEFECT_CODES)),
                "line_id": np.repeat(lots["line_id"].to_numpy(), len(DEFECT_CODES)),
                "inspected_qty": np.repeat(shipped, len(DEFECT_CODES)),
                "defect_code": np.tile(np.array(DEFECT_CODES), lots.height),
                "defect_qty": dq.ravel(),
            }
        )
        .filter(pl.col("ts_s") < horizon)
        .with_columns(ts=_ts("ts_s", cfg), _day=pl.col("ts_s") // DAY)
        .select(
            "lot_id",
            "ts",
            "product_id",
            "line_id",
            "inspected_qty",
            "defect_code",
            "defect_qty",
            "_day",
        )
    )

    # ---------------------------------------------------------------- feedback
    flagged = np.zeros(lots.height, bool)
    if plan.enabled:
        flagged = (lots["product_id"].to_numpy() == plan.complaint_product) & (
            lots["revision"].to_numpy() == plan.complaint_revision
        )
    rate = np.where(flagged[:, None], _RATE_PER_UNIT * FLAGGED_FACTOR, _RATE_PER_UNIT)
    rate = rate * np.where(np.arange(5) < 3, 1.0 + 0.5 * lot_shift[:, None], 1.0)
    counts = rng.poisson(shipped[:, None] * rate)
    lot_i = np.repeat(np.repeat(np.arange(lots.height), 5), counts.ravel())
    cat_i = np.repeat(np.tile(np.arange(5), lots.height), counts.ravel())
    k = lot_i.size
    recv = lots["end_s"].to_numpy()[lot_i] + np.round(DAY * (0.3 + rng.exponential(2.0, k))).astype(
        np.int64
    )
    sev_lo = np.array([2, 3, 3, 1, 1])[cat_i]
    sev_hi = np.array([4, 5, 5, 1, 2])[cat_i]
    rat_lo = np.array([1, 1, 1, 4, 3])[cat_i]
    rat_hi = np.array([2, 2, 3, 5, 4])[cat_i]
    fl = flagged[lot_i] & (cat_i < 3)
    text_pick = rng.integers(0, 1000, k)
    templates = (
        np.array(
            [
                _FLAGGED_TEXT[t % len(_FLAGGED_TEXT)]
                if f
                else _TEXT[CATEGORIES[c]][t % len(_TEXT[CATEGORIES[c]])]
                for c, t, f in zip(cat_i, text_pick, fl, strict=True)
            ],
            dtype=object,
        )
        if k
        else np.array([], dtype=object)
    )
    with_lot = rng.random(k) < 0.8
    with_rev = with_lot | (rng.random(k) < 0.5)
    with_rating = rng.random(k) < 0.6
    names = dict(plant.products.select("product_id", "name").unique().iter_rows())
    fb = pl.DataFrame(
        {
            "recv_s": recv,
            "customer_id": np.array(plant.customers)[rng.integers(0, len(plant.customers), k)]
            if k
            else np.array([], str),
            "product_id": lots["product_id"].to_numpy()[lot_i],
            "rev": lots["revision"].to_numpy()[lot_i],
            "lot": lots["lot_id"].to_numpy()[lot_i],
            "category": np.array(CATEGORIES)[cat_i] if k else np.array([], str),
            "severity": np.where(fl, np.maximum(sev_lo, 3), sev_lo)
            + (rng.random(k) * (sev_hi - np.where(fl, np.maximum(sev_lo, 3), sev_lo) + 1)).astype(
                np.int64
            ),
            "rating": rat_lo + (rng.random(k) * (rat_hi - rat_lo + 1)).astype(np.int64),
            "template": templates.astype(str) if k else np.array([], str),
            "with_lot": with_lot,
            "with_rev": with_rev,
            "with_rating": with_rating,
        },
        schema_overrides={"severity": pl.Int64, "rating": pl.Int64},
    )
    feedback = (
        fb.filter(pl.col("recv_s") < horizon)
        .with_columns(pname=pl.col("product_id").replace_strict(names, return_dtype=pl.String))
        .with_columns(
            text=pl.col("template")
            .str.replace_all("{product}", pl.col("pname"), literal=True)
            .str.replace_all("{rev}", pl.col("rev"), literal=True)
            .str.replace_all("{lot}", pl.col("lot"), literal=True),
            lot_id=pl.when("with_lot").then("lot"),
            revision=pl.when("with_rev").then("rev"),
            rating=pl.when("with_rating").then("rating"),
            received_at=_ts("recv_s", cfg),
            _day=pl.col("recv_s") // DAY,
        )
        .sort("recv_s", "lot", "category", "customer_id")
        .with_columns(
            feedback_id=pl.format(
                "FB-{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6)
            )
        )
        .select(
            "feedback_id",
            "received_at",
            "customer_id",
            "product_id",
            "revision",
            "lot_id",
            "category",
            "severity",
            "rating",
            "text",
            "_day",
        )
    )
    return Quality(inspections=inspections, defects=defects, feedback=feedback)
