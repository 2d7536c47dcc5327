"""Supply on the synthetic plant: the labelled stockout and late supplier show in the twin.

The plant goes through the real path: generate -> ingest -> validate -> rebuild.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import polars as pl
import pytest

from twin_core.ingest import ingest_landing
from twin_core.rebuild import rebuild
from twin_core.settings import Settings
from twin_core.twin import supply
from twin_core.validation import validate_pending
from twin_core.warehouse import fetch_polars, open_warehouse

pytestmark = pytest.mark.slow


def _fault(truth: Any, kind: str) -> Any:
    (found,) = [f for f in truth.faults if f.kind == kind]
    return found


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 7-day synthetic plant ingested, validated and rebuilt as of its last day."""
    from twin_core.synth import generate

    home = tmp_path_factory.mktemp("synthetic") / "home"
    home.mkdir()
    truth = generate(home, days=7, seed=7)
    settings = Settings(home=home)
    ingest_landing(settings)
    validate_pending(settings)
    stock = _fault(truth, "stockout_risk")
    as_of = date.fromisoformat(stock.details["as_of"])
    with open_warehouse(settings) as con:
        rebuild(con, settings, as_of, builder_list=[supply.build])
        yield {
            "truth": truth,
            "as_of": as_of,
            "status": fetch_polars(con, "select * from twin.material_status"),
            "suppliers": fetch_polars(con, "select * from twin.supplier_performance"),
        }


def test_stockout_material_gets_an_order_by_date_before_its_stockout(twin: dict[str, Any]) -> None:
    """The labelled material runs out on the labelled day, and its order-by date comes first."""
    stock = _fault(twin["truth"], "stockout_risk")
    row = (
        twin["status"]
        .filter(pl.col("material_id") == stock.entities["material_id"])
        .row(0, named=True)
    )
    expected_stockout = date.fromisoformat(stock.details["projected_stockout_date"])
    assert row["stockout_date"] == expected_stockout
    assert row["order_by_date"] is not None and row["order_by_date"] < expected_stockout


def test_late_supplier_ranks_riskiest(twin: dict[str, Any]) -> None:
    """The chronically late supplier has the highest risk score."""
    late = _fault(twin["truth"], "late_supplier").entities["supplier_id"]
    ranking = twin["suppliers"].sort("risk_score", descending=True).get_column("supplier_id")
    assert ranking[0] == late


def test_late_suppliers_spread_raises_its_materials_safety_stock(twin: dict[str, Any]) -> None:
    """Its lead-time spread is the widest, and every material of it carries safety stock above
    the demand-only term z x sd_d x sqrt(L)."""
    late = _fault(twin["truth"], "late_supplier").entities["supplier_id"]
    spread = twin["status"].group_by("supplier_id").agg(pl.col("lead_time_sd_days").max())
    widest = spread.sort("lead_time_sd_days", descending=True).get_column("supplier_id")[0]
    assert widest == late
    rows = twin["status"].filter(pl.col("supplier_id") == late).to_dicts()
    assert rows
    for r in rows:
        demand_only = r["z"] * r["demand_sd_daily"] * math.sqrt(r["lead_time_days"])
        assert r["lead_time_sd_days"] > 0
        assert r["safety_stock"] > demand_only
