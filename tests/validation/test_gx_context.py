"""The GX side: the DuckDB workaround, the session's connections, Data Docs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql_engine
import pytest

from tests.validation.conftest import AddBatch, masters
from twin_core.settings import Settings
from twin_core.validation import validate_batch
from twin_core.validation.gx_context import docs_index, gx_session, install_duckdb_workaround
from twin_core.warehouse import connect, open_warehouse

AS_OF = date(2026, 3, 2)


def test_workaround_lists_duckdb_once_however_often_installed() -> None:
    """Installing the workaround twice adds one duckdb entry."""
    install_duckdb_workaround()
    install_duckdb_workaround()
    names = [str(getattr(d, "value", d)) for d in gx_sql_engine._PERSISTED_CONNECTION_DIALECTS]
    assert names.count("duckdb") == 1


@pytest.mark.slow
def test_without_the_workaround_gx_fails_every_expectation_on_duckdb(tmp_path: Path) -> None:
    """The trap still exists in this GX: a clean not-null check fails without the workaround.

    When this test fails, GX has fixed the bug and install_duckdb_workaround can go.
    """
    db = tmp_path / "t.duckdb"
    script = textwrap.dedent(
        f"""
        import duckdb, great_expectations as gx
        con = duckdb.connect({str(db)!r})
        con.execute("create table t as select 1 as x")
        con.close()
        ctx = gx.get_context(mode="ephemeral")
        ds = ctx.data_sources.add_sql("d", connection_string="duckdb:///{db}")
        bd = ds.add_query_asset("t", query="select * from t").add_batch_definition_whole_table("b")
        suite = ctx.suites.add(gx.ExpectationSuite("s"))
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="x"))
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=bd, suite=suite))
        print(vd.run().success)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_session_reads_through_the_callers_connection_and_leaves_it_open(
    settings: Settings, add_batch: AddBatch
) -> None:
    """GX sees what the caller's connection committed, not its open transaction; after the
    session that connection still works, and once it is closed the file opens read-only in
    this process (no other configuration of it was left open)."""
    add_batch("b1", masters())

    def not_null() -> list[object]:
        return [gx.expectations.ExpectColumnValuesToNotBeNull(column="machine_type")]

    with open_warehouse(settings) as con:
        con.execute("begin transaction")
        con.execute("update raw.machines set machine_type = null")
        with gx_session(settings, con, run_name="t") as session:
            during = session.validate("machines", "select * from raw.machines", not_null())
        con.execute("commit")
        with gx_session(settings, con, run_name="t2") as session:
            after = session.validate("machines", "select * from raw.machines", not_null())
        assert con.execute("select count(*) from raw.machines").fetchall() == [(1,)]
    assert (during.success, after.success) == (True, False)
    reader = connect(settings.warehouse_path, read_only=True, settings=settings)
    assert reader.execute("select count(*) from raw.machines").fetchall() == [(1,)]
    reader.close()


def test_data_docs_index_is_built_under_the_validation_folder(
    settings: Settings, add_batch: AddBatch
) -> None:
    """validate_batch returns the index of GX's local_site under TWIN_HOME/validation/gx/,
    listing the batch."""
    add_batch("b1", masters())
    result = validate_batch(settings, "b1", as_of=AS_OF)
    expected = settings.validation_dir / "gx" / "uncommitted/data_docs/local_site/index.html"
    assert result.data_docs_path == expected
    assert f"batch b1 run {result.run_id}" in expected.read_text(encoding="utf-8")


def test_data_docs_keep_earlier_runs_in_the_index(settings: Settings, add_batch: AddBatch) -> None:
    """The index lists every batch validated, not only the last one."""
    add_batch("b1", masters())
    add_batch("b2", masters())
    first = validate_batch(settings, "b1", as_of=AS_OF)
    second = validate_batch(settings, "b2", as_of=AS_OF)
    index = docs_index(settings.validation_dir).read_text(encoding="utf-8")
    assert f"batch b1 run {first.run_id}" in index
    assert f"batch b2 run {second.run_id}" in index


def test_data_docs_keep_only_the_latest_runs_configured(
    settings: Settings, add_batch: AddBatch
) -> None:
    """With data_docs_runs = 1 the index lists the last run only; validation_runs keeps both."""
    narrow = settings.model_copy(
        update={"validation": settings.validation.model_copy(update={"data_docs_runs": 1})}
    )
    add_batch("b1", masters())
    add_batch("b2", masters())
    first = validate_batch(narrow, "b1", as_of=AS_OF)
    second = validate_batch(narrow, "b2", as_of=AS_OF)
    index = docs_index(settings.validation_dir).read_text(encoding="utf-8")
    assert f"batch b1 run {first.run_id}" not in index
    assert f"batch b2 run {second.run_id}" in index
    with open_warehouse(settings) as con:
        runs = con.execute("select count(distinct run_id) from quality.validation_runs").fetchone()
    assert runs == (2,)
