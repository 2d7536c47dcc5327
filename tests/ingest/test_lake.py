"""The lake: sensor readings stored once as write-once, content-addressed Parquet files under
TWIN_HOME/lake/<source>/site=<id>/day=<date>/, a fitting Parquet landing file adopted as it is,
anything else converted once with its row numbers; raw.sensor_readings reads them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

import twin_core.warehouse as wh
from tests.ingest.conftest import drop, machines_csv, rows
from twin_core.ingest import ingest_landing, lake, load
from twin_core.settings import Settings
from twin_core.validation import validate_batch
from twin_core.warehouse import SCHEMA_DIR, open_warehouse

READINGS = "sensor_id,ts,value,quality"


def _lake_files(home: Settings) -> list[Path]:
    return sorted((home.home / "lake").rglob("*.parquet"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sensors(home: Settings) -> None:
    drop(home, "machines", "m.csv", machines_csv("M1,L1,S1,Press,press,1,2.0"))
    drop(
        home,
        "sensors",
        "s.csv",
        "sensor_id,machine_id,metric,unit,valid_min,valid_max,alarm_low,alarm_high\n"
        "T1,M1,temp,C,0,100,,\n",
    )


def test_csv_is_converted_once_with_its_row_numbers(home: Settings) -> None:
    """A CSV's readings become one Parquet file named by its hash, under its site and day;
    the row that fails a cast is quarantined and out of raw, the others keep their rows."""
    _sensors(home)
    drop(
        home,
        "sensor_readings",
        "r.csv",
        f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\nT1,2026-01-02T00:00:01,n/a,good\n"
        "T1,2026-01-02T00:00:02,2.5,good\n",
    )
    result = ingest_landing(home)
    (f,) = [x for x in result.files if x.source == "sensor_readings"]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    (lake,) = _lake_files(home)
    assert lake.parent == home.home / "lake/sensor_readings/site=S1/day=2026-01-02"
    assert lake.name == _sha(lake) + ".parquet"
    assert rows(home, "select _row, value, _file from raw.sensor_readings order by _row") == [
        (1, 1.5, "sensor_readings/r.csv"),
        (3, 2.5, "sensor_readings/r.csv"),
    ]
    assert rows(home, "select count(*) from raw.sensor_readings_rows") == [(0,)]
    assert rows(home, "select how, rows, site_id from ingest.lake_files") == [
        ("converted", 3, "S1")
    ]
    assert rows(home, 'select "row", rule from quality.quarantine') == [(2, "cast_failed")]


def test_fitting_parquet_is_adopted_not_re_encoded(home: Settings) -> None:
    """A Parquet file with the contract's names and types is the lake file, byte for byte
    (hard-linked where the file system allows); its rows are numbered from 1."""
    path = home.landing_dir / "sensor_readings" / "r.parquet"
    path.parent.mkdir(parents=True)
    frame = pl.DataFrame(
        {
            "sensor_id": ["T1", "T2"],
            "ts": pl.Series(["2026-01-03 00:00:00", "2026-01-03 00:00:01"]).str.to_datetime(
                time_unit="us"
            ),
            "value": [1.0, 2.0],
            "quality": ["good", "bad"],
        }
    )
    frame.write_parquet(path)
    ingest_landing(home)
    (lake,) = _lake_files(home)
    assert lake.read_bytes() == path.read_bytes()
    assert lake.name == _sha(path) + ".parquet"
    assert lake.parent.name == "day=2026-01-03"
    assert lake.stat().st_ino == path.stat().st_ino  # tmp_path: one file system
    assert rows(home, "select how from ingest.lake_files") == [("adopted",)]
    assert rows(home, "select _row, sensor_id, quality from raw.sensor_readings order by 1") == [
        (1, "T1", "good"),
        (2, "T2", "bad"),
    ]


def test_parquet_of_other_types_is_converted(home: Settings) -> None:
    """Timestamps as text do not fit the contract: the file is typed once into the lake."""
    path = home.landing_dir / "sensor_readings" / "r.parquet"
    path.parent.mkdir(parents=True)
    pl.DataFrame(
        {"sensor_id": ["T1"], "ts": ["2026-01-03T00:00:00"], "value": [1.0], "quality": ["good"]}
    ).write_parquet(path)
    ingest_landing(home)
    (lake,) = _lake_files(home)
    assert lake.read_bytes() != path.read_bytes()
    assert rows(home, "select how from ingest.lake_files") == [("converted",)]
    assert rows(home, "select _row, ts::varchar from raw.sensor_readings") == [
        (1, "2026-01-03 00:00:00")
    ]


def test_validated_readings_reach_core_from_the_lake(home: Settings) -> None:
    """core.sensor_readings (a view over raw) shows the lake's readings once validated."""
    _sensors(home)
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\n")
    batch = ingest_landing(home).batch_id
    assert batch is not None
    validate_batch(home, batch)
    assert rows(home, "select sensor_id, value, _row from core.sensor_readings") == [("T1", 1.5, 1)]


