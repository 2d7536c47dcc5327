"""Dirty data, small and labelled: duplicates, out-of-order rows, late corrections,
invalid values and one malformed file.

Operations act on a day's frame with the writer's helper columns (``_ord`` places a
row in the file, ``_tag`` labels it). Each returns ground-truth rows whose row numbers
are unknown until the file is written: a ``Ref`` stands in for them and ``resolve``
swaps in the file and 1-based row number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from twin_core.contracts import get_source
from twin_core.synth.config import SynthConfig
from twin_core.synth.plant import Plant

Files = dict[tuple[str, int], pl.DataFrame]


@dataclass(frozen=True)
class Ref:
    """A labelled row of a file, before the file exists."""

    source: str
    day: int
    tag: str


@dataclass
class PendingFault:
    kind: str
    source: str
    day: int
    rows: list[dict[str, Any]] = field(default_factory=list)


def helpers(df: pl.DataFrame) -> pl.DataFrame:
    if "_ord" in df.columns:
        return df
    return df.with_columns(
        _ord=pl.int_range(pl.len()).cast(pl.Float64), _tag=pl.lit(None, pl.String)
    )


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.replace(microsecond=0).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and not np.isfinite(v):
        return "NaN"
    return v


def key_of(df: pl.DataFrame, pos: int, source: str) -> dict[str, Any]:
    row = df.row(pos, named=True)
    return {k: _jsonable(row[k]) for k in get_source(source).key}


def _tag(df: pl.DataFrame, positions: list[int], tags: list[str]) -> pl.DataFrame:
    return df.with_columns(df["_tag"].scatter(positions, tags))


def duplicate(
    df: pl.DataFrame, source: str, day: int, positions: list[int], label: str, at_end: bool
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Exact copies of rows, right after each original or at the end of the file."""
    df = helpers(df)
    orig = [f"{label}:{i}:orig" for i in range(len(positions))]
    copy = [f"{label}:{i}:copy" for i in range(len(positions))]
    df = _tag(df, positions, orig)
    top = float(df["_ord"].to_numpy().max())
    dup = df[positions].with_columns(
        _ord=pl.Series(
            [top + 1 + i if at_end else float(df["_ord"][p]) + 0.5 for i, p in enumerate(positions)]
        ),
        _tag=pl.Series(copy),
    )
    items = [
        {
            "row": Ref(source, day, c),
            "duplicate_of_row": Ref(source, day, o),
            "key": key_of(df, p, source),
            "violation": "duplicate_key",
            "expected": "one copy loaded; the other reported as a duplicate key",
        }
        for p, o, c in zip(positions, orig, copy, strict=True)
    ]
    return pl.concat([df, dup]), items


