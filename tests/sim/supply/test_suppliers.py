"""Supply: lead times measured from received POs (or master data), supplier performance and risk."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from twin_core.sim.supply.suppliers import (
    RiskWeights,
    material_lead_times,
    supplier_lead_times,
    supplier_performance,
)

AS_OF = date(2026, 3, 31)

_PO_SCHEMA = {
    "po_id": pl.String,
    "material_id": pl.String,
    "supplier_id": pl.String,
    "qty": pl.Float64,
    "order_date": pl.Date,
    "promised_date": pl.Date,
    "received_date": pl.Date,
    "received_qty": pl.Float64,
}


def _received(
    supplier: str, material: str, leads: list[int], promised: int
) -> list[tuple[object, ...]]:
    """Received POs ordered 40, 39, ... days before as_of, each taking leads[i] days."""
    rows: list[tuple[object, ...]] = []
    for i, lead in enumerate(leads):
        ordered = AS_OF - timedelta(days=40 - i)
        rows.append(
            (
                f"{supplier}-{i}",
                material,
                supplier,
                10.0,
                ordered,
                ordered + timedelta(days=promised),
                ordered + timedelta(days=lead),
                10.0,
            )
        )
    return rows


def _open(supplier: str, material: str, promised: date, name: str) -> tuple[object, ...]:
    return (name, material, supplier, 10.0, AS_OF - timedelta(days=20), promised, None, None)


def _pos(rows: list[tuple[object, ...]]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=_PO_SCHEMA, orient="row")


MATERIALS = pl.LazyFrame(
    {
        "material_id": ["A", "B", "C"],
        "supplier_id": ["FAST", "SLOW", "NEW"],
        "lead_time_days": [5.0, 7.0, 9.0],
    }
)


def test_lead_times_are_measured_from_received_pos() -> None:
    """Per supplier: count, on-time count, mean and sample sd of received - ordered days."""
    pos = _pos(_received("FAST", "A", [4, 5, 6, 5, 5], promised=5))
    got = supplier_lead_times(pos, as_of=AS_OF).collect()
    expected = pl.DataFrame(
        {
            "supplier_id": ["FAST"],
            "received_pos": [5],
            "on_time_pos": [4],
            "lead_time_mean_days": [5.0],
            "lead_time_sd_days": [0.5**0.5],
        }
    )
    assert_frame_equal(got, expected)


def test_receipts_after_as_of_are_not_yet_history() -> None:
    """A PO received after as_of does not count as received when replaying as_of."""
    rows = _received("FAST", "A", [4, 5], promised=5)
    rows.append(
        ("late", "A", "FAST", 1.0, AS_OF - timedelta(days=3), AS_OF, AS_OF + timedelta(days=2), 1.0)
    )
    got = supplier_lead_times(_pos(rows), as_of=AS_OF).collect()
    assert got.select("received_pos").item() == 2


def test_supplier_with_enough_history_uses_measured_lead_time() -> None:
    """Five received POs (the minimum) replace master data with the measured mean and sd."""
    pos = _pos(_received("FAST", "A", [4, 5, 6, 5, 5], 5))
    got = material_lead_times(MATERIALS, pos, as_of=AS_OF, min_history=5).collect()
    expected = pl.DataFrame(
        {
            "material_id": ["A", "B", "C"],
            "supplier_id": ["FAST", "SLOW", "NEW"],
            "lead_time_days": [5.0, 7.0, 9.0],
            "lead_time_sd_days": [0.5**0.5, 0.0, 0.0],
            "lead_time_source": ["measured", "master", "master"],
        }
    )
    assert_frame_equal(got, expected)


def test_supplier_with_too_little_history_falls_back_to_master_data() -> None:
    """Four received POs are below min_history 5: master lead time, sd 0."""
    pos = _pos(_received("SLOW", "B", [20, 30, 25, 21], 7))
    got = material_lead_times(MATERIALS, pos, as_of=AS_OF, min_history=5).collect()
    row = got.filter(pl.col("material_id") == "B").row(0, named=True)
    assert (row["lead_time_days"], row["lead_time_sd_days"], row["lead_time_source"]) == (
        7.0,
        0.0,
        "master",
    )


def test_measured_lead_time_is_planned_plus_the_suppliers_deviation() -> None:
    """A supplier always 2 days over plan on materials planned at 5 and 9 days: L 7 and 11, sd 0."""
    materials = pl.LazyFrame(
        {"material_id": ["A", "C"], "supplier_id": ["DUO", "DUO"], "lead_time_days": [5.0, 9.0]}
    )
    pos = _pos(_received("DUO", "A", [7, 7, 7], 5) + _received("DUO", "C", [11, 11], 9))
    pos = pos.with_columns(po_id=pl.format("{}-{}", "po_id", "material_id"))
    got = material_lead_times(materials, pos, as_of=AS_OF, min_history=5).collect()
    expected = pl.DataFrame(
        {
            "material_id": ["A", "C"],
            "supplier_id": ["DUO", "DUO"],
            "lead_time_days": [7.0, 11.0],
            "lead_time_sd_days": [0.0, 0.0],
            "lead_time_source": ["measured", "measured"],
        }
    )
    assert_frame_equal(got, expected)


def test_supplier_delay_adds_days_to_the_lead_time() -> None:
    """A scenario delay of 3 days on NEW lengthens its material's lead time from 9 to 12."""
    got = material_lead_times(
        MATERIALS, _pos([]), as_of=AS_OF, min_history=5, supplier_delays={"NEW": 3}
    )
    assert got.collect().get_column("lead_time_days").to_list() == [5.0, 7.0, 12.0]


