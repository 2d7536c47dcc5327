"""Issue 20 item 3 through the warehouse: qcc's dyedcloth u chart with its real (fractional)
sizes. The extract lands in raw, is validated (inspected_whole_units warns, quarantines
nothing), promoted to core exactly and charted by the quality builder: the defects:all u chart
has centre 153 / 107.5 and, recomputed from core.defects, UCL 2.5844 on roll 5 (9.5 units;
reference-cases.md). Truncated sizes gave 153 / 106 and 2.6448. Each defect row also feeds
its code's p / np chart, which keeps only the whole-unit rolls.

qcc's dyedcloth (Montgomery, Introduction to SQC, 2nd ed., pp. 183-184): x nonconformities on
ten rolls of `size` inspection units. A row is one defect code of a lot and its count cannot
exceed the units inspected (defects_within_inspected), so each roll's x is split over two
codes; the u chart sums the codes of a lot.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from tests.validation.conftest import AddBatch, Query, masters
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.sim.quality import attributes
from twin_core.twin import quality
from twin_core.validation import validate_batch
from twin_core.warehouse import fetch_polars, open_warehouse

X = [14, 12, 20, 11, 7, 10, 21, 16, 19, 23]
SIZE = [10.0, 8.0, 13.0, 10.0, 9.5, 10.0, 12.0, 10.5, 12.0, 12.5]
AS_OF = date(2026, 3, 1)
T0 = datetime(2026, 3, 1, 6, 0)


def _rolls() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, (x, n) in enumerate(zip(X, SIZE, strict=True)):
        for code, qty in (("flaw", (x + 1) // 2), ("stain", x // 2)):
            rows.append(
                {
                    "lot_id": f"R{i + 1:02d}",
                    "ts": (T0 + timedelta(minutes=30 * i)).isoformat(sep=" "),
                    "product_id": "P1",
                    "line_id": "L1",
                    "inspected_qty": n,
                    "defect_code": code,
                    "defect_qty": qty,
                }
            )
    return rows


def test_dyedcloth_u_chart_keeps_its_real_sizes_through_the_warehouse(
    settings: Settings, add_batch: AddBatch, query: Query
) -> None:
    product = {"product_id": "P1", "name": "cloth", "revision": "A", "line_id": "L1"}
    add_batch("b1", {**masters(), "products": [product], "defects": _rolls()})
    validate_batch(settings, "b1", as_of=AS_OF)
    assert query("select count(*) from quality.quarantine where source = 'defects'") == [(0,)]
    # Rolls 5 (9.5), 8 (10.5) and 10 (12.5), two codes each: six rows warned about, none held.
    fractional = [i for i, n in enumerate(SIZE) if n != int(n)]
    assert len(fractional) == 3
    assert query(
        "select severity, unexpected_count from quality.validation_runs "
        "where source = 'defects' and rule = 'inspected_whole_units'"
    ) == [("warning", 2 * len(fractional))]

    with open_warehouse(settings) as con:
        core = fetch_polars(con, "select * from core.defects order by lot_id, defect_code")
        snapshot = rebuild(con, settings, AS_OF, builder_list=[quality.build])
        limits = fetch_polars(
            con,
            "select characteristic, chart, center, subgroups from history.spc_limits "
            "where snapshot_id = ? and product_id = 'P1' order by characteristic",
            [snapshot],
        )
    assert core.filter(pl.col("lot_id") == "R05")["inspected_qty"].to_list() == [9.5, 9.5]

    ubar = sum(X) / sum(SIZE)
    u = limits.filter(pl.col("characteristic") == attributes.ALL_DEFECTS).row(0, named=True)
    assert (u["chart"], u["subgroups"]) == ("u", 10)
    assert u["center"] == pytest.approx(153 / 107.5, rel=1e-12)
    assert u["center"] != pytest.approx(153 / 106, rel=1e-6)

    # Per-roll limits are not stored; the chart points of the same core rows give them.
    groups = attributes.attribute_subgroups(
        core.lazy().with_columns(pl.col("ts").cast(pl.Datetime("us")))
    )
    points = (
        attributes.attribute_points(groups, settings.baseline_subgroups)
        .filter(pl.col("characteristic") == attributes.ALL_DEFECTS)
        .sort("position")
        .collect()
    )
    assert points["ucl"].to_list() == pytest.approx(
        [ubar + 3 * math.sqrt(ubar / n) for n in SIZE], rel=1e-12
    )
    assert points["ucl"][4] == pytest.approx(2.5844395, abs=1e-7)

    # The p / np charts of the codes count defective units: only the 7 whole-unit rolls.
    per_code = limits.filter(pl.col("characteristic").str.starts_with(attributes.CODE_PREFIX))
    assert sorted(per_code["characteristic"].to_list()) == ["defect:flaw", "defect:stain"]
    assert set(per_code["subgroups"].to_list()) == {len(SIZE) - len(fractional)}
    assert set(per_code["chart"].to_list()) <= {"p", "np"}
