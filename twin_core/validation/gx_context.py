"""The Great Expectations side: the project's file-backed GX context, reading the warehouse
through GX's SQL execution engine (duckdb-engine / SQLAlchemy), never pandas.

Grain: one GX context per home, ``TWIN_HOME/validation/gx/`` (GX's own layout: a project
root ``TWIN_HOME/validation``, so ``gx.get_context(project_root_dir=TWIN_HOME/validation)``
opens it). Per source validated, persisted there: a query asset of the ``warehouse`` SQL
datasource (the source's last batch validated), its ``batch`` batch definition, an
expectation suite, a validation definition and a checkpoint, all named after the source.
Each run replaces them and runs the checkpoint; its results go to GX's validation results
store (``gx/uncommitted/validations``) and the Data Docs site ``local_site``
(``gx/uncommitted/data_docs/local_site``) is built from that store. A GX user can rerun a
checkpoint and gets the same result (the suite's reference queries read
``meta.validation_refs`` rows that are kept while a persisted suite names their run).

The datasource is persisted as a plain connection string (``duckdb:////<warehouse path>``).
Inside a validation run GX reads through the caller's own DuckDB connection: while the
session is open, duckdb-engine's connect for that file returns a cursor of it (a second
connection to the same database instance, ``shared_connection``). So there is no second
configuration of the file in the process (which DuckDB refuses, docs/definitions.md, known
traps), no reopening, and GX's queries find in the buffer pool the blocks the caller's
queries just read. GX runs only SELECTs: the queries of built-in expectations and of
``checks.Check``.

Outside the project, before ``gx.get_context``: ``install_duckdb_workaround()`` (GX's DuckDB
trap, below) and ``import twin_core.validation.checks`` (registers
``expect_no_unexpected_rows``); ``open_context`` does both.
"""

from __future__ import annotations

import re
import shutil
import threading
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
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig

from twin_core.settings import Settings
from twin_core.shared_files import make_dirs, share_tree

DATASOURCE = "warehouse"
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


GX_DIR = "gx"  # the context's folder under the project root (validation_dir)
DOCS_SITE = "local_site"  # GX's default site of a file context
RUN_META = "twin_run_id"  # suite meta: the validation run whose reference ids it queries

_SHARED: dict[str, duckdb.DuckDBPyConnection] = {}
_SHARED_LOCK = threading.Lock()


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def _install_shared_connect() -> None:
    """Make duckdb-engine's connect hand out a cursor of a registered connection (idempotent).

    For a database file registered by ``shared_connection``, connect returns what
    duckdb-engine's own connect returns, around a cursor instead of a new duckdb.connect():
    the database, its settings and its buffer pool are the registered connection's. Other
    files (and every file once the session ends) connect as usual.
    """
    dialect: Any = duckdb_engine.Dialect
    if getattr(dialect.connect, "_twin_shared", False):
        return
    original = dialect.connect

    def connect(self: Any, *cargs: Any, **cparams: Any) -> Any:
        database = cparams.get("database")
        con = _SHARED.get(_key(database)) if database and database != ":memory:" else None
        if con is not None:
            return duckdb_engine.ConnectionWrapper(con.cursor())
        return original(self, *cargs, **cparams)

    connect._twin_shared = True  # type: ignore[attr-defined]
    dialect.connect = connect


