"""Every labelled dirty row is exactly where ground_truth.json says, and is what it says."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import polars as pl
import pytest

from twin_core.contracts import SOURCES
from twin_core.synth import DIRT_KINDS

from .conftest import Plant, read_raw


def _items(plant: Plant, kind: str) -> list[dict[str, Any]]:
    return [
        r | {"source": f.entities["source"]}
        for f in plant.truth.of_kind(kind)
        for r in f.details.get("rows", [])
    ]


def _row(plant: Plant, file: str, row: int) -> dict[str, Any]:
    df = read_raw(plant.out / file)
    return df.row(row - 1, named=True)


def _text(v: Any) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


@pytest.mark.parametrize("kind", [k for k in DIRT_KINDS if k != "malformed_file"])
def test_labelled_rows_hold_the_labelled_keys(plant: Plant, kind: str) -> None:
    """At each labelled file and 1-based row sits the row with the labelled key values."""
    items = _items(plant, kind)
    found = [
        {k: _text(_row(plant, it["file"], it["row"])[k]).replace(" ", "T") for k in it["key"]}
        for it in items
    ]
    expected = [{k: str(v) for k, v in it["key"].items()} for it in items]
    assert items and found == expected


def test_duplicates_are_exact_copies(plant: Plant) -> None:
    """A duplicate row equals the row it duplicates in every column."""
    items = _items(plant, "duplicate_rows")
    pairs = [
        (_row(plant, it["file"], it["row"]), _row(plant, it["file"], it["duplicate_of_row"]))
        for it in items
    ]
    assert len(pairs) >= 4 and all(a == b for a, b in pairs)


def test_out_of_order_rows_come_before_earlier_events(plant: Plant) -> None:
    """Each out-of-order row is followed, later in the file, by an earlier event of the same sensor or machine."""
    early = []
    for it in _items(plant, "out_of_order_rows"):
        src = SOURCES[it["source"]]
        entity, when = src.key[0], str(src.event_time)
        df = read_raw(plant.out / it["file"]).with_row_index("_r", offset=1)
        mine = df.filter(pl.col(entity) == it["key"][entity])
        me = mine.filter(pl.col("_r") == it["row"])[when][0]
        early.append(mine.filter(pl.col("_r") > it["row"])[when].min() < me)
    assert early and all(early)


def test_late_corrections_resend_the_key_later_with_the_corrected_value(plant: Plant) -> None:
    """The earlier file holds the wrong value, a later day's file the same key with the right one."""
    checks = []
    for it in _items(plant, "late_corrections"):
        old = _row(plant, it["original_file"], it["original_row"])
        new = _row(plant, it["file"], it["row"])
        checks.append(
            (
                float(old[it["column"]]) == float(it["original_value"]),
                float(new[it["column"]]) == float(it["corrected_value"]),
                it["file"] > it["original_file"],
                it["original_value"] != it["corrected_value"],
            )
        )
    assert len(checks) >= 2 and set(checks) == {(True, True, True, True)}


def test_invalid_values_cover_negative_nan_and_out_of_range(plant: Plant) -> None:
    """Invalid rows include a negative quantity, a NaN and out-of-range values, each as labelled."""
    items = _items(plant, "invalid_values")
    seen = set()
    for it in items:
        v = _row(plant, it["file"], it["row"])[it["column"]]
        if it["value"] == "NaN":
            assert math.isnan(float(v))
        else:
            assert float(v) == float(it["value"])
        seen.add(it["violation"])
    assert seen == {"below_min", "not_finite", "above_max", "outside_sensor_valid_range"}


def test_malformed_file_cannot_be_read(plant: Plant) -> None:
    """DuckDB refuses the malformed file (it is cut short and not valid UTF-8)."""
    f = plant.truth.one("malformed_file")
    with pytest.raises(duckdb.Error):
        duckdb.sql(f"select * from read_csv('{plant.out / f.entities['file']}')").fetchall()


def test_dirt_is_small(plant: Plant) -> None:
    """Fewer than 40 labelled dirty rows in the whole run."""
    n = sum(len(f.details.get("rows", [])) for f in plant.truth.faults)
    assert 0 < n < 40
