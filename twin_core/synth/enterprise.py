"""ERP and CRM extracts: work orders, customer demand, purchase orders, inventory.

Grain: work_orders one row per work order per status change (a work order is sent when
created and again when completed, as ERP delta extracts do); demand one row per order
line; purchase_orders one row per PO per status change (sent when ordered, again when
received); inventory one row per material per day (end-of-day on-hand).

Past work orders and demand follow what the lines shipped; open ones cover the 21 days
after the last day. Inventory is simulated day by day from 60 days before the first
day (a loop over days, vectorized over materials): on-hand = previous + receipts -
consumption (production x BOM), with a reorder-point policy placing POs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from twin_core.synth.config import SynthConfig
from twin_core.synth.faultplan import DAY, FaultPlan
from twin_core.synth.plant import Plant
from twin_core.synth.rng import stream
from twin_core.synth.timeline import Timeline

FUTURE_DAYS = 21
HISTORY_DAYS = 60
LOAD = 0.85  # open work orders ask for 85% of what a line shipped per day
SPIKE_DAYS = (2, 8)  # days after the last day, inclusive
SPIKE_LOAD = 0.75  # extra demand as a share of the line's mean daily output


@dataclass(frozen=True)
class Enterprise:
    """Contract columns plus ``_day``: the 0-based day of the file a row goes into."""

    work_orders: pl.DataFrame
    demand: pl.DataFrame
    purchase_orders: pl.DataFrame
    inventory: pl.DataFrame
    truth: dict[str, dict[str, Any]] = field(default_factory=dict)


def _day_to_date(col: str, start: date) -> pl.Expr:
    return (pl.lit(start) + pl.duration(days=pl.col(col))).cast(pl.Date)


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    cuts = np.sort(rng.integers(1, total, parts - 1)) if total > parts else np.array([], int)
    sizes = np.diff(np.concatenate([[0], cuts, [total]]))
    return [int(x) for x in sizes if x > 0]


def build_enterprise(plant: Plant, plan: FaultPlan, tl: Timeline, cfg: SynthConfig) -> Enterprise:
    rng = stream(cfg.seed, "enterprise")
    last = cfg.days - 1
    products = plant.line_products
    pids = [p for line in plant.lines for p in products(line)]
    line_of = {p: line for line in plant.lines for p in products(line)}

    shipped = (
        tl.lots.with_columns(day=pl.col("end_s") // DAY)
        .group_by("product_id", "day")
        .agg(pl.col("shipped").sum())
    )
    ship = {(p, int(d)): int(q) for p, d, q in shipped.iter_rows()}
    steady = [d for d in range(cfg.days) if d > 0] or [0]
    rate = {p: LOAD * float(np.mean([ship.get((p, d), 0) for d in steady])) for p in pids}
    line_rate = {
        line: float(np.mean([sum(ship.get((p, d), 0) for p in products(line)) for d in steady]))
        for line in plant.lines
    }

    # ------------------------------------------------------------ work orders and demand
    wo_rows: list[dict[str, Any]] = []
    qty_by: dict[tuple[str, int], int] = {}
    for p in pids:
        for d in range(cfg.days + FUTURE_DAYS):
            qty = ship.get((p, d), 0) if d <= last else round(rate[p] * rng.uniform(0.9, 1.1))
            if qty <= 0:
                continue
            qty_by[(p, d)] = qty
            wid = f"WO-{p}-{(cfg.start + timedelta(days=d)):%Y%m%d}"
            created = min(max(d - FUTURE_DAYS, 0), last)
            base = {
                "work_order_id": wid,
                "product_id": p,
                "line_id": line_of[p],
                "qty": float(qty),
                "due": d,
            }
            if d > last or created < d:
                wo_rows.append(
                    base
                    | {"status": "released" if d - created <= 3 else "planned", "_day": created}
                )
            if d <= last:
                wo_rows.append(base | {"status": "completed", "_day": d})
    spike: dict[str, Any] = {}
    if plan.enabled:
        extra = round(SPIKE_LOAD * line_rate[plan.spike_line])
        days = list(range(cfg.days + SPIKE_DAYS[0] - 1, cfg.days + SPIKE_DAYS[1]))
        for d in days:
            wid = f"WO-{plan.spike_product}-{(cfg.start + timedelta(days=d)):%Y%m%d}-R"
            wo_rows.append(
                {
                    "work_order_id": wid,
                    "product_id": plan.spike_product,
                    "line_id": plan.spike_line,
                    "qty": float(extra),
                    "due": d,
                    "status": "released",
                    "_day": last - 1,
                }
            )
        required = {
            (cfg.start + timedelta(days=d)).isoformat(): sum(
                qty_by.get((p, d), 0) for p in products(plan.spike_line)
            )
            + extra
            for d in days
        }
        spike = {
            "due_from": days[0],
            "due_to": days[-1],
            "extra_per_day": extra,
            "required_qty_per_day": required,
            "mean_daily_output": round(line_rate[plan.spike_line], 1),
        }
    work_orders = (
        pl.DataFrame(wo_rows).with_columns(due_date=_day_to_date("due", cfg.start)).drop("due")
    )

    dm_rows: list[dict[str, Any]] = []
    customers = list(plant.customers)
    for (p, d), qty in sorted(qty_by.items()):
        for part in _split(qty, int(rng.integers(1, 4)), rng):
            lead_days = int(rng.integers(3, 22))
            dm_rows.append(
                {
                    "product_id": p,
                    "due": d,
                    "qty": float(part),
                    "customer_id": customers[int(rng.integers(len(customers)))],
                    "_day": min(max(d - lead_days, 0), last),
                }
            )
    if spike:
        for d in range(spike["due_from"], spike["due_to"] + 1):
            dm_rows.append(
                {
                    "product_id": plan.spike_product,
                    "due": d,
                    "qty": float(spike["extra_per_day"]),
                    "customer_id": customers[0],
                    "_day": last - 1,
                }
            )
    demand = (
        pl.DataFrame(dm_rows)
        .sort("_day", "due", "product_id", "customer_id", "qty")
        .with_columns(
            order_id=pl.format("SO-{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6)),
            due_date=_day_to_date("due", cfg.start),
        )
        .select("order_id", "product_id", "due_date", "qty", "customer_id", "_day")
    )

    # ------------------------------------------------------------ inventory and POs
    mats = plant.materials.sort("material_id")
    mids = mats["material_id"].to_list()
    n_m = len(mids)
    midx = {m: i for i, m in enumerate(mids)}
    cons_df = (
        tl.lots.with_columns(day=pl.col("start_s") // DAY)
        .join(plant.bom, on="product_id")
        .group_by("day", "material_id")
        .agg((pl.col("n_start") * pl.col("qty_per")).sum().alias("q"))
    )
    cons = np.zeros((cfg.days, n_m))
    for d, m, q in cons_df.iter_rows():
        cons[int(d), midx[m]] = q
    cons = np.round(cons, 3)
    req = np.zeros((FUTURE_DAYS, n_m))
    fut = pl.DataFrame(
        [{"product_id": p, "h": d - cfg.days, "qty": q} for (p, d), q in qty_by.items() if d > last]
    )
    if spike:
        fut = pl.concat(
            [
                fut,
                pl.DataFrame(
                    {
                        "product_id": plan.spike_product,
                        "h": list(
                            range(spike["due_from"] - cfg.days, spike["due_to"] - cfg.days + 1)
                        ),
                        "qty": spike["extra_per_day"],
                    },
                    schema=fut.schema,
                ),
            ]
        )
    for h, m, q in (
        fut.join(plant.bom, on="product_id")
        .group_by("h", "material_id")
        .agg((pl.col("qty") * pl.col("qty_per")).sum())
        .iter_rows()
    ):
        req[int(h), midx[m]] = q

    r = np.maximum(cons.mean(axis=0), 1e-3)
    lead = mats["lead_time_days"].to_numpy().astype(np.int64)
    moq = mats["min_order_qty"].to_numpy()
    # Generous safety (24 days beyond the lead time) so that a late delivery or the demand
    # spike never empties a material: the labelled stockout stays the only one. Order cycles
    # of one to two and a half weeks; stock at the start of the history spread over the
    # cycle (orders do not come in waves).
    rop = r * (lead + 24)
    top = rop + r * rng.uniform(7, 18, n_m)
    sup = mats["supplier_id"].to_numpy()
    late = sup == plan.late_supplier
    stock_i = midx.get(plan.stockout_material, -1)
    allowed_until = np.full(n_m, cfg.days + 1)
    if stock_i >= 0:
        allowed_until[stock_i] = -(int(lead[stock_i]) + 12)
    span = HISTORY_DAYS + cfg.days + 40
    pipeline = np.zeros((span, n_m))
    on_hand, on_order = rop + (top - rop) * rng.uniform(0, 1, n_m), np.zeros(n_m)
    snaps = np.zeros((cfg.days, n_m))
    pos: list[tuple[int, int, float, int, int]] = []  # order day, material, qty, promised, arrival
    for t in range(-HISTORY_DAYS, cfg.days):  # days, not rows: vectorized over materials
        i = t + HISTORY_DAYS
        on_hand += pipeline[i]
        on_order -= pipeline[i]
        if t == 0 and stock_i >= 0:
            cum = np.cumsum(req[:, stock_i])
            on_hand[stock_i] = round(
                float(cum[5] + 0.5 * req[6, stock_i] + cons[:, stock_i].sum()), 3
            )
        used = cons[t] if t >= 0 else np.round(r * rng.uniform(0.85, 1.15, n_m), 3)
        on_hand = np.maximum(on_hand - used, 0.0)
        if t >= 0:
            snaps[t] = on_hand
        ip = on_hand + on_order
        need = np.flatnonzero((ip < rop) & (t < allowed_until))
        delay = np.where(
            late[need],
            rng.integers(4, 10, need.size),
            np.clip(np.round(rng.normal(0.3, 1.0, need.size)), -2, 3),
        )
        for m, d_ in zip(need, delay, strict=True):  # a few orders a day at most
            q = float(np.ceil(max(moq[m], top[m] - ip[m]) / 10) * 10)
            arrival = max(t + int(lead[m]) + int(d_), t + 1)
            pipeline[arrival + HISTORY_DAYS, m] += q
            on_order[m] += q
            pos.append((t, int(m), q, t + int(lead[m]), arrival))
    if plan.enabled and not any(late[m] and pr < last < ar for _, m, _, pr, ar in pos):
        m = int(np.flatnonzero(late)[0])
        pos.append(
            (last - int(lead[m]) - 4, m, float(np.ceil(moq[m] / 10) * 10), last - 4, last + 6)
        )

    po = pl.DataFrame(pos, schema=["order", "m", "qty", "promised", "arrival"], orient="row").sort(
        "order", "m", "promised"
    )
    po = po.with_columns(
        po_id=pl.format("PO-{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6)),
        material_id=pl.col("m").replace_strict(dict(enumerate(mids)), return_dtype=pl.String),
        supplier_id=pl.col("m").replace_strict(
            dict(enumerate(sup.tolist())), return_dtype=pl.String
        ),
        f_open=pl.max_horizontal(pl.col("order"), pl.lit(0)),
        received=pl.col("arrival") <= last,
    )
    open_rows = po.filter(
        ~pl.col("received") | (pl.col("arrival") > pl.col("f_open"))
    ).with_columns(
        _day=pl.col("f_open"),
        received_date=pl.lit(None, pl.Date),
        received_qty=pl.lit(None, pl.Float64),
    )
    recv_rows = po.filter(pl.col("received")).with_columns(
        _day=pl.max_horizontal(pl.col("arrival"), pl.lit(0)),
        received_date=_day_to_date("arrival", cfg.start),
        received_qty=pl.col("qty"),
    )
    cols = [
        "po_id",
        "material_id",
        "supplier_id",
        "qty",
        "order_date",
        "promised_date",
        "received_date",
        "received_qty",
        "_day",
    ]
    purchase_orders = (
        pl.concat([open_rows, recv_rows])
        .with_columns(
            order_date=_day_to_date("order", cfg.start),
            promised_date=_day_to_date("promised", cfg.start),
        )
        .select(cols)
        .sort("_day", "po_id")
    )
    inventory = (
        pl.DataFrame(
            {
                "site_id": cfg.site_id,
                "material_id": np.tile(np.array(mids), cfg.days),
                "on_hand": np.round(snaps.ravel(), 3),
                "day": np.repeat(np.arange(cfg.days), n_m),
            }
        )
        .with_columns(as_of=_day_to_date("day", cfg.start), _day=pl.col("day"))
        .drop("day")
    )

    truth: dict[str, dict[str, Any]] = {}
    if plan.enabled:
        truth["demand_spike"] = spike
        lp = po.filter(pl.col("supplier_id") == plan.late_supplier)
        rec = lp.filter(pl.col("received"))
        truth["late_supplier"] = {
            "received_pos": rec.height,
            "late_received_pos": int((rec["arrival"] > rec["promised"]).sum()),
            "mean_delay_days": round(
                float(np.mean((rec["arrival"] - rec["promised"]).to_numpy()))
                if rec.height
                else 0.0,
                2,
            ),
            "open_late_pos": lp.filter(~pl.col("received") & (pl.col("promised") < last))[
                "po_id"
            ].to_list(),
        }
        if stock_i >= 0:
            cover = _days_of_cover(float(snaps[last, stock_i]), req[:, stock_i])
            truth["stockout_risk"] = {
                "as_of": (cfg.start + timedelta(days=last)).isoformat(),
                "on_hand": round(float(snaps[last, stock_i]), 3),
                "days_of_cover": round(cover, 3),
                "projected_stockout_date": (
                    cfg.start + timedelta(days=last + int(np.ceil(cover)))
                ).isoformat(),
                "open_pos": 0,
                "lead_time_days": int(lead[stock_i]),
            }
    return Enterprise(
        work_orders=work_orders,
        demand=demand,
        purchase_orders=purchase_orders,
        inventory=inventory,
        truth=truth,
    )


def _days_of_cover(stock: float, daily: np.ndarray) -> float:
    """Time-phased days of cover from the day after as-of (docs/definitions.md)."""
    left = stock
    for i, need in enumerate(daily):
        if need >= left:
            return i + (left / need if need > 0 else 0.0)
        left -= need
    return float(len(daily))