def _status(rows: list[tuple[str, float | None, float]]) -> pl.LazyFrame:
    """material_status rows of (material_id, days_of_cover or None for unbounded, lead_time)."""
    return pl.LazyFrame(
        [("S1", m, c, c is None, lead) for m, c, lead in rows],
        schema={
            "site_id": pl.String,
            "material_id": pl.String,
            "days_of_cover": pl.Float64,
            "days_of_cover_unbounded": pl.Boolean,
            "lead_time_days": pl.Float64,
        },
        orient="row",
    )


SUPPLIERS = pl.LazyFrame({"supplier_id": ["FAST", "NEW", "SLOW"]})


def _performance(pos: pl.LazyFrame, status: pl.LazyFrame) -> pl.DataFrame:
    return supplier_performance(pos, status, MATERIALS, SUPPLIERS, as_of=AS_OF).collect()


def test_on_time_rate_and_late_open_pos() -> None:
    """On time = received on or before promised; late open = open and promised on or before as_of."""
    rows = _received("FAST", "A", [4, 6, 5, 7], promised=5)
    rows += [
        _open("FAST", "A", AS_OF - timedelta(days=1), "o1"),
        _open("FAST", "A", AS_OF, "o2"),
        _open("FAST", "A", AS_OF + timedelta(days=1), "o3"),
    ]
    got = _performance(_pos(rows), _status([]))
    row = got.filter(pl.col("supplier_id") == "FAST").row(0, named=True)
    expected = {"received_pos": 4, "on_time_rate": 0.5, "open_pos": 3, "late_open_pos": 2}
    assert {k: row[k] for k in expected} == expected


def test_supplier_without_pos_is_listed_with_neutral_history() -> None:
    """A supplier with no PO at all: no on-time rate, late part at the 0.5 prior."""
    got = _performance(_pos([]), _status([]))
    row = got.filter(pl.col("supplier_id") == "NEW").row(0, named=True)
    assert (row["received_pos"], row["on_time_rate"], row["risk_late"]) == (0, None, 0.5)


def test_chronically_late_supplier_ranks_riskiest() -> None:
    """SLOW delivers 8 of 8 POs late with spread and has late open POs: it tops the ranking."""
    rows = _received("FAST", "A", [5, 5, 4, 5, 5, 5, 4, 5], promised=5)
    rows += _received("SLOW", "B", [12, 20, 9, 15, 25, 11, 18, 14], promised=7)
    rows += [
        _open("SLOW", "B", AS_OF - timedelta(days=4), "s1"),
        _open("FAST", "A", AS_OF + timedelta(days=3), "f1"),
    ]
    status = _status([("A", 6.0, 5.0), ("B", 20.0, 15.0), ("C", 3.0, 9.0)])
    got = _performance(_pos(rows), status).sort("risk_score", descending=True)
    assert got.get_column("supplier_id").to_list() == ["SLOW", "NEW", "FAST"]


def test_sole_sourced_materials_with_short_cover_raise_dependency() -> None:
    """Cover below the lead time counts fully; unbounded cover counts nothing."""
    status = _status([("A", 2.0, 5.0), ("B", None, 7.0)])
    got = _performance(_pos([]), status).sort("supplier_id")
    assert got.select("supplier_id", "sole_source_materials", "risk_dependency").rows() == [
        ("FAST", 1, pytest.approx(1 - math.exp(-1.0))),
        ("NEW", 0, 0.0),
        ("SLOW", 1, 0.0),
    ]


def test_material_with_a_second_supplier_is_not_sole_sourced() -> None:
    """A PO of material A from SLOW gives A two suppliers: FAST no longer carries it alone."""
    rows = [_open("SLOW", "A", AS_OF + timedelta(days=5), "x")]
    got = _performance(_pos(rows), _status([("A", 1.0, 5.0)]))
    fast = got.filter(pl.col("supplier_id") == "FAST").row(0, named=True)
    assert (fast["sole_source_materials"], fast["risk_dependency"]) == (0, 0.0)


def test_risk_score_is_the_weighted_sum_of_its_parts_at_the_extremes() -> None:
    """Every PO late, cv above 1, every open PO late, 41 uncovered materials: near 1, never above."""
    rows = _received("SLOW", "B", [1, 30, 2, 35, 3], promised=0)
    rows += [_open("SLOW", "B", AS_OF - timedelta(days=1), "late")]
    status = _status([("B", 0.0, 7.0)] + [(f"B{i}", 0.0, 7.0) for i in range(40)])
    materials = pl.concat(
        [
            MATERIALS,
            pl.LazyFrame(
                {
                    "material_id": [f"B{i}" for i in range(40)],
                    "supplier_id": ["SLOW"] * 40,
                    "lead_time_days": [7.0] * 40,
                }
            ),
        ]
    )
    got = supplier_performance(_pos(rows), status, materials, SUPPLIERS, as_of=AS_OF).collect()
    score = got.filter(pl.col("supplier_id") == "SLOW").select("risk_score").item()
    expected = 0.4 * 6 / 7 + 0.2 * 1.0 + 0.15 * 1.0 + 0.25 * (1 - math.exp(-41.0))
    assert score == pytest.approx(expected, rel=1e-12)


def test_risk_weights_must_sum_to_one() -> None:
    """Weights that do not sum to 1 are refused with the sum named."""
    with pytest.raises(ValidationError, match="sum to 1"):
        RiskWeights(late=0.5, open_late=0.5, variability=0.5, dependency=0.0)