@contextmanager
def shared_connection(path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While open, GX's connections to the file ``path`` are cursors of ``con``."""
    _install_shared_connect()
    key = _key(path)
    with _SHARED_LOCK:
        if key in _SHARED:
            raise RuntimeError(f"a GX session on {path} is already open in this process")
        _SHARED[key] = con
    try:
        yield
    finally:
        with _SHARED_LOCK:
            _SHARED.pop(key, None)


def context_dir(validation_dir: Path) -> Path:
    """Where the file-backed GX context lives: ``<validation_dir>/gx``."""
    return validation_dir / GX_DIR


def docs_index(validation_dir: Path) -> Path:
    return context_dir(validation_dir) / "uncommitted" / "data_docs" / DOCS_SITE / "index.html"


def open_context(validation_dir: Path) -> Any:  # FileDataContext
    """The project's file-backed GX context, created on first use (as ``gx.get_context(
    project_root_dir=validation_dir)`` opens it, after the workaround and the registration
    of ``expect_no_unexpected_rows`` this does first)."""
    install_duckdb_workaround()
    import twin_core.validation.checks  # noqa: F401  (registers expect_no_unexpected_rows)

    make_dirs(validation_dir)
    new = not (context_dir(validation_dir) / "great_expectations.yml").exists()
    context = gx.get_context(mode="file", project_root_dir=validation_dir)
    if new:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.analytics_enabled = False
        context.variables.save()
        # Data Docs and results of the ephemeral contexts before this one: the report links
        # the shallowest index.html under validation_dir, which would be the stale one.
        shutil.rmtree(validation_dir / "data_docs", ignore_errors=True)
    return context


def _warehouse_datasource(context: Any, warehouse: Path) -> Any:
    """The persisted ``warehouse`` SQL datasource, (re)created if missing or moved."""
    url = f"duckdb:///{_key(warehouse)}"
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        datasource = None
    except Exception as exc:  # GX raises its own DataContextError subclasses
        if "not found" not in str(exc).lower():
            raise
        datasource = None
    if datasource is None or str(datasource.connection_string) != url:
        datasource = context.data_sources.add_or_update_sql(name=DATASOURCE, connection_string=url)
    return datasource


@dataclass
class GxSession:
    """The project's GX context with the warehouse as a SQL datasource (cursors of one
    connection while the session is open)."""

    context: Any
    datasource: Any
    run_id: RunIdentifier
    docs_index: Path
    ref_run: str | None = None  # the run id the suites' reference queries name

    def validate(
        self, name: str, query: str, expectations: list[Any]
    ) -> Any:  # ExpectationSuiteValidationResult
        """Persist the query asset, suite, validation definition and checkpoint ``name`` for
        ``query``'s rows and ``expectations`` (replacing the earlier ones), run the
        checkpoint, and return its validation result (stored in GX's results store)."""
        if any(a.name == name for a in self.datasource.assets):
            self.datasource.delete_asset(name)
        asset = self.datasource.add_query_asset(name=name, query=query)
        batch_definition = asset.add_batch_definition_whole_table("batch")
        meta = {RUN_META: self.ref_run} if self.ref_run else {}
        # One store write for the whole suite (add_expectation writes the suite each time).
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(name=name, expectations=expectations, meta=meta)
        )
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[definition], result_format="BASIC")
        )
        result = checkpoint.run(run_id=self.run_id)
        (validation,) = result.run_results.values()
        return validation

    def referenced_runs(self) -> set[str]:
        """Run ids whose reference ids a persisted suite queries (to keep in meta.validation_refs)."""
        return {
            str(s.meta[RUN_META]) for s in self.context.suites.all() if (s.meta or {}).get(RUN_META)
        }

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
    settings: Settings, con: duckdb.DuckDBPyConnection, run_name: str, ref_run: str | None = None
) -> Iterator[GxSession]:
    """A GX session on the project's context, reading the warehouse ``con`` is open on
    (``settings.warehouse_path``); the cursors it took are closed on exit, ``con`` stays
    open. GX sees what ``con`` has committed, not an open transaction of it. ``ref_run``: the
    run id the suites' reference queries name (recorded in each suite's meta)."""
    validation_dir = settings.validation_dir
    context = open_context(validation_dir)
    with shared_connection(settings.warehouse_path, con):
        datasource = _warehouse_datasource(context, settings.warehouse_path)
        session = GxSession(
            context=context,
            datasource=datasource,
            run_id=RunIdentifier(run_name=run_name, run_time=datetime.now(UTC)),
            docs_index=docs_index(validation_dir),
            ref_run=ref_run,
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
        datasource._execution_engine = None
    own = getattr(datasource, "_engine", None)
    if own is not None:
        own.dispose()
        datasource._engine = None
