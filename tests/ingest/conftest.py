"""Fixtures for ingest tests: a TWIN_HOME with a landing folder, and helpers to drop extracts
into it and read what ingest wrote."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from twin_core.settings import Settings
from twin_core.warehouse import apply_schema, connect, open_warehouse

MACHINES_HEADER = "machine_id,line_id,site_id,name,machine_type,line_position,ideal_cycle_time_s"


@pytest.fixture(scope="session")
def _empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Applying the whole schema to a new file costs about a second; copy it instead.
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    con = connect(path)
    apply_schema(con)
    con.close()
    return path


@pytest.fixture
def home(settings: Settings, _empty_warehouse: Path) -> Settings:
    """Settings whose TWIN_HOME has an empty landing folder and a warehouse with the schema."""
    settings.landing_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_empty_warehouse, settings.warehouse_path)
    return settings


def drop(settings: Settings, source: str, name: str, content: str | bytes) -> Path:
    """Write an extract into landing/<source>/<name> (text is written as UTF-8)."""
    path = settings.landing_dir / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def machines_csv(*rows: str, header: str = MACHINES_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def rows(settings: Settings, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run a query on the warehouse and return its rows."""
    with open_warehouse(settings) as con:
        return con.execute(sql, params).fetchall()