def move_before(
    df: pl.DataFrame, source: str, day: int, positions: list[int], target: int, label: str
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Move rows (in order) to just before row ``target``: their event time goes backwards."""
    df = helpers(df)
    tags = [f"{label}:{i}" for i in range(len(positions))]
    base = float(df["_ord"][target])
    ords = df["_ord"].scatter(positions, [base - 0.5 + 0.01 * i for i in range(len(positions))])
    df = _tag(df.with_columns(ords), positions, tags)
    items = [
        {
            "row": Ref(source, day, t),
            "key": key_of(df, p, source),
            "violation": "out_of_order",
            "expected": "loaded; valid rows delivered out of time order",
        }
        for p, t in zip(positions, tags, strict=True)
    ]
    return df, items


def set_value(
    df: pl.DataFrame,
    source: str,
    day: int,
    pos: int,
    column: str,
    value: Any,
    label: str,
    violation: str,
    expected: str,
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Overwrite one cell; the item keeps the true value."""
    df = helpers(df)
    true = df[column][pos]
    s = df[column].scatter([pos], [value])
    df = _tag(df.with_columns(s), [pos], [label])
    return df, [
        {
            "row": Ref(source, day, label),
            "key": key_of(df, pos, source),
            "column": column,
            "value": _jsonable(value),
            "true_value": _jsonable(true),
            "violation": violation,
            "expected": expected,
        }
    ]


def late_correction(
    files: Files,
    source: str,
    orig_day: int,
    new_day: int,
    positions: list[int],
    column: str,
    wrong: list[Any],
    label: str,
) -> list[dict[str, Any]]:
    """The earlier file carries a wrong value; the later file re-sends the row, corrected."""
    old = helpers(files[(source, orig_day)])
    new = helpers(files[(source, new_day)])
    otags = [f"{label}:{i}:orig" for i in range(len(positions))]
    ntags = [f"{label}:{i}:new" for i in range(len(positions))]
    fixed = old[positions]
    old = _tag(old.with_columns(old[column].scatter(positions, wrong)), positions, otags)
    top = float(new["_ord"].to_numpy().max())
    fixed = fixed.with_columns(
        _ord=pl.Series([top + 1 + i for i in range(len(positions))]), _tag=pl.Series(ntags)
    )
    files[(source, orig_day)] = old
    files[(source, new_day)] = pl.concat([new, fixed.select(new.columns)])
    return [
        {
            "row": Ref(source, new_day, n),
            "original_row": Ref(source, orig_day, o),
            "key": key_of(old, p, source),
            "column": column,
            "original_value": _jsonable(w),
            "corrected_value": _jsonable(fixed[column][i]),
            "violation": "late_correction",
            "expected": "loaded; the later row replaces the earlier one",
        }
        for i, (p, o, n, w) in enumerate(zip(positions, otags, ntags, wrong, strict=True))
    ]


@dataclass(frozen=True)
class SensorOp:
    kind: str  # duplicate | out_of_order | nan | out_of_range
    sensor_id: str
    fault: str


def sensor_plan(plant: Plant, cfg: SynthConfig) -> dict[int, list[SensorOp]]:
    """Which readings files get which dirt (sensors on first stations, away from faults)."""
    if not cfg.with_faults:
        return {}
    first = [f"{line}-M1" for line in plant.lines[:3]] * 3
    return {
        1: [SensorOp("duplicate", plant.sensor_of(first[0], "power"), "duplicate_rows")],
        2: [SensorOp("out_of_order", plant.sensor_of(first[1], "power"), "out_of_order_rows")],
        3: [
            SensorOp("nan", plant.sensor_of(first[2], "power"), "invalid_values"),
            SensorOp("out_of_range", plant.sensor_of(first[0], "temperature"), "invalid_values"),
        ],
    }


def apply_sensor_ops(
    df: pl.DataFrame, day: int, ops: list[SensorOp], rng: np.random.Generator
) -> tuple[pl.DataFrame, list[tuple[str, dict[str, Any]]]]:
    """Dirty one block of readings; returns (fault kind, item) pairs."""
    src = "sensor_readings"
    out: list[tuple[str, dict[str, Any]]] = []
    for n, op in enumerate(ops):
        df = helpers(df)
        rows = np.flatnonzero((df["sensor_id"] == op.sensor_id).to_numpy())
        if rows.size < 100:
            continue
        label = f"{op.kind}{n}"
        if op.kind == "duplicate":
            pos = sorted(int(x) for x in rng.choice(rows[10:-10], 3, replace=False))
            df, items = duplicate(df, src, day, pos, label, at_end=False)
        elif op.kind == "out_of_order":
            j = int(rows[rows.size // 2])
            df, items = move_before(df, src, day, list(range(j, j + 5)), j - 30, label)
        elif op.kind == "nan":
            df, items = set_value(
                df,
                src,
                day,
                int(rows[rows.size // 3]),
                "value",
                float("nan"),
                label,
                "not_finite",
                "quarantined: value is not a finite number",
            )
        else:
            df, items = set_value(
                df,
                src,
                day,
                int(rows[rows.size // 4]),
                "value",
                999.0,
                label,
                "outside_sensor_valid_range",
                "quarantined or flagged: above the sensor's valid_max",
            )
        out += [(op.fault, it) for it in items]
    return df, out


def apply_table_dirt(
    files: Files, cfg: SynthConfig, rng: np.random.Generator
) -> list[PendingFault]:
    """Dirt in the non-sensor daily files (needs the days of a faulted run)."""
    if not cfg.with_faults:
        return []
    faults: list[PendingFault] = []

    def pick(source: str, day: int, k: int) -> list[int]:
        h = files[(source, day)].height
        return sorted(int(x) for x in rng.choice(np.arange(1, h - 1), k, replace=False))

    key = ("production", 2)
    files[key], items = duplicate(
        files[key], "production", 2, pick("production", 2, 2), "dup", at_end=True
    )
    faults.append(PendingFault("duplicate_rows", "production", 2, items))

    key = ("machine_events", 1)
    ev = helpers(files[key])
    i = pick("machine_events", 1, 1)[0]
    ev, items = move_before(ev, "machine_events", 1, [i + 1], i, "ooo")
    files[key] = ev
    faults.append(PendingFault("out_of_order_rows", "machine_events", 1, items))

    key = ("production", 3)
    files[key], items = set_value(
        files[key],
        "production",
        3,
        pick("production", 3, 1)[0],
        "good_qty",
        -5,
        "neg",
        "below_min",
        "quarantined: good_qty must be >= 0",
    )
    faults.append(PendingFault("invalid_values", "production", 3, items))
    prod = files[("production", 1)]
    pos = pick("production", 1, 2)
    wrong = [max(int(prod["good_qty"][p]) - 3, 0) for p in pos]
    items = late_correction(files, "production", 1, 3, pos, "good_qty", wrong, "late")
    faults.append(PendingFault("late_corrections", "production", 3, items))
    ins = files[("inspections", 0)]
    pos = pick("inspections", 0, 1)
    items = late_correction(
        files,
        "inspections",
        0,
        2,
        pos,
        "value",
        [round(float(ins["value"][pos[0]]) * 10, 4)],
        "late",
    )
    faults.append(PendingFault("late_corrections", "inspections", 2, items))

    fb_days = [
        d
        for d in range(2, cfg.days)
        if ("customer_feedback", d) in files and files[("customer_feedback", d)].height >= 3
    ]
    if fb_days:
        d = fb_days[0]
        key = ("customer_feedback", d)
        files[key], items = set_value(
            files[key],
            "customer_feedback",
            d,
            pick("customer_feedback", d, 1)[0],
            "severity",
            9,
            "sev",
            "above_max",
            "quarantined: severity must be within 1..5",
        )
        faults.append(PendingFault("invalid_values", "customer_feedback", d, items))
    return faults


def malform(data: bytes) -> bytes:
    """A transfer cut short: the first 60% of the bytes (ending mid-row) and a burst of
    bytes that are not UTF-8."""
    cut = int(len(data) * 0.6)
    return data[:cut] + b"\xff\xfe\x00\x9c\x80garbage\xc3\x28"
