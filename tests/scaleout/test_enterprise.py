"""The sites layout, the multi-site generator and the enterprise publish, on real files: each
site home gets a real warehouse with hand-written snapshot rows and a real publish; the
enterprise file is built from those published files (no Prefect)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from twin_core.enterprise import EnterpriseError, publish_enterprise
from twin_core.publish import publish
from twin_core.settings import Settings
from twin_core.sites import SiteLayoutError, has_sites, site_homes, site_settings
from twin_core.synth.sites import generate_sites
from twin_core.tables import ENTERPRISE_TABLES, table
from twin_core.warehouse import open_warehouse

NIGHT = date(2026, 1, 2)


def _site_night(settings: Settings, site: str, sid: int, day: date, machines: int) -> None:
    """One complete snapshot of ``day`` with ``machines`` machine-days, then publish."""
    with open_warehouse(settings) as con:
        con.execute(
            "insert into history.snapshots (snapshot_id, as_of, created_at, status, "
            "input_batches, code_version, site_ids, params) values "
            "(?, ?, now()::timestamp, 'complete', '[]', 'test', '[]', '{}')",
            [sid, day],
        )
        for m in range(machines):
            con.execute(
                "insert into history.machine_day (snapshot_id, site_id, machine_id, line_id, day, "
                "planned_busy_s, running_s, good_qty, scrap_qty, performance, oee) "
                "values (?, ?, ?, 'L1', ?, 1000, 800, 90, 10, 0.9, 0.648)",
                [sid, site, f"L1-M{m + 1}", day],
            )
        con.execute(
            "insert into history.supplier_performance (snapshot_id, supplier_id, received_pos, "
            "on_time_rate, lead_time_mean_days, open_pos, late_open_pos) "
            "values (?, 'SUP-01', 10, ?, 5.0, 1, 0)",
            [sid, 0.9 if site == "S1" else 0.5],
        )
    publish(settings)


@pytest.fixture
def group(settings: Settings) -> Settings:
    """A home with sites S1 (2 machines) and S2 (3 machines), both published for NIGHT."""
    for site, machines in (("S1", 2), ("S2", 3)):
        (settings.home / "sites" / site).mkdir(parents=True)
        _site_night(site_settings(settings, site), site, 1, NIGHT, machines)
    return settings


def test_a_home_without_sites_is_one_site(settings: Settings) -> None:
    assert not has_sites(settings.home) and site_homes(settings.home) == {}
    (settings.home / "sites" / "bad name").mkdir(parents=True)
    with pytest.raises(SiteLayoutError, match="not a valid site folder name"):
        site_homes(settings.home)


def test_the_enterprise_file_holds_every_site_and_the_cross_site_views(group: Settings) -> None:
    result = publish_enterprise(group, NIGHT)
    assert [p.site_id for p in result.sites] == ["S1", "S2"] and result.stale_sites == []
    con = duckdb.connect(str(group.published_path), read_only=True)
    try:
        assert con.execute(
            "select site_id, count(*) from twin.machine_day group by 1 order by 1"
        ).fetchall() == [("S1", 2), ("S2", 3)]
        # supplier_performance has no site_id of its own: the site is added.
        perf = con.execute(
            "select sites, received_pos, on_time_rate, worst_site "
            "from twin.supplier_performance_sites"
        ).fetchall()
        assert perf == [(2, 20, pytest.approx(0.7), "S2")]
        oee = con.execute("select site_id, machines, oee from twin.oee_by_site").fetchall()
        assert [(s, m) for s, m, _ in oee] == [("S1", 2), ("S2", 3)]
        assert oee[0][2] == pytest.approx(0.8 * 0.9 * 0.9)
        assert con.execute(
            "select site_id, snapshot_id, in_enterprise, stale from twin.snapshots order by 1"
        ).fetchall() == [("S1", 1, True, False), ("S2", 1, True, False)]
        assert con.execute("select as_of, stale_site_ids from meta.publish").fetchone() == (
            NIGHT,
            [],
        )
    finally:
        con.close()


def test_every_table_view_and_column_of_the_enterprise_file_has_a_comment(group: Settings) -> None:
    """As a site's plant.duckdb: DBeaver and the DuckDB CLI show a meaning for everything,
    the sites' own comments carried over and the enterprise's own objects declared."""
    publish_enterprise(group, NIGHT)
    con = duckdb.connect(str(group.published_path), read_only=True)
    try:
        objects = con.execute(
            "select schema_name || '.' || table_name, coalesce(comment, '') from duckdb_tables() "
            "union all select schema_name || '.' || view_name, coalesce(comment, '') "
            "from duckdb_views() where not internal order by 1"
        ).fetchall()
        columns = con.execute(
            "select schema_name || '.' || table_name || '.' || column_name, "
            "coalesce(comment, '') from duckdb_columns() where not internal order by 1"
        ).fetchall()
        ordered = dict(
            con.execute(
                "select schema_name || '.' || table_name, list(column_name order by column_index) "
                "from duckdb_columns() where not internal group by 1"
            ).fetchall()
        )
        snap = dict(
            con.execute(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = 'twin' and table_name = 'machine_day'"
            ).fetchall()
        )
    finally:
        con.close()
    assert len(objects) > 20 and "twin.sites" in dict(objects)
    assert [name for name, comment in objects if not comment] == []
    assert [name for name, comment in columns if not comment] == []
    for t in ENTERPRISE_TABLES:  # the declarations name the file's columns, in order
        assert ordered[t.full_name] == [c.name for c in t.columns], t.full_name
    # a copied table keeps its site view's column meaning; the added site_id has its own
    assert snap["oee"] == table("history.machine_day").column("oee").meaning
    assert snap["site_id"]


def test_a_site_behind_the_night_keeps_the_previous_enterprise_file(group: Settings) -> None:
    publish_enterprise(group, NIGHT)
    before = group.published_path.read_bytes()
    nxt = date(2026, 1, 3)
    _site_night(site_settings(group, "S1"), "S1", 2, nxt, 2)  # S2 has not run for nxt
    with pytest.raises(EnterpriseError, match=r"site S2 published snapshot 1 of 2026-01-02"):
        publish_enterprise(group, nxt)
    assert group.published_path.read_bytes() == before
    assert not list(group.home.glob(".plant-*.building*"))


def test_a_site_with_missing_data_is_published_as_its_previous_night_marked_stale(
    group: Settings,
) -> None:
    nxt = date(2026, 1, 3)
    _site_night(site_settings(group, "S1"), "S1", 2, nxt, 2)
    result = publish_enterprise(group, nxt, {"S2": "no sensor_readings for 2026-01-03"})
    assert result.stale_sites == ["S2"]
    con = duckdb.connect(str(group.published_path), read_only=True)
    try:
        assert con.execute(
            "select site_id, snapshot_id, as_of, stale, stale_reason from twin.sites order by 1"
        ).fetchall() == [
            ("S1", 2, nxt, False, None),
            ("S2", 1, NIGHT, True, "no sensor_readings for 2026-01-03"),
        ]
        assert con.execute(
            "select site_id, snapshot_id from twin.snapshots where stale"
        ).fetchall() == [("S2", 1)]
        assert con.execute(
            "select count(*) from twin.machine_day where site_id = 'S2'"
        ).fetchone() == (3,)
    finally:
        con.close()


def test_a_site_without_a_published_file_stops_the_enterprise_publish(group: Settings) -> None:
    (group.home / "sites" / "S3").mkdir()
    with pytest.raises(EnterpriseError, match="site S3 has no published file"):
        publish_enterprise(group, NIGHT)
    assert not group.published_path.exists()


def test_generated_sites_have_their_own_lines_and_share_suppliers_and_products(
    tmp_path: Path,
) -> None:
    truths = generate_sites(tmp_path, 3, days=1, faults="none")
    assert sorted(truths) == ["S1", "S2", "S3"]
    land = {s: tmp_path / "sites" / s / "landing" for s in truths}
    machines = {s: pl.read_csv(land[s] / "machines" / "machines.csv") for s in truths}
    assert {s: m["site_id"].unique().to_list() for s, m in machines.items()} == {
        "S1": ["S1"],
        "S2": ["S2"],
        "S3": ["S3"],
    }
    lines = {s: m["line_id"].n_unique() for s, m in machines.items()}
    assert lines == {"S1": 3, "S2": 4, "S3": 3}
    # Own machines: cycle times differ between sites with the same layout.
    assert not machines["S1"]["ideal_cycle_time_s"].equals(machines["S3"]["ideal_cycle_time_s"])
    sup = {s: (land[s] / "suppliers" / "suppliers.csv").read_bytes() for s in truths}
    assert sup["S1"] == sup["S2"] == sup["S3"]
    products = {s: pl.read_csv(land[s] / "products" / "products.csv") for s in truths}
    assert products["S1"].equals(products["S3"])
    shared = products["S1"].join(products["S2"], on=["product_id", "revision"], how="inner")
    assert shared.height == products["S1"].height  # S2 builds every S1 product, and more
    assert (shared["name"] == shared["name_right"]).all()
    mats = {s: pl.read_csv(land[s] / "materials" / "materials.csv") for s in truths}
    common = mats["S1"].join(mats["S2"], on="material_id")
    assert common.height > 0 and (common["supplier_id"] == common["supplier_id_right"]).all()
