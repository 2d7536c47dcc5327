"""The Great Expectations side: one ephemeral context per validation run, reading the warehouse
through GX's SQL execution engine (duckdb-engine / SQLAlchemy), never pandas.

Grain: one ``GxSession`` per validation run; one query asset, batch definition, suite and
validation definition per source validated in it. Validation results are kept on disk
(``<validation_dir>/gx_results``) so the Data Docs site (``<validation_dir>/data_docs``) lists
every run, not only the last one.

GX reads through the caller's own DuckDB connection: SQLAlchemy's ``creator`` hands it a cursor
of that connection, a second connection to the same database instance. So there is no second
configuration of the file in the process (which DuckDB refuses, docs/definitions.md, known traps), no
reopening, and GX's queries find in the buffer pool the blocks the caller's queries just read
(on a bench day that made GX's queries 1.2 s faster than on a fresh read-only open of the file).
GX runs only SELECTs: the queries of built-in expectations and of ``checks.Check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import duckdb_engine
import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql_engine
import sqlalchemy as sa
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

from twin_core.settings import Settings
from twin_core.shared_files import make_dirs, share_tree

DATASOURCE = "warehouse"
DOCS_SITE = "twin"
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


def safe_token(value: str, what: str = "batch id") -> str:
    """``value`` if it can be written into a GX query string as a literal, else a ValueError.

    GX query assets take SQL text, not parameters; batch and run ids go into that text, so
    only letters, digits and ``_ . : -`` are accepted (no quotes, no spaces).
    """
    if not _SAFE_TOKEN.fullmatch(value):
        raise ValueError(
            f"{what} {value!r} is not a safe token (letters, digits, _ . : - only, at most 128)"
        )
    return value


class _DialectName(str):
    """A dialect name GX can list among its persisted-connection dialects: it equals the
    plain string GX compares (``"duckdb" in _PERSISTED_CONNECTION_DIALECTS``) and has the
    ``.value`` GX reads when it checks a connection string's prefix."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)


def install_duckdb_workaround() -> None:
    """Make GX keep one persisted connection for DuckDB (idempotent).

    Known trap (docs/definitions.md): GX 1.x on duckdb-engine fetches a metric's rows after the
    connection went back to SQLAlchemy's pool, swallows the resulting IndexError and reports
    EVERY expectation as failed. For the dialects in
    ``great_expectations.execution_engine.sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS``
    (sqlite, mssql, ...) GX holds one connection (StaticPool) for the engine's life, which
    avoids the early release. Listing duckdb there is the whole fix. Remove this when GX
    lists duckdb itself (tests/validation/test_gx_context.py shows whether it still must).
    """
    listed: tuple[Any, ...] = gx_sql_engine._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in [str(getattr(d, "value", d)) for d in listed]:
        gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (*listed, _DialectName("duckdb"))  # type: ignore[assignment]


def _context_config(validation_dir: Path) -> DataContextConfig:
    memory = {"class_name": "InMemoryStoreBackend"}
    return DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": memory},
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(validation_dir / "gx_results"),
                },
            },
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": memory},
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore",
                "store_backend": memory,
            },
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(validation_dir / "data_docs"),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


@dataclass
class GxSession:
    """An ephemeral GX context with the warehouse as a SQL datasource (cursors of one connection)."""

    context: Any
    datasource: Any
    run_id: RunIdentifier
    docs_index: Path

    def validate(
        self, name: str, query: str, expectations: list[Any]
    ) -> Any:  # ExpectationSuiteValidationResult
        """Run ``expectations`` on the rows of ``query`` (a query asset named ``name``)."""
        asset = self.datasource.add_query_asset(name=name, query=query)
        batch_definition = asset.add_batch_definition_whole_table("batch")
        # One store write for the whole suite (add_expectation writes the suite each time).
        suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        return definition.run(result_format="BASIC", run_id=self.run_id)

    def build_data_docs(self, keep_runs: int | None = None) -> Path:
        """Render this run's results (and the index of the runs kept); the index.html path.

        ``keep_runs``: keep the results of only the latest that many runs on disk first, so the
        index (which GX rebuilds from every stored result each time) stays the same size as
        history grows. quality.validation_runs keeps every outcome regardless.
        """
        store = self.context.validation_results_store
        keys = store.list_keys()
        if keep_runs is not None:
            latest: dict[str, Any] = {}
            for k in keys:
                name, at = k.run_id.run_name, k.run_id.run_time
                if name not in latest or at > latest[name]:
                    latest[name] = at
            kept = set(sorted(latest, key=lambda n: latest[n], reverse=True)[:keep_runs])
            kept.add(self.run_id.run_name)
            for k in keys:
                if k.run_id.run_name not in kept:
                    store.remove_key(k)
            keys = [k for k in keys if k.run_id.run_name in kept]
        mine = [k for k in keys if k.run_id.run_name == self.run_id.run_name]
        self.context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=mine)
        # GX writes under the process umask; the docs are for others to read.
        share_tree(self.docs_index.parent)
        return self.docs_index


@contextmanager
def gx_session(
    settings: Settings, con: duckdb.DuckDBPyConnection, run_name: str
) -> Iterator[GxSession]:
    """A GX session reading the warehouse ``con`` is open on (``settings.warehouse_path``);
    the cursors it took are closed on exit, ``con`` stays open. GX sees what ``con`` has
    committed, not an open transaction of it."""
    install_duckdb_workaround()
    validation_dir = settings.validation_dir
    make_dirs(validation_dir)
    context = gx.get_context(mode="ephemeral", project_config=_context_config(validation_dir))
    url = sa.URL.create("duckdb", database=str(settings.warehouse_path))

    def cursor() -> duckdb_engine.ConnectionWrapper:
        # What duckdb-engine's own connect() returns, around a cursor instead of a new
        # duckdb.connect(): the database, its settings and its buffer pool are con's.
        return duckdb_engine.ConnectionWrapper(con.cursor())

    datasource = context.data_sources.add_sql(
        name=DATASOURCE,
        connection_string=url.render_as_string(hide_password=False),
        kwargs={"creator": cursor},  # type: ignore[call-arg]
    )
    session = GxSession(
        context=context,
        datasource=datasource,
        run_id=RunIdentifier(run_name=run_name, run_time=datetime.now(UTC)),
        docs_index=validation_dir / "data_docs" / "index.html",
    )
    try:
        yield session
    finally:
        _close(datasource)


def _close(datasource: Any) -> None:
    """Dispose of the engines GX created (the execution engine's and the datasource's own)."""
    engine = getattr(datasource, "_execution_engine", None)
    if engine is not None:
        connection = getattr(engine, "_connection", None)
        if connection is not None:
            connection.close()
            engine._connection = None
        engine.engine.dispose()
    own = getattr(datasource, "_engine", None)
    if own is not None:
        own.dispose()
