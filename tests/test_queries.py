"""The example questions in sql/queries run on a published file and answer them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin_cli import app
from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.warehouse import SQL_DIR, open_warehouse

runner = CliRunner()
QUERIES = sorted((SQL_DIR / "queries").glob("*.sql"))


@pytest.fixture
def published(settings: Settings) -> Settings:
    """A published file with two snapshots of a tiny plant (L1 short of its target)."""
    with open_warehouse(settings) as con:
        for sid, day in ((1, "2026-01-06"), (2, "2026-01-07")):
            con.execute(
                "insert into history.snapshots (snapshot_id, as_of, created_at, status, input_batches, code_version, site_ids, params) values (?, ?, now()::timestamp, 'complete', "
                "'[]', 't', '[\"S1\"]', '{}')",
                [sid, day],
            )
            con.execute(
                "insert into history.machine_health (snapshot_id, site_id, machine_id, line_id, health_score, anomalies, predicted_limit_date, evidence) values (?, 'S1', 'L1-M1', 'L1', ?, 1, "
                "'2026-01-20', 'vibration rising')",
                [sid, 0.9 if sid == 1 else 0.6],
            )
        con.execute(
            "insert into history.machine_day (snapshot_id, site_id, machine_id, line_id, day, planned_busy_s, running_s, down_s, setup_s, idle_s, good_qty, scrap_qty, availability, performance, quality, oee, performance_implausible) values "
            "(2, 'S1', 'L1-M1', 'L1', '2026-01-07', 25200, 22380, 2820, 0, 0, 18848, 423, "
            "0.888095, 0.861081, 0.978050, 0.747937, false), "
            "(2, 'S1', 'L1-M2', 'L1', '2026-01-07', 25200, 25200, 0, 0, 0, 25000, 0, "
            "1.0, 0.99206, 1.0, 0.99206, false)"
        )
        con.execute(
            "insert into history.line_forecast (snapshot_id, site_id, line_id, day, required_qty, p10_qty, p50_qty, p90_qty, bottleneck_machine_id) values "
            "(2, 'S1', 'L1', '2026-01-08', 1000, 700, 800, 900, 'L1-M1'), "
            "(2, 'S1', 'L2', '2026-01-08', 500, 600, 700, 800, 'L2-M3')"
        )
        con.execute(
            "insert into history.material_status (snapshot_id, site_id, material_id, supplier_id, on_hand, days_of_cover, days_of_cover_unbounded, stockout_date, safety_stock, reorder_point, order_qty, order_by_date) values "
            "(2, 'S1', 'MAT-01', 'SUP-1', 100, 3.5, false, '2026-01-11', 40, 80, 300, '2026-01-08'), "
            "(2, 'S1', 'MAT-02', 'SUP-2', 900, null, true, null, 0, 0, 0, null)"
        )
        con.execute(
            "insert into history.spc_violations (snapshot_id, product_id, characteristic, lot_id, rule, value, ts) values "
            "(2, 'P1', 'bore', 'LOT-9', 'WE1', 10.4, '2026-01-07 10:00:00')"
        )
        con.execute(
            "insert into history.feedback_insights (snapshot_id, product_id, revision, category, feedback_count, rate_per_1000_units, lots, lines, machines) values "
            "(2, 'P1', 'B', 'complaint', 12, 4.8, '[\"LOT-9\"]', '[\"L1\"]', '[\"L1-M1\"]'), "
            "(2, 'P1', 'A', 'complaint', 2, 0.4, '[]', '[\"L1\"]', '[]')"
        )
    publish(settings)
    return settings


def _run(path: Path) -> list[dict[str, object]]:
    result = runner.invoke(app, ["query", "--file", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_every_example_query_runs(published: Settings, path: Path) -> None:
    """Each file in sql/queries runs through `twin query --file` and returns rows."""
    assert _run(path), f"{path.name} returned no rows on the seeded plant"


def test_oee_losses_rank_the_vorne_machine_first(published: Settings) -> None:
    """The machine with the Vorne shift (OEE 0.748) has the largest loss: 25200 s x 0.252 = 1.8 h."""
    rows = _run(SQL_DIR / "queries" / "oee_losses_this_week.sql")
    assert rows[0]["machine_id"] == "L1-M1"
    assert rows[0]["oee_loss_hours"] == pytest.approx(1.8, abs=0.05)


def test_lines_missing_target_lists_only_the_short_line(published: Settings) -> None:
    """Only L1 (p50 800 < required 1000) is listed, with a gap of 200."""
    rows = _run(SQL_DIR / "queries" / "lines_missing_target.sql")
    assert [(r["line_id"], r["gap_qty"]) for r in rows] == [("L1", 200)]


def test_materials_to_order_skips_unbounded_cover(published: Settings) -> None:
    """A material with no future demand is not listed; the one with an order-by date is."""
    rows = _run(SQL_DIR / "queries" / "materials_to_order.sql")
    assert [r["material_id"] for r in rows] == ["MAT-01"]


def test_machine_health_trend_spans_snapshots(published: Settings) -> None:
    """The health trend reads history across both snapshots, oldest first."""
    rows = _run(SQL_DIR / "queries" / "machine_health_trend.sql")
    assert [(r["snapshot_id"], r["health_score"]) for r in rows] == [(1, 0.9), (2, 0.6)]
