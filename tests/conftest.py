"""Shared fixtures: an isolated TWIN_HOME per test, and DuckDB databases in memory or on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from twin_core.settings import Settings
from twin_core.warehouse import apply_schema, connect


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """Prefect's local ephemeral API for flow tests: one per test session (it costs ~10 s).

    Use it in any test that runs a flow: ``def test_x(prefect_api, ...)``.
    """
    from prefect.testing.utilities import prefect_test_harness

    # 30 s (Prefect's default) is too short on a loaded CI box: the server migrates a new DB.
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def twin_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty TWIN_HOME in tmp_path, set in the environment for code that reads settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("TWIN_HOME", str(home))
    monkeypatch.delenv("TWIN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def settings(twin_home: Path) -> Settings:
    """Settings for the isolated TWIN_HOME, with the folder created."""
    twin_home.mkdir(parents=True, exist_ok=True)
    return Settings(home=twin_home)


@pytest.fixture
def mem_db() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the full schema applied."""
    con = connect(":memory:")
    apply_schema(con)
    yield con
    con.close()