def test_the_lake_reads_directly_with_duckdb_and_polars(home: Settings) -> None:
    """What docs/lake.md shows: any Parquet reader gets the readings without the warehouse."""
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\n")
    ingest_landing(home)
    glob = str(home.home / "lake/sensor_readings/**/*.parquet")
    assert duckdb.sql(f"select sensor_id, value from read_parquet('{glob}')").fetchall() == [
        ("T1", 1.5)
    ]
    frame = pl.scan_parquet(glob).select("sensor_id", "value").collect()
    assert frame.rows() == [("T1", 1.5)]


def test_a_populated_home_upgrades_without_losing_a_reading(
    home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse made before the lake (schema up to 100, readings as warehouse rows,
    validated) upgrades to the lake's schema: raw and core hold every reading they held."""
    old = tmp_path / "schema_before_lake"
    old.mkdir()
    for p in SCHEMA_DIR.glob("*.sql"):
        if int(p.name[:3]) < 120:
            shutil.copy(p, old / p.name)
    home.warehouse_path.unlink()
    # The version before the lake: its schema, and readings loaded into the warehouse table.
    with monkeypatch.context() as m:
        m.setattr(wh, "apply_schema", lambda con, schema_dir=old: _apply(con, schema_dir))
        m.setattr(load, "in_lake", lambda source: False)
        m.setattr(lake, "ensure_root", lambda con, home: None)
        _sensors(home)
        readings = [f"T1,2026-01-02T00:00:{i:02d},{i}.5,good" for i in range(40)]
        drop(home, "sensor_readings", "r.csv", "\n".join([READINGS, *readings]) + "\n")
        first = ingest_landing(home).batch_id
        # A later delivery correcting one reading: the earlier row is superseded.
        drop(home, "sensor_readings", "r2.csv", f"{READINGS}\nT1,2026-01-02T00:00:05,99.0,good\n")
        second = ingest_landing(home).batch_id
        assert first is not None and second is not None
        validate_batch(home, first)
        validate_batch(home, second)
        with open_warehouse(home) as con:
            kind = con.execute(
                "select table_type from information_schema.tables "
                "where table_schema = 'raw' and table_name = 'sensor_readings'"
            ).fetchall()
            assert kind == [("BASE TABLE",)]
            before_raw = con.execute(Q_RAW).fetchall()
            before_core = con.execute(Q_CORE).fetchall()
    assert len(before_raw) == 41 and len(before_core) == 40
    with open_warehouse(home) as con:  # applies 120_lake.sql
        assert con.execute(Q_RAW).fetchall() == before_raw
        assert con.execute(Q_CORE).fetchall() == before_core
        assert con.execute("select count(*) from raw.sensor_readings_rows").fetchall() == [(41,)]
    # New readings go to the lake; the old ones stay readable beside them.
    drop(home, "sensor_readings", "r3.csv", f"{READINGS}\nT1,2026-01-03T00:00:00,7.0,good\n")
    third = ingest_landing(home).batch_id
    assert third is not None
    validate_batch(home, third)
    assert len(_lake_files(home)) == 1
    assert rows(home, "select count(*) from raw.sensor_readings") == [(42,)]
    assert rows(home, "select count(*) from core.sensor_readings") == [(41,)]


def test_a_moved_home_reads_its_lake(home: Settings, tmp_path: Path) -> None:
    """The views name lake files by absolute path (any DuckDB client reads them); a home
    moved elsewhere has them rewritten at its next write open."""
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\n")
    ingest_landing(home)
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        assert con.execute("select value from raw.sensor_readings").fetchall() == [(1.5,)]
    moved = tmp_path / "moved"
    shutil.move(home.home, moved)
    settings = Settings(home=moved)
    assert rows(settings, "select value from raw.sensor_readings") == [(1.5,)]


Q_RAW = "select * from raw.sensor_readings order by _file, _row"
Q_CORE = "select * from core.sensor_readings order by _file, _row"
_apply = wh.apply_schema


def test_parquet_with_a_nan_reading_is_converted_so_filters_find_it(home: Settings) -> None:
    """Arrow leaves NaN out of a column's statistics and DuckDB would skip its row group on
    a range filter: a fitting file holding NaN is converted, and the NaN reading is found."""
    path = home.landing_dir / "sensor_readings" / "r.parquet"
    path.parent.mkdir(parents=True)
    pl.DataFrame(
        {
            "sensor_id": ["T1", "T1"],
            "ts": pl.Series(["2026-01-03 00:00:00", "2026-01-03 00:00:01"]).str.to_datetime(
                time_unit="us"
            ),
            "value": [1.0, float("nan")],
            "quality": ["good", "good"],
        }
    ).write_parquet(path)
    ingest_landing(home)
    assert rows(home, "select how from ingest.lake_files") == [("converted",)]
    out_of_range = "select _row from raw.sensor_readings where not (value >= 0 and value <= 10)"
    assert rows(home, out_of_range) == [(2,)]


def test_doctor_finds_a_missing_or_changed_lake_file(home: Settings) -> None:
    """twin doctor checks each lake file against the hash that names it."""
    from twin_core.doctor import check_home

    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\n")
    drop(home, "sensor_readings", "s.csv", f"{READINGS}\nT1,2026-01-03T00:00:00,2.5,good\n")
    ingest_landing(home)
    lake_msgs = [i.message for i in check_home(home).findings if i.subject == "lake"]
    assert lake_msgs == ["all 2 lake files present, each matching its hash"]
    first, second = _lake_files(home)
    with first.open("ab") as fh:
        fh.write(b"x")
    second.unlink()
    report = check_home(home)
    (item,) = [i for i in report.findings if i.subject == "lake"]
    assert item.level == "error"
    assert "2 of 2 lake files are missing or changed" in item.message
    assert not report.ok


def test_the_rewritten_view_keeps_its_declared_comments(home: Settings) -> None:
    """Each ingest re-creates raw.sensor_readings over the lake's files; the view and its
    columns carry their declared meanings afterwards (twin_core/tables.py), as at open."""
    from twin_core import tables

    _sensors(home)
    drop(home, "sensor_readings", "r.csv", f"{READINGS}\nT1,2026-01-02T00:00:00,1.5,good\n")
    ingest_landing(home)
    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        (comment,) = con.execute(
            "select comment from duckdb_views() "
            "where schema_name = 'raw' and view_name = 'sensor_readings'"
        ).fetchone() or (None,)
        assert "lake" in str(comment) and comment == tables.VIEWS["raw.sensor_readings"][1]
        assert tables.comment_statements(con) == []
